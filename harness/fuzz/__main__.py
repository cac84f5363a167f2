"""``python -m harness.fuzz [--requests N] [--seed S]``: the fuzz run ``make fuzz`` makes."""

from __future__ import annotations

import argparse
import sys

from .runner import TARGETS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.fuzz")
    parser.add_argument("--requests", type=int, default=10_000, help="requests per target (default 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed: the same seed, the same requests")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only these targets")
    args = parser.parse_args(argv)
    failed = False
    for name in args.target or list(TARGETS):
        report = run(name, args.requests, args.seed)
        print(report.line(), flush=True)
        for example in report.examples[:5]:
            print(f"    {example}")
        failed |= bool(report.server_errors or report.state_changes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
