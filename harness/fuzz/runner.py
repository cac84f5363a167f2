"""Hypothesis over the HTTP surface: each example is one request, sent through the Flask app (the whole
pipeline: auth, limits, handler, journal) without sockets.

Per target it counts requests sent, answers by status, 5xx answers ("server errors") and refused requests
(4xx) after which the store's fingerprint differs from before ("state changes"). Both must be 0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from simulators.sims import Simulators

# JSON tokens no JSON library writes but a hostile client can: placed where a value goes
RAW_TOKENS = ["1e100000", "1E+999999", "-1e400", "1e-400", "-0", "123456789012345678901234567890123456789",
              "9" * 5000, "2147483648", "9223372036854775808", "99999999999999999999.99", "NaN", "Infinity",
              "[" * 1000 + "]" * 1000, '{"a":' * 700 + "1" + "}" * 700]
RAW_BODIES = [b"", b"{", b"\xff\xfe\x00{", b'{"DisplayName": "\xe9t\xe9"}', b"[" * 100_000, b"null", b"[]", b"7",
              b'"x"', b"\x00" * 10, b'{"a": 1e100000}', b'{"properties": {"amount": 1E+999999}}']
ENTITIES = ["customer", "invoice", "item", "payment", "vendor", "estimate", "salesreceipt", "creditmemo", "account",
            "employee", "preferences", "term", "bill", "nosuchthing", "Customer", "INVOICE"]
HS_TYPES = ["contacts", "companies", "deals", "products", "line_items", "invoices", "0-1", "0-3", "nosuch"]
LINE = {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"},
                                                                                    "Qty": 1, "UnitPrice": 10}}
QBO_BODIES: dict[str, dict[str, Any]] = {
    "customer": {"DisplayName": "Fuzz", "PrimaryEmailAddr": {"Address": "a@b.co"}, "CompanyName": "F"},
    "invoice": {"CustomerRef": {"value": "1"}, "Line": [LINE], "DocNumber": "1001", "TxnDate": "2026-01-01"},
    "item": {"Name": "Thing", "Type": "Service", "IncomeAccountRef": {"value": "1"}, "UnitPrice": 10, "Sku": "S1"},
    "payment": {"CustomerRef": {"value": "1"}, "TotalAmt": 5, "Line": [{"Amount": 5, "LinkedTxn": [
        {"TxnId": "1", "TxnType": "Invoice"}]}]},
    "update": {"Id": "1", "SyncToken": "0", "sparse": True, "DisplayName": "Renamed"},
    "preferences": {"SyncToken": "0", "SalesFormsPrefs": {"CustomTxnNumbers": True}},
}
HS_PROPERTIES = {"email": "f@z.io", "firstname": "F", "amount": "10.5", "price": "3", "quantity": "2",
                 "name": "N", "hs_sku": "S", "dealstage": "appointmentscheduled", "closedate": "2026-01-01"}


@dataclass
class Report:
    target: str
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: int = 0
    state_changes: int = 0
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        top = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (f"fuzz {self.target}: requests sent {self.sent}, 5xx seen {self.server_errors}, "
                f"state changes by refused requests {self.state_changes} ({top})")


@dataclass
class Call:
    method: str
    path: str
    query: dict = field(default_factory=dict)
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    form: dict | None = None

    def describe(self) -> str:
        body = (self.body or b"")[:120]
        return f"{self.method} {self.path} {self.query} {body!r}{' form ' + str(self.form) if self.form else ''}"


# -- values ---------------------------------------------------------------------------------------------------

class _Raw(str):
    """A placeholder for one of :data:`RAW_TOKENS`, spliced into the JSON text unquoted."""


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["", " ", "x" * 5000, "\x00", "é€😀", "' OR 1=1 --", "1e100000", "1E+999999", "-1",
                     "2147483648", "99999999999999999999.99", "2026-02-30", "not-a-date", "true", "null"]),
    st.sampled_from(RAW_TOKENS).map(_Raw),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=8)


def dumps(value: Any) -> bytes:
    """``value`` as JSON text, with :class:`_Raw` placeholders written unquoted."""
    raws: list[str] = []

    def mark(v: Any) -> Any:
        if isinstance(v, _Raw):
            raws.append(str(v))
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {str(k): mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        return v

    text = json.dumps(mark(value))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one place changed: a value replaced by a hostile one, a key dropped or added."""
    base = json.loads(json.dumps(base))
    if not isinstance(base, dict | list) or not base:
        return draw(values)
    node = base
    for _ in range(draw(st.integers(0, 3))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        child = node[draw(st.sampled_from(keys))] if keys else None
        if not isinstance(child, dict | list) or not child:
            break
        node = child
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add"]))
    if action == "replace" and keys:
        node[draw(st.sampled_from(keys))] = draw(values)
    elif action == "drop" and keys:
        del node[draw(st.sampled_from(keys))]
    elif isinstance(node, dict):
        node[draw(st.text(max_size=10))] = draw(values)
    else:
        node.append(draw(values))
    return base


@st.composite
def body_of(draw: st.DrawFn, base: Any) -> bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "mutated", "random", "raw"]))
    if kind == "raw":
        return draw(st.sampled_from(RAW_BODIES))
    return dumps(draw(mutated(base)) if kind == "mutated" else draw(values))


