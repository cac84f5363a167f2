"""The QBO company's settings meet HubSpot invoices (rules F4-F9, F12, F13, I2-I4, I6, I8; edge cases 29-38, 43-45),
each in the generation it belongs to (docs/integration-rules.md): current unless the test says otherwise."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sync_world import (
    World,
    company_with,
    credit_memo,
    engine_for,
    hubspot_invoice,
    hubspot_invoice_with_lines,
    journal_mark,
    journal_writes,
    line,
    new_contact,
    new_customer,
    new_invoice,
    new_item,
    pay,
    synced_contact,
)

from sync import actions
from sync.engine import Engine
from sync.pairs.documents import DEAL_PROPERTIES, INVOICE_STATUS_PROPERTY
from sync.settings import SettingsError
from sync.state import EXCLUDED, FAILED, HUBSPOT, QUICKBOOKS

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def outbound(w: World, currency: str = "USD", **invoices: object) -> tuple[Engine, str, str]:
    """Current, two-way invoices; a synced contact and a finalized HubSpot invoice of 2 × 50 on it."""
    engine = w.engine(settings=w.settings(invoices={"recommended_filters": False, "direction": "two-way", **invoices}))
    contact, _ = synced_contact(w, engine)
    invoice = hubspot_invoice_with_lines(w, contact, [{"name": "Work", "quantity": "2", "price": "50"}],
                                         hs_number="HS-1001", hs_invoice_date="2026-03-02", hs_currency=currency)
    return engine, contact, invoice


def status_of(engine: Engine, pair: str, side: str, object_id: str) -> tuple:
    r = engine.state.by_side_ids(pair, side, [object_id])[object_id]
    return r.status, r.reason, r.rule


def test_F4_a_non_us_company_refuses_hubspot_invoices_with_a_clear_reason(world: World) -> None:
    w = company_with(world, country="GB")
    engine, _, invoice = outbound(w)
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, invoice) == (FAILED, "tax_required", "F4")
    assert list(w.qbo.query("SELECT * FROM Invoice")) == []


def deal_of(w: World, contact: str) -> str:
    return w.hs.create("deals", {"dealname": "Order", "dealstage": "closedwon", "pipeline": "default"},
                       [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                           "associationTypeId": 3}]}])["id"]


def test_F4_legacy_the_card_puts_the_tax_code_on_every_line_for_a_non_us_company(world: World) -> None:
    w = company_with(world, country="GB")
    code = next(c for c in w.qbo.query("SELECT * FROM TaxCode") if c.get("Name", "").startswith("20.0% S"))
    contact = new_contact(w, "ada@example.com", "Ada", "Lovelace")
    new_customer(w, "Ada Lovelace", "ada@example.com")
    item = new_item(w, "Work", "W-1", "50")
    deal = deal_of(w, contact)
    untaxed = w.engine(settings=w.settings_in("legacy"))
    with pytest.raises(actions.ActionError) as refused:  # a customer outside the US needs a tax code per line
        actions.create_invoice_from_deal(untaxed, deal, lines=[{"item": item["Id"], "quantity": 2}])
    assert (refused.value.code, refused.value.rule) == ("tax_required", "F4")
    engine = w.engine(settings=w.settings_in("legacy", invoices={"tax_code": code["Id"]}))
    made = actions.create_invoice_from_deal(engine, deal, lines=[{"item": item["Id"], "quantity": 2}])
    invoice = w.qbo.get("Invoice", made["invoice"])
    assert {ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in invoice["Line"]
            if "SalesItemLineDetail" in ln} == {code["Id"]}
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("120")  # 100 + 20 % VAT, computed by QBO


def test_F4_current_a_non_us_company_gets_no_hubspot_invoice_whatever_the_settings(world: World) -> None:
    w = company_with(world, country="GB")
    for option in ({"tax_code": "1"}, {"automated_tax": True}):  # legacy's card option; the beta option is gone
        with pytest.raises(SettingsError):
            w.settings(invoices={"recommended_filters": False, "direction": "two-way", **option})
    engine, _, invoice = outbound(w, "GBP")
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, invoice) == (FAILED, "tax_required", "F4")
    assert list(w.qbo.query("SELECT * FROM Invoice")) == []


def test_F5_revenue_recognition_needs_service_dates_hubspot_lines_lack(world: World) -> None:
    w = company_with(world, revenueRecognition=True)
    engine, _, invoice = outbound(w)
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, invoice) == (FAILED, "service_date_required", "F5")


def test_F6_I2_custom_numbers_take_the_hubspot_number_and_collisions_fail(world: World) -> None:
    w = company_with(world, customTxnNumbers=True)
    engine, contact, invoice = outbound(w)
    engine.run_pass()
    made = w.qbo.get("Invoice", engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice].qbo_id or "")
    assert made["DocNumber"] == "HS-1001"  # the HubSpot prefix and number
    customer = engine.state.by_side_ids("contacts", HUBSPOT, [contact])[contact].qbo_id
    item = new_item(w, "Thing", "T-1", "5")
    credit_memo(w, {"Id": customer}, item, "5", "HS-1002")  # edge 30: a credit memo holds the next number
    clash = hubspot_invoice_with_lines(w, contact, [{"name": "More", "quantity": "1", "price": "5"}],
                                       hs_number="HS-1002")
    again = hubspot_invoice_with_lines(w, contact, [{"name": "Again", "quantity": "1", "price": "5"}],
                                       hs_number="HS-1001")
    w.clock.sleep(60)
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, clash) == (FAILED, "duplicate_doc_number", "F6")
    assert status_of(engine, "invoices", HUBSPOT, again) == (FAILED, "duplicate_doc_number", "F6")
    assert len(list(w.qbo.query("SELECT * FROM Invoice"))) == 1  # never a silent link to the other document


def test_F6_legacy_refuses_to_create_invoices_while_custom_numbers_are_on(world: World) -> None:
    w = company_with(world, customTxnNumbers=True)
    contact = new_contact(w, "ada@example.com", "Ada", "Lovelace")
    new_customer(w, "Ada Lovelace", "ada@example.com")
    engine = w.engine(settings=w.settings_in("legacy"))
    engine.run_pass()
    with pytest.raises(actions.ActionError) as refused:  # the card (F10), the one way legacy creates invoices
        actions.create_invoice_from_deal(engine, deal_of(w, contact),
                                         lines=[{"sku": "none", "quantity": 1, "price": "10"}])
    assert (refused.value.code, refused.value.rule) == ("custom_transaction_numbers", "F6")
    assert list(w.qbo.query("SELECT * FROM Invoice")) == []


def test_I4_edge37_an_invoice_in_a_closed_period_fails_once_and_is_not_retried(world: World) -> None:
    w = company_with(world, closingDate="2026-02-28")
    engine, contact, _ = outbound(w)
    late = hubspot_invoice_with_lines(w, contact, [{"name": "Old work", "quantity": "1", "price": "10"}],
                                      hs_invoice_date="2026-02-15")
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, late) == (FAILED, "period_closed", "I4")
    mark = journal_mark(w)
    engine.run_pass()
    assert [x for x in journal_writes(w, mark) if "/v3/company/" in x["path"]] == []  # no endless retries


def test_I8_edge38_a_currency_other_than_the_customers_is_refused_never_converted(world: World) -> None:
    w = company_with(world, multiCurrency=True)
    engine, contact, _ = outbound(w)
    euros = hubspot_invoice_with_lines(w, contact, [{"name": "Work", "quantity": "1", "price": "10"}],
                                       hs_currency="EUR")
    engine.run_pass()
    assert status_of(engine, "invoices", HUBSPOT, euros) == (FAILED, "currency_mismatch", "I8")


def test_F9_legacy_an_open_invoice_becomes_overdue_as_the_clock_passes_its_due_date(world: World,
                                                                                    books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")], DueDate="2026-03-05")
    engine = world.engine(settings=world.settings_in("legacy"))  # the invoice stages are legacy's (F9)
    engine.run_pass()
    assert hubspot_invoice(world, invoice["Id"])["properties"][INVOICE_STATUS_PROPERTY] == "waiting_to_be_sent"
    world.clock.sleep(4 * 86400)  # 2026-03-06: past due, nothing changed in either system
    engine.run_pass()
    assert hubspot_invoice(world, invoice["Id"])["properties"][INVOICE_STATUS_PROPERTY] == "overdue"
    pay(world, books["customer"], {invoice["Id"]: "12.50"})
    world.clock.sleep(60)
    engine.run_pass()
    engine.run_pass()
    assert hubspot_invoice(world, invoice["Id"])["properties"][INVOICE_STATUS_PROPERTY] == "paid_in_full"


def others(w: World, deal: str) -> dict:
    """The deal's properties outside the integration's own group (and its modification stamp)."""
    names = [p["name"] for p in w.hs.properties("deals")
             if p["groupName"] != "qbo_invoice_information" and p["name"] != "hs_lastmodifieddate"]
    return w.hs.get("deals", deal, names)["properties"]


def deal_props(w: World, deal: str) -> dict:
    return w.hs.get("deals", deal, list(DEAL_PROPERTIES))["properties"]


@pytest.mark.parametrize("mode", ["2023", "legacy"])
def test_F8_edge43_deal_properties_follow_the_most_recently_updated_invoice(world: World, books: dict,
                                                                            mode: str) -> None:
    deposit = new_invoice(world, books["customer"], [line(books["widget"], 2, "12.50")], DueDate="2026-03-10")
    final = new_invoice(world, books["customer"], [line(books["gadget"], 3, "3.33")], DueDate="2026-04-10")
    deal = world.hs.create("deals", {"dealname": "Order", "dealstage": "closedwon", "pipeline": "default",
                                     "amount": "34.99"})["id"]
    before = others(world, deal)
    engine = world.engine(settings=world.settings_in(mode))  # invoices from QBO to HubSpot (A1)
    engine.run_pass()
    for invoice in (deposit, final):  # edge 43: deposit and final invoices on one deal
        world.hs.associate("invoices", "deals", [(hubspot_invoice(world, invoice["Id"])["id"], deal)])
    world.clock.sleep(60)
    fresh = world.qbo.get("Invoice", deposit["Id"])  # the deposit invoice is the last one updated in QBO
    world.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "DueDate": "2026-03-12"},
                     request_id=uuid.uuid4().hex)
    world.clock.sleep(60)
    engine.run_pass()
    props = deal_props(world, deal)
    assert (props["qbo_invoice_number"], Decimal(props["qbo_invoice_amount"]), props["qbo_invoice_due_date"],
            props["qbo_invoice_status"], props["qbo_invoice_recipient"]) == \
        (deposit["DocNumber"], Decimal("25"), "2026-03-12", "waiting_to_be_sent", "ada@example.com")
    total = sum(Decimal(hubspot_invoice(world, i["Id"])["properties"]["hs_amount_billed"]) for i in (deposit, final))
    assert total == Decimal("34.99")  # the two invoices add up to the deal amount
    assert others(world, deal) == before  # the five properties only: nothing outside the integration's group


def test_F13_current_writes_nothing_to_the_deal(world: World, books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 2, "12.50")], DueDate="2026-03-10")
    deal = world.hs.create("deals", {"dealname": "Order", "dealstage": "closedwon", "pipeline": "default",
                                     "amount": "25"})["id"]
    before = others(world, deal)
    engine = engine_for(world)
    engine.run_pass()
    world.hs.associate("invoices", "deals", [(hubspot_invoice(world, invoice["Id"])["id"], deal)])
    fresh = world.qbo.get("Invoice", invoice["Id"])
    world.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "DueDate": "2026-03-12"},
                     request_id=uuid.uuid4().hex)
    world.clock.sleep(60)
    engine.run_pass()
    assert hubspot_invoice(world, invoice["Id"])["properties"]["hs_due_date"].startswith("2026-03-12")  # synced
    assert not any(deal_props(world, deal).get(p) for p in DEAL_PROPERTIES)  # the deal's own group stays empty
    assert others(world, deal) == before


def test_F7_legacy_an_invoice_in_another_currency_leaves_the_deal_alone(world: World) -> None:
    w = company_with(world, multiCurrency=True)
    new_contact(w, "eur@example.com", "Eu", "Ro")
    customer = new_customer(w, "Euro Client", "eur@example.com", CurrencyRef={"value": "EUR"})
    item = new_item(w, "Widget", "W-1", "10")
    invoice = new_invoice(w, customer, [line(item, 1, "10")], CurrencyRef={"value": "EUR"})
    deal = w.hs.create("deals", {"dealname": "Euro deal", "dealstage": "closedwon", "pipeline": "default"})["id"]
    engine = w.engine(settings=w.settings_in("legacy"))  # legacy writes deal properties (F8) but not these
    engine.run_pass()
    made = hubspot_invoice(w, invoice["Id"])
    assert made["properties"]["hs_currency"] == "EUR"
    w.hs.associate("invoices", "deals", [(made["id"], deal)])
    fresh = w.qbo.get("Invoice", invoice["Id"])
    w.qbo.update("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "DueDate": "2026-03-30"},
                 request_id=uuid.uuid4().hex)
    w.clock.sleep(60)
    engine.run_pass()
    assert not any(deal_props(w, deal).get(p) for p in DEAL_PROPERTIES)


def test_F12_I6_custom_fields_map_to_hubspot_and_a_new_mapping_back_fills(world: World) -> None:
    w = company_with(world, customFields=["PO number", "Crew #"])
    w.hs.create_property("invoices", {"name": "po_number", "label": "PO", "type": "string", "fieldType": "text",
                                      "groupName": "invoiceinformation"})
    new_contact(w, "ada@example.com", "Ada", "L")
    customer = new_customer(w, "Ada L", "ada@example.com")
    item = new_item(w, "Widget", "W-1", "10")
    invoice = new_invoice(w, customer, [line(item, 1, "10")],
                          CustomField=[{"DefinitionId": "1", "Type": "StringType", "StringValue": "PO-7"}])
    engine = engine_for(w)
    engine.run_pass()
    assert "po_number" not in (hubspot_invoice(w, invoice["Id"])["properties"])
    mapped = engine_for(w, custom_fields={"PO number": "po_number", "Not a field": "hs_title"})
    report = mapped.run_pass()  # the mapping is new: the invoice synced before it is back-filled
    got = w.hs.get("invoices", hubspot_invoice(w, invoice["Id"])["id"], ["po_number"])["properties"]
    assert got["po_number"] == "PO-7"
    assert any("F12" in p and "Not a field" in p for p in report.pairs["invoices"].problems)


def test_edge44_45_voided_mirrors_as_voided_and_deleted_is_never_recreated(world: World, books: dict) -> None:
    voided = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    deleted = new_invoice(world, books["customer"], [line(books["gadget"], 1, "3.33")])
    engine = engine_for(world)
    engine.run_pass()
    fresh = world.qbo.get("Invoice", voided["Id"])
    world.qbo._write("Invoice", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"]}, uuid.uuid4().hex,
                     operation="void")
    gone = world.qbo.get("Invoice", deleted["Id"])
    world.qbo.delete("Invoice", gone, request_id=uuid.uuid4().hex)
    hubspot_id = hubspot_invoice(world, deleted["Id"])["id"]
    engine.notify(QUICKBOOKS, [("invoices", deleted["Id"], True)])  # CDC/webhook: Deleted
    world.clock.sleep(60)
    engine.run_pass()
    assert hubspot_invoice(world, voided["Id"])["properties"]["hs_invoice_status"] == "voided"
    assert status_of(engine, "invoices", QUICKBOOKS, deleted["Id"]) == (EXCLUDED, "deleted", "D4")
    assert world.hs.get("invoices", hubspot_id, ["hs_number"])["id"] == hubspot_id  # flagged, not deleted
    engine.run_pass()
    assert len(list(world.hs.list("invoices", ["hs_number"]))) == 2  # never re-created
