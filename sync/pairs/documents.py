"""What invoices and payments share: the properties the sync adds to HubSpot, exact money, the invoice's
lines and F9 status, what QBO may not change on a HubSpot-made invoice (F2), and the invoice's own part of
the merge base (its "document": origin, F2 snapshot, line items, deals, status).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..mapping import canonical
from ..outcomes import qbo_field_reason
from ..state import HUBSPOT, QUICKBOOKS, Record

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError

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


def doc_of(r: Record) -> dict:
    """A copy of the record's document state (``Record.doc``): origin, F2 snapshot, line items, deals, status."""
    return dict(r.doc or {})


def money(value: object) -> Decimal:
    """Exact money: QBO sends JSON numbers, HubSpot strings; both go through text, never float arithmetic."""
    text = canonical(value, "number")
    return Decimal(text) if text else Decimal(0)


def text(amount: Decimal) -> str:
    return canonical(str(amount), "number") or "0"


def qbo_lines(entity: dict) -> list[dict]:
    """The invoice's lines in a comparable form: item, quantity, price, amount, description, service date."""
    out: list[dict] = []
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


def invoice_failure(error: QuickBooksError) -> str:
    """The reason code of a QBO refusal of an invoice or payment write (edge cases 29-38)."""
    words = f"{error.message} {error.detail}".lower()
    if error.code == "6140":
        return "duplicate_doc_number"  # F6 / edge 30: also when a credit memo has the number
    if error.code in ("6200", "6210"):
        return "period_closed"  # I4 / edge 37
    field = qbo_field_reason(error.code, error.element)
    if field is not None:
        return field  # one field's value: the invoice number (F6), an amount or a description (B3)
    if "revenue recognition" in words or "service date" in words:
        return "service_date_required"  # F5 / edge 36
    if "currency" in words:
        return "currency_mismatch"  # I8 / edge 38
    if "tax" in words:
        return "tax_required"  # F4 / I3 / edge 35
    return "rejected_by_quickbooks"


def origin(record: Record) -> str:
    """Where an invoice was created: F2/F3 treat HubSpot-created invoices differently."""
    made = doc_of(record).get("origin")
    return made or (QUICKBOOKS if record.qbo_id and not record.hubspot_id else HUBSPOT)
