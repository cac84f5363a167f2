"""Exact statuses, headers and bodies through plain ``requests``: HubSpot's error bodies, rate limits and input
the SDK can't send. Every refusal is a 4xx in HubSpot's shape, never a 500, and writes nothing
(API notes §2, §4, §5, §6)."""

from __future__ import annotations

import json

import pytest
import requests
from hubspot_sdk import Raw, error_body, snapshot

from simulators.sims import Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")
NOT_FOUND = "Object not found.  objectId are usually numeric."
LIMIT_HEADERS = ("X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
                 "X-HubSpot-RateLimit-Interval-Milliseconds",
                 "X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining")


@pytest.fixture
def raw(hubspot_portal: dict) -> Raw:
    return Raw(hubspot_portal["accessToken"])


@pytest.fixture
def records(raw: Raw) -> dict[str, str]:
    contact = raw.post("/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com", "firstname": "Ada"}})
    company = raw.post("/crm/v3/objects/companies", {"properties": {"name": "Acme", "numberofemployees": "10"}})
    assert contact.status_code == 201 and company.status_code == 201
    return {"contact": contact.json()["id"], "company": company.json()["id"]}


def _problems(body: dict) -> list[dict]:
    """The JSON list inside a VALIDATION_ERROR message (notes §4)."""
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    return json.loads(body["message"][len(prefix):])


def _limits(sims: Simulators, enabled: bool) -> None:
    r = requests.post(f"{sims.hubspot_url}/_sim/ratelimits", json={"enabled": enabled}, timeout=5)
    assert r.json() == {"enabled": enabled}


# -- 404 / 409 ------------------------------------------------------------------------------------

def test_object_not_found_verbatim(raw: Raw, records: dict[str, str]) -> None:
    for r, given in ((raw.get("/crm/v3/objects/contacts/123"), "123"),
                     (raw.patch("/crm/v3/objects/contacts/123", {"properties": {"firstname": "X"}}), "123"),
                     (raw.get("/crm/v3/objects/contacts/nobody%40example.com?idProperty=email"), "nobody@example.com"),
                     (raw.get("/crm/v3/objects/deals/not-a-number"), "not-a-number")):
        body = error_body(r, 404, "OBJECT_NOT_FOUND")
        assert body["message"] == NOT_FOUND and body["context"] == {"id": [given]}
        assert set(body) == {"status", "message", "correlationId", "context", "category"}
    found = raw.get("/crm/v3/objects/contacts/ADA%40example.com?idProperty=email")
    assert found.status_code == 200 and found.json()["id"] == records["contact"]


