"""HubSpot products ⇄ QBO items (rules C3, E1, E2)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from ..clients import qbo_query as q
from ..mapping import TO_HUBSPOT, FieldMap
from ..state import Record
from .base import Option, Pair

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksClient, QuickBooksError
    from ..planner import SyncContext
    from ..settings import PairSettings
    from ..state import State

CUSTOM_LINE_ITEM = "Custom line item"
ITEM_ID_PROPERTY = "quickbooks_item_id"  # a unique product property: creates from QBO are upserts keyed by it
ITEM_ID_DEFINITION = {"name": ITEM_ID_PROPERTY, "label": "QuickBooks item ID", "type": "string",
                      "fieldType": "text", "groupName": "productinformation", "hasUniqueValue": True,
                      "description": "The QuickBooks Online item this product is synced with."}

PRODUCT_MAPPINGS = [
    FieldMap("hs_sku", "Sku"),  # also the match key (E1)
    FieldMap("name", "Name"),
    FieldMap("price", "UnitPrice", "number"),
    FieldMap("description", "Description"),
    FieldMap("hs_cost_of_goods_sold", "PurchaseCost", "number"),
]


class Products(Pair):
    name = "products"
    hubspot_type = "products"
    hubspot_webhook = "product"
    qbo_entity = "Item"
    key_field = "hs_sku"
    key_is_case_sensitive = True  # edge case 32
    duplicate_reason = "duplicate_sku"
    hubspot_id_property = ITEM_ID_PROPERTY
    qbo_id_properties = (ITEM_ID_PROPERTY,)
    hubspot_id_definition = ITEM_ID_DEFINITION
    mappings = PRODUCT_MAPPINGS
    # what custom mappings may name (the API reference's Item; read-only QtyOnHand and the like left out)
    qbo_fields: ClassVar[dict[str, str]] = {
        **{f: "text" for f in ("Name", "Sku", "Description", "PurchaseDesc")},
        "UnitPrice": "number",
        "PurchaseCost": "number",
        "Taxable": "bool",
        "Active": "bool",
        "InvStartDate": "date",
    }
    # E1: by default only products with a SKU sync; items created from HubSpot are booked on the income account
    options: ClassVar[dict[str, Option]] = {"require_sku": Option(True, "bool", generations=("current",)),
                                            "income_account": Option("Sales of Product Income")}

    def recommended(self, setup_date: date) -> dict:
        """C3: one-way QBO → HubSpot, all products and services."""
        return {"direction": TO_HUBSPOT, "filters": {"to_quickbooks": [], "to_hubspot": []}}

    def match_key(self, value: str) -> str | None:
        """E1: matched by SKU, exactly: a SKU differing only in case is another SKU (edge case 32)."""
        return value or None

    def hubspot_label(self, props: dict) -> str:
        return props.get("name") or props.get("hs_sku") or ""

    def qbo_label(self, entity: dict) -> str:
        return entity.get("Name", "")

    def exclusion(self, record: Record, source: str, settings: PairSettings) -> str | None:
        """E1: by default only products that have a SKU sync."""
        return "no_sku" if settings.require_sku and not record.match_key else None

    def prepare(self, ctx: SyncContext, creates: list[Record], settings: PairSettings) -> dict:
        return {"income_account": ctx.income_account(settings.income_account)} if creates else {}

    def qbo_body(self, record: Record, values: dict[str, str], maps: list[FieldMap], creating: bool,
                 context: dict, settings: PairSettings) -> dict:
        body = super().qbo_body(record, values, maps, creating, context, settings)
        if creating:
            body.setdefault("Name", record.label or record.match_key or "")
            body.update(Type="Service", IncomeAccountRef=context["income_account"])
        return body

    def hubspot_create(self, record: Record, values: dict[str, str], maps: list[FieldMap]) -> tuple[str, dict]:
        props = self.hubspot_properties_for(values, maps)
        props[ITEM_ID_PROPERTY] = record.qbo_id or ""
        return record.qbo_id or "", props

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        if error.code == "6240":
            return "duplicate_name"
        return super().qbo_failure(error, creating)  # a field's value: the field QBO names (SKU E1, name E1…)


def ensure_custom_line_item(qbo: QuickBooksClient, state: State, income_account: dict) -> str:
    """E2: the item that invoice lines matching no QBO item are booked on, created once when first needed.

    Found by name if it exists already; created with a fixed requestid, so a crash between the
    create and the record of its id replays the same item instead of making a second one.
    """
    known = state.get_value("custom_line_item_id")
    if known:
        return str(known)
    found = list(qbo.query(q.select("Item", q.equals("Name", CUSTOM_LINE_ITEM), q.ANY_ACTIVE)))
    if found:
        item_id = str(found[0]["Id"])
    else:
        body = {"Name": CUSTOM_LINE_ITEM, "Type": "Service", "IncomeAccountRef": income_account}
        item_id = str(qbo.create("Item", body, request_id="hsqbo-custom-line-item")["Id"])
    state.set_value("custom_line_item_id", item_id)
    return item_id


PRODUCTS = Products()
