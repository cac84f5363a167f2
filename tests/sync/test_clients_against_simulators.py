"""The sync clients against the real simulators, in-process: they fit the vendors' wire (paths, bodies, errors,
OAuth, throttles), on the virtual clock so waiting costs no real time."""

from __future__ import annotations

import pytest

from simulators.sims import Simulators
from sync.clients.hubspot import HubSpotClient, HubSpotError
from sync.clients.quickbooks import QuickBooksClient, QuickBooksError
from sync.clock import VirtualClock

NO_LIMITS = pytest.mark.hsqbo(rate_limits=False)
FROZEN = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-31T12:00:00Z")


def qbo_client(sims: Simulators, company: dict, **kw) -> QuickBooksClient:
    kw.setdefault("access_token", company["accessToken"])
    return QuickBooksClient(sims.qbo_url, company["realmId"], client_id=company["clientId"],
                            client_secret=company["clientSecret"], refresh_token=company["refreshToken"],
                            clock=VirtualClock(sims.runtime.clock), **kw)


def hs_client(sims: Simulators, portal: dict, **kw) -> HubSpotClient:
    if "refresh_token" not in kw:
        kw.setdefault("access_token", portal["accessToken"])
    return HubSpotClient(sims.hubspot_url, clock=VirtualClock(sims.runtime.clock), **kw)


# -- QuickBooks ----------------------------------------------------------------------------------

@NO_LIMITS
def test_query_reads_more_than_a_thousand_customers_in_pages(sims, qbo_company):
    client = qbo_client(sims, qbo_company)
    total = 1020
    for start in range(0, total, 30):
        items = [{"bId": f"c{i}", "operation": "create", "Customer": {"DisplayName": f"Customer {i:05d}"}}
                 for i in range(start, min(start + 30, total))]
        answers = client.batch(items, f"load-{start}")
        assert [a["bId"] for a in answers] == [i["bId"] for i in items]
        assert all(QuickBooksClient.fault_of(a) is None for a in answers)
    assert client.calls_by_kind["batch"] == 34

    pages = [len(p) for p in client.query_pages("SELECT * FROM Customer")]
    assert pages == [1000, 20]
    names = {c["DisplayName"] for c in client.query("select * from Customer", page_size=400)}
    assert len(names) == total
    assert client.calls_by_kind["query"] == 2 + 3
    assert client.count("SELECT COUNT(*) FROM Customer") == total
    assert client.server_time is not None


@NO_LIMITS
def test_requestid_makes_a_repeated_create_return_the_same_customer(sims, qbo_company):
    client = qbo_client(sims, qbo_company)
    first = client.create("Customer", {"DisplayName": "Ada Lovelace"}, "create-ada-1")
    again = client.create("Customer", {"DisplayName": "Ada Lovelace"}, "create-ada-1")
    assert first["Id"] == again["Id"]
    assert [c["Id"] for c in client.query("SELECT * FROM Customer WHERE DisplayName = 'Ada Lovelace'")] == \
        [first["Id"]]
    with pytest.raises(QuickBooksError) as info:  # a new requestid is a new create: QBO refuses the name
        client.create("Customer", {"DisplayName": "Ada Lovelace"}, "create-ada-2")
    assert info.value.status == 400 and info.value.code == "6240"


@NO_LIMITS
def test_lost_answer_on_a_requestid_write_is_repeated_without_a_duplicate(sims, qbo_company):
    client = qbo_client(sims, qbo_company)
    sims.runtime.faults.add([{"method": "POST", "path": "*/customer", "nth": 1, "action": "drop", "phase": "after"}])
    made = client.create("Customer", {"DisplayName": "Grace Hopper"}, "create-grace")
    assert client.calls_by_kind["write"] == 2 and client.retries == 1
    assert [c["Id"] for c in client.query("SELECT * FROM Customer")] == [made["Id"]]


@NO_LIMITS
def test_stale_synctoken_is_refused_with_5010(sims, qbo_company):
    client = qbo_client(sims, qbo_company)
    made = client.create("Customer", {"DisplayName": "Alan Turing"}, "create-alan")
    updated = client.update("Customer", {"Id": made["Id"], "SyncToken": made["SyncToken"], "Notes": "one"}, "u-1")
    assert updated["Notes"] == "one" and updated["SyncToken"] != made["SyncToken"]
    with pytest.raises(QuickBooksError) as info:
        client.update("Customer", {"Id": made["Id"], "SyncToken": made["SyncToken"], "Notes": "two"}, "u-2")
    err = info.value
    assert err.status == 400 and err.code == "5010" and err.message == "Stale Object Error"
    assert client.get("Customer", made["Id"])["Notes"] == "one"