ids = st.one_of(st.integers(-5, 50).map(str), st.sampled_from(["0", "abc", "1.5", "99999999999999999999", "-1",
                                                                "1e5", "%00", "1;DROP"]), st.text(max_size=8))
# an id as a path segment, percent-encoded as any HTTP client sends it ("?" or "#" raw would end the path), plus
# escapes that decode to what a client cannot put in a path as it is
path_ids = st.one_of(ids.map(lambda s: quote(s, safe="")), st.sampled_from(["%00", "%FF", "%C3%28", "..", "%2F"]))


# -- targets ---------------------------------------------------------------------------------------------------

class World:
    """A fresh pair of simulators with a company and a portal, and the clients to call them."""

    def __init__(self) -> None:
        self.sims = Simulators()
        self.sims.runtime.limits.enabled = False
        self.qbo = self.sims.quickbooks.test_client()
        self.hubspot = self.sims.hubspot.test_client()
        self.company = self._tenant(self.qbo, {"country": "US", "seed": "empty"})
        self.portal = self._tenant(self.hubspot, {"seed": "empty"})
        auth = {"Authorization": f"Bearer {self.company['accessToken']}"}
        self.qbo.post(f"/v3/company/{self.company['realmId']}/customer", json={"DisplayName": "Base"}, headers=auth)

    @staticmethod
    def _tenant(client: Any, options: dict) -> dict:
        r = client.post("/_sim/tenants", json=options)
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()


def _mostly(draw: st.DrawFn, usual: str, others: list[str]) -> str:
    """``usual`` nine times in ten, else one of ``others`` (hostile credentials get their share, not more)."""
    return usual if draw(st.integers(0, 9)) else draw(st.sampled_from(others))


