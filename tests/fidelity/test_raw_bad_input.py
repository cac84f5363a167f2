"""Input python-quickbooks can't send, through plain ``requests``: every refusal is a 4xx in QBO's shape
(never a 500) and leaves nothing half-written (API notes §1, §2, §6)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from simulators.sims import Simulators

LINE = {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
AUTH_KEYS = {"warnings", "intuitObject", "fault", "report", "queryResponse", "batchItemResponse", "attachableResponse",
             "syncErrorResponse", "requestId", "time", "status", "cdcresponse"}


class Raw:
    """A bare HTTP client for one realm."""

    def __init__(self, sims: Simulators, creds: dict) -> None:
        self.base = f"{sims.qbo_url}/v3/company/{creds['realmId']}"
        self.headers = {"Authorization": f"Bearer {creds['accessToken']}", "Accept": "application/json",
                        "Content-Type": "application/json"}

    def post(self, path: str, body: object, raw: bool = False, **kw: object) -> requests.Response:
        data = body if raw else json.dumps(body)
        return requests.post(f"{self.base}/{path}", data=data, headers=self.headers, timeout=30, **kw)

    def get(self, path: str, **kw: object) -> requests.Response:
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=30, **kw)


@pytest.fixture
def raw(sims: Simulators, qbo_company: dict) -> Raw:
    client = Raw(sims, qbo_company)
    r = client.post("customer", {"DisplayName": "Base Customer"})
    assert r.status_code == 200 and r.json()["Customer"]["Id"] == "1"
    return client


def fault(r: requests.Response, status: int = 400) -> dict:
    """The single Error of a QBO ValidationFault response."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    [error] = body["Fault"]["Error"]
    assert set(error) == {"Message", "Detail", "code", "element"}
    assert error["code"].isdigit()
    return error


@pytest.fixture
def unchanged(sims: Simulators, qbo_company: dict) -> Callable[[], None]:
    """Call after a refused write: entities, counters and the stored JSON are exactly as before."""
    store, realm = sims.runtime.store, qbo_company["realmId"]
    kinds = ("Customer", "Invoice", "Payment", "Item", "Term", "Account", "Preferences")

    def snapshot() -> dict:
        return {k: [r.data for r in store.select(realm, k, include_deleted=True)] for k in kinds}

    state: dict = {}

    def check() -> None:
        if "before" not in state:
            state["before"] = snapshot()
            return
        assert snapshot() == state["before"]

    return check


def test_malformed_json(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    for body in ('{"DisplayName": "Broken"', "not json", '{"DisplayName": "A"} trailing', "[1, 2", "\x00\xff"):
        error = fault(raw.post("customer", body, raw=True))
        assert error["code"] == "2010"
        assert error["Message"] == "Request has invalid or unsupported property"
    for body in ("[]", '"a string"', "42", "null", ""):
        assert fault(raw.post("invoice", body, raw=True))["code"] == "2010"
    unchanged()


@pytest.mark.parametrize("path, body, field", [
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": "x"}, "Line"),
    ("invoice", {"CustomerRef": 5, "Line": [LINE]}, "CustomerRef"),
    ("invoice", {"CustomerRef": "1", "Line": [LINE]}, "CustomerRef"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [5]}, "Line"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [dict(LINE, SalesItemLineDetail="x")]}, "SalesItemLineDetail"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [dict(LINE, Amount="ten")]}, "Amount"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [dict(LINE, Amount="NaN")]}, "Amount"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE, dict(LINE, Id={"x": 1})]}, "Id"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "TxnTaxDetail": "x"}, "TxnTaxDetail"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "BillEmail": "a@b.co"}, "BillEmail"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "LinkedTxn": "x"}, "LinkedTxn"),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "AllowOnlineACHPayment": "maybe"},
     "AllowOnlineACHPayment"),
    ("customer", {"DisplayName": ["A", "B"]}, "DisplayName"),
    ("customer", {"DisplayName": "Typed", "BillAddr": "1 Main St"}, "BillAddr"),
    ("customer", {"DisplayName": "Typed", "ParentRef": 1}, "ParentRef"),
    ("payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 5, "Line": [{"Amount": 5, "LinkedTxn": "x"}]},
     "LinkedTxn"),
    ("payment", {"CustomerRef": {"value": "1"}, "TotalAmt": "five"}, "TotalAmt"),
    ("item", {"Name": "Typed", "IncomeAccountRef": {"value": "7"}, "UnitPrice": "cheap"}, "UnitPrice"),
    ("term", {"Name": "Typed", "DueDays": "soon"}, "DueDays"),
])
def test_wrong_types_are_refused(raw: Raw, unchanged: Callable, path: str, body: dict, field: str) -> None:
    unchanged()
    error = fault(raw.post(path, body))
    assert error["code"] == "2010"
    assert error["Message"] == "Request has invalid or unsupported property"
    assert error["Detail"].startswith(f"Property Name:Can not construct instance of {field} from value ")
    unchanged()


