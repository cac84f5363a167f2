"""HubSpot's own arithmetic: line-item amounts, invoice balances and payments, quote totals.

These values are HubSpot's to compute, never the caller's: they are recomputed whenever an input changes, i.e. when
a line item or payment is written or archived (records.py) and when a parent and a child are associated or
dissociated (associations.py). Reads association rows straight from storage, so it depends on neither of those.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from . import catalog, errors, rows
from .catalog import ObjectType
from .context import PortalContext

# Child type -> the types whose calculated properties sum it: line items (amount) and payments (amount paid).
CALCULATED_PARENTS = {"line_items": ("invoices", "quotes"), "commerce_payments": ("invoices",)}
# hs_latest_status values (lower-cased) of a payment that counts towards an invoice's amount paid. "processing":
# an ACH payment not yet settled already shows the invoice paid in HubSpot (rule G2). Any other status (failed,
# canceled, refunded, …) does not count.
PAYMENT_STATUSES_COUNTED = frozenset({"succeeded", "processing"})


class Amounts:
    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx

    def derive(self, otype: ObjectType, data: dict) -> None:
        """A line item takes what it lacks from its product, and its amount is quantity × discounted price."""
        if otype.name != "line_items":
            return
        props = data["properties"]
        product_id = props.get("hs_product_id")
        if product_id:
            product = self.ctx.store.get(self.ctx.portal, "products", int(product_id)) if product_id.isdigit() \
                else None
            if product is None or product.deleted or product.data.get("archived"):
                raise errors.bad_request(f"hs_product_id {product_id} is not a product of this portal",
                                         [{"message": f"Product {product_id} does not exist", "code": "INVALID_OBJECT",
                                           "context": {"propertyName": ["hs_product_id"]}}])
            for name in ("name", "price", "hs_sku", "description"):
                if name not in props and product.data["properties"].get(name):
                    props[name] = product.data["properties"][name]
        quantity = _decimal(props.get("quantity"), Decimal(1))
        price = _decimal(props.get("price"), Decimal(0)) - _decimal(props.get("discount"), Decimal(0))
        share = 1 - _decimal(props.get("hs_discount_percentage"), Decimal(0)) / 100
        props["amount"] = _number_text(quantity * price * share)

    def recalculate_parents(self, otype: ObjectType, child_id: str) -> None:
        """Recalculate the records whose totals ``child_id`` (a line item or a payment) counts in."""
        for parent in CALCULATED_PARENTS.get(otype.name, ()):
            for parent_id, _ in rows.links(self.ctx, otype, child_id, catalog.OBJECT_TYPES[parent]):
                self.recalculate(catalog.OBJECT_TYPES[parent], parent_id)

    def recalculate_pair(self, a_type: ObjectType, a_id: str, b_type: ObjectType, b_id: str) -> None:
        """After two records were associated or dissociated: recalculate whichever is the other's parent."""
        for parent_type, parent_id, child_type in ((a_type, a_id, b_type), (b_type, b_id, a_type)):
            if parent_type.name in CALCULATED_PARENTS.get(child_type.name, ()):
                self.recalculate(parent_type, parent_id)

    def recalculate(self, otype: ObjectType, object_id: str) -> None:
        """Invoice and quote totals are the sum of their line items' amounts, plus, on an invoice, their tax (rule
        F4); an invoice's amount paid is the sum of its payments that succeeded or are still processing, and its
        balance and statuses follow (rule G2)."""
        row = self.ctx.store.get(self.ctx.portal, otype.name, int(object_id))
        if row is None or row.deleted:
            return
        items = self._live_children(otype, object_id, "line_items")
        total = sum((_decimal(p.get("amount"), Decimal(0)) for p in items), Decimal(0))
        props = row.data["properties"]
        before = dict(props)
        if otype.name == "invoices":
            # Rule F4: with the automated sales tax beta, an invoice bills its lines' tax as well. A tax written
            # while the beta was on keeps counting if it is switched off (the invoice was made with it).
            total += sum((_decimal(p.get("hs_tax_amount"), Decimal(0)) for p in items), Decimal(0))
            payments = [p for p in self._live_children(otype, object_id, "commerce_payments")
                        if p.get("hs_latest_status", "").strip().lower() in PAYMENT_STATUSES_COUNTED]
            paid = sum((_decimal(p.get("hs_initial_amount"), Decimal(0)) for p in payments), Decimal(0))
            balance = total - paid
            props["hs_amount_billed"] = _number_text(total)
            props["hs_amount_paid"] = _number_text(paid)
            props["hs_balance_due"] = _number_text(balance)
            props["hs_payment_status"] = "PAID" if paid > 0 and balance <= 0 else \
                "PARTIALLY_PAID" if paid > 0 else "PENDING"
            status = props.get("hs_invoice_status")
            if status == "open" and total > 0 and balance <= 0:
                props["hs_invoice_status"] = "paid"
            elif status == "paid" and balance > 0:
                props["hs_invoice_status"] = "open"  # a payment failed, was refunded or removed, or lines grew
        else:
            props["hs_quote_amount"] = _number_text(total)
        # Choice: calculated values change without touching hs_lastmodifieddate (see docs/decisions.md).
        rows.track(self.ctx, row.data, before)
        self.ctx.store.put(row)

    def _live_children(self, otype: ObjectType, object_id: str, child: str) -> list[dict]:
        """The properties of the associated, non-archived ``child`` records of a record."""
        out = []
        for child_id, _ in rows.links(self.ctx, otype, object_id, catalog.OBJECT_TYPES[child]):
            row = self.ctx.store.get(self.ctx.portal, child, int(child_id))
            if row is not None and not row.deleted and not row.data.get("archived"):
                out.append(row.data["properties"])
        return out


def _decimal(value: object, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else default
    except InvalidOperation:
        return default


def _number_text(value: Decimal) -> str:
    """A number as HubSpot writes property values: no exponent, no trailing zeros. Any size: a quantity and a
    price near a double's limit (1e300) multiply beyond the default 28 digits, which quantize cannot hold."""
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, value.adjusted() + 6)
        text = format(value.quantize(Decimal("0.0001")).normalize(), "f")
    return "0" if text in ("-0", "") else text
