"""Hostile input named in issue 13, each answered in the vendor's error shape, never a 5xx or a stall."""

from __future__ import annotations

import time

import pytest

from harness.fuzz.runner import World

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
