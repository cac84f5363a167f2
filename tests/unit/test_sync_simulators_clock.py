"""``hsqbo sync --clock simulators``: the engine waits on the simulators' clock by advancing it, not by sleeping."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from harness import engine_settings
from harness.cli import main
from harness.engine_settings import for_simulators
from sync.clock import SimulatorsClock

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen")
CLOCK = "http://quickbooks.sim/_sim/clock"


def _settings(sims, tmp_path: Path) -> Path:
    company, portal = sims.new_qbo_company(seed="empty"), sims.new_hubspot_portal(seed="empty")
    settings = for_simulators(company, portal, state=f"sqlite:///{tmp_path / 'state.db'}")
    return engine_settings.write_settings(tmp_path / "settings.yaml", settings.to_dict())


def _now() -> float:
    return SimulatorsClock(CLOCK).now().timestamp()


def _throttle_the_first_query() -> None:
    # a 429 without Retry-After: the QBO client waits its default minute before trying again
    requests.post("http://quickbooks.sim/_sim/faults", json={"path": "*/query", "nth": 1, "action": "status",
                                                             "status": 429}).raise_for_status()


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_quota_wait_advances_the_simulators_clock_instead_of_sleeping(sims, tmp_path, monkeypatch, how):
    path = _settings(sims, tmp_path)
    _throttle_the_first_query()
    argv = ["sync", "--settings", str(path)]
    if how == "option":
        argv += ["--clock", "simulators"]
    else:  # what the command adapter's environment says (harness/command_sync.py)
        monkeypatch.setenv("HSQBO_CLOCK", "simulators")
        monkeypatch.setenv("HSQBO_CLOCK_URL", CLOCK)
    before, started = _now(), time.perf_counter()
    assert main(argv) == 0
    assert time.perf_counter() - started < 30  # the minute was not slept
    assert _now() - before >= 60  # it was advanced on the simulators' clock


def test_the_clock_reads_and_advances_the_simulators_time(sims):
    clock = SimulatorsClock(CLOCK)
    before = clock.now()
    assert before == sims.runtime.clock.now()
    clock.sleep(90.5)
    clock.sleep(0)
    assert (clock.now() - before).total_seconds() == 90.5 and clock.slept == 90.5


def test_no_simulators_clock_at_the_url_is_a_usage_error(sims, tmp_path, monkeypatch, capsys):
    path = _settings(sims, tmp_path)
    monkeypatch.setenv("HSQBO_CLOCK_URL", "http://127.0.0.1:9/_sim/clock")  # nothing listens on port 9
    assert main(["sync", "--settings", str(path), "--clock", "simulators"]) == 2
    assert "no simulators' clock answers at http://127.0.0.1:9/_sim/clock" in capsys.readouterr().err
