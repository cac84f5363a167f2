"""CRM search through hubspot-api-client 12.0.0: filter groups, sorts, query, paging and the association
pseudo-property (API notes §2)."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest
from hubspot_sdk import refused

from simulators.sims import Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")

PEOPLE = [("ann@acme.example", "Ann", "Smith"), ("bob@acme.example", "Bob", "Jones"),
          ("cy@other.example", "Cy", "Smith"), ("di@other.example", "Di", "Lovelace")]


@pytest.fixture
def people(sims: Simulators, hs: HubSpot) -> dict[str, str]:
    """Four contacts created a second apart: email -> id."""
    out = {}
    for email, first, last in PEOPLE:
        out[email] = hs.crm.contacts.basic_api.create(
            {"properties": {"email": email, "firstname": first, "lastname": last}}).id
        sims.runtime.clock.advance(1)
    return out


def _search(hs: HubSpot, **kw: object) -> object:
    return hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**kw))


def _f(name: str, op: str, value: str | None = None, **kw: object) -> Filter:
    return Filter(property_name=name, operator=op, value=value, **kw)


def test_filters_and_within_a_group_or_between_groups(hs: HubSpot, people: dict[str, str]) -> None:
    result = _search(hs, filter_groups=[
        FilterGroup(filters=[_f("lastname", "EQ", "smith"), _f("email", "CONTAINS_TOKEN", "*@acme.example")]),
        FilterGroup(filters=[_f("firstname", "EQ", "Di")])], properties=["email"])
    assert type(result).__name__ == "CollectionResponseWithTotalSimplePublicObjectForwardPaging"
    assert result.total == 2 and result.paging is None
    assert [r.properties["email"] for r in result.results] == ["ann@acme.example", "di@other.example"]
    assert [r.id for r in result.results] == [people["ann@acme.example"], people["di@other.example"]]


def test_operators_in_has_property_and_between(sims: Simulators, hs: HubSpot, people: dict[str, str]) -> None:
    hs.crm.contacts.basic_api.update(people["bob@acme.example"], {"properties": {"phone": "+1 555 0100"}})
    result = _search(hs, filter_groups=[FilterGroup(filters=[_f("phone", "HAS_PROPERTY")])])
    assert [r.id for r in result.results] == [people["bob@acme.example"]]
    result = _search(hs, filter_groups=[FilterGroup(filters=[_f("firstname", "IN", values=["ann", "cy"])])])
    assert result.total == 2
    result = _search(hs, filter_groups=[FilterGroup(filters=[
        _f("createdate", "BETWEEN", "2026-01-31T12:00:01Z", high_value="2026-01-31T12:00:02Z")])])
    assert sorted(r.id for r in result.results) == sorted([people["bob@acme.example"], people["cy@other.example"]])


def test_sorts_as_strings_and_objects(hs: HubSpot, people: dict[str, str]) -> None:
    """The SDK types `sorts` as list[str]; the docs send objects: both are accepted (§0.9)."""
    newest_first = _search(hs, sorts=["-createdate"])
    assert [r.id for r in newest_first.results] == list(reversed(people.values()))
    by_name = hs.crm.contacts.search_api.do_search(
        {"sorts": [{"propertyName": "firstname", "direction": "DESCENDING"}], "properties": ["firstname"]})
    assert [r.properties["firstname"] for r in by_name.results] == ["Di", "Cy", "Bob", "Ann"]
    default = _search(hs)
    assert [r.id for r in default.results] == list(people.values())  # creation order, oldest first


def test_query_searches_default_properties(hs: HubSpot, people: dict[str, str]) -> None:
    result = _search(hs, query="lovelace")
    assert [r.id for r in result.results] == [people["di@other.example"]]
    assert result.results[0].properties["lastname"] == "Lovelace"  # a default property of contacts (§2)
    assert _search(hs, query="acme.example").total == 2
    assert _search(hs, query="nobody-like-this").results == []


def test_paging_with_total(hs: HubSpot, people: dict[str, str]) -> None:
    first = _search(hs, limit=3, properties=["email"])
    assert first.total == 4 and len(first.results) == 3 and first.paging.next.after == "3"
    rest = _search(hs, limit=3, after=first.paging.next.after, properties=["email"])
    assert rest.total == 4 and [r.id for r in rest.results] == [people["di@other.example"]]
    assert rest.paging is None


def test_association_pseudo_property(hs: HubSpot, people: dict[str, str]) -> None:
    """F1: contacts of a company, found with `associations.company` (§2)."""
    acme = hs.crm.companies.basic_api.create({"properties": {"name": "Acme", "domain": "acme.example"}})
    for email in ("ann@acme.example", "bob@acme.example"):
        hs.crm.associations.v4.basic_api.create_default("contacts", people[email], "companies", acme.id)
    result = _search(hs, filter_groups=[FilterGroup(filters=[_f("associations.company", "EQ", acme.id)])])
    assert sorted(r.id for r in result.results) == sorted([people["ann@acme.example"], people["bob@acme.example"]])
    companies = hs.crm.companies.search_api.do_search(
        {"filterGroups": [{"filters": [{"propertyName": "associations.contact", "operator": "EQ",
                                        "value": people["bob@acme.example"]}]}]})
    assert [c.id for c in companies.results] == [acme.id]


def test_archived_records_are_never_found(hs: HubSpot, people: dict[str, str]) -> None:
    hs.crm.contacts.basic_api.archive(people["ann@acme.example"])
    result = _search(hs, filter_groups=[FilterGroup(filters=[_f("lastname", "EQ", "Smith")])])
    assert [r.id for r in result.results] == [people["cy@other.example"]]


def test_products_by_sku(hs: HubSpot) -> None:
    """E1: products are matched by SKU: an EQ filter on hs_sku finds exactly one."""
    ids = {sku: hs.crm.products.basic_api.create({"properties": {"name": f"P {sku}", "hs_sku": sku}}).id
           for sku in ("SKU-1", "SKU-10", "SKU-2")}
    result = hs.crm.products.search_api.do_search({"filterGroups": [{"filters": [
        {"propertyName": "hs_sku", "operator": "EQ", "value": "SKU-1"}]}], "properties": ["hs_sku", "name"]})
    assert [(r.id, r.properties["hs_sku"]) for r in result.results] == [(ids["SKU-1"], "SKU-1")]
    no_sku = hs.crm.products.basic_api.create({"properties": {"name": "No SKU"}})
    without = hs.crm.products.search_api.do_search({"filterGroups": [{"filters": [
        {"propertyName": "hs_sku", "operator": "NOT_HAS_PROPERTY"}]}]})
    assert [r.id for r in without.results] == [no_sku.id]


def test_unknown_filter_property_is_refused(hs: HubSpot, people: dict[str, str]) -> None:
    body = refused(400, lambda: _search(hs, filter_groups=[FilterGroup(filters=[_f("no_such_prop", "EQ", "x")])]))
    assert body["category"] == "VALIDATION_ERROR" and body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
