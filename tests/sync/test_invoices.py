"""Invoices ⇄ invoices end to end (rules F1-F9, F12, A1, B4, E2, I2-I4, I8; edge cases 25, 27-38, 43-45)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sync_world import (
    World,
    engine_for,
    hubspot_invoice,
    hubspot_invoice_with_lines,
    journal_mark,
    journal_writes,
    line,
    line_items,
    linked,
    new_contact,
    new_customer,
    new_invoice,
    new_item,
    synced_contact,
)

from harness.engine_settings import for_simulators
from sync.pairs.documents import INVOICE_STATUS_PROPERTY
from sync.pairs.products import CUSTOM_LINE_ITEM
from sync.state import EXCLUDED, FAILED, HUBSPOT, PENDING, QUICKBOOKS, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")

def test_A1_F1_a_quickbooks_invoice_reaches_hubspot_with_lines_contact_and_primary_company(world: World,
                                                                                              books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 2, "12.50"),
                                                     line(books["gadget"], 3, "3.33")], DueDate="2026-03-30")
    engine = engine_for(world)
    engine.run_pass()
    made = hubspot_invoice(world, invoice["Id"])
    props = made["properties"]
    assert props["hs_number"] == invoice["DocNumber"] and props["hs_invoice_source"] == "quickbooks"
    assert Decimal(props["hs_amount_billed"]) == Decimal(str(invoice["TotalAmt"])) == Decimal("34.99")  # to the cent
    assert props[INVOICE_STATUS_PROPERTY] == "waiting_to_be_sent"  # F9
    items = line_items(world, made["id"])
    assert [(i["properties"]["name"], i["properties"]["quantity"], i["properties"]["price"]) for i in items] == \
        [("Widget", "2", "12.5"), ("Gadget", "3", "3.33")]
    products = {r.qbo_id: r.hubspot_id for r in engine.state.records("products")}
    assert [i["properties"].get("hs_product_id") for i in items] == [products[books["widget"]["Id"]],
                                                                     products[books["gadget"]["Id"]]]  # E1
    assert linked(world, "invoices", made["id"], "contacts") == {books["contact"]}
    company = linked(world, "contacts", books["contact"], "companies")
    assert linked(world, "invoices", made["id"], "companies") == company  # F1: the primary company
    record = engine.state.by_side_ids("invoices", QUICKBOOKS, [invoice["Id"]])[invoice["Id"]]
    assert (record.status, record.hubspot_id) == (SYNCED, made["id"])
    mark = journal_mark(world)
    engine.run_pass()
    engine.run_pass()
    assert journal_writes(world, mark) == []  # nothing echoes back


def test_F1_a_customer_without_company_gives_an_invoice_without_company(world: World) -> None:
    contact = new_contact(world, "solo@example.com", "Solo", "Trader")
    customer = new_customer(world, "Solo Trader", "solo@example.com")
    item = new_item(world, "Widget", "W-1", "10")
    invoice = new_invoice(world, customer, [line(item, 1, "10")])
    engine_for(world).run_pass()
    made = hubspot_invoice(world, invoice["Id"])
    assert linked(world, "invoices", made["id"], "contacts") == {contact}
    assert linked(world, "invoices", made["id"], "companies") == set()


def test_A1_edge34_an_invoice_waits_for_its_customer(world: World, books: dict) -> None:
    stranger = new_customer(world, "No Email Ltd")  # never becomes a contact (D3: no email)
    invoice = new_invoice(world, stranger, [line(books["widget"], 1, "12.50")])
    engine = engine_for(world)
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", QUICKBOOKS, [invoice["Id"]])[invoice["Id"]]
    assert (record.status, record.reason, record.rule) == (PENDING, "customer_not_synced", "A1")


def test_C2_recommended_filter_keeps_invoices_from_before_the_setup_day(world: World, books: dict) -> None:
    old = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    settings = for_simulators(world.company, world.portal, state=world.state_url, setup_date="2026-03-02",
                                       pairs={"products": {"direction": "two-way"}})  # invoices: recommended
    engine = world.engine(settings=settings)
    assert engine.settings.pairs["invoices"].direction == "to-hubspot"
    world.clock.sleep(4 * 3600)  # 13:00 on the setup day
    new = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    engine.run_pass()
    states = {r.qbo_id: (r.status, r.reason) for r in engine.state.records("invoices")}
    assert states[old["Id"]] == (EXCLUDED, "filtered_out") and states[new["Id"]] == (SYNCED, None)


def test_edge25_lines_changed_in_quickbooks_replace_the_line_items(world: World, books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50"),
                                                     line(books["gadget"], 1, "3.33")])
    engine = engine_for(world)
    engine.run_pass()
    fresh = world.qbo.get("Invoice", invoice["Id"])
    world.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "sparse": True,
                                 "CustomerRef": fresh["CustomerRef"], "Line": [line(books["gadget"], 4, "3.33")]},
                     request_id=uuid.uuid4().hex, sparse=True)
    world.clock.sleep(60)
    engine.run_pass()
    made = hubspot_invoice(world, invoice["Id"])
    assert [(i["properties"]["name"], i["properties"]["quantity"]) for i in line_items(world, made["id"])] == \
        [("Gadget", "4")]
    assert Decimal(made["properties"]["hs_amount_billed"]) == Decimal("13.32")


# -- HubSpot → QBO ---------------------------------------------------------------------------------

def test_B4_E2_edge27_29_a_finalized_hubspot_invoice_goes_to_quickbooks(world: World, books: dict) -> None:
    engine = engine_for(world, "two-way")
    engine.run_pass(["products"])
    contact, customer = synced_contact(world, engine)
    products = {r.qbo_id: r.hubspot_id for r in engine.state.records("products")}
    draft = hubspot_invoice_with_lines(world, contact, [{"name": "Late", "quantity": "1", "price": "5"}], "draft")
    ready = hubspot_invoice_with_lines(world, contact, [
        {"hs_product_id": products[books["widget"]["Id"]], "quantity": "2", "price": "12.5"},
        {"name": "Setup fee", "quantity": "1", "price": "40"}], hs_number="INV-77")
    engine.run_pass()
    records = {r.hubspot_id: r for r in engine.state.records("invoices")}
    assert (records[draft].status, records[draft].reason) == (EXCLUDED, "draft")  # edge 27
    made = world.qbo.get("Invoice", records[ready].qbo_id or "")
    assert made["CustomerRef"]["value"] == customer and Decimal(str(made["TotalAmt"])) == Decimal("65")
    items = [ln["SalesItemLineDetail"]["ItemRef"]["name"] for ln in made["Line"] if "SalesItemLineDetail" in ln]
    assert items == ["Widget", CUSTOM_LINE_ITEM]  # E2: the line matching no item
    # edge 29: custom numbers off, QBO numbered it; HubSpot shows QBO's number
    assert world.hs.get("invoices", ready, ["hs_number"])["properties"]["hs_number"] == made["DocNumber"] != "INV-77"
    world.hs.update("invoices", draft, {"hs_invoice_status": "open"})  # finalized: now it syncs
    world.clock.sleep(60)
    engine.run_pass()
    assert engine.state.by_side_ids("invoices", HUBSPOT, [draft])[draft].status == SYNCED
    mark = journal_mark(world)
    engine.run_pass()
    assert journal_writes(world, mark) == []


def test_F2_quickbooks_edits_to_a_hubspot_invoice(world: World, books: dict) -> None:
    engine = engine_for(world, "two-way")
    contact, _ = synced_contact(world, engine)
    invoice = hubspot_invoice_with_lines(world, contact, [{"name": "Work", "quantity": "2", "price": "50"}])
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice]
    fresh = world.qbo.get("Invoice", record.qbo_id or "")
    # allowed: another field (the memo), a service date
    lines = fresh["Line"][:1]
    lines[0]["SalesItemLineDetail"]["ServiceDate"] = "2026-03-01"
    world.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "sparse": True,
                                 "CustomerMemo": {"value": "Thanks"}, "Line": lines}, request_id=uuid.uuid4().hex)
    world.clock.sleep(60)
    engine.run_pass()
    assert engine.state.get(record.id or 0).status == SYNCED
    fresh = world.qbo.get("Invoice", record.qbo_id or "")
    fresh["Line"][0]["SalesItemLineDetail"]["UnitPrice"] = 40
    fresh["Line"][0]["Amount"] = 80
    world.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "sparse": True,
                                 "Line": fresh["Line"][:1]}, request_id=uuid.uuid4().hex)
    world.clock.sleep(60)
    engine.run_pass()
    after = engine.state.get(record.id or 0)
    assert (after.status, after.reason, after.rule) == (FAILED, "modified_in_quickbooks", "F2")
    assert "prices changed" in (after.message or "")
