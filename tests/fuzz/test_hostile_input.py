"""Hostile input named in issue 13, each answered in the vendor's error shape, never a 5xx or a stall."""

from __future__ import annotations

import time

import pytest

from harness.fuzz.runner import World
from simulators.sims import Simulators

HOSTILE = [b'{"DisplayName": 1e100000}', b'{"DisplayName": "x", "Balance": 1E+999999}', b"[" * 1000 + b"]" * 1000,
           b'{"a":' * 1000 + b"1" + b"}" * 1000, b'{"DisplayName": "\xff\xfe"}', b"\xc3\x28",
           b'{"DisplayName": NaN}', b'{"Balance": ' + b"9" * 5000 + b"}"]


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_quickbooks_refuses_hostile_json_with_a_fault(world: World, body: bytes) -> None:
    started = time.perf_counter()
    r = world.qbo.post(f"/v3/company/{world.company['realmId']}/customer", data=body, headers={
        "Authorization": f"Bearer {world.company['accessToken']}", "Content-Type": "application/json"})
    assert time.perf_counter() - started < 2
    assert r.status_code == 400 and r.get_json()["Fault"]["Error"][0]["code"]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hubspot_refuses_hostile_json_with_its_error_body(world: World, body: bytes) -> None:
    started = time.perf_counter()
    r = world.hubspot.post("/crm/v3/objects/contacts", data=body, headers={
        "Authorization": f"Bearer {world.portal['accessToken']}", "Content-Type": "application/json"})
    assert time.perf_counter() - started < 2
    error = r.get_json()
    assert r.status_code == 400 and error["status"] == "error" and error["category"] and error["correlationId"]


@pytest.mark.parametrize("body", [{"advance": 1e12}, {"advance": "nan"}, {"advance": [1]},
                                  {"set": "9999-12-31T23:59:59Z"}, {"advance": 1e308}])
def test_the_clock_refuses_moves_out_of_range(world: World, body: dict) -> None:
    before = world.sims.runtime.clock.timestamp()
    r = world.qbo.post("/_sim/clock", json=body)
    assert r.status_code == 400 and "error" in r.get_json()
    assert world.sims.runtime.clock.timestamp() - before < 60
    assert world.qbo.get(f"/v3/company/{world.company['realmId']}/customer/1", headers={
        "Authorization": f"Bearer {world.company['accessToken']}"}).status_code == 200


@pytest.mark.parametrize("body", [{"format": "hsqbo-state", "version": 1, "tenants": [1]},
                                  {"format": "hsqbo-state", "version": 1, "tenants": [{"id": "x"}]},
                                  {"format": "hsqbo-state", "version": 1, "tenants": "abc"}])
def test_malformed_state_dumps_are_400_and_load_nothing(world: World, body: dict) -> None:
    before = world.sims.runtime.store.fingerprint()
    assert world.qbo.post("/_sim/state", json=body).status_code == 400
    assert world.sims.runtime.store.fingerprint() == before


@pytest.mark.parametrize("options", [{"customFields": 5}, {"country": {"a": 1}}])
def test_tenant_options_of_the_wrong_type_are_400(world: World, options: dict) -> None:
    assert world.qbo.post("/_sim/tenants", json={"seed": "empty", **options}).status_code == 400


@pytest.mark.parametrize("start", ["99999999999999999999", "2147483648", "9223372036854775808"])
def test_out_of_range_startposition_is_a_query_fault(world: World, start: str) -> None:
    r = world.qbo.get(f"/v3/company/{world.company['realmId']}/query", headers={
        "Authorization": f"Bearer {world.company['accessToken']}"},
        query_string={"query": f"SELECT * FROM Customer STARTPOSITION {start} MAXRESULTS 3"})
    assert r.status_code == 400 and r.get_json()["Fault"]["Error"][0]["code"] == "4000"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("ids", [("E", "1"), ("1", "1.5"), ("1", "99999999999999999999999")])
def test_association_routes_refuse_ids_that_are_not_numbers(world: World, method: str, ids: tuple) -> None:
    r = world.hubspot.open(f"/crm/v4/objects/contacts/{ids[0]}/associations/companies/{ids[1]}", method=method,
                           json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                           headers={"Authorization": f"Bearer {world.portal['accessToken']}"})
    assert r.status_code == 400 and r.get_json()["status"] == "error"


# -- QBO's digit limits, DocNumber, HubSpot's huge numbers, tenants, odd paths (issue 13, after make fuzz) ---------

def _qbo(world: World, entity: str, body: bytes) -> tuple[int, dict]:
    r = world.qbo.post(f"/v3/company/{world.company['realmId']}/{entity}", data=body, headers={
        "Authorization": f"Bearer {world.company['accessToken']}", "Content-Type": "application/json"})
    return r.status_code, r.get_json()


ITEM_LINE = b'{"CustomerRef": {"value": "1"}, "Line": [{"Amount": %s, "DetailType": "SalesItemLineDetail", ' \
            b'"SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": %s, "UnitPrice": %s}}]}'


