"""Unit tests for the HubSpot catalog (simulators/hubspot/catalog.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from simulators.hubspot.catalog import (
    ASSOCIATION_TYPES,
    BUILTIN_GROUPS,
    BUILTIN_PROPERTIES,
    OBJECT_TYPES,
    PropertyDef,
    default_association_type,
    resolve_type,
    v3_type_name,
    validate_values,
    validation_error_body,
)

PORTAL = 9876543

CONTACTS = BUILTIN_PROPERTIES["contacts"]
DEALS = BUILTIN_PROPERTIES["deals"]

CHECKBOX = PropertyDef("flavours", "Flavours", "enumeration", "checkbox", "contactinformation", hubspot_defined=False,
                       options=({"label": "Chocolate", "value": "chocolate", "displayOrder": 0, "hidden": False,
                                 "description": ""},
                                {"label": "Strawberry", "value": "strawberry", "displayOrder": 1, "hidden": True,
                                 "description": ""}))
BOOL = PropertyDef("vip", "VIP", "bool", "booleancheckbox", "contactinformation", hubspot_defined=False)
CUSTOM = {**CONTACTS, "flavours": CHECKBOX, "vip": BOOL}


def item(code: str, name: str, message: str) -> dict:
    return {"isValid": False, "message": message, "error": code, "name": name, "localizedErrorMessage": message,
            "portalId": PORTAL}


def check(object_type: str, values: dict, defs: dict | None = None) -> tuple[dict, list]:
    return validate_values(object_type, values, defs if defs is not None else BUILTIN_PROPERTIES[object_type], PORTAL)


# -- object types ------------------------------------------------------------------------------------------

EXPECTED_TYPES = [
    # name, type id, singular, created, modified, mergeable, scope
    ("contacts", "0-1", "contact", "createdate", "lastmodifieddate", True, "crm.objects.contacts"),
    ("companies", "0-2", "company", "createdate", "hs_lastmodifieddate", True, "crm.objects.companies"),
    ("deals", "0-3", "deal", "createdate", "hs_lastmodifieddate", True, "crm.objects.deals"),
    ("products", "0-7", "product", "createdate", "hs_lastmodifieddate", False, "crm.objects.products"),
    ("line_items", "0-8", "line_item", "createdate", "hs_lastmodifieddate", False, "crm.objects.line_items"),
    ("quotes", "0-14", "quote", "hs_createdate", "hs_lastmodifieddate", False, "crm.objects.quotes"),
    ("invoices", "0-53", "invoice", "hs_createdate", "hs_lastmodifieddate", False, "crm.objects.invoices"),
    ("commerce_payments", "0-101", "commerce_payment", "createdate", "hs_lastmodifieddate", False,
     "crm.objects.commercepayments"),
]


def test_object_types_are_exactly_the_eight_with_their_ids_and_stamps() -> None:
    assert list(OBJECT_TYPES) == [row[0] for row in EXPECTED_TYPES]
    for name, type_id, singular, created, modified, mergeable, scope in EXPECTED_TYPES:
        t = OBJECT_TYPES[name]
        assert (t.name, t.type_id, t.singular, t.created_property, t.modified_property, t.mergeable, t.scope) == (
            name, type_id, singular, created, modified, mergeable, scope)


def test_commerce_scopes_also_accept_e_commerce() -> None:
    assert {n for n, t in OBJECT_TYPES.items() if "e-commerce" in t.alternate_scopes} == {
        "products", "line_items", "quotes"}


@pytest.mark.parametrize("name", [row[0] for row in EXPECTED_TYPES])
def test_resolve_type_accepts_plural_singular_and_id(name: str) -> None:
    t = OBJECT_TYPES[name]
    assert resolve_type(t.name) is t
    assert resolve_type(t.singular) is t
    assert resolve_type(t.type_id) is t
    assert resolve_type(t.name.upper()) is t
    assert resolve_type(t.singular.title()) is t


def test_resolve_type_aliases_and_unknowns() -> None:
    payments = OBJECT_TYPES["commerce_payments"]
    assert resolve_type("payments") is payments
    assert resolve_type("Payments") is payments
    assert resolve_type("payment") is payments
    assert resolve_type("CONTACTS") is OBJECT_TYPES["contacts"]
    for unknown in ("tickets", "0-5", "0-999", "", "contactz"):
        assert resolve_type(unknown) is None


def test_required_to_create_follows_what_hubspot_enforces() -> None:
    """The docs table, less what the live API fills in or never asks for (docs/decisions.md)."""
    assert OBJECT_TYPES["contacts"].required == ()
    assert OBJECT_TYPES["companies"].required == ()
    assert OBJECT_TYPES["companies"].required_any == (("domain", "name"),)
    assert OBJECT_TYPES["deals"].required == ("dealname", "dealstage")  # pipeline defaults to "default"
    assert OBJECT_TYPES["invoices"].required == ("hs_currency",)
    assert OBJECT_TYPES["line_items"].required == ()
    assert OBJECT_TYPES["products"].required == ("name",)
    assert OBJECT_TYPES["quotes"].required == ("hs_title", "hs_expiration_date")
    assert OBJECT_TYPES["commerce_payments"].required == ("hs_initial_amount", "hs_initiated_date")


def test_default_properties_follow_the_search_table() -> None:
    assert set(OBJECT_TYPES["contacts"].default_properties) == {
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}
    assert set(OBJECT_TYPES["deals"].default_properties) == {
        "dealname", "amount", "closedate", "pipeline", "dealstage", "createdate", "hs_lastmodifieddate",
        "hs_object_id"}
    assert set(OBJECT_TYPES["quotes"].default_properties) == {
        "hs_expiration_date", "hs_public_url_key", "hs_status", "hs_title", "hs_createdate", "hs_lastmodifieddate",
        "hs_object_id"}
    assert set(OBJECT_TYPES["invoices"].default_properties) == {"hs_createdate", "hs_lastmodifieddate",
                                                                "hs_object_id"}


@pytest.mark.parametrize("name", list(OBJECT_TYPES))
def test_every_type_has_its_defaults_required_and_stamps_built_in(name: str) -> None:
    t = OBJECT_TYPES[name]
    props = BUILTIN_PROPERTIES[name]
    assert set(t.default_properties) <= set(props)
    assert set(t.required) <= set(props)
    for group in t.required_any:
        assert set(group) <= set(props)
    for stamp in (t.created_property, t.modified_property, "hs_object_id"):
        assert stamp in t.default_properties
        assert props[stamp].read_only
    assert props[t.created_property].type == "datetime"


@pytest.mark.parametrize("name", list(OBJECT_TYPES))
def test_builtin_groups_cover_every_builtin_property(name: str) -> None:
    groups = BUILTIN_GROUPS[name]
    assert all(set(g) == {"name", "label", "displayOrder", "archived"} and g["archived"] is False for g in groups)
    names = {g["name"] for g in groups}
    assert len(names) == len(groups)
    assert {p.group_name for p in BUILTIN_PROPERTIES[name].values()} <= names


def test_builtin_property_types() -> None:
    email = CONTACTS["email"]
    assert (email.type, email.field_type, email.has_unique_value) == ("string", "text", True)
    assert [o["value"] for o in CONTACTS["lifecyclestage"].options] == [
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
        "evangelist", "other"]
    assert CONTACTS["associatedcompanyid"].type == "number"
    assert BUILTIN_PROPERTIES["companies"]["numberofemployees"].type == "number"
    assert BUILTIN_PROPERTIES["companies"]["annualrevenue"].type == "number"
    assert DEALS["amount"].type == "number"
    assert DEALS["closedate"].type == "datetime"
    assert [o["value"] for o in DEALS["pipeline"].options] == ["default"]
    assert [o["value"] for o in DEALS["dealstage"].options] == [
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
        "closedwon", "closedlost"]
    assert {"qbo_invoice_amount", "qbo_invoice_recipient", "qbo_invoice_number", "qbo_invoice_status",
            "qbo_invoice_due_date"} <= set(DEALS)
    assert not DEALS["qbo_invoice_amount"].hubspot_defined
    assert [o["value"] for o in BUILTIN_PROPERTIES["products"]["hs_product_type"].options] == [
        "inventory", "non_inventory", "service"]
    line_amount = BUILTIN_PROPERTIES["line_items"]["amount"]
    assert line_amount.calculated and line_amount.read_only
    assert BUILTIN_PROPERTIES["quotes"]["hs_expiration_date"].type == "date"
    assert [o["value"] for o in BUILTIN_PROPERTIES["quotes"]["hs_status"].options] == [
        "DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED", "REJECTED"]
    invoices = BUILTIN_PROPERTIES["invoices"]
    assert [o["value"] for o in invoices["hs_invoice_status"].options] == ["draft", "open", "paid", "voided"]
    assert [o["value"] for o in invoices["hs_invoice_source"].options] == ["hubspot", "quickbooks"]
    for calculated in ("hs_amount_billed", "hs_amount_paid", "hs_balance_due", "hs_amount_billed_in_company_currency"):
        assert invoices[calculated].read_only
    assert not invoices["hs_currency"].read_only
    payments = BUILTIN_PROPERTIES["commerce_payments"]
    assert (payments["hs_initial_amount"].type, payments["hs_initiated_date"].type) == ("number", "datetime")


@pytest.mark.parametrize("name", list(OBJECT_TYPES))
def test_every_builtin_round_trips_through_the_property_json(name: str) -> None:
    for prop in BUILTIN_PROPERTIES[name].values():
        assert PropertyDef.from_json(prop.to_json("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")) == prop


# -- PropertyDef JSON ------------------------------------------------------------------------------------------

def test_to_json_has_the_property_shape() -> None:
    body = CONTACTS["lifecyclestage"].to_json("2019-10-30T03:30:17.883Z", "2019-12-07T16:50:06.678Z")
    assert set(body) == {
        "updatedAt", "createdAt", "name", "label", "type", "fieldType", "description", "groupName", "options",
        "displayOrder", "calculated", "externalOptions", "hasUniqueValue", "hidden", "hubspotDefined",
        "modificationMetadata", "formField", "archived"}
    assert (body["createdAt"], body["updatedAt"]) == ("2019-10-30T03:30:17.883Z", "2019-12-07T16:50:06.678Z")
    assert (body["name"], body["type"], body["fieldType"], body["groupName"]) == (
        "lifecyclestage", "enumeration", "select", "contactinformation")
    assert body["options"][0] == {"label": "Subscriber", "value": "subscriber", "displayOrder": 0, "hidden": False,
                                  "description": ""}
    assert body["hubspotDefined"] is True and body["archived"] is False
    assert body["modificationMetadata"] == {"archivable": False, "readOnlyDefinition": True,
                                            "readOnlyOptions": False, "readOnlyValue": False}
    json.dumps(body)  # JSON-serialisable as is


def test_to_json_marks_read_only_and_custom_properties() -> None:
    stamp = CONTACTS["hs_object_id"].to_json("a", "b")
    assert stamp["modificationMetadata"]["readOnlyValue"] is True
    custom = BOOL.to_json("a", "b")
    assert custom["hubspotDefined"] is False
    assert custom["modificationMetadata"] == {"archivable": True, "readOnlyDefinition": False,
                                              "readOnlyOptions": False, "readOnlyValue": False}


def test_from_json_reads_a_property_create_body() -> None:
    prop = PropertyDef.from_json({
        "name": "my_contact_property", "label": "My Contact Property", "type": "enumeration", "fieldType": "select",
        "groupName": "contactinformation", "hasUniqueValue": False, "hidden": False, "formField": True,
        "displayOrder": 2, "options": [{"label": "Option A", "value": "A", "description": "Choice number one"},
                                       {"label": "Option B", "value": "B", "displayOrder": 7, "hidden": True}]})
    assert (prop.name, prop.type, prop.field_type, prop.group_name, prop.display_order) == (
        "my_contact_property", "enumeration", "select", "contactinformation", 2)
    assert prop.form_field is True and prop.hubspot_defined is False and prop.read_only is False
    assert prop.options == (
        {"label": "Option A", "value": "A", "displayOrder": 0, "hidden": False, "description": "Choice number one"},
        {"label": "Option B", "value": "B", "displayOrder": 7, "hidden": True, "description": ""})


def test_from_json_calculation_is_read_only() -> None:
    prop = PropertyDef.from_json({"name": "margin", "label": "Margin", "type": "number",
                                  "fieldType": "calculation_equation", "groupName": "dealinformation",
                                  "calculationFormula": "amount - cost"})
    assert prop.calculated and prop.read_only


VALID = {"name": "ok_name", "label": "OK", "type": "string", "fieldType": "text", "groupName": "contactinformation"}


@pytest.mark.parametrize(("change", "fragment"), [
    ({"name": None}, "Missing required field(s): name"),
    ({"label": ""}, "Missing required field(s): label"),
    ({"type": None, "fieldType": None}, "Missing required field(s): type, fieldType"),
    ({"groupName": None}, "groupName"),
    ({"type": "integer"}, "Invalid type 'integer'"),
    ({"fieldType": "dropdown"}, "Invalid fieldType 'dropdown'"),
    ({"type": "number", "fieldType": "text"}, "fieldType 'text' is not valid for type 'number'"),
    ({"type": "enumeration", "fieldType": "text"}, "fieldType 'text' is not valid for type 'enumeration'"),
    ({"type": "date", "fieldType": "number"}, "fieldType 'number' is not valid for type 'date'"),
    ({"name": "Bad Name"}, "Invalid property name 'Bad Name'"),
    ({"name": "1st"}, "Invalid property name '1st'"),
    ({"name": 5}, "name must be a string"),
    ({"hasUniqueValue": "yes"}, "hasUniqueValue must be a boolean"),
    ({"displayOrder": "3"}, "displayOrder must be an integer"),
    ({"options": "A;B"}, "options must be a list"),
    ({"options": [{"label": "A"}]}, "options[0].value is required"),
    ({"options": [{"label": "A", "value": "a"}, "b"]}, "options[1] must be an object"),
    ({"type": "enumeration", "fieldType": "select",
      "options": [{"label": "A", "value": "a"}, {"label": "A2", "value": "a"}]}, "Duplicate option value(s): a"),
])
def test_from_json_refusals(change: dict, fragment: str) -> None:
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    with pytest.raises(ValueError) as info:
        PropertyDef.from_json(body)
    assert fragment in str(info.value)


def test_from_json_refuses_a_non_object() -> None:
    with pytest.raises(ValueError, match="must be a JSON object"):
        PropertyDef.from_json(["name"])  # type: ignore[arg-type]


# -- value validation: normalisation ----------------------------------------------------------------------

def test_values_become_strings() -> None:
    values, problems = check("deals", {"dealname": 12, "amount": 1500.0, "description": None,
                                       "qbo_invoice_recipient": True, "qbo_invoice_number": "  INV-1 "})
    assert problems == []
    assert values == {"dealname": "12", "amount": "1500", "description": "", "qbo_invoice_recipient": "true",
                      "qbo_invoice_number": "  INV-1 "}


@pytest.mark.parametrize(("raw", "expected"), [
    (10, "10"), (10.0, "10"), (10.25, "10.25"), (-3, "-3"), ("10.50", "10.5"), (" 42 ", "42"), ("1e3", "1000"),
    (".5", "0.5"), ("-0.0", "0"), (Decimal("19.990"), "19.99"), (0.1, "0.1"), ("", ""),
])
def test_numbers_are_normalised(raw: object, expected: str) -> None:
    assert check("deals", {"amount": raw}) == ({"amount": expected}, [])


@pytest.mark.parametrize(("raw", "expected"), [
    (1572480000000, "2019-10-31T00:00:00.000Z"),
    ("1572480000123", "2019-10-31T00:00:00.123Z"),
    ("2019-10-30T03:30:17.883Z", "2019-10-30T03:30:17.883Z"),
    ("2019-10-30T05:30:17+02:00", "2019-10-30T03:30:17.000Z"),
    ("2019-10-30T03:30:17", "2019-10-30T03:30:17.000Z"),
    ("2019-10-30", "2019-10-30T00:00:00.000Z"),
    (datetime(2019, 10, 30, 3, 30, 17, 883000, tzinfo=UTC), "2019-10-30T03:30:17.883Z"),
    (datetime(2019, 10, 30, 4, 30, tzinfo=timezone(timedelta(hours=1))), "2019-10-30T03:30:00.000Z"),
])
def test_datetimes_are_iso_with_z(raw: object, expected: str) -> None:
    assert check("deals", {"closedate": raw}) == ({"closedate": expected}, [])


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-03-31", "2024-03-31"),
    (1711843200000, "2024-03-31"),
    ("1711843200000", "2024-03-31"),
    ("2024-03-31T00:00:00Z", "2024-03-31"),
    (date(2024, 3, 31), "2024-03-31"),
])
def test_dates_are_yyyy_mm_dd(raw: object, expected: str) -> None:
    assert check("quotes", {"hs_expiration_date": raw}) == ({"hs_expiration_date": expected}, [])


def test_enumerations_and_checkboxes() -> None:
    values, problems = check("contacts", {"lifecyclestage": "customer", "flavours": "chocolate;strawberry",
                                          "vip": "TRUE"}, CUSTOM)
    assert problems == []
    assert values == {"lifecyclestage": "customer", "flavours": "chocolate;strawberry", "vip": "true"}
    assert check("contacts", {"flavours": ["strawberry", "chocolate"], "vip": False}, CUSTOM) == (
        {"flavours": "strawberry;chocolate", "vip": "false"}, [])
    assert check("contacts", {"lifecyclestage": ""}) == ({"lifecyclestage": ""}, [])


def test_email_is_trimmed_and_lower_cased() -> None:
    assert check("contacts", {"email": " Jane.Doe+x@Example.COM "}) == ({"email": "jane.doe+x@example.com"}, [])


def test_allow_read_only_lets_the_simulator_write_stamps() -> None:
    values, problems = validate_values("contacts", {"createdate": 1572480000000, "hs_object_id": 7}, CONTACTS, PORTAL,
                                       allow_read_only=True)
    assert problems == []
    assert values == {"createdate": "2019-10-31T00:00:00.000Z", "hs_object_id": "7"}


def test_object_type_may_be_given_in_any_form() -> None:
    assert check("0-1", {"email": "nope"}, CONTACTS)[1][0]["error"] == "INVALID_EMAIL"
    assert check("contact", {"email": "nope"}, CONTACTS)[1][0]["error"] == "INVALID_EMAIL"


# -- value validation: errors ---------------------------------------------------------------------------------

def test_unknown_property() -> None:
    assert check("contacts", {"testproperty": "x"}) == (
        {}, [item("PROPERTY_DOESNT_EXIST", "testproperty", 'Property "testproperty" does not exist')])


def test_enumeration_option_error() -> None:
    assert check("deals", {"dealstage": "won"})[1] == [item(
        "INVALID_OPTION", "dealstage",
        "won was not one of the allowed options: [appointmentscheduled, qualifiedtobuy, presentationscheduled, "
        "decisionmakerboughtin, contractsent, closedwon, closedlost]")]


def test_enumerations_are_case_sensitive_and_checkbox_parts_checked() -> None:
    _, problems = check("contacts", {"lifecyclestage": "Customer", "flavours": "chocolate;vanilla", "vip": "yes"},
                        CUSTOM)
    assert [p["error"] for p in problems] == ["INVALID_OPTION"] * 3
    assert problems[0]["message"].startswith("Customer was not one of the allowed options: [subscriber, lead,")
    assert problems[1]["message"] == "vanilla was not one of the allowed options: [chocolate, strawberry]"
    assert problems[2]["message"] == "yes was not one of the allowed options: [true, false]"


@pytest.mark.parametrize("raw", ["abc", "5,333,222", "23.345.567", "1.2.3", "NaN", "Infinity", True, "1e400"])
def test_number_errors(raw: object) -> None:
    text = "true" if raw is True else raw
    expected = item("INVALID_INTEGER", "amount", f"{text} was not a valid number.")
    assert check("deals", {"amount": raw}) == ({}, [expected])


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "a b@c.com", "@example.com", "a@example."])
def test_email_errors(raw: str) -> None:
    expected = item("INVALID_EMAIL", "email", f"Email address {raw} is invalid")
    assert check("contacts", {"email": raw}) == ({}, [expected])


@pytest.mark.parametrize("raw", ["tomorrow", "2024-02-30", "31/03/2024", 1.5])
def test_datetime_errors(raw: object) -> None:
    expected = item("INVALID_DATE", "closedate", f"{raw} was not a valid date.")
    assert check("deals", {"closedate": raw}) == ({}, [expected])


def test_date_not_at_midnight() -> None:
    assert check("quotes", {"hs_expiration_date": 1711843200001}) == ({}, [item(
        "INVALID_DATE", "hs_expiration_date", "1711843200001 is at 0:0:0.1 UTC, not midnight!")])
    assert check("quotes", {"hs_expiration_date": "2024-03-31T10:15:00Z"})[1][0]["error"] == "INVALID_DATE"


@pytest.mark.parametrize(("object_type", "name"), [
    ("contacts", "hs_object_id"), ("contacts", "createdate"), ("contacts", "lastmodifieddate"),
    ("deals", "hs_lastmodifieddate"), ("quotes", "hs_createdate"), ("line_items", "amount"),
    ("invoices", "hs_balance_due"),
])
def test_read_only_values(object_type: str, name: str) -> None:
    assert check(object_type, {name: "1"}) == ({}, [item(
        "READ_ONLY_VALUE", name, f'Property "{name}" is read-only and its value cannot be set')])


def test_errors_come_in_input_order_and_valid_values_still_normalise() -> None:
    values, problems = check("contacts", {"bogus": 1, "firstname": "Ann", "email": "x", "hs_object_id": "1"})
    assert values == {"firstname": "Ann"}
    assert [(p["error"], p["name"]) for p in problems] == [
        ("PROPERTY_DOESNT_EXIST", "bogus"), ("INVALID_EMAIL", "email"), ("READ_ONLY_VALUE", "hs_object_id")]
    assert all(list(p) == ["isValid", "message", "error", "name", "localizedErrorMessage", "portalId"]
               for p in problems)


# -- the 400 body -----------------------------------------------------------------------------------------

def test_validation_error_body_matches_the_documented_example() -> None:
    _, problems = check("contacts", {"testproperty": "x"})
    body = validation_error_body(problems, "8a3f6c3a-8296-4002-b0a6-2a06fecf7c0c")
    documented = (  # the docs' verbatim example, {HubId} filled in
        '{"status":"error",'
        '"message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property '
        '\\\\\\"testproperty\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":'
        '\\"testproperty\\",\\"localizedErrorMessage\\":\\"Property \\\\\\"testproperty\\\\\\" does not exist\\",'
        '\\"portalId\\":9876543}]",'
        '"correlationId":"8a3f6c3a-8296-4002-b0a6-2a06fecf7c0c",'
        '"errors":[{"message":"Property \\"testproperty\\" does not exist","code":"PROPERTY_DOESNT_EXIST",'
        '"context":{"propertyName":["testproperty"]}}],'
        '"category":"VALIDATION_ERROR"}')
    expected = json.loads(documented)
    assert list(body) == list(expected)
    assert body["errors"] == expected["errors"]
    assert json.loads(body["message"].removeprefix("Property values were not valid: ")) == json.loads(
        expected["message"].removeprefix("Property values were not valid: "))


def test_validation_error_body_with_several_items() -> None:
    _, problems = check("deals", {"amount": "x", "dealstage": "won"})
    body = validation_error_body(problems, "cid")
    assert body["message"] == "Property values were not valid: " + json.dumps(problems)
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"] == "cid"
    assert body["errors"] == [
        {"message": "x was not a valid number.", "code": "INVALID_INTEGER", "context": {"propertyName": ["amount"]}},
        {"message": problems[1]["message"], "code": "INVALID_OPTION", "context": {"propertyName": ["dealstage"]}},
    ]


# -- associations --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pair", "type_id"), [
    (("contact", "company"), 279), (("company", "contact"), 280), (("deal", "contact"), 3),
    (("deal", "company"), 341), (("invoice", "contact"), 177), (("invoice", "company"), 179),
    (("invoice", "deal"), 175), (("invoice", "line_item"), 409), (("line_item", "invoice"), 410),
    (("deal", "line_item"), 19), (("line_item", "deal"), 20), (("contact", "contact"), 449),
    (("company", "company"), 450), (("deal", "deal"), 451), (("invoice", "commerce_payment"), 541),
    (("commerce_payment", "contact"), 387),
])
def test_default_association_types(pair: tuple[str, str], type_id: int) -> None:
    assert default_association_type(*pair) == type_id
    assert ASSOCIATION_TYPES[pair][0] == (type_id, None)


def test_primary_labels() -> None:
    assert ASSOCIATION_TYPES[("contact", "company")] == [(279, None), (1, "Primary")]
    assert ASSOCIATION_TYPES[("company", "contact")] == [(280, None), (2, "Primary")]
    assert ASSOCIATION_TYPES[("deal", "company")] == [(341, None), (5, "Primary")]
    assert ASSOCIATION_TYPES[("company", "deal")] == [(342, None), (6, "Primary")]
    assert ASSOCIATION_TYPES[("company", "company")] == [(450, None), (13, "Child Company"), (14, "Parent Company")]


def test_association_table_is_closed_and_unambiguous() -> None:
    singulars = {t.singular for t in OBJECT_TYPES.values()}
    for (a, b), types in ASSOCIATION_TYPES.items():
        assert {a, b} <= singulars
        assert (b, a) in ASSOCIATION_TYPES
        assert types[0][1] is None
    by_from: dict[str, list[int]] = {}
    for (a, _), types in ASSOCIATION_TYPES.items():
        by_from.setdefault(a, []).extend(i for i, _ in types)
    for ids in by_from.values():
        assert len(ids) == len(set(ids))  # a type id names one target type
    assert len(ASSOCIATION_TYPES) == 39  # the notes' §3.2 pairs among the eight types


def test_association_ids_agree_with_the_sdk() -> None:
    sdk = pytest.importorskip("hubspot.crm.association_type").AssociationType
    known = {name: value for name, value in vars(sdk).items() if name.isupper()}
    checked = 0
    for (a, b), types in ASSOCIATION_TYPES.items():
        for type_id, label in types:
            key = f"{'PRIMARY_' if label == 'Primary' else ''}{a.upper()}_TO_{b.upper()}"
            if key in known:
                assert known[key] == type_id, key
                checked += 1
    assert checked >= 20


def test_default_association_type_accepts_aliases_and_knows_missing_pairs() -> None:
    assert default_association_type("contacts", "companies") == 279
    assert default_association_type("0-53", "payments") == 541
    assert default_association_type("payment", "invoice") == 542
    assert default_association_type("product", "contact") is None
    assert default_association_type("ticket", "contact") is None


def test_v3_type_names() -> None:
    assert v3_type_name("contact", "company", 1) == "contact_to_company"
    assert v3_type_name("contact", "company", 279) == "contact_to_company_unlabeled"
    assert v3_type_name("company", "contact", 2) == "company_to_contact"
    assert v3_type_name("company", "contact", 280) == "company_to_contact_unlabeled"
    assert v3_type_name("deal", "company", 5) == "deal_to_company"
    assert v3_type_name("deal", "company", 341) == "deal_to_company_unlabeled"
    assert v3_type_name("deal", "contact", 3) == "deal_to_contact"
    assert v3_type_name("invoice", "line_item", 409) == "invoice_to_line_item"
    assert v3_type_name("company", "company", 13) == "parent_to_child_company"
    assert v3_type_name("company", "company", 14) == "child_to_parent_company"
    assert v3_type_name("company", "company", 450) == "company_to_company"
    assert v3_type_name("contacts", "0-2", 279) == "contact_to_company_unlabeled"
    assert v3_type_name("contact", "company", 36) == "36"  # a user-defined label the table does not know
