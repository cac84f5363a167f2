"""Create, read, full update and sparse update through python-quickbooks 0.9.12 (API notes §1, §5, §10).

Every entity goes through the same cycle: ``save()`` (SyncToken "0"), ``get()`` (the same JSON back),
a full update of the fetched object (SyncToken "1"; an omitted writable field is cleared) and a
sparse update from a fresh object carrying only Id/SyncToken and one field (SyncToken "2"; the rest kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from quickbooks import QuickBooks
from quickbooks.objects.account import Account
from quickbooks.objects.base import Address, EmailAddress
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.term import Term
from quickbooks.objects.vendor import Vendor
from sdk_helpers import item_line, new_customer, ref


def _meta(obj: object, key: str) -> str:
    """MetaData is a sub-object on some SDK classes and a plain dict on others."""
    meta = obj.MetaData
    return meta[key] if isinstance(meta, dict) else getattr(meta, key)


@dataclass
class Case:
    cls: type
    build: Callable[[QuickBooks], object]  # an unsaved object
    full: Callable[[object], None]  # changes made before a full update (may set a field to None)
    full_check: Callable[[object], None]
    sparse: dict  # the one field a sparse update sends
    kept: str  # a field the sparse update must leave alone


def _email(address: str) -> EmailAddress:
    e = EmailAddress()
    e.Address = address
    return e


def _customer(qb: QuickBooks) -> Customer:
    c = Customer()
    c.DisplayName, c.GivenName, c.FamilyName = "Amy's Bird Sanctuary", "Amy", "Lauterbach"
    c.Notes = "Note at create"
    c.PrimaryEmailAddr = _email("birds@intuit.com")
    c.BillAddr = Address()
    c.BillAddr.Line1, c.BillAddr.City, c.BillAddr.CountrySubDivisionCode = "4581 Finch St.", "Bayshore", "CA"
    return c


def _customer_full(c: Customer) -> None:
    c.CompanyName = "Amy's Birds Inc."
    c.Notes = None  # omitted in a full update: QBO sets it to NULL


def _customer_full_check(c: Customer) -> None:
    assert c.CompanyName == "Amy's Birds Inc."
    assert c.Notes == ""  # the SDK's default: the server sent no Notes
    assert c.DisplayName == "Amy's Bird Sanctuary"
    assert c.FullyQualifiedName == "Amy's Bird Sanctuary"


def _vendor(qb: QuickBooks) -> Vendor:
    v = Vendor()
    v.DisplayName, v.CompanyName, v.AcctNum = "Books by Bessie", "Books by Bessie", "1345"
    v.PrimaryEmailAddr = _email("Books@Intuit.com")
    return v


def _vendor_full(v: Vendor) -> None:
    v.AcctNum = "9999"
    v.CompanyName = None


def _vendor_full_check(v: Vendor) -> None:
    assert v.AcctNum == "9999" and not v.CompanyName  # cleared (the SDK defaults it to "")


def _employee(qb: QuickBooks) -> Employee:
    e = Employee()
    e.GivenName, e.FamilyName = "Emily", "Platt"
    e.EmployeeNumber = "E-1"
    return e


def _employee_full(e: Employee) -> None:
    e.EmployeeNumber = "E-2"


def _employee_full_check(e: Employee) -> None:
    assert e.EmployeeNumber == "E-2"
    assert e.DisplayName == "Emily Platt"  # built from the name parts at create


def _item(qb: QuickBooks) -> Item:
    i = Item()
    i.Name, i.Type, i.Sku, i.UnitPrice = "Garden Rocks", "Service", "ROCK-1", 12.5
    i.IncomeAccountRef = ref("7")
    i.Description = "Decorative rocks"
    return i


def _item_full(i: Item) -> None:
    i.UnitPrice = 15
    i.Description = None


def _item_full_check(i: Item) -> None:
    assert i.UnitPrice == 15
    assert i.Description == ""  # SDK default: not sent back
    assert i.IncomeAccountRef.value == "7" and i.IncomeAccountRef.name == "Services"


def _account(qb: QuickBooks) -> Account:
    a = Account()
    a.Name, a.AccountSubType, a.Description = "Petty Cash", "CashOnHand", "Cash drawer"
    return a


def _account_full(a: Account) -> None:
    a.Description = "Cash box"


def _account_full_check(a: Account) -> None:
    assert a.Description == "Cash box"
    assert a.AccountType == "Bank" and a.Classification == "Asset"


def _term(qb: QuickBooks) -> Term:
    t = Term()
    t.Name, t.DueDays = "Net 45", 45
    return t


def _term_full(t: Term) -> None:
    t.DueDays = 50


def _term_full_check(t: Term) -> None:
    assert t.DueDays == 50 and t.Type == "STANDARD"


def _payment_method(qb: QuickBooks) -> PaymentMethod:
    p = PaymentMethod()
    p.Name, p.Type = "Diners Club", "CREDIT_CARD"
    return p


def _pm_full(p: PaymentMethod) -> None:
    p.Name = "Diners Club International"


def _pm_full_check(p: PaymentMethod) -> None:
    assert p.Name == "Diners Club International" and p.Type == "CREDIT_CARD"


def _sales_form(cls: type) -> Callable[[QuickBooks], object]:
    def build(qb: QuickBooks) -> object:
        customer = new_customer(qb, f"{cls.__name__} Customer")
        t = cls()
        t.CustomerRef = customer.to_ref()
        t.Line = [item_line(100, qty=2, price=50), item_line(25)]
        t.PrivateNote = "created"
        return t

    return build


def _sales_full(t: object) -> None:
    t.Line = [line for line in t.Line if line.DetailType == "SalesItemLineDetail"][:1]
    t.PrivateNote = None


def _sales_full_check(t: object) -> None:
    assert t.TotalAmt == 100.0
    assert [line.DetailType for line in t.Line] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert t.Line[0].Id == "1"  # an existing line keeps its Id
    assert not t.PrivateNote  # cleared by the full update


def _payment(qb: QuickBooks) -> Payment:
    customer = new_customer(qb, "Payment Customer")
    p = Payment()
    p.CustomerRef = customer.to_ref()
    p.TotalAmt = 80
    p.PaymentRefNum = "CHK-1"
    return p


def _payment_full(p: Payment) -> None:
    p.TotalAmt = 90


def _payment_full_check(p: Payment) -> None:
    assert p.TotalAmt == 90.0 and p.UnappliedAmt == 90.0


CASES = {
    "Customer": Case(Customer, _customer, _customer_full, _customer_full_check, {"Notes": "sparse"}, "DisplayName"),
    "Vendor": Case(Vendor, _vendor, _vendor_full, _vendor_full_check, {"Notes": "sparse"}, "DisplayName"),
    "Employee": Case(Employee, _employee, _employee_full, _employee_full_check, {"Notes": "sparse"}, "DisplayName"),
    "Item": Case(Item, _item, _item_full, _item_full_check, {"Sku": "ROCK-2"}, "Name"),
    "Account": Case(Account, _account, _account_full, _account_full_check, {"AcctNum": "1010"}, "Name"),
    "Term": Case(Term, _term, _term_full, _term_full_check, {"DiscountPercent": 2}, "Name"),
    "PaymentMethod": Case(PaymentMethod, _payment_method, _pm_full, _pm_full_check, {"Name": "Diners"}, "Type"),
    "Invoice": Case(Invoice, _sales_form(Invoice), _sales_full, _sales_full_check, {"DueDate": "2031-01-31"},
                    "CustomerRef"),
    "CreditMemo": Case(CreditMemo, _sales_form(CreditMemo), _sales_full, _sales_full_check,
                       {"PrivateNote": "sparse"}, "CustomerRef"),
    "SalesReceipt": Case(SalesReceipt, _sales_form(SalesReceipt), _sales_full, _sales_full_check,
                         {"PaymentRefNum": "R-9"}, "CustomerRef"),
    "Estimate": Case(Estimate, _sales_form(Estimate), _sales_full, _sales_full_check, {"ExpirationDate": "2031-02-01"},
                     "CustomerRef"),
    "Payment": Case(Payment, _payment, _payment_full, _payment_full_check, {"PrivateNote": "sparse"}, "PaymentRefNum"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_create_get_full_and_sparse_update(qb: QuickBooks, name: str) -> None:
    case = CASES[name]
    created = case.build(qb).save(qb=qb)
    assert created.Id and created.SyncToken == "0"
    assert created.domain == "QBO" and created.sparse is False
    assert _meta(created, "CreateTime") == _meta(created, "LastUpdatedTime")

    fetched = case.cls.get(created.Id, qb=qb)
    assert fetched.to_json() == created.to_json()

    case.full(fetched)
    full = fetched.save(qb=qb)
    assert full.Id == created.Id and full.SyncToken == "1"
    case.full_check(full)
    assert case.cls.get(created.Id, qb=qb).to_json() == full.to_json()

    patch = case.cls()
    for attr in ("Line", "CustomField", "LinkedTxn"):  # the SDK's empty lists would replace the lines
        if hasattr(patch, attr):
            setattr(patch, attr, None)
    patch.Id, patch.SyncToken, patch.sparse = created.Id, full.SyncToken, True
    for key, value in case.sparse.items():
        setattr(patch, key, value)
    sparse = patch.save(qb=qb)
    assert sparse.SyncToken == "2"
    for key, value in case.sparse.items():
        assert getattr(sparse, key) == value
    kept = getattr(full, case.kept)
    assert getattr(sparse, case.kept) == kept or getattr(sparse, case.kept).to_json() == kept.to_json()
    assert _meta(sparse, "CreateTime") == _meta(created, "CreateTime")


def test_invoice_computes_totals_lines_and_defaults(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Totals Customer", PrimaryEmailAddr=_email("pay@example.com"))
    inv = Invoice()
    inv.CustomerRef = customer.to_ref()
    inv.SalesTermRef = ref("3")  # Net 30
    inv.TxnDate = "2030-01-10"
    inv.Line = [item_line(100, qty=4, price=25), item_line(50.5)]
    inv.TotalAmt = 1  # computed by QBO: the supplied value is overwritten
    inv = inv.save(qb=qb)
    assert inv.TotalAmt == 150.5 and inv.Balance == 150.5
    assert inv.DueDate == "2030-02-09"
    assert inv.DocNumber == "1001"
    assert inv.SalesTermRef.name == "Net 30"
    assert inv.BillEmail.Address == "pay@example.com"
    assert [(line.Id, line.LineNum, line.Amount) for line in inv.Line[:2]] == [("1", 1, 100.0), ("2", 2, 50.5)]
    sub = inv.Line[2]
    assert sub.DetailType == "SubTotalLineDetail" and sub.Amount == 150.5
    assert inv.Line[0].SalesItemLineDetail.ItemRef.name == "Services"
    assert inv.Line[0].SalesItemLineDetail.TaxCodeRef.value == "NON"
    assert inv.CurrencyRef.value == "USD"
    assert Customer.get(customer.Id, qb=qb).Balance == 150.5


def test_payment_sparse_update_with_empty_line_unapplies(qb: QuickBooks) -> None:
    """"Lines can be updated only ALL or NONE"; an empty Line array removes every application [D-pay]."""
    customer = new_customer(qb, "Unapply Customer")
    inv = Invoice()
    inv.CustomerRef = customer.to_ref()
    inv.Line = [item_line(60)]
    inv = inv.save(qb=qb)
    pay = Payment()
    pay.CustomerRef, pay.TotalAmt = customer.to_ref(), 60
    line = PaymentLine()
    line.Amount, line.LinkedTxn = 60, [inv.to_linked_txn()]
    pay.Line = [line]
    pay = pay.save(qb=qb)
    assert Invoice.get(inv.Id, qb=qb).Balance == 0
    patch = Payment()
    patch.Id, patch.SyncToken, patch.sparse = pay.Id, pay.SyncToken, True  # Line stays [] as the SDK builds it
    patch = patch.save(qb=qb)
    assert patch.Line == [] and patch.UnappliedAmt == 60.0
    after = Invoice.get(inv.Id, qb=qb)
    assert after.Balance == 60.0 and after.LinkedTxn == []