@st.composite
def qbo_calls(draw: st.DrawFn, w: World) -> tuple[str, Call]:
    realm = _mostly(draw, w.company["realmId"], ["123", str(w.portal["portalId"])])
    token = _mostly(draw, w.company["accessToken"], ["short", w.portal["accessToken"], "x" * 5000])
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"}
    base = f"/v3/company/{realm}"
    kind = draw(st.sampled_from(["write"] * 5 + ["read", "query", "query", "batch", "cdc", "token", "revoke"]))
    if kind == "write":
        entity = draw(st.sampled_from(ENTITIES))
        template = QBO_BODIES.get(entity.lower(), draw(st.sampled_from(list(QBO_BODIES.values()))))
        if draw(st.booleans()):
            template = {**template, **QBO_BODIES["update"]}
        query = {"minorversion": draw(st.sampled_from(["75", "4", "abc"]))}
        if draw(st.booleans()):
            query["operation"] = draw(st.sampled_from(["update", "delete", "void", "create", "x", ""]))
        if draw(st.booleans()):
            query["requestid"] = draw(st.text(max_size=50))
        if draw(st.booleans()):
            query["include"] = draw(st.sampled_from(["void", "allowduplicatedocnum", "x,y", ""]))
        return "qbo", Call("POST", f"{base}/{entity}", query, draw(body_of(template)), headers)
    if kind == "read":
        return "qbo", Call("GET", f"{base}/{draw(st.sampled_from(ENTITIES))}/{draw(path_ids)}", {}, None, headers)
    if kind == "query":
        entity = draw(st.sampled_from(["Customer", "Invoice", "Item", "Payment", "Nope"]))
        start = draw(st.one_of(st.integers(-5, 10**20), st.sampled_from(["x", "1e9", "99999999999999999999"])))
        size = draw(st.one_of(st.integers(-5, 10**20), st.just("abc")))
        where = draw(st.sampled_from(["", " WHERE Id = '1'", " WHERE DocNumber = '99999999999'",
                                      " WHERE Id IN ('1', '99999999999999999999')", " WHERE Balance > '1e100000'",
                                      " WHERE DisplayName LIKE '%" + "a" * 3000 + "%'", " WHERE Id = 1e400",
                                      " WHERE MetaData.LastUpdatedTime > '9999-99-99'"]))
        statement = draw(st.one_of(st.just(f"SELECT * FROM {entity}{where} STARTPOSITION {start} MAXRESULTS {size}"),
                                   st.text(max_size=60)))
        if draw(st.booleans()):
            return "qbo", Call("GET", f"{base}/query", {"query": statement}, None, headers)
        body = statement.encode("utf-8", "surrogatepass") if draw(st.booleans()) else b"\xff\xfe SELECT"
        return "qbo", Call("POST", f"{base}/query", {}, body, {**headers, "Content-Type": "application/text"})
    if kind == "batch":
        items = [{"bId": str(i), "operation": "create", "Customer": {"DisplayName": f"B{i}"}} for i in range(2)]
        items.append({"bId": "q", "Query": "SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 5"})
        query = {"requestid": draw(st.text(max_size=20))} if draw(st.booleans()) else {}
        return "qbo", Call("POST", f"{base}/batch", query, draw(body_of({"BatchItemRequest": items})), headers)
    if kind == "cdc":
        return "qbo", Call("GET", f"{base}/cdc", {"entities": draw(st.sampled_from(["Customer", "", "x,Invoice"])),
                                                  "changedSince": draw(st.sampled_from(
                                                      ["2026-01-01T00:00:00Z", "x", "99999-01-01", "-1"]))},
                           None, headers)
    form = {k: draw(st.one_of(st.text(max_size=20), st.sampled_from([w.company["refreshToken"], "\x00", "é"])))
            for k in draw(st.lists(st.sampled_from(["grant_type", "refresh_token", "code", "client_id",
                                                    "client_secret", "redirect_uri", "token"]), max_size=5))}
    basic = draw(st.sampled_from([f"{w.company['clientId']}:{w.company['clientSecret']}", "x:y", "\u00e9:\u00e9",
                                  "nocolon"]))
    auth = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()} if draw(st.booleans()) else {}
    if kind == "token":
        return "qbo", Call("POST", "/oauth2/v1/tokens/bearer", {}, None, auth, form)
    return "qbo", Call("POST", "/v2/oauth2/tokens/revoke", {}, draw(body_of({"token": "RT1-x"})),
                       {**auth, "Content-Type": "application/json"})


