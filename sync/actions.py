"""Actions a user or a workflow takes through the integration, as engine operations (F10, F11, D5, G4).

Each is callable from Python, from the CLI (``hsqbo action …``) and from scenario files. A refused
action raises :class:`ActionError` with a reason code and its rule, like a record's sync status.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from .clients import qbo_query as q
from .generations import ACTION_RULES, generations_with
from .mapping import TO_QUICKBOOKS, TWO_WAY, qbo_value
from .outcomes import REASONS, Reason
from .pairs.contacts import CONTACTS
from .pairs.documents import DRAFT_NOTE, doc_of, locked, money, text
from .pairs.products import ensure_custom_line_item
from .planner import numeric_order
from .state import FAILED, HUBSPOT, QUICKBOOKS

if TYPE_CHECKING:
    from .engine import Engine

ACTION_REASONS = {r.code: r for r in [
    Reason("not_in_generation", "A1", "This generation of the integration has no such action"),
    Reason("quote_not_published", "F10", "Only published quotes can become invoices"),
    Reason("quote_expired", "F10", "The quote has expired"),
    Reason("no_lines", "F10", "An invoice needs at least one line: a quote's line items or products"),
    Reason("no_contact", "D5", "The deal has no associated contact to bill"),
    Reason("contact_filtered_out", "D5", "The contact does not pass the contact sync filters, so the action fails"),
    Reason("unknown_item", "E1", "No QuickBooks item has this SKU or id"),
    Reason("company_required", "A5", "Several QuickBooks companies are connected: choose the company"),
    Reason("unknown_company", "A5", "No connected QuickBooks company has this realm id or name"),
]}


class ActionError(Exception):
    def __init__(self, code: str, detail: str = "", rule: str | None = None) -> None:
        why = ACTION_REASONS.get(code) or REASONS[code]
        self.code, self.rule = code, rule or why.rule
        super().__init__(f"{why.text}{': ' + detail if detail else ''} (rule {self.rule})")


def _require(engine: Engine, action: str) -> None:
    """Refuse an action the running generation does not have, naming it and the ones that do."""
    generation = engine.settings.generation
    if action not in generation.actions:
        others = " and ".join(generations_with(action)) or "no generation"
        raise ActionError("not_in_generation", f"the {generation.name} integration has no {action.replace('_', ' ')} "
                          f"action (only {others})", rule=ACTION_RULES[action])


def create_invoice_from_deal(engine: Engine, deal_id: str, *, quote_id: str | None = None,
                             lines: list[dict] | None = None, customer_id: str | None = None,
                             terms: str | None = None, invoice_date: str | None = None, due_date: str | None = None,
                             message: str | None = None) -> dict:
    """F10 (legacy): an invoice in QBO from a deal — from a published, unexpired quote or from QBO products —
    for the deal's customer (matched, picked or created); created as a draft (F14); the deal's invoice
    properties follow (F8). ``lines``: ``[{"sku" or "item", "quantity", "price"?, "description"?}]``."""
    _require(engine, "invoice_from_deal")
    contact = _first_contact(engine, "deals", deal_id)
    return _create_invoice(engine, deal_id, contact, quote_id=quote_id, lines=lines, customer_id=customer_id,
                           terms=terms, invoice_date=invoice_date, due_date=due_date, message=message)


def workflow_create_invoice(engine: Engine, deal_id: str, *, lines: list[dict] | None = None,
                            quote_id: str | None = None) -> dict:
    """The workflow action *Create QuickBooks invoice* (D5, edge 48) on a deal — in 2023 *Create an invoice*, the
    one route of a HubSpot invoice into QBO (A1). Legacy: the first associated contact becomes a customer
    whatever the filters say. Current and 2023: the action fails when that contact does not sync."""
    _require(engine, "workflow_create_invoice")
    contact = _first_contact(engine, "deals", deal_id)
    if not engine.settings.generation.workflow_creates_customer and not _passes_contact_filters(engine, contact):
        raise ActionError("contact_filtered_out", f"contact {contact}")
    return _create_invoice(engine, deal_id, contact, quote_id=quote_id, lines=lines)


def add_invoice_to(engine: Engine, invoice_id: str, object_type: str, object_id: str) -> dict:
    """F11: add an existing QBO invoice to a HubSpot contact, company or deal; it appears in HubSpot, associated."""
    _require(engine, "add_invoice")
    if object_type not in ("contacts", "companies", "deals"):
        raise ValueError("an invoice is added to contacts, companies or deals")
    invoice = engine.quickbooks.get("Invoice", invoice_id)
    engine.observe("invoices", QUICKBOOKS, [invoice], force=True)
    record = engine.state.by_side_ids("invoices", QUICKBOOKS, [invoice_id])[invoice_id]
    doc = doc_of(record)
    doc["links"] = sorted({*map(tuple, doc.get("links", [])), (object_type, object_id)})
    if record.hubspot_id:  # already in HubSpot: associate it now
        engine.hubspot.associate("invoices", object_type, [(record.hubspot_id, object_id)])
        doc["links"] = []
        if object_type == "deals":
            doc["deals"] = sorted({*doc.get("deals", []), object_id})
    record.doc, record.dirty = doc, True
    engine.state.save([record], now=engine.clock.now())
    engine.run_pass(["invoices"])
    record = engine.state.get(record.id or 0) or record
    return {"invoice": invoice_id, "hubspot_invoice": record.hubspot_id, "status": record.status}


def workflow_paid_invoice(engine: Engine, payment_id: str, *, sales_receipt: bool = False,
                          skip_invoice_payments: bool = False) -> dict:
    """The workflow actions *Create paid invoice* / *Create paid sales receipt* on a HubSpot payment (G4).

    With two-way invoice sync, a payment of a HubSpot invoice is booked twice — once by this action,
    once by the sync — unless the workflow filters out payments whose source is an invoice
    (``skip_invoice_payments``). The engine detects the duplicate and reports it (``duplicate_invoice``)."""
    _require(engine, "workflow_paid_invoice")
    hubspot = engine.hubspot
    payment = hubspot.get("commerce_payments", payment_id, ["hs_initial_amount", "hs_initiated_date"])
    invoices = hubspot.associations("commerce_payments", "invoices", [payment_id]).get(payment_id, [])
    if skip_invoice_payments and invoices:
        return {"skipped": True, "reason": "the payment's source is an invoice"}
    contact = _first_contact(engine, "commerce_payments", payment_id, required=False)
    if contact is None and invoices:
        contact = _first_contact(engine, "invoices", str(invoices[0]["toObjectId"]))
    if contact is None:
        raise ActionError("no_contact", f"payment {payment_id}")
    customer = _customer_for(engine, contact)
    props = payment.get("properties") or {}
    amount = money(props.get("hs_initial_amount"))
    item = ensure_custom_line_item(engine.quickbooks, engine.state,
                                   engine.income_account(engine.settings.pairs["invoices"].income_account or ""))
    body = {"CustomerRef": {"value": customer}, "PrivateNote": f"HubSpot payment {payment_id}",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": qbo_value(text(amount), "number"),
                      "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                              "UnitPrice": qbo_value(text(amount), "number")}}]}
    request = f"hsqbo-wf-{payment_id}"
    if sales_receipt:
        made = engine.quickbooks.create("SalesReceipt", body, request_id=f"{request}-receipt")
        booked = {"type": "SalesReceipt", "id": str(made["Id"])}
    else:
        made = engine.quickbooks.create("Invoice", body, request_id=f"{request}-invoice")
        engine.quickbooks.create("Payment", {"CustomerRef": {"value": customer},
                                             "TotalAmt": qbo_value(text(amount), "number"),
                                             "Line": [{"Amount": qbo_value(text(amount), "number"),
                                                       "LinkedTxn": [{"TxnId": made["Id"], "TxnType": "Invoice"}]}]},
                                 request_id=f"{request}-payment")
        booked = {"type": "Invoice", "id": str(made["Id"])}
    booked_all = dict(engine.state.get_value("workflow_payments") or {})
    booked_all[payment_id] = booked
    engine.state.set_value("workflow_payments", booked_all)
    record = engine.state.by_side_ids("payments", HUBSPOT, [payment_id]).get(payment_id)
    if record is not None and record.qbo_id:  # the sync booked it already: now it is booked twice
        why = REASONS["duplicate_invoice"]
        record.status, record.reason, record.rule = FAILED, why.code, why.rule
        record.message = f"QuickBooks {booked['type']} {booked['id']} books HubSpot payment {payment_id} a second time"
        engine.state.save([record], now=engine.clock.now())
    return {"skipped": False, **booked}


# -- shared steps ------------------------------------------------------------------------------------

def _first_contact(engine: Engine, from_type: str, object_id: str, required: bool = True) -> str | None:
    """Legacy (edge 48): the first associated contact."""
    found = engine.hubspot.associations(from_type, "contacts", [object_id]).get(object_id, [])
    ids = sorted((str(t["toObjectId"]) for t in found), key=numeric_order)
    if not ids and required:
        raise ActionError("no_contact", f"{from_type} {object_id}")
    return ids[0] if ids else None


def _passes_contact_filters(engine: Engine, contact: str | None) -> bool:
    settings = engine.settings.pairs["contacts"]
    rules = CONTACTS
    props = (engine.hubspot.get("contacts", contact or "", rules.hubspot_properties(settings)).get("properties")
             or {})
    if settings.needs_invoices(TO_QUICKBOOKS):
        links = engine.hubspot.associations("contacts", "invoices", [contact or ""]).get(contact or "", [])
        wanted = sorted({f.invoice_property for g in settings.filters_to_quickbooks for f in g if f.on_invoice})
        found = engine.hubspot.batch_read("invoices", [str(t["toObjectId"]) for t in links], wanted) if links else []
        props = {**props, "__invoices__": [i.get("properties") or {} for i in found]}
    # a contact syncs when its pair is on (A4), it has an email to match by (D3), the pair flows towards QBO and
    # the contact passes its filters (D5)
    return settings.enabled and bool(CONTACTS.match_key(str(props.get("email") or ""))) \
        and settings.direction in (TWO_WAY, TO_QUICKBOOKS) and settings.passes(props, TO_QUICKBOOKS)


def _customer_for(engine: Engine, contact: str | None, picked: str | None = None) -> str:
    """The contact's QBO customer: picked, already linked, or created now (D1 name, D3 email) and linked."""
    if picked:
        return picked
    record = engine.state.by_side_ids("contacts", HUBSPOT, [contact or ""]).get(contact or "")
    if record is not None and record.qbo_id:
        return record.qbo_id
    rules, settings = CONTACTS, engine.settings.pairs["contacts"]
    found = engine.hubspot.get("contacts", contact or "", rules.hubspot_properties(settings))
    engine.observe("contacts", HUBSPOT, [found], force=True)
    record = engine.state.by_side_ids("contacts", HUBSPOT, [contact or ""])[contact or ""]
    if record.qbo_id:
        return record.qbo_id
    if record.match_key:  # D3: a customer with this email may exist already
        customers = list(engine.quickbooks.query(q.select("Customer", q.equals("PrimaryEmailAddr", record.match_key))))
        if customers:
            engine.observe("contacts", QUICKBOOKS, customers[:1], force=True)
            return str(customers[0]["Id"])
    context = rules.prepare(engine, [record], settings)
    # the action is its own route into QBO (legacy's contacts flow only to HubSpot): every mapping that may
    # ever write QBO's side builds the customer, whatever the pair's direction
    maps = [m for m in settings.mappings if m.direction in (TWO_WAY, TO_QUICKBOOKS)]
    body = rules.qbo_body(record, record.values(HUBSPOT), maps, True, context, settings)
    made = engine.quickbooks.create("Customer", body, request_id=f"hsqbo-customer-{contact}")
    engine.observe("contacts", QUICKBOOKS, [made], force=True)  # linked by email (D3)
    return str(made["Id"])


