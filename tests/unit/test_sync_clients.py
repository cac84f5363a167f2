"""Unit tests for the sync engine's HTTP clients (sync/clients), against canned answers from ``responses``."""

from __future__ import annotations

import base64
import bisect
import json
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from sync.clients.http import Pacer, ms_epoch, parse_when, retry_after
from sync.clients.hubspot import BatchResult, HubSpotClient, HubSpotError, SearchWindowError
from sync.clients.quickbooks import QuickBooksClient, QuickBooksError

QBO = "https://qbo.test"
REALM = "9130"
API = f"{QBO}/v3/company/{REALM}"
TOKEN_URL = f"{QBO}/oauth2/v1/tokens/bearer"
HS = "https://hs.test"
START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class FakeClock:
    """Time stands still until slept on; every sleep is recorded."""

    def __init__(self, start: datetime = START) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def qbo(clock: FakeClock | None = None, **kw) -> QuickBooksClient:
    kw.setdefault("access_token", "access-1")
    kw.setdefault("pace", False)
    return QuickBooksClient(QBO, REALM, client_id="cid", client_secret="secret", refresh_token="rt-1",
                            clock=clock or FakeClock(), **kw)


def hubspot(clock: FakeClock | None = None, **kw) -> HubSpotClient:
    kw.setdefault("pace", False)
    if "refresh_token" not in kw:
        kw.setdefault("access_token", "pat-1")
    return HubSpotClient(HS, clock=clock or FakeClock(), **kw)


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def fault(code: str, message: str = "Error", detail: str = "", status: int = 400) -> tuple[int, dict, str]:
    body = {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}],
                      "type": "ValidationFault"}, "time": "2026-01-31T04:00:00.000-08:00"}
    return status, {}, json.dumps(body)


# -- QuickBooks ----------------------------------------------------------------------------------

def test_query_pages_until_a_short_page_and_streams(rsps):
    customers = [{"Id": str(i), "DisplayName": f"C{i}"} for i in range(1, 6)]

    def answer(request):
        stmt = parse_qs(urlsplit(request.url).query)["query"][0]
        words = stmt.split()
        start, size = int(words[words.index("STARTPOSITION") + 1]), int(words[words.index("MAXRESULTS") + 1])
        page = customers[start - 1:start - 1 + size]
        body = {"QueryResponse": {"Customer": page, "startPosition": start, "maxResults": len(page)},
                "time": "2026-01-31T04:00:00.000-08:00"}
        return 200, {}, json.dumps(body)

    rsps.add_callback(responses.GET, f"{API}/query", callback=answer)
    client = qbo()
    stream = client.query("SELECT * FROM Customer WHERE Active = true", page_size=2)
    assert next(stream)["Id"] == "1"
    assert len(rsps.calls) == 1  # one page fetched, not all of them
    rest = list(stream)
    assert [c["Id"] for c in rest] == ["2", "3", "4", "5"]
    assert len(rsps.calls) == 3 and client.calls == 3 and client.calls_by_kind["query"] == 3
    first = query_of(rsps.calls[0])
    assert first["query"] == ["SELECT * FROM Customer WHERE Active = true STARTPOSITION 1 MAXRESULTS 2"]
    assert first["minorversion"] == ["75"]
    assert "%20" in rsps.calls[2].request.url and "STARTPOSITION%205" in rsps.calls[2].request.url
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer access-1"
    assert rsps.calls[0].request.headers["Accept"] == "application/json"
    assert client.server_time == datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def test_query_page_size_exact_multiple_needs_one_empty_page(rsps):
    rsps.add(responses.GET, f"{API}/query", json={"QueryResponse": {"Item": [{"Id": "1"}, {"Id": "2"}]}})
    rsps.add(responses.GET, f"{API}/query", json={"QueryResponse": {}})
    pages = list(qbo().query_pages("SELECT * FROM Item", page_size=2))
    assert pages == [[{"Id": "1"}, {"Id": "2"}]] and len(rsps.calls) == 2
    with pytest.raises(ValueError):
        list(qbo().query_pages("SELECT * FROM Item", page_size=1001))


