"""HubSpot invoices ⇄ QBO invoices (rules C2, F1-F14, A1, B4, E2, I8).

What an invoice is to the engine: its header fields (mapped like any pair), plus what only invoices
have: lines, tax, the payments applied to it, its customer, its F9 status. These live in the
observation's ``extra`` and are compared here; the writes reuse the generic chunk planner:

- QBO → HubSpot: the invoice, its line items (products by SKU link), associations to the contact, its
  primary company (F1) and the deal where known; F9 status; deal properties (F7, F8).
- HubSpot → QBO: only finalized invoices (B4), customer and items linked first (A1, E2), tax (F4),
  numbers (F6); afterwards QBO edits are checked (F2) and HubSpot edits flow only to HubSpot-created
  invoices (F3).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import requests

from ..clients.http import ApiError
from ..mapping import (
    TO_HUBSPOT,
    TO_QUICKBOOKS,
    TWO_WAY,
    FieldMap,
    canonical,
    hubspot_version,
    qbo_value,
    read_qbo,
    snapshot_hubspot,
    snapshot_qbo,
)
from ..merge import merge
from ..outcomes import status_of
from ..planner import ChunkPlanner, Incomplete, PairReport, numeric_order
from ..state import EXCLUDED, FAILED, HUBSPOT, PENDING, QUICKBOOKS, SYNCED, Activity, Observation, Record, chunks
from .base import Option, Pair
from .contacts import PRIMARY_COMPANY
from .documents import (
    DEAL_PROPERTIES,
    DRAFT_NOTE,
    INVOICE_ID_DEFINITION,
    INVOICE_ID_PROPERTY,
    INVOICE_STATUS_DEFINITION,
    INVOICE_STATUS_PROPERTY,
    LINE_ID_DEFINITION,
    LINE_ID_PROPERTY,
    doc_of,
    f9_status,
    forbidden_edits,
    invoice_failure,
    is_voided,
    locked,
    money,
    origin,
    qbo_lines,
    text,
)
from .products import ensure_custom_line_item

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..planner import SyncContext
    from ..settings import PairSettings

# Invoice headers. Lines, tax, payments and associations are the invoice rules' own (below).
INVOICE_MAPPINGS = [
    FieldMap("hs_number", "DocNumber"),  # F6: the HubSpot number with custom transaction numbers on, else QBO's
    FieldMap("hs_invoice_date", "TxnDate", "date"),
    FieldMap("hs_due_date", "DueDate", "date"),
    FieldMap("hs_currency", "CurrencyRef.value", create_only=True),  # I8: a document keeps its currency
]
LINE_PROPERTIES = ["name", "quantity", "price", "hs_sku", "hs_product_id", "description", "amount", "hs_tax_amount"]


@dataclass
class Push:
    """What one invoice needs written to HubSpot, and the base and document state it has once written."""

    r: Record
    props: dict
    creating: bool
    lines: list[dict] | None
    links: list[tuple[str, str]]
    base: dict | None
    doc: dict


class InvoicePlanner(ChunkPlanner):
    def __init__(self, ctx: SyncContext, rules: Pair, settings: PairSettings, report: PairReport,
                 records: list[Record]) -> None:
        super().__init__(ctx, rules, settings, report, records)
        self.pushes: list[Push] = []
        self.created_docs: dict[int, dict] = {}  # record id -> doc of an invoice being created in QBO
        self.companies: dict[str, str] | None = None  # contact -> primary company (F1), read once a chunk
        self.today = self.ctx.clock.now().date()

    # -- decide ------------------------------------------------------------------------------------
    def run(self) -> None:
        to_quickbooks: list[Record] = []
        for r in self.records:
            if r.deleted:
                self._tombstone(r)
            elif r.qbo_id and not r.hubspot_id:
                self._plan_to_hubspot(r)
            elif r.hubspot_id and not r.qbo_id:
                code = self._why_not_to_quickbooks(r)
                if code:
                    self._end(r, status_of(code), code)
                else:
                    to_quickbooks.append(r)
            else:
                self._plan_linked(r)
        if to_quickbooks:
            self._prepare_quickbooks_creates(to_quickbooks)
        self._write_quickbooks()
        self._write_invoices_to_hubspot()
        self._save()
        self._update_deals()

    def _tombstone(self, r: Record) -> None:
        """Deleted in QBO (edge 45): with D4's legacy setting the HubSpot invoice is archived; never recreated.
        Deleted in HubSpot: the books are never touched."""
        side = r.deleted or QUICKBOOKS
        if self.settings.on_delete == "deactivate" and side == QUICKBOOKS and r.hubspot_id and r.deleted != "both":
            try:
                self.ctx.hubspot.archive("invoices", r.hubspot_id)
            except ApiError as exc:
                self._end(r, FAILED, "rejected_by_hubspot", str(exc))
                return
            self.log.append(Activity(r.id or 0, self.pair, "archived", HUBSPOT, rule="D4"))
            r.deleted = "both"
        self._end(r, EXCLUDED, "deleted")

    def _allowed(self, towards: str) -> bool:
        return self.settings.direction in (TWO_WAY, towards)

    # -- QBO → HubSpot -----------------------------------------------------------------------------
    def _plan_to_hubspot(self, r: Record) -> None:
        x, doc = r.extra(QUICKBOOKS), doc_of(r)
        attached = bool(doc.get("links"))  # F10/F11 invoices carry what they are to be added to
        if not attached:
            if not self._allowed(TO_HUBSPOT):
                return self._end(r, EXCLUDED, "direction")
            if self.ctx.settings.generation.card_only_invoices and not self.settings.enabled:
                return self._end(r, EXCLUDED, "not_attached")  # F11: legacy, the invoice switch off
            if not self.settings.passes(x.get("props", {}), TO_HUBSPOT):
                return self._end(r, EXCLUDED, "filtered_out")  # C2
        if x.get("voided"):
            return self._end(r, EXCLUDED, "voided")
        contact = self._contact_of_customer(x.get("customer", ""))
        if contact is None:
            return self._end(r, PENDING, "customer_not_synced")
        doc.setdefault("origin", QUICKBOOKS)
        links = [("contacts", contact), *[tuple(link) for link in doc.get("links", [])]]
        company = self._primary_company(contact)
        if company:
            links.append(("companies", company))  # F1: the contact's primary company, none if it has none
        props = self._header_props(r, r.values(QUICKBOOKS), creating=True)
        self.pushes.append(Push(r, props, True, self._line_items(r), sorted(set(links)), r.base, doc))

    def _header_props(self, r: Record, values: dict, creating: bool) -> dict:
        x = r.extra(QUICKBOOKS)
        # None and "" are left out at the end (a QBO invoice may lack one)
        props: dict[str, str | None] = dict(self.rules.hubspot_properties_for(values, self.settings.mappings))
        for name, prop in self.settings.custom_fields.items():  # F12
            if f"custom:{name}" in values:
                props[prop] = values[f"custom:{name}"]
        props[INVOICE_STATUS_PROPERTY] = f9_status(x, self.today)
        if creating:
            props.update({INVOICE_ID_PROPERTY: r.qbo_id, "hs_invoice_source": origin(r),
                          "hs_currency": x.get("currency") or "USD", "hs_invoice_status": "open"})
            props.update({m.hubspot: values.get(m.id, "") for m in self.settings.mappings if m.create_only})
        if x.get("voided"):
            props["hs_invoice_status"] = "voided"  # edge 44: voided, nothing deleted
        return {k: v for k, v in props.items() if v not in (None, "")}

    def _line_items(self, r: Record) -> list[dict]:
        """HubSpot line items of a QBO invoice's lines, keyed by QBO ids; products linked by item (E1)."""
        x = r.extra(QUICKBOOKS)
        items = [line["item"] for line in x.get("lines", []) if line["item"]]
        products = self.ctx.state.by_side_ids("products", QUICKBOOKS, items) if items else {}
        out = []
        for line in x.get("lines", []):
            props = {LINE_ID_PROPERTY: f"{r.qbo_id}:{line['id']}", "name": line["description"] or line["name"],
                     "quantity": line["qty"], "price": line["price"]}
            product = products.get(line["item"])
            if product is not None and product.hubspot_id and product.deleted is None:
                props["hs_product_id"] = product.hubspot_id
            if line["description"]:
                props["description"] = line["description"]
            out.append(props)
        if money(x.get("tax")) > 0:  # HubSpot has no invoice tax: a line keeps the two totals equal to the cent
            out.append({LINE_ID_PROPERTY: f"{r.qbo_id}:tax", "name": "Tax", "quantity": "1", "price": x["tax"]})
        return out

    def _contact_of_customer(self, customer: str) -> str | None:
        record = self.ctx.state.by_side_ids("contacts", QUICKBOOKS, [customer]).get(customer) if customer else None
        return record.hubspot_id if record is not None and record.deleted is None else None

    def _primary_company(self, contact: str) -> str | None:
        """F1: the contact's primary company; looked up once for every invoice of the chunk going to HubSpot."""
        if self.companies is None:
            customers = [r.extra(QUICKBOOKS).get("customer", "") for r in self.records if r.qbo_id and not r.hubspot_id]
            contacts = sorted({c for c in map(self._contact_of_customer, customers) if c} | {contact})
            links = self.ctx.hubspot.associations("contacts", "companies", contacts)
            self.companies = {str(cid): str(t["toObjectId"]) for cid, targets in links.items() for t in targets
                              if any(k.get("typeId") == PRIMARY_COMPANY for k in t.get("associationTypes", []))}
        return self.companies.get(contact)

    # -- linked invoices ---------------------------------------------------------------------------
    def _plan_linked(self, r: Record) -> None:
        doc, x = doc_of(r), r.extra(QUICKBOOKS)
        made_in_hubspot = origin(r) == HUBSPOT
        if x.get("voided") and not doc.get("voided"):  # edge 44: voided in QBO, voided in HubSpot; not an F2 edit
            props = {"hs_invoice_status": "voided", INVOICE_STATUS_PROPERTY: "voided"}
            self.pushes.append(Push(r, props, False, None, [], r.base, doc))
            return None
        if made_in_hubspot and doc.get("locked") is not None and not x.get("voided"):
            bad = forbidden_edits(doc["locked"], locked(x))
            if bad:  # F2: reported, never overwritten in either direction
                return self._end(r, FAILED, "modified_in_quickbooks",
                                 f"Changed in QuickBooks: {', '.join(bad)} "
                                 "(not allowed on an invoice created in HubSpot)")
            doc["locked"] = locked(x)  # payments added, service dates: allowed
        # F3: HubSpot edits go to QBO only for HubSpot-created invoices; QBO edits flow to HubSpot as the pair allows
        if made_in_hubspot:
            direction = self.settings.direction
        else:
            direction = TO_HUBSPOT if self._allowed(TO_HUBSPOT) else ""
        maps = [m for m in self.settings.mappings if not m.create_only]
        m = merge(maps, direction, self.settings.conflict, r.base, r.values(HUBSPOT), r.values(QUICKBOOKS)) \
            if direction else None
        to_q = m.to_quickbooks if m else {}
        to_h = dict(m.to_hubspot) if m else {}
        for name in self.settings.custom_fields:  # F12: QBO's custom fields flow to HubSpot
            key = f"custom:{name}"
            if r.values(QUICKBOOKS).get(key, "") != (r.base or {}).get(key, r.values(HUBSPOT).get(key, "")):
                to_h[key] = r.values(QUICKBOOKS).get(key, "")
        new_base = {**(m.base if m else {}), **{k: r.values(QUICKBOOKS).get(k, "")
                                               for k in r.values(QUICKBOOKS) if k.startswith("custom:")}}
        if to_q and self._allowed(TO_QUICKBOOKS):
            body = self.rules.qbo_body(r, to_q, self.settings.mappings, False, {}, self.settings)
            body.update(Id=r.qbo_id, SyncToken=r.qbo_version, sparse=True)
            if x.get("tax") and money(x["tax"]) and self.ctx.company()["country"] == "US":
                # F4: an explicit tax (automated sales tax) is kept only when sent again; QBO would recompute it
                body["TxnTaxDetail"] = {"TotalTax": qbo_value(x["tax"], "number")}
            self.qbo_items.append({"bId": str(r.id), "operation": "update", "Invoice": body})
            self.pending_base[r.id or 0] = new_base
            self.pending_doc[r.id or 0] = doc
        props = self._header_props(r, to_h, creating=False) if (to_h or self._allowed(TO_HUBSPOT) or made_in_hubspot) \
            else {}
        if props.get(INVOICE_STATUS_PROPERTY) == doc.get("status"):
            props.pop(INVOICE_STATUS_PROPERTY)
        if not to_h and props.get("hs_invoice_status") == "voided" and doc.get("voided"):
            props.pop("hs_invoice_status")
        lines = None
        if not made_in_hubspot and self._allowed(TO_HUBSPOT):
            wanted = self._line_items(r)
            if _lines_digest(wanted) != doc.get("lines_digest"):
                lines = wanted
        if props or lines is not None:
            self.pushes.append(Push(r, props, False, lines, [], new_base, doc))
        elif not to_q:
            r.base, r.doc = new_base, doc
            self._end(r, SYNCED)

    # -- HubSpot → QBO -----------------------------------------------------------------------------
    def _why_not_to_quickbooks(self, r: Record) -> str | None:
        x = r.extra(HUBSPOT)
        if not self._allowed(TO_QUICKBOOKS):
            return "direction"
        if x.get("status") == "voided":
            return "voided"
        if not self.settings.passes(x.get("props", {}), TO_QUICKBOOKS):
            return "draft"  # B4: HubSpot's own outbound filter, only finalized invoices
        if self.ctx.company()["country"] != "US":
            return "tax_required"  # F4: HubSpot invoices carry no tax a non-US company accepts
        return None

    def _prepare_quickbooks_creates(self, records: list[Record]) -> None:
        hubspot, state = self.ctx.hubspot, self.ctx.state
        ids = [r.hubspot_id or "" for r in records]
        contacts = {k: [str(t["toObjectId"]) for t in v] for k, v in hubspot.associations("invoices", "contacts",
                                                                                           ids).items()}
        deals = {k: [str(t["toObjectId"]) for t in v] for k, v in hubspot.associations("invoices", "deals",
                                                                                        ids).items()}
        line_links = hubspot.associations("invoices", "line_items", ids)
        line_ids = sorted({str(t["toObjectId"]) for v in line_links.values() for t in v}, key=numeric_order)
        lines = {li["id"]: li.get("properties") or {} for li in hubspot.batch_read("line_items", line_ids,
                                                                                    LINE_PROPERTIES)}
        contact_records = state.by_side_ids("contacts", HUBSPOT, sorted({c for v in contacts.values() for c in v}))
        product_ids = sorted({p.get("hs_product_id") or "" for p in lines.values()} - {""})
        products = state.by_side_ids("products", HUBSPOT, product_ids) if product_ids else {}
        company = self.ctx.company()
        custom_item: str | None = None
        for r in records:
            customer = next((contact_records[c].qbo_id for c in sorted(contacts.get(r.hubspot_id or "", []),
                                                                        key=numeric_order)
                             if c in contact_records and contact_records[c].qbo_id), None)
            if customer is None:  # A1 / edge 34: the customer first, in dependency order
                self._end(r, PENDING, "customer_not_synced")
                continue
            body_lines, line_tax = [], Decimal(0)
            for lid in sorted((str(t["toObjectId"]) for t in line_links.get(r.hubspot_id or "", [])),
                              key=numeric_order):
                props = lines.get(lid)
                if props is None:
                    continue
                product = products.get(props.get("hs_product_id") or "")
                item = product.qbo_id if product is not None and product.qbo_id and product.deleted is None else None
                if item is None:  # E2: booked on "Custom line item", made when first needed
                    custom_item = custom_item or ensure_custom_line_item(
                        self.ctx.quickbooks, state, self.ctx.income_account(self.settings.income_account or ""))
                    item = custom_item
                qty, price = money(props.get("quantity") or 1), money(props.get("price"))
                detail: dict = {"ItemRef": {"value": item}, "Qty": qbo_value(text(qty), "number"),
                                "UnitPrice": qbo_value(text(price), "number")}
                tax = money(props.get("hs_tax_amount"))
                if tax:  # F4: HubSpot's automated sales tax (a beta a Super Admin opts into) taxed this line
                    detail["TaxCodeRef"] = {"value": "TAX"}
                    line_tax += tax
                body_lines.append({"DetailType": "SalesItemLineDetail",
                                   "Amount": qbo_value(text(qty * price), "number"),
                                   "Description": props.get("name") or "", "SalesItemLineDetail": detail})
            values = r.values(HUBSPOT)
            body = self.rules.qbo_body(r, values, self.settings.maps_towards(TO_QUICKBOOKS), True, {}, self.settings)
            body.pop("DocNumber", None)
            body.pop("CurrencyRef", None)
            if company["custom_numbers"] and values.get("hs_number"):
                body["DocNumber"] = values["hs_number"]  # F6: the HubSpot number, prefix and all
            # I8: always the invoice's own currency, so QBO refuses one its customer does not have (never relabelled)
            body["CurrencyRef"] = {"value": values.get("hs_currency") or company["currency"]}
            if line_tax:  # F4: QBO's automated sales tax honours an explicit amount, so the totals agree
                body["TxnTaxDetail"] = {"TotalTax": qbo_value(text(line_tax), "number")}
            body.update(CustomerRef={"value": customer}, Line=body_lines,
                        PrivateNote=f"{DRAFT_NOTE} invoice {r.hubspot_id}"
                        if self.ctx.settings.generation.drafts_for_approval
                        else f"From HubSpot invoice {r.hubspot_id}")
            custom = {name: values.get(f"custom:{name}", "") for name in self.settings.custom_fields}
            if any(custom.values()):
                slots = company["custom_fields"]
                body["CustomField"] = [{"DefinitionId": slots[n], "Type": "StringType", "StringValue": v}
                                       for n, v in custom.items() if v and n in slots]
            self.qbo_items.append({"bId": str(r.id), "operation": "create", "Invoice": body})
            self.created_docs[r.id or 0] = {"origin": HUBSPOT, "deals": deals.get(r.hubspot_id or "", [])}
            self.pending_base[r.id or 0] = {m.id: values.get(m.id, "") for m in self.settings.mappings
                                            if not m.create_only}
            self.pending_doc[r.id or 0] = self.created_docs[r.id or 0]

    def record_quickbooks(self, items: list[dict], answers: list[dict], intent: int | None) -> None:
        """After QBO answers: a created invoice keeps its F2 snapshot, and its QBO number goes back to HubSpot."""
        super().record_quickbooks(items, answers, intent)
        for item, answer in zip(items, answers, strict=True):
            r = self.by_id.get(int(item["bId"]))
            if r is None or item["operation"] != "create" or "Invoice" not in answer:
                continue
            doc = doc_of(r)
            doc.update(origin=HUBSPOT, locked=locked(r.extra(QUICKBOOKS)))
            props = {INVOICE_ID_PROPERTY: r.qbo_id, INVOICE_STATUS_PROPERTY: f9_status(r.extra(QUICKBOOKS), self.today)}
            number = r.values(QUICKBOOKS).get("hs_number", "")
            if number and number != r.values(HUBSPOT).get("hs_number", ""):
                props["hs_number"] = number  # edge 29: QBO assigned the number; HubSpot shows it
            r.base, r.doc = {**(r.base or {}), "hs_number": number}, doc
            self.pushes.append(Push(r, props, False, None, [], r.base, doc))
        self._save()

    def after_replay(self) -> None:
        """After a replayed create: the HubSpot side (the QBO number mirrored back, F2's snapshot kept)."""
        self._write_invoices_to_hubspot()
        self._save()

    # -- HubSpot writes ----------------------------------------------------------------------------
    def _write_invoices_to_hubspot(self) -> None:
        if not self.pushes:
            return
        ctx, hubspot = self.ctx, self.ctx.hubspot
        ctx.ensure_hubspot_property("invoices", self.rules.hubspot_id_definition or {})
        ctx.ensure_hubspot_property("invoices", INVOICE_STATUS_DEFINITION)
        try:
            made = self._write_headers([p for p in self.pushes if p.creating],
                                       [p for p in self.pushes if not p.creating])
            self._write_lines([p for p in self.pushes if p.lines is not None and p.r.id in made], made)
            links: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
            for p in self.pushes:
                for to_type, to_id in p.links:
                    if p.r.id in made:
                        links[("invoices", to_type)].append((made[p.r.id or 0]["id"], to_id))
            for (from_type, to_type), pairs in links.items():
                hubspot.associate(from_type, to_type, pairs)
        except (ApiError, requests.RequestException) as exc:
            self._save()
            raise Incomplete(f"writing invoices to HubSpot: {exc}") from exc
        for p in self.pushes:
            answer = made.get(p.r.id or 0)
            if answer is None:
                continue
            r, doc = p.r, dict(p.doc)
            r.hubspot_id = str(answer["id"])
            written = {m.id: p.props[m.hubspot] for m in self.settings.mappings if m.hubspot in p.props}
            r.hubspot_values = {**r.values(HUBSPOT), **written}
            r.hubspot_version = answer.get("version") or r.hubspot_version
            if INVOICE_STATUS_PROPERTY in p.props:
                doc["status"] = p.props[INVOICE_STATUS_PROPERTY]
            if p.props.get("hs_invoice_status") == "voided":
                doc["voided"] = True
            if p.lines is not None:
                doc["lines_digest"] = _lines_digest(p.lines)
            if p.links:
                doc["links"] = []  # added once; re-associating by hand afterwards is the user's (F1)
                doc["deals"] = sorted({*doc.get("deals", []), *(i for t, i in p.links if t == "deals")})
            r.base, r.doc = p.base, doc
            self.report.created[HUBSPOT] += p.creating
            self.report.updated[HUBSPOT] += not p.creating
            self.log.append(Activity(r.id or 0, self.pair, "created" if p.creating else "updated", HUBSPOT,
                                     detail={"id": r.hubspot_id}))
            self._end(r, SYNCED)

    def _write_headers(self, creates: list[Push], updates: list[Push]) -> dict[int, dict]:
        """Upsert new invoices by their QBO id (idempotent), update known ones; {record id: HubSpot answer}."""
        made: dict[int, dict] = {}
        hubspot = self.ctx.hubspot
        for chunk in chunks(creates, 100):
            result = hubspot.batch_upsert("invoices", [{"id": p.r.qbo_id, "properties": p.props} for p in chunk],
                                          INVOICE_ID_PROPERTY)
            by_key = {str((x.get("properties") or {}).get(INVOICE_ID_PROPERTY)): x for x in result.results}
            for p in chunk:
                self._took(p, by_key.get(str(p.r.qbo_id)), made)
        for chunk in chunks(updates, 100):
            try:
                result = hubspot.batch_update("invoices", [{"id": p.r.hubspot_id, "properties": p.props}
                                                           for p in chunk])
                by_id = {str(x["id"]): x for x in result.results}
            except ApiError as exc:
                if exc.status not in (400, 404):
                    raise
                by_id = {}
                for p in chunk:  # one archived invoice fails the batch: one by one
                    try:
                        by_id[str(p.r.hubspot_id)] = hubspot.update("invoices", p.r.hubspot_id or "", p.props)
                    except ApiError as single:
                        if single.status == 404:
                            p.r.deleted = HUBSPOT  # archived meanwhile: a tombstone, never recreated
                            self._end(p.r, EXCLUDED, "deleted")
                        else:
                            self._end(p.r, FAILED, "rejected_by_hubspot", str(single))
            for p in chunk:
                self._took(p, by_id.get(str(p.r.hubspot_id)), made)
        return made

    def _took(self, p: Push, answer: dict | None, made: dict[int, dict]) -> None:
        if answer is None:
            if p.r.status == SYNCED or p.r.dirty:
                self._end(p.r, FAILED, "rejected_by_hubspot", "HubSpot did not return the invoice")
            return
        values = {m.id: p.props.get(m.hubspot, p.r.values(HUBSPOT).get(m.id, "")) for m in self.settings.mappings}
        values.update({k: v for k, v in p.r.values(HUBSPOT).items() if k.startswith("custom:")})
        p.r.hubspot_values = values
        answer["version"] = hubspot_version(str(answer.get("updatedAt")), values)
        made[p.r.id or 0] = answer

    def _write_lines(self, pushes: list[Push], made: dict[int, dict]) -> None:
        """Upsert every line item by its QBO line id, archive the ones gone, associate the new ones (edge 25)."""
        if not pushes:
            return
        hubspot = self.ctx.hubspot
        self.ctx.ensure_hubspot_property("line_items", LINE_ID_DEFINITION)
        inputs = [{"id": line[LINE_ID_PROPERTY], "properties": line} for p in pushes for line in p.lines or []]
        result = hubspot.batch_upsert("line_items", inputs, LINE_ID_PROPERTY) if inputs else None
        ids = {str((x.get("properties") or {}).get(LINE_ID_PROPERTY)): str(x["id"])
               for x in (result.results if result else [])}
        if result and result.errors:
            raise Incomplete(f"HubSpot refused line items: {result.errors[0].get('message')}")
        current = hubspot.associations("invoices", "line_items", [made[p.r.id or 0]["id"] for p in pushes])
        pairs, gone = [], []
        for p in pushes:
            invoice = made[p.r.id or 0]["id"]
            linked = {str(t["toObjectId"]) for t in current.get(str(invoice), [])}
            wanted = {ids[line[LINE_ID_PROPERTY]] for line in p.lines or [] if line[LINE_ID_PROPERTY] in ids}
            pairs += [(invoice, i) for i in sorted(wanted - linked)]
            gone += sorted(linked - wanted)
        if pairs:
            hubspot.associate("invoices", "line_items", pairs)
        for line_id in gone:  # a line removed in QBO: its line item goes (it belongs to the invoice alone)
            hubspot.archive("line_items", line_id)

    # -- deals (F7, F8, F13) -------------------------------------------------------------------------
    def _update_deals(self) -> None:
        """F8 (2023, legacy): the deal's five invoice properties follow its most recently updated invoice.
        F13 (current): nothing is written to the deal; the invoice object is the one to report on."""
        generation = self.ctx.settings.generation
        touched = [r for r in self.records if r.hubspot_id and r.qbo_id and r.status == SYNCED and not r.dirty]
        if not touched or not generation.deal_invoice_properties:
            return
        hubspot, state = self.ctx.hubspot, self.ctx.state
        deal_ids: set[str] = set()
        for r in touched:
            deal_ids.update(doc_of(r).get("deals", []))
        found = hubspot.associations("invoices", "deals", [r.hubspot_id or "" for r in touched])
        deal_ids.update(str(t["toObjectId"]) for v in found.values() for t in v)
        if not deal_ids:
            return
        deals = sorted(deal_ids, key=numeric_order)
        invoices_of = hubspot.associations("deals", "invoices", deals)
        all_invoices = sorted({str(t["toObjectId"]) for v in invoices_of.values() for t in v})
        records = state.by_side_ids("invoices", HUBSPOT, all_invoices)
        currency = self.ctx.company_currency()
        current = {d["id"]: d.get("properties") or {}
                   for d in hubspot.batch_read("deals", deals, list(DEAL_PROPERTIES))}
        updates = []
        for deal in deals:
            candidates = [records[str(t["toObjectId"])] for t in invoices_of.get(deal, [])
                          if str(t["toObjectId"]) in records and records[str(t["toObjectId"])].qbo_id]
            # F7 (legacy): an invoice in another currency than the account's never sets them
            if generation.foreign_currency_leaves_deal:
                candidates = [c for c in candidates if (c.extra(QUICKBOOKS).get("currency") or currency) == currency]
            if not candidates:
                continue
            latest = max(candidates, key=lambda c: (c.extra(QUICKBOOKS).get("updated", ""), int(c.qbo_id or 0)))
            x = latest.extra(QUICKBOOKS)
            props = {"qbo_invoice_amount": x.get("total", ""),
                     "qbo_invoice_recipient": x.get("email") or x.get("customer_name", ""),
                     "qbo_invoice_number": latest.values(QUICKBOOKS).get("hs_number", ""),
                     "qbo_invoice_status": f9_status(x, self.today), "qbo_invoice_due_date": x.get("due", "")}
            have = current.get(deal, {})
            changed = {k: v for k, v in props.items() if _same(have.get(k)) != _same(v)}
            if changed:
                updates.append({"id": deal, "properties": changed})
        if updates:
            try:
                hubspot.batch_update("deals", updates)
            except (ApiError, requests.RequestException) as exc:
                raise Incomplete(f"updating deal invoice properties: {exc}") from exc
            self.report.updated[HUBSPOT] += len(updates)


