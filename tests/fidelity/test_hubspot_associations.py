"""Associations through hubspot-api-client 12.0.0: v4 basic and batch APIs, custom labels (v4 schema
definitions) and the v3 batch API (API notes §3)."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.associations import BatchInputPublicAssociation, BatchInputPublicObjectId
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.schema import (
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUpdateRequest,
)
from hubspot_sdk import counter, refused

from simulators.hubspot.rows import ASSOCIATION
from simulators.sims import Simulators


@pytest.fixture
def ids(hs: HubSpot) -> dict[str, str]:
    """Two contacts, two companies, a deal, an invoice and a line item."""
    c = hs.crm.contacts.basic_api
    co = hs.crm.companies.basic_api
    return {
        "ann": c.create({"properties": {"email": "ann@example.com"}}).id,
        "bob": c.create({"properties": {"email": "bob@example.com"}}).id,
        "acme": co.create({"properties": {"name": "Acme"}}).id,
        "initech": co.create({"properties": {"name": "Initech"}}).id,
        "deal": hs.crm.deals.basic_api.create({"properties": {"dealname": "D", "dealstage": "closedwon"}}).id,
        "invoice": hs.crm.commerce.invoices.basic_api.create({"properties": {"hs_currency": "USD"}}).id,
        "line": hs.crm.line_items.basic_api.create({"properties": {"name": "L", "quantity": "1",
                                                                   "price": "5"}}).id,
    }


def _spec(type_id: int, category: str = "HUBSPOT_DEFINED") -> list[AssociationSpec]:
    return [AssociationSpec(association_category=category, association_type_id=type_id)]


def _types(hs: HubSpot, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
    page = hs.crm.associations.v4.basic_api.get_page(from_type, from_id, to_type)
    return {r.to_object_id: {t.type_id for t in r.association_types} for r in page.results}


def _associatedcompanyid(hs: HubSpot, contact_id: str) -> str | None:
    got = hs.crm.contacts.basic_api.get_by_id(contact_id, properties=["associatedcompanyid"])
    return got.properties["associatedcompanyid"]


def test_labelled_create_and_get_page_both_ways(hs: HubSpot, ids: dict[str, str]) -> None:
    """F1: the primary label (1) also carries the unlabeled type (279); the company sees 2 and 280 (§3.3)."""
    made = hs.crm.associations.v4.basic_api.create("contacts", ids["ann"], "companies", ids["acme"], _spec(1))
    assert type(made).__name__ == "LabelsBetweenObjectPair"
    assert (made.from_object_type_id, made.from_object_id, made.to_object_type_id, made.to_object_id) == (
        "0-1", ids["ann"], "0-2", ids["acme"])
    assert made.labels == ["Primary"]

    page = hs.crm.associations.v4.basic_api.get_page("contacts", ids["ann"], "companies")
    assert type(page).__name__ == "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging"
    assert page.paging is None
    [row] = page.results
    assert row.to_object_id == ids["acme"]
    assert {(t.category, t.type_id, t.label) for t in row.association_types} == {
        ("HUBSPOT_DEFINED", 1, "Primary"), ("HUBSPOT_DEFINED", 279, None)}
    assert _types(hs, "companies", ids["acme"], "contacts") == {ids["ann"]: {2, 280}}
    assert _associatedcompanyid(hs, ids["ann"]) == ids["acme"]


def test_one_primary_company_per_contact(hs: HubSpot, ids: dict[str, str]) -> None:
    """F1: a new primary company demotes the old one to unlabeled; `associatedcompanyid` follows."""
    v4 = hs.crm.associations.v4.basic_api
    v4.create("contacts", ids["ann"], "companies", ids["acme"], _spec(1))
    v4.create("companies", ids["initech"], "contacts", ids["ann"], _spec(2))  # primary, set from the company
    assert _types(hs, "contacts", ids["ann"], "companies") == {ids["acme"]: {279}, ids["initech"]: {1, 279}}
    assert _associatedcompanyid(hs, ids["ann"]) == ids["initech"]

    v4.archive("contacts", ids["ann"], "companies", ids["initech"])
    assert _types(hs, "contacts", ids["ann"], "companies") == {ids["acme"]: {279}}
    assert _associatedcompanyid(hs, ids["ann"]) is None


def test_create_default_and_archive(hs: HubSpot, ids: dict[str, str]) -> None:
    made = hs.crm.associations.v4.basic_api.create_default("deals", ids["deal"], "companies", ids["acme"])
    assert type(made).__name__ == "BatchResponsePublicDefaultAssociation" and made.status == "COMPLETE"
    [result] = made.results
    assert (result._from.id, result.to.id) == (ids["deal"], ids["acme"])
    assert (result.association_spec.association_category, result.association_spec.association_type_id) == (
        "HUBSPOT_DEFINED", 341)
    assert _types(hs, "companies", ids["acme"], "deals") == {ids["deal"]: {342}}

    assert hs.crm.associations.v4.basic_api.archive("deals", ids["deal"], "companies", ids["acme"]) is None
    assert _types(hs, "deals", ids["deal"], "companies") == {}
    assert _types(hs, "companies", ids["acme"], "deals") == {}


def test_get_page_paging(hs: HubSpot, ids: dict[str, str]) -> None:
    for company in ("acme", "initech"):
        hs.crm.associations.v4.basic_api.create_default("contacts", ids["ann"], "companies", ids[company])
    first = hs.crm.associations.v4.basic_api.get_page("contacts", ids["ann"], "companies", limit=1)
    assert [r.to_object_id for r in first.results] == [ids["acme"]] and first.paging.next.after
    last = hs.crm.associations.v4.basic_api.get_page("contacts", ids["ann"], "companies", limit=1,
                                                     after=first.paging.next.after)
    assert [r.to_object_id for r in last.results] == [ids["initech"]] and last.paging is None


def test_invalid_types_and_missing_records_are_refused(sims: Simulators, hs: HubSpot, ids: dict[str, str],
                                                       hubspot_portal: dict) -> None:
    counts = counter(sims, hubspot_portal["portalId"])
    body = refused(400, lambda: hs.crm.associations.v4.basic_api.create(
        "contacts", ids["ann"], "companies", ids["acme"], _spec(4)))  # 4 is contact→deal
    assert body["category"] == "VALIDATION_ERROR"
    body = refused(404, lambda: hs.crm.associations.v4.basic_api.create(
        "contacts", ids["ann"], "companies", "999", _spec(279)), "NotFoundException")
    assert body["context"] == {"id": ["999"]}
    assert counts()[ASSOCIATION] == 0


def test_batch_create_read_archive(hs: HubSpot, ids: dict[str, str]) -> None:
    """F1-style invoice links in bulk: invoice → company (179) and invoice → line item (409)."""
    batch = hs.crm.associations.v4.batch_api
    made = batch.create("invoices", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": ids["invoice"]}, "to": {"id": ids["acme"]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 179}]}]))
    assert type(made).__name__ == "BatchResponseLabelsBetweenObjectPair" and made.status == "COMPLETE"
    assert [(r.from_object_id, r.to_object_id, r.labels) for r in made.results] == [
        (ids["invoice"], ids["acme"], [])]
    batch.create("invoices", "line_items", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": ids["invoice"]}, "to": {"id": ids["line"]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 409}]}]))
    assert _types(hs, "line_items", ids["line"], "invoices") == {ids["invoice"]: {410}}

    read = batch.get_page("companies", "invoices", BatchInputPublicFetchAssociationsBatchRequest(inputs=[
        {"id": ids["acme"]}, {"id": ids["initech"]}]))
    assert type(read).__name__ == "BatchResponsePublicAssociationMultiWithLabel"
    by_from = {r._from.id: [(t.to_object_id, [a.type_id for a in t.association_types]) for t in r.to]
               for r in read.results}
    assert by_from == {ids["acme"]: [(ids["invoice"], [180])], ids["initech"]: []}

    assert batch.archive("invoices", "companies", BatchInputPublicAssociationMultiArchive(inputs=[
        {"from": {"id": ids["invoice"]}, "to": [{"id": ids["acme"]}]}])) is None
    assert _types(hs, "invoices", ids["invoice"], "companies") == {}


def test_batch_partial_failures_are_multi_status(hs: HubSpot, ids: dict[str, str]) -> None:
    batch = hs.crm.associations.v4.batch_api
    made = batch.create("deals", "contacts", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": ids["deal"]}, "to": {"id": ids["ann"]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
        {"from": {"id": ids["deal"]}, "to": {"id": "999"},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]))
    assert type(made).__name__ == "BatchResponseLabelsBetweenObjectPairWithErrors" and made.num_errors == 1
    assert [r.to_object_id for r in made.results] == [ids["ann"]]
    assert made.errors[0].category == "OBJECT_NOT_FOUND" and made.errors[0].context == {"id": ["999"]}

    read = batch.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(inputs=[
        {"id": ids["deal"]}, {"id": "999"}]))
    assert type(read).__name__ == "BatchResponsePublicAssociationMultiWithLabelWithErrors"
    assert [r._from.id for r in read.results] == [ids["deal"]] and read.num_errors == 1


def test_batch_create_default(hs: HubSpot, ids: dict[str, str]) -> None:
    made = hs.crm.associations.v4.batch_api.create_default(
        "deals", "line_items", BatchInputPublicDefaultAssociationMultiPost(inputs=[
            {"from": {"id": ids["deal"]}, "to": {"id": ids["line"]}}]))
    assert type(made).__name__ == "BatchResponsePublicDefaultAssociation"
    assert [(r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results] == [
        (ids["deal"], ids["line"], 19)]
    assert _types(hs, "line_items", ids["line"], "deals") == {ids["deal"]: {20}}


def test_custom_labels(hs: HubSpot, ids: dict[str, str]) -> None:
    definitions = hs.crm.associations.v4.schema.definitions_api
    builtin = definitions.get_all("contacts", "deals")
    assert type(builtin).__name__ == "CollectionResponseAssociationSpecWithLabelNoPaging"
    assert [(t.category, t.type_id) for t in builtin.results] == [("HUBSPOT_DEFINED", 4)]

    made = definitions.create("contacts", "deals", PublicAssociationDefinitionCreateRequest(
        label="Billing contact", name="billing_contact", inverse_label="Billed deal"))
    [label] = made.results
    assert label.category == "USER_DEFINED" and label.label == "Billing contact"
    assert [t.label for t in definitions.get_all("deals", "contacts").results] == [None, "Billed deal"]

    pair = hs.crm.associations.v4.basic_api.create("contacts", ids["ann"], "deals", ids["deal"],
                                                   _spec(label.type_id, "USER_DEFINED"))
    assert pair.labels == ["Billing contact"]
    [row] = hs.crm.associations.v4.basic_api.get_page("deals", ids["deal"], "contacts").results
    assert [(t.category, t.label) for t in row.association_types] == [("USER_DEFINED", "Billed deal")]

    assert definitions.update("contacts", "deals", PublicAssociationDefinitionUpdateRequest(
        association_type_id=label.type_id, label="Payer", inverse_label="Paid deal")) is None
    assert [t.label for t in definitions.get_all("contacts", "deals").results] == [None, "Payer"]
    [row] = hs.crm.associations.v4.basic_api.get_page("deals", ids["deal"], "contacts").results
    assert [t.label for t in row.association_types] == ["Paid deal"]

    assert definitions.remove("contacts", "deals", label.type_id) is None
    assert [t.type_id for t in definitions.get_all("contacts", "deals").results] == [4]
    assert _types(hs, "contacts", ids["ann"], "deals") == {}
    refused(404, lambda: definitions.remove("contacts", "deals", label.type_id), "NotFoundException")


def test_create_time_association_with_a_custom_label(hs: HubSpot, ids: dict[str, str]) -> None:
    definitions = hs.crm.associations.v4.schema.definitions_api
    [label] = definitions.create("contacts", "companies", PublicAssociationDefinitionCreateRequest(
        label="Accountant", name="accountant")).results
    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "cpa@example.com"}, "associations": [
        {"to": {"id": ids["acme"]}, "types": [{"associationCategory": "USER_DEFINED",
                                               "associationTypeId": label.type_id}]}]})
    assert _types(hs, "contacts", contact.id, "companies") == {ids["acme"]: {label.type_id}}


def test_v3_batch_create_read_archive(hs: HubSpot, ids: dict[str, str]) -> None:
    """v3 type names: "contact_to_company" is the primary label, "…_unlabeled" the plain association (§3.1, §3.3)."""
    v3 = hs.crm.associations.batch_api
    made = v3.create("contacts", "companies", BatchInputPublicAssociation(inputs=[
        {"from": {"id": ids["ann"]}, "to": {"id": ids["acme"]}, "type": "contact_to_company"},
        {"from": {"id": ids["bob"]}, "to": {"id": ids["acme"]}, "type": "contact_to_company_unlabeled"}]))
    assert type(made).__name__ == "BatchResponsePublicAssociation" and made.status == "COMPLETE"
    assert sorted((r._from.id, r.to.id, r.type) for r in made.results) == sorted([
        (ids["ann"], ids["acme"], "contact_to_company"), (ids["bob"], ids["acme"], "contact_to_company_unlabeled")])
    assert _associatedcompanyid(hs, ids["ann"]) == ids["acme"] and _associatedcompanyid(hs, ids["bob"]) is None

    read = v3.read("contacts", "companies", BatchInputPublicObjectId(inputs=[{"id": ids["ann"]}, {"id": ids["bob"]}]))
    assert type(read).__name__ == "BatchResponsePublicAssociationMulti"
    got = {r._from.id: sorted(t.type for t in r.to) for r in read.results}
    assert got == {ids["ann"]: ["contact_to_company", "contact_to_company_unlabeled"],
                   ids["bob"]: ["contact_to_company_unlabeled"]}

    assert v3.archive("contacts", "companies", BatchInputPublicAssociation(inputs=[
        {"from": {"id": ids["ann"]}, "to": {"id": ids["acme"]}, "type": "contact_to_company_unlabeled"}])) is None
    assert _types(hs, "contacts", ids["ann"], "companies") == {}
    assert _associatedcompanyid(hs, ids["ann"]) is None


def test_v3_batch_refuses_unknown_type_names_whole(sims: Simulators, hs: HubSpot, ids: dict[str, str],
                                                   hubspot_portal: dict) -> None:
    counts = counter(sims, hubspot_portal["portalId"])
    inputs = BatchInputPublicAssociation(inputs=[
        {"from": {"id": ids["ann"]}, "to": {"id": ids["acme"]}, "type": "contact_to_company_unlabeled"},
        {"from": {"id": ids["bob"]}, "to": {"id": ids["acme"]}, "type": "contact_to_deal"}])
    body = refused(400, lambda: hs.crm.associations.batch_api.create("contacts", "companies", inputs))
    assert body["category"] == "VALIDATION_ERROR" and "contact_to_deal" in body["message"]
    assert counts()[ASSOCIATION] == 0
