"""The hsqbo sync commands (sync/cli.py): sync, status, export, and the settings file serve --write-settings writes.

``harness.cli.main`` runs in-process against the in-process simulators (the ``sims`` fixture routes
http://quickbooks.sim and http://hubspot.sim into the Flask apps). The engine runs on the system clock as
in the CLI, so the simulators' rate limits are off and the data is small.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml
from openpyxl import load_workbook

from harness import engine_settings
from harness.cli import main
from harness.engine_settings import for_simulators
from sync import cli as sync_cli
from sync.clients.hubspot import HubSpotClient
from sync.settings import load_settings, recommended_filters
from sync.status import DEFAULT_COLUMNS

pytestmark = pytest.mark.hsqbo(rate_limits=False)

EMAILS = ["ada@example.com", "bea@example.com"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """A fresh, wide rich console per test (it is cached), so tables do not wrap their cells."""
    monkeypatch.setenv("COLUMNS", "200")
    sync_cli._console.cache_clear()
    yield
    sync_cli._console.cache_clear()


@pytest.fixture
def tenants(sims) -> tuple[dict, dict]:
    return sims.new_qbo_company(seed="empty"), sims.new_hubspot_portal(seed="empty")


def hubspot(sims, portal: dict) -> HubSpotClient:
    return HubSpotClient(sims.hubspot_url, access_token=portal["accessToken"], pace=False)


def customers(sims, company: dict) -> list[dict]:
    """The company's customers, read with the QBO API (a plain query with the access token)."""
    r = requests.get(f"{sims.qbo_url}/v3/company/{company['realmId']}/query",
                     params={"query": "SELECT * FROM Customer"}, timeout=10,
                     headers={"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()["QueryResponse"].get("Customer", [])


def add_contacts(sims, portal: dict, emails: list[str] = EMAILS) -> list[str]:
    hs = hubspot(sims, portal)
    return [str(hs.create("contacts", {"email": e, "firstname": e.split("@")[0].title(), "lastname": "Test"})["id"])
            for e in emails]


def write_yaml(path: Path, data: dict) -> str:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def settings_file(tmp_path: Path, company: dict, portal: dict) -> str:
    settings = for_simulators(company, portal, state=f"sqlite:///{tmp_path}/state.db",
                                       pairs={"contacts": {"recommended_filters": False}})
    return write_yaml(tmp_path / "settings.yaml", settings.to_dict())


@pytest.fixture
def synced(sims, tenants, tmp_path, capsys) -> dict:
    """Two HubSpot contacts synced to QBO by ``hsqbo sync``."""
    company, portal = tenants
    add_contacts(sims, portal)
    path = settings_file(tmp_path, company, portal)
    code = main(["sync", "--settings", path])
    out = capsys.readouterr().out
    return {"code": code, "out": out, "path": path, "company": company, "portal": portal}


def status_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["status", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# -- sync -----------------------------------------------------------------------------------------

def test_sync_creates_the_contacts_as_customers_and_prints_a_summary(sims, synced):
    assert synced["code"] == 0
    made = customers(sims, synced["company"])
    assert sorted(c["PrimaryEmailAddr"]["Address"] for c in made) == EMAILS
    out = synced["out"]
    assert "contacts: read HubSpot" in out  # the progress line of a phase, with its count
    assert re.search(r"contacts: read HubSpot\s+2 records", out)
    row = next(line for line in out.splitlines() if line.startswith("│ contacts"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    # pair, observed, created, updated, failed, excluded, conflicts, API calls (HubSpot / QuickBooks), complete
    assert cells[:7] == ["contacts", "2 / 0", "0 / 2", "0 / 0", "0", "0", "0"]
    hs_calls, qbo_calls = (int(n) for n in cells[7].split(" / "))
    assert hs_calls >= 1 and qbo_calls >= 2 and cells[8] == "yes"
    assert "Complete: 2 writes" in out


def test_a_second_sync_writes_nothing(sims, synced, capsys):
    assert main(["sync", "--settings", synced["path"], "--pair", "contacts"]) == 0
    out = capsys.readouterr().out
    assert "Complete: 0 writes" in out and "products" not in out.split("Sync pass")[1]
    assert len(customers(sims, synced["company"])) == 2


def test_sync_exits_1_when_a_pair_stops_early_and_says_why(sims, tenants, tmp_path, capsys):
    company, portal = tenants
    add_contacts(sims, portal)
    path = settings_file(tmp_path, company, portal)
    # the first QBO query (contacts reading QuickBooks) is refused; QBO 403s are not retried
    r = requests.post(f"{sims.qbo_url}/_sim/faults",
                      json={"rules": [{"path": "*/query", "action": "status", "status": 403, "nth": 1}]}, timeout=5)
    assert r.status_code < 300, r.text
    assert main(["sync", "--settings", path]) == 1
    out = capsys.readouterr().out
    assert "contacts: stopped early: reading QuickBooks" in out and "NO" in out
    assert customers(sims, company) == []  # the contacts wait for the next pass
    assert main(["sync", "--settings", path]) == 0
    assert len(customers(sims, company)) == 2


def test_an_api_error_the_engine_lets_through_is_reported_as_incomplete(sims, tenants, tmp_path, capsys):
    company, portal = tenants
    add_contacts(sims, portal)
    data = for_simulators(company, portal, state=f"sqlite:///{tmp_path}/state.db").to_dict()
    path = write_yaml(tmp_path / "recommended.yaml", data)  # C1's filters read the contacts' invoices
    r = requests.post(f"{sims.hubspot_url}/_sim/faults", timeout=5, json={"rules": [
        {"path": "*/associations/*", "action": "status", "status": 403}]})
    assert r.status_code < 300, r.text
    assert main(["sync", "--settings", path]) == 1
    out = capsys.readouterr().out
    assert "contacts: stopped early: hubspot answered 403" in out
    row = next(line for line in out.splitlines() if line.startswith("│ products"))
    assert row.rstrip().endswith("yes │")  # the next pair still ran


def test_bad_settings_exit_2_naming_every_setting_before_anything_syncs(sims, tenants, tmp_path, capsys):
    company, portal = tenants
    add_contacts(sims, portal)
    data = for_simulators(company, portal, state=f"sqlite:///{tmp_path}/state.db").to_dict()
    data["pairs"]["contacts"]["direction"] = "both"
    data["interval_minutes"] = 0
    path = write_yaml(tmp_path / "bad.yaml", data)
    assert main(["sync", "--settings", path]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert any(line.strip().startswith("pairs.contacts.direction: must be one of") for line in lines)
    assert any(line.strip().startswith("interval_minutes:") for line in lines)  # each problem on its own line
    assert not (tmp_path / "state.db").exists() and customers(sims, company) == []


def test_unknown_pair_missing_file_and_webhooks_without_watch_are_usage_errors(tenants, tmp_path, capsys):
    path = settings_file(tmp_path, *tenants)
    assert main(["sync", "--settings", path, "--pair", "invoicez"]) == 2
    assert "unknown pair invoicez" in capsys.readouterr().err
    assert main(["sync", "--settings", path, "--webhooks-port", "0"]) == 2
    assert "--webhooks-port needs --watch" in capsys.readouterr().err
    assert main(["sync", "--settings", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the settings" in capsys.readouterr().err
    assert not (tmp_path / "state.db").exists()


# -- sync --watch, with webhooks --------------------------------------------------------------------

def signed_hubspot_post(url: str, body: bytes, secret: str) -> int:
    stamp = str(int(time.time() * 1000))
    message = b"POST" + url.encode() + body + stamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-v3": signature})
    try:  # urllib, not requests: the sims fixture routes requests' calls in-process
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_watch_serves_webhooks_that_trigger_a_sync(sims, tenants, tmp_path, capsys, monkeypatch):
    company, portal = tenants
    add_contacts(sims, portal)
    path = settings_file(tmp_path, company, portal)
    receivers: list = []
    real_receiver = sync_cli._serve_receiver
    monkeypatch.setattr(sync_cli, "_serve_receiver",
                        lambda *a: receivers.append(real_receiver(*a)) or receivers[-1])
    statuses: list[int] = []
    waits = iter(["webhook", "check", "stop"])

    def fake_wait(seconds: float) -> None:
        step = next(waits)
        url = f"{receivers[0].url}/webhooks/hubspot"
        if step == "webhook":
            [cy] = add_contacts(sims, portal, ["cy@example.com"])
            body = json.dumps([{"subscriptionType": "contact.creation", "objectId": int(cy),
                                "portalId": int(portal["portalId"])}]).encode()
            statuses.append(signed_hubspot_post(url, body, "not-the-secret"))  # refused: bad signature
            statuses.append(signed_hubspot_post(url, body, portal["clientSecretForWebhooks"]))
        elif step == "stop":
            raise KeyboardInterrupt

    monkeypatch.setattr(sync_cli, "_wait", fake_wait)
    assert main(["sync", "--settings", path, "--watch", "--webhooks-port", "0"]) == 0
    out = capsys.readouterr().out
    assert statuses == [401, 200]
    assert sorted(c["PrimaryEmailAddr"]["Address"] for c in customers(sims, company)) == [*EMAILS, "cy@example.com"]
    assert "/webhooks/hubspot" in out and "Stopped." in out
    [line] = [x for x in out.splitlines() if "webhook pass" in x]
    assert "contacts: read 1 / 0, created 0 / 1" in line and "complete" in line


def test_watch_runs_the_interval_pass_when_it_is_due(sims, tenants, tmp_path, capsys, monkeypatch):
    company, portal = tenants
    path = settings_file(tmp_path, company, portal)
    schedulers: list = []
    real_tick = sync_cli._watch_tick

    def spy_tick(engine, scheduler, say):
        schedulers.append(scheduler)
        if len(schedulers) == 2:  # a change, and the interval comes due (instead of waiting 10 minutes)
            add_contacts(sims, portal, ["dee@example.com"])
            scheduler.next_run = engine.clock.now()
        return real_tick(engine, scheduler, say)

    waits: list[float] = []

    def fake_wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(sync_cli, "_watch_tick", spy_tick)
    monkeypatch.setattr(sync_cli, "_wait", fake_wait)
    assert main(["sync", "--settings", path, "--watch"]) == 0
    out = capsys.readouterr().out
    assert waits == [1.0, 1.0] and "a pass every 10 min" in out
    [line] = [x for x in out.splitlines() if "pass —" in x]
    assert "interval pass" in line and "contacts: read 1 / 0, created 0 / 1" in line
    scheduler = schedulers[-1]
    assert 590 <= (scheduler.next_run - datetime.now(UTC)).total_seconds() <= 600  # the next one in 10 minutes
    assert [c["PrimaryEmailAddr"]["Address"] for c in customers(sims, company)] == ["dee@example.com"]


# -- status and export ------------------------------------------------------------------------------

def test_status_json_counts_the_synced_records(synced, capsys):
    doc = status_json(capsys, "--settings", synced["path"])
    assert doc["counts"]["contacts"] == {"synced": 2, "failed": 0, "excluded": 0, "pending": 0}
    assert list(doc["counts"]) == ["contacts", "products", "invoices", "payments"]  # payments follow invoices
    assert set(doc["records"]) == {"failed", "excluded"}  # both by default
    assert doc["records"]["failed"]["total"] == 0
    assert doc["counts"]["products"]["excluded"] == doc["records"]["excluded"]["total"]  # items without a SKU
    synced_page = status_json(capsys, "--settings", synced["path"], "--status", "synced", "--pair", "contacts",
                              "--columns", "id,label,match_key,qbo_id")
    page = synced_page["records"]["synced"]
    assert page["total"] == 2 and page["columns"] == ["id", "label", "match_key", "qbo_id"]
    assert sorted(r["match_key"] for r in page["rows"]) == EMAILS and all(r["qbo_id"] for r in page["rows"])
    assert list(synced_page["counts"]) == ["contacts"]


def test_status_pages_and_searches(synced, capsys):
    args = ["--settings", synced["path"], "--status", "synced", "--per-page", "1"]
    first = status_json(capsys, *args)["records"]["synced"]
    second = status_json(capsys, *args, "--page", "2")["records"]["synced"]
    assert first["total"] == second["total"] == 2 and len(first["rows"]) == len(second["rows"]) == 1
    assert first["rows"][0]["match_key"] != second["rows"][0]["match_key"]
    found = status_json(capsys, *args[:4], "--search", "BEA@")["records"]["synced"]
    assert [r["match_key"] for r in found["rows"]] == ["bea@example.com"]


def test_status_tables_list_failed_and_excluded_records_with_reason_rule_and_message(synced, capsys):
    capsys.readouterr()
    assert main(["status", "--settings", synced["path"]]) == 0
    out = capsys.readouterr().out
    assert re.search(r"│ contacts\s+│\s+2 │\s+0 │\s+0 │\s+0 │", out)
    assert "Failed: 0 record(s)" in out
    excluded = out.split("Excluded:")[1]
    assert "no_sku" in excluded and "E1" in excluded and "this record has none" in excluded


def test_status_record_shows_its_activity(synced, capsys):
    page = status_json(capsys, "--settings", synced["path"], "--status", "synced", "--pair", "contacts")
    record_id = page["records"]["synced"]["rows"][0]["id"]
    doc = status_json(capsys, "--settings", synced["path"], "--record", str(record_id))
    assert doc["record"]["id"] == record_id and doc["record"]["status"] == "synced"
    assert [(a["action"], a["side"]) for a in doc["activity"]] == [("created", "quickbooks")]
    assert main(["status", "--settings", synced["path"], "--record", str(record_id)]) == 0
    out = capsys.readouterr().out
    assert f"Record {record_id}" in out and "created" in out and "quickbooks" in out
    assert main(["status", "--settings", synced["path"], "--record", "9999"]) == 1
    assert "no record 9999" in capsys.readouterr().err


def test_status_without_a_state_database_says_to_sync_first(tenants, tmp_path, capsys):
    path = settings_file(tmp_path, *tenants)
    assert main(["status", "--settings", path]) == 1
    assert "run `hsqbo sync" in capsys.readouterr().err
    assert not (tmp_path / "state.db").exists()  # status only reads


def test_export_csv_and_xlsx(synced, tmp_path, capsys):
    out_csv = tmp_path / "x.csv"
    assert main(["export", "--settings", synced["path"], "--out", str(out_csv), "--pair", "contacts"]) == 0
    assert "Wrote 2 row(s)" in capsys.readouterr().out
    with out_csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["match_key"] for r in rows) == EMAILS and {r["status"] for r in rows} == {"synced"}
    assert list(rows[0]) == DEFAULT_COLUMNS

    out_xlsx = tmp_path / "x.xlsx"
    assert main(["export", "--settings", synced["path"], "--out", str(out_xlsx), "--status", "synced",
                 "--columns", "id,pair,match_key,qbo_id"]) == 0
    assert "Wrote 2 row(s)" in capsys.readouterr().out
    sheet = load_workbook(out_xlsx).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("id", "pair", "match_key", "qbo_id")
    assert sorted(v[2] for v in values[1:]) == EMAILS and all(v[3] for v in values[1:])

    forced = tmp_path / "x.data"
    assert main(["export", "--settings", synced["path"], "--out", str(forced), "--format", "xlsx",
                 "--pair", "contacts"]) == 0
    assert forced.read_bytes()[:2] == b"PK"  # a zip: XLSX despite the suffix


def test_status_and_export_refuse_unknown_columns(synced, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", "--settings", synced["path"], "--out", str(tmp_path / "y.csv"), "--columns", "id,colour"])
    assert info.value.code == 2 and "unknown column(s) colour" in capsys.readouterr().err
    assert not (tmp_path / "y.csv").exists()


# -- serve --write-settings ---------------------------------------------------------------------------

def test_simulator_settings_are_explicit_and_load(sims, tenants, tmp_path, monkeypatch, capsys):
    company, portal = tenants
    doc = engine_settings.simulator_settings(company, portal, quickbooks_url=sims.qbo_url, hubspot_url=sims.hubspot_url,
                                      tier="starter")
    path = engine_settings.write_settings(tmp_path / "hsqbo.yaml", doc, "a header")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# a header\n") and "contacts: default mappings (ids for mappings.off): email" in text
    s = load_settings(path)
    assert s.to_dict()["pairs"] == doc["pairs"]
    assert s.quickbooks.base_url == sims.qbo_url and s.hubspot.base_url == sims.hubspot_url
    assert s.quickbooks.realm_id == company["realmId"] and s.quickbooks.refresh_token == company["refreshToken"]
    assert doc["quickbooks"]["token_url"] is None  # derived from base_url, so it follows an edited base_url
    assert s.quickbooks.token_url == sims.qbo_url + "/oauth2/v1/tokens/bearer"
    assert s.quickbooks_webhook_verifier == company["verifierToken"]
    assert s.hubspot.access_token == portal["accessToken"] and s.hubspot.refresh_token == portal["refreshToken"]
    assert s.hubspot.client_secret_for_webhooks == portal["clientSecretForWebhooks"] and s.hubspot.tier == "starter"
    assert s.state == f"sqlite:///{tmp_path.resolve() / 'hsqbo-sync.db'}"  # beside the settings file
    contacts = doc["pairs"]["contacts"]  # the recommended filters, written out (C1)
    assert contacts["filters"] == recommended_filters("contacts", s.setup_date)["filters"]
    assert contacts["mappings"] == {"off": [], "custom": []} and doc["pairs"]["products"]["require_sku"] is True

    # and the engine runs with it: contacts on no invoice stay out of QBO (C1); the default state file is used
    add_contacts(sims, portal)
    monkeypatch.chdir(tmp_path)
    assert main(["sync", "--settings", str(path)]) == 0
    assert (tmp_path / "hsqbo-sync.db").exists() and customers(sims, company) == []
    counts = status_json(capsys, "--settings", str(path), "--pair", "contacts", "--reason", "filtered_out")
    assert counts["counts"]["contacts"]["excluded"] == 2 and counts["records"]["excluded"]["total"] == 2


def test_demo_write_settings_points_at_the_servers_it_started(tmp_path):
    target = tmp_path / "out" / "hsqbo.yaml"
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "demo", "--exit", "--quickbooks-port", "0", "--hubspot-port", "0",
         "--seed", "empty", "--tier", "enterprise", "--write-settings", str(target)],
        capture_output=True, text=True, timeout=60, env={"COLUMNS": "300", "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    assert "Sync engine settings written to" in out.stdout and str(target) in out.stdout.replace("\n", "")
    s = load_settings(target)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", s.quickbooks.base_url)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", s.hubspot.base_url) and s.hubspot.base_url != s.quickbooks.base_url
    assert s.quickbooks.realm_id in out.stdout and s.quickbooks.base_url in out.stdout  # as the tables show them
    assert s.hubspot.tier == "enterprise" and s.hubspot.access_token and s.quickbooks.refresh_token


# -- issue 14: payments by name, state beside its settings file ---------------------------------

def test_pair_payments_is_accepted_by_status_and_sync(sims, synced, capsys):
    page = status_json(capsys, "--settings", synced["path"], "--pair", "payments", "--status", "synced")
    assert page["counts"] == {"payments": {"synced": 0, "failed": 0, "excluded": 0, "pending": 0}}
    capsys.readouterr()
    # payments sync with their invoices, under the invoices pair's settings: the pass runs both
    assert main(["sync", "--settings", synced["path"], "--pair", "payments"]) == 0
    out = capsys.readouterr().out.split("Sync pass")[1]
    rows = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert rows == ["invoices", "payments"]


def test_a_relative_sqlite_state_is_beside_the_settings_file(sims, tenants, tmp_path, monkeypatch):
    company, portal = tenants
    folder, elsewhere = tmp_path / "config", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    settings = for_simulators(company, portal, state="sqlite:///sync-state.db")
    path = write_yaml(folder / "settings.yaml", settings.to_dict())
    monkeypatch.chdir(elsewhere)
    assert main(["sync", "--settings", path, "--pair", "contacts"]) == 0
    assert (folder / "sync-state.db").exists() and not (elsewhere / "sync-state.db").exists()
