"""QBO's refusal of one field's value names that field and its rule (issue 13), and amounts travel as exact
decimals from HubSpot to QBO's request body (never a float: "99999999999999999999.99" is not 1e+20)."""

from __future__ import annotations

import pytest
from sync_world import (
    World,
    company_with,
    customers,
    hubspot_invoice_with_lines,
    journal_mark,
    new_contact,
    synced_contact,
)

from sync.outcomes import reason
from sync.state import FAILED, HUBSPOT, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def failed(engine: object, pair: str) -> tuple[str, str]:
    [record] = engine.state.records(pair, status=FAILED)  # type: ignore[attr-defined]
    return record.reason, record.rule


def qbo_bodies(w: World, since: int) -> str:
    """Every request body the QBO simulator received after journal mark ``since``, as sent (JSON text)."""
    return "\n".join(e.get("requestBody") or "" for e in w.sims.runtime.journal.find(system="quickbooks",
                                                                                        since=since))


def new_product(w: World, **props: str) -> str:
    return w.hs.create("products", props)["id"]


def test_D3_an_email_quickbooks_refuses_names_the_email_not_the_name(world: World) -> None:
    new_contact(world, "a" * 95 + "@example.com", "Long", "Mail")  # HubSpot takes it; QBO keeps 100 characters
    engine = world.engine()
    engine.run_pass()
    assert failed(engine, "contacts") == ("invalid_quickbooks_email", "D3")
    assert customers(world) == []


def test_D1_a_name_quickbooks_refuses_is_still_the_name(world: World) -> None:
    new_contact(world, "colon@example.com", "Ac:me", "Corp")
    engine = world.engine()
    engine.run_pass()
    assert failed(engine, "contacts") == ("invalid_name", "D1")


@pytest.mark.parametrize(("props", "expected"), [
    ({"hs_sku": "S" * 101, "name": "Long sku"}, ("invalid_sku", "E1")),
    ({"hs_sku": "N-1", "name": "N" * 101}, ("invalid_item_name", "E1")),
    ({"hs_sku": "D-1", "name": "Long description", "description": "d" * 4001}, ("invalid_description", "B3")),
    ({"hs_sku": "P-1", "name": "Huge price", "price": "99999999999999999999.99"}, ("invalid_amount", "B3")),
], ids=["sku", "name", "description", "price"])
def test_a_product_field_quickbooks_refuses_is_named_with_its_rule(world: World, props: dict,
                                                                    expected: tuple[str, str]) -> None:
    new_product(world, **props)
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    assert failed(engine, "products") == expected
    assert reason(expected[0]).rule == expected[1]


def test_a_price_goes_to_quickbooks_as_the_exact_decimal_hubspot_holds(world: World) -> None:
    """A float would send 1e+20 for the first and 1234567890.1234567 for the second; the body carries the digits
    as HubSpot has them."""
    mark = journal_mark(world)
    new_product(world, hs_sku="BIG-1", name="Too big", price="99999999999999999999.99")
    new_product(world, hs_sku="EXACT-1", name="Exact", price="1234567890.123456789")
    engine = world.engine(products={"direction": "two-way"})
    engine.run_pass()
    sent = qbo_bodies(world, mark)
    assert '"UnitPrice": 99999999999999999999.99' in sent and "1e+20" not in sent
    assert '"UnitPrice": 1234567890.123456789' in sent
    [exact] = [r for r in engine.state.records("products") if r.label == "Exact"]
    assert exact.status == SYNCED


def test_F6_an_invoice_number_longer_than_quickbooks_takes_is_named(world: World) -> None:
    w = company_with(world, customTxnNumbers=True)
    engine = w.engine(settings=w.settings(invoices={"recommended_filters": False, "direction": "two-way"}))
    contact, _ = synced_contact(w, engine)
    invoice = hubspot_invoice_with_lines(w, contact, [{"name": "Thing", "quantity": "1", "price": "5"}],
                                         hs_number="INV-" + "9" * 18)  # 22 characters; QBO keeps 21
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice]
    assert (record.status, record.reason, record.rule) == (FAILED, "invalid_doc_number", "F6")


def test_invoice_lines_go_to_quickbooks_as_exact_decimals(world: World) -> None:
    engine = world.engine(settings=world.settings(invoices={"recommended_filters": False, "direction": "two-way"}))
    contact, _ = synced_contact(world, engine)
    mark = journal_mark(world)
    invoice = hubspot_invoice_with_lines(world, contact, [{"name": "Fine", "quantity": "3",
                                                           "price": "1234567.12345678901"}])
    engine.run_pass()
    sent = qbo_bodies(world, mark)  # as floats: 1234567.123456789 and 3703701.370370367
    assert '"UnitPrice": 1234567.12345678901' in sent and '"Amount": 3703701.37037036703' in sent
    assert engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice].status == SYNCED