def test_wrong_type_in_an_update_changes_nothing(raw: Raw, unchanged: Callable) -> None:
    created = raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE]}).json()["Invoice"]
    unchanged()
    for body in ({"Id": created["Id"], "SyncToken": "0", "sparse": True, "DueDate": 20300101},
                 {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Line": [dict(LINE, Amount=[1])]},
                 {"Id": created["Id"], "SyncToken": "0", "sparse": True, "ServiceDate": "x"}):
        assert fault(raw.post("invoice", body))["code"] in ("2010", "2060")
    unchanged()
    assert raw.get(f"invoice/{created['Id']}").json()["Invoice"]["SyncToken"] == "0"


def test_bad_dates(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    error = fault(raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "TxnDate": "2024-13-45"}))
    assert (error["code"], error["Message"], error["element"]) == ("2060", "Invalid Date", "TxnDate")
    line = dict(LINE, SalesItemLineDetail={"ItemRef": {"value": "1"}, "ServiceDate": "someday"})
    assert fault(raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line]}))["code"] == "2060"
    unchanged()


def test_unknown_field(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    error = fault(raw.post("customer", {"DisplayName": "Nosy", "FavouriteColour": "teal"}))
    assert error["code"] == "2010"
    assert error["Message"] == "Request has invalid or unsupported property"
    assert error["Detail"] == ('Property Name:Unrecognized field "FavouriteColour" (class '
                               'com.intuit.schema.finance.v3.Customer), not marked as ignorable specified is '
                               "unsupported or invalid")
    error = fault(raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE], "Discount": 5}))
    assert 'Unrecognized field "Discount"' in error["Detail"]
    unchanged()


def test_refused_write_does_not_use_up_ids_or_numbers(raw: Raw) -> None:
    bad_last_line = [LINE, LINE, dict(LINE, SalesItemLineDetail={"ItemRef": {"value": "404"}})]
    error = fault(raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": bad_last_line}))
    assert (error["code"], error["element"]) == ("2500", "ItemRef")
    ok = raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE]}).json()["Invoice"]
    assert (ok["Id"], ok["DocNumber"]) == ("1", "1001")
    assert raw.get("customer/1").json()["Customer"]["Balance"] == 10.0


