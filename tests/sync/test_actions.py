"""Integration actions as engine operations: invoice from a deal (F10, F14), add an invoice by hand (F11),
the workflow actions Create QuickBooks invoice (D5, edge 48) and Create paid invoice / sales receipt (G4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_world import (
    World,
    hubspot_invoice,
    hubspot_invoice_with_lines,
    line,
    linked,
    new_contact,
    new_customer,
    new_invoice,
    synced_contact,
)

from harness.cli import main
from sync import actions
from sync.engine import Engine
from sync.pairs.documents import DRAFT_NOTE
from sync.state import FAILED, HUBSPOT, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def engine_in(w: World, mode: str, direction: str = "to-hubspot", **contacts: object) -> Engine:
    """Current: invoices in ``direction``, products two-way, ``contacts`` over the test defaults. 2023 and
    legacy: their fixed directions (A1); ``contacts`` holds only settings the generation has."""
    if mode != "current":
        return w.engine(settings=w.settings_in(mode, **({"contacts": contacts} if contacts else {})))
    settings = w.settings(invoices={"recommended_filters": False, "direction": direction},
                          products={"direction": "two-way"}, **({"contacts": contacts} if contacts else {}))
    return w.engine(settings=settings)


def deal_with_contact(w: World, contact: str) -> str:
    return w.hs.create("deals", {"dealname": "Big order", "dealstage": "closedwon", "pipeline": "default"},
                       [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                           "associationTypeId": 3}]}])["id"]


def quote(w: World, deal: str, status: str, expires: str, sku: str) -> str:
    made = w.hs.create("quotes", {"hs_title": "Offer", "hs_status": status, "hs_expiration_date": expires},
                       [{"to": {"id": deal}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": 64}]}])["id"]
    w.hs.create("line_items", {"name": "Widgets", "hs_sku": sku, "quantity": "4", "price": "12.5"},
                [{"to": {"id": made}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                 "associationTypeId": 68}]}])
    return made


def test_F10_F14_an_invoice_from_a_published_quote_is_a_draft_in_quickbooks_on_the_deal(world: World,
                                                                                         books: dict) -> None:
    engine = engine_in(world, "legacy")
    deal = deal_with_contact(world, books["contact"])
    published = quote(world, deal, "APPROVAL_NOT_NEEDED", "2026-04-01", "W-1")
    made = actions.create_invoice_from_deal(engine, deal, quote_id=published, terms="Net 30",
                                            message="Thank you")
    invoice = world.qbo.get("Invoice", made["invoice"])
    assert invoice["CustomerRef"]["value"] == books["customer"]["Id"]  # matched by the contact's email (D3)
    assert [ln["SalesItemLineDetail"]["ItemRef"]["name"] for ln in invoice["Line"] if "SalesItemLineDetail" in ln] \
        == ["Widget"]  # the QBO product with the line's SKU
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("50") and invoice["DueDate"] == "2026-04-01"
    assert invoice["PrivateNote"].startswith(DRAFT_NOTE) and invoice["EmailStatus"] == "NotSet"  # F14: not sent
    assert invoice["CustomerMemo"]["value"] == "Thank you"
    assert linked(world, "invoices", made["hubspot_invoice"], "deals") == {deal}
    props = world.hs.get("deals", deal, ["qbo_invoice_number", "qbo_invoice_amount"])["properties"]
    assert (props["qbo_invoice_number"], Decimal(props["qbo_invoice_amount"])) == (invoice["DocNumber"], Decimal(50))


@pytest.mark.parametrize("status, expires, code", [("DRAFT", "2026-04-01", "quote_not_published"),
                                                    ("APPROVED", "2026-03-01", "quote_expired")])
def test_F10_only_published_unexpired_quotes(world: World, books: dict, status: str, expires: str,
                                             code: str) -> None:
    engine = engine_in(world, "legacy")
    deal = deal_with_contact(world, books["contact"])
    with pytest.raises(actions.ActionError) as refused:
        actions.create_invoice_from_deal(engine, deal, quote_id=quote(world, deal, status, expires, "W-1"))
    assert (refused.value.code, refused.value.rule) == (code, "F10")
    assert list(world.qbo.query("SELECT * FROM Invoice")) == []


@pytest.mark.parametrize("mode", ["current", "2023"])
def test_F10_F11_the_card_is_legacy_only_and_its_refusal_names_the_generation(world: World, books: dict,
                                                                              mode: str) -> None:
    deal = deal_with_contact(world, books["contact"])
    engine = engine_in(world, mode)
    with pytest.raises(actions.ActionError) as refused:
        actions.create_invoice_from_deal(engine, deal, lines=[{"sku": "W-1", "quantity": 1}])
    assert (refused.value.code, refused.value.rule) == ("not_in_generation", "F10")
    assert f"the {mode} integration has no invoice from deal action (only legacy)" in str(refused.value)
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    with pytest.raises(actions.ActionError) as refused:
        actions.add_invoice_to(engine, invoice["Id"], "deals", deal)
    assert (refused.value.code, refused.value.rule) == ("not_in_generation", "F11")
    assert len(list(world.qbo.query("SELECT * FROM Invoice"))) == 1  # the bookkeeper's own, nothing more


def test_F10_legacy_creates_the_customer_it_needs(world: World) -> None:
    contact = new_contact(world, "new@example.com", "Nia", "New", company="Fresh Co")
    deal = deal_with_contact(world, contact)
    made = actions.create_invoice_from_deal(engine_in(world, "legacy"), deal,
                                            lines=[{"sku": "none", "quantity": 2, "price": "9.99"}])
    customer = world.qbo.get("Customer", made["customer"])
    assert customer["PrimaryEmailAddr"]["Address"] == "new@example.com"
    assert (customer.get("GivenName"), customer.get("FamilyName")) == ("Nia", "New")
    assert Decimal(str(world.qbo.get("Invoice", made["invoice"])["TotalAmt"])) == Decimal("19.98")


def test_F11_legacy_a_quickbooks_invoice_appears_in_hubspot_only_once_added_by_hand(world: World,
                                                                                    books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    engine = world.engine(settings=world.settings_in("legacy", invoices={"enabled": False}))  # the switch off
    engine.run_pass()
    record = engine.state.by_side_ids("invoices", "quickbooks", [invoice["Id"]])[invoice["Id"]]
    assert (record.reason, record.rule) == ("not_attached", "F11")
    deal = deal_with_contact(world, books["contact"])
    made = actions.add_invoice_to(engine, invoice["Id"], "deals", deal)
    assert made["status"] == SYNCED
    assert linked(world, "invoices", made["hubspot_invoice"], "deals") == {deal}
    assert hubspot_invoice(world, invoice["Id"])["id"] == made["hubspot_invoice"]


def test_D5_edge48_the_workflow_action_fails_for_a_filtered_contact_in_current(world: World) -> None:
    marketing = new_contact(world, "lead@example.com", "Lee", "Lead")  # on no invoice: C1 keeps it out
    deal = deal_with_contact(world, marketing)
    current = engine_in(world, "current", recommended_filters=True, direction="two-way")
    with pytest.raises(actions.ActionError) as refused:
        actions.workflow_create_invoice(current, deal, lines=[{"sku": "x", "quantity": 1, "price": "5"}])
    assert (refused.value.code, refused.value.rule) == ("contact_filtered_out", "D5")
    assert list(world.qbo.query("SELECT * FROM Customer")) == []


def test_D5_edge48_legacy_the_workflow_action_creates_the_customer_of_a_contact_that_does_not_sync(
        world: World) -> None:
    lead = new_contact(world, "lead@example.com", "Lee", "Lead")  # HubSpot only: legacy contacts come from QBO
    deal = deal_with_contact(world, lead)
    legacy = engine_in(world, "legacy")
    legacy.run_pass()
    made = actions.workflow_create_invoice(legacy, deal, lines=[{"sku": "x", "quantity": 1, "price": "5"}])
    assert world.qbo.get("Customer", made["customer"])["PrimaryEmailAddr"]["Address"] == "lead@example.com"


def test_D5_2023_the_workflow_action_fails_for_a_contact_that_does_not_sync(world: World) -> None:
    engine = world.engine(settings=world.settings_in("2023", contacts={"enabled": False}))
    lead = new_contact(world, "lead@example.com", "Lee", "Lead")
    engine.run_pass()
    deal = deal_with_contact(world, lead)
    with pytest.raises(actions.ActionError) as refused:
        actions.workflow_create_invoice(engine, deal, lines=[{"sku": "x", "quantity": 1, "price": "5"}])
    assert refused.value.rule == "D5"
    assert list(world.qbo.query("SELECT * FROM Customer")) == []


def test_D5_D3_a_contact_without_email_never_syncs_so_the_workflow_action_fails(world: World) -> None:
    engine = engine_in(world, "2023")
    nameless = new_contact(world, None, "No", "Email")
    engine.run_pass()
    deal = deal_with_contact(world, nameless)
    with pytest.raises(actions.ActionError) as refused:
        actions.workflow_create_invoice(engine, deal, lines=[{"sku": "x", "quantity": 1, "price": "5"}])
    assert (refused.value.code, refused.value.rule) == ("contact_filtered_out", "D5")
    assert list(world.qbo.query("SELECT * FROM Customer")) == []


def test_D5_2023_the_workflow_action_books_the_invoice_of_a_synced_contact(world: World) -> None:
    """2023: *Create an invoice* is the one way a HubSpot invoice reaches QBO (A1); a synced contact's
    invoice is booked on its customer, as an invoice noted from the deal (not a legacy draft, F14)."""
    engine = engine_in(world, "2023")
    contact, customer = synced_contact(world, engine)
    deal = deal_with_contact(world, contact)
    made = actions.workflow_create_invoice(engine, deal, lines=[{"sku": "x", "quantity": 2, "price": "5"}])
    invoice = world.qbo.get("Invoice", made["invoice"])
    assert invoice["CustomerRef"]["value"] == customer and Decimal(str(invoice["TotalAmt"])) == Decimal("10")
    assert invoice["PrivateNote"] == f"From HubSpot deal {deal}" and not invoice["PrivateNote"].startswith(DRAFT_NOTE)


def paid_hubspot_invoice(w: World, engine: Engine) -> tuple[str, str]:
    contact, _ = synced_contact(w, engine)
    invoice = hubspot_invoice_with_lines(w, contact, [{"name": "Work", "quantity": "1", "price": "80"}])
    engine.run_pass()
    payment = w.hs.create("commerce_payments", {"hs_initial_amount": "80", "hs_initiated_date": "2026-03-02",
                                                "hs_latest_status": "succeeded"},
                          [{"to": {"id": invoice}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                              "associationTypeId": 542}]},
                           {"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                              "associationTypeId": 387}]}])["id"]
    return invoice, payment


def test_G4_the_paid_invoice_workflow_duplicates_unless_invoice_payments_are_filtered(world: World) -> None:
    engine = engine_in(world, "current", "two-way")
    invoice, payment = paid_hubspot_invoice(world, engine)
    skipped = actions.workflow_paid_invoice(engine, payment, skip_invoice_payments=True)
    assert skipped["skipped"] and len(list(world.qbo.query("SELECT * FROM Invoice"))) == 1
    booked = actions.workflow_paid_invoice(engine, payment)  # without the filter
    assert booked["type"] == "Invoice" and len(list(world.qbo.query("SELECT * FROM Invoice"))) == 2
    world.clock.sleep(60)
    engine.run_pass()
    r = engine.state.by_side_ids("payments", HUBSPOT, [payment])[payment]
    assert (r.status, r.reason, r.rule) == (FAILED, "duplicate_invoice", "G4")  # detected and reported
    synced = engine.state.by_side_ids("invoices", HUBSPOT, [invoice])[invoice].qbo_id
    assert Decimal(str(world.qbo.get("Invoice", synced or "")["Balance"])) == Decimal("80")  # not paid twice


def test_G4_cli_paid_sales_receipt(world: World, tmp_path: object, capsys: pytest.CaptureFixture) -> None:
    engine = engine_in(world, "current", "two-way")
    _, payment = paid_hubspot_invoice(world, engine)
    path = tmp_path / "settings.yaml"  # type: ignore[operator]
    import yaml

    doc = engine.settings.to_dict()
    doc["state"] = f"sqlite:///{tmp_path}/state.db"
    path.write_text(yaml.safe_dump(doc))
    assert main(["action", "paid-invoice", "--settings", str(path), "--payment", payment, "--sales-receipt"]) == 0
    assert '"SalesReceipt"' in capsys.readouterr().out
    assert len(list(world.qbo.query("SELECT * FROM SalesReceipt"))) == 1


def test_F14_I9_a_draft_from_hubspot_waits_in_the_advanced_task_manager(world: World) -> None:
    import requests
    from sync_world import company_with

    w = company_with(world, edition="advanced")
    contact = new_contact(w, "adv@example.com", "Ad", "Vanced")
    new_customer(w, "Ad Vanced", "adv@example.com")  # the card matches the customer by email (D3)
    deal = deal_with_contact(w, contact)
    made = actions.create_invoice_from_deal(engine_in(w, "legacy"), deal,
                                            lines=[{"sku": "none", "quantity": 1, "price": "70"}])
    tasks = requests.get(f"{w.sims.qbo_url}/_sim/quickbooks/{w.company['realmId']}/tasks", timeout=5).json()["tasks"]
    assert [(t["entity"]["type"], t["entity"]["id"]) for t in tasks if "draft" in t["workflow"]] == \
        [("Invoice", made["invoice"])]  # not sent by QBO on its own: it waits for approval (F14)


def test_F10_cli_an_unknown_quote_is_reported_not_a_stack_trace(world: World, books: dict, tmp_path: object,
                                                capsys: pytest.CaptureFixture) -> None:
    import yaml

    engine = engine_in(world, "legacy")
    doc = engine.settings.to_dict()
    doc["state"] = f"sqlite:///{tmp_path}/state.db"
    path = tmp_path / "settings.yaml"  # type: ignore[operator]
    path.write_text(yaml.safe_dump(doc))
    deal = deal_with_contact(world, books["contact"])
    assert main(["action", "invoice-from-deal", "--settings", str(path), "--deal", deal, "--quote", "999999"]) == 1
    assert "404" in capsys.readouterr().err  # HubSpot's answer, no stack trace
    assert list(world.qbo.query("SELECT * FROM Invoice")) == []  # nothing half-written
