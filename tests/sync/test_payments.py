"""Payments end to end (rules A2, G1-G4; edge cases 39-42): money checked to the cent, as Decimal."""

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
    linked,
    new_invoice,
    pay,
    synced_contact,
)

from sync.pairs.documents import INVOICE_STATUS_PROPERTY, PAYMENT_ID_PROPERTY
from sync.state import EXCLUDED, HUBSPOT, PENDING, QUICKBOOKS, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")

PAYMENT_PROPS = ["hs_initial_amount", "hs_latest_status", "hs_initiated_date", PAYMENT_ID_PROPERTY]


def payments_of(w: World, invoice_id: str) -> list[dict]:
    ids = sorted(linked(w, "invoices", invoice_id, "commerce_payments"))
    return w.hs.batch_read("commerce_payments", ids, PAYMENT_PROPS) if ids else []


def record(engine: object, pair: str, side: str, object_id: str) -> object:
    return engine.state.by_side_ids(pair, side, [object_id])[object_id]  # type: ignore[attr-defined]


def test_A2_edge39_40_partial_payments_accumulate_to_paid_in_full(world: World, books: dict) -> None:
    invoice = new_invoice(world, books["customer"], [line(books["widget"], 3, "12.50")])  # 37.50
    deal = world.hs.create("deals", {"dealname": "Ada's order", "dealstage": "closedwon", "pipeline": "default"})["id"]
    engine = engine_for(world)
    engine.run_pass()
    made = hubspot_invoice(world, invoice["Id"])
    world.hs.associate("invoices", "deals", [(made["id"], deal)])
    first = pay(world, books["customer"], {invoice["Id"]: "10.01"})
    world.clock.sleep(60)
    engine.run_pass()
    [mirror] = payments_of(world, made["id"])
    assert Decimal(mirror["properties"]["hs_initial_amount"]) == Decimal("10.01")
    assert mirror["properties"][PAYMENT_ID_PROPERTY] == first["Id"]
    assert linked(world, "commerce_payments", mirror["id"], "deals") == {deal}  # A2: on the deal's timeline
    assert hubspot_invoice(world, invoice["Id"])["properties"][INVOICE_STATUS_PROPERTY] == "partially_paid"
    pay(world, books["customer"], {invoice["Id"]: "27.49"})
    world.clock.sleep(60)
    engine.run_pass()
    amounts = sorted(Decimal(p["properties"]["hs_initial_amount"]) for p in payments_of(world, made["id"]))
    assert amounts == [Decimal("10.01"), Decimal("27.49")] and sum(amounts) == Decimal("37.50")
    assert hubspot_invoice(world, invoice["Id"])["properties"][INVOICE_STATUS_PROPERTY] == "paid_in_full"  # F9
    mark = journal_mark(world)
    engine.run_pass()
    assert journal_writes(world, mark) == []


def test_G1_a_split_payment_is_excluded_with_its_reason(world: World, books: dict) -> None:
    one = new_invoice(world, books["customer"], [line(books["widget"], 1, "12.50")])
    two = new_invoice(world, books["customer"], [line(books["gadget"], 1, "3.33")])
    engine = engine_for(world)
    engine.run_pass()
    split = pay(world, books["customer"], {one["Id"]: "12.50", two["Id"]: "3.33"})
    world.clock.sleep(60)
    engine.run_pass()
    r = record(engine, "payments", QUICKBOOKS, split["Id"])
    assert (r.status, r.reason, r.rule) == (EXCLUDED, "split_payment", "G1")
    assert payments_of(world, hubspot_invoice(world, one["Id"])["id"]) == []
    assert engine.state.counts("payments")["excluded"] == 1  # H1 shows it


def test_edge41_42_a_payment_waits_for_its_invoice_and_an_unapplied_one_is_reported(world: World,
                                                                                   books: dict) -> None:
    stranger = world.qbo.create("Customer", {"DisplayName": "Late Email Ltd"}, request_id=uuid.uuid4().hex)
    invoice = new_invoice(world, stranger, [line(books["widget"], 1, "12.50")])
    early = pay(world, stranger, {invoice["Id"]: "12.50"})
    loose = pay(world, books["customer"], {}, total="5.00")
    engine = engine_for(world)
    engine.run_pass()
    assert (record(engine, "payments", QUICKBOOKS, early["Id"]).reason,
            record(engine, "payments", QUICKBOOKS, loose["Id"]).reason) == ("invoice_not_synced", "unapplied_payment")
    assert record(engine, "payments", QUICKBOOKS, early["Id"]).status == PENDING
    fresh = world.qbo.get("Customer", stranger["Id"])  # the customer gets an email: now it syncs, then all follows
    world.qbo.update("Customer", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "sparse": True,
                                  "PrimaryEmailAddr": {"Address": "late@example.com"}}, request_id=uuid.uuid4().hex)
    world.clock.sleep(60)
    engine.run_pass()
    assert record(engine, "payments", QUICKBOOKS, early["Id"]).status == SYNCED
    [mirror] = payments_of(world, hubspot_invoice(world, invoice["Id"])["id"])
    assert Decimal(mirror["properties"]["hs_initial_amount"]) == Decimal("12.50")


def test_G2_G3_a_hubspot_payment_reaches_quickbooks_once_completed_without_fees(world: World, books: dict) -> None:
    engine = engine_for(world, "two-way")
    contact, _ = synced_contact(world, engine)
    invoice = hubspot_invoice_with_lines(world, contact, [{"name": "Work", "quantity": "1", "price": "100"}])
    engine.run_pass()
    qbo_invoice = record(engine, "invoices", HUBSPOT, invoice).qbo_id
    payment = world.hs.create("commerce_payments", {"hs_initial_amount": "100", "hs_initiated_date": "2026-03-02",
                                                    "hs_latest_status": "processing", "hs_currency_code": "USD",
                                                    "hs_payment_method_type": "ach"},
                              [{"to": {"id": invoice}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                  "associationTypeId": 542}]}])["id"]
    world.clock.sleep(60)
    engine.run_pass()
    r = record(engine, "payments", HUBSPOT, payment)
    assert (r.status, r.reason, r.rule) == (PENDING, "ach_processing", "G2")
    assert Decimal(str(world.qbo.get("Invoice", qbo_invoice)["Balance"])) == Decimal("100")  # QBO: not yet paid
    world.hs.update("commerce_payments", payment, {"hs_latest_status": "succeeded"})
    world.clock.sleep(60)
    mark = journal_mark(world)
    engine.run_pass()
    assert Decimal(str(world.qbo.get("Invoice", qbo_invoice)["Balance"])) == Decimal("0")
    qbo_writes = [w for w in journal_writes(world, mark) if "/v3/company/" in w["path"]]
    assert [w["path"].rsplit("/", 1)[-1] for w in qbo_writes] == ["batch"]  # one write: the payment
    payments = list(world.qbo.query("SELECT * FROM Payment"))
    assert [Decimal(str(p["TotalAmt"])) for p in payments] == [Decimal("100")]  # G3: gross, no fee expense
    r = record(engine, "payments", HUBSPOT, payment)
    assert r.status == SYNCED and r.qbo_id
    engine.run_pass()  # the next pass reads the paid invoice back: its F9 status follows (a pass later)
    assert world.hs.get("invoices", invoice, [INVOICE_STATUS_PROPERTY])["properties"][INVOICE_STATUS_PROPERTY] == \
        "paid_in_full"
    mark = journal_mark(world)
    engine.run_pass()
    engine.run_pass()
    assert journal_writes(world, mark) == []  # the QBO payment never comes back as a second HubSpot payment