def test_cdc_flattens_every_block(rsps):
    body = {"CDCResponse": [{"QueryResponse": [
        {"Customer": [{"Id": "1", "DisplayName": "A"}, {"Id": "2", "status": "Deleted"}], "startPosition": 1,
         "maxResults": 2},
        {"startPosition": 1, "maxResults": 0},
        {"Invoice": [{"Id": "9"}], "startPosition": 1, "maxResults": 1},
    ]}], "time": "2026-01-31T04:00:00.000-08:00"}
    rsps.add(responses.GET, f"{API}/cdc", json=body)
    out = qbo().cdc(["Customer", "Item", "Invoice"], datetime(2026, 1, 30, 8, 30, 15, 999_000, tzinfo=UTC))
    assert out == {"Customer": [{"Id": "1", "DisplayName": "A"}, {"Id": "2", "status": "Deleted"}], "Item": [],
                   "Invoice": [{"Id": "9"}]}
    args = query_of(rsps.calls[0])
    assert args["entities"] == ["Customer,Item,Invoice"]
    assert args["changedSince"] == ["2026-01-30T08:30:15+00:00"]  # rounded down, never later than asked


def test_batch_answers_in_item_order_and_refuses_31_items(rsps):
    answers = [{"bId": "b2", "Fault": {"Error": [{"Message": "Duplicate Name Exists Error", "Detail": "Id=5",
                                                    "code": "6240", "element": ""}], "type": "ValidationFault"}},
               {"bId": "b1", "Customer": {"Id": "7", "DisplayName": "A"}}]
    rsps.add(responses.POST, f"{API}/batch", json={"BatchItemResponse": answers, "time": "2026-01-31T04:00:00Z"})
    client = qbo()
    items = [{"bId": "b1", "operation": "create", "Customer": {"DisplayName": "A"}},
             {"bId": "b2", "operation": "create", "Customer": {"DisplayName": "B"}}]
    out = client.batch(items, "batch-req-1")
    assert [o["bId"] for o in out] == ["b1", "b2"]
    assert QuickBooksClient.fault_of(out[0]) is None
    err = QuickBooksClient.fault_of(out[1])
    assert isinstance(err, QuickBooksError) and err.status == 400 and err.code == "6240" and err.detail == "Id=5"
    sent = json.loads(rsps.calls[0].request.body)
    assert sent == {"BatchItemRequest": items}
    assert query_of(rsps.calls[0])["requestid"] == ["batch-req-1"]
    assert client.calls_by_kind["batch"] == 1

    with pytest.raises(ValueError):
        client.batch([{"bId": str(i), "operation": "create", "Customer": {}} for i in range(31)], "r")
    with pytest.raises(ValueError):
        client.batch(items, "x" * 37)  # batch requestids are 36 characters at most
    assert len(rsps.calls) == 1


def test_writes_carry_requestid_and_sparse(rsps):
    rsps.add(responses.POST, f"{API}/customer", json={"Customer": {"Id": "1", "SyncToken": "0"}, "time": "x"})
    rsps.add(responses.POST, f"{API}/customer", json={"Customer": {"Id": "1", "SyncToken": "1"}, "time": "x"})
    client = qbo()
    made = client.create("Customer", {"DisplayName": "A"}, "req-create-1")
    assert made == {"Id": "1", "SyncToken": "0"}
    done = client.update("Customer", {"Id": "1", "SyncToken": "0", "Notes": "n"}, "req-update-1")
    assert done["SyncToken"] == "1"
    assert query_of(rsps.calls[0])["requestid"] == ["req-create-1"]
    assert query_of(rsps.calls[1])["requestid"] == ["req-update-1"]
    assert json.loads(rsps.calls[1].request.body) == {"Id": "1", "SyncToken": "0", "Notes": "n", "sparse": True}
    assert client.calls_by_kind["write"] == 2
    with pytest.raises(ValueError):
        client.create("Customer", {"DisplayName": "A"}, "")
    with pytest.raises(ValueError):
        client.create("Customer", {"DisplayName": "A"}, "r" * 51)
    with pytest.raises(ValueError):
        client.update("Customer", {"Id": "1"}, "r")
    assert len(rsps.calls) == 2


def test_401_refreshes_once_retries_and_reports_rotated_tokens(rsps):
    expired = {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                    "detail": "Token expired: access-1", "code": "3200"}], "type": "AUTHENTICATION"}}
    rsps.add(responses.GET, f"{API}/customer/1", json=expired, status=401)
    rsps.add(responses.GET, f"{API}/customer/1", json={"Customer": {"Id": "1"}, "time": "2026-01-31T04:00:00Z"})
    rsps.add(responses.POST, TOKEN_URL, json={"token_type": "bearer", "access_token": "access-2",
                                              "refresh_token": "rt-2", "expires_in": 3600})
    seen: list[dict] = []
    client = qbo(on_tokens=seen.append)
    assert client.get("Customer", "1") == {"Id": "1"}
    assert seen == [{"access_token": "access-2", "refresh_token": "rt-2", "expires_in": 3600}]
    assert client.refresh_token == "rt-2" and client.access_token == "access-2"
    token_call = rsps.calls[1].request
    assert token_call.url == TOKEN_URL
    assert parse_qs(token_call.body) == {"grant_type": ["refresh_token"], "refresh_token": ["rt-1"]}
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:secret").decode()
    assert rsps.calls[2].request.headers["Authorization"] == "Bearer access-2"
    assert client.calls == 3 and client.calls_by_kind == {"read": 2, "token": 1}


