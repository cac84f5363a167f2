"""One test per QBO business rule of the rule book, section I (integration-rules.md), through python-quickbooks.

Each refusal asserts QBO's code, Message and Detail as the API notes (§6) give them, and that a refused
write leaves the company unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.base import CustomField, Ref
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.vendor import Vendor
from sdk_helpers import item_line, new_customer, ref

from simulators.sims import Simulators

BUSINESS = "A business validation error has occurred while processing your request"
CLOSED_DETAIL = ("The account period has closed and the account books cannot be updated through through the QBO "
                 "Services API. Please use the QBO website to make these changes.")


def _invoice(customer: Customer, *lines: object, **fields: object) -> Invoice:
    inv = Invoice()
    inv.CustomerRef = customer.to_ref()
    inv.Line = list(lines) or [item_line(100)]
    for k, v in fields.items():
        setattr(inv, k, v)
    return inv


def _refusal(exc: pytest.ExceptionInfo) -> tuple[int, str, str]:
    return exc.value.error_code, exc.value.message, exc.value.detail


# -- I1 / D2: DisplayName unique across Customer, Vendor, Employee ------------------------------------

@pytest.mark.parametrize("first, second", [(Customer, Vendor), (Vendor, Employee), (Employee, Customer),
                                           (Customer, Customer)])
def test_I1_D2_display_name_is_unique_across_parties(qb: QuickBooks, qbo_company: dict, count: Callable,
                                                     first: type, second: type) -> None:
    holder = first()
    holder.DisplayName = "Cool Cars"
    holder = holder.save(qb=qb)
    clash = second()
    clash.DisplayName = "Cool Cars"
    before = count(qbo_company["realmId"], second.qbo_object_name)
    with pytest.raises(QuickbooksException) as exc:
        clash.save(qb=qb)
    assert type(exc.value) is QuickbooksException  # 6240 falls outside the SDK's coded ranges
    assert _refusal(exc) == (6240, "Duplicate Name Exists Error", f"The name supplied already exists. : Id={holder.Id}")
    assert count(qbo_company["realmId"], second.qbo_object_name) == before


def test_I1_D2_rename_onto_a_taken_name_is_refused(qb: QuickBooks) -> None:
    """The second contact of a company can't take the company's name (D2): nothing renamed silently."""
    first = new_customer(qb, "Freeman Sporting Goods")
    second = new_customer(qb, "Freeman Sporting Goods (2)")
    second.DisplayName = "Freeman Sporting Goods"
    with pytest.raises(QuickbooksException) as exc:
        second.save(qb=qb)
    assert _refusal(exc)[:2] == (6240, "Duplicate Name Exists Error")
    assert exc.value.detail == f"The name supplied already exists. : Id={first.Id}"
    assert Customer.get(second.Id, qb=qb).DisplayName == "Freeman Sporting Goods (2)"
    # Re-saving a record under its own name is no clash.
    first.Notes = "same name, new note"
    assert first.save(qb=qb).SyncToken == "1"


def test_I1_employee_name_parts_build_the_clashing_display_name(qb: QuickBooks) -> None:
    vendor = Vendor()
    vendor.DisplayName = "Emily Platt"
    vendor = vendor.save(qb=qb)
    emp = Employee()
    emp.GivenName, emp.FamilyName = "Emily", "Platt"
    with pytest.raises(QuickbooksException) as exc:
        emp.save(qb=qb)
    assert _refusal(exc) == (6240, "Duplicate Name Exists Error", f"The name supplied already exists. : Id={vendor.Id}")


# -- I5: optimistic concurrency ----------------------------------------------------------------------

def test_I5_stale_sync_token_is_refused(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Stale Customer")
    copy_a = Customer.get(customer.Id, qb=qb)
    copy_b = Customer.get(customer.Id, qb=qb)
    copy_a.Notes = "first writer"
    assert copy_a.save(qb=qb).SyncToken == "1"
    copy_b.Notes = "second writer"
    with pytest.raises(QuickbooksException) as exc:
        copy_b.save(qb=qb)
    assert _refusal(exc) == (
        5010, "Stale Object Error",
        "Stale Object Error : You and API API were working on this at the same time. API API finished before you "
        "did, so your work was not saved. Entity=Customer")
    current = Customer.get(customer.Id, qb=qb)
    assert (current.Notes, current.SyncToken) == ("first writer", "1")


def test_I5_stale_token_on_invoice_update_delete_and_void(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Stale Invoice")
    inv = _invoice(customer).save(qb=qb)
    fresh = Invoice.get(inv.Id, qb=qb)
    fresh.PrivateNote = "moved on"
    fresh.save(qb=qb)
    for action in (lambda: inv.save(qb=qb), lambda: inv.delete(qb=qb), lambda: inv.void(qb=qb)):
        with pytest.raises(QuickbooksException) as exc:
            action()
        assert exc.value.error_code == 5010
        assert exc.value.detail.endswith("Entity=Invoice")
    after = Invoice.get(inv.Id, qb=qb)
    assert (after.SyncToken, after.TotalAmt, after.PrivateNote) == ("1", 100.0, "moved on")


# -- I2 / F6: custom transaction numbers ----------------------------------------------------------------

def test_I2_F6_auto_numbers_when_custom_numbers_are_off(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Auto Numbers")
    numbers = [_invoice(customer).save(qb=qb).DocNumber for _ in range(2)]
    assert numbers == ["1001", "1002"]
    explicit = _invoice(customer, DocNumber="A-7").save(qb=qb)
    assert explicit.DocNumber == "A-7"
    assert _invoice(customer).save(qb=qb).DocNumber == "1003"  # an explicit number doesn't move the sequence


def test_I2_F6_custom_numbers_on_duplicate_refused_unless_allowed(company: Callable, count: Callable) -> None:
    creds, qb = company(customTxnNumbers=True)
    customer = new_customer(qb, "Custom Numbers")
    assert Preferences.get(qb=qb).SalesFormsPrefs.CustomTxnNumbers is True
    no_number = _invoice(customer).save(qb=qb)
    assert no_number.DocNumber is None  # "If no value is supplied, the resulting DocNumber is null"
    first = _invoice(customer, DocNumber="HS-1001").save(qb=qb)
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer, DocNumber="HS-1001").save(qb=qb)
    assert _refusal(exc) == (
        6140, "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already been used. "
        f"DocNumber=HS-1001 is assigned to TxnType=Invoice with TxnId={first.Id}")
    assert count(creds["realmId"], "Invoice") == 2
    # Sales receipts and credit memos share the invoices' number space.
    receipt = SalesReceipt()
    receipt.CustomerRef, receipt.Line, receipt.DocNumber = customer.to_ref(), [item_line(5)], "HS-1001"
    with pytest.raises(QuickbooksException) as exc:
        receipt.save(qb=qb)
    assert exc.value.error_code == 6140 and "TxnType=Invoice" in exc.value.detail
    dup = _invoice(customer, DocNumber="HS-1001").save(qb=qb, params={"include": "allowduplicatedocnum"})
    assert dup.DocNumber == "HS-1001" and dup.Id != first.Id
    assert count(creds["realmId"], "Invoice") == 3


def test_I2_sdk_empty_docnumber_is_kept_empty(qb: QuickBooks) -> None:
    """PQ sends DocNumber "" for SalesReceipt/CreditMemo: an explicit empty number, no auto-number [GHI#141]."""
    customer = new_customer(qb, "Empty DocNumber")
    memo = CreditMemo()
    memo.CustomerRef, memo.Line = customer.to_ref(), [item_line(5)]
    assert memo.DocNumber == ""
    assert not memo.save(qb=qb).DocNumber
    memo = CreditMemo()
    memo.CustomerRef, memo.Line, memo.DocNumber = customer.to_ref(), [item_line(5)], "AUTO_GENERATE"
    assert memo.save(qb=qb).DocNumber == "1001"


def test_I2_docnumber_longer_than_21_is_refused(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Long DocNumber")
    with pytest.raises(ValidationException) as exc:
        _invoice(customer, DocNumber="X" * 22).save(qb=qb)
    assert _refusal(exc) == (2050, "String length is either shorter or longer than supported by specification",
                             "String length specified does not match the supported length. Min:0 Max:21 supported. "
                             "Supplied length:22")


# -- I3 / F4: non-US companies need tax on every line --------------------------------------------------

@pytest.mark.parametrize("country, wording, code_id, total", [
    ("GB", "a VAT rate", "1", 120.0), ("CA", "a GST/HST rate", "2", 113.0), ("AU", "a GST rate", "1", 110.0)])
def test_I3_F4_non_us_invoice_without_tax_code_is_refused(company: Callable, count: Callable, country: str,
                                                          wording: str, code_id: str, total: float) -> None:
    creds, qb = company(country=country)
    customer = new_customer(qb, f"{country} Customer")
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer).save(qb=qb)
    assert _refusal(exc) == (6000, BUSINESS,
                             f"Business Validation Error: Make sure all your transactions have {wording} before "
                             "you save.")
    assert count(creds["realmId"], "Invoice") == 0
    taxed = _invoice(customer, item_line(100, tax_code=code_id)).save(qb=qb)
    assert taxed.TotalAmt == total
    assert taxed.TxnTaxDetail.TotalTax == round(total - 100, 2)
    assert taxed.GlobalTaxCalculation == "TaxExcluded"


def test_I3_us_company_needs_no_tax_code(qb: QuickBooks) -> None:
    customer = new_customer(qb, "US Customer")
    inv = _invoice(customer).save(qb=qb)
    assert inv.TotalAmt == 100.0 and inv.TxnTaxDetail.TotalTax == 0
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer, item_line(100, tax_code="5")).save(qb=qb)
    assert _refusal(exc) == (6100, "Invalid line TaxCode",
                             "Business Validation Error: Invalid tax code. For US, specify TAX or NON.")


