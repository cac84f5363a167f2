"""Products ⇄ items end to end (rules E1, E2, C3; edge cases 32-33)."""

from __future__ import annotations

import uuid

import pytest
from sync_world import World

from sync.pairs.products import CUSTOM_LINE_ITEM, ITEM_ID_PROPERTY, ensure_custom_line_item
from sync.state import EXCLUDED, FAILED, HUBSPOT, QUICKBOOKS, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def new_item(w: World, name: str, sku: str | None = None, price: float = 10, **fields: object) -> dict:
    body = {"Name": name, "Type": "Service", "UnitPrice": price, "IncomeAccountRef": income_account(w), **fields}
    if sku:
        body["Sku"] = sku
    return w.qbo.create("Item", body, request_id=uuid.uuid4().hex)


def income_account(w: World) -> dict:
    account = next(iter(w.qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))
    return {"value": account["Id"]}


def items(w: World) -> dict[str, dict]:
    return {i["Name"]: i for i in w.qbo.query("SELECT * FROM Item WHERE Active IN (true, false)")}


def products(w: World) -> dict[str, dict]:
    return {p["properties"].get("hs_sku") or p["properties"]["name"]: p
            for p in w.hs.list("products", ["name", "hs_sku", "price", "description", ITEM_ID_PROPERTY])}


def test_C3_E1_items_with_a_sku_become_products_and_the_rest_are_excluded(world: World) -> None:
    widget = new_item(world, "Widget", "W-1", 12.5, Description="A widget")
    new_item(world, "No Sku Service")
    engine = world.engine(products={"direction": "to-hubspot"})
    engine.run_pass()
    made = products(world)
    assert set(made) == {"W-1"}
    props = made["W-1"]["properties"]
    assert (props["name"], props["price"], props["description"]) == ("Widget", "12.5", "A widget")
    assert props[ITEM_ID_PROPERTY] == widget["Id"]  # the unique key that makes creates idempotent
    excluded = engine.state.records("products", status=EXCLUDED)
    # the company's own "Services" and "Hours" items have no SKU either
    assert {r.label for r in excluded} == {"No Sku Service", "Services", "Hours"}
    assert {(r.reason, r.rule) for r in excluded} == {("no_sku", "E1")}


def test_E1_recommended_filters_make_products_one_way_from_quickbooks(world: World) -> None:
    new_item(world, "Gadget", "G-1")
    world.hs.create("products", {"name": "Hub only", "hs_sku": "H-1", "price": "5"})
    engine = world.engine(settings=world.settings(products={"recommended_filters": True, "direction": None}))
    assert engine.settings.pairs["products"].direction == "to-hubspot"  # C3
    engine.run_pass()
    assert "Hub only" not in items(world) and "G-1" in products(world)
    [hub_only] = [r for r in engine.state.records("products") if r.label == "Hub only"]
    assert (hub_only.status, hub_only.reason) == (EXCLUDED, "direction")


def test_E1_two_way_products_create_items_and_prices_flow_both_ways(world: World) -> None:
    product = world.hs.create("products", {"name": "Consulting", "hs_sku": "C-1", "price": "150"})["id"]
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    item = items(world)["Consulting"]
    assert (item["Sku"], item["UnitPrice"], item["Type"]) == ("C-1", 150, "Service")
    world.hs.update("products", product, {"price": "175.50"})
    world.clock.sleep(60)
    engine.run_pass()
    item = items(world)["Consulting"]
    assert item["UnitPrice"] == 175.5
    world.qbo.update("Item", {"Id": item["Id"], "SyncToken": item["SyncToken"], "Description": "Per hour"},
                     request_id="desc-1")
    world.clock.sleep(60)
    engine.run_pass()
    assert products(world)["C-1"]["properties"]["description"] == "Per hour"


def test_E1_edge_32_a_sku_differing_only_in_case_is_reported_not_created(world: World) -> None:
    new_item(world, "Cable", "abc-1")
    world.hs.create("products", {"name": "Cable HS", "hs_sku": "ABC-1", "price": "3"})
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    assert set(items(world)) == {"Cable", "Services", "Hours"}  # nothing created in QBO
    assert set(products(world)) == {"ABC-1"}  # nor in HubSpot
    failed = engine.state.records("products", status=FAILED)
    assert {(r.label, r.reason, r.rule) for r in failed} == {("Cable HS", "sku_case_mismatch", "E1"),
                                                             ("Cable", "sku_case_mismatch", "E1")}
    world.clock.sleep(600)
    assert engine.run_pass().writes == 0  # reported once, not retried


def test_E1_edge_33_same_name_different_skus_match_by_sku(world: World) -> None:
    first = new_item(world, "Bolt", "B-1")
    world.hs.create("products", {"name": "Bolt", "hs_sku": "B-2", "price": "1"})
    linked = world.hs.create("products", {"name": "Bolt (hub)", "hs_sku": "B-1", "price": "10"})["id"]
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    record = engine.state.by_side_ids("products", HUBSPOT, [linked])[linked]
    assert record.qbo_id == first["Id"] and record.status == SYNCED
    # B-2 is another product: it became its own item; B-1's item took its HubSpot name (HubSpot wins, B2)
    by_sku = {i.get("Sku"): i for i in items(world).values()}
    assert (by_sku["B-1"]["Name"], by_sku["B-2"]["Name"]) == ("Bolt (hub)", "Bolt")
    assert by_sku["B-1"]["Id"] == first["Id"]


def test_E1_an_item_name_taken_in_quickbooks_fails_with_qbos_error(world: World) -> None:
    new_item(world, "Nut", "N-1")
    world.hs.create("products", {"name": "Nut", "hs_sku": "N-2", "price": "1"})
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    [failed] = engine.state.records("products", status=FAILED)
    assert (failed.reason, failed.match_key) == ("duplicate_name", "N-2")
    assert "Duplicate Name Exists" in (failed.message or "")


def test_E2_the_custom_line_item_is_created_once(world: World) -> None:
    engine = world.engine()
    account = engine.income_account("Sales of Product Income")
    first = ensure_custom_line_item(world.qbo, engine.state, account)
    again = ensure_custom_line_item(world.qbo, engine.state, account)
    assert first == again and items(world)[CUSTOM_LINE_ITEM]["Id"] == first
    # a fresh state (the engine restarted without its memory) finds it by name, never a second one
    restarted = world.engine(state=type(engine.state)("sqlite://"))
    assert ensure_custom_line_item(world.qbo, restarted.state, account) == first
    assert sum(1 for name in items(world) if name == CUSTOM_LINE_ITEM) == 1


def test_products_no_echo_after_creating_in_both_directions(world: World) -> None:
    new_item(world, "Qbo Thing", "Q-1")
    world.hs.create("products", {"name": "Hub Thing", "hs_sku": "H-9", "price": "2"})
    engine = world.engine(products={"direction": "two-way"})
    assert engine.run_pass().pairs["products"].created == {HUBSPOT: 1, QUICKBOOKS: 1}
    world.clock.sleep(600)
    assert engine.run_pass().writes == 0
    world.clock.sleep(600)
    assert engine.run_pass(["products"]).calls == {HUBSPOT: 1, QUICKBOOKS: 1}
