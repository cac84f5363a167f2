"""The slice of the fuzz suite ``make test`` runs (``make fuzz`` sends 10,000 requests per target): hypothesis
over both simulators, the admin API and the engine's webhook receiver; 0 server errors and 0 state changes
caused by refused requests."""

from __future__ import annotations

import pytest

from harness.fuzz.runner import TARGETS, run

PER_TARGET = 80


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_slice(target: str) -> None:
    report = run(target, PER_TARGET, seed_value=13)
    print("\n" + report.line())
    assert report.sent == PER_TARGET
    assert (report.server_errors, report.state_changes) == (0, 0), "\n".join(report.examples[:10])
