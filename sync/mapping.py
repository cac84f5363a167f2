"""Field mappings: which HubSpot property pairs with which QBO field, and how values compare.

Values are compared in a canonical text form so "10", "10.0" and 10 are one price and
" Ada@Example.com" is one email: the merge base stores canonical values, so a round trip
through either API never looks like a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

TWO_WAY, TO_QUICKBOOKS, TO_HUBSPOT = "two-way", "to-quickbooks", "to-hubspot"
DIRECTIONS = (TWO_WAY, TO_QUICKBOOKS, TO_HUBSPOT)
TYPES = ("text", "email", "number", "bool", "date")


@dataclass(frozen=True)
class FieldMap:
    hubspot: str  # HubSpot property
    quickbooks: str  # QBO field path, dotted: "PrimaryEmailAddr.Address"
    type: str = "text"
    direction: str = TWO_WAY  # narrows the pair's direction, never widens it
    name: str = ""  # the mapping's id in settings (default: the HubSpot property)
    custom: bool = False
    create_only: bool = False  # written when the record is created, never updated (DisplayName, D1)

    @property
    def id(self) -> str:
        return self.name or self.hubspot

    def flows(self, pair_direction: str, to: str) -> bool:
        """Whether values of this field may be written towards ``to`` (TO_QUICKBOOKS or TO_HUBSPOT)."""
        return pair_direction in (TWO_WAY, to) and self.direction in (TWO_WAY, to)


def canonical(value: object, kind: str = "text") -> str:
    """The comparable text of a value; blank (None, "", whitespace) is ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value).strip()
    if not text:
        return ""
    if kind == "email":
        return text.lower()
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        normal = number.normalize()
        return format(normal, "f") if normal == normal.to_integral() else format(normal, "f").rstrip("0")
    if kind == "bool":
        return "true" if text.lower() in ("true", "1", "yes") else "false"
    if kind == "date":
        return text[:10]
    return text


def read_qbo(entity: dict, path: str) -> object:
    """The value at a dotted path of a QBO entity, or None."""
    node: object = entity
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def write_qbo(body: dict, path: str, value: str, kind: str = "text") -> None:
    """Set a dotted path in a QBO request body from a canonical value (numbers and booleans as JSON)."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = qbo_value(value, kind)


def qbo_value(value: str, kind: str) -> object:
    if value == "":
        return None if kind in ("number", "bool") else ""
    if kind == "number":
        number = Decimal(value)
        return int(number) if number == number.to_integral() else float(number)
    if kind == "bool":
        return value == "true"
    return value


def snapshot_qbo(entity: dict, maps: list[FieldMap]) -> dict[str, str]:
    return {m.id: canonical(read_qbo(entity, m.quickbooks), m.type) for m in maps}


def snapshot_hubspot(record: dict, maps: list[FieldMap]) -> dict[str, str]:
    props = record.get("properties") or {}
    return {m.id: canonical(props.get(m.hubspot), m.type) for m in maps}


# -- the defaults of each pair (B3: each can be switched off in the settings) -----------------------

CONTACT_MAPPINGS = [
    FieldMap("email", "PrimaryEmailAddr.Address", "email"),  # also the match key (D3)
    FieldMap("firstname", "GivenName"),
    FieldMap("lastname", "FamilyName"),
    FieldMap("phone", "PrimaryPhone.FreeFormNumber"),
    FieldMap("company", "CompanyName"),
    FieldMap("address", "BillAddr.Line1"),
    FieldMap("city", "BillAddr.City"),
    FieldMap("state", "BillAddr.CountrySubDivisionCode"),
    FieldMap("zip", "BillAddr.PostalCode"),
    FieldMap("country", "BillAddr.Country"),
    # D1: the customer's DisplayName comes from the primary company, else "First Last"; the engine
    # computes it (``displayname`` is not a HubSpot property) and writes it once, at creation.
    FieldMap("displayname", "DisplayName", direction=TO_QUICKBOOKS, create_only=True),
]

PRODUCT_MAPPINGS = [
    FieldMap("hs_sku", "Sku"),  # also the match key (E1)
    FieldMap("name", "Name"),
    FieldMap("price", "UnitPrice", "number"),
    FieldMap("description", "Description"),
    FieldMap("hs_cost_of_goods_sold", "PurchaseCost", "number"),
]

# Invoice headers. Lines, tax, payments and associations are the invoice rules' own (sync/rules/invoices.py).
INVOICE_MAPPINGS = [
    FieldMap("hs_number", "DocNumber"),  # F6: the HubSpot number with custom transaction numbers on, else QBO's
    FieldMap("hs_invoice_date", "TxnDate", "date"),
    FieldMap("hs_due_date", "DueDate", "date"),
    FieldMap("hs_currency", "CurrencyRef.value", create_only=True),  # I8: a document keeps its currency
]

DEFAULT_MAPPINGS: dict[str, list[FieldMap]] = {"contacts": CONTACT_MAPPINGS, "products": PRODUCT_MAPPINGS,
                                               "invoices": INVOICE_MAPPINGS}

# What QBO fields custom mappings may name, with their types (the QBO API reference's Customer and
# Item entities; read-only ones such as Balance and QtyOnHand are left out).
QBO_FIELDS: dict[str, dict[str, str]] = {
    "contacts": {
        **{f: "text" for f in ("DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix",
                               "CompanyName", "PrintOnCheckName", "Notes", "ResaleNum",
                               "PrimaryPhone.FreeFormNumber", "Mobile.FreeFormNumber", "Fax.FreeFormNumber",
                               "AlternatePhone.FreeFormNumber", "WebAddr.URI")},
        **{f"{a}.{p}": "text" for a in ("BillAddr", "ShipAddr")
           for p in ("Line1", "Line2", "Line3", "City", "CountrySubDivisionCode", "PostalCode", "Country")},
        "PrimaryEmailAddr.Address": "email",
        "Taxable": "bool",
        "Active": "bool",
        "OpenBalanceDate": "date",
    },
    "products": {
        **{f: "text" for f in ("Name", "Sku", "Description", "PurchaseDesc")},
        "UnitPrice": "number",
        "PurchaseCost": "number",
        "Taxable": "bool",
        "Active": "bool",
        "InvStartDate": "date",
    },
    "invoices": {
        **{f: "text" for f in ("DocNumber", "PrivateNote", "CustomerMemo.value", "TrackingNum",
                               "BillEmail.Address")},
        **{f: "date" for f in ("TxnDate", "DueDate", "ShipDate")},
    },
}