def _create_invoice(engine: Engine, deal_id: str, contact: str | None, *, quote_id: str | None = None,
                    lines: list[dict] | None = None, customer_id: str | None = None, terms: str | None = None,
                    invoice_date: str | None = None, due_date: str | None = None, message: str | None = None) -> dict:
    company = engine.company(fresh=True)  # an action may come between passes, after a settings change
    generation = engine.settings.generation
    tax_code = getattr(engine.settings.pairs["invoices"], "tax_code", None)  # legacy's per-line tax code (F4)
    if generation.name == "legacy" and company["custom_numbers"]:
        raise ActionError("custom_transaction_numbers")  # F6 legacy
    if company["country"] != "US" and not tax_code:
        raise ActionError("tax_required")  # F4: legacy needs a tax code on every line; the others cannot tax
    body_lines = _quote_lines(engine, quote_id) if quote_id else _product_lines(engine, lines or [])
    if not body_lines:
        raise ActionError("no_lines")
    if company["country"] != "US":
        for line in body_lines:
            line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": tax_code}
    customer = _customer_for(engine, contact, customer_id)
    # legacy: a draft for QBO Advanced's approval, not sent by QBO on its own (F14, I9)
    note = f"{DRAFT_NOTE} deal {deal_id}" if generation.drafts_for_approval else f"From HubSpot deal {deal_id}"
    body: dict = {"CustomerRef": {"value": customer}, "Line": body_lines, "EmailStatus": "NotSet",
                  "PrivateNote": note}
    if terms:
        term = next(iter(engine.quickbooks.query(q.select("Term", q.equals("Name", terms)))), None)
        if term is None:
            raise ValueError(f"QuickBooks has no payment terms named {terms!r}")
        body["SalesTermRef"] = {"value": term["Id"]}
    body.update({k: v for k, v in (("TxnDate", invoice_date), ("DueDate", due_date)) if v})
    if message:
        body["CustomerMemo"] = {"value": message}
    invoice = engine.quickbooks.create("Invoice", body, request_id=f"hsqbo-deal-{uuid.uuid4().hex[:20]}")
    engine.observe("invoices", QUICKBOOKS, [invoice], force=True)
    record = engine.state.by_side_ids("invoices", QUICKBOOKS, [str(invoice["Id"])])[str(invoice["Id"])]
    links = [("deals", deal_id), *([("contacts", contact)] if contact else [])]
    record.doc = {"origin": HUBSPOT, "locked": locked(record.extra(QUICKBOOKS)), "links": links, "deals": [deal_id]}
    record.dirty = True
    engine.state.save([record], now=engine.clock.now())
    engine.run_pass(["invoices"])  # it appears in HubSpot on the deal, and the deal's properties follow (F8)
    record = engine.state.get(record.id or 0) or record
    return {"invoice": str(invoice["Id"]), "number": invoice.get("DocNumber"), "customer": customer,
            "hubspot_invoice": record.hubspot_id, "status": record.status, "doc": doc_of(record)}


