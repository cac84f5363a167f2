"""CRM v3 objects through hubspot-api-client 12.0.0: basic_api of every simulated type, the generic objects API
(commerce payments) and contact merges (API notes §0, §1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    AssociationSpec,
    BatchReadInputSimplePublicObjectId,
    PublicAssociationsForObject,
    PublicMergeInput,
    PublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.line_items import SimplePublicObjectInput as LineItemInput
from hubspot.crm.line_items import SimplePublicObjectInputForCreate as LineItemCreate
from hubspot_sdk import counter, refused, route_sdk

from simulators.sims import Simulators

START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")

# type -> (SDK accessor, properties to create with, properties to update, the type's created-date property)
TYPES: dict[str, tuple[Callable[[HubSpot], object], dict, dict, str]] = {
    "contacts": (lambda hs: hs.crm.contacts, {"email": "ada@example.com", "firstname": "Ada"},
                 {"lastname": "Lovelace"}, "createdate"),
    "companies": (lambda hs: hs.crm.companies, {"name": "Acme", "domain": "acme.example"}, {"city": "Boston"},
                  "createdate"),
    "deals": (lambda hs: hs.crm.deals, {"dealname": "Big deal", "dealstage": "qualifiedtobuy", "amount": "1500"},
              {"amount": "2000.5"}, "createdate"),
    "products": (lambda hs: hs.crm.products, {"name": "Widget", "hs_sku": "W-1", "price": "9.5"}, {"price": "10"},
                 "createdate"),
    "line_items": (lambda hs: hs.crm.line_items, {"name": "Widget", "quantity": "2", "price": "9.5"},
                   {"quantity": "3"}, "createdate"),
    "quotes": (lambda hs: hs.crm.quotes, {"hs_title": "Q-1", "hs_expiration_date": "2026-12-31"},
               {"hs_title": "Q-1 revised"}, "hs_createdate"),
    "invoices": (lambda hs: hs.crm.commerce.invoices, {"hs_currency": "USD"}, {"hs_invoice_status": "open"},
                 "hs_createdate"),
}


def _variant(props: dict, n: int) -> dict:
    """The create properties of the n-th record of a type (contact emails must differ)."""
    return {k: (v.replace("@", f"{n}@") if k == "email" else v) for k, v in props.items()}


@pytest.mark.parametrize("otype", list(TYPES))
def test_create_get_update_archive(sims: Simulators, hs: HubSpot, otype: str) -> None:
    accessor, props, changes, created_prop = TYPES[otype]
    api = accessor(hs).basic_api

    created = api.create({"properties": props})
    assert type(created).__name__ == "SimplePublicObject"
    assert created.id.isdigit() and created.properties["hs_object_id"] == created.id
    assert created.created_at == START and created.updated_at == START and created.archived is False
    assert created.properties[created_prop] == "2026-01-31T12:00:00.000Z"
    for k, v in props.items():
        assert created.properties[k] == v

    got = api.get_by_id(created.id, properties=list(props))
    assert type(got).__name__ == "SimplePublicObjectWithAssociations"
    assert {k: got.properties[k] for k in props} == props and got.id == created.id

    sims.runtime.clock.advance(60)
    updated = api.update(created.id, {"properties": changes})
    assert type(updated).__name__ == "SimplePublicObject"
    assert {k: updated.properties[k] for k in changes} == changes
    assert updated.updated_at == START + timedelta(seconds=60) and updated.created_at == START
    assert {k: api.get_by_id(created.id, properties=list(changes)).properties[k] for k in changes} == changes

    assert api.archive(created.id) is None
    body = refused(404, lambda: api.get_by_id(created.id), "NotFoundException")
    assert body["category"] == "OBJECT_NOT_FOUND" and body["context"] == {"id": [created.id]}
    archived = api.get_by_id(created.id, archived=True)
    assert archived.archived is True and archived.archived_at == START + timedelta(seconds=60)


@pytest.mark.parametrize("otype", list(TYPES))
def test_get_page_paging_and_get_all(hs: HubSpot, otype: str) -> None:
    """`paging` is absent on the last page (SDK must-do §0.3), `after` is the next record's id (§1.4)."""
    accessor, props, _, _ = TYPES[otype]
    ids = [accessor(hs).basic_api.create({"properties": _variant(props, n)}).id for n in range(3)]
    assert ids == sorted(ids, key=int)

    first = accessor(hs).basic_api.get_page(limit=2)
    assert type(first).__name__ == "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging"
    assert [r.id for r in first.results] == ids[:2]
    assert first.paging.next.after == ids[2]
    last = accessor(hs).basic_api.get_page(limit=2, after=first.paging.next.after)
    assert [r.id for r in last.results] == ids[2:] and last.paging is None

    everything = accessor(hs).get_all()
    assert [r.id for r in everything] == ids
    assert all(r.properties["hs_object_id"] == r.id for r in everything)