def _lines_digest(lines: list[dict]) -> str:
    return hashlib.sha1(repr(sorted(sorted(line.items()) for line in lines)).encode()).hexdigest()[:16]


def _same(value: object) -> str:
    text_value = canonical(value)
    try:
        return canonical(Decimal(text_value), "number")
    except ArithmeticError:
        return text_value[:10] if len(text_value) >= 10 and text_value[4:5] == "-" else text_value


def check_custom_fields(raw: object, path: str, problems: list[str]) -> dict[str, str]:
    """F12: {QBO custom field name: HubSpot invoice property}; QBO has three sales-form custom fields at most."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                               for k, v in raw.items()):
        problems.append(f"{path}: must map QuickBooks custom field names to HubSpot invoice properties, not {raw!r}")
        return {}
    if len(raw) > 3:
        problems.append(f"{path}: QuickBooks shows at most three custom fields on sales forms (F12); "
                        f"{len(raw)} are mapped")
    return dict(raw)


class Invoices(Pair):
    name = "invoices"
    hubspot_type = "invoices"
    hubspot_webhook = "invoice"
    qbo_entity = "Invoice"
    qbo_has_active = False
    key_field = "hs_number"
    hubspot_id_property = INVOICE_ID_PROPERTY
    qbo_id_properties = (INVOICE_ID_PROPERTY, LINE_ID_PROPERTY)
    hubspot_id_definition = INVOICE_ID_DEFINITION
    planner = InvoicePlanner
    mappings = INVOICE_MAPPINGS
    qbo_fields: ClassVar[dict[str, str]] = {
        **{f: "text" for f in ("DocNumber", "PrivateNote", "CustomerMemo.value", "TrackingNum",
                               "BillEmail.Address")},
        **{f: "date" for f in ("TxnDate", "DueDate", "ShipDate")},
    }
    # E2's "Custom line item" is booked on income_account; F4 (legacy): tax_code goes on every line of an
    # invoice the Integration Invoices card makes for a non-US company; F12 (current): custom_fields maps QBO
    # sales-form custom fields (by name) to HubSpot invoice properties.
    options: ClassVar[dict[str, Option]] = {
        "income_account": Option("Sales of Product Income"), "tax_code": Option(None, generations=("legacy",)),
        "custom_fields": Option({}, "custom", check_custom_fields, generations=("current",))}
    # B4: the outbound invoice filter is HubSpot's own and cannot be edited: only invoices that are not drafts
    fixed_filters_to_quickbooks: ClassVar[list | None] = [
        [{"property": "hs_invoice_status", "operator": "NEQ", "value": "draft"}]]

    def recommended(self, setup_date: date) -> dict:
        """C2: one-way QBO → HubSpot, invoices created after 12:00 (UTC) of the setup day."""
        group = [{"property": "MetaData.CreateTime", "operator": "GT", "value": f"{setup_date.isoformat()}T12:00:00Z"}]
        return {"direction": TO_HUBSPOT, "filters": {"to_quickbooks": [], "to_hubspot": [group]}}


    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        return sorted({*super().hubspot_properties(settings), "hs_invoice_status", "hs_invoice_source",
                       "hs_amount_billed", "hs_amount_paid", "hs_balance_due", "hs_createdate", "hs_currency",
                       INVOICE_ID_PROPERTY, *settings.custom_fields.values()})

    def observe_hubspot(self, record: dict, settings: PairSettings) -> Observation:
        props = record.get("properties") or {}
        values = snapshot_hubspot(record, settings.mappings)
        values.update({f"custom:{name}": canonical(props.get(prop)) for name, prop in settings.custom_fields.items()})
        qbo_id = props.get(INVOICE_ID_PROPERTY)
        stamp = str(record.get("updatedAt") or props.get(self.hubspot_modified))
        extra = {"props": {p: props.get(p) for p in self.hubspot_properties(settings)},
                 "status": props.get("hs_invoice_status") or "", "source": props.get("hs_invoice_source") or ""}
        return Observation(HUBSPOT, str(record["id"]), hubspot_version(stamp, values), values,
                           f"qbo:{qbo_id}" if qbo_id else None, self.hubspot_label(props), extra)

    def observe_qbo(self, entity: dict, settings: PairSettings) -> Observation:
        values = snapshot_qbo(entity, settings.mappings)
        custom = {f.get("Name", ""): f.get("StringValue") or "" for f in entity.get("CustomField") or []}
        values.update({f"custom:{name}": canonical(custom.get(name)) for name in settings.custom_fields})
        lines = qbo_lines(entity)
        extra = {
            "props": {f.property: read_qbo(entity, f.property) for g in settings.filters_to_hubspot for f in g},
            "lines": lines, "customer": str((entity.get("CustomerRef") or {}).get("value") or ""),
            "customer_name": (entity.get("CustomerRef") or {}).get("name") or "",
            "email": (entity.get("BillEmail") or {}).get("Address") or "",
            "currency": (entity.get("CurrencyRef") or {}).get("value") or "",
            "total": text(money(entity.get("TotalAmt"))), "balance": text(money(entity.get("Balance"))),
            "tax": text(money((entity.get("TxnTaxDetail") or {}).get("TotalTax"))),
            "payments": sorted(str(t.get("TxnId")) for t in entity.get("LinkedTxn") or []
                               if t.get("TxnType") == "Payment"),
            "due": entity.get("DueDate") or "", "email_status": entity.get("EmailStatus") or "",
            "voided": is_voided(entity), "updated": (entity.get("MetaData") or {}).get("LastUpdatedTime") or "",
            "note": entity.get("PrivateNote") or "",
        }
        return Observation(QUICKBOOKS, str(entity["Id"]), str(entity.get("SyncToken", "")), values,
                           f"qbo:{entity['Id']}", self.qbo_label(entity), extra)

    def before_apply(self, ctx: SyncContext, settings: PairSettings) -> list[str]:
        """F9: open invoices whose due date passed become overdue though neither side changed (checked once a day).
        F12: custom field mappings must name one of QBO's (at most three) sales-form fields; a new mapping
        back-fills the invoices synced before it."""
        problems = []
        if settings.custom_fields:
            slots = ctx.company()["custom_fields"]
            problems += [f"F12: {name!r} is not one of the custom fields QuickBooks shows on sales forms "
                         f"({', '.join(sorted(slots)) or 'none are enabled'}); its mapping is ignored"
                         for name in settings.custom_fields if name not in slots]
        mapped = sorted(settings.custom_fields.items())
        if ctx.state.get_value("invoices:custom_fields") not in (None, mapped):
            ids = [r.qbo_id for r in ctx.state.records("invoices", limit=None) if r.qbo_id and r.hubspot_id]
            for chunk in chunks(ids, 500):
                found = list(ctx.quickbooks.query(self.qbo_by_ids(chunk)))
                ctx.observe(self.name, QUICKBOOKS, found, force=True)
        ctx.state.set_value("invoices:custom_fields", mapped)
        today = ctx.clock.now().date().isoformat()
        if ctx.state.get_value("invoices:overdue_checked") != today:
            late = [r for r in ctx.state.records("invoices", status=SYNCED, limit=None)
                    if r.qbo_id and r.hubspot_id and f9_status(r.extra(QUICKBOOKS), ctx.clock.now().date())
                    != doc_of(r).get("status")]
            for r in late:
                r.dirty = True
            ctx.state.save(late, now=ctx.clock.now())
            ctx.state.set_value("invoices:overdue_checked", today)
        return problems

    def hubspot_label(self, props: dict) -> str:
        return f"Invoice {props.get('hs_number') or ''}".strip()

    def qbo_label(self, entity: dict) -> str:
        return f"Invoice {entity.get('DocNumber') or entity.get('Id')}"

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        return invoice_failure(error)


INVOICES = Invoices()