@st.composite
def hubspot_calls(draw: st.DrawFn, w: World) -> tuple[str, Call]:
    token = _mostly(draw, w.portal["accessToken"], [w.company["accessToken"], "bad"])
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    otype = draw(st.sampled_from(HS_TYPES))
    base = f"/crm/v3/objects/{otype}"
    kind = draw(st.sampled_from(["create", "create", "update", "read", "list", "batch", "batch", "search",
                                 "search", "properties", "groups", "assoc", "webhooks", "token"]))
    props = {"properties": HS_PROPERTIES, "associations": [{"to": {"id": "1"}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]}
    query: dict = {}
    if draw(st.booleans()):
        query = {k: draw(st.one_of(st.text(max_size=15), st.sampled_from(["email", "-1", "1e100000", "101", "x"])))
                 for k in draw(st.lists(st.sampled_from(["idProperty", "properties", "associations", "limit",
                                                         "after", "archived", "propertiesWithHistory"]),
                                        max_size=3))}
    if kind == "create":
        return "hubspot", Call("POST", base, query, draw(body_of(props)), headers)
    if kind == "update":
        return "hubspot", Call("PATCH", f"{base}/{draw(path_ids)}", query,
                               draw(body_of({"properties": HS_PROPERTIES})), headers)
    if kind == "read":
        return "hubspot", Call(draw(st.sampled_from(["GET", "DELETE"])), f"{base}/{draw(path_ids)}", query, None,
                               headers)
    if kind == "list":
        return "hubspot", Call("GET", base, query, None, headers)
    if kind == "batch":
        action = draw(st.sampled_from(["read", "create", "update", "archive", "upsert", "nope"]))
        inputs = {"inputs": [{"id": "1", "properties": HS_PROPERTIES, "idProperty": "email"}],
                  "properties": ["email"], "idProperty": "email"}
        return "hubspot", Call("POST", f"{base}/batch/{action}", query, draw(body_of(inputs)), headers)
    if kind == "search":
        search = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a"}]}],
                  "sorts": ["email"], "properties": ["email"], "limit": 10, "after": "0", "query": "x"}
        return "hubspot", Call("POST", f"{base}/search", {}, draw(body_of(search)), headers)
    if kind == "properties":
        prop = {"name": "fuzzprop", "label": "F", "type": "string", "fieldType": "text",
                "groupName": "contactinformation"}
        method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE"]))
        path = f"/crm/v3/properties/{otype}" + (f"/{draw(st.sampled_from(['email', 'fuzzprop', 'x']))}"
                                                 if method in ("PATCH", "DELETE") else "")
        return "hubspot", Call(method, path, {}, draw(body_of(prop)) if method in ("POST", "PATCH") else None,
                               headers)
    if kind == "groups":
        method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE"]))
        path = f"/crm/v3/properties/{otype}/groups" + ("/fuzzgroup" if method in ("PATCH", "DELETE") else "")
        return "hubspot", Call(method, path, {}, draw(body_of({"name": "fuzzgroup", "label": "G", "displayOrder": 1})),
                               headers)
    if kind == "assoc":
        to = draw(st.sampled_from(HS_TYPES))
        path = f"/crm/v4/objects/{otype}/{draw(path_ids)}/associations/{to}/{draw(path_ids)}"
        body = draw(body_of([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]))
        return "hubspot", Call(draw(st.sampled_from(["PUT", "DELETE", "GET"])), path, {}, body, headers)
    if kind == "webhooks":
        app = draw(st.sampled_from([str(w.portal["appId"]), "1", "x"]))
        key = draw(st.sampled_from([w.portal["developerApiKey"], "bad"]))
        which = draw(st.sampled_from(["settings", "subscriptions", "subscriptions/1"]))
        hook = {"targetUrl": "https://x.example.com/h", "throttling": {"maxConcurrentRequests": 10},
                "eventType": "contact.creation", "active": True, "propertyName": "email"}
        return "hubspot", Call(draw(st.sampled_from(["GET", "PUT", "POST", "PATCH", "DELETE"])),
                               f"/webhooks/v3/{app}/{which}", {"hapikey": key}, draw(body_of(hook)),
                               {"Content-Type": "application/json"})
    form = {k: draw(st.text(max_size=20)) for k in draw(st.lists(st.sampled_from(
        ["grant_type", "refresh_token", "code", "client_id", "client_secret", "redirect_uri"]), max_size=5))}
    return "hubspot", Call("POST", "/oauth/v1/token", {}, None, {}, form)