@NO_LIMITS
def test_expired_access_token_is_refreshed_and_the_rotated_refresh_token_reported(sims, qbo_company):
    seen: list[dict] = []
    client = qbo_client(sims, qbo_company, on_tokens=seen.append)
    made = client.create("Customer", {"DisplayName": "Refresh Me"}, "create-refresh")
    # the access token is now expired, and the refresh token over a day old: QBO rotates it (issue 16)
    sims.runtime.clock.advance(24 * 3600 + 1)
    assert client.get("Customer", made["Id"])["DisplayName"] == "Refresh Me"
    assert client.calls_by_kind["token"] == 1 and client.calls_by_kind["read"] == 2  # 401, then the retry
    assert len(seen) == 1 and seen[0]["refresh_token"] != qbo_company["refreshToken"]
    assert seen[0]["expires_in"] == 3600

    stale = qbo_client(sims, qbo_company, access_token=None)  # still holds the refresh token QBO rotated away
    with pytest.raises(QuickBooksError) as info:
        stale.get("Customer", made["Id"])
    assert info.value.status == 400 and info.value.code == "invalid_grant"

    fresh = qbo_client(sims, {**qbo_company, "refreshToken": seen[0]["refresh_token"]}, access_token=None)
    assert fresh.get("Customer", made["Id"])["Id"] == made["Id"]