@pytest.mark.parametrize(("entity", "body", "field"), [
    ("invoice", ITEM_LINE % (b"1e60", b"1", b"1e60"), "Amount"),
    ("invoice", ITEM_LINE % (b"10", b"1e60", b"1e-59"), "Qty"),  # Qty × UnitPrice beyond 28 digits: was a 500
    ("invoice", ITEM_LINE % (b"10", b"1", b"12345678901234567890"), "UnitPrice"),
    ("invoice", ITEM_LINE % (b"99999999999.99", b"0", b"0"), "Amount"),  # 11 digits before the point
    ("item", b'{"Name": "Big", "Type": "Service", "IncomeAccountRef": {"value": "1"}, "UnitPrice": "1e30"}',
     "UnitPrice"),
    ("payment", b'{"CustomerRef": {"value": "1"}, "TotalAmt": 12345678901}', "TotalAmt"),
], ids=["amount-1e60", "qty-1e60", "price-20-digits", "amount-11-digits", "item-price-string", "payment-total"])
def test_quickbooks_refuses_numbers_beyond_its_digits_with_a_fault_naming_the_field(
        world: World, entity: str, body: bytes, field: str) -> None:
    before = world.sims.runtime.store.fingerprint()
    status, answer = _qbo(world, entity, body)
    error = answer["Fault"]["Error"][0]
    assert (status, error["code"], error["element"]) == (400, "2080", field), answer
    assert world.sims.runtime.store.fingerprint() == before


def test_quickbooks_takes_ten_digits_before_the_point(world: World) -> None:
    status, answer = _qbo(world, "invoice", ITEM_LINE % (b"9999999999.99", b"0", b"0"))
    assert status == 200 and answer["Invoice"]["TotalAmt"] == 9999999999.99, answer


def test_a_docnumber_longer_than_21_characters_is_a_2050_on_docnumber(world: World) -> None:
    status, answer = _qbo(world, "invoice", b'{"CustomerRef": {"value": "1"}, "DocNumber": "' + b"7" * 22 + b'", '
                                           b'"Line": [{"Amount": 1, "DetailType": "SalesItemLineDetail", '
                                           b'"SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}')
    error = answer["Fault"]["Error"][0]
    assert (status, error["code"], error["element"]) == (400, "2050", "DocNumber")


def test_hubspot_line_items_near_a_doubles_limit_are_computed_not_a_500(world: World) -> None:
    r = world.hubspot.post("/crm/v3/objects/line_items", json={"properties": {
        "name": "Huge", "quantity": "1e300", "price": "-1e300"}}, headers={
        "Authorization": f"Bearer {world.portal['accessToken']}"})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["properties"]["amount"] == "-1" + "0" * 600


@pytest.mark.parametrize("system", ["qbo", "hubspot"])
@pytest.mark.parametrize("options", [{"seed": "sample", "seedNumber": "abc"}, {"seed": "sample", "seedNumber": [1]}])
def test_a_tenant_option_refused_while_seeding_leaves_no_half_made_tenant(world: World, system: str,
                                                                          options: dict) -> None:
    app = world.qbo if system == "qbo" else world.hubspot
    before = world.sims.runtime.store.fingerprint()
    r = app.post("/_sim/tenants", json=options)
    assert r.status_code == 400 and r.get_json()["error"].startswith("bad tenant options")
    assert world.sims.runtime.store.fingerprint() == before


@pytest.mark.parametrize("snap", ["%20%C3%89%3F%25", "%00", "%3F%23", "%F0%9F%98%80"])
def test_restoring_a_snapshot_with_odd_characters_in_its_id_is_a_404(world: World, snap: str) -> None:
    r = world.qbo.post(f"/_sim/snapshots/{snap}/restore")
    assert r.status_code == 404 and "no snapshot" in r.get_json()["error"]


@pytest.mark.postgres
def test_numeric_docnumbers_beyond_a_java_int_on_postgresql(postgres_database: str) -> None:
    """A DocNumber of 2^31 or more is kept as given; QBO's own numbering does not go on from it, so the 32-bit
    counter never overflows (PostgreSQL's INTEGER refused it: a 500)."""
    sims = Simulators(db=postgres_database)
    client = sims.quickbooks.test_client()
    company = client.post("/_sim/tenants", json={"seed": "empty"}).get_json()
    headers = {"Authorization": f"Bearer {company['accessToken']}"}
    line = [{"Amount": 1, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]
    base = f"/v3/company/{company['realmId']}"
    client.post(f"{base}/customer", json={"DisplayName": "Pg"}, headers=headers)
    numbers = []
    for doc in ("2147483648", "99999999999999999999", None):
        body = {"CustomerRef": {"value": "1"}, "Line": line, **({"DocNumber": doc} if doc else {})}
        r = client.post(f"{base}/invoice", json=body, headers=headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        numbers.append(r.get_json()["Invoice"]["DocNumber"])
    assert numbers == ["2147483648", "99999999999999999999", "1001"]
    sims.runtime.store.engine.dispose()