def test_oversize_body(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    huge = json.dumps({"DisplayName": "Huge", "Notes": "x" * (11 * 1024 * 1024)})
    r = raw.post("customer", huge, raw=True)
    assert 400 <= r.status_code < 500
    error = r.json()["Fault"]["Error"][0]
    assert error["code"] == "2010"
    unchanged()


@pytest.mark.parametrize("statement, code, message, detail", [
    ("SELECT * FROM Customer WHERE", "4000", "Error parsing query", "QueryParserError: Encountered "),
    ("SELECT * FORM Customer", "4000", "Error parsing query", "QueryParserError: Encountered "),
    ("SELECT * FROM Customer WHERE DisplayName = 'x' OR Id = '1'", "4000", "Error parsing query",
     "QueryParserError: Encountered "),
    ("SELECT * FROM Customer WHERE NoSuchField = 'x'", "4001", "Invalid query",
     "QueryValidationError: Property NoSuchField not found for Entity Customer"),
    ("SELECT * FROM Invoice WHERE PrivateNote = 'x'", "4001", "Invalid query", "QueryValidationError: "),
    ("", "4000", "Error parsing query", "QueryParserError: Encountered "),
])
def test_invalid_query(raw: Raw, statement: str, code: str, message: str, detail: str) -> None:
    for r in (raw.get("query", params={"query": statement}),
              requests.post(f"{raw.base}/query", data=statement, timeout=30,
                            headers={**raw.headers, "Content-Type": "application/text"})):
        error = fault(r)
        assert (error["code"], error["Message"]) == (code, message)
        assert error["Detail"].startswith(detail)


def test_query_with_an_id_too_large_for_the_store(raw: Raw) -> None:
    r = raw.get("query", params={"query": "SELECT * FROM Customer WHERE Id = '99999999999999999999999'"})
    assert r.status_code == 200 and r.json()["QueryResponse"] == {}
    error = fault(raw.get("customer/99999999999999999999999"))
    assert (error["code"], error["Message"]) == ("610", "Object Not Found")


@pytest.mark.parametrize("method, path", [("POST", "widget"), ("GET", "widget/1"), ("GET", "customer/1/nested/deep"),
                                          ("DELETE", "customer/1"), ("PUT", "customer")])
def test_unknown_entity_or_route(raw: Raw, unchanged: Callable, method: str, path: str) -> None:
    unchanged()
    r = requests.request(method, f"{raw.base}/{path}", data=json.dumps({"Name": "x"}), headers=raw.headers,
                         timeout=30)
    error = fault(r)
    assert (error["code"], error["Message"]) == ("500", "Unsupported Operation")
    assert error["Detail"] == (f"Operation No resource method found for {method}, return 405 with Allow header is "
                               "not supported.")
    unchanged()


def test_read_of_missing_and_non_numeric_ids(raw: Raw) -> None:
    error = fault(raw.get("customer/404"))
    assert (error["code"], error["Message"]) == ("610", "Object Not Found")
    error = fault(raw.get("customer/abc"))
    assert (error["code"], error["Message"], error["Detail"]) == (
        "2030", "Invalid ID", "Id should be a valid number. Supplied value:abc")


def _auth_fault(r: requests.Response) -> dict:
    assert r.status_code == 401
    body = r.json()
    assert set(body) == AUTH_KEYS
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert body["batchItemResponse"] == [] and body["cdcresponse"] == []
    [error] = body["fault"]["error"]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["element"] is None
    return error


@pytest.mark.parametrize("header, detail", [
    (None, None),
    ("Bearer ", None),
    ("Bearer short", "Malformed bearer token: too short or too long"),
    ("Basic dXNlcjpwYXNz", None),
])
def test_missing_or_malformed_token(raw: Raw, unchanged: Callable, header: str | None, detail: str | None) -> None:
    unchanged()
    headers = {k: v for k, v in raw.headers.items() if k != "Authorization"}
    if header is not None:
        headers["Authorization"] = header
    r = requests.post(f"{raw.base}/customer", data=json.dumps({"DisplayName": "Intruder"}), headers=headers,
                      timeout=30)
    assert _auth_fault(r)["detail"] == detail
    unchanged()


def test_garbage_and_expired_tokens(sims: Simulators, raw: Raw, unchanged: Callable) -> None:
    unchanged()
    garbage = {**raw.headers, "Authorization": "Bearer " + "eyJ" + "x" * 120}
    error = _auth_fault(requests.get(f"{raw.base}/customer/1", headers=garbage, timeout=30))
    assert error["detail"] == "Token invalid"  # wording for a well-formed unknown token is UNCONFIRMED
    sims.runtime.clock.advance(3601)
    r = raw.post("customer", {"DisplayName": "Too Late"})
    assert _auth_fault(r)["detail"].startswith("Token expired: ")
    unchanged()


def test_token_of_another_realm(sims: Simulators, raw: Raw, qbo_company: dict, count: Callable) -> None:
    other = sims.new_qbo_company(country="US", seed="empty")
    before = count(other["realmId"], "Customer")
    r = requests.post(f"{sims.qbo_url}/v3/company/{other['realmId']}/customer", data=json.dumps({"DisplayName": "X"}),
                      headers=raw.headers, timeout=30)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/xml")
    assert '<Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message>' \
        in r.text
    assert "<Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail>" in r.text
    assert count(other["realmId"], "Customer") == before
    assert count(qbo_company["realmId"], "Customer") == 1


def test_batch_with_bad_items_answers_each_item(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    r = raw.post("batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": "not an object"},
        {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch", "Active": "perhaps"}},
        {"bId": "3", "operation": "frobnicate", "Customer": {"DisplayName": "Batch"}},
        {"bId": "4", "Query": "SELECT * FROM Nowhere"},
    ]})
    assert r.status_code == 200
    codes = {item["bId"]: item["Fault"]["Error"][0]["code"] for item in r.json()["BatchItemResponse"]}
    assert codes == {"1": "2010", "2": "2010", "3": "500", "4": "4001"}  # unknown entity: query.py says 4001
    for body in ({"BatchItemRequest": "x"}, {"Nope": []}, []):
        assert 400 <= raw.post("batch", body).status_code < 500
    unchanged()


