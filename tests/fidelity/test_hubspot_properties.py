"""The Properties API through hubspot-api-client 12.0.0: core_api, groups_api and batch_api, and custom
properties in use on records (API notes §4)."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyGroupUpdate,
    PropertyName,
    PropertyUpdate,
)
from hubspot_sdk import refused


def _text(name: str, group: str = "contactinformation", **kw: object) -> PropertyCreate:
    return PropertyCreate(name=name, label=name.replace("_", " ").title(), type="string", field_type="text",
                          group_name=group, **kw)


def test_get_all_and_get_by_name(hs: HubSpot) -> None:
    everything = hs.crm.properties.core_api.get_all("contacts")
    assert type(everything).__name__ == "CollectionResponsePropertyNoPaging"
    by_name = {p.name: p for p in everything.results}
    assert by_name["email"].has_unique_value is True and by_name["email"].hubspot_defined is True
    assert by_name["lifecyclestage"].type == "enumeration"
    assert "customer" in [o.value for o in by_name["lifecyclestage"].options]

    email = hs.crm.properties.core_api.get_by_name("contacts", "email")
    assert type(email).__name__ == "ModelProperty"
    assert (email.type, email.field_type, email.group_name) == ("string", "text", "contactinformation")
    assert email.modification_metadata.read_only_definition is True


def test_deal_invoice_properties_exist(hs: HubSpot) -> None:
    """F8: the deal properties the integration writes (invoice amount, recipient, number, status, due date)."""
    names = {p.name: p for p in hs.crm.properties.core_api.get_all("deals").results}
    for name, ptype in (("qbo_invoice_amount", "number"), ("qbo_invoice_recipient", "string"),
                        ("qbo_invoice_number", "string"), ("qbo_invoice_status", "string"),
                        ("qbo_invoice_due_date", "date")):
        assert names[name].type == ptype and names[name].group_name == "qbo_invoice_information"
    deal = hs.crm.deals.basic_api.create({"properties": {"dealname": "D", "dealstage": "closedwon",
                                                         "qbo_invoice_amount": "120.50",
                                                         "qbo_invoice_due_date": "2026-02-28"}})
    assert deal.properties["qbo_invoice_amount"] == "120.5"
    assert deal.properties["qbo_invoice_due_date"] == "2026-02-28"


def test_create_update_archive_a_custom_property(hs: HubSpot) -> None:
    created = hs.crm.properties.core_api.create("contacts", _text("qbo_customer_id", description="QBO Id"))
    assert type(created).__name__ == "ModelProperty"
    assert (created.name, created.hubspot_defined, created.description) == ("qbo_customer_id", False, "QBO Id")
    assert created.modification_metadata.archivable is True

    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "a@example.com", "qbo_customer_id": "58"}})
    assert contact.properties["qbo_customer_id"] == "58"

    updated = hs.crm.properties.core_api.update("contacts", "qbo_customer_id", PropertyUpdate(label="QBO customer"))
    assert updated.label == "QBO customer" and updated.type == "string"
    assert hs.crm.properties.core_api.get_by_name("contacts", "qbo_customer_id").label == "QBO customer"

    body = refused(409, lambda: hs.crm.properties.core_api.create("contacts", _text("qbo_customer_id")))
    assert body["category"] == "OBJECT_ALREADY_EXISTS"

    assert hs.crm.properties.core_api.archive("contacts", "qbo_customer_id") is None
    body = refused(404, lambda: hs.crm.properties.core_api.get_by_name("contacts", "qbo_customer_id"),
                   "NotFoundException")
    assert body["category"] == "OBJECT_NOT_FOUND"
    body = refused(400, lambda: hs.crm.contacts.basic_api.update(contact.id, {"properties": {"qbo_customer_id": "9"}}))
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_unique_custom_property_is_an_id_property(hs: HubSpot) -> None:
    """A custom `hasUniqueValue` property works as `idProperty` and refuses duplicates (§1.2)."""
    hs.crm.properties.core_api.create("companies", _text("qbo_id", "companyinformation", has_unique_value=True))
    acme = hs.crm.companies.basic_api.create({"properties": {"name": "Acme", "qbo_id": "C-1"}})
    got = hs.crm.companies.basic_api.get_by_id("C-1", id_property="qbo_id", properties=["name"])
    assert got.id == acme.id and got.properties["name"] == "Acme"
    body = refused(409, lambda: hs.crm.companies.basic_api.create({"properties": {"name": "Other", "qbo_id": "C-1"}}))
    assert body["category"] == "CONFLICT" and acme.id in body["message"]
    assert len(hs.crm.companies.get_all()) == 1
    body = refused(400, lambda: hs.crm.companies.basic_api.get_by_id("Acme", id_property="name"))
    assert body["category"] == "VALIDATION_ERROR"


def test_enumeration_property_options_are_enforced(hs: HubSpot) -> None:
    hs.crm.properties.core_api.create("deals", PropertyCreate(
        name="tier", label="Tier", type="enumeration", field_type="select", group_name="dealinformation",
        options=[OptionInput(label="Gold", value="gold", display_order=0, hidden=False),
                 OptionInput(label="Silver", value="silver", display_order=1, hidden=False)]))
    tier = hs.crm.properties.core_api.get_by_name("deals", "tier")
    assert [(o.label, o.value) for o in tier.options] == [("Gold", "gold"), ("Silver", "silver")]
    deal = hs.crm.deals.basic_api.create({"properties": {"dealname": "D", "dealstage": "closedwon", "tier": "gold"}})
    assert deal.properties["tier"] == "gold"
    body = refused(400, lambda: hs.crm.deals.basic_api.update(deal.id, {"properties": {"tier": "bronze"}}))
    assert body["errors"][0] == {"message": "bronze was not one of the allowed options: [gold, silver]",
                                 "code": "INVALID_OPTION", "context": {"propertyName": ["tier"]}}


def test_invalid_definitions_are_refused(hs: HubSpot) -> None:
    for bad in (PropertyCreate(name="x", label="X", type="number", field_type="text", group_name="dealinformation"),
                PropertyCreate(name="Bad Name", label="X", type="string", field_type="text",
                               group_name="dealinformation")):
        body = refused(400, lambda bad=bad: hs.crm.properties.core_api.create("deals", bad))
        assert body["category"] == "VALIDATION_ERROR"
    body = refused(400, lambda: hs.crm.properties.core_api.update("contacts", "email", PropertyUpdate(label="E")))
    assert "read-only" in body["message"]
    names = [p.name for p in hs.crm.properties.core_api.get_all("deals").results]
    assert "x" not in names and "Bad Name" not in names


def test_property_groups(hs: HubSpot) -> None:
    groups = hs.crm.properties.groups_api.get_all("contacts")
    assert type(groups).__name__ == "CollectionResponsePropertyGroupNoPaging"
    assert "contactinformation" in [g.name for g in groups.results]

    created = hs.crm.properties.groups_api.create("contacts", PropertyGroupCreate(name="quickbooks",
                                                                                  label="QuickBooks",
                                                                                  display_order=5))
    assert type(created).__name__ == "PropertyGroup" and (created.name, created.display_order) == ("quickbooks", 5)
    got = hs.crm.properties.groups_api.get_by_name("contacts", "quickbooks")
    assert got.label == "QuickBooks" and got.archived is False
    updated = hs.crm.properties.groups_api.update("contacts", "quickbooks", PropertyGroupUpdate(label="QBO"))
    assert updated.label == "QBO"
    body = refused(409, lambda: hs.crm.properties.groups_api.create(
        "contacts", PropertyGroupCreate(name="quickbooks", label="Again")))
    assert body["category"] == "OBJECT_ALREADY_EXISTS"
    assert hs.crm.properties.groups_api.archive("contacts", "quickbooks") is None
    refused(404, lambda: hs.crm.properties.groups_api.get_by_name("contacts", "quickbooks"), "NotFoundException")


def test_properties_batch_api(hs: HubSpot) -> None:
    created = hs.crm.properties.batch_api.create("products", BatchInputPropertyCreate(inputs=[
        _text("qbo_item_id", "productinformation"), _text("qbo_income_account", "productinformation")]))
    assert type(created).__name__ == "BatchResponseProperty" and created.status == "COMPLETE"
    assert sorted(p.name for p in created.results) == ["qbo_income_account", "qbo_item_id"]

    read = hs.crm.properties.batch_api.read("products", BatchReadInputPropertyName(
        archived=False, inputs=[PropertyName(name="qbo_item_id"), PropertyName(name="hs_sku")]))
    assert type(read).__name__ == "BatchResponseProperty"
    assert sorted(p.name for p in read.results) == ["hs_sku", "qbo_item_id"]
    partial = hs.crm.properties.batch_api.read("products", BatchReadInputPropertyName(
        archived=False, inputs=[PropertyName(name="qbo_item_id"), PropertyName(name="nope")]))
    assert type(partial).__name__ == "BatchResponsePropertyWithErrors" and partial.num_errors == 1
    assert partial.errors[0].category == "OBJECT_NOT_FOUND" and partial.errors[0].context == {"name": ["nope"]}

    assert hs.crm.properties.batch_api.archive("products", BatchInputPropertyName(inputs=[
        PropertyName(name="qbo_item_id"), PropertyName(name="qbo_income_account")])) is None
    names = [p.name for p in hs.crm.properties.core_api.get_all("products").results]
    assert "qbo_item_id" not in names and "hs_sku" in names


def test_batch_create_with_one_bad_definition_writes_nothing(hs: HubSpot) -> None:
    body = refused(400, lambda: hs.crm.properties.batch_api.create("products", BatchInputPropertyCreate(inputs=[
        _text("good_one", "productinformation"),
        PropertyCreate(name="bad_one", label="Bad", type="bool", field_type="text", group_name="productinformation")])))
    assert body["category"] == "VALIDATION_ERROR"
    refused(404, lambda: hs.crm.properties.core_api.get_by_name("products", "good_one"))


def test_archived_custom_properties(hs: HubSpot) -> None:
    """Archiving moves a custom property to the recycling bin: listed only with archived=true, no longer writable,
    and its name stays taken (a choice, docs/decisions.md)."""
    hs.crm.properties.core_api.create("contacts", _text("qbo_customer_id"))
    assert hs.crm.properties.core_api.archive("contacts", "qbo_customer_id") is None
    assert "qbo_customer_id" not in [p.name for p in hs.crm.properties.core_api.get_all("contacts").results]

    archived = hs.crm.properties.core_api.get_all("contacts", archived=True).results
    assert [(p.name, p.archived) for p in archived] == [("qbo_customer_id", True)]
    assert archived[0].archived_at is not None
    got = hs.crm.properties.core_api.get_by_name("contacts", "qbo_customer_id", archived=True)
    assert got.archived is True
    refused(404, lambda: hs.crm.properties.core_api.get_by_name("contacts", "qbo_customer_id"), "NotFoundException")
    read = hs.crm.properties.batch_api.read("contacts", BatchReadInputPropertyName(
        archived=True, inputs=[PropertyName(name="qbo_customer_id")]))
    assert [p.archived for p in read.results] == [True]

    body = refused(400, lambda: hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "a@example.com", "qbo_customer_id": "58"})))
    assert "PROPERTY_DOESNT_EXIST" in body["message"]
    body = refused(409, lambda: hs.crm.properties.core_api.create("contacts", _text("qbo_customer_id")))
    assert body["category"] == "OBJECT_ALREADY_EXISTS" and "archived" in body["message"]
    # a built-in property is never in the bin
    refused(404, lambda: hs.crm.properties.core_api.get_by_name("contacts", "email", archived=True))
