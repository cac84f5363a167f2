"""HubSpot's object types, their built-in properties, value validation and association type ids.

Sources: docs/hubspot-api-notes.md (§1 objects, §2 default properties, §3.2 association type ids, §4 the
Properties API and the VALIDATION_ERROR body), the hubspot-api-client 12.0.0 models (``Property``,
``PropertyCreate``, ``Option``, ``PropertyModificationMetadata``, ``AssociationType``) and
developers.hubspot.com (object guides, changelogs). Choices made where the sources are silent are marked
"choice" below; everything the simulator stores is a string, as HubSpot returns it.

Validation codes: ``PROPERTY_DOESNT_EXIST`` (verbatim wording from the docs), ``INVALID_OPTION`` (enumerations;
wording seen in real responses: ``<value> was not one of the allowed options: [A, B]``), ``INVALID_EMAIL``
(wording of a captured response: ``Email address <value> is invalid``), ``INVALID_INTEGER`` (any number
property given a non-number, as the notes say), ``INVALID_DATE`` and ``READ_ONLY_VALUE`` (codes from
third-party mocks only; wording is ours).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

# ---------------------------------------------------------------------------------------------------------
# Object types
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectType:
    name: str  # plural path name, e.g. "contacts"
    type_id: str  # objectTypeId, e.g. "0-1"
    singular: str  # e.g. "contact"; also the key of ASSOCIATION_TYPES and the stem of v3 association names
    created_property: str
    modified_property: str
    default_properties: tuple[str, ...]  # returned when a request names no properties (notes §2)
    required: tuple[str, ...]  # every one of these is needed to create (notes §1.2)
    mergeable: bool
    scope: str  # scope family: "<scope>.read" / "<scope>.write"
    # At least one property of each group is needed to create (companies: "domain or name").
    required_any: tuple[tuple[str, ...], ...] = ()
    # Other scope families that also grant access (products, line items, quotes: "e-commerce").
    alternate_scopes: tuple[str, ...] = ()


_STAMPS = ("createdate", "hs_lastmodifieddate", "hs_object_id")

OBJECT_TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        ObjectType(
            "contacts", "0-1", "contact", "createdate", "lastmodifieddate",
            ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
            (), True, "crm.objects.contacts",
        ),
        ObjectType(
            "companies", "0-2", "company", "createdate", "hs_lastmodifieddate",
            ("name", "domain", *_STAMPS), (), True, "crm.objects.companies", required_any=(("domain", "name"),),
        ),
        ObjectType(
            "deals", "0-3", "deal", "createdate", "hs_lastmodifieddate",
            ("dealname", "amount", "closedate", "pipeline", "dealstage", *_STAMPS),
            ("dealname", "dealstage"), True, "crm.objects.deals",  # pipeline defaults (see docs/decisions.md)
        ),
        # The docs' "required to create" list for products (kept as documented, notes §1.2) is stricter than
        # the products guide, which only asks for a name in its examples.
        ObjectType(
            "products", "0-7", "product", "createdate", "hs_lastmodifieddate",
            ("name", "description", "price", *_STAMPS),
            ("name",), False, "crm.objects.products",  # see docs/decisions.md
            alternate_scopes=("e-commerce",),
        ),
        ObjectType(
            "line_items", "0-8", "line_item", "createdate", "hs_lastmodifieddate",
            ("quantity", "amount", "price", *_STAMPS), (), False, "crm.objects.line_items",
            alternate_scopes=("e-commerce",),
        ),
        ObjectType(
            "quotes", "0-14", "quote", "hs_createdate", "hs_lastmodifieddate",
            ("hs_expiration_date", "hs_public_url_key", "hs_status", "hs_title", "hs_createdate",
             "hs_lastmodifieddate", "hs_object_id"),
            ("hs_title", "hs_expiration_date"), False, "crm.objects.quotes", alternate_scopes=("e-commerce",),
        ),
        # Docs inconsistency (notes §1.3): the invoices guide's GET examples return "hs_createdate", the search
        # guide's default-properties table says "createdate". Choice: "hs_createdate" everywhere for invoices
        # (the invoices guide is the more specific source); the defaults below follow that choice.
        ObjectType(
            "invoices", "0-53", "invoice", "hs_createdate", "hs_lastmodifieddate",
            ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"), ("hs_currency",), False,
            "crm.objects.invoices",
        ),
        ObjectType(
            "commerce_payments", "0-101", "commerce_payment", "createdate", "hs_lastmodifieddate", _STAMPS,
            ("hs_initial_amount", "hs_initiated_date"), False, "crm.objects.commercepayments",
        ),
    )
}

_ALIASES: dict[str, str] = {"payment": "commerce_payments", "payments": "commerce_payments"}
_BY_KEY: dict[str, ObjectType] = {}
for _t in OBJECT_TYPES.values():
    _BY_KEY[_t.name] = _BY_KEY[_t.singular] = _BY_KEY[_t.type_id] = _t
for _alias, _target in _ALIASES.items():
    _BY_KEY[_alias] = OBJECT_TYPES[_target]


# HubSpot's object types this simulator does not have: named, they are refused as "not simulated" (not the
# "Unable to infer object type" of a name HubSpot does not know either).
NOT_SIMULATED = ("tickets", "0-5", "notes", "calls", "emails", "meetings", "tasks", "communications",
                 "postal_mail", "leads", "feedback_submissions", "goal_targets", "carts", "orders", "discounts",
                 "fees", "taxes", "subscriptions", "users", "listings", "courses", "appointments", "services",
                 "projects")


def resolve_type(name_or_id: str) -> ObjectType | None:
    """The object type named by a plural or singular name (any case) or an objectTypeId ("0-1")."""
    if not isinstance(name_or_id, str):
        return None
    return _BY_KEY.get(name_or_id.strip().lower())


# ---------------------------------------------------------------------------------------------------------
# Property definitions
# ---------------------------------------------------------------------------------------------------------

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool", "phone_number")
FIELD_TYPES = (
    "text", "textarea", "date", "file", "number", "select", "radio", "checkbox", "booleancheckbox",
    "calculation_equation", "html", "phonenumber",
)
# Which fieldTypes go with which type (the Properties guide's table; enforced by v3 since 2021-02-01,
# changelog "crm-object-property-validattion").
FIELD_TYPES_BY_TYPE: dict[str, frozenset[str]] = {
    "bool": frozenset({"booleancheckbox", "calculation_equation"}),
    "enumeration": frozenset({"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "string": frozenset({"file", "text", "textarea", "calculation_equation", "html", "phonenumber"}),
    "number": frozenset({"number", "calculation_equation"}),
    "phone_number": frozenset({"phonenumber"}),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: tuple[dict, ...] = ()  # {"label", "value", "displayOrder", "hidden", "description"}
    has_unique_value: bool = False
    hidden: bool = False
    form_field: bool = False
    display_order: int = -1
    read_only_value: bool = False
    calculated: bool = False
    hubspot_defined: bool = True

    @property
    def read_only(self) -> bool:
        """Whether API writes of this property's value are refused (READ_ONLY_VALUE)."""
        return self.read_only_value or self.calculated

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(str(o.get("value", "")) for o in self.options)

    def to_json(self, created_at: str, updated_at: str) -> dict:
        """The Properties API ``Property`` shape (notes §4; SDK ``hubspot.crm.properties.models.Property``)."""
        return {
            "updatedAt": updated_at,
            "createdAt": created_at,
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [dict(o) for o in self.options],
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": False,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "hubspotDefined": self.hubspot_defined,
            # Choice: built-in definitions are locked and not archivable; options are locked only where the
            # value itself is read-only. Custom properties are fully editable.
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyOptions": self.read_only,
                "readOnlyValue": self.read_only,
            },
            "formField": self.form_field,
            "archived": False,
        }

    @staticmethod
    def from_json(body: dict) -> PropertyDef:
        """A definition from a ``PropertyCreate`` body (or a stored ``Property``); ValueError says what is wrong."""
        if not isinstance(body, dict):
            raise ValueError("The property definition must be a JSON object")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise ValueError(f"Missing required field(s): {', '.join(missing)}")
        for key in ("name", "label", "type", "fieldType", "groupName"):
            if not isinstance(body[key], str):
                raise ValueError(f"{key} must be a string")
        name, ptype, ftype = body["name"], body["type"], body["fieldType"]
        if not _NAME.match(name):
            raise ValueError(
                f"Invalid property name '{name}': use lowercase letters, digits and underscores, starting with a letter"
            )
        if ptype not in PROPERTY_TYPES:
            raise ValueError(f"Invalid type '{ptype}': must be one of {', '.join(PROPERTY_TYPES)}")
        if ftype not in FIELD_TYPES:
            raise ValueError(f"Invalid fieldType '{ftype}': must be one of {', '.join(FIELD_TYPES)}")
        if ftype not in FIELD_TYPES_BY_TYPE[ptype]:
            allowed = ", ".join(sorted(FIELD_TYPES_BY_TYPE[ptype]))
            raise ValueError(f"fieldType '{ftype}' is not valid for type '{ptype}': use one of {allowed}")
        flags = {}
        for key in ("hasUniqueValue", "hidden", "formField", "calculated", "hubspotDefined"):
            value = body.get(key, False)
            if value is None:
                value = False
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be a boolean")
            flags[key] = value
        display_order = body.get("displayOrder", -1)
        if display_order is None:
            display_order = -1
        if isinstance(display_order, bool) or not isinstance(display_order, int):
            raise ValueError("displayOrder must be an integer")
        description = body.get("description") or ""
        if not isinstance(description, str):
            raise ValueError("description must be a string")
        options = _options_from_json(body.get("options"))
        if ptype == "enumeration":
            values = [o["value"] for o in options]
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                raise ValueError(f"Duplicate option value(s): {', '.join(duplicates)}")
        metadata = body.get("modificationMetadata") or {}
        calculated = flags["calculated"] or ftype == "calculation_equation" or bool(body.get("calculationFormula"))
        # A stored Property's readOnlyValue comes back as read_only_value unless "calculated" already explains it.
        read_only_value = bool(isinstance(metadata, dict) and metadata.get("readOnlyValue")) and not calculated
        return PropertyDef(
            name=name, label=body["label"], type=ptype, field_type=ftype, group_name=body["groupName"],
            description=description, options=options, has_unique_value=flags["hasUniqueValue"],
            hidden=flags["hidden"], form_field=flags["formField"], display_order=display_order,
            read_only_value=read_only_value, calculated=calculated, hubspot_defined=flags["hubspotDefined"],
        )


