"""HubSpot invoices ⇄ QBO invoices, and QBO payments ⇄ HubSpot commerce payments (rules F1-F14, G1-G4, A2).

What an invoice is to the engine: its header fields (mapped like any pair), plus what only invoices
have: lines, tax, the payments applied to it, its customer, its F9 status. These live in the
observation's ``extra`` and are compared here; the writes are planned in ``sync/transactions.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..mapping import canonical, read_qbo, snapshot_hubspot, snapshot_qbo
from ..state import HUBSPOT, QUICKBOOKS, Observation, Record, chunks
from .pair import PairRules, hubspot_version

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..engine import Engine
    from ..settings import PairSettings

# Properties the engine adds to HubSpot: unique ids make every create an idempotent upsert.
INVOICE_ID_PROPERTY = "quickbooks_invoice_id"
INVOICE_STATUS_PROPERTY = "quickbooks_invoice_status"
LINE_ID_PROPERTY = "quickbooks_line_id"
PAYMENT_ID_PROPERTY = "quickbooks_payment_id"
F9_STATUSES = ("waiting_to_be_sent", "sent_to_customer", "partially_paid", "paid_in_full", "overdue", "voided")


def _unique_text(name: str, label: str, group: str, what: str) -> dict:
    return {"name": name, "label": label, "type": "string", "fieldType": "text", "groupName": group,
            "hasUniqueValue": True, "description": f"The QuickBooks Online {what} this record is synced with."}


INVOICE_ID_DEFINITION = _unique_text(INVOICE_ID_PROPERTY, "QuickBooks invoice ID", "invoiceinformation", "invoice")
LINE_ID_DEFINITION = _unique_text(LINE_ID_PROPERTY, "QuickBooks line ID", "lineiteminformation", "invoice line")
PAYMENT_ID_DEFINITION = _unique_text(PAYMENT_ID_PROPERTY, "QuickBooks payment ID", "paymentinformation", "payment")
INVOICE_STATUS_DEFINITION = {
    "name": INVOICE_STATUS_PROPERTY, "label": "QuickBooks invoice status", "type": "enumeration",
    "fieldType": "select", "groupName": "invoiceinformation",
    "description": "F9: the invoice's status in QuickBooks Online, overdue following the due date.",
    "options": [{"label": s.replace("_", " ").capitalize(), "value": s, "displayOrder": i}
                for i, s in enumerate(F9_STATUSES)]}

# The deal properties of F8 (all in the simulator's qbo_invoice_information group; F13: nothing else on the deal)
DEAL_PROPERTIES = ("qbo_invoice_amount", "qbo_invoice_recipient", "qbo_invoice_number", "qbo_invoice_status",
                   "qbo_invoice_due_date")
DRAFT_NOTE = "Draft from HubSpot"  # legacy: how QBO Advanced's task manager knows drafts to approve (F14, I9)
DOC = "__doc__"  # the invoice's own part of the merge base: origin, F2 snapshot, line items, deals, F9 status


def doc_of(r: Record) -> dict:
    return dict((r.base or {}).get(DOC) or {})


def with_doc(base: dict | None, doc: dict) -> dict:
    return {**{k: v for k, v in (base or {}).items() if k != DOC}, DOC: doc}


def money(value: object) -> Decimal:
    """Exact money: QBO sends JSON numbers, HubSpot strings; both go through text, never float arithmetic."""
    text = canonical(value, "number")
    return Decimal(text) if text else Decimal(0)


def text(amount: Decimal) -> str:
    return canonical(str(amount), "number") or "0"


def qbo_lines(entity: dict) -> list[dict]:
    """The invoice's lines in a comparable form: item, quantity, price, amount, description, service date."""
    out = []
    for line in entity.get("Line") or []:
        kind = line.get("DetailType")
        detail = line.get(kind) or {}
        if kind == "SalesItemLineDetail":
            out.append({"id": str(line.get("Id") or len(out) + 1), "kind": "item",
                        "item": str((detail.get("ItemRef") or {}).get("value") or ""),
                        "name": (detail.get("ItemRef") or {}).get("name") or "",
                        "qty": text(money(detail.get("Qty", 1) or 1)), "price": text(money(detail.get("UnitPrice"))),
                        "amount": text(money(line.get("Amount"))), "description": line.get("Description") or "",
                        "service_date": detail.get("ServiceDate") or "",
                        "tax_code": str((detail.get("TaxCodeRef") or {}).get("value") or "")})
        elif kind == "DiscountLineDetail":
            out.append({"id": str(line.get("Id") or len(out) + 1), "kind": "discount", "item": "", "name": "Discount",
                        "qty": "1", "price": text(-money(line.get("Amount"))),
                        "amount": text(-money(line.get("Amount"))), "description": line.get("Description") or "",
                        "service_date": "", "tax_code": ""})
    return out