def test_duplicate_email_conflict(sims: Simulators, raw: Raw, records: dict[str, str], hubspot_portal: dict) -> None:
    """D3: a second contact with the same email (any case) is refused with 409 CONFLICT (notes §5)."""
    before = snapshot(sims, hubspot_portal["portalId"])()
    r = raw.post("/crm/v3/objects/contacts", {"properties": {"email": "ADA@Example.com", "firstname": "Copy"}})
    body = error_body(r, 409, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {records['contact']}"
    assert set(body) == {"status", "message", "correlationId", "category"}
    assert snapshot(sims, hubspot_portal["portalId"])() == before


# -- 400 VALIDATION_ERROR -------------------------------------------------------------------------

@pytest.mark.parametrize(("otype", "props", "code", "name", "message"), [
    ("contacts", {"testproperty": "x"}, "PROPERTY_DOESNT_EXIST", "testproperty",
     'Property "testproperty" does not exist'),
    ("companies", {"name": "Acme 2", "numberofemployees": "ten"}, "INVALID_INTEGER", "numberofemployees",
     "ten was not a valid number."),
    ("contacts", {"email": "not-an-email"}, "INVALID_EMAIL", "email", "Email address not-an-email is invalid"),
    ("contacts", {"lifecyclestage": "Customer"}, "INVALID_OPTION", "lifecyclestage",
     "Customer was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, salesqualifiedlead, "
     "opportunity, customer, evangelist, other]"),
])
def test_validation_errors(sims: Simulators, raw: Raw, records: dict[str, str], hubspot_portal: dict, otype: str,
                           props: dict, code: str, name: str, message: str) -> None:
    portal = hubspot_portal["portalId"]
    before = snapshot(sims, portal)()
    for r in (raw.post(f"/crm/v3/objects/{otype}", {"properties": props}),
              raw.patch(f"/crm/v3/objects/{otype}/{records[otype[:-1] if otype == 'contacts' else 'company']}",
                        {"properties": props})):
        body = error_body(r, 400, "VALIDATION_ERROR")
        assert _problems(body) == [{"isValid": False, "message": message, "error": code, "name": name,
                                    "localizedErrorMessage": message, "portalId": int(portal)}]
        assert body["errors"] == [{"message": message, "code": code, "context": {"propertyName": [name]}}]
    assert snapshot(sims, portal)() == before


def test_every_bad_value_is_reported(raw: Raw) -> None:
    r = raw.post("/crm/v3/objects/contacts", {"properties": {"email": "bad", "nope": "1", "firstname": "Ok"}})
    assert [p["error"] for p in _problems(error_body(r, 400, "VALIDATION_ERROR"))] == [
        "INVALID_EMAIL", "PROPERTY_DOESNT_EXIST"]


# -- rate limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("tier", "token_key", "burst", "daily"), [
    ("professional", "accessToken", 190, 625_000),
    ("starter", "accessToken", 100, 250_000),
    ("professional", "oauthAccessToken", 100, None),
])
def test_ten_secondly_limit(sims: Simulators, tier: str, token_key: str, burst: int, daily: int | None) -> None:
    """Private apps: 190 per 10 s on Professional, 100 on Starter, with a daily bucket; OAuth apps: 100 per 10 s and
    no daily headers (notes §6)."""
    portal = sims.new_hubspot_portal(tier=tier, seed="empty")
    _limits(sims, True)
    raw = Raw(portal[token_key])
    first = raw.get("/crm/v3/objects/contacts")
    assert first.status_code == 200
    assert first.headers["X-HubSpot-RateLimit-Max"] == str(burst)
    assert first.headers["X-HubSpot-RateLimit-Remaining"] == str(burst - 1)
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    if daily is None:
        assert "X-HubSpot-RateLimit-Daily" not in first.headers
    else:
        assert first.headers["X-HubSpot-RateLimit-Daily"] == str(daily)
        assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(daily - 1)
    for _ in range(burst - 2):
        assert raw.get("/crm/v3/objects/contacts").status_code == 200
    last = raw.get("/crm/v3/objects/contacts")
    assert last.status_code == 200 and last.headers["X-HubSpot-RateLimit-Remaining"] == "0"

    refused = raw.post("/crm/v3/objects/contacts", {"properties": {"email": "late@example.com"}})
    assert refused.status_code == 429
    body = refused.json()
    assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert "category" not in body and len(body["correlationId"]) == 36 and body["requestId"]
    assert sims.runtime.store.count(portal["portalId"], "contacts") == 0

    sims.runtime.clock.advance(9.9)
    assert raw.get("/crm/v3/objects/contacts").status_code == 429
    sims.runtime.clock.advance(0.1)
    again = raw.get("/crm/v3/objects/contacts")
    assert again.status_code == 200 and again.headers["X-HubSpot-RateLimit-Remaining"] == str(burst - 1)


def test_search_limit_five_per_second(sims: Simulators, raw: Raw) -> None:
    """Search: 5 requests a second per account, exempt from the ten-secondly limit, no limit headers (notes §2)."""
    _limits(sims, True)
    for _ in range(5):
        r = raw.post("/crm/v3/objects/contacts/search", {"limit": 1})
        assert r.status_code == 200
        assert not any(h in r.headers for h in LIMIT_HEADERS)
    r = raw.post("/crm/v3/objects/companies/search", {})
    assert r.status_code == 429
    body = r.json()
    assert (body["errorType"], body["policyName"], body["message"]) == (
        "RATE_LIMIT", "SECONDLY", "You have reached your secondly limit.")
    other = raw.get("/crm/v3/objects/contacts")  # searches did not spend the ten-secondly budget
    assert other.status_code == 200 and other.headers["X-HubSpot-RateLimit-Remaining"] == "189"
    sims.runtime.clock.advance(1)
    assert raw.post("/crm/v3/objects/contacts/search", {}).status_code == 200


# -- limits of batches and search -----------------------------------------------------------------

@pytest.mark.parametrize("action", ["create", "read", "update", "upsert", "archive"])
def test_batch_of_101_is_refused(sims: Simulators, raw: Raw, records: dict[str, str], hubspot_portal: dict,
                                 action: str) -> None:
    item = {"create": {"properties": {"firstname": "X"}},
            "upsert": {"id": "x@example.com", "idProperty": "email", "properties": {"firstname": "X"}}}.get(
        action, {"id": records["contact"], "properties": {"firstname": "X"}})
    inputs = [dict(item) for _ in range(101)]
    if action == "create":
        inputs = [{"properties": {"email": f"p{i}@example.com"}} for i in range(101)]
    before = snapshot(sims, hubspot_portal["portalId"])()
    body = error_body(raw.post(f"/crm/v3/objects/contacts/batch/{action}", {"inputs": inputs}), 400,
                      "VALIDATION_ERROR")
    assert "101" in body["message"] and "100" in body["message"]
    assert snapshot(sims, hubspot_portal["portalId"])() == before
    ok = raw.post(f"/crm/v3/objects/contacts/batch/{action}", {"inputs": inputs[:100]})
    assert ok.status_code in (200, 201, 204)