@st.composite
def admin_calls(draw: st.DrawFn, w: World) -> tuple[str, Call]:
    app = draw(st.sampled_from(["qbo", "hubspot"]))
    kind = draw(st.sampled_from(["tenants", "state", "faults", "clock", "ratelimits", "journal", "webhooks",
                                 "next-number", "closing-date", "tax", "snapshots", "state-get"]))
    realm, portal = w.company["realmId"], w.portal["portalId"]
    if kind == "tenants":
        options = {"country": "US", "seed": "empty", "seedNumber": 1, "customFields": ["A"],
                   "closingDate": "2024-01-01", "edition": "plus", "tier": "starter", "currency": "USD",
                   "multiCurrency": False}
        return app, Call("POST", "/_sim/tenants", {}, draw(body_of(options)))
    if kind == "state":
        dump = {"format": "hsqbo-state", "version": 1, "tenants": [{"id": "fz", "system": "quickbooks",
                "settings": {}, "createdAt": 0, "counters": {"id:Customer": 1},
                "entities": {"Customer": [{"id": 1, "active": True, "deleted": False, "updatedAt": 0,
                                           "nameKey": "a", "docNumber": None, "data": {"Id": "1"}}]}}]}
        return app, Call("POST", "/_sim/state", {}, draw(body_of(dump)))
    if kind == "faults":
        rule = {"method": "POST", "path": "*/customer", "nth": 3, "action": "status", "status": 503, "times": 1,
                "seconds": 0.0, "calls": [1], "target": "request", "phase": "before"}
        return app, Call("POST", "/_sim/faults", {}, draw(body_of(draw(st.sampled_from(
            [rule, [rule], {"rules": [rule], "replace": True}])))))
    if kind == "clock":
        return app, Call("POST", "/_sim/clock", {}, draw(body_of({"advance": 1, "set": "2026-01-01T00:00:00Z",
                                                                  "mode": "frozen"})))
    if kind == "ratelimits":
        return app, Call("POST", "/_sim/ratelimits", {}, draw(body_of({"enabled": False})))
    if kind == "journal":
        query = {k: draw(st.one_of(st.text(max_size=10), st.sampled_from(["-1", "1e100000", "99999999999999999999"])))
                 for k in draw(st.lists(st.sampled_from(["method", "path", "status", "realmId", "since", "limit"]),
                                        max_size=4))}
        return app, Call("GET", "/_sim/journal", query)
    if kind == "webhooks":
        sub = {"realmId": realm, "portalId": portal, "url": "https://x.example.com/h", "format": "legacy",
               "entities": ["Invoice"], "eventTypes": ["contact.creation"]}
        return app, Call("POST", "/_sim/webhooks", {}, draw(body_of(sub)))
    if kind == "next-number":
        return "qbo", Call("GET", f"/_sim/quickbooks/{draw(st.sampled_from([realm, 'x']))}/next-number",
                           {"entity": draw(st.one_of(st.text(max_size=10), st.sampled_from(["Invoice", "Customer"])))})
    if kind == "closing-date":
        return "qbo", Call("POST", f"/_sim/quickbooks/{realm}/closing-date", {}, draw(body_of({"date": "2024-12-31"})))
    if kind == "tax":
        return "hubspot", Call("POST", f"/_sim/hubspot/{portal}/automated-sales-tax", {},
                               draw(body_of({"enabled": True})))
    if kind == "snapshots":
        return app, Call("POST", f"/_sim/snapshots/{draw(path_ids)}/restore")
    return app, Call("GET", "/_sim/state", {k: draw(st.text(max_size=12)) for k in draw(st.lists(st.sampled_from(
        ["realmId", "portalId", "tenant", "format"]), max_size=3))})


