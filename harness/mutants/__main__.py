"""``python -m harness.mutants [--only ID ...] [--rule F2 ...] [--jobs N] [--list] [--json FILE]``: plant each
bug of the catalogue in a copy of the engine and run the oracle against it (``make mutants``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.mutants import CATALOGUE, ROOT, load_catalogue, problems, run, select


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.mutants", description=__doc__)
    parser.add_argument("--only", nargs="+", metavar="ID", help="these mutants only")
    parser.add_argument("--rule", nargs="+", metavar="RULE", help="the mutants of these rules only")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant; a timeout counts as killed")
    parser.add_argument("--list", action="store_true", help="list the catalogue (and stale entries) and stop")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    parser.add_argument("--rev", metavar="COMMIT", help="copy the files of this commit, not of the working tree")
    parser.add_argument("--with-planted-bug-tests", action="store_true",
                        help="keep tests/property/test_planted_bugs.py in the oracle (slow)")
    parser.add_argument("--tree", type=Path, metavar="DIR", help="copy this folder (every file) instead")
    parser.add_argument("--tests", nargs="+", metavar="PATH",
                        help="run these tests (paths in the project, or absolute) instead of the whole oracle")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies (their path is printed)")
    args = parser.parse_args(argv)
    try:
        mutants = select(load_catalogue(args.catalogue), args.only)
    except (KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.rule:
        mutants = [m for m in mutants if m.rule in set(args.rule)]
    if not mutants:
        print("error: no mutant selected", file=sys.stderr)
        return 2
    if args.list:
        bad = problems(mutants, ROOT)
        width = max(len(m.id) for m in mutants)
        for m in mutants:
            mark = f"  STALE: {bad[m.id]}" if m.id in bad else ""
            print(f"{m.id:<{width}}  {m.rule:<4} {m.file:<24} {m.why}{mark}")
        print(f"{len(mutants)} mutant(s), {len(bad)} stale")
        return 1 if bad else 0
    report = run(mutants, jobs=args.jobs, timeout=args.timeout, rev=args.rev,
                 with_planted_bug_tests=args.with_planted_bug_tests, keep=args.keep, tests=args.tests,
                 tree=args.tree)
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    if not report.outcomes:
        return 2  # the baseline failed, or the oracle did not see the copy
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