def _quote_lines(engine: Engine, quote_id: str) -> list[dict]:
    quote = (engine.hubspot.get("quotes", quote_id, ["hs_status", "hs_expiration_date"]).get("properties") or {})
    if quote.get("hs_status") not in ("APPROVED", "APPROVAL_NOT_NEEDED"):
        raise ActionError("quote_not_published", f"quote {quote_id} is {quote.get('hs_status') or 'a draft'}")
    expires = str(quote.get("hs_expiration_date") or "")[:10]
    if expires and date.fromisoformat(expires) < engine.clock.now().date():
        raise ActionError("quote_expired", f"quote {quote_id} expired on {expires}")
    links = engine.hubspot.associations("quotes", "line_items", [quote_id]).get(quote_id, [])
    items = engine.hubspot.batch_read("line_items", sorted(str(t["toObjectId"]) for t in links),
                                      ["name", "quantity", "price", "hs_sku", "hs_product_id"])
    return _product_lines(engine, [{"sku": (i.get("properties") or {}).get("hs_sku"),
                                    "product": (i.get("properties") or {}).get("hs_product_id"),
                                    "quantity": (i.get("properties") or {}).get("quantity") or "1",
                                    "price": (i.get("properties") or {}).get("price"),
                                    "description": (i.get("properties") or {}).get("name")} for i in items])


