"""HubSpot contacts ⇄ QBO customers (rules C1, D1-D4)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from ..mapping import TO_QUICKBOOKS, TWO_WAY, FieldMap, canonical
from ..state import HUBSPOT, Record
from .base import Pair

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..planner import SyncContext
    from ..settings import PairSettings

PRIMARY_COMPANY = 1  # contact → company association type id of the primary company (HubSpot-defined)

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


class Contacts(Pair):
    name = "contacts"
    hubspot_type = "contacts"
    hubspot_webhook = "contact"
    hubspot_modified = "lastmodifieddate"  # contacts alone use this one (API notes)
    qbo_entity = "Customer"
    key_field = "email"
    duplicate_reason = "duplicate_email"
    hubspot_id_property = "email"  # unique in HubSpot: a create is an upsert by email
    mappings = CONTACT_MAPPINGS
    # what custom mappings may name (the API reference's Customer; read-only Balance and the like left out)
    qbo_fields: ClassVar[dict[str, str]] = {
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
    }

    def recommended(self, setup_date: date) -> dict:
        """C1: two-way; every QBO customer goes to HubSpot; a HubSpot contact goes to QBO only when it is on an
        invoice that is not a draft, was created after the setup date and whose source is HubSpot."""
        since = f"{setup_date.isoformat()}T00:00:00Z"
        group = [{"property": "invoice.hs_invoice_status", "operator": "NEQ", "value": "draft"},
                 {"property": "invoice.hs_createdate", "operator": "GT", "value": since},
                 {"property": "invoice.hs_invoice_source", "operator": "EQ", "value": "hubspot"}]
        return {"direction": TWO_WAY, "filters": {"to_quickbooks": [group], "to_hubspot": []}}

    def match_key(self, value: str) -> str | None:
        """D3: matched by email, normalised (edge case 5: case and whitespace never make a duplicate)."""
        return canonical(value, "email") or None

    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        # names feed the D1 display name even when their mappings are off
        return sorted({*super().hubspot_properties(settings), "email", "firstname", "lastname"})

    def hubspot_label(self, props: dict) -> str:
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return name or props.get("email") or ""

    def qbo_label(self, entity: dict) -> str:
        return entity.get("DisplayName", "")

    def qbo_extra(self, entity: dict) -> dict:
        return {"BillAddr": entity.get("BillAddr") or {}}

    def exclusion(self, record: Record, source: str, settings: PairSettings) -> str | None:
        """D3 / edge case 4: a record without email is excluded, not failed: it can never match."""
        return None if record.match_key else "no_email"

    def prepare(self, ctx: SyncContext, creates: list[Record], settings: PairSettings) -> dict:
        """D1: the primary company's name of each contact about to become a customer."""
        if not any(m.id == "displayname" for m in settings.mappings):
            return {}
        ids = [r.hubspot_id for r in creates if r.hubspot_id]
        if not ids:
            return {}
        links = ctx.hubspot.associations("contacts", "companies", ids)
        primary: dict[str, str] = {}
        for contact_id, targets in links.items():
            for target in targets:
                if any(t.get("typeId") == PRIMARY_COMPANY for t in target.get("associationTypes", [])):
                    primary[str(contact_id)] = str(target["toObjectId"])
        names = {c["id"]: (c.get("properties") or {}).get("name") or ""
                 for c in ctx.hubspot.batch_read("companies", sorted(set(primary.values())), ["name"])}
        return {"company": {cid: names.get(co, "") for cid, co in primary.items()}}

    def display_name(self, record: Record, context: dict) -> str:
        """D1: the primary company's name; with no company, "First Last" (the email as a last resort)."""
        company = (context.get("company") or {}).get(record.hubspot_id or "", "").strip()
        if company:
            return company
        props = record.extra(HUBSPOT).get("props", {})
        name = " ".join(p.strip() for p in (props.get("firstname") or "", props.get("lastname") or "") if p.strip())
        return name or (record.match_key or "")

    def qbo_body(self, record: Record, values: dict[str, str], maps: list[FieldMap], creating: bool,
                 context: dict, settings: PairSettings) -> dict:
        body = super().qbo_body(record, values, maps, creating, context, settings)
        if "BillAddr" in body and not creating:
            # a sparse update replaces the whole address: keep the parts this sync does not map
            body["BillAddr"] = {**record.extra("quickbooks").get("BillAddr", {}), **body["BillAddr"]}
        if creating and any(m.id == "displayname" for m in maps):
            body["DisplayName"] = self.display_name(record, context)
        return body

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        if error.code == "6240":
            return "duplicate_display_name"  # D2: never renamed, never retried until the record changes
        return super().qbo_failure(error, creating)  # a field's value: the field QBO names (name D1, email D3…)

    def hubspot_failure(self, error: dict) -> str:
        text = f"{error.get('message', '')} {error.get('category', '')}"
        return "invalid_email" if "INVALID_EMAIL" in text or "email" in text.lower() else "rejected_by_hubspot"


CONTACTS = Contacts()
