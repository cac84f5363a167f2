"""The sample portal (simulators/hubspot/seed.py), read back through the public CRM API."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
import requests

from simulators.core.clock import Clock
from simulators.core.runtime import Runtime
from simulators.hubspot import catalog
from simulators.hubspot.portal import Portal
from simulators.hubspot.seed import seed_sample
from simulators.hubspot.tenant import create_portal
from simulators.sims import HUBSPOT_API, Simulators

STAMPS = {"createdate", "lastmodifieddate", "hs_createdate", "hs_lastmodifieddate"}


@pytest.fixture(scope="module")
def sims():
    s = Simulators()
    with s.in_process():
        s.runtime.limits.enabled = False  # these tests read many records of one portal back to back
        yield s


@pytest.fixture(scope="module")
def portals(sims):
    """Portals made once for the module: name -> credentials."""
    return {"a": sims.new_hubspot_portal(seed="sample", seedNumber=3),
            "b": sims.new_hubspot_portal(seed="sample", seedNumber=3),
            "c": sims.new_hubspot_portal(seed="sample", seedNumber=4),
            "eur": sims.new_hubspot_portal(seed="sample", seedNumber=5, currency="EUR")}


def get(creds: dict, path: str, **params) -> dict:
    r = requests.get(f"{HUBSPOT_API}{path}", params=params, timeout=30,
                     headers={"Authorization": f"Bearer {creds['accessToken']}"})
    assert r.status_code == 200, r.text
    return r.json()


def objects(creds: dict, kind: str) -> list[dict]:
    """Every record of a type with every built-in property, paging through the list endpoint."""
    names = ",".join(catalog.BUILTIN_PROPERTIES[kind])
    out, after = [], None
    while True:
        page = get(creds, f"/crm/v3/objects/{kind}", limit=100, properties=names, **({"after": after} if after else {}))
        out += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return out


def links(creds: dict, kind: str, object_id: str, to_kind: str) -> dict[str, set[int]]:
    """v4 associations of one record: to id -> type ids."""
    results = get(creds, f"/crm/v4/objects/{kind}/{object_id}/associations/{to_kind}")["results"]
    return {str(r["toObjectId"]): {t["typeId"] for t in r["associationTypes"]} for r in results}


def today(sims) -> date:
    return sims.runtime.clock.now().date()


# -- determinism ------------------------------------------------------------------------------------

def test_same_seed_number_gives_the_same_names_and_emails(portals):
    a, b = portals["a"], portals["b"]
    assert a["portalId"] != b["portalId"]
    names_a = [c["properties"]["name"] for c in objects(a, "companies")]
    assert len(names_a) == 8 and len(set(names_a)) == 8
    assert names_a == [c["properties"]["name"] for c in objects(b, "companies")]
    emails_a = [c["properties"].get("email") for c in objects(a, "contacts")]
    assert emails_a == [c["properties"].get("email") for c in objects(b, "contacts")]
    assert [d["properties"]["amount"] for d in objects(a, "deals")] == \
        [d["properties"]["amount"] for d in objects(b, "deals")]


def test_a_different_seed_number_gives_different_names_and_emails(portals):
    a, c = portals["a"], portals["c"]
    names_a = {x["properties"]["name"] for x in objects(a, "companies")}
    names_c = {x["properties"]["name"] for x in objects(c, "companies")}
    assert len(names_a & names_c) < 4
    emails_a = {x["properties"].get("email") for x in objects(a, "contacts")} - {None}
    emails_c = {x["properties"].get("email") for x in objects(c, "contacts")} - {None}
    assert len(emails_a & emails_c) < len(emails_a) // 2


def test_same_seed_gives_identical_records_apart_from_timestamps():
    rt = Runtime(clock=Clock("frozen"))  # dates are relative to today: keep today still
    dumps = []
    for _ in range(2):
        portal = create_portal(rt, {"seed": "empty", "currency": "GBP"})["portalId"]
        seed_sample(rt, portal, 11)
        p = Portal(rt, portal)
        dump = {}
        for kind, otype in catalog.OBJECT_TYPES.items():
            rows = p.page(otype, 100, properties=list(catalog.BUILTIN_PROPERTIES[kind]),
                          associations=list(catalog.OBJECT_TYPES))["results"]
            dump[kind] = [{"id": r["id"], "associations": r.get("associations"),
                           "properties": {k: v for k, v in r["properties"].items() if k not in STAMPS}}
                          for r in rows]
        dumps.append(dump)
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["line_items"]) >= 6 + 4 + 5  # a deal, quote and invoice each has at least one


# -- contacts and companies -------------------------------------------------------------------------

def test_contacts_share_their_primary_company(portals):
    creds = portals["a"]
    companies = {c["id"]: c["properties"] for c in objects(creds, "companies")}
    staff = defaultdict(list)
    for contact in objects(creds, "contacts"):
        if contact["properties"].get("associatedcompanyid"):
            staff[contact["properties"]["associatedcompanyid"]].append(contact)
    assert sorted(staff) == sorted(companies)
    assert all(2 <= len(people) <= 4 for people in staff.values())
    company_id, people = next((k, v) for k, v in staff.items() if len(v) >= 2)
    for person in people:
        # the same company name on several contacts: the sync's duplicate display name
        assert person["properties"]["company"] == companies[company_id]["name"]
        assert links(creds, "contacts", person["id"], "companies") == {company_id: {1, 279}}
    assert links(creds, "companies", company_id, "contacts") == {p["id"]: {2, 280} for p in people}


def test_companies_have_name_domain_city_and_phone(portals):
    companies = objects(portals["a"], "companies")
    for c in companies:
        props = c["properties"]
        assert props["domain"].endswith(".com") and " " not in props["domain"]
        assert props["city"] and props["phone"]
    assert len({c["properties"]["domain"] for c in companies}) == len(companies)


def test_some_contacts_have_no_company_and_some_no_email(portals):
    creds = portals["a"]
    contacts = objects(creds, "contacts")
    lone = [c for c in contacts if not c["properties"].get("associatedcompanyid")]
    assert len(lone) == 4
    assert all(links(creds, "contacts", c["id"], "companies") == {} for c in lone)
    assert all(not c["properties"].get("company") for c in lone)
    no_email = [c for c in contacts if not c["properties"].get("email")]
    assert len(no_email) == 3
    assert all(c["properties"]["firstname"] and c["properties"]["lastname"] for c in no_email)
    emails = [c["properties"]["email"] for c in contacts if c["properties"].get("email")]
    assert len(set(emails)) == len(emails) == len(contacts) - 3


# -- products, deals and line items -----------------------------------------------------------------

def test_products_with_and_without_sku(portals):
    products = objects(portals["a"], "products")
    assert len(products) == 12
    skus = [p["properties"]["hs_sku"] for p in products if p["properties"].get("hs_sku")]
    assert 4 <= len(skus) < 12 and len(set(skus)) == len(skus)
    assert "SVC-PEST-01" in skus  # also the SKU of QBO's sample "Pest Control" item
    assert all(Decimal(p["properties"]["price"]) > 0 and p["properties"]["description"] for p in products)


def test_deals_have_a_company_a_contact_and_line_items_of_products(sims, portals):
    creds = portals["a"]
    products = {p["id"]: p["properties"] for p in objects(creds, "products")}
    items = {i["id"]: i["properties"] for i in objects(creds, "line_items")}
    deals = objects(creds, "deals")
    assert len(deals) == 6
    for deal in deals:
        props = deal["properties"]
        assert props["pipeline"] == "default" and props["dealstage"] in catalog.DEAL_STAGES
        closes = date.fromisoformat(props["closedate"][:10])
        assert closes < today(sims) if props["dealstage"].startswith("closed") else closes > today(sims)
        company = links(creds, "deals", deal["id"], "companies")
        assert len(company) == 1 and next(iter(company.values())) == {5, 341}
        contact = links(creds, "deals", deal["id"], "contacts")
        assert len(contact) == 1 and next(iter(contact.values())) == {3}
        mine = links(creds, "deals", deal["id"], "line_items")
        assert 1 <= len(mine) <= 3 and all(types == {19} for types in mine.values())
        total = Decimal(0)
        for item_id in mine:
            item = items[item_id]
            product = products[item["hs_product_id"]]
            assert (item["name"], Decimal(item["price"])) == (product["name"], Decimal(product["price"]))
            assert item.get("hs_sku") == product.get("hs_sku")
            total += Decimal(item["price"]) * Decimal(item["quantity"])
        assert Decimal(props["amount"]) == total
    assert {d["properties"]["dealstage"] for d in deals} >= {"closedwon", "closedlost"}


def test_every_line_item_has_exactly_one_parent(portals):
    creds = portals["a"]
    for item in objects(creds, "line_items"):
        parents = [links(creds, "line_items", item["id"], kind) for kind in ("deals", "quotes", "invoices")]
        assert sum(len(p) for p in parents) == 1, item


# -- quotes -----------------------------------------------------------------------------------------

def test_quotes_published_draft_and_expired(sims, portals):
    creds = portals["a"]
    quotes = objects(creds, "quotes")
    by_kind = defaultdict(list)
    for q in quotes:
        props = q["properties"]
        expires = date.fromisoformat(props["hs_expiration_date"])
        if expires < today(sims):
            by_kind["expired"].append(q)
        elif props["hs_status"] == "DRAFT":
            by_kind["draft"].append(q)
        else:
            assert props["hs_status"] in ("APPROVED", "APPROVAL_NOT_NEEDED")
            by_kind["published"].append(q)
    assert sorted(by_kind) == ["draft", "expired", "published"]
    assert {q["properties"]["hs_status"] for q in by_kind["published"]} == {"APPROVED", "APPROVAL_NOT_NEEDED"}
    assert all(q["properties"].get("hs_public_url_key") for q in by_kind["published"])
    assert not by_kind["draft"][0]["properties"].get("hs_public_url_key")
    for q in quotes:
        deal = links(creds, "quotes", q["id"], "deals")
        assert len(deal) == 1 and next(iter(deal.values())) == {64}
        assert len(links(creds, "quotes", q["id"], "line_items")) >= 1
        assert q["properties"]["hs_currency"] == "USD"
    assert len({next(iter(links(creds, "quotes", q["id"], "deals"))) for q in quotes}) == len(quotes)


# -- invoices ---------------------------------------------------------------------------------------

def test_draft_and_open_invoices_in_the_portal_currency(sims, portals):
    creds = portals["eur"]
    contacts = {c["id"]: c["properties"] for c in objects(creds, "contacts")}
    invoices = objects(creds, "invoices")
    statuses = [i["properties"]["hs_invoice_status"] for i in invoices]
    assert sorted(set(statuses)) == ["draft", "open"]
    for inv in invoices:
        props = inv["properties"]
        assert props["hs_currency"] == "EUR" and props["hs_invoice_source"] == "hubspot"
        issued = date.fromisoformat(props["hs_invoice_date"][:10])
        due = date.fromisoformat(props["hs_due_date"][:10])
        assert issued <= today(sims) < due if props["hs_invoice_status"] == "draft" else issued < due
        contact = links(creds, "invoices", inv["id"], "contacts")
        company = links(creds, "invoices", inv["id"], "companies")
        assert list(contact.values()) == [{177}] and list(company.values()) == [{179}]
        contact_id, company_id = next(iter(contact)), next(iter(company))
        assert contacts[contact_id]["associatedcompanyid"] == company_id  # the contact's own company
        assert contacts[contact_id].get("email")
        items = links(creds, "invoices", inv["id"], "line_items")
        assert 1 <= len(items) <= 3 and all(types == {409} for types in items.values())


def test_other_portals_use_their_own_currency(portals):
    assert {i["properties"]["hs_currency"] for i in objects(portals["a"], "invoices")} == {"USD"}
    assert {q["properties"]["hs_currency"] for q in objects(portals["eur"], "quotes")} == {"EUR"}


# -- seeding itself ---------------------------------------------------------------------------------

def test_an_empty_portal_stays_empty(sims):
    creds = sims.new_hubspot_portal(seed="empty")
    for kind in catalog.OBJECT_TYPES:
        assert get(creds, f"/crm/v3/objects/{kind}")["results"] == []


def test_seeding_one_portal_is_fast(sims):
    rt = sims.runtime
    portal = create_portal(rt, {"seed": "empty"})["portalId"]
    start = time.perf_counter()
    seed_sample(rt, portal, 7)
    assert time.perf_counter() - start < 1.0  # about 0.05 s on a laptop; the bound only catches regressions
    assert len(Portal(rt, portal).page(catalog.OBJECT_TYPES["companies"], 100)["results"]) == 8