def _product_lines(engine: Engine, lines: list[dict]) -> list[dict]:
    """QBO lines for products given by QBO item id, SKU (E1) or HubSpot product; unknown ones on E2's item."""
    out = []
    for line in lines:
        item = str(line.get("item") or "")
        if not item and line.get("product"):
            product = engine.state.by_side_ids("products", HUBSPOT, [str(line["product"])]).get(str(line["product"]))
            item = product.qbo_id if product is not None and product.qbo_id else ""
        if not item and line.get("sku"):
            found = next(iter(engine.quickbooks.query(q.select("Item", q.equals("Sku", line["sku"])))), None)
            item = str(found["Id"]) if found else ""
        if not item:
            item = ensure_custom_line_item(engine.quickbooks, engine.state,
                                           engine.income_account(engine.settings.pairs["invoices"].income_account
                                                                 or ""))
        detail: dict = {"ItemRef": {"value": item}, "Qty": qbo_value(text(money(line.get("quantity") or 1)), "number")}
        price = line.get("price")
        if price in (None, ""):
            price = engine.quickbooks.get("Item", item).get("UnitPrice") or 0
        detail["UnitPrice"] = qbo_value(text(money(price)), "number")
        amount = money(line.get("quantity") or 1) * money(price)
        entry = {"DetailType": "SalesItemLineDetail", "Amount": qbo_value(text(amount), "number"),
                 "SalesItemLineDetail": detail}
        if line.get("description"):
            entry["Description"] = line["description"]
        out.append(entry)
    return out
