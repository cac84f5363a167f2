"""Bills, bill payments, purchases, purchase orders and vendor credits through python-quickbooks 0.9.12: required
fields and their Fault codes, totals, links (bills paid by bill payments, purchase orders billed), vendor balances,
void and delete as QBO allows each, query, batch, CDC and webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException, UnsupportedException, ValidationException
from quickbooks.helpers import qb_datetime_format
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.billpayment import BillPayment, BillPaymentCreditCard, BillPaymentLine, CheckPayment
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
)
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.purchaseorder import PurchaseOrder
from quickbooks.objects.vendor import Vendor
from quickbooks.objects.vendorcredit import VendorCredit
from sdk_helpers import fault_code, ref

from simulators.quickbooks.company import Company
from simulators.sims import QBO_URL, Simulators

CHECKING = "1"  # the Bank account every company starts with (simulators/quickbooks/tenant.py)


def _account(qb: QuickBooks, name: str, kind: str, subtype: str = "") -> Account:
    a = Account()
    a.Name, a.AccountType = name, kind
    if subtype:
        a.AccountSubType = subtype
    return a.save(qb=qb)


def _vendor(qb: QuickBooks, name: str) -> Vendor:
    v = Vendor()
    v.DisplayName = name
    return v.save(qb=qb)


def expense_line(amount: float, account: Account, customer: Customer | None = None) -> AccountBasedExpenseLine:
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    if customer is not None:
        line.AccountBasedExpenseLineDetail.CustomerRef = customer.to_ref()
    return line


def _bill(qb: QuickBooks, vendor: Vendor, account: Account, *amounts: float) -> Bill:
    b = Bill()
    b.VendorRef = vendor.to_ref()
    b.Line = [expense_line(a, account) for a in amounts]
    return b.save(qb=qb)


def _bill_payment(qb: QuickBooks, vendor: Vendor, total: float, *applied: tuple[Bill | VendorCredit, float],
                  card: Account | None = None) -> BillPayment:
    bp = BillPayment()
    bp.VendorRef, bp.TotalAmt = vendor.to_ref(), total
    if card is None:
        bp.PayType = "Check"
        bp.CheckPayment = CheckPayment()
        bp.CheckPayment.BankAccountRef = ref(CHECKING)
    else:
        bp.PayType = "CreditCard"
        bp.CreditCardPayment = BillPaymentCreditCard()
        bp.CreditCardPayment.CCAccountRef = card.to_ref()
    lines = []
    for doc, amount in applied:
        line = BillPaymentLine()
        line.Amount, line.LinkedTxn = amount, [doc.to_linked_txn()]
        lines.append(line)
    bp.Line = lines
    return bp.save(qb=qb)


@pytest.fixture
def books(qb: QuickBooks) -> tuple[Vendor, Account]:
    return _vendor(qb, "Books by Bessie"), _account(qb, "Office Supplies", "Expense", "SuppliesMaterials")


# -- bills and bill payments --------------------------------------------------------------------------

def test_bill_totals_its_lines_defaults_the_payable_account_and_raises_the_vendor_balance(
        qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 120, 30.5)
    assert bill.TotalAmt == 150.5 and bill.Balance == 150.5
    assert bill.APAccountRef.name == "Accounts Payable (A/P)"
    assert bill.DueDate == bill.TxnDate  # no terms: due at once
    assert [line.LineNum for line in bill.Line] == [1, 2]
    assert Vendor.get(vendor.Id, qb=qb).Balance == 150.5


def test_bill_due_date_follows_the_vendor_terms(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    vendor.TermRef = ref("3")  # Net 30
    vendor = vendor.save(qb=qb)
    bill = Bill()
    bill.VendorRef, bill.TxnDate, bill.Line = vendor.to_ref(), "2026-03-01", [expense_line(10, supplies)]
    assert bill.save(qb=qb).DueDate == "2026-03-31"


@pytest.mark.parametrize(("missing", "element"), [("VendorRef", "VendorRef"), ("Line", "Line")])
def test_bill_required_fields(qb: QuickBooks, books: tuple[Vendor, Account], missing: str, element: str) -> None:
    vendor, supplies = books
    bill = Bill()
    bill.VendorRef, bill.Line = vendor.to_ref(), [expense_line(10, supplies)]
    setattr(bill, missing, None if missing == "VendorRef" else [])
    with pytest.raises(ValidationException) as exc:
        bill.save(qb=qb)
    assert fault_code(exc) == "2020" and f"Required parameter {element} is missing" in exc.value.detail


def test_expense_line_needs_an_existing_account(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    line = expense_line(10, supplies)
    line.AccountBasedExpenseLineDetail.AccountRef = ref("999")
    bill = Bill()
    bill.VendorRef, bill.Line = vendor.to_ref(), [line]
    with pytest.raises(ValidationException) as exc:
        bill.save(qb=qb)
    assert fault_code(exc) == "2500"


def test_bill_payments_lower_the_bill_balance_and_link_both_ways(qb: QuickBooks, books: tuple[Vendor, Account]
                                                                 ) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 200)
    first = _bill_payment(qb, vendor, 80, (bill, 80))
    assert first.PayType == "Check" and first.CheckPayment.BankAccountRef.value == CHECKING
    after = Bill.get(bill.Id, qb=qb)
    assert after.Balance == 120
    assert [(lt.TxnId, lt.TxnType) for lt in after.LinkedTxn] == [(first.Id, "BillPayment")]
    card = _account(qb, "Visa", "Credit Card", "CreditCard")
    _bill_payment(qb, vendor, 120, (bill, 120), card=card)
    assert Bill.get(bill.Id, qb=qb).Balance == 0
    assert Vendor.get(vendor.Id, qb=qb).Balance == 0


def test_a_bill_payment_cannot_pay_more_than_is_open(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 50)
    with pytest.raises(QuickbooksException) as exc:
        _bill_payment(qb, vendor, 60, (bill, 60))
    assert fault_code(exc) == "6000" and "more than its open balance" in exc.value.detail
    assert Bill.get(bill.Id, qb=qb).Balance == 50


def test_a_bill_payment_needs_its_pay_type_and_account(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bp = BillPayment()
    bp.VendorRef, bp.TotalAmt = vendor.to_ref(), 10
    with pytest.raises(ValidationException) as exc:
        bp.save(qb=qb)
    assert fault_code(exc) == "2020" and "PayType" in exc.value.detail
    bp.PayType = "Check"
    with pytest.raises(ValidationException) as exc:
        bp.save(qb=qb)
    assert fault_code(exc) == "2020" and "CheckPayment.BankAccountRef" in exc.value.detail
    bp.PayType = "Cash"
    with pytest.raises(ValidationException) as exc:
        bp.save(qb=qb)
    assert fault_code(exc) == "2170"


def test_voiding_a_bill_payment_reopens_the_bill(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 90)
    bp = _bill_payment(qb, vendor, 90, (bill, 90))
    bp.void(qb=qb)
    voided = BillPayment.get(bp.Id, qb=qb)
    assert voided.TotalAmt == 0 and voided.Line == [] and voided.PrivateNote.startswith("Voided")
    again = Bill.get(bill.Id, qb=qb)
    assert again.Balance == 90 and again.LinkedTxn == []


def test_a_paid_bill_cannot_be_deleted_until_its_payment_is(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 40)
    bp = _bill_payment(qb, vendor, 40, (bill, 40))
    with pytest.raises(QuickbooksException) as exc:
        Bill.get(bill.Id, qb=qb).delete(qb=qb)
    assert fault_code(exc) == "6000" and "payments applied" in exc.value.detail
    bp.delete(qb=qb)
    Bill.get(bill.Id, qb=qb).delete(qb=qb)
    assert Vendor.get(vendor.Id, qb=qb).Balance == 0


def test_bills_cannot_be_voided(qb: QuickBooks, books: tuple[Vendor, Account], qbo_company: dict) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 40)
    url = f"{qb.api_url}/company/{qbo_company['realmId']}/bill"
    with pytest.raises(UnsupportedException) as exc:
        qb.post(url, json.dumps({"Id": bill.Id, "SyncToken": bill.SyncToken}), params={"operation": "void"})
    assert fault_code(exc) == "500"


def test_vendor_credit_applied_by_a_bill_payment(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 100)
    vc = VendorCredit()
    vc.VendorRef, vc.Line = vendor.to_ref(), [expense_line(30, supplies)]
    vc = vc.save(qb=qb)
    assert vc.TotalAmt == 30 and vc.Balance == 30
    assert Vendor.get(vendor.Id, qb=qb).Balance == 70
    _bill_payment(qb, vendor, 70, (bill, 100), (vc, 30))
    assert Bill.get(bill.Id, qb=qb).Balance == 0 and VendorCredit.get(vc.Id, qb=qb).Balance == 0
    assert Vendor.get(vendor.Id, qb=qb).Balance == 0


# -- purchase orders ---------------------------------------------------------------------------------

def _item_line(amount: float, item_id: str, qty: float = 0, price: float = 0) -> ItemBasedExpenseLine:
    line = ItemBasedExpenseLine()
    line.Amount = amount
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = ref(item_id)
    line.ItemBasedExpenseLineDetail.Qty, line.ItemBasedExpenseLineDetail.UnitPrice = qty, price
    return line


def test_a_purchase_order_is_closed_by_the_bill_made_from_it(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    po = PurchaseOrder()
    po.VendorRef, po.Line = vendor.to_ref(), [_item_line(30, "1", qty=3, price=10)]
    po = po.save(qb=qb)
    assert po.POStatus == "Open" and po.TotalAmt == 30 and po.APAccountRef.name == "Accounts Payable (A/P)"
    bill = Bill()
    bill.VendorRef, bill.Line = vendor.to_ref(), [_item_line(30, "1", qty=3, price=10)]
    bill.LinkedTxn = [po.to_linked_txn()]
    bill = bill.save(qb=qb)
    assert [(lt.TxnId, lt.TxnType) for lt in bill.LinkedTxn] == [(po.Id, "PurchaseOrder")]
    closed = PurchaseOrder.get(po.Id, qb=qb)
    assert closed.POStatus == "Closed" and [lt.TxnType for lt in closed.LinkedTxn] == ["Bill"]
    bill.delete(qb=qb)
    assert PurchaseOrder.get(po.Id, qb=qb).POStatus == "Open"


def test_an_item_line_amount_must_be_qty_times_price(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, _ = books
    po = PurchaseOrder()
    po.VendorRef, po.Line = vendor.to_ref(), [_item_line(31, "1", qty=3, price=10)]
    with pytest.raises(QuickbooksException) as exc:
        po.save(qb=qb)
    assert fault_code(exc) == "6070"


def test_purchase_orders_do_not_move_the_vendor_balance(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, _ = books
    po = PurchaseOrder()
    po.VendorRef, po.Line = vendor.to_ref(), [_item_line(30, "1")]
    po.save(qb=qb)
    assert Vendor.get(vendor.Id, qb=qb).Balance == 0


# -- purchases (expenses, checks, card charges) ------------------------------------------------------

def test_purchase_paid_by_check_billable_to_a_customer(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    customer = Customer()
    customer.DisplayName = "Amy's Bird Sanctuary"
    customer = customer.save(qb=qb)
    p = Purchase()
    p.PaymentType, p.AccountRef, p.EntityRef = "Check", ref(CHECKING), vendor.to_ref()
    p.Line = [expense_line(25, supplies, customer)]
    p = p.save(qb=qb)
    assert p.TotalAmt == 25 and p.EntityRef.name == "Books by Bessie"
    detail = p.Line[0].AccountBasedExpenseLineDetail
    assert detail.BillableStatus == "Billable" and detail.CustomerRef.name == "Amy's Bird Sanctuary"


def test_purchase_account_must_fit_its_payment_type(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    _, supplies = books
    p = Purchase()
    p.PaymentType, p.AccountRef, p.Line = "CreditCard", ref(CHECKING), [expense_line(5, supplies)]
    with pytest.raises(QuickbooksException) as exc:
        p.save(qb=qb)
    assert fault_code(exc) == "6000" and "credit card" in exc.value.detail
    p.PaymentType = None
    with pytest.raises(ValidationException) as exc:
        p.save(qb=qb)
    assert fault_code(exc) == "2020" and "PaymentType" in exc.value.detail


def test_purchase_is_deleted_not_voided(qb: QuickBooks, books: tuple[Vendor, Account], qbo_company: dict,
                                        count: Callable) -> None:
    _, supplies = books
    p = Purchase()
    p.PaymentType, p.AccountRef, p.Line = "Cash", ref(CHECKING), [expense_line(5, supplies)]
    p = p.save(qb=qb)
    url = f"{qb.api_url}/company/{qbo_company['realmId']}/purchase"
    with pytest.raises(UnsupportedException):
        qb.post(url, json.dumps({"Id": p.Id, "SyncToken": p.SyncToken}), params={"operation": "void"})
    p.delete(qb=qb)
    assert count(qbo_company["realmId"], "Purchase") == 0


# -- the generic machinery: query, batch, CDC, webhooks ---------------------------------------------

def test_query_bills_by_vendor_and_balance(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    other = _vendor(qb, "Cal Telephone")
    _bill(qb, vendor, supplies, 10)
    big = _bill(qb, vendor, supplies, 500)
    _bill(qb, other, supplies, 700)
    found = Bill.where(f"VendorRef = '{vendor.Id}' AND Balance > '100'", qb=qb)
    assert [b.Id for b in found] == [big.Id]
    assert Bill.count(qb=qb) == 3


def test_batch_creates_bills_and_cdc_lists_them(sims: Simulators, qb: QuickBooks, qbo_company: dict,
                                                 books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    since = Company(sims.runtime, qbo_company["realmId"]).now() - timedelta(minutes=1)
    bills = []
    for amount in (10, 20):
        b = Bill()
        b.VendorRef, b.Line = vendor.to_ref(), [expense_line(amount, supplies)]
        bills.append(b)
    bad = Bill()
    bad.Line = [expense_line(5, supplies)]
    result = batch_create([*bills, bad], qb=qb)
    assert sorted(b.TotalAmt for b in result.successes) == [10, 20]
    assert result.faults[0].Error[0].code == "2020"
    cdc = change_data_capture([Bill, Vendor], qb_datetime_format(since.replace(tzinfo=None)), qb=qb)
    assert sorted(b.TotalAmt for b in cdc.Bill) == [10, 20]
    assert Vendor.get(vendor.Id, qb=qb).Balance == 30


def test_bill_webhooks(sims: Simulators, qb: QuickBooks, qbo_company: dict, books: tuple[Vendor, Account]) -> None:
    received: list[dict] = []
    sims.runtime.outbox.sender = lambda url, headers, body: received.append(json.loads(body)) or 200
    r = requests.post(f"{QBO_URL}/_sim/webhooks", json={"realmId": qbo_company["realmId"], "url": "http://hook.test/"},
                      timeout=5)
    assert r.status_code == 201
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 10)
    _bill_payment(qb, vendor, 10, (bill, 10))
    events = [(e["name"], e["operation"]) for body in received
              for note in body["eventNotifications"] for e in note["dataChangeEvent"]["entities"]]
    assert ("Bill", "Create") in events and ("BillPayment", "Create") in events and ("Bill", "Update") in events


def test_editing_a_part_paid_bill_keeps_what_was_paid(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, supplies = books
    bill = _bill(qb, vendor, supplies, 100)
    _bill_payment(qb, vendor, 60, (bill, 60))
    bill = Bill.get(bill.Id, qb=qb)
    bill.Line = [expense_line(150, supplies)]
    bill = bill.save(qb=qb)
    assert bill.TotalAmt == 150 and bill.Balance == 90
    assert Vendor.get(vendor.Id, qb=qb).Balance == 90
    bill.Line = [expense_line(50, supplies)]
    with pytest.raises(QuickbooksException) as exc:
        bill.save(qb=qb)
    assert "less than the payments applied" in exc.value.detail


def test_a_bill_line_can_name_its_purchase_order(qb: QuickBooks, books: tuple[Vendor, Account]) -> None:
    vendor, _ = books
    po = PurchaseOrder()
    po.VendorRef, po.Line = vendor.to_ref(), [_item_line(20, "1")]
    po = po.save(qb=qb)
    line = _item_line(20, "1")
    line.LinkedTxn = [po.to_linked_txn()]
    bill = Bill()
    bill.VendorRef, bill.Line = vendor.to_ref(), [line]
    bill = bill.save(qb=qb)
    assert [(lt.TxnId, lt.TxnType) for lt in bill.LinkedTxn] == [(po.Id, "PurchaseOrder")]
    assert PurchaseOrder.get(po.Id, qb=qb).POStatus == "Closed"
