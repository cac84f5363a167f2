"""An invoice's amount paid follows its commerce payments (rules A2, G2), through hubspot-api-client 12.0.0.

hs_amount_paid = Σ hs_initial_amount of the associated, non-archived payments whose hs_latest_status is
"succeeded" or "processing"; hs_balance_due = billed − paid; an open invoice becomes paid at a zero balance and
a paid one opens again when the balance grows; drafts and voided invoices keep their status.
"""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.associations import BatchInputPublicAssociation
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
)

from simulators.sims import HUBSPOT_API, Simulators

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-31T12:00:00Z")
PAYMENTS = "commerce_payments"
TOTALS = ("hs_amount_billed", "hs_amount_paid", "hs_balance_due", "hs_invoice_status", "hs_payment_status")


@pytest.fixture
def hs(hubspot_portal: dict) -> HubSpot:
    return HubSpot(access_token=hubspot_portal["accessToken"], host=HUBSPOT_API, base_url=HUBSPOT_API)


def _to(object_id: str, type_id: int) -> dict:
    return {"to": {"id": object_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _invoice(hs: HubSpot, status: str = "open", *amounts: tuple[str, str]) -> str:
    """An invoice with one line item per (quantity, price); 2 × 50 when none are given."""
    lines = [hs.crm.line_items.basic_api.create({"properties": {"name": f"L{i}", "quantity": q, "price": p}}).id
             for i, (q, p) in enumerate(amounts or (("2", "50"),))]
    return hs.crm.commerce.invoices.basic_api.create({
        "properties": {"hs_currency": "USD", "hs_invoice_status": status},
        "associations": [_to(line, 409) for line in lines]}).id


def _pay(hs: HubSpot, amount: str, status: str = "succeeded", invoice: str | None = None) -> str:
    """A payment, associated with ``invoice`` in its create body (payment → invoice, 542) when one is given."""
    body: dict = {"properties": {"hs_initial_amount": amount, "hs_initiated_date": "2026-01-31T12:00:00Z",
                                 "hs_currency_code": "USD", "hs_latest_status": status}}
    if invoice is not None:
        body["associations"] = [_to(invoice, 542)]
    return hs.crm.objects.basic_api.create(PAYMENTS, body).id


def _status(hs: HubSpot, payment: str, status: str) -> None:
    hs.crm.objects.basic_api.update(PAYMENTS, payment, {"properties": {"hs_latest_status": status}})


def _totals(hs: HubSpot, invoice: str) -> tuple[str | None, ...]:
    props = hs.crm.commerce.invoices.basic_api.get_by_id(invoice, properties=list(TOTALS)).properties
    return tuple(props.get(name) for name in TOTALS)


UNPAID = ("100", "0", "100", "open", "PENDING")
PAID = ("100", "100", "0", "paid", "PAID")


def test_payments_created_with_their_invoice_pay_it_off(hs: HubSpot) -> None:
    invoice = _invoice(hs)
    assert _totals(hs, invoice) == UNPAID
    _pay(hs, "40", invoice=invoice)
    assert _totals(hs, invoice) == ("100", "40", "60", "open", "PARTIALLY_PAID")
    _pay(hs, "60", invoice=invoice)
    assert _totals(hs, invoice) == PAID
    _pay(hs, "5", invoice=invoice)  # an overpayment: the balance goes below zero, the invoice stays paid
    assert _totals(hs, invoice) == ("100", "105", "-5", "paid", "PAID")


def test_an_ach_payment_still_processing_shows_the_invoice_paid(hs: HubSpot) -> None:
    """G2: HubSpot shows the invoice paid while the ACH payment is processing; if it then fails, it opens again."""
    invoice = _invoice(hs)
    ach = _pay(hs, "100", "processing", invoice)
    assert _totals(hs, invoice) == PAID
    _status(hs, ach, "failed")
    assert _totals(hs, invoice) == UNPAID
    _status(hs, ach, "succeeded")
    assert _totals(hs, invoice) == PAID


@pytest.mark.parametrize(("status", "counts"), [
    ("succeeded", True), ("SUCCEEDED", True), ("Processing", True),
    ("failed", False), ("canceled", False), ("refunded", False), ("", False)])
def test_which_payment_statuses_count(hs: HubSpot, status: str, counts: bool) -> None:
    invoice = _invoice(hs)
    _pay(hs, "100", status, invoice)
    assert _totals(hs, invoice) == (PAID if counts else UNPAID)


def test_a_refund_reopens_a_paid_invoice(hs: HubSpot) -> None:
    invoice = _invoice(hs)
    payment = _pay(hs, "100", invoice=invoice)
    assert _totals(hs, invoice) == PAID
    _status(hs, payment, "refunded")
    assert _totals(hs, invoice) == UNPAID


def test_archived_payments_stop_counting(hs: HubSpot) -> None:
    invoice = _invoice(hs)
    first, second = _pay(hs, "50", invoice=invoice), _pay(hs, "50", invoice=invoice)
    assert _totals(hs, invoice) == PAID
    hs.crm.objects.basic_api.archive(PAYMENTS, first)
    assert _totals(hs, invoice) == ("100", "50", "50", "open", "PARTIALLY_PAID")
    hs.crm.objects.batch_api.archive(PAYMENTS, {"inputs": [{"id": second}]})
    assert _totals(hs, invoice) == UNPAID


def test_batch_created_and_updated_payments(hs: HubSpot) -> None:
    invoice = _invoice(hs)
    body = {"properties": {"hs_initial_amount": "50", "hs_initiated_date": "2026-01-31T12:00:00Z",
                           "hs_latest_status": "succeeded"}, "associations": [_to(invoice, 542)]}
    made = hs.crm.objects.batch_api.create(PAYMENTS, {"inputs": [body, body]})
    assert _totals(hs, invoice) == PAID
    hs.crm.objects.batch_api.update(PAYMENTS, {"inputs": [
        {"id": made.results[0].id, "properties": {"hs_latest_status": "canceled"}}]})
    assert _totals(hs, invoice) == ("100", "50", "50", "open", "PARTIALLY_PAID")


def test_v4_single_associations(hs: HubSpot) -> None:
    invoice, payment = _invoice(hs), _pay(hs, "100")
    assert _totals(hs, invoice) == UNPAID  # not associated yet
    v4 = hs.crm.associations.v4.basic_api
    v4.create("invoices", invoice, PAYMENTS, payment,
              [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=541)])
    assert _totals(hs, invoice) == PAID
    v4.archive(PAYMENTS, payment, "invoices", invoice)
    assert _totals(hs, invoice) == UNPAID
    v4.create_default(PAYMENTS, payment, "invoices", invoice)
    assert _totals(hs, invoice) == PAID


def test_v4_batch_associations(hs: HubSpot) -> None:
    invoice, payment = _invoice(hs), _pay(hs, "100")
    batch = hs.crm.associations.v4.batch_api
    batch.create(PAYMENTS, "invoices", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": payment}, "to": {"id": invoice},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 542}]}]))
    assert _totals(hs, invoice) == PAID
    batch.archive("invoices", PAYMENTS, BatchInputPublicAssociationMultiArchive(inputs=[
        {"from": {"id": invoice}, "to": [{"id": payment}]}]))
    assert _totals(hs, invoice) == UNPAID
    batch.create_default("invoices", PAYMENTS, BatchInputPublicDefaultAssociationMultiPost(inputs=[
        {"from": {"id": invoice}, "to": {"id": payment}}]))
    assert _totals(hs, invoice) == PAID


def test_v3_batch_associations(hs: HubSpot) -> None:
    invoice, payment = _invoice(hs), _pay(hs, "100")
    v3 = hs.crm.associations.batch_api
    pair = BatchInputPublicAssociation(inputs=[
        {"from": {"id": invoice}, "to": {"id": payment}, "type": "invoice_to_commerce_payment"}])
    v3.create("invoices", PAYMENTS, pair)
    assert _totals(hs, invoice) == PAID
    v3.archive("invoices", PAYMENTS, pair)
    assert _totals(hs, invoice) == UNPAID


def test_an_invoice_created_with_its_payment(hs: HubSpot) -> None:
    """The invoice's create body names the payment (invoice → payment, 541) and its line item."""
    payment = _pay(hs, "30")
    line = hs.crm.line_items.basic_api.create({"properties": {"name": "L", "quantity": "1", "price": "30"}}).id
    invoice = hs.crm.commerce.invoices.basic_api.create({
        "properties": {"hs_currency": "USD", "hs_invoice_status": "open"},
        "associations": [_to(payment, 541), _to(line, 409)]}).id
    assert _totals(hs, invoice) == ("30", "30", "0", "paid", "PAID")


def test_line_item_changes_move_the_balance_and_the_status(hs: HubSpot) -> None:
    invoice = _invoice(hs)
    _pay(hs, "100", invoice=invoice)
    extra = hs.crm.line_items.basic_api.create({"properties": {"name": "Extra", "quantity": "1", "price": "50"},
                                                "associations": [_to(invoice, 410)]}).id
    assert _totals(hs, invoice) == ("150", "100", "50", "open", "PARTIALLY_PAID")
    hs.crm.line_items.basic_api.archive(extra)
    assert _totals(hs, invoice) == PAID


@pytest.mark.parametrize("status", ["draft", "voided"])
def test_drafts_and_voided_invoices_keep_their_status(hs: HubSpot, status: str) -> None:
    invoice = _invoice(hs, status)
    _pay(hs, "100", invoice=invoice)
    assert _totals(hs, invoice) == ("100", "100", "0", status, "PAID")


def test_amounts_are_decimal(hs: HubSpot) -> None:
    """0.1 + 0.2 pays 0.30 exactly (binary floats would leave 0.00000000000000004 due)."""
    invoice = _invoice(hs, "open", ("1", "0.3"))
    _pay(hs, "0.1", invoice=invoice)
    _pay(hs, "0.2", invoice=invoice)
    assert _totals(hs, invoice) == ("0.3", "0.3", "0", "paid", "PAID")


def test_history_records_the_changes(sims: Simulators, hs: HubSpot) -> None:
    """Each recalculated value is dated in its history; the invoice's own modified date is left alone (a choice)."""
    invoice = _invoice(hs)
    sims.runtime.clock.advance(60)
    payment = _pay(hs, "100", "processing", invoice)
    sims.runtime.clock.advance(60)
    _status(hs, payment, "failed")
    got = hs.crm.commerce.invoices.basic_api.get_by_id(
        invoice, properties=["hs_lastmodifieddate"],
        properties_with_history=["hs_amount_paid", "hs_balance_due", "hs_invoice_status", "hs_payment_status"])
    history = {name: [(v.value, v.timestamp.isoformat()) for v in values]
               for name, values in got.properties_with_history.items()}
    start, paid, failed = "2026-01-31T12:00:00+00:00", "2026-01-31T12:01:00+00:00", "2026-01-31T12:02:00+00:00"
    assert history == {
        "hs_amount_paid": [("0", failed), ("100", paid), ("0", start)],
        "hs_balance_due": [("100", failed), ("0", paid), ("100", start)],
        "hs_invoice_status": [("open", failed), ("paid", paid), ("open", start)],
        "hs_payment_status": [("PENDING", failed), ("PAID", paid), ("PENDING", start)],
    }
    assert got.properties["hs_lastmodifieddate"] == "2026-01-31T12:00:00.000Z"
