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
