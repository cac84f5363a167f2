"""The hsqbo pytest marker configures the sims fixture."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests


@pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-31T12:00:00Z")
def test_marker_freezes_the_clock_and_switches_throttling_off(sims, qbo_company):
    assert sims.runtime.clock.now() == datetime(2026, 1, 31, 12, tzinfo=UTC)
    base = f"http://quickbooks.sim/v3/company/{qbo_company['realmId']}"
    auth = {"Authorization": f"Bearer {qbo_company['accessToken']}"}
    assert all(requests.get(f"{base}/preferences", headers=auth).status_code == 200 for _ in range(15))


def test_without_marker_throttling_is_on_and_the_clock_runs(sims):
    assert sims.runtime.limits.enabled is True
    assert sims.runtime.clock.mode == "real"


def test_unknown_marker_option_is_a_usage_error(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.hsqbo(ratelimits=False)
        def test_x(sims):
            pass
    """)
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(errors=1)
    assert "unknown hsqbo marker option(s): ratelimits" in result.stdout.str()


# -- scenario files are collected only where a project asks for them -------------------------------

SCENARIO = """\
version: 1
name: one customer
rules: [D3]
generation: current
given:
  records:
    quickbooks:
      - {ref: ada, entity: Customer, body: {DisplayName: Ada}}
then:
  quickbooks:
    Customer: {count: 1}
"""


def test_a_folder_named_scenarios_is_not_collected_unless_configured(pytester):
    folder = pytester.mkdir("scenarios")
    (folder / "locust.yaml").write_text("users: 10\nspawn-rate: 2\n")  # another tool's scenarios
    (folder / "ours.yaml").write_text(SCENARIO)
    result = pytester.runpytest("-p", "no:xdist", str(folder))
    result.assert_outcomes()
    assert "unknown key" not in result.stdout.str()


def test_the_ini_option_collects_a_folder_of_any_name(pytester):
    pytester.makeini("[pytest]\nhsqbo_scenarios = checks/sync\n")
    folder = pytester.mkdir("checks") / "sync"
    folder.mkdir()
    (folder / "one.yaml").write_text(SCENARIO)
    (folder / "two.yaml").write_text(SCENARIO.replace("count: 1", "count: 2"))
    (pytester.path / "checks" / "not-here.yaml").write_text("users: 10\n")  # beside the folder, not in it
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(passed=1, failed=1)
    assert "two.yaml" in result.stdout.str() and "expected 2, found 1" in result.stdout.str()


def test_a_marker_line_makes_any_yaml_file_a_scenario(pytester):
    (pytester.mkdir("anywhere") / "mine.yml").write_text("# hsqbo: scenario\n" + SCENARIO)
    (pytester.path / "anywhere" / "other.yaml").write_text("users: 10\n")
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(passed=1)