def test_get_page_defaults_and_requested_properties(hs: HubSpot) -> None:
    """Without `properties`, a list shows the type's defaults (§2 table); requested ones come back as strings."""
    hs.crm.deals.basic_api.create({"properties": {"dealname": "D", "dealstage": "closedwon", "amount": 12.5,
                                                  "description": "not a default"}})
    [deal] = hs.crm.deals.basic_api.get_page().results
    assert deal.properties["amount"] == "12.5" and deal.properties["pipeline"] == "default"
    assert "description" not in deal.properties
    [deal] = hs.crm.deals.basic_api.get_page(properties=["description", "amount"]).results
    assert deal.properties == {"description": "not a default", "amount": "12.5"}


def test_contact_by_email_id_property(hs: HubSpot) -> None:
    """D3: contacts are found by email, case-insensitively, through `idProperty=email` (read and update)."""
    created = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "Grace.Hopper@Example.com", "firstname": "Grace"}))
    assert created.properties["email"] == "grace.hopper@example.com"

    got = hs.crm.contacts.basic_api.get_by_id("GRACE.HOPPER@example.com", id_property="email")
    assert got.id == created.id and got.properties["firstname"] == "Grace"

    updated = hs.crm.contacts.basic_api.update("grace.hopper@example.com",
                                               SimplePublicObjectInput(properties={"lastname": "Hopper"}),
                                               id_property="email")
    assert updated.id == created.id and updated.properties["lastname"] == "Hopper"

    body = refused(404, lambda: hs.crm.contacts.basic_api.get_by_id("nobody@example.com", id_property="email"))
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["context"] == {"id": ["nobody@example.com"]}


def test_sdk_wire_format(hs: HubSpot) -> None:
    """What the SDK sends (§0.4-0.6): repeated array keys, `True`/`False` booleans, percent-encoded path ids."""
    made = hs.crm.contacts.basic_api.create({"properties": {"email": "a+b@example.com", "firstname": "A"}})
    with route_sdk() as calls:
        got = hs.crm.contacts.basic_api.get_by_id("a+b@example.com", id_property="email",
                                                  properties=["email", "firstname"], archived=False)
        page = hs.crm.contacts.basic_api.get_page(properties=["firstname"], associations=["companies", "deals"])
    assert got.id == made.id and got.properties == {"email": "a+b@example.com", "firstname": "A"}
    assert [r.properties for r in page.results] == [{"firstname": "A"}]
    (m1, url1), (m2, url2) = calls
    assert m1 == "GET" and "/crm/v3/objects/contacts/a%2Bb%40example.com?" in url1
    assert "properties=email&properties=firstname" in url1 and "archived=False" in url1
    assert m2 == "GET" and "associations=companies&associations=deals" in url2


def test_update_to_another_contacts_email_is_a_conflict(sims: Simulators, hs: HubSpot,
                                                        hubspot_portal: dict) -> None:
    """D3: an email belongs to one contact; taking another's answers 409 CONFLICT and changes nothing."""
    a = hs.crm.contacts.basic_api.create({"properties": {"email": "a@example.com"}})
    b = hs.crm.contacts.basic_api.create({"properties": {"email": "b@example.com"}})
    body = refused(409, lambda: hs.crm.contacts.basic_api.update(
        b.id, {"properties": {"email": "A@example.com", "firstname": "B"}}))
    assert body["category"] == "CONFLICT" and body["message"] == f"Contact already exists. Existing ID: {a.id}"
    again = hs.crm.contacts.basic_api.get_by_id(b.id, properties=["email", "firstname"])
    assert again.properties == {"email": "b@example.com", "firstname": None}
    assert counter(sims, hubspot_portal["portalId"])()["contacts"] == 2


def test_create_with_associations_sets_the_primary_company(hs: HubSpot) -> None:
    """F1: a contact created with the primary label (type 1) has that company as `associatedcompanyid`, and v3
    `associations=companies` lists it twice: primary and unlabeled (§1.3, §3.3)."""
    company = hs.crm.companies.basic_api.create({"properties": {"name": "Acme"}})
    primary = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
    contact = hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "c@acme.example"},
        associations=[PublicAssociationsForObject(to=PublicObjectId(id=company.id), types=primary)]))

    got = hs.crm.contacts.basic_api.get_by_id(contact.id, properties=["associatedcompanyid"],
                                              associations=["companies"])
    assert got.properties["associatedcompanyid"] == company.id
    assert sorted((a.id, a.type) for a in got.associations["companies"].results) == [
        (company.id, "contact_to_company"), (company.id, "contact_to_company_unlabeled")]
    back = hs.crm.companies.basic_api.get_by_id(company.id, associations=["contacts"])
    assert sorted(a.type for a in back.associations["contacts"].results) == [
        "company_to_contact", "company_to_contact_unlabeled"]