# -- I4: closing date --------------------------------------------------------------------------------

def test_I4_closed_period_refuses_writes(company: Callable, count: Callable) -> None:
    creds, qb = company(country="US", seed="empty", closingDate="2024-12-31")
    customer = new_customer(qb, "Closed Books")
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer, TxnDate="2024-12-31").save(qb=qb)
    assert _refusal(exc) == (6210, "Account Period Closed, Cannot Update Through Services API", CLOSED_DETAIL)
    assert count(creds["realmId"], "Invoice") == 0
    open_inv = _invoice(customer, TxnDate="2025-01-01").save(qb=qb)
    assert open_inv.TxnDate == "2025-01-01"
    open_inv.TxnDate = "2024-06-30"  # moving a transaction into the closed period
    with pytest.raises(QuickbooksException) as exc:
        open_inv.save(qb=qb)
    assert exc.value.error_code == 6210
    assert Invoice.get(open_inv.Id, qb=qb).TxnDate == "2025-01-01"
    pay = Payment()
    pay.CustomerRef, pay.TotalAmt, pay.TxnDate = customer.to_ref(), 10, "2024-01-15"
    with pytest.raises(QuickbooksException) as exc:
        pay.save(qb=qb)
    assert exc.value.error_code == 6210
    # BookCloseDate is visible but read-only through the API.
    prefs = Preferences.get(qb=qb)
    assert prefs.AccountingInfoPrefs.BookCloseDate == "2024-12-31"
    prefs.AccountingInfoPrefs.BookCloseDate = "2020-01-01"
    assert prefs.save(qb=qb).AccountingInfoPrefs.BookCloseDate == "2024-12-31"


