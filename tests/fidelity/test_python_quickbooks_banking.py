"""Deposits, transfers, journal entries, credit card payments and refund receipts through python-quickbooks 0.9.12:
required fields and Fault codes, undeposited funds deposited once, balanced journal entries, delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.creditcardpayment_entity import CreditCardPayment
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import CashBackInfo, Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.journalentry import Entity, JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.payment import Payment
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.transfer import Transfer
from sdk_helpers import fault_code, item_line, new_customer, ref

CHECKING, UNDEPOSITED, RECEIVABLE, SERVICES = "1", "2", "3", "7"  # simulators/quickbooks/tenant.py ACCOUNTS


def _account(qb: QuickBooks, name: str, kind: str) -> Account:
    a = Account()
    a.Name, a.AccountType = name, kind
    return a.save(qb=qb)


def _payment(qb: QuickBooks, customer: Customer, amount: float, deposit_to: str | None = None) -> Payment:
    p = Payment()
    p.CustomerRef, p.TotalAmt = customer.to_ref(), amount
    if deposit_to:
        p.DepositToAccountRef = ref(deposit_to)
    return p.save(qb=qb)


def _linked_line(txn: Payment | SalesReceipt) -> DepositLine:
    line = DepositLine()
    line.LinkedTxn = [txn.to_linked_txn()]
    line.Amount = txn.TotalAmt
    return line


def _plain_line(amount: float, account: str) -> DepositLine:
    line = DepositLine()
    line.Amount = amount
    line.DepositLineDetail = DepositLineDetail()
    line.DepositLineDetail.AccountRef = ref(account)
    return line


# -- deposits ------------------------------------------------------------------------------------------

def test_deposit_of_undeposited_funds_links_the_payments(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Red Rock Diner")
    first, second = _payment(qb, customer, 70), _payment(qb, customer, 30)
    receipt = SalesReceipt()
    receipt.CustomerRef, receipt.Line = customer.to_ref(), [item_line(15)]
    receipt = receipt.save(qb=qb)
    d = Deposit()
    d.DepositToAccountRef = ref(CHECKING)
    d.Line = [_linked_line(first), _linked_line(second), _linked_line(receipt), _plain_line(5, SERVICES)]
    d = d.save(qb=qb)
    assert d.TotalAmt == 120
    linked = sorted((lt.TxnType, lt.TxnId) for line in d.Line for lt in line.LinkedTxn)
    assert linked == sorted([("Payment", first.Id), ("Payment", second.Id), ("SalesReceipt", receipt.Id)])
    assert Payment.get(first.Id, qb=qb).LinkedTxn == [{"TxnId": d.Id, "TxnType": "Deposit"}]  # the SDK keeps dicts


def test_a_payment_is_deposited_once_and_then_protected(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Pye's Cakes")
    pay = _payment(qb, customer, 40)
    d = Deposit()
    d.DepositToAccountRef, d.Line = ref(CHECKING), [_linked_line(pay)]
    d = d.save(qb=qb)
    again = Deposit()
    again.DepositToAccountRef, again.Line = ref(CHECKING), [_linked_line(pay)]
    with pytest.raises(QuickbooksException) as exc:
        again.save(qb=qb)
    assert fault_code(exc) == "6000" and "already been deposited" in exc.value.detail
    deposited = Payment.get(pay.Id, qb=qb)
    with pytest.raises(QuickbooksException) as exc:
        deposited.delete(qb=qb)
    assert fault_code(exc) == "6540"
    d.delete(qb=qb)
    assert Payment.get(pay.Id, qb=qb).LinkedTxn == []
    Payment.get(pay.Id, qb=qb).delete(qb=qb)


def test_only_undeposited_funds_can_be_deposited(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Cool Cars")
    banked = _payment(qb, customer, 40, deposit_to=CHECKING)
    d = Deposit()
    d.DepositToAccountRef, d.Line = ref(CHECKING), [_linked_line(banked)]
    with pytest.raises(QuickbooksException) as exc:
        d.save(qb=qb)
    assert "not in Undeposited Funds" in exc.value.detail


def test_deposit_cash_back_and_required_fields(qb: QuickBooks) -> None:
    d = Deposit()
    d.Line = [_plain_line(100, SERVICES)]
    with pytest.raises(ValidationException) as exc:
        d.save(qb=qb)
    assert fault_code(exc) == "2020" and "DepositToAccountRef" in exc.value.detail
    d.DepositToAccountRef = ref(CHECKING)
    d.CashBack = CashBackInfo()
    d.CashBack.Amount, d.CashBack.AccountRef = 20, ref(UNDEPOSITED)
    assert d.save(qb=qb).TotalAmt == 80


# -- transfers -------------------------------------------------------------------------------------------

def test_transfer_between_accounts(qb: QuickBooks, count: Callable, qbo_company: dict) -> None:
    savings = _account(qb, "Savings", "Bank")
    t = Transfer()
    t.FromAccountRef, t.ToAccountRef, t.Amount = ref(CHECKING), savings.to_ref(), 250
    t = t.save(qb=qb)
    assert t.Amount == 250 and t.FromAccountRef.name == "Checking" and t.ToAccountRef.name == "Savings"
    assert [x.Id for x in Transfer.filter(Amount="250", qb=qb)] == [t.Id]
    t.delete(qb=qb)
    assert count(qbo_company["realmId"], "Transfer") == 0


def test_transfer_rules(qb: QuickBooks) -> None:
    t = Transfer()
    t.FromAccountRef, t.ToAccountRef, t.Amount = ref(CHECKING), ref(CHECKING), 10
    with pytest.raises(QuickbooksException) as exc:
        t.save(qb=qb)
    assert fault_code(exc) == "6000"
    t.ToAccountRef = None
    with pytest.raises(ValidationException) as exc:
        t.save(qb=qb)
    assert fault_code(exc) == "2020" and "ToAccountRef" in exc.value.detail
    t.ToAccountRef, t.Amount = ref(UNDEPOSITED), 0
    with pytest.raises(QuickbooksException) as exc:
        t.save(qb=qb)
    assert "more than zero" in exc.value.detail


# -- journal entries -------------------------------------------------------------------------------------

def _je_line(posting: str, amount: float, account: str, customer: Customer | None = None) -> JournalEntryLine:
    line = JournalEntryLine()
    line.Amount = amount
    line.JournalEntryLineDetail = JournalEntryLineDetail()
    line.JournalEntryLineDetail.PostingType = posting
    line.JournalEntryLineDetail.AccountRef = ref(account)
    if customer is not None:
        line.JournalEntryLineDetail.Entity = Entity()
        line.JournalEntryLineDetail.Entity.Type = "Customer"
        line.JournalEntryLineDetail.Entity.EntityRef = customer.to_ref()
    return line


def test_journal_entry_must_balance(qb: QuickBooks) -> None:
    je = JournalEntry()
    je.Line = [_je_line("Debit", 100, CHECKING), _je_line("Credit", 90, SERVICES)]
    with pytest.raises(QuickbooksException) as exc:
        je.save(qb=qb)
    assert fault_code(exc) == "6000" and "not balanced" in exc.value.detail
    je.Line = [_je_line("Debit", 100, CHECKING), _je_line("Credit", 100, SERVICES)]
    saved = je.save(qb=qb)
    assert saved.TotalAmt == 100 and saved.Adjustment is False


def test_journal_entry_receivable_lines_name_a_customer(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Kookies by Kathy")
    je = JournalEntry()
    je.Line = [_je_line("Debit", 50, RECEIVABLE), _je_line("Credit", 50, SERVICES)]
    with pytest.raises(QuickbooksException) as exc:
        je.save(qb=qb)
    assert "you must choose a customer" in exc.value.detail
    je.Line = [_je_line("Debit", 50, RECEIVABLE, customer), _je_line("Credit", 50, SERVICES)]
    saved = je.save(qb=qb)
    assert saved.Line[0].JournalEntryLineDetail.Entity.EntityRef.name == "Kookies by Kathy"


def test_journal_entry_posting_type_is_an_enumeration(qb: QuickBooks) -> None:
    je = JournalEntry()
    je.Line = [_je_line("Sideways", 10, CHECKING), _je_line("Credit", 10, SERVICES)]
    with pytest.raises(ValidationException) as exc:
        je.save(qb=qb)
    assert fault_code(exc) == "2170"


# -- credit card payments and refund receipts ---------------------------------------------------------

def test_credit_card_payment(qb: QuickBooks) -> None:
    card = _account(qb, "Mastercard", "Credit Card")
    p = CreditCardPayment()
    p.CreditCardAccountRef, p.BankAccountRef, p.Amount = card.to_ref(), ref(CHECKING), 300
    p = p.save(qb=qb)
    assert p.Amount == 300 and CreditCardPayment.get(p.Id, qb=qb).CreditCardAccountRef.name == "Mastercard"
    assert [x.Id for x in CreditCardPayment.all(qb=qb)] == [p.Id]
    wrong = CreditCardPayment()
    wrong.CreditCardAccountRef, wrong.BankAccountRef, wrong.Amount = ref(CHECKING), ref(CHECKING), 1
    with pytest.raises(QuickbooksException) as exc:
        wrong.save(qb=qb)
    assert "credit card" in exc.value.detail


def test_refund_receipt(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Dukes Basketball Camp")
    r = RefundReceipt()
    r.CustomerRef, r.Line = customer.to_ref(), [item_line(45)]
    with pytest.raises(ValidationException) as exc:
        r.save(qb=qb)
    assert fault_code(exc) == "2020" and "DepositToAccountRef" in exc.value.detail
    r.DepositToAccountRef = ref(CHECKING)
    saved = r.save(qb=qb)
    assert saved.TotalAmt == 45 and saved.Balance == 0 and saved.DepositToAccountRef.name == "Checking"
    saved.delete(qb=qb)