@pytest.mark.parametrize(("body", "code"), [
    ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6},
     "TOO_MANY_FILTER_GROUPS"),
    ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}]},
     "TOO_MANY_FILTERS_IN_GROUP"),
    ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 5}] * 4},
     "TOO_MANY_FILTERS"),
    ({"limit": 201}, "INVALID_LIMIT"),
    ({"limit": 100, "after": "9901"}, None),
    ({"query": "x" * 3001}, None),
    ({"sorts": ["createdate", "-lastmodifieddate"]}, None),
    ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]}, None),
])
def test_search_limits_are_refused(raw: Raw, records: dict[str, str], body: dict, code: str | None) -> None:
    err = error_body(raw.post("/crm/v3/objects/contacts/search", body), 400, "VALIDATION_ERROR")
    if code is not None:
        assert err["errors"][0]["code"] == code


def test_search_within_limits_is_accepted(raw: Raw, records: dict[str, str]) -> None:
    full = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 6}] * 3,
            "limit": 200, "after": "9800"}
    r = raw.post("/crm/v3/objects/contacts/search", full)
    assert r.status_code == 200 and r.json() == {"total": 1, "results": []}


# -- routes, types and bodies ---------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/crm/v3/objects/widgets"), ("POST", "/crm/v3/objects/widgets"),
    ("GET", "/crm/v3/objects/widgets/1"), ("POST", "/crm/v3/objects/widgets/search"),
    ("GET", "/crm/v3/properties/widgets"), ("GET", "/crm/v4/objects/contacts/1/associations/widgets"),
])
def test_unknown_object_type(raw: Raw, method: str, path: str) -> None:
    body = error_body(raw.call(method, path, {"properties": {}}), 400, "VALIDATION_ERROR")
    assert body["message"] == "Unable to infer object type from: widgets"


def test_object_type_ids_and_singular_names_are_accepted(raw: Raw, records: dict[str, str]) -> None:
    for path in ("/crm/v3/objects/0-1", "/crm/v3/objects/contact", "/crm/v3/objects/CONTACTS"):
        r = raw.get(path)
        assert r.status_code == 200 and [o["id"] for o in r.json()["results"]] == [records["contact"]]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/crm/v3/nothing/here"), ("PUT", "/crm/v3/objects/contacts"), ("GET", "/crm/v5/objects/contacts"),
    ("POST", "/crm/v3/objects/contacts/batch/destroy"), ("POST", "/crm/v3/objects/line_items/merge"),
])
def test_unknown_route(raw: Raw, method: str, path: str) -> None:
    body = error_body(raw.call(method, path, {}), 404, None)
    assert body["message"] == "resource not found"


@pytest.mark.parametrize("text", ['{"properties": ', "not json", '{"properties": {"email": "a@b.co"}}}', "\x00"])
def test_malformed_json(sims: Simulators, raw: Raw, hubspot_portal: dict, text: str) -> None:
    before = snapshot(sims, hubspot_portal["portalId"])()
    for path in ("/crm/v3/objects/contacts", "/crm/v3/objects/contacts/batch/create",
                 "/crm/v3/objects/contacts/search", "/crm/v3/properties/contacts"):
        body = error_body(raw.post(path, raw=text), 400, "VALIDATION_ERROR")
        assert body["message"].startswith("Invalid input JSON")
    assert snapshot(sims, hubspot_portal["portalId"])() == before


