"""Current-generation behaviour of article 001 that needs both simulators: the automated sales tax beta (F4) and
QBO-made invoices taking HubSpot's prefix once custom transaction numbers are on (F6)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import requests
from sync_world import World, company_with, engine_for, hubspot_invoice_with_lines, new_item, synced_contact

from sync.state import FAILED, HUBSPOT, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def opt_into_automated_tax(w: World) -> None:
    """A Super Admin turns on HubSpot's automated sales tax beta."""
    r = requests.post(f"{w.sims.hubspot_url}/_sim/hubspot/{w.portal['portalId']}/automated-sales-tax",
                      json={"enabled": True}, timeout=10)
    assert r.status_code == 200, r.text


def test_F4_automated_tax_reaches_quickbooks_and_the_totals_agree(world: World) -> None:
    opt_into_automated_tax(world)
    engine = engine_for(world, "two-way")
    contact, _ = synced_contact(world, engine)
    invoice = hubspot_invoice_with_lines(world, contact, [
        {"name": "Design", "quantity": "2", "price": "150", "hs_tax_amount": "24.75"},
        {"name": "Hosting", "quantity": "1", "price": "40", "hs_tax_amount": "3.30"}])
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice]
    assert record.status == SYNCED
    made = world.qbo.get("Invoice", record.qbo_id or "")
    assert Decimal(str(made["TxnTaxDetail"]["TotalTax"])) == Decimal("28.05")
    billed = world.hs.get("invoices", invoice, ["hs_amount_billed"])["properties"]["hs_amount_billed"]
    assert Decimal(str(made["TotalAmt"])) == Decimal(billed) == Decimal("368.05")


def test_F4_without_the_beta_hubspot_invoices_carry_no_tax_and_none_is_invented(world: World) -> None:
    engine = engine_for(world, "two-way")
    contact, _ = synced_contact(world, engine)
    invoice = hubspot_invoice_with_lines(world, contact, [{"name": "Design", "quantity": "2", "price": "150"}])
    engine.run_pass()
    made = world.qbo.get("Invoice", engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice].qbo_id or "")
    assert Decimal(str(made["TxnTaxDetail"]["TotalTax"])) == 0 and Decimal(str(made["TotalAmt"])) == 300


def test_F6_quickbooks_invoices_take_hubspots_prefix_and_the_numbers_clash(world: World) -> None:
    """001 warns that with custom transaction numbers on, invoices made in QBO adopt HubSpot's prefix: QBO's
    form offers the number after the last one used — HubSpot's — so HubSpot's next invoice finds it taken."""
    w = company_with(world, customTxnNumbers=True)
    engine = engine_for(w, "two-way")
    contact, customer = synced_contact(w, engine)
    first = hubspot_invoice_with_lines(w, contact, [{"name": "A", "quantity": "1", "price": "5"}],
                                       hs_number="INV-1001")
    engine.run_pass()
    assert engine.state.by_side_ids("invoices", HUBSPOT, [first])[first].status == SYNCED
    offered = requests.get(f"{w.sims.qbo_url}/_sim/quickbooks/{w.company['realmId']}/next-number",
                           params={"entity": "Invoice"}, timeout=10).json()["DocNumber"]
    assert offered == "INV-1002"  # a QBO user's next invoice takes HubSpot's prefix
    item = new_item(w, "Thing", "T-1", "5")
    w.qbo.create("Invoice", {"CustomerRef": {"value": customer}, "DocNumber": offered, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 5, "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]},
                                                                                    "Qty": 1, "UnitPrice": 5}}]},
                 request_id=uuid.uuid4().hex)
    second = hubspot_invoice_with_lines(w, contact, [{"name": "B", "quantity": "1", "price": "5"}],
                                        hs_number="INV-1002")
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", HUBSPOT, [second])[second]
    assert (record.status, record.reason, record.rule) == (FAILED, "duplicate_doc_number", "F6")