def test_missing_access_token_refreshes_first_and_expiry_refreshes_again(rsps):
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": "a-2", "refresh_token": "rt-2", "expires_in": 3600})
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": "a-3", "refresh_token": "rt-3", "expires_in": 3600})
    rsps.add(responses.GET, f"{API}/customer/1", json={"Customer": {"Id": "1"}})
    clock = FakeClock()
    client = qbo(clock, access_token=None)
    client.get("Customer", "1")
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer a-2"
    clock.t += timedelta(seconds=3590)  # within the refresh margin: renewed before the call, no 401 needed
    client.get("Customer", "1")
    assert parse_qs(rsps.calls[2].request.body)["refresh_token"] == ["rt-2"]
    assert rsps.calls[3].request.headers["Authorization"] == "Bearer a-3"


def test_invalid_grant_raises(rsps):
    rsps.add(responses.GET, f"{API}/customer/1", json={"fault": {"error": [{"code": "3200"}]}}, status=401)
    rsps.add(responses.POST, TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    client = qbo()
    with pytest.raises(QuickBooksError) as info:
        client.get("Customer", "1")
    assert info.value.status == 400 and info.value.code == "invalid_grant" and info.value.system == "quickbooks"
    assert len(rsps.calls) == 2  # no retry loop on a dead refresh token


def test_401_after_a_refresh_is_not_refreshed_again(rsps):
    xml = ('<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault '
           'type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message><Detail>'
           'AuthenticationErrorGeneral</Detail></Error></Fault></IntuitResponse>')
    rsps.add(responses.GET, f"{API}/customer/1", body=xml, status=401, content_type="application/xml")
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": "a-2", "refresh_token": "rt-2", "expires_in": 3600})
    client = qbo()
    with pytest.raises(QuickBooksError) as info:
        client.get("Customer", "1")
    err = info.value
    assert err.status == 401 and err.code == "100" and err.message == "General Authentication Error"
    assert err.fault_type == "AuthenticationFault"
    assert client.calls_by_kind == {"read": 2, "token": 1}


@pytest.mark.parametrize("header, expected", [({"Retry-After": "7"}, 7.0), ({}, 60.0)])
def test_qbo_429_sleeps_retry_after_or_a_minute(rsps, header, expected):
    status, _, body = fault("3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429", status=429)
    rsps.add(responses.GET, f"{API}/customer/1", body=body, status=429, headers=header)
    rsps.add(responses.GET, f"{API}/customer/1", json={"Customer": {"Id": "1"}})
    clock = FakeClock()
    client = qbo(clock)
    assert client.get("Customer", "1") == {"Id": "1"}
    assert clock.sleeps == [expected]
    assert client.calls == 2 and client.calls_by_kind["read"] == 2 and client.retries == 1


def test_429_gives_up_after_max_retries(rsps):
    _, _, body = fault("3001", status=429)
    rsps.add(responses.GET, f"{API}/customer/1", body=body, status=429)
    clock = FakeClock()
    client = qbo(clock)
    with pytest.raises(QuickBooksError) as info:
        client.get("Customer", "1")
    assert info.value.status == 429 and info.value.code == "3001"
    assert client.calls == 9 and clock.sleeps == [60.0] * 8


def test_5xx_on_a_query_is_retried_with_backoff(rsps):
    _, _, body = fault("10000", status=503)
    rsps.add(responses.GET, f"{API}/query", body=body, status=503)
    rsps.add(responses.GET, f"{API}/query", body=body, status=503)
    rsps.add(responses.GET, f"{API}/query", json={"QueryResponse": {"Customer": [{"Id": "1"}]}})
    clock = FakeClock()
    client = qbo(clock)
    assert [c["Id"] for c in client.query("SELECT * FROM Customer")] == ["1"]
    assert clock.sleeps == [1.0, 2.0] and client.calls == 3


def test_5xx_backoff_is_capped_and_bounded(rsps):
    _, _, body = fault("10000", status=500)
    rsps.add(responses.GET, f"{API}/query", body=body, status=500)
    clock = FakeClock()
    client = qbo(clock)
    with pytest.raises(QuickBooksError) as info:
        list(client.query("SELECT * FROM Customer"))
    assert info.value.status == 500 and info.value.code == "10000"
    assert clock.sleeps == [1, 2, 4, 8, 16, 32, 60, 60] and client.calls == 9


def test_5xx_on_a_requestid_write_is_retried(rsps):
    _, _, body = fault("10000", status=502)
    rsps.add(responses.POST, f"{API}/invoice", body=body, status=502)
    rsps.add(responses.POST, f"{API}/invoice", json={"Invoice": {"Id": "3"}})
    clock = FakeClock()
    client = qbo(clock)
    assert client.create("Invoice", {"Line": []}, "inv-1") == {"Id": "3"}
    assert client.calls == 2 and clock.sleeps == [1.0]
    assert [query_of(c)["requestid"] for c in rsps.calls] == [["inv-1"], ["inv-1"]]  # the same id both times


def test_connection_error_on_a_query_is_retried(rsps):
    rsps.add(responses.GET, f"{API}/query", body=requests.ConnectionError("reset"))
    rsps.add(responses.GET, f"{API}/query", body=requests.ReadTimeout("slow"))
    rsps.add(responses.GET, f"{API}/query", json={"QueryResponse": {}})
    clock = FakeClock()
    client = qbo(clock)
    assert list(client.query("SELECT * FROM Customer")) == []
    assert client.calls == 3 and clock.sleeps == [1.0, 2.0]


def test_4xx_raises_at_once_with_the_fault(rsps):
    _, _, body = fault("5010", "Stale Object Error", "Stale Object Error : You and API API were working on this")
    rsps.add(responses.POST, f"{API}/customer", body=body, status=400)
    clock = FakeClock()
    client = qbo(clock)
    with pytest.raises(QuickBooksError) as info:
        client.update("Customer", {"Id": "1", "SyncToken": "0"}, "u-1")
    err = info.value
    assert (err.status, err.code, err.message) == (400, "5010", "Stale Object Error")
    assert err.detail.startswith("Stale Object Error :") and err.errors[0]["code"] == "5010"
    assert client.calls == 1 and clock.sleeps == []


def test_an_attempt_keeps_the_session_defaults_and_the_environment_and_no_cookie_redirect_or_netrc(
        rsps, tmp_path, monkeypatch):
    """Each attempt goes straight to the session's transport: its default headers and the environment's proxy
    still apply; a cookie an answer set is never sent back, a redirect is an answer (a POST is not repeated as a
    GET elsewhere), and a ~/.netrc entry for the host does not replace the bearer token."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine qbo.test login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    rsps.add(responses.GET, f"{API}/customer/1", json={"Customer": {"Id": "1"}}, headers={"Set-Cookie": "s=1; Path=/"})
    rsps.add(responses.POST, f"{API}/customer", status=302, headers={"Location": f"{QBO}/elsewhere"})
    client = qbo()
    for _ in range(2):
        client.request("GET", f"{API}/customer/1", kind="read", safe=True)
    with pytest.raises(QuickBooksError) as info:
        client.request("POST", f"{API}/customer", kind="write", safe=False, json={"DisplayName": "Ada"})
    assert info.value.status == 302 and len(rsps.calls) == 3  # not followed
    for call in rsps.calls:
        sent = call.request
        assert sent.headers["Authorization"] == "Bearer access-1"
        assert sent.headers["User-Agent"].startswith("python-requests/") and "Cookie" not in sent.headers
        assert sent.req_kwargs["proxies"].get("https") == "http://proxy.test:3128"


def test_qbo_pacer_keeps_ten_a_second():
    clock = FakeClock()
    client = QuickBooksClient(QBO, REALM, client_id="c", client_secret="s", refresh_token="r", access_token="a",
                              clock=clock)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/customer/1", json={"Customer": {"Id": "1"}})
        for _ in range(21):
            client.get("Customer", "1")
    assert 2.0 <= sum(clock.sleeps) < 2.1
    assert client.calls == 21


# -- HubSpot -------------------------------------------------------------------------------------

def test_hubspot_search_follows_paging(rsps):
    bodies = [
        {"total": 3, "results": [{"id": "1"}, {"id": "2"}], "paging": {"next": {"after": "2"}}},
        {"total": 3, "results": [{"id": "3"}]},
    ]
    for body in bodies:
        rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/search", json=body)
    client = hubspot()
    groups = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}]
    out = list(client.search("contacts", filter_groups=groups, properties=["email"], limit=2,
                             sorts=[{"propertyName": "createdate", "direction": "ASCENDING"}]))
    assert [r["id"] for r in out] == ["1", "2", "3"]
    sent = [json.loads(c.request.body) for c in rsps.calls]
    assert sent[0] == {"filterGroups": groups, "properties": ["email"], "limit": 2,
                       "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}]}
    assert sent[1]["after"] == "2"
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer pat-1"
    assert client.calls_by_kind["search"] == 2


class FakeSearchIndex:
    """Enough of HubSpot search for windowing: GTE/GT/EQ filters, one sort, the 10,000-result window."""

    TESTS = {"GTE": lambda a, b: a >= b, "GT": lambda a, b: a > b, "EQ": lambda a, b: a == b}

    def __init__(self, records: list[tuple[str, int]]) -> None:
        self.by_time = sorted(records, key=lambda r: (r[1], int(r[0])))  # (id, modified ms), ties by id
        self.times = [r[1] for r in self.by_time]
        self.calls = 0

    @staticmethod
    def iso(ms: int) -> str:
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"

    def __call__(self, request):
        self.calls += 1
        body = json.loads(request.body)
        after, limit = int(body.get("after") or 0), body["limit"]
        if after + limit > 10_000:
            return 400, {}, json.dumps({"status": "error", "category": "VALIDATION_ERROR", "message": "window"})
        rows = self.by_time
        for group in body["filterGroups"]:
            for f in group["filters"]:
                value, op = int(f["value"]), f["operator"]
                if f["propertyName"] == "hs_object_id":
                    rows = [r for r in rows if self.TESTS[op](int(r[0]), value)]
                elif rows is self.by_time:  # the time-sorted list: cut it with bisect
                    lo = bisect.bisect_left(self.times, value) if op in ("GTE", "EQ") else \
                        bisect.bisect_right(self.times, value)
                    hi = bisect.bisect_right(self.times, value) if op == "EQ" else len(rows)
                    rows = rows[lo:hi]
                else:
                    rows = [r for r in rows if self.TESTS[op](r[1], value)]
        if body["sorts"][0]["propertyName"] == "hs_object_id":
            rows = sorted(rows, key=lambda r: int(r[0]))
        page = rows[after:after + limit]
        out = {"total": len(rows), "results": [
            {"id": rid, "properties": {"hs_lastmodifieddate": self.iso(ms), "hs_object_id": rid}} for rid, ms in page]}
        if after + len(page) < len(rows):
            out["paging"] = {"next": {"after": str(after + len(page))}}
        return 200, {}, json.dumps(out)


def test_search_modified_since_reads_past_the_10k_window_once_each(rsps):
    base = ms_epoch(datetime(2026, 1, 1, tzinfo=UTC))
    # 25,000 records on 3,000 timestamps (about eight a timestamp), ids unrelated to time
    records = [(str(i), base + ((i * 7919) % 3000) * 1000) for i in range(1, 25_001)]
    index = FakeSearchIndex(records)
    rsps.add_callback(responses.POST, f"{HS}/crm/v3/objects/products/search", callback=index)
    client = hubspot()
    ids = [r["id"] for r in client.search_modified_since("products", "hs_lastmodifieddate", None, ["name"])]
    assert len(ids) == 25_000 and set(ids) == {r[0] for r in records}
    stamps = [parse_when(r[1]) for r in sorted(records, key=lambda r: r[1])]
    assert stamps == sorted(stamps)
    assert index.calls >= 125  # 200 a page, plus the overlap of each new window
    assert client.calls_by_kind["search"] == index.calls

    since = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=1500)
    later = list(client.search_modified_since("products", "hs_lastmodifieddate", since, ["name"]))
    expected = {rid for rid, ms in records if ms >= base + 1_500_000}
    assert len(later) == len(expected) and {r["id"] for r in later} == expected
    sent = json.loads(rsps.calls[-1].request.body)
    assert sent["properties"] == ["name", "hs_lastmodifieddate"]
    assert sent["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]


def test_search_modified_since_survives_more_than_10k_on_one_timestamp(rsps):
    base = ms_epoch(datetime(2026, 1, 1, tzinfo=UTC))
    records = [(str(i), base) for i in range(1, 12_001)] + [(str(i), base + 5) for i in range(12_001, 12_301)]
    records += [(str(i), base - 5) for i in range(12_301, 12_400)]
    index = FakeSearchIndex(records)
    rsps.add_callback(responses.POST, f"{HS}/crm/v3/objects/contacts/search", callback=index)
    ids = [r["id"] for r in hubspot().search_modified_since("contacts", "hs_lastmodifieddate", None, [])]
    assert len(ids) == len(records) and set(ids) == {r[0] for r in records}


def test_plain_search_past_the_window_raises(rsps):
    records = [(str(i), i) for i in range(1, 10_101)]
    rsps.add_callback(responses.POST, f"{HS}/crm/v3/objects/deals/search", callback=FakeSearchIndex(records))
    got = []
    with pytest.raises(SearchWindowError):
        for r in hubspot().search("deals", filter_groups=[], properties=[],
                                  sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]):
            got.append(r)
    assert len(got) == 10_000


def test_batch_create_207_keeps_results_and_errors(rsps):
    body = {"status": "COMPLETE", "results": [{"id": "11", "properties": {"email": "a@x.com"}}], "numErrors": 1,
            "errors": [{"status": "error", "category": "CONFLICT", "message": "Contact already exists. Existing ID: 4",
                        "context": {"objectWriteTraceId": ["t-2"]}}]}
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/create", json=body, status=207)
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/create", json={"status": "COMPLETE",
             "results": [{"id": str(i)} for i in range(100, 150)]}, status=201)
    inputs = [{"properties": {"email": f"{i}@x.com"}, "objectWriteTraceId": f"t-{i}"} for i in range(150)]
    client = hubspot()
    out = client.batch_create("contacts", inputs)
    assert isinstance(out, BatchResult) and len(out.results) == 51
    assert out.errors[0]["context"]["objectWriteTraceId"] == ["t-2"] and out.errors[0]["category"] == "CONFLICT"
    assert [len(json.loads(c.request.body)["inputs"]) for c in rsps.calls] == [100, 50]
    assert client.calls_by_kind["batch"] == 2


def test_batch_create_400_fails_with_partial_results(rsps):
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/create", json={"results": [{"id": "1"}]},
             status=201)
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/create", status=400, json={
        "status": "error", "category": "VALIDATION_ERROR", "message": "Property values were not valid",
        "correlationId": "c-1", "context": {"email": ["bad"]}})
    with pytest.raises(HubSpotError) as info:
        hubspot().batch_create("contacts", [{"properties": {"email": f"{i}@x.com"}} for i in range(101)])
    err = info.value
    assert (err.status, err.category, err.context, err.correlation_id) == (400, "VALIDATION_ERROR",
                                                                           {"email": ["bad"]}, "c-1")
    assert err.partial is not None and err.partial.results == [{"id": "1"}]


def test_batch_read_207_returns_found_records(rsps):
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/products/batch/read", status=207, json={
        "status": "COMPLETE", "results": [{"id": "1", "properties": {"name": "A"}}], "numErrors": 1,
        "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": ["2"]}}]})
    client = hubspot()
    out = client.batch_read("products", ["1", "2"], ["name"], id_property="hs_sku")
    assert out == [{"id": "1", "properties": {"name": "A"}}]
    assert json.loads(rsps.calls[0].request.body) == {"inputs": [{"id": "1"}, {"id": "2"}], "properties": ["name"],
                                                      "idProperty": "hs_sku"}


def test_batch_upsert_sets_id_property_and_is_retried(rsps):
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/upsert", status=502, body="bad gateway")
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/batch/upsert", json={"results": [{"id": "1"}]})
    clock = FakeClock()
    client = hubspot(clock)
    out = client.batch_upsert("contacts", [{"id": "a@x.com", "properties": {"firstname": "A"}}], "email")
    assert out.results == [{"id": "1"}] and out.errors == []
    assert json.loads(rsps.calls[1].request.body) == {
        "inputs": [{"id": "a@x.com", "properties": {"firstname": "A"}, "idProperty": "email"}]}
    assert client.calls == 2 and clock.sleeps == [1.0]


def test_plain_create_is_not_repeated_after_5xx_or_a_lost_connection(rsps):
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts", status=503, json={
        "status": "error", "category": "SERVICE_UNAVAILABLE", "message": "Service temporarily unavailable"})
    clock = FakeClock()
    client = hubspot(clock)
    with pytest.raises(HubSpotError) as info:
        client.create("contacts", {"email": "a@x.com"})
    assert info.value.status == 503 and info.value.category == "SERVICE_UNAVAILABLE"
    assert client.calls == 1 and clock.sleeps == []

    rsps.replace(responses.POST, f"{HS}/crm/v3/objects/contacts", body=requests.ConnectionError("reset"))
    with pytest.raises(requests.ConnectionError):
        client.create("contacts", {"email": "a@x.com"})
    assert client.calls == 2 and clock.sleeps == []

    rsps.add(responses.PATCH, f"{HS}/crm/v3/objects/contacts/5", body=requests.ReadTimeout("slow"))
    with pytest.raises(requests.Timeout):
        client.update("contacts", "5", {"firstname": "B"})
    assert client.calls == 3


def test_get_404_and_hubspot_429s(rsps):
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/9", status=404, json={
        "status": "error", "message": "Object not found.  objectId are usually numeric.", "correlationId": "x",
        "context": {"id": ["9"]}, "category": "OBJECT_NOT_FOUND"})
    clock = FakeClock()
    client = hubspot(clock)
    with pytest.raises(HubSpotError) as info:
        client.get("contacts", "9", ["email"])
    assert info.value.status == 404 and info.value.category == "OBJECT_NOT_FOUND"

    limited = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
               "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/1", status=429, json=limited,
             headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/1", status=429, json=limited, headers={"Retry-After": "3"})
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/1", status=429, json=limited)
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/1", json={"id": "1"})
    assert client.get("contacts", "1", []) == {"id": "1"}
    assert clock.sleeps == [10.0, 3.0, 10.0]

    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/search", status=429,
             json={"status": "error", "message": "You have reached your secondly limit.", "policyName": "SECONDLY"})
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/search", json={"total": 0, "results": []})
    assert list(client.search("contacts", filter_groups=[], properties=[])) == []
    assert clock.sleeps[-1] == 1.0

    rsps.add(responses.GET, f"{HS}/crm/v3/objects/contacts/2", status=429,
             json={**limited, "policyName": "DAILY", "message": "You have reached your daily limit."})
    before = client.calls
    with pytest.raises(HubSpotError) as info:
        client.get("contacts", "2", [])
    assert info.value.status == 429 and info.value.policy == "DAILY" and client.calls == before + 1


def test_oauth_refresh_on_expired_authentication(rsps):
    expired = {"status": "error", "message": "The OAuth token used to make this call expired 1 second(s) ago.",
               "correlationId": "c", "category": "EXPIRED_AUTHENTICATION"}
    rsps.add(responses.POST, f"{HS}/oauth/v1/token", json={"token_type": "bearer", "access_token": "oa-1",
                                                            "refresh_token": "hs-rt", "expires_in": 1800})
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/deals/1", status=401, json=expired)
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/deals/1", json={"id": "1"})
    seen: list[dict] = []
    clock = FakeClock()
    client = hubspot(clock, refresh_token="hs-rt", client_id="app", client_secret="sh", on_tokens=seen.append)
    assert client.get("deals", "1", []) == {"id": "1"}
    assert client.calls_by_kind == {"token": 2, "read": 2}  # one to start, one after the 401
    assert parse_qs(rsps.calls[0].request.body) == {"grant_type": ["refresh_token"], "refresh_token": ["hs-rt"],
                                                    "client_id": ["app"], "client_secret": ["sh"]}
    assert len(seen) == 2 and seen[0]["refresh_token"] == "hs-rt"

    clock.t += timedelta(seconds=1790)  # near the 30-minute expiry: renewed before the call
    client.get("deals", "1", [])
    assert client.calls_by_kind["token"] == 3

    rsps.add(responses.GET, f"{HS}/crm/v3/objects/deals/2", status=401, json={**expired,
                                                                            "category": "INVALID_AUTHENTICATION"})
    with pytest.raises(HubSpotError) as info:
        client.get("deals", "2", [])
    assert info.value.category == "INVALID_AUTHENTICATION" and client.calls_by_kind["token"] == 3


def test_private_app_token_never_refreshes(rsps):
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/deals/1", status=401, json={
        "status": "error", "message": "expired", "category": "EXPIRED_AUTHENTICATION"})
    client = hubspot()
    with pytest.raises(HubSpotError):
        client.get("deals", "1", [])
    assert client.calls == 1
    with pytest.raises(ValueError):
        HubSpotClient(HS)


def test_search_pacer_holds_five_a_second(rsps):
    rsps.add(responses.POST, f"{HS}/crm/v3/objects/contacts/search", json={"total": 0, "results": []})
    clock = FakeClock()
    client = hubspot(clock, pace=True)
    for _ in range(11):
        assert list(client.search("contacts", filter_groups=[], properties=[])) == []
    assert sum(clock.sleeps) >= 2.0 and sum(clock.sleeps) < 2.1
    assert client.calls_by_kind["search"] == 11


def test_rate_limit_headers_hold_the_next_call(rsps):
    headers = {"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
               "Date": "Sat, 31 Jan 2026 12:00:05 GMT"}
    rsps.add(responses.GET, f"{HS}/crm/v3/properties/contacts", json={"results": [{"name": "email"}]},
             headers=headers)
    rsps.add(responses.GET, f"{HS}/crm/v3/properties/contacts", json={"results": []},
             headers={"X-HubSpot-RateLimit-Remaining": "50"})
    clock = FakeClock()
    client = hubspot(clock, pace=True)
    assert client.properties("contacts") == [{"name": "email"}]
    assert client.server_time == datetime(2026, 1, 31, 12, 0, 5, tzinfo=UTC)
    assert clock.sleeps == []
    client.properties("contacts")
    assert clock.sleeps == [10.0]
    client.properties("contacts")
    assert clock.sleeps == [10.0]  # remaining 50: no more holding


def test_list_and_associations_follow_paging(rsps):
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/companies", json={
        "results": [{"id": "1"}], "paging": {"next": {"after": "2", "link": "?after=2"}}})
    rsps.add(responses.GET, f"{HS}/crm/v3/objects/companies", json={"results": [{"id": "2"}]})
    client = hubspot()
    assert [r["id"] for r in client.list("companies", ["name", "domain"])] == ["1", "2"]
    assert query_of(rsps.calls[0]) == {"limit": ["100"], "properties": ["name,domain"], "archived": ["false"]}
    assert query_of(rsps.calls[1])["after"] == ["2"]

    url = f"{HS}/crm/v4/associations/contacts/companies/batch/read"
    t = [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}]
    rsps.add(responses.POST, url, status=207, json={"results": [
        {"from": {"id": "1"}, "to": [{"toObjectId": 5, "associationTypes": t}], "paging": {"next": {"after": "1"}}},
        {"from": {"id": "2"}, "to": []}], "errors": [{"category": "OBJECT_NOT_FOUND", "context": {"ids": ["3"]}}]})
    rsps.add(responses.POST, url, json={"results": [{"from": {"id": "1"},
                                                     "to": [{"toObjectId": 6, "associationTypes": t}]}]})
    out = client.associations("contacts", "companies", ["1", "2", "3"])
    assert out == {"1": [{"toObjectId": 5, "associationTypes": t}, {"toObjectId": 6, "associationTypes": t}],
                   "2": []}
    assert json.loads(rsps.calls[3].request.body) == {"inputs": [{"id": "1", "after": "1"}]}
    assert client.calls_by_kind["associations"] == 2


def test_associations_chunks_by_1000(rsps):
    url = f"{HS}/crm/v4/associations/deals/line_items/batch/read"
    rsps.add(responses.POST, url, json={"results": []})
    hubspot().associations("deals", "line_items", [str(i) for i in range(2500)])
    assert [len(json.loads(c.request.body)["inputs"]) for c in rsps.calls] == [1000, 1000, 500]


# -- shared pieces ---------------------------------------------------------------------------------

def test_pacer_windows():
    clock = FakeClock()
    assert Pacer(clock, []).wait() == 0.0
    pacer = Pacer(clock, [(2, 1.0), (3, 10.0)])
    for _ in range(4):
        pacer.wait()
    # 2 at t0, the third after 1 s, the fourth must wait until the first leaves the 10-second window
    assert clock.now() - START >= timedelta(seconds=10)
    assert clock.now() - START < timedelta(seconds=10.01)


def test_parsing_helpers():
    assert retry_after("5") == 5.0 and retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Sat, 31 Jan 2026 12:00:30 GMT", START) == 30.0
    assert parse_when("2026-01-31T12:00:00.123Z") == datetime(2026, 1, 31, 12, 0, 0, 123_000, tzinfo=UTC)
    assert parse_when("1769860800123") == parse_when("2026-01-31T12:00:00.123Z")
    assert ms_epoch(parse_when("2026-01-31T12:00:00.123Z")) == 1769860800123
    assert parse_when("2026-01-31T04:00:00.000-08:00") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_when("") is None and parse_when("not a date") is None


def test_a_host_that_never_answered_and_refuses_connections_fails_within_two_retries() -> None:
    """A wrong base URL or nothing running there: two short back-offs, not eight that take minutes; a host that
    answered once gets the full patience for a refused connection (a restart, a blip)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens on it
    clock = FakeClock()
    client = QuickBooksClient(f"http://127.0.0.1:{port}", REALM, client_id="cid", client_secret="secret",
                              refresh_token="rt-1", access_token="access-1", clock=clock, pace=False)
    with pytest.raises(requests.ConnectionError):
        list(client.query("SELECT * FROM Customer"))
    assert client.calls == 3 and clock.sleeps == [1.0, 2.0]
    client.answered = True
    clock.sleeps.clear()
    with pytest.raises(requests.ConnectionError):
        list(client.query("SELECT * FROM Customer"))
    assert len(clock.sleeps) == client.max_retries