TYPE = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
# (method, path, body): input the SDK would never send; {contact} and {company} are filled in.
MALFORMED = [
    ("POST", "/crm/v3/objects/contacts", [1, 2]),
    ("POST", "/crm/v3/objects/contacts", {"properties": ["email"]}),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "n@example.com"}, "associations": "x"}),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "n@example.com"}, "associations": [
        {"to": {"id": "{company}"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "x"}]}]}),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "n@example.com"}, "associations": [
        {"to": {"id": "{company}"}, "types": "x"}]}),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "n@example.com"}, "associations": [
        {"to": {"id": "{company}"}}]}),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"createdate": "2020-01-01"}}),
    ("PATCH", "/crm/v3/objects/contacts/{contact}", {"properties": {"hs_object_id": "5"}}),
    ("PATCH", "/crm/v3/objects/contacts/{contact}?idProperty=firstname", {"properties": {"lastname": "X"}}),
    ("GET", "/crm/v3/objects/contacts?limit=abc", None),
    ("GET", "/crm/v3/objects/contacts?limit=101", None),
    ("GET", "/crm/v3/objects/contacts?after=abc", None),
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": "x"}),
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [1, 2]}),
    ("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [{"properties": {"email": "n@example.com"}}, 5]}),
    ("POST", "/crm/v3/objects/contacts/batch/create",
     {"inputs": [{"properties": {"email": "n@example.com"}, "objectWriteTraceId": ["a"]}]}),
    ("POST", "/crm/v3/objects/contacts/batch/update", {"inputs": [{"properties": {"firstname": "X"}}]}),
    ("POST", "/crm/v3/objects/contacts/batch/update",
     {"inputs": [{"id": "{contact}", "properties": {"firstname": "X"}}, 5]}),
    ("POST", "/crm/v3/objects/contacts/batch/read", {"inputs": [5]}),
    ("POST", "/crm/v3/objects/contacts/batch/archive", {"inputs": [{"id": "{contact}"}, 5]}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [5]}),
    ("POST", "/crm/v3/objects/contacts/batch/upsert",
     {"inputs": [{"id": "n@example.com", "idProperty": "email", "properties": "x"}]}),
    ("POST", "/crm/v3/objects/contacts/search", [1]),
    ("POST", "/crm/v3/objects/contacts/search", {"filterGroups": "x"}),
    ("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": "{contact}"}),
    ("POST", "/crm/v3/objects/contacts/gdpr-delete", [1]),
    ("GET", "/crm/v4/objects/contacts/{contact}/associations/companies?after=abc", None),
    ("GET", "/crm/v4/objects/contacts/{contact}/associations/companies?limit=-1", None),
    ("PUT", "/crm/v4/objects/contacts/{contact}/associations/companies/{company}",
     [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "abc"}]),
    ("PUT", "/crm/v4/objects/contacts/{contact}/associations/companies/{company}", []),
    ("PUT", "/crm/v4/objects/contacts/{contact}/associations/companies/{company}", {"types": [TYPE]}),
    ("POST", "/crm/v4/associations/contacts/companies/batch/create",
     {"inputs": [{"from": {"id": "{contact}"}, "to": {"id": "{company}"}, "types": [TYPE]},
                 {"from": {"id": "{contact}"}, "to": "x"}]}),
    ("POST", "/crm/v4/associations/contacts/companies/batch/create",
     {"inputs": [{"from": {"id": "{contact}"}, "to": {"id": "{company}"},
                  "types": [{"associationTypeId": "x"}]}]}),
    ("POST", "/crm/v4/associations/contacts/companies/batch/archive",
     {"inputs": [{"from": {"id": "{contact}"}, "to": [5]}]}),
    ("POST", "/crm/v4/associations/contacts/companies/batch/labels/archive",
     {"inputs": [{"from": {"id": "{contact}"}, "to": {"id": "{company}"}, "types": [{"associationTypeId": []}]}]}),
    ("POST", "/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"after": "1"}]}),
    ("POST", "/crm/v3/associations/contacts/companies/batch/create", {"inputs": [5]}),
    ("POST", "/crm/v3/associations/contacts/companies/batch/create", {"inputs": [{"from": {"id": "{contact}"}}]}),
    ("POST", "/crm/v3/associations/contacts/companies/batch/read", {"inputs": [5]}),
    ("POST", "/crm/v3/associations/contacts/companies/batch/archive", {"inputs": [{"to": {"id": "{company}"}}]}),
    ("POST", "/crm/v4/associations/contacts/companies/labels", [1]),
    ("PUT", "/crm/v4/associations/contacts/companies/labels", {"label": "X"}),
    ("POST", "/crm/v3/properties/contacts", {"name": "x"}),
    ("POST", "/crm/v3/properties/contacts/batch/read", {"inputs": [5]}),
    ("POST", "/crm/v3/properties/contacts/batch/archive", {"inputs": [5]}),
    ("POST", "/crm/v3/properties/contacts/batch/create", {"inputs": [5]}),
    ("POST", "/crm/v3/properties/contacts/groups", {"name": "g", "label": "G", "displayOrder": "x"}),
    ("PATCH", "/crm/v3/properties/contacts/email", {"label": "x"}),
    ("DELETE", "/crm/v3/properties/contacts/email", None),
]


@pytest.mark.parametrize(("method", "path", "body"), MALFORMED,
                         ids=[f"{m} {p} {json.dumps(b)[:40]}" for m, p, b in MALFORMED])
def test_malformed_input_is_a_4xx_and_writes_nothing(sims: Simulators, raw: Raw, records: dict[str, str],
                                                      hubspot_portal: dict, method: str, path: str,
                                                      body: object) -> None:
    fill = json.dumps(body).replace("{contact}", records["contact"]).replace("{company}", records["company"])
    before = snapshot(sims, hubspot_portal["portalId"])()
    r = raw.call(method, path.format(**records), raw=fill if body is not None else None)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["status"] == "error" and r.json()["category"] == "VALIDATION_ERROR"
    assert snapshot(sims, hubspot_portal["portalId"])() == before