def is_voided(entity: dict) -> bool:
    """QBO keeps a voided invoice with zero amounts and the note "Voided"."""
    return str(entity.get("PrivateNote") or "").startswith("Voided") and money(entity.get("TotalAmt")) == 0


def f9_status(extra: dict, today: date) -> str:
    """F9: waiting to be sent, sent to customer, partially paid, paid in full, overdue (past due and not paid)."""
    if extra.get("voided"):
        return "voided"
    total, balance = money(extra.get("total")), money(extra.get("balance"))
    if total > 0 and balance <= 0:
        return "paid_in_full"
    due = extra.get("due") or ""
    if balance > 0 and due and due < today.isoformat():
        return "overdue"
    if 0 < balance < total:
        return "partially_paid"
    return "sent_to_customer" if extra.get("email_status") == "EmailSent" else "waiting_to_be_sent"


def locked(extra: dict) -> dict:
    """F2: what QBO may not change on an invoice created in HubSpot: its lines (service dates aside), tax, payments."""
    fields = ("kind", "item", "qty", "price", "amount")
    return {"lines": [{k: line[k] for k in fields} for line in extra.get("lines", [])],
            "tax": extra.get("tax", "0"), "payments": sorted(extra.get("payments", []))}


def forbidden_edits(before: dict, after: dict) -> list[str]:
    """F2: the edits made in QBO that the integration refuses on a HubSpot-created invoice (empty when allowed)."""
    found = []
    old, new = before.get("lines", []), after.get("lines", [])
    if len(new) > len(old):
        found.append("lines added")
    elif len(new) < len(old):
        found.append("lines removed")
    elif any(a["item"] != b["item"] or a["kind"] != b["kind"] for a, b in zip(old, new, strict=True)):
        found.append("lines replaced")
    elif any((a["price"], a["qty"], a["amount"]) != (b["price"], b["qty"], b["amount"])
             for a, b in zip(old, new, strict=True)):
        found.append("prices changed")
    if money(after.get("tax")) > money(before.get("tax")):
        found.append("tax added")
    if set(before.get("payments", [])) - set(after.get("payments", [])):
        found.append("a payment removed")
    return found


class Invoices(PairRules):
    name = "invoices"
    hubspot_type = "invoices"
    qbo_entity = "Invoice"
    qbo_has_active = False
    key_field = "hs_number"
    hubspot_id_property = INVOICE_ID_PROPERTY
    hubspot_id_definition = INVOICE_ID_DEFINITION


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

    def before_apply(self, engine: Engine, settings: PairSettings) -> list[str]:
        """F9: open invoices whose due date passed become overdue though neither side changed (checked once a day).
        F12: custom field mappings must name one of QBO's (at most three) sales-form fields; a new mapping
        back-fills the invoices synced before it."""
        problems = []
        if settings.custom_fields:
            slots = engine.company()["custom_fields"]
            problems += [f"F12: {name!r} is not one of the custom fields QuickBooks shows on sales forms "
                         f"({', '.join(sorted(slots)) or 'none are enabled'}); its mapping is ignored"
                         for name in settings.custom_fields if name not in slots]
        mapped = sorted(settings.custom_fields.items())
        if engine.state.get_value("invoices:custom_fields") not in (None, mapped):
            ids = [r.qbo_id for r in engine.state.records("invoices", limit=None) if r.qbo_id and r.hubspot_id]
            for chunk in chunks(ids, 500):
                quoted = ", ".join(f"'{i}'" for i in chunk)
                found = list(engine.quickbooks.query(f"SELECT * FROM Invoice WHERE Id IN ({quoted})"))
                engine.observe(self.name, QUICKBOOKS, found, force=True)
        engine.state.set_value("invoices:custom_fields", mapped)
        today = engine.clock.now().date().isoformat()
        if engine.state.get_value("invoices:overdue_checked") != today:
            late = [r for r in engine.state.records("invoices", status="synced", limit=None)
                    if r.qbo_id and r.hubspot_id and f9_status(r.extra(QUICKBOOKS), engine.clock.now().date())
                    != doc_of(r).get("status")]
            for r in late:
                r.dirty = True
            engine.state.save(late, now=engine.clock.now())
            engine.state.set_value("invoices:overdue_checked", today)
        return problems

    def hubspot_label(self, props: dict) -> str:
        return f"Invoice {props.get('hs_number') or ''}".strip()

    def qbo_label(self, entity: dict) -> str:
        return f"Invoice {entity.get('DocNumber') or entity.get('Id')}"

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        return invoice_failure(error)