@NO_LIMITS
def test_cdc_reports_changes_and_deletions(sims, qbo_company):
    client = qbo_client(sims, qbo_company)
    sims.runtime.clock.advance(5)  # past the company's own setup (its items, accounts)
    since = sims.runtime.clock.now()
    sims.runtime.clock.advance(1)
    customer = client.create("Customer", {"DisplayName": "Changed"}, "cdc-1")
    line = {"Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = client.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}, "cdc-2")
    client.delete("Invoice", invoice, "cdc-3")
    out = client.cdc(["Customer", "Item", "Invoice"], since)
    assert [c["Id"] for c in out["Customer"]] == [customer["Id"]]
    assert out["Item"] == []
    assert [(i["Id"], i.get("status")) for i in out["Invoice"]] == [(invoice["Id"], "Deleted")]
    assert abs((client.server_time - sims.runtime.clock.now()).total_seconds()) < 5
    assert client.calls_by_kind["cdc"] == 1


def test_pacer_keeps_a_burst_of_queries_free_of_429s(sims, qbo_company):
    """Throttles on (the default): 40 queries in a row stay under 10/s without a single 429."""
    client = qbo_client(sims, qbo_company)
    clock_before = sims.runtime.clock.timestamp()
    for _ in range(40):
        assert list(client.query("SELECT * FROM Customer")) == []
    assert client.calls == 40 and client.retries == 0
    assert sims.runtime.journal.find(system="quickbooks", status=429) == []
    assert sims.runtime.clock.timestamp() - clock_before >= 3  # paced on the virtual clock

    # the same burst unpaced collects 429s (and waits them out): the pacer is what kept them away
    unpaced = qbo_client(sims, qbo_company, pace=False)
    for _ in range(40):
        assert list(unpaced.query("SELECT * FROM Customer")) == []
    throttled = sims.runtime.journal.find(system="quickbooks", status=429)
    assert throttled and unpaced.calls == 40 + len(throttled) and unpaced.retries == len(throttled)


# -- HubSpot -------------------------------------------------------------------------------------

@FROZEN
def test_search_modified_since_reads_every_contact_once(sims, hubspot_portal):
    client = hs_client(sims, hubspot_portal)
    marks = []
    for batch in range(5):  # 500 contacts, 100 sharing each timestamp
        marks.append(sims.runtime.clock.now())
        out = client.batch_create("contacts", [{"properties": {"email": f"c{batch}-{i}@example.com"}}
                                               for i in range(100)])
        assert len(out.results) == 100 and out.errors == []
        sims.runtime.clock.advance(1)
    everyone = list(client.search_modified_since("contacts", "lastmodifieddate", None, ["email"]))
    assert len(everyone) == 500 and len({c["id"] for c in everyone}) == 500
    stamps = [c["properties"]["lastmodifieddate"] for c in everyone]
    assert stamps == sorted(stamps)
    later = list(client.search_modified_since("contacts", "lastmodifieddate", marks[2], ["email"]))
    assert len(later) == 300 and all(c["properties"]["email"][1] in "234" for c in later)
    assert client.calls_by_kind["search"] == 3 + 2  # 200 a page


@NO_LIMITS
def test_batch_create_with_trace_ids_reports_the_duplicate_alone(sims, hubspot_portal):
    client = hs_client(sims, hubspot_portal)
    existing = client.create("contacts", {"email": "dup@example.com", "firstname": "First"})
    inputs = [{"properties": {"email": e}, "objectWriteTraceId": f"trace-{n}"}
              for n, e in enumerate(["new1@example.com", "dup@example.com", "new2@example.com"])]
    out = client.batch_create("contacts", inputs)
    assert sorted(r["properties"]["email"] for r in out.results) == ["new1@example.com", "new2@example.com"]
    assert len(out.errors) == 1
    assert out.errors[0]["category"] == "CONFLICT" and out.errors[0]["context"]["objectWriteTraceId"] == ["trace-1"]
    assert existing["id"] in out.errors[0]["message"]

    with pytest.raises(HubSpotError) as info:  # without trace ids one bad input fails the whole chunk
        client.batch_create("contacts", [{"properties": {"email": "new3@example.com"}},
                                         {"properties": {"email": "dup@example.com"}}])
    assert info.value.status == 409 and info.value.category == "CONFLICT"
    assert len(list(client.list("contacts", ["email"]))) == 3


@NO_LIMITS
def test_batch_upsert_is_idempotent(sims, hubspot_portal):
    client = hs_client(sims, hubspot_portal)
    inputs = [{"id": f"u{i}@example.com", "properties": {"firstname": f"U{i}"}} for i in range(3)]
    first = client.batch_upsert("contacts", inputs, "email")
    again = client.batch_upsert("contacts", inputs, "email")
    assert sorted(r["id"] for r in first.results) == sorted(r["id"] for r in again.results)
    assert [r["new"] for r in first.results] == [True] * 3 and [r["new"] for r in again.results] == [False] * 3
    listed = list(client.list("contacts", ["email", "firstname"]))
    assert sorted(c["properties"]["email"] for c in listed) == [f"u{i}@example.com" for i in range(3)]

    ids = [r["id"] for r in first.results]
    found = client.batch_read("contacts", ids + ["999999"], ["firstname"])
    assert sorted(r["id"] for r in found) == sorted(ids)
    by_email = client.batch_read("contacts", ["u1@example.com"], ["firstname"], id_property="email")
    assert [r["properties"]["firstname"] for r in by_email] == ["U1"]
    with pytest.raises(HubSpotError) as info:
        client.get("contacts", "999999", ["email"])
    assert info.value.status == 404 and info.value.category == "OBJECT_NOT_FOUND"


@NO_LIMITS
def test_associations_are_read_in_batch(sims, hubspot_portal):
    client = hs_client(sims, hubspot_portal)
    company = client.create("companies", {"name": "Acme", "domain": "acme.example"})
    to_company = [{"to": {"id": company["id"]},
                   "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]
    linked = [client.create("contacts", {"email": f"a{i}@acme.example"}, to_company)["id"] for i in range(2)]
    loner = client.create("contacts", {"email": "loner@example.com"})["id"]
    out = client.associations("contacts", "companies", linked + [loner])
    for cid in linked:
        assert [t["toObjectId"] for t in out[cid]] == [int(company["id"])]
        assert any(t["typeId"] == 279 for t in out[cid][0]["associationTypes"])
    assert out.get(loner, []) == []
    back = client.associations("companies", "contacts", [company["id"]])
    assert sorted(str(t["toObjectId"]) for t in back[company["id"]]) == sorted(linked)


@NO_LIMITS
def test_oauth_tokens_are_fetched_and_renewed_on_the_virtual_clock(sims, hubspot_portal):
    seen: list[dict] = []
    client = hs_client(sims, hubspot_portal, refresh_token=hubspot_portal["refreshToken"],
                       client_id=hubspot_portal["clientId"], client_secret=hubspot_portal["clientSecret"],
                       on_tokens=seen.append)
    made = client.create("products", {"name": "Widget", "price": "10"})
    assert client.calls_by_kind["token"] == 1 and seen[0]["expires_in"] == 1800
    assert seen[0]["refresh_token"] == hubspot_portal["refreshToken"]  # HubSpot keeps it
    sims.runtime.clock.advance(1801)
    assert client.get("products", made["id"], ["name"])["properties"]["name"] == "Widget"
    assert client.calls_by_kind["token"] == 2
    assert any(p["name"] == "price" for p in client.properties("products"))

    # a token handed in and expired behind the client's back: the 401 EXPIRED_AUTHENTICATION triggers a refresh
    handed = hs_client(sims, hubspot_portal, access_token=hubspot_portal["oauthAccessToken"],
                       refresh_token=hubspot_portal["refreshToken"], client_id=hubspot_portal["clientId"],
                       client_secret=hubspot_portal["clientSecret"])
    sims.runtime.clock.advance(1801)
    assert handed.get("products", made["id"], ["name"])["id"] == made["id"]
    assert handed.calls_by_kind == {"read": 2, "token": 1}


@NO_LIMITS
def test_properties_can_be_created(sims, hubspot_portal):
    client = hs_client(sims, hubspot_portal)
    definition = {"name": "qbo_customer_id", "label": "QBO customer id", "type": "string", "fieldType": "text",
                  "groupName": "contactinformation", "hasUniqueValue": True}
    made = client.create_property("contacts", definition)
    assert made["name"] == "qbo_customer_id"
    assert any(p["name"] == "qbo_customer_id" for p in client.properties("contacts"))
    with pytest.raises(HubSpotError) as info:
        client.create_property("contacts", definition)
    assert info.value.status == 409
