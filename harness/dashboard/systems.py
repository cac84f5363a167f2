"""What the dashboard shows of the two simulated systems: tenants, records by type, one record with its links,
and its history of writes from the request journal. Read straight from the shared store and journal (never
through the APIs: looking must not spend rate limits or fill the journal). No HTTP here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from simulators.core.runtime import Runtime
from simulators.core.storage import Row
from simulators.hubspot.catalog import OBJECT_TYPES
from simulators.hubspot.rows import ASSOCIATION, link_key
from simulators.quickbooks.entities import TYPES

QUICKBOOKS, HUBSPOT = "quickbooks", "hubspot"
SYSTEMS = {QUICKBOOKS: "QuickBooks Online", HUBSPOT: "HubSpot"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_QBO_REF = re.compile(r"^(\w*?)(Account|Customer|Item|Vendor|Employee|Term|TaxCode|TaxRate|PaymentMethod)Ref$")


def kinds(system: str) -> list[str]:
    """The record types of a system, in the simulator's own order (QBO entities; HubSpot object types)."""
    return list(TYPES) if system == QUICKBOOKS else list(OBJECT_TYPES)


def is_kind(system: str, kind: str) -> bool:
    return system in SYSTEMS and kind in kinds(system)


def tenants(rt: Runtime, system: str) -> list[str]:
    return rt.store.tenant_ids(system)


def counts(rt: Runtime, system: str, tenant: str) -> dict[str, int]:
    """Live records per type (types with none left out), as ``GET /_sim/state`` counts them."""
    return {kind: n for kind in kinds(system) if (n := rt.store.count(tenant, kind))}


# -- one record in a line ------------------------------------------------------------------------
def label(system: str, kind: str, data: dict) -> str:
    """What a person calls the record: its name, else its number, else its id."""
    if system == QUICKBOOKS:
        t = TYPES.get(kind)
        name = data.get(t.name_field) if t is not None and t.name_field else None
        if name:
            return str(name)
        number = data.get("DocNumber")
        customer = (data.get("CustomerRef") or {}).get("name")
        head = f"{kind} {number}" if number else f"{kind} #{data.get('Id', '')}"
        return f"{head} — {customer}" if customer else head
    p = data.get("properties") or {}
    person = " ".join(v for v in (p.get("firstname"), p.get("lastname")) if v)
    for value in (p.get("name"), p.get("dealname"), p.get("hs_title"), person, p.get("email"), p.get("hs_number")):
        if value:
            return str(value)
    return f"{OBJECT_TYPES[kind].singular} #{data.get('id', '')}" if kind in OBJECT_TYPES else f"#{data.get('id')}"


def summary(system: str, kind: str, data: dict) -> str:
    """A second fact worth seeing in a list: an email, a SKU, an amount and balance."""
    if system == QUICKBOOKS:
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email:
            return str(email)
        if data.get("Sku"):
            return f"SKU {data['Sku']}"
        if "TotalAmt" in data:
            balance = f", balance {data['Balance']}" if "Balance" in data else ""
            return f"total {data['TotalAmt']}{balance}"
        return ""
    p = data.get("properties") or {}
    for key, shown in (("email", "{}"), ("hs_sku", "SKU {}"), ("amount", "amount {}"),
                       ("hs_amount_billed", "billed {}"), ("hs_initial_amount", "amount {}")):
        if p.get(key):
            return shown.format(p[key])
    return ""


def record_id(system: str, data: dict) -> str:
    return str(data.get("Id") if system == QUICKBOOKS else data.get("id"))


def state_of(system: str, row: Row) -> str:
    if system == HUBSPOT:
        return "archived" if row.data.get("archived") else ""
    return "" if row.data.get("Active", True) is not False else "inactive"


@dataclass
class Line:
    id: str
    label: str
    summary: str
    state: str
    updated: str


def line(system: str, row: Row) -> Line:
    data = row.data
    updated = ((data.get("MetaData") or {}).get("LastUpdatedTime") if system == QUICKBOOKS
               else data.get("updatedAt")) or ""
    return Line(record_id(system, data), label(system, row.kind, data), summary(system, row.kind, data),
                state_of(system, row), str(updated))


# -- a page of one type --------------------------------------------------------------------------
@dataclass
class Page:
    lines: list[Line]
    total: int
    page: int
    per_page: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page(rt: Runtime, system: str, tenant: str, kind: str, text: str = "", number: int = 1,
         per_page: int = 25) -> Page:
    """One page of a type's records in id order; ``text`` keeps those whose JSON holds it (any letter case)."""
    number = max(1, number)
    store = rt.store
    # inactive QBO name-list rows and archived HubSpot records are shown too (marked); deleted ones are gone
    if text:
        needle = text.lower()
        rows = [r for r in store.find_in_data(tenant, kind, text) if needle in json.dumps(r.data).lower()]
        total, rows = len(rows), rows[(number - 1) * per_page:number * per_page]
    else:
        total = store.count(tenant, kind)
        rows = store.select(tenant, kind, offset=(number - 1) * per_page, limit=per_page)
    return Page([line(system, r) for r in rows], total, number, per_page)


# -- one record --------------------------------------------------------------------------------------
@dataclass
class Link:
    system: str
    kind: str
    id: str
    text: str  # how it is linked: "CustomerRef", "Primary", "applied to", …
    label: str = ""


