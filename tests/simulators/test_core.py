"""The simulator core: clock, storage, fault plan, journal, rate limits, admin API, webhooks, servers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask, request

from simulators.core.clock import Clock
from simulators.core.faults import FaultPlan, FaultPlanError
from simulators.core.server import ServerThread
from simulators.core.storage import Row, Store
from simulators.sims import QBO_URL, Simulators

ADMIN = f"{QBO_URL}/_sim"


def api(company: dict) -> tuple[str, dict]:
    base = f"{QBO_URL}/v3/company/{company['realmId']}"
    return base, {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"}


def create_customer(company: dict, name: str) -> requests.Response:
    base, auth = api(company)
    return requests.post(f"{base}/customer", json={"DisplayName": name}, headers=auth)


def count_customers(company: dict) -> int:
    base, auth = api(company)
    r = requests.post(f"{base}/query", data="select count(*) from Customer",
                      headers={**auth, "Content-Type": "application/text"})
    return r.json()["QueryResponse"]["totalCount"]


# -- clock ---------------------------------------------------------------------------------------

def test_frozen_clock_stands_still_until_advanced_or_set():
    clock = Clock("frozen", start=datetime(2026, 1, 1, tzinfo=UTC))
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() == first
    clock.advance(3600)
    assert (clock.now() - first).total_seconds() == 3600
    clock.set(datetime(2027, 5, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 5, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_real_clock_resumes_from_the_frozen_instant():
    clock = Clock("frozen", start=datetime(2030, 6, 1, tzinfo=UTC))
    clock.set_mode("real")
    assert abs((clock.now() - datetime(2030, 6, 1, tzinfo=UTC)).total_seconds()) < 1
    with pytest.raises(ValueError):
        clock.set_mode("sideways")


def test_clock_admin_api_moves_every_timestamp(sims):
    requests.post(f"{ADMIN}/clock", json={"mode": "frozen", "set": "2031-03-04T05:06:07Z"})
    company = sims.new_qbo_company(seed="empty")
    created = create_customer(company, "Clockwork Ltd").json()["Customer"]
    assert created["MetaData"]["CreateTime"].startswith("2031-03-03T21:06:07")  # US Pacific (-08:00)
    r = requests.post(f"{ADMIN}/clock", json={"advance": 86400})
    assert r.json()["now"].startswith("2031-03-05T05:06:07")
    assert requests.post(f"{ADMIN}/clock", json={"mode": "warp"}).status_code == 400
    assert requests.post(f"{ADMIN}/clock", json={"set": "not a date"}).status_code == 400


# -- storage -------------------------------------------------------------------------------------

def _row(tenant: str, i: int) -> Row:
    return Row(tenant, "Customer", i, {"Id": str(i), "DisplayName": f"C{i}"}, name_key=f"c{i}", updated_at=i)


def test_snapshot_and_restore_bring_back_the_whole_state():
    store = Store()
    store.create_tenant("r1", "quickbooks", {"country": "US"}, 0)
    store.put_many([_row("r1", i) for i in range(1, 101)])
    snap = store.snapshot()
    store.put(_row("r1", 500))
    store.reset()
    assert store.tenant("r1") is None
    store.restore(snap)
    assert store.count("r1", "Customer") == 100
    assert store.get("r1", "Customer", 500) is None
    with pytest.raises(KeyError):
        store.restore("nope")


def test_dump_is_versioned_json_and_loads_back(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.create_tenant("r1", "quickbooks", {"country": "GB"}, 0)
    store.put_many([_row("r1", i) for i in range(1, 4)])
    store.next_value("r1", "id:Customer", 1)
    dump = json.loads(json.dumps(store.dump()))
    assert dump["format"] == "hsqbo-state" and dump["version"] == 1
    assert [e["data"]["DisplayName"] for e in dump["tenants"][0]["entities"]["Customer"]] == ["C1", "C2", "C3"]
    other = Store()
    other.load(dump)
    assert other.count("r1", "Customer") == 3 and other.tenant("r1")["settings"] == {"country": "GB"}
    # file-backed snapshots go through the generic row copy
    snap = store.snapshot()
    store.reset()
    store.restore(snap)
    assert store.count("r1", "Customer") == 3
    with pytest.raises(ValueError):
        other.load({"format": "something else"})


def test_a_failed_transaction_leaves_nothing_behind():
    store = Store()
    store.create_tenant("r1", "quickbooks", {}, 0)
    with pytest.raises(RuntimeError), store.transaction():
        store.put(_row("r1", 1))
        store.next_value("r1", "id:Customer")
        raise RuntimeError("rule refused")
    assert store.count("r1", "Customer") == 0
    assert store.peek_value("r1", "id:Customer") is None


@pytest.mark.postgres
def test_postgresql_storage_via_url(postgres_database):
    sims = Simulators(db=postgres_database)
    with sims.in_process():
        company = sims.new_qbo_company(country="US", seed="empty")
        assert create_customer(company, "Postgres Pty").status_code == 200
        assert create_customer(company, "postgres pty").json()["Fault"]["Error"][0]["code"] == "6240"
        snap = requests.post(f"{ADMIN}/snapshots").json()["id"]
        create_customer(company, "After Snapshot")
        requests.post(f"{ADMIN}/snapshots/{snap}/restore")
        assert count_customers(company) == 1
    sims.runtime.store.engine.dispose()


# -- admin API -----------------------------------------------------------------------------------

def test_admin_tenants_reset_state_and_snapshots(sims):
    assert requests.get(f"{ADMIN}/health").json()["status"] == "ok"
    bad = requests.post(f"{ADMIN}/tenants", json={"country": "FR"})
    assert bad.status_code == 400 and "country" in bad.json()["error"]
    assert requests.post(f"{ADMIN}/tenants", data="[1]", headers={"Content-Type": "application/json"}).status_code \
        == 400
    company = requests.post(f"{ADMIN}/tenants", json={"country": "GB", "seed": "empty"})
    assert company.status_code == 201
    c = company.json()
    assert set(c) == {"realmId", "clientId", "clientSecret", "accessToken", "refreshToken", "verifierToken"}
    snap = requests.post(f"{ADMIN}/snapshots")
    assert snap.status_code == 201
    create_customer(c, "Before Restore")
    state = requests.get(f"{ADMIN}/state", params={"realmId": c["realmId"]}).json()
    assert state["counts"]["Customer"] == 1 and state["settings"]["country"] == "GB"
    assert requests.post(f"{ADMIN}/snapshots/{snap.json()['id']}/restore").status_code == 200
    assert count_customers(c) == 0
    dump = requests.get(f"{ADMIN}/state", params={"realmId": c["realmId"], "format": "dump"}).json()
    assert dump["format"] == "hsqbo-state" and dump["tenants"][0]["id"] == c["realmId"]
    assert requests.get(f"{ADMIN}/state", params={"realmId": "nope"}).status_code == 404
    assert requests.post(f"{ADMIN}/snapshots/nope/restore").status_code == 404
    requests.post(f"{ADMIN}/reset")
    assert requests.get(f"{ADMIN}/tenants").json()["tenants"] == []
    assert requests.get(f"{api(c)[0]}/customer/1", headers=api(c)[1]).status_code == 401


# -- fault plan ----------------------------------------------------------------------------------

def test_the_third_post_to_customer_answers_503_and_writes_nothing(sims, qbo_company):
    rule = {"method": "POST", "path": "*/customer", "tenant": qbo_company["realmId"], "nth": 3,
            "action": "status", "status": 503}
    assert requests.post(f"{ADMIN}/faults", json=rule).status_code == 200
    statuses = [create_customer(qbo_company, f"Customer {i}").status_code for i in range(4)]
    assert statuses == [200, 200, 503, 200]
    assert count_customers(qbo_company) == 3
    described = requests.get(f"{ADMIN}/faults").json()["rules"][0]
    assert described["seen"] == 4 and described["fired"] == 1
    fault = sims.runtime.journal.find(status=503)[0]
    assert json.loads(fault["responseBody"])["Fault"]["type"] == "SystemFault"


def test_fault_plan_replays_the_same_way_when_set_again(sims, qbo_company):
    plan = {"rules": [{"path": "*/customer", "calls": [1, 3], "action": "status", "status": 500}], "replace": True}
    runs = []
    for _ in range(2):
        requests.post(f"{ADMIN}/faults", json=plan)
        runs.append([create_customer(qbo_company, f"R{len(runs)}-{i}").status_code for i in range(3)])
    assert runs == [[500, 200, 500], [500, 200, 500]]
    assert requests.delete(f"{ADMIN}/faults").json() == {"rules": []}


def test_bad_fault_rules_are_refused_with_the_key_named():
    plan = FaultPlan()
    for rule, word in (({"action": "explode"}, "action"), ({"action": "status"}, "status"),
                       ({"action": "delay"}, "seconds"), ({"action": "drop", "nth": 0}, "nth"),
                       ({"action": "drop", "bogus": 1}, "bogus")):
        with pytest.raises(FaultPlanError, match=word):
            plan.add([rule])
    assert plan.describe() == []


def test_dropped_connection_before_and_after_the_write(sims, qbo_company):
    requests.post(f"{ADMIN}/faults", json={"path": "*/customer", "nth": 1, "action": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        create_customer(qbo_company, "Never Written")
    assert count_customers(qbo_company) == 0
    requests.post(f"{ADMIN}/faults", json={"rules": [{"path": "*/customer", "nth": 1, "action": "drop",
                                                      "phase": "after"}], "replace": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        create_customer(qbo_company, "Written But Unanswered")
    assert count_customers(qbo_company) == 1  # the write happened; only the answer was lost


def test_timeout_and_delay_faults(sims, qbo_company):
    requests.post(f"{ADMIN}/faults", json=[{"path": "*/query", "nth": 1, "action": "timeout"},
                                           {"path": "*/customer", "action": "delay", "seconds": 0.2}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        count_customers(qbo_company)
    started = time.perf_counter()
    assert create_customer(qbo_company, "Slow Co").status_code == 200
    assert time.perf_counter() - started >= 0.2


# -- journal -------------------------------------------------------------------------------------

def test_journal_records_requests_and_filters_them(sims, qbo_company):
    create_customer(qbo_company, "Journal One")
    create_customer(qbo_company, "Journal One")
    entries = requests.get(f"{ADMIN}/journal", params={"method": "POST", "path": "*/customer"}).json()["entries"]
    assert [e["status"] for e in entries] == [200, 400]
    assert json.loads(entries[0]["requestBody"]) == {"DisplayName": "Journal One"}
    assert "6240" in entries[1]["responseBody"]
    since = entries[-1]["seq"]
    assert requests.get(f"{ADMIN}/journal", params={"since": since, "path": "*/customer"}).json()["entries"] == []
    assert requests.get(f"{ADMIN}/journal", params={"status": "x"}).status_code == 400


# -- rate limits ---------------------------------------------------------------------------------

def test_eleventh_request_in_a_second_gets_qbos_429(sims, qbo_company):
    sims.runtime.clock.set_mode("frozen")
    base, auth = api(qbo_company)
    statuses = [requests.get(f"{base}/preferences", headers=auth).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    body = requests.get(f"{base}/preferences", headers=auth).json()
    assert body["Fault"]["Error"][0]["code"] == "3001"
    assert body["Fault"]["Error"][0]["Detail"] == "The request limit was reached."
    sims.runtime.clock.advance(1.0)
    assert requests.get(f"{base}/preferences", headers=auth).status_code == 200
    requests.post(f"{ADMIN}/ratelimits", json={"enabled": False})
    assert all(requests.get(f"{base}/preferences", headers=auth).status_code == 200 for _ in range(20))


def test_500_requests_a_minute_per_realm(sims, qbo_company):
    sims.runtime.clock.set_mode("frozen")
    base, auth = api(qbo_company)
    codes = []
    for _ in range(51):
        for _ in range(10):
            codes.append(requests.get(f"{base}/preferences", headers=auth).status_code)
        sims.runtime.clock.advance(1.0)
    assert codes.count(200) == 500 and codes[-1] == 429


# -- tokens --------------------------------------------------------------------------------------

def test_a_token_works_only_for_its_own_realm(sims):
    one = sims.new_qbo_company(seed="empty")
    two = sims.new_qbo_company(seed="empty")
    r = requests.get(f"{api(two)[0]}/preferences", headers=api(one)[1])
    assert r.status_code == 401 and '<Error code="100">' in r.text


def test_tokens_expire_after_an_hour_of_virtual_time(sims, qbo_company):
    base, auth = api(qbo_company)
    sims.runtime.clock.advance(3599)
    assert requests.get(f"{base}/preferences", headers=auth).status_code == 200
    sims.runtime.clock.advance(2)
    r = requests.get(f"{base}/preferences", headers=auth)
    assert r.status_code == 401 and r.json()["fault"]["error"][0]["detail"].startswith("Token expired")
    basic = base64.b64encode(f"{qbo_company['clientId']}:{qbo_company['clientSecret']}".encode()).decode()
    token = requests.post(f"{QBO_URL}/oauth2/v1/tokens/bearer", headers={"Authorization": f"Basic {basic}"},
                          data={"grant_type": "refresh_token", "refresh_token": qbo_company["refreshToken"]})
    assert token.status_code == 200 and token.json()["expires_in"] == 3600
    assert token.json()["refresh_token"] == qbo_company["refreshToken"]  # within 24 h of its issue: the same
    sims.runtime.clock.advance(24 * 3600)
    rotated = requests.post(f"{QBO_URL}/oauth2/v1/tokens/bearer", headers={"Authorization": f"Basic {basic}"},
                            data={"grant_type": "refresh_token", "refresh_token": qbo_company["refreshToken"]})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != qbo_company["refreshToken"]
    again = requests.post(f"{QBO_URL}/oauth2/v1/tokens/bearer", headers={"Authorization": f"Basic {basic}"},
                          data={"grant_type": "refresh_token", "refresh_token": qbo_company["refreshToken"]})
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


# -- webhooks ------------------------------------------------------------------------------------

def _capture(sims: Simulators) -> list[dict]:
    received: list[dict] = []

    def sender(url: str, headers: dict, body: bytes) -> int:
        received.append({"url": url, "headers": headers, "body": json.loads(body), "raw": body})
        return 200

    sims.runtime.outbox.sender = sender
    return received


def test_webhooks_are_signed_with_the_verifier_token(sims, qbo_company):
    received = _capture(sims)
    sub = requests.post(f"{ADMIN}/webhooks", json={"realmId": qbo_company["realmId"], "url": "http://hook.test/"})
    assert sub.status_code == 201
    create_customer(qbo_company, "Hooked Inc")
    assert len(received) == 1
    event = received[0]["body"]["eventNotifications"][0]
    assert event["realmId"] == qbo_company["realmId"]
    assert event["dataChangeEvent"]["entities"][0]["name"] == "Customer"
    assert event["dataChangeEvent"]["entities"][0]["operation"] == "Create"
    expected = base64.b64encode(hmac.new(qbo_company["verifierToken"].encode(), received[0]["raw"],
                                         hashlib.sha256).digest()).decode()
    assert received[0]["headers"]["intuit-signature"] == expected
    from quickbooks.client import QuickBooks  # the SDK's own verifier accepts it

    assert QuickBooks(minorversion=75).validate_webhook_signature(received[0]["raw"].decode(), expected,
                                                   qbo_company["verifierToken"])


def test_cloudevents_payload(sims, qbo_company):
    received = _capture(sims)
    requests.post(f"{ADMIN}/webhooks", json={"realmId": qbo_company["realmId"], "url": "http://hook.test/",
                                             "format": "cloudevents"})
    create_customer(qbo_company, "Cloudy Co")
    event = received[0]["body"][0]
    assert event["specversion"] == "1.0" and event["type"] == "qbo.customer.created.v1"
    assert event["intuitaccountid"] == qbo_company["realmId"] and event["intuitentityid"] == "1"


def test_webhook_delivery_faults_drop_duplicate_delay_reorder(sims, qbo_company):
    received = _capture(sims)
    requests.post(f"{ADMIN}/webhooks", json={"realmId": qbo_company["realmId"], "url": "http://hook.test/"})
    requests.post(f"{ADMIN}/faults", json=[
        {"target": "webhook", "nth": 1, "action": "drop"},
        {"target": "webhook", "nth": 2, "action": "duplicate"},
        {"target": "webhook", "nth": 3, "action": "delay", "seconds": 300},
        {"target": "webhook", "nth": 4, "action": "reorder"},
    ])
    names = [f"Hook {i}" for i in range(1, 6)]
    for name in names:
        create_customer(qbo_company, name)

    def ids() -> list[str]:
        return [r["body"]["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"] for r in received]

    # 1 dropped, 2 twice, 3 delayed, 4 held back and released after 5
    assert ids() == ["2", "2", "5", "4"]
    requests.post(f"{ADMIN}/clock", json={"advance": 301})
    assert ids() == ["2", "2", "5", "4", "3"]
    log = requests.get(f"{ADMIN}/webhooks").json()["deliveries"]
    assert [d["outcome"] for d in log].count("dropped") == 1


# -- the threaded server -------------------------------------------------------------------------

def test_threaded_server_serves_the_same_api_and_delivers_webhooks_over_http():
    received = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook() -> tuple[str, int]:
        received.append((request.headers.get("intuit-signature"), request.get_json()))
        return "", 200

    sims = Simulators()
    with ServerThread(receiver) as rx, sims.serve() as servers:
        url = servers["quickbooks"].url
        company = requests.post(f"{url}/_sim/tenants", json={"seed": "empty"}).json()
        requests.post(f"{url}/_sim/webhooks", json={"realmId": company["realmId"], "url": f"{rx.url}/hook"})
        auth = {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"}
        r = requests.post(f"{url}/v3/company/{company['realmId']}/customer", json={"DisplayName": "Over The Wire"},
                          headers=auth, timeout=5)
        assert r.status_code == 200 and r.json()["Customer"]["Id"] == "1"
        deadline = time.time() + 5
        while not received and time.time() < deadline:
            time.sleep(0.05)
        assert received and received[0][1]["eventNotifications"][0]["realmId"] == company["realmId"]
        requests.post(f"{url}/_sim/faults", json={"path": "*/customer/*", "nth": 1, "action": "drop"})
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"{url}/v3/company/{company['realmId']}/customer/1", headers=auth, timeout=5)
        assert requests.get(f"{url}/v3/company/{company['realmId']}/customer/1", headers=auth,
                            timeout=5).status_code == 200


def test_eleventh_concurrent_request_of_a_realm_gets_429():
    """QBO allows 10 requests in flight per realm and app; a delayed request holds its slot."""
    from concurrent.futures import ThreadPoolExecutor

    sims = Simulators()
    sims.runtime.clock.set_mode("frozen")
    with sims.serve() as servers:
        url = servers["quickbooks"].url
        company = requests.post(f"{url}/_sim/tenants", json={"seed": "empty"}).json()
        requests.post(f"{url}/_sim/faults", json={"path": "*/preferences", "action": "delay", "seconds": 1.5})
        prefs = f"{url}/v3/company/{company['realmId']}/preferences"
        auth = {"Authorization": f"Bearer {company['accessToken']}"}
        with ThreadPoolExecutor(10) as pool:
            slow = [pool.submit(requests.get, prefs, headers=auth, timeout=10) for _ in range(10)]
            time.sleep(0.5)  # all ten are in flight, sleeping out their delay
            sims.runtime.clock.advance(2)  # the 10-a-second window is clear: only concurrency can refuse
            eleventh = requests.get(f"{url}/v3/company/{company['realmId']}/companyinfo/1", headers=auth,
                                    timeout=10)
            assert [f.result().status_code for f in slow] == [200] * 10
        assert eleventh.status_code == 429 and eleventh.json()["Fault"]["Error"][0]["code"] == "3001"
        sims.runtime.clock.advance(2)
        assert requests.get(f"{url}/v3/company/{company['realmId']}/companyinfo/1", headers=auth,
                            timeout=10).status_code == 200
