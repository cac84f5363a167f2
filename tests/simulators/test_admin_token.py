"""The admin API's optional token and serve's warning beyond loopback (issue 13): with a token, every /_sim/
request needs it (``Authorization: Bearer`` or ``X-Hsqbo-Admin-Token``), else a 401 with a JSON error; the
harness's own callers (Simulators, the scenario world, the dashboard, the engine's simulators clock) send it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from simulators.sims import Simulators

TOKEN = "s3cret-admin-token"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def guarded() -> Simulators:
    return Simulators(admin_token=TOKEN)


def _admin_paths(sims: Simulators) -> list[tuple[object, str, str, dict | None]]:
    realm = sims.quickbooks.test_client().post("/_sim/tenants", json={"seed": "empty"},
                                                headers={"X-Hsqbo-Admin-Token": TOKEN}).get_json()["realmId"]
    qbo, hubspot = sims.quickbooks.test_client(), sims.hubspot.test_client()
    return [(qbo, "GET", "/_sim/health", None), (hubspot, "GET", "/_sim/health", None),
            (qbo, "POST", "/_sim/tenants", {"seed": "empty"}), (hubspot, "GET", "/_sim/state", None),
            (qbo, "POST", "/_sim/clock", {"advance": 1}), (qbo, "GET", "/_sim/journal", None),
            (qbo, "POST", f"/_sim/quickbooks/{realm}/closing-date", {"date": "2024-12-31"}),
            (qbo, "GET", f"/_sim/quickbooks/{realm}/next-number?entity=Invoice", None),
            (qbo, "POST", "/_sim/snapshots", None)]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Hsqbo-Admin-Token": "wrong"},
                                     {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
                         ids=["none", "wrong-bearer", "wrong-header", "no-scheme", "basic"])
def test_with_a_token_every_admin_route_refuses_a_request_without_it(guarded: Simulators, headers: dict) -> None:
    for client, method, path, body in _admin_paths(guarded):
        before = guarded.runtime.store.fingerprint()
        r = client.open(path, method=method, json=body, headers=headers)
        assert r.status_code == 401, (path, r.status_code)
        assert "admin API needs its token" in r.get_json()["error"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert guarded.runtime.store.fingerprint() == before


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {TOKEN}"}, {"authorization": f"bearer {TOKEN}"},
                                     {"X-Hsqbo-Admin-Token": TOKEN}], ids=["bearer", "lower-case", "header"])
def test_with_the_token_every_admin_route_answers(guarded: Simulators, headers: dict) -> None:
    for client, method, path, body in _admin_paths(guarded):
        r = client.open(path, method=method, json=body, headers=headers)
        assert r.status_code < 400, (path, r.status_code, r.get_data(as_text=True))


def test_without_a_token_the_admin_api_is_open_and_the_vendor_apis_never_need_it(guarded: Simulators) -> None:
    assert Simulators().quickbooks.test_client().get("/_sim/health").status_code == 200
    company = guarded.quickbooks.test_client().post("/_sim/tenants", json={"seed": "empty"},
                                                    headers={"X-Hsqbo-Admin-Token": TOKEN}).get_json()
    r = guarded.quickbooks.test_client().get(f"/v3/company/{company['realmId']}/companyinfo/{company['realmId']}",
                                             headers={"Authorization": f"Bearer {company['accessToken']}"})
    assert r.status_code == 200


def test_the_simulators_own_calls_send_the_token(guarded: Simulators) -> None:
    with guarded.in_process():
        company = guarded.new_qbo_company(seed="empty")
        portal = guarded.new_hubspot_portal()
    assert company["realmId"] and portal["portalId"]
    assert guarded.admin_headers() == {"X-Hsqbo-Admin-Token": TOKEN} and Simulators().admin_headers() == {}


def test_the_dashboard_calls_the_admin_api_with_the_token(guarded: Simulators) -> None:
    from harness.dashboard.app import Dashboard
    from harness.engine_settings import for_simulators
    from sync.engine import Engine

    with guarded.in_process():
        company, portal = guarded.new_qbo_company(seed="empty"), guarded.new_hubspot_portal()
        engine = Engine(for_simulators(company, portal))
        board = Dashboard(guarded, engine)
        status, answer = board.admin("POST", "/snapshots")
        assert status == 201 and answer["id"]
        assert board.admin("POST", "/clock", {"advance": 60})[0] == 200
        engine.state.engine.dispose()


def test_the_engines_simulators_clock_sends_the_token(guarded: Simulators, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.clock import SimulatorsClock

    monkeypatch.setenv("HSQBO_ADMIN_TOKEN", TOKEN)
    with guarded.in_process():
        clock = SimulatorsClock(f"{guarded.qbo_url}/_sim/clock")
        before = clock.now()
        clock.sleep(3600)
        assert (clock.now() - before).total_seconds() >= 3600


def test_a_scenario_runs_against_guarded_simulators(monkeypatch: pytest.MonkeyPatch) -> None:
    """HSQBO_ADMIN_TOKEN guards the scenario world's simulators; its own admin calls (webhook subscriptions and
    deliveries, the closing date) carry it, so the scenarios pass as they do unguarded."""
    from harness.scenario import run

    monkeypatch.setenv("HSQBO_ADMIN_TOKEN", TOKEN)
    for name in ("d4-delete-leaves-the-other-side.yaml", "i4-closed-period.yaml"):
        result = run(ROOT / "scenarios" / name)
        assert result.passed, (name, result)


def _serve(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "--quickbooks-port", "0", "--hubspot-port",
                             "0", "--dashboard-port", "-1", "--seed", "empty", "--json", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PATH": os.environ.get("PATH", ""), **env})


def _first_json(proc: subprocess.Popen, timeout: float = 60) -> dict:
    import json

    deadline = time.monotonic() + timeout
    text = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        text += line
        try:
            return json.loads(text)
        except ValueError:
            continue
    proc.kill()
    raise AssertionError(f"serve printed no JSON document: {text} {proc.stderr.read() if proc.stderr else ''}")


def test_serve_beyond_loopback_warns_on_one_line_and_guards_the_admin_api_with_its_token() -> None:
    proc = _serve("--host", "0.0.0.0", env={"HSQBO_ADMIN_TOKEN": TOKEN})
    try:
        doc = _first_json(proc)
        url = doc["quickbooks"]["url"].replace("0.0.0.0", "127.0.0.1")
        assert requests.get(f"{url}/_sim/health", timeout=10).status_code == 401
        assert requests.get(f"{url}/_sim/health", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=10).status_code == 200
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=10)
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1, err
    assert "0.0.0.0" in warnings[0] and "admin API" in warnings[0] and "client secrets" in warnings[0]


def test_serve_on_loopback_says_nothing_and_its_admin_token_option_guards() -> None:
    proc = _serve("--admin-token", TOKEN, env={})
    try:
        doc = _first_json(proc)
        url = doc["quickbooks"]["url"]
        assert requests.get(f"{url}/_sim/health", timeout=10).status_code == 401
        assert requests.get(f"{url}/_sim/health", headers={"X-Hsqbo-Admin-Token": TOKEN},
                            timeout=10).status_code == 200
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=10)
    assert "warning" not in err, err