def invoice_failure(error: QuickBooksError) -> str:
    """The reason code of a QBO refusal of an invoice or payment write (edge cases 29-38)."""
    words = f"{error.message} {error.detail}".lower()
    if error.code == "6140":
        return "duplicate_doc_number"  # F6 / edge 30: also when a credit memo has the number
    if error.code in ("6200", "6210"):
        return "period_closed"  # I4 / edge 37
    if "revenue recognition" in words or "service date" in words:
        return "service_date_required"  # F5 / edge 36
    if "currency" in words:
        return "currency_mismatch"  # I8 / edge 38
    if "tax" in words:
        return "tax_required"  # F4 / I3 / edge 35
    return "rejected_by_quickbooks"


class Payments(PairRules):
    """QBO payments applied to one invoice ⇄ HubSpot commerce payments on that invoice (A2, G1-G3)."""

    name = "payments"
    hubspot_type = "commerce_payments"
    qbo_entity = "Payment"
    qbo_has_active = False
    key_field = "hs_initial_amount"
    hubspot_id_property = PAYMENT_ID_PROPERTY
    hubspot_id_definition = PAYMENT_ID_DEFINITION

    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        return ["hs_currency_code", "hs_initial_amount", "hs_initiated_date", "hs_lastmodifieddate",
                "hs_latest_status", "hs_payment_method_type", "hs_reference_number", PAYMENT_ID_PROPERTY]

    def observe_hubspot(self, record: dict, settings: PairSettings) -> Observation:
        props = record.get("properties") or {}
        values = {"amount": canonical(props.get("hs_initial_amount"), "number"),
                  "status": (props.get("hs_latest_status") or "").lower()}
        qbo_id = props.get(PAYMENT_ID_PROPERTY)
        stamp = str(record.get("updatedAt") or props.get(self.hubspot_modified))
        extra = {"props": props, "date": canonical(props.get("hs_initiated_date"), "date"),
                 "currency": props.get("hs_currency_code") or ""}
        return Observation(HUBSPOT, str(record["id"]), hubspot_version(stamp, values), values,
                           f"qbo:{qbo_id}" if qbo_id else None, f"Payment {values['amount']}", extra)

    def observe_qbo(self, entity: dict, settings: PairSettings) -> Observation:
        applied: dict[str, str] = {}
        for line in entity.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "Invoice":
                    key = str(link.get("TxnId"))
                    applied[key] = text(money(applied.get(key)) + money(line.get("Amount")))
        values = {"amount": text(money(entity.get("TotalAmt")))}
        extra = {"applied": applied, "unapplied": text(money(entity.get("UnappliedAmt"))),
                 "customer": str((entity.get("CustomerRef") or {}).get("value") or ""),
                 "currency": (entity.get("CurrencyRef") or {}).get("value") or "", "date": entity.get("TxnDate") or "",
                 "method": (entity.get("PaymentMethodRef") or {}).get("name") or "",
                 "reference": entity.get("PaymentRefNum") or "", "note": entity.get("PrivateNote") or ""}
        return Observation(QUICKBOOKS, str(entity["Id"]), str(entity.get("SyncToken", "")), values,
                           f"qbo:{entity['Id']}", f"Payment {entity.get('PaymentRefNum') or entity['Id']}", extra)

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        return invoice_failure(error)


def origin(record: Record) -> str:
    """Where an invoice was created: F2/F3 treat HubSpot-created invoices differently."""
    made = doc_of(record).get("origin") or (record.base or {}).get("origin")  # payments keep it at the top
    return made or (QUICKBOOKS if record.qbo_id and not record.hubspot_id else HUBSPOT)


INVOICES = Invoices()
PAYMENTS = Payments()