def _options_from_json(raw: object) -> tuple[dict, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("options must be a list")
    out = []
    for i, o in enumerate(raw):
        if not isinstance(o, dict):
            raise ValueError(f"options[{i}] must be an object")
        for key in ("label", "value"):
            if not isinstance(o.get(key), str) or o.get(key) == "":
                raise ValueError(f"options[{i}].{key} is required and must be a non-empty string")
        order = o.get("displayOrder", i)
        if isinstance(order, bool) or not isinstance(order, int):
            raise ValueError(f"options[{i}].displayOrder must be an integer")
        hidden = o.get("hidden", False)
        if not isinstance(hidden, bool):
            raise ValueError(f"options[{i}].hidden must be a boolean")
        out.append({"label": o["label"], "value": o["value"], "displayOrder": order, "hidden": hidden,
                    "description": str(o.get("description") or "")})
    return tuple(out)


def _opts(*pairs: tuple[str, str]) -> tuple[dict, ...]:
    return tuple({"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
                 for i, (value, label) in enumerate(pairs))


_TRUE_FALSE = _opts(("true", "Yes"), ("false", "No"))


def _p(name: str, label: str, ptype: str, group: str, *, field_type: str | None = None, **kw: object) -> PropertyDef:
    default_field = {"string": "text", "number": "number", "date": "date", "datetime": "date",
                     "enumeration": "select", "bool": "booleancheckbox", "phone_number": "phonenumber"}[ptype]
    # the keywords are PropertyDef's optional fields, each of its own type: **kw cannot say which is which
    return PropertyDef(name, label, ptype, field_type or default_field, group, **kw)  # type: ignore[arg-type]


def _stamps(group: str, created: str = "createdate", modified: str = "hs_lastmodifieddate") -> list[PropertyDef]:
    return [
        _p(created, "Create Date", "datetime", group, read_only_value=True),
        _p(modified, "Last Modified Date", "datetime", group, read_only_value=True),
        _p("hs_object_id", "Record ID", "number", group, read_only_value=True,
           description="The unique ID for this record. This value is set automatically by HubSpot."),
    ]


# Choice: the deal properties the legacy QuickBooks Online integration writes. HubSpot does not publish their
# internal names (notes §1.3a); these are the simulator's names, defined as integration (not HubSpot) properties.
QBO_DEAL_GROUP = "qbo_invoice_information"
_QBO_DEAL_PROPERTIES = [
    _p("qbo_invoice_amount", "QuickBooks invoice amount", "number", QBO_DEAL_GROUP, hubspot_defined=False),
    _p("qbo_invoice_recipient", "QuickBooks invoice recipient", "string", QBO_DEAL_GROUP, hubspot_defined=False),
    _p("qbo_invoice_number", "QuickBooks invoice number", "string", QBO_DEAL_GROUP, hubspot_defined=False),
    _p("qbo_invoice_status", "QuickBooks invoice status", "string", QBO_DEAL_GROUP, hubspot_defined=False),
    _p("qbo_invoice_due_date", "QuickBooks invoice due date", "date", QBO_DEAL_GROUP, hubspot_defined=False),
]

LIFECYCLE_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                    "customer", "evangelist", "other")
DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
               "contractsent", "closedwon", "closedlost")