class _ReceiverEngine:
    """What the receiver uses of an engine (settings, clock, ``repoint``, ``notify``), counting what it is told."""

    def __init__(self) -> None:
        from sync.clock import SystemClock

        self.settings = SimpleNamespace(quickbooks_webhook_verifier="fuzz-verifier", hubspot=SimpleNamespace(
            base_url="http://127.0.0.1:9", client_secret_for_webhooks="fuzz-secret", client_secret="fuzz-secret"),
            quickbooks=SimpleNamespace(realm_id="9130357766"))
        self.clock = SystemClock()
        self.told = 0

    def repoint(self, side: str, merges: list) -> None:
        self.told += len(merges)

    def notify(self, side: str, events: list) -> None:
        self.told += len(events)


@st.composite
def receiver_calls(draw: st.DrawFn, w: World) -> tuple[str, Call]:
    from simulators.hubspot.system import sign_v3

    qbo_event = {"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [
        {"name": "Customer", "id": "1", "operation": "Merge", "deletedId": "2"}]}}]}
    hs_event = [{"subscriptionType": "contact.merge", "objectId": 1, "mergedObjectIds": [2], "portalId": 1}]
    signed = draw(st.sampled_from([True, True, True, False]))
    if draw(st.booleans()):
        body = draw(body_of(qbo_event))
        sig = base64.b64encode(hmac.new(b"fuzz-verifier", body, hashlib.sha256).digest()).decode() if signed else "x"
        return "receiver", Call("POST", "/webhooks/quickbooks", {}, body, {"intuit-signature": sig})
    body = draw(body_of(hs_event))
    import time

    stamp = str(int(time.time() * 1000))
    sig = sign_v3("fuzz-secret", "POST", "http://localhost/webhooks/hubspot", body, stamp) if signed else "x"
    return "receiver", Call("POST", "/webhooks/hubspot", {}, body,
                            {"X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": stamp})


TARGETS: dict[str, Callable[[World], st.SearchStrategy]] = {
    "quickbooks": qbo_calls, "hubspot": hubspot_calls, "admin": admin_calls, "receiver": receiver_calls}


def run(target: str, requests: int, seed_value: int = 0) -> Report:
    """Send ``requests`` hypothesis-drawn requests to ``target``; the report of what came back."""
    w = World()
    report = Report(target)
    receiver_engine = _ReceiverEngine()
    apps: dict[str, Any] = {"qbo": w.qbo, "hubspot": w.hubspot}
    if target == "receiver":
        from sync.triggers import create_receiver

        receiver: Flask = create_receiver(receiver_engine)  # type: ignore[arg-type]
        apps["receiver"] = receiver.test_client()
    store = w.sims.runtime.store

    def send(drawn: tuple[str, Call]) -> None:
        app, call = drawn
        before = store.fingerprint() if target != "receiver" else receiver_engine.told
        try:
            response = apps[app].open(call.path, method=call.method, query_string=call.query,
                                      data=call.form if call.form is not None else call.body, headers=call.headers)
            status = response.status_code
        except Exception as exc:  # noqa: BLE001 — an exception out of the app is a server error too
            status = 599
            call.headers["exception"] = repr(exc)[:200]
        report.sent += 1
        report.statuses[status] += 1
        if status >= 500:
            report.server_errors += 1
            if len(report.examples) < 50:
                report.examples.append(f"{status} {call.describe()}")
        elif status >= 400:
            after = store.fingerprint() if target != "receiver" else receiver_engine.told
            if after != before:
                report.state_changes += 1
                if len(report.examples) < 50:
                    report.examples.append(f"state changed by {status} {call.describe()}")
        if target == "admin":  # an accepted fault plan or clock move must not spill into the next requests
            w.sims.runtime.faults.clear()

    test = settings(max_examples=requests, database=None, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck), phases=[Phase.generate])(
        seed(seed_value)(given(TARGETS[target](w))(send)))
    test()
    return report