@dataclass
class Detail:
    system: str
    tenant: str
    kind: str
    id: str
    row: Row
    label: str
    links: list[Link] = field(default_factory=list)  # what this record points to or is associated with
    linked_from: list[Link] = field(default_factory=list)  # records pointing at this one (QBO)

    @property
    def json(self) -> str:
        return json.dumps(self.row.data, indent=2, sort_keys=True, ensure_ascii=False)


def get(rt: Runtime, system: str, tenant: str, kind: str, oid: str) -> Row | None:
    try:
        row = rt.store.get(tenant, kind, int(oid))
    except (ValueError, OverflowError):
        return None
    return None if row is None or row.deleted else row


def detail(rt: Runtime, system: str, tenant: str, kind: str, oid: str) -> Detail | None:
    row = get(rt, system, tenant, kind, oid)
    if row is None:
        return None
    found = Detail(system, tenant, kind, oid, row, label(system, kind, row.data))
    if system == QUICKBOOKS:
        found.links = _qbo_links(row.data)
        found.linked_from = _qbo_linked_from(rt, tenant, kind, oid)
    else:
        found.links = _hubspot_associations(rt, tenant, kind, oid)
    for link in found.links + found.linked_from:
        target = get(rt, link.system, tenant, link.kind, link.id)
        link.label = label(link.system, link.kind, target.data) if target else "(not found)"
    return found


def _walk(value: object, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every mapping inside a JSON value, with the key it sits under."""
    if isinstance(value, dict):
        yield path, value
        for key, inner in value.items():
            yield from _walk(inner, key)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner, path)


def _qbo_links(data: dict) -> list[Link]:
    """References (``CustomerRef``, ``ItemRef``, …) and linked transactions (``LinkedTxn``), each once."""
    out: dict[tuple[str, str, str], Link] = {}
    for key, mapping in _walk(data):
        m = _QBO_REF.match(key)
        if m and mapping.get("value") not in (None, ""):
            kind = "Term" if key == "SalesTermRef" else m.group(2)
            out.setdefault((kind, str(mapping["value"]), key), Link(QUICKBOOKS, kind, str(mapping["value"]), key))
        if key == "LinkedTxn" and mapping.get("TxnId") and mapping.get("TxnType") in TYPES:
            kind, tid = str(mapping["TxnType"]), str(mapping["TxnId"])
            out.setdefault((kind, tid, "LinkedTxn"), Link(QUICKBOOKS, kind, tid, "LinkedTxn"))
    return list(out.values())


def _qbo_linked_from(rt: Runtime, realm: str, kind: str, oid: str) -> list[Link]:
    """The transactions that name this record: a customer's or item's documents, an invoice's payments."""
    found: list[Link] = []
    for other, t in TYPES.items():
        if t.category != "txn":
            continue
        for row in rt.store.find_in_data(realm, other, f'"value":"{oid}"') + \
                rt.store.find_in_data(realm, other, f'"TxnId":"{oid}"'):
            for link in _qbo_links(row.data):
                if link.kind == kind and link.id == oid:
                    found.append(Link(QUICKBOOKS, other, str(row.data.get("Id")), link.text))
                    break
    unique = {(link.kind, link.id): link for link in found}
    return list(unique.values())


def _hubspot_associations(rt: Runtime, portal: str, kind: str, oid: str) -> list[Link]:
    from_type = OBJECT_TYPES[kind]
    out = []
    for to_name, to_type in OBJECT_TYPES.items():
        for row in rt.store.find_all(portal, ASSOCIATION, link_key(from_type, oid, to_type)):
            labels = [t.get("label") or f"type {t.get('typeId')}" for t in row.data.get("types") or []]
            out.append(Link(HUBSPOT, to_name, str(row.data["toId"]), ", ".join(labels)))
    return out


# -- its history of writes ------------------------------------------------------------------------
def history(rt: Runtime, system: str, tenant: str, kind: str, oid: str) -> list[dict]:
    """The journal's write requests that touched the record: its id in the path, or the record in the request or
    the answer (batch items included). Newest first."""
    out = []
    for entry in rt.journal.find(system=system, tenant=tenant):
        if entry.get("method", "").upper() in WRITES and _touches(system, kind, oid, entry):
            out.append(entry)
    return out[::-1]


def _touches(system: str, kind: str, oid: str, entry: dict) -> bool:
    path = entry.get("path", "")
    if system == HUBSPOT and re.search(rf"/{re.escape(oid)}(/|$)", path):
        return True  # PATCH /crm/v3/objects/contacts/ID, associations of ID, …
    bodies = []
    for key in ("requestBody", "responseBody"):
        try:
            bodies.append(json.loads(entry.get(key) or "null"))
        except ValueError:
            bodies.append(None)
    request = bodies[0]
    if system == QUICKBOOKS and path.lower().endswith(f"/{kind.lower()}") and isinstance(request, dict) \
            and str(request.get("Id")) == oid:
        return True  # an update QBO refused answers no entity: the request names it
    for body in bodies:
        for under, mapping in _walk(body):
            if system == QUICKBOOKS:
                if under == kind and str(mapping.get("Id")) == oid:
                    return True
            elif str(mapping.get("id")) == oid and "properties" in mapping:
                return True
    return False