QUOTE_STATUSES = ("DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED", "REJECTED")
INVOICE_STATUSES = ("draft", "open", "paid", "voided")
# Choice: the notes' unconfirmed "invoice source" property (HubSpot vs an integration) is named
# hs_invoice_source, with these option values.
INVOICE_SOURCES = ("hubspot", "quickbooks")

_C, _CO, _D = "contactinformation", "companyinformation", "dealinformation"
_PR, _LI, _Q = "productinformation", "lineiteminformation", "quoteinformation"
_INV, _PAY = "invoiceinformation", "paymentinformation"

_BUILTIN_LISTS: dict[str, list[PropertyDef]] = {
    "contacts": [
        _p("email", "Email", "string", _C, has_unique_value=True, form_field=True,
           description="A contact's email address"),
        _p("firstname", "First Name", "string", _C, form_field=True),
        _p("lastname", "Last Name", "string", _C, form_field=True),
        _p("phone", "Phone Number", "string", _C, field_type="phonenumber", form_field=True),
        _p("mobilephone", "Mobile Phone Number", "string", _C, field_type="phonenumber", form_field=True),
        _p("fax", "Fax Number", "string", _C, form_field=True),
        _p("company", "Company Name", "string", _C, form_field=True),
        _p("website", "Website URL", "string", _C, form_field=True),
        _p("address", "Street Address", "string", _C, form_field=True),
        _p("city", "City", "string", _C, form_field=True),
        _p("state", "State/Region", "string", _C, form_field=True),
        _p("zip", "Postal Code", "string", _C, form_field=True),
        _p("country", "Country/Region", "string", _C, form_field=True),
        _p("jobtitle", "Job Title", "string", _C, form_field=True),
        _p("lifecyclestage", "Lifecycle Stage", "enumeration", _C, form_field=True, options=_opts(
            ("subscriber", "Subscriber"), ("lead", "Lead"), ("marketingqualifiedlead", "Marketing Qualified Lead"),
            ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"),
            ("customer", "Customer"), ("evangelist", "Evangelist"), ("other", "Other"))),
        _p("hs_lead_status", "Lead Status", "enumeration", "sales_properties", field_type="radio", options=_opts(
            ("NEW", "New"), ("OPEN", "Open"), ("IN_PROGRESS", "In Progress"), ("OPEN_DEAL", "Open Deal"),
            ("UNQUALIFIED", "Unqualified"), ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
            ("CONNECTED", "Connected"), ("BAD_TIMING", "Bad Timing"))),
        _p("associatedcompanyid", "Primary Associated Company ID", "number", _C,
           description="HubSpot defined ID of a contact's primary associated company"),
        _p("hs_additional_emails", "Additional email addresses", "string", _C, field_type="textarea",
           description="Other email addresses of the contact, separated by semicolons"),
        _p("hs_marketable_until_renewal", "Marketing contact until next update", "enumeration", _C,
           field_type="booleancheckbox", options=_TRUE_FALSE),
        *_stamps(_C, "createdate", "lastmodifieddate"),
        _p("notes_last_updated", "Last Activity Date", "datetime", "contact_activity", read_only_value=True),
    ],
    "companies": [
        _p("name", "Company name", "string", _CO, form_field=True),
        _p("domain", "Company Domain Name", "string", _CO, form_field=True),
        _p("website", "Website URL", "string", _CO),
        _p("phone", "Phone Number", "string", _CO, field_type="phonenumber"),
        _p("address", "Street Address", "string", _CO),
        _p("city", "City", "string", _CO),
        _p("state", "State/Region", "string", _CO),
        _p("zip", "Postal Code", "string", _CO),
        _p("country", "Country/Region", "string", _CO),
        # Choice: HubSpot's industry is an enumeration of ~150 options; kept free text here.
        _p("industry", "Industry", "string", _CO),
        _p("description", "Description", "string", _CO, field_type="textarea"),
        _p("numberofemployees", "Number of Employees", "number", _CO),
        _p("annualrevenue", "Annual Revenue", "number", _CO),
        *_stamps(_CO),
    ],
    "deals": [
        _p("dealname", "Deal Name", "string", _D),
        _p("amount", "Amount", "number", _D),
        _p("closedate", "Close Date", "datetime", _D),
        _p("pipeline", "Pipeline", "enumeration", _D, options=_opts(("default", "Sales Pipeline"))),
        _p("dealstage", "Deal Stage", "enumeration", _D, field_type="radio", options=_opts(
            ("appointmentscheduled", "Appointment Scheduled"), ("qualifiedtobuy", "Qualified To Buy"),
            ("presentationscheduled", "Presentation Scheduled"),
            ("decisionmakerboughtin", "Decision Maker Bought-In"), ("contractsent", "Contract Sent"),
            ("closedwon", "Closed Won"), ("closedlost", "Closed Lost"))),
        _p("dealtype", "Deal Type", "enumeration", _D, field_type="radio", options=_opts(
            ("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))),
        _p("description", "Deal Description", "string", _D, field_type="textarea"),
        # Choice: HubSpot limits this to the account's currencies; kept free text here.
        _p("deal_currency_code", "Currency", "string", _D),
        *_stamps(_D),
        *_QBO_DEAL_PROPERTIES,
    ],
    "products": [
        _p("name", "Name", "string", _PR),
        _p("description", "Description", "string", _PR, field_type="textarea"),
        _p("price", "Unit price", "number", _PR),
        _p("hs_sku", "SKU", "string", _PR),
        _p("hs_cost_of_goods_sold", "Unit cost", "number", _PR),
        _p("hs_recurring_billing_period", "Term", "string", _PR,
           description="ISO 8601 period, e.g. P12M"),
        # Choice: the docs' "required to create" list names hs_folder; its type is not published (folder id).
        _p("hs_folder", "Folder", "string", _PR),
        _p("hs_product_type", "Product Type", "enumeration", _PR, options=_opts(
            ("inventory", "Inventory"), ("non_inventory", "Non-Inventory"), ("service", "Service"))),
        *_stamps(_PR),
    ],
    "line_items": [
        _p("name", "Name", "string", _LI),
        _p("description", "Description", "string", _LI, field_type="textarea"),
        _p("quantity", "Quantity", "number", _LI),
        _p("price", "Unit price", "number", _LI),
        _p("amount", "Net price", "number", _LI, calculated=True, field_type="calculation_equation",
           description="quantity × price less discounts; calculated by HubSpot"),
        _p("hs_sku", "SKU", "string", _LI),
        _p("hs_product_id", "Product ID", "number", _LI),
        _p("discount", "Unit discount", "number", _LI),
        _p("hs_discount_percentage", "Discount Percentage", "number", _LI),
        _p("hs_line_item_currency_code", "Currency", "string", _LI),
        # Rule F4: the tax HubSpot's automated sales tax (a beta a Super Admin opts into) computed for the line;
        # writable only while the portal has the beta on (records.py), counted in the invoice's totals (amounts.py).
        _p("hs_tax_amount", "Tax amount", "number", _LI,
           description="Tax computed by HubSpot's automated sales tax (beta); counted in the invoice's total"),
        *_stamps(_LI),
    ],
    "quotes": [
        _p("hs_title", "Quote Name", "string", _Q),
        _p("hs_expiration_date", "Expiration Date", "date", _Q),
        _p("hs_status", "Quote approval status", "enumeration", _Q, options=_opts(
            ("DRAFT", "Draft"), ("APPROVAL_NOT_NEEDED", "Approval not needed"),
            ("PENDING_APPROVAL", "Pending approval"), ("APPROVED", "Approved"), ("REJECTED", "Rejected"))),
        _p("hs_public_url_key", "Public URL Key", "string", _Q),
        _p("hs_quote_amount", "Quote Amount", "number", _Q, calculated=True, field_type="calculation_equation"),
        _p("hs_currency", "Currency", "string", _Q),
        *_stamps(_Q, "hs_createdate"),
    ],
    "invoices": [
        _p("hs_currency", "Currency", "string", _INV),
        _p("hs_invoice_status", "Invoice status", "enumeration", _INV, options=_opts(
            ("draft", "Draft"), ("open", "Open"), ("paid", "Paid"), ("voided", "Voided"))),
        _p("hs_number", "Invoice number", "string", _INV),
        _p("hs_title", "Title", "string", _INV),
        # Choice: invoice and due dates are datetimes (HubSpot stores them as timestamps).
        _p("hs_invoice_date", "Invoice date", "datetime", _INV),
        _p("hs_due_date", "Due date", "datetime", _INV),
        _p("hs_amount_billed", "Amount billed", "number", _INV, calculated=True, field_type="calculation_equation"),
        _p("hs_amount_paid", "Amount paid", "number", _INV, calculated=True, field_type="calculation_equation"),
        _p("hs_balance_due", "Balance due", "number", _INV, calculated=True, field_type="calculation_equation"),
        _p("hs_amount_billed_in_company_currency", "Amount billed in company currency", "number", _INV,
           calculated=True, field_type="calculation_equation"),
        _p("hs_invoice_link", "Invoice link", "string", _INV, read_only_value=True),
        _p("hs_payment_status", "Payment status", "string", _INV),
        _p("hs_invoice_source", "Invoice source", "enumeration", _INV, options=_opts(
            ("hubspot", "HubSpot"), ("quickbooks", "QuickBooks Online"))),
        *_stamps(_INV, "hs_createdate"),
    ],
    "commerce_payments": [
        _p("hs_initial_amount", "Gross amount", "number", _PAY),
        _p("hs_initiated_date", "Payment date", "datetime", _PAY),
        _p("hs_currency_code", "Currency", "string", _PAY),
        # Choice: free text (the status and method values in use are not published as a closed list).
        _p("hs_latest_status", "Status", "string", _PAY),
        _p("hs_payment_method_type", "Payment method", "string", _PAY),
        _p("hs_reference_number", "Reference number", "string", _PAY),
        *_stamps(_PAY),
    ],
}

BUILTIN_PROPERTIES: dict[str, dict[str, PropertyDef]] = {
    t: {p.name: p for p in props} for t, props in _BUILTIN_LISTS.items()
}


def _groups(*pairs: tuple[str, str]) -> tuple[dict, ...]:
    return tuple({"name": n, "label": label, "displayOrder": i, "archived": False}
                 for i, (n, label) in enumerate(pairs))


BUILTIN_GROUPS: dict[str, tuple[dict, ...]] = {
    "contacts": _groups((_C, "Contact information"), ("contact_activity", "Contact activity"),
                        ("sales_properties", "Sales properties")),
    "companies": _groups((_CO, "Company information"), ("company_activity", "Company activity")),
    "deals": _groups((_D, "Deal information"), ("deal_activity", "Deal activity"),
                     (QBO_DEAL_GROUP, "QuickBooks Online invoice information")),
    "products": _groups((_PR, "Product information")),
    "line_items": _groups((_LI, "Line item information")),
    "quotes": _groups((_Q, "Quote information")),
    "invoices": _groups((_INV, "Invoice information")),
    "commerce_payments": _groups((_PAY, "Payment information")),
}

# ---------------------------------------------------------------------------------------------------------
# Value validation
# ---------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
# Numbers: one optional sign, digits with at most one period, optional exponent; no thousands separators
# (changelog "upcoming-increased-validation-for-contact-updates-made-through-apis").
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_EPOCH_MS = re.compile(r"^-?\d{1,15}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EMAIL_PROPERTIES = {"contacts": frozenset({"email"})}


def problem(code: str, name: str, message: str, portal_id: int) -> dict:
    """One item of a VALIDATION_ERROR body (:func:`validation_error_body`), for rules checked outside this module."""
    return _error(code, name, message, portal_id)


def _error(code: str, name: str, message: str, portal_id: int) -> dict:
    return {"isValid": False, "message": message, "error": code, "name": name, "localizedErrorMessage": message,
            "portalId": portal_id}


def _scalar_text(value: object) -> str:
    """The general string form: None → "", booleans → "true"/"false", integral numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return _decimal_text(value) if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return _iso_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(_scalar_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _decimal_text(d: Decimal) -> str:
    if d == d.to_integral_value():
        return str(int(d))
    text = format(d.normalize(), "f")
    return text


def _number(value: object) -> str | None:
    """Canonical number text (no exponent, no trailing zeros, integers without ".0"), or None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            return None
    else:
        text = str(value).strip()
        if not _NUMBER.match(text):
            return None
        d = Decimal(text)
    if not d.is_finite() or abs(d.adjusted()) > 308:  # beyond a double's range
        return None
    return _decimal_text(d)


def _iso_datetime(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _parse_instant(value: object) -> datetime | None:
    """Epoch milliseconds (number or digit string), ISO 8601 date or date-time (naive = UTC), date/datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    try:
        if isinstance(value, (int, float, Decimal)):
            ms = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if not ms.is_finite() or ms != ms.to_integral_value():
                return None
            return _EPOCH + timedelta(milliseconds=int(ms))
        text = str(value).strip()
        if _EPOCH_MS.match(text):
            return _EPOCH + timedelta(milliseconds=int(text))
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        if "T" not in text and " " not in text:
            return None
        dt = datetime.fromisoformat(text)
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError, InvalidOperation):
        return None


def _check(defn: PropertyDef, object_type: str, raw: object, portal_id: int) -> tuple[str | None, dict | None]:
    """One value: (normalised, None) or (None, error item)."""
    name = defn.name
    if raw is None or (isinstance(raw, str) and raw == ""):
        return "", None  # "Properties values can be cleared by passing an empty string."
    text = _scalar_text(raw)
    if defn.type == "string" or defn.type == "phone_number":
        if name in _EMAIL_PROPERTIES.get(object_type, ()):
            email = text.strip()
            if not _EMAIL.match(email):
                return None, _error("INVALID_EMAIL", name, f"Email address {text} is invalid", portal_id)
            return email.lower(), None  # choice: HubSpot matches emails case-insensitively; stored lower-case
        return text, None
    stripped = text.strip()
    if stripped == "":
        return "", None
    if defn.type == "number":
        number = _number(raw if not isinstance(raw, str) else stripped)
        if number is None:
            return None, _error("INVALID_INTEGER", name, f"{text} was not a valid number.", portal_id)
        return number, None
    if defn.type in ("enumeration", "bool"):
        allowed = defn.option_values if defn.type == "enumeration" or defn.options else ("true", "false")
        if defn.type == "bool":
            stripped = stripped.lower()
        parts = [p.strip() for p in stripped.split(";")] if defn.field_type == "checkbox" else [stripped]
        parts = [p for p in parts if p != ""]
        for part in parts:
            if part not in allowed:
                message = f"{part} was not one of the allowed options: [{', '.join(allowed)}]"
                return None, _error("INVALID_OPTION", name, message, portal_id)
        return ";".join(parts), None
    if defn.type in ("date", "datetime"):
        instant = _parse_instant(raw if not isinstance(raw, str) else stripped)
        if instant is None:
            return None, _error("INVALID_DATE", name, f"{text} was not a valid date.", portal_id)
        instant = instant.astimezone(UTC)
        if defn.type == "datetime":
            return _iso_datetime(instant), None
        if instant.time() != time():
            at = f"{instant.hour}:{instant.minute}:{instant.second}.{instant.microsecond // 1000}"
            return None, _error("INVALID_DATE", name, f"{text} is at {at} UTC, not midnight!", portal_id)
        return instant.date().isoformat(), None
    return text, None


def validate_values(
    object_type: str, values: dict, definitions: Mapping[str, PropertyDef], portal_id: int, *,
    allow_read_only: bool = False,
) -> tuple[dict[str, str], list[dict]]:
    """Check property values against their definitions; return (normalised string values, error items).

    Normalisation (choice where HubSpot is silent): every value becomes a string; None and "" clear ("");
    booleans → "true"/"false"; numbers → canonical decimal text ("10", "10.5", no exponent, no trailing zeros);
    datetimes (epoch ms or ISO 8601, naive = UTC) → "YYYY-MM-DDTHH:MM:SS.mmmZ"; dates → "YYYY-MM-DD" (must be
    midnight UTC); enumerations must match an option value exactly (case-sensitive), multi-select checkbox
    values separated by ";"; bool properties accept true/false in any case; contact emails are lower-cased.
    Non-string values are trimmed. ``allow_read_only`` lets the simulator itself write read-only properties.
    Error items are in input order, one per offending property.
    """
    otype = resolve_type(object_type)
    type_name = otype.name if otype else object_type
    normalised: dict[str, str] = {}
    problems: list[dict] = []
    for key, raw in values.items():
        name = str(key)
        defn = definitions.get(name)
        if defn is None:
            message = f'Property "{name}" does not exist'
            problems.append(_error("PROPERTY_DOESNT_EXIST", name, message, portal_id))
            continue
        if defn.read_only and not allow_read_only:
            message = f'Property "{name}" is read-only and its value cannot be set'
            problems.append(_error("READ_ONLY_VALUE", name, message, portal_id))
            continue
        value, problem = _check(defn, type_name, raw, portal_id)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            normalised[name] = value
    return normalised, problems


def validation_error_body(items: list[dict], correlation_id: str) -> dict:
    """The 400 VALIDATION_ERROR body (notes §4): the items JSON-encoded in the message, and one error each."""
    return {
        "status": "error",
        "message": "Property values were not valid: " + json.dumps(items),
        "correlationId": correlation_id,
        "errors": [{"message": item["message"], "code": item["error"], "context": {"propertyName": [item["name"]]}}
                   for item in items],
        "category": "VALIDATION_ERROR",
    }


# ---------------------------------------------------------------------------------------------------------
# Associations
# ---------------------------------------------------------------------------------------------------------

PRIMARY = "Primary"  # label of type ids 1, 2, 5, 6 in the doc examples (notes §3.3)

# (from singular, to singular) -> HUBSPOT_DEFINED (typeId, label): the default (unlabeled) type first.
# Source: the "Association type ID values" table (notes §3.2); ids agree with hubspot.crm.AssociationType.
ASSOCIATION_TYPES: dict[tuple[str, str], list[tuple[int, str | None]]] = {
    ("contact", "company"): [(279, None), (1, PRIMARY)],
    ("company", "contact"): [(280, None), (2, PRIMARY)],
    ("deal", "contact"): [(3, None)],
    ("contact", "deal"): [(4, None)],
    ("deal", "company"): [(341, None), (5, PRIMARY)],
    ("company", "deal"): [(342, None), (6, PRIMARY)],
    ("invoice", "contact"): [(177, None)],
    ("contact", "invoice"): [(178, None)],
    ("invoice", "company"): [(179, None)],
    ("company", "invoice"): [(180, None)],
    ("invoice", "deal"): [(175, None)],
    ("deal", "invoice"): [(176, None)],
    ("invoice", "line_item"): [(409, None)],
    ("line_item", "invoice"): [(410, None)],
    ("invoice", "quote"): [(407, None)],
    ("quote", "invoice"): [(408, None)],
    ("invoice", "commerce_payment"): [(541, None)],
    ("commerce_payment", "invoice"): [(542, None)],
    ("deal", "line_item"): [(19, None)],
    ("line_item", "deal"): [(20, None)],
    ("quote", "line_item"): [(67, None)],
    ("line_item", "quote"): [(68, None)],
    ("deal", "quote"): [(63, None)],
    ("quote", "deal"): [(64, None)],
    ("quote", "contact"): [(69, None)],
    ("contact", "quote"): [(70, None)],
    ("quote", "company"): [(71, None)],
    ("company", "quote"): [(72, None)],
    ("contact", "contact"): [(449, None)],
    # 13: from the parent to its child company; 14: from the child to its parent.
    ("company", "company"): [(450, None), (13, "Child Company"), (14, "Parent Company")],
    ("deal", "deal"): [(451, None)],
    ("commerce_payment", "contact"): [(387, None)],
    ("contact", "commerce_payment"): [(388, None)],
    ("commerce_payment", "company"): [(389, None)],
    ("company", "commerce_payment"): [(390, None)],
    ("commerce_payment", "deal"): [(391, None)],
    ("deal", "commerce_payment"): [(392, None)],
    ("commerce_payment", "line_item"): [(395, None)],
    ("line_item", "commerce_payment"): [(396, None)],
}

# v3 names of the labelled company hierarchy types (legacy v3 associations API).
_V3_SPECIAL_NAMES = {13: "parent_to_child_company", 14: "child_to_parent_company"}


def _singular(name: str) -> str:
    otype = resolve_type(name)
    return otype.singular if otype else name


def default_association_type(from_singular: str, to_singular: str) -> int | None:
    """The default (unlabeled) HUBSPOT_DEFINED type id from one type to another, None if there is none."""
    types = ASSOCIATION_TYPES.get((_singular(from_singular), _singular(to_singular)))
    return types[0][0] if types else None


def v3_type_name(from_singular: str, to_singular: str, type_id: int) -> str:
    """The v3 ``type`` string of an association: "contact_to_company" for the primary label (1) and
    "contact_to_company_unlabeled" for the unlabeled type (279) where the pair has a primary label, else
    "<from>_to_<to>". Choice: ids the table does not know (user-defined labels) are given as the id string."""
    a, b = _singular(from_singular), _singular(to_singular)
    type_id = int(type_id)
    if type_id in _V3_SPECIAL_NAMES and (a, b) == ("company", "company"):
        return _V3_SPECIAL_NAMES[type_id]
    types = ASSOCIATION_TYPES.get((a, b), [])
    labels = dict(types)
    if type_id not in labels:
        return str(type_id)
    base = f"{a}_to_{b}"
    if labels[type_id] == PRIMARY:
        return base
    if type_id == types[0][0] and PRIMARY in labels.values():
        return f"{base}_unlabeled"
    return base


def v3_type_id(from_singular: str, to_singular: str, name: str) -> int | None:
    """The type id a v3 association ``type`` name stands for (the inverse of :func:`v3_type_name`), None if none."""
    a, b = _singular(from_singular), _singular(to_singular)
    for type_id, _ in ASSOCIATION_TYPES.get((a, b), []):
        if v3_type_name(a, b, type_id) == name:
            return type_id
    return None


__all__ = [
    "ASSOCIATION_TYPES", "BUILTIN_GROUPS", "BUILTIN_PROPERTIES", "FIELD_TYPES", "FIELD_TYPES_BY_TYPE",
    "OBJECT_TYPES", "PROPERTY_TYPES", "ObjectType", "PropertyDef", "default_association_type", "resolve_type",
    "v3_type_id", "v3_type_name", "validate_values", "validation_error_body",
]