def test_cdc_bad_parameters(raw: Raw) -> None:
    assert fault(raw.get("cdc", params={"changedSince": "2030-01-01T00:00:00"}))["code"] == "2020"
    assert fault(raw.get("cdc", params={"entities": "Customer", "changedSince": "yesterday"}))["code"] == "2060"
    assert fault(raw.get("cdc", params={"entities": "Widget", "changedSince": "2030-01-01"}))["code"] == "2000"
    error = fault(raw.get("cdc", params={"entities": "Customer", "changedSince": "2001-01-01T00:00:00"}))
    assert error["code"] == "2060"  # more than 30 days back (the refusal's wording is UNCONFIRMED)


def test_preferences_keep_their_shape(raw: Raw, unchanged: Callable) -> None:
    unchanged()
    for body in ({"SyncToken": "0", "SalesFormsPrefs": {"CustomTxnNumbers": "yes"}},
                 {"SyncToken": "0", "SalesFormsPrefs": "on"},
                 {"SyncToken": "0", "OtherPrefs": {"NameValue": [5]}},
                 {"SyncToken": "0", "CurrencyPrefs": {"HomeCurrency": "EUR"}}):
        error = fault(raw.post("preferences", body))
        assert error["code"] == "2010" and error["Detail"].startswith("Property Name:Can not construct instance of ")
    error = fault(raw.post("preferences", {"SyncToken": "0", "GardenPrefs": {}}))
    assert 'Unrecognized field "GardenPrefs"' in error["Detail"]
    unchanged()
    ok = raw.post("preferences", {"SyncToken": "0", "SalesFormsPrefs": {"CustomTxnNumbers": "true",
                                                                         "CustomField": "ignored"}})
    assert ok.status_code == 200
    prefs = ok.json()["Preferences"]["SalesFormsPrefs"]
    assert prefs["CustomTxnNumbers"] is True
    assert isinstance(prefs["CustomField"], list)  # definitions are read-only here (simulator's choice)
    assert raw.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [LINE]}).status_code == 200


def test_requestid_replays_a_batch(raw: Raw, sims: Simulators, qbo_company: dict) -> None:
    """A retried batch with the same requestid answers the first outcome and writes nothing again."""
    body = {"BatchItemRequest": [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Once"}},
                                 {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch Once"}}]}
    first = raw.post("batch", body, params={"requestid": "batch-1"})
    again = raw.post("batch", body, params={"requestid": "batch-1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["BatchItemResponse"] == again.json()["BatchItemResponse"]
    assert first.json()["BatchItemResponse"][1]["Fault"]["Error"][0]["code"] == "6240"
    assert sims.runtime.store.count(qbo_company["realmId"], "Customer") == 2  # with the fixture's own
    other = raw.post("batch", {"BatchItemRequest": body["BatchItemRequest"][:1]}, params={"requestid": "batch-2"})
    assert other.json()["BatchItemResponse"][0]["Fault"]["Error"][0]["code"] == "6240"