def test_create_invoice_with_contact_and_line_item_associations(hs: HubSpot) -> None:
    """An invoice created with its contact (177) and line item (409) in the create body (§1.3a, §3.2)."""
    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "buyer@example.com"}})
    line = hs.crm.line_items.basic_api.create({"properties": {"name": "Consulting", "quantity": "1",
                                                              "price": "100"}})
    invoice = hs.crm.commerce.invoices.basic_api.create({"properties": {"hs_currency": "USD"}, "associations": [
        {"to": {"id": contact.id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 177}]},
        {"to": {"id": int(line.id)},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 409}]}]})
    got = hs.crm.commerce.invoices.basic_api.get_by_id(invoice.id, associations=["contacts", "line_items"])
    assert [a.id for a in got.associations["contacts"].results] == [contact.id]
    assert [a.id for a in got.associations["line_items"].results] == [line.id]
    from_line = hs.crm.line_items.basic_api.get_by_id(line.id, associations=["invoices"])
    assert [a.id for a in from_line.associations["invoices"].results] == [invoice.id]


def test_create_with_an_association_to_a_missing_record_writes_nothing(sims: Simulators, hs: HubSpot,
                                                                       hubspot_portal: dict) -> None:
    counts = counter(sims, hubspot_portal["portalId"])
    before = counts()
    to_nobody = {"to": {"id": "999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}
    body = refused(404, lambda: hs.crm.contacts.basic_api.create({"properties": {"email": "x@example.com"},
                                                                  "associations": [to_nobody]}))
    assert body["context"] == {"id": ["999"]}
    assert counts() == before


def test_merge_contacts(sims: Simulators, hs: HubSpot) -> None:
    """D3: after a merge, the merged contact's email is an additional email of the primary, which keeps its own
    values, fills its gaps and takes over the merged contact's associations; the merged contact is archived."""
    company = hs.crm.companies.basic_api.create({"properties": {"name": "Acme"}})
    keep = hs.crm.contacts.basic_api.create({"properties": {"email": "keep@example.com", "firstname": "Keep"}})
    gone = hs.crm.contacts.basic_api.create({"properties": {"email": "gone@example.com", "firstname": "Gone",
                                                            "lastname": "Merged"}})
    hs.crm.associations.v4.basic_api.create_default("contacts", gone.id, "companies", company.id)

    sims.runtime.clock.advance(5)
    merged = hs.crm.contacts.basic_api.merge(PublicMergeInput(primary_object_id=keep.id, object_id_to_merge=gone.id))
    assert type(merged).__name__ == "SimplePublicObject" and merged.id == keep.id
    assert merged.properties["firstname"] == "Keep" and merged.properties["lastname"] == "Merged"
    assert merged.properties["hs_additional_emails"] == "gone@example.com"
    assert merged.updated_at == START + timedelta(seconds=5)

    refused(404, lambda: hs.crm.contacts.basic_api.get_by_id(gone.id), "NotFoundException")
    assert hs.crm.contacts.basic_api.get_by_id(gone.id, archived=True).archived is True
    page = hs.crm.associations.v4.basic_api.get_page("contacts", keep.id, "companies")
    assert [r.to_object_id for r in page.results] == [company.id]
    assert [r.id for r in hs.crm.contacts.get_all()] == [keep.id]


def test_merge_refusals(hs: HubSpot) -> None:
    keep = hs.crm.contacts.basic_api.create({"properties": {"email": "keep@example.com"}})
    body = refused(400, lambda: hs.crm.contacts.basic_api.merge({"primaryObjectId": keep.id,
                                                                 "objectIdToMerge": keep.id}))
    assert body["category"] == "VALIDATION_ERROR"
    body = refused(404, lambda: hs.crm.contacts.basic_api.merge({"primaryObjectId": keep.id,
                                                                 "objectIdToMerge": "424242"}))
    assert body["context"] == {"id": ["424242"]}
    assert hs.crm.contacts.basic_api.get_by_id(keep.id).archived is False


def test_commerce_payments_through_the_generic_objects_api(sims: Simulators, hs: HubSpot) -> None:
    """Payments (0-101) have no SDK accessor: `crm.objects` with object_type="commerce_payments" (§1.1)."""
    objects = hs.crm.objects.basic_api
    created = objects.create("commerce_payments", {"properties": {
        "hs_initial_amount": "250", "hs_initiated_date": "2026-01-30", "hs_currency_code": "USD"}})
    assert type(created).__name__ == "SimplePublicObject" and created.created_at == START
    assert created.properties["hs_initial_amount"] == "250"
    assert created.properties["hs_initiated_date"] == "2026-01-30T00:00:00.000Z"

    got = objects.get_by_id("commerce_payments", created.id, properties=["hs_initial_amount", "hs_currency_code"])
    assert got.properties == {"hs_initial_amount": "250", "hs_currency_code": "USD"}
    same = objects.get_by_id("0-101", created.id, properties=["hs_initial_amount"])
    assert same.id == created.id

    sims.runtime.clock.advance(1)
    updated = objects.update("commerce_payments", created.id, {"properties": {"hs_latest_status": "succeeded"}})
    assert updated.properties["hs_latest_status"] == "succeeded"
    page = objects.get_page("commerce_payments", properties=["hs_latest_status"])
    assert [r.properties["hs_latest_status"] for r in page.results] == ["succeeded"] and page.paging is None
    assert [r.id for r in hs.crm.objects.get_all("commerce_payments")] == [created.id]

    body = refused(400, lambda: objects.create("commerce_payments", {"properties": {"hs_initial_amount": "5"}}))
    assert body["errors"][0]["context"] == {"propertyName": ["hs_initiated_date"]}

    assert objects.archive("commerce_payments", created.id) is None
    assert objects.get_page("commerce_payments").results == []


def test_required_properties_are_refused_without_writing(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    counts = counter(sims, hubspot_portal["portalId"])
    before = counts()
    for api, props in ((hs.crm.companies.basic_api, {"city": "Nowhere"}),
                       (hs.crm.deals.basic_api, {"dealname": "No stage"}),
                       (hs.crm.quotes.basic_api, {"hs_title": "No expiry"}),
                       (hs.crm.commerce.invoices.basic_api, {"hs_title": "No currency"})):
        body = refused(400, lambda api=api, props=props: api.create({"properties": props}))
        assert body["category"] == "VALIDATION_ERROR"
        assert body["errors"][0]["code"] == "REQUIRED_PROPERTY"
    assert counts() == before


def test_properties_with_history(sims: Simulators, hs: HubSpot) -> None:
    """Each change of a value is kept, newest first, with its time and source (SPEC ``ValueWithTimestamp``)."""
    api = hs.crm.contacts.basic_api
    made = api.create(SimplePublicObjectInputForCreate(properties={"email": "h@example.com", "lifecyclestage": "lead"}))
    sims.runtime.clock.advance(60)
    api.update(made.id, SimplePublicObjectInput(properties={"lifecyclestage": "customer"}))
    sims.runtime.clock.advance(60)
    api.update(made.id, SimplePublicObjectInput(properties={"lifecyclestage": "", "firstname": "Hal"}))

    got = api.get_by_id(made.id, properties=["email"], properties_with_history=["lifecyclestage", "firstname"])
    assert set(got.properties_with_history) == {"lifecyclestage", "firstname"}
    stages = got.properties_with_history["lifecyclestage"]
    assert type(stages[0]).__name__ == "ValueWithTimestamp"
    assert [v.value for v in stages] == ["", "customer", "lead"]
    assert [v.timestamp for v in stages] == [START + timedelta(seconds=120), START + timedelta(seconds=60), START]
    assert {v.source_type for v in stages} == {"API"}
    assert [v.value for v in got.properties_with_history["firstname"]] == ["Hal"]

    page = api.get_page(properties_with_history=["lifecyclestage"], limit=100)
    assert [v.value for v in page.results[0].properties_with_history["lifecyclestage"]] == ["", "customer", "lead"]
    read = hs.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[PublicObjectId(id=made.id)], properties=[], properties_with_history=["email"]))
    assert [v.value for v in read.results[0].properties_with_history["email"]] == ["h@example.com"]
    # without the parameter there is no history in the answer
    assert api.get_by_id(made.id).properties_with_history is None


def test_computed_values_have_history_too(hs: HubSpot) -> None:
    """A line item's amount is HubSpot's own arithmetic; its history follows each recalculation."""
    api = hs.crm.line_items.basic_api
    item = api.create(LineItemCreate(properties={"name": "Widget", "price": "10", "quantity": "2"}))
    api.update(item.id, LineItemInput(properties={"quantity": "3"}))
    got = api.get_by_id(item.id, properties_with_history=["amount", "quantity"])
    assert [v.value for v in got.properties_with_history["amount"]] == ["30", "20"]
    assert [v.value for v in got.properties_with_history["quantity"]] == ["3", "2"]
