"""``include=invoiceLink`` on an invoice read through python-quickbooks 0.9.12: the sharable link for online
payment, answered only for an invoice that allows online card or ACH payment and has a billing e-mail."""

from __future__ import annotations

from quickbooks import QuickBooks
from quickbooks.objects.base import EmailAddress
from quickbooks.objects.invoice import Invoice
from sdk_helpers import item_line, new_customer

LINK = {"include": "invoiceLink"}


def _invoice(qb: QuickBooks, card: bool, ach: bool, email: str | None) -> Invoice:
    customer = new_customer(qb, f"Link {card} {ach} {email}")
    inv = Invoice()
    inv.CustomerRef, inv.Line = customer.to_ref(), [item_line(120)]
    inv.AllowOnlineCreditCardPayment, inv.AllowOnlineACHPayment = card, ach
    if email:
        inv.BillEmail = EmailAddress()
        inv.BillEmail.Address = email
    return inv.save(qb=qb)


def test_invoice_link_for_online_payment_with_a_bill_email(qb: QuickBooks) -> None:
    inv = _invoice(qb, card=True, ach=False, email="Surf@Intuit.com")
    link = Invoice.get(inv.Id, qb=qb, params=LINK).InvoiceLink
    assert link.startswith("https://connect.intuit.com/") and "scs-v1-" in link
    assert Invoice.get(inv.Id, qb=qb, params=LINK).InvoiceLink == link  # the same invoice, the same link
    ach_only = _invoice(qb, card=False, ach=True, email="Cool_Cars@intuit.com")
    other = Invoice.get(ach_only.Id, qb=qb, params=LINK).InvoiceLink
    assert other.startswith("https://connect.intuit.com/") and other != link


def test_no_link_without_being_asked_online_payment_or_an_email(qb: QuickBooks) -> None:
    inv = _invoice(qb, card=True, ach=True, email="Birds@Intuit.com")
    assert not Invoice.get(inv.Id, qb=qb).InvoiceLink
    offline = _invoice(qb, card=False, ach=False, email="Birds2@Intuit.com")
    assert not Invoice.get(offline.Id, qb=qb, params=LINK).InvoiceLink
    no_email = _invoice(qb, card=True, ach=True, email=None)
    assert not Invoice.get(no_email.Id, qb=qb, params=LINK).InvoiceLink