# -- I7 / G1: one payment, several invoices ---------------------------------------------------------

def test_I7_G1_payment_applied_to_two_invoices(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Split Payer")
    inv_a = _invoice(customer, item_line(300)).save(qb=qb)
    inv_b = _invoice(customer, item_line(200)).save(qb=qb)
    assert Customer.get(customer.Id, qb=qb).Balance == 500.0

    pay = Payment()
    pay.CustomerRef, pay.TotalAmt = customer.to_ref(), 450
    lines = []
    for inv, amount in ((inv_a, 300), (inv_b, 150)):
        line = PaymentLine()
        line.Amount, line.LinkedTxn = amount, [inv.to_linked_txn()]
        lines.append(line)
    pay.Line = lines
    pay = pay.save(qb=qb)
    assert pay.UnappliedAmt == 0
    assert [(ln.Amount, ln.LinkedTxn[0].TxnId, ln.LinkedTxn[0].TxnType) for ln in pay.Line] == [
        (300.0, inv_a.Id, "Invoice"), (150.0, inv_b.Id, "Invoice")]

    a, b = Invoice.get(inv_a.Id, qb=qb), Invoice.get(inv_b.Id, qb=qb)
    assert (a.Balance, b.Balance) == (0, 50.0)
    for inv in (a, b):
        assert [(lt.TxnId, lt.TxnType) for lt in inv.LinkedTxn] == [(pay.Id, "Payment")]
        assert inv.SyncToken == "1"  # QBO's own write bumps the token
    assert Customer.get(customer.Id, qb=qb).Balance == 50.0

    # A client can't drop QBO's payment links by sending its own LinkedTxn.
    b.LinkedTxn, b.PrivateNote = [], "edited in the app"
    b = b.save(qb=qb)
    assert (b.Balance, [lt.TxnId for lt in b.LinkedTxn]) == (50.0, [pay.Id])

    # Unapply from invoice A by updating the payment; balances follow.
    pay = Payment.get(pay.Id, qb=qb)
    pay.Line = pay.Line[1:]
    pay.TotalAmt = 150
    pay = pay.save(qb=qb)
    a, b = Invoice.get(inv_a.Id, qb=qb), Invoice.get(inv_b.Id, qb=qb)
    assert (a.Balance, b.Balance) == (300.0, 50.0)
    assert a.LinkedTxn == [] and [lt.TxnId for lt in b.LinkedTxn] == [pay.Id]

    # An invoice with a payment applied can't be deleted; deleting the payment restores the balance.
    with pytest.raises(QuickbooksException) as exc:
        b.delete(qb=qb)
    assert exc.value.error_code == 6000
    pay.delete(qb=qb)
    assert Invoice.get(inv_b.Id, qb=qb).Balance == 200.0
    assert Customer.get(customer.Id, qb=qb).Balance == 500.0


def test_I7_payment_without_amount_is_refused(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    customer = new_customer(qb, "No Amount")
    pay = Payment()
    pay.CustomerRef = customer.to_ref()
    with pytest.raises(QuickbooksException) as exc:
        pay.save(qb=qb)
    assert _refusal(exc) == (6000, BUSINESS, "Business Validation Error: You must set a transaction amount.")
    assert count(qbo_company["realmId"], "Payment") == 0


def test_I7_payment_cannot_exceed_the_invoice_balance(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    """Simulator's wording (UNCONFIRMED in the notes); the rule itself is QBO's."""
    customer = new_customer(qb, "Over Payer")
    inv = _invoice(customer, item_line(40)).save(qb=qb)
    pay = Payment()
    pay.CustomerRef, pay.TotalAmt = customer.to_ref(), 60
    line = PaymentLine()
    line.Amount, line.LinkedTxn = 60, [inv.to_linked_txn()]
    pay.Line = [line]
    with pytest.raises(QuickbooksException) as exc:
        pay.save(qb=qb)
    assert exc.value.error_code == 6000 and exc.value.message == BUSINESS
    assert count(qbo_company["realmId"], "Payment") == 0
    assert Invoice.get(inv.Id, qb=qb).Balance == 40.0


# -- I6 / F12: at most three custom fields -----------------------------------------------------------

def _custom(def_id: str, value: str | None = None) -> CustomField:
    f = CustomField()
    f.DefinitionId, f.Type = def_id, "StringType"
    f.StringValue = value
    return f


def test_I6_at_most_three_custom_fields(sims: Simulators, company: Callable, count: Callable) -> None:
    creds, qb = company(customFields=["Crew #", "PO", "Region"])
    customer = new_customer(qb, "Custom Fields")
    inv = _invoice(customer, CustomField=[_custom("1", "105"), _custom("3", "West")]).save(qb=qb)
    assert [(f.DefinitionId, f.Name, f.StringValue) for f in inv.CustomField] == [
        ("1", "Crew #", "105"), ("2", "PO", ""), ("3", "Region", "West")]
    wire = qb.get_single_object("Invoice", inv.Id)["Invoice"]["CustomField"]
    assert wire[1] == {"DefinitionId": "2", "Name": "PO", "Type": "StringType"}  # listed even without a value
    with pytest.raises(ValidationException) as exc:
        _invoice(customer, CustomField=[_custom("4", "nope")]).save(qb=qb)
    assert exc.value.error_code == 3000  # code per the notes; message/detail are the simulator's (UNCONFIRMED)
    assert "DefinitionId 4" in exc.value.detail
    assert count(creds["realmId"], "Invoice") == 1
    groups = qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences")["Preferences"]["SalesFormsPrefs"]
    slots = [f for group in groups["CustomField"] for f in group["CustomField"]]
    assert {(f["Name"], f["StringValue"]) for f in slots if f["Type"] == "StringType"} == {
        ("SalesFormsPrefs.SalesCustomName1", "Crew #"), ("SalesFormsPrefs.SalesCustomName2", "PO"),
        ("SalesFormsPrefs.SalesCustomName3", "Region")}
    # A company can't be configured with a fourth one.
    with pytest.raises(requests.HTTPError):
        sims.new_qbo_company(customFields=["A", "B", "C", "D"])


# -- I8 / F7: multi-currency ---------------------------------------------------------------------------

def test_I8_customer_currency_is_fixed(company: Callable, count: Callable) -> None:
    creds, qb = company(multiCurrency=True)
    gbp = Customer()
    gbp.DisplayName, gbp.CurrencyRef = "London Client", Ref()
    gbp.CurrencyRef.value = "GBP"
    gbp = gbp.save(qb=qb)
    assert (gbp.CurrencyRef.value, gbp.CurrencyRef.name) == ("GBP", "British Pound Sterling")

    inv = _invoice(gbp).save(qb=qb)
    assert inv.CurrencyRef.value == "GBP"
    wrong = _invoice(gbp)
    wrong.CurrencyRef = Ref()
    wrong.CurrencyRef.value = "USD"
    with pytest.raises(QuickbooksException) as exc:
        wrong.save(qb=qb)
    assert exc.value.error_code == 6000 and exc.value.message == BUSINESS
    assert count(creds["realmId"], "Invoice") == 1

    # A full update that leaves CurrencyRef out keeps the currency; changing it is refused.
    full = Customer.get(gbp.Id, qb=qb)
    full.CurrencyRef = None
    full.Notes = "full update"
    assert full.save(qb=qb).CurrencyRef.value == "GBP"
    switch = Customer.get(gbp.Id, qb=qb)
    switch.CurrencyRef.value = "USD"
    with pytest.raises(QuickbooksException) as exc:
        switch.save(qb=qb)
    assert exc.value.error_code == 6000
    assert Customer.get(gbp.Id, qb=qb).CurrencyRef.value == "GBP"


def test_I8_foreign_currency_needs_multicurrency(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    eur = Customer()
    eur.DisplayName, eur.CurrencyRef = "Paris Client", ref("EUR")
    with pytest.raises(QuickbooksException) as exc:
        eur.save(qb=qb)
    assert _refusal(exc)[:2] == (6000, BUSINESS)
    assert count(qbo_company["realmId"], "Customer") == 0


# -- F5: revenue recognition needs service dates ---------------------------------------------------------

def test_F5_revenue_recognition_needs_service_dates(company: Callable, count: Callable) -> None:
    creds, qb = company(revenueRecognition=True)
    customer = new_customer(qb, "Rev Rec")
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer, item_line(100, service_date="2030-01-01"), item_line(50)).save(qb=qb)
    assert exc.value.error_code == 6000 and exc.value.message == BUSINESS
    assert exc.value.detail.startswith("Business Validation Error: ")
    assert count(creds["realmId"], "Invoice") == 0
    ok = _invoice(customer, item_line(100, service_date="2030-01-01"), item_line(50, service_date="2030-02-01"))
    ok = ok.save(qb=qb)
    assert [ln.SalesItemLineDetail.ServiceDate for ln in ok.Line[:2]] == ["2030-01-01", "2030-02-01"]


# -- name lists: no delete, inactive instead -----------------------------------------------------------

def test_inactive_customer_cannot_be_used_on_a_transaction(qb: QuickBooks, qbo_company: dict,
                                                           count: Callable) -> None:
    customer = new_customer(qb, "Gone Fishing")
    customer.Active = False
    customer = customer.save(qb=qb)
    assert Customer.filter(DisplayName="Gone Fishing", qb=qb) == []
    with pytest.raises(QuickbooksException) as exc:
        _invoice(customer).save(qb=qb)
    assert _refusal(exc) == (610, "Object Not Found",
                             "Object Not Found : Something you're trying to use has been made inactive. Check the "
                             "fields with accounts, customers, items, vendors or employees.")
    assert count(qbo_company["realmId"], "Invoice") == 0
