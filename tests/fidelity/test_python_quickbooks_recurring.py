"""Recurring transaction templates through python-quickbooks 0.9.12: the wrapper shape, RecurringInfo's rules, the
wrapped transaction checked by its own rules without posting or taking a number, update, query and delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.recurringtransaction import (
    RecurringInfo,
    RecurringInvoice,
    RecurringTransaction,
    ScheduleInfo,
)
from sdk_helpers import item_line, new_customer

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-03-10T17:00:00Z")


def _template(qb: QuickBooks, name: str, start: str = "2026-01-15", interval: str = "Monthly",
              recur: str = "Automated") -> RecurringTransaction:
    invoice = RecurringInvoice()
    invoice.CustomerRef, invoice.Line = new_customer(qb, f"Customer of {name}").to_ref(), [item_line(250)]
    invoice.RecurringInfo = RecurringInfo()
    invoice.RecurringInfo.Name, invoice.RecurringInfo.RecurType, invoice.RecurringInfo.Active = name, recur, True
    invoice.RecurringInfo.ScheduleInfo = ScheduleInfo()
    invoice.RecurringInfo.ScheduleInfo.IntervalType, invoice.RecurringInfo.ScheduleInfo.NumInterval = interval, 1
    invoice.RecurringInfo.ScheduleInfo.StartDate, invoice.RecurringInfo.ScheduleInfo.DayOfMonth = start, 15
    rt = RecurringTransaction()
    rt.Invoice = invoice
    return rt.save(qb=qb)


def test_a_monthly_invoice_template(qb: QuickBooks, count: Callable, qbo_company: dict) -> None:
    made = _template(qb, "Monthly maintenance")
    inv = made.Invoice
    assert inv.Id and inv.SyncToken == "0" and inv.TotalAmt == 250
    assert inv.RecurringInfo.Name == "Monthly maintenance"
    assert inv.RecurringInfo.ScheduleInfo.NextDate == "2026-03-15"  # the first occurrence from today on
    assert not inv.DocNumber and not inv.TxnDate  # a template takes no number and no date
    assert count(qbo_company["realmId"], "Invoice") == 0  # nothing made, nothing posted
    assert Account.get(3, qb=qb).CurrentBalance == 0  # A/R untouched
    read = RecurringTransaction.get(inv.Id, qb=qb)
    assert read.Invoice.RecurringInfo.ScheduleInfo.IntervalType == "Monthly"
    assert [r.Invoice.RecurringInfo.Name for r in RecurringTransaction.all(qb=qb)] == ["Monthly maintenance"]


def test_update_and_delete_a_template(qb: QuickBooks, count: Callable, qbo_company: dict) -> None:
    made = _template(qb, "Weekly mowing", interval="Weekly", start="2026-03-02")
    assert made.Invoice.RecurringInfo.ScheduleInfo.NextDate == "2026-03-16"
    made.Invoice.Line = [item_line(300)]
    updated = made.save(qb=qb)
    assert updated.Invoice.TotalAmt == 300 and updated.Invoice.SyncToken == "1"
    updated.delete(qb=qb)
    assert RecurringTransaction.all(qb=qb) == []
    assert count(qbo_company["realmId"], "RecurringTransaction") == 0


def test_recurring_info_rules(qb: QuickBooks) -> None:
    _template(qb, "Quarterly")
    with pytest.raises(QuickbooksException) as exc:
        _template(qb, "quarterly")
    assert str(exc.value.error_code) == "6240"
    with pytest.raises(ValidationException) as exc:
        _template(qb, "Sometimes", interval="Fortnightly")
    assert str(exc.value.error_code) == "2170"
    with pytest.raises(ValidationException) as exc:
        _template(qb, "", interval="Daily")
    assert "RecurringInfo.Name" in exc.value.detail


def test_the_wrapped_transaction_follows_its_own_rules(qb: QuickBooks) -> None:
    invoice = RecurringInvoice()
    invoice.Line = [item_line(10)]
    invoice.RecurringInfo = RecurringInfo()
    invoice.RecurringInfo.Name, invoice.RecurringInfo.RecurType = "No customer", "UnScheduled"
    rt = RecurringTransaction()
    rt.Invoice = invoice
    with pytest.raises(ValidationException) as exc:
        rt.save(qb=qb)
    assert "CustomerRef" in exc.value.detail
    assert Invoice.count(qb=qb) == 0
