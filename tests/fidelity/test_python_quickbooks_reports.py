"""The ledger and the reports through python-quickbooks 0.9.12: Account.CurrentBalance follows every posting
transaction; ProfitAndLoss, BalanceSheet, TrialBalance, AgedReceivables, AgedReceivableDetail and CustomerBalance
are served by ``qb.get_report`` in QBO's report JSON shape, with date ranges and the accounting method."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from quickbooks import QuickBooks
from quickbooks.exceptions import UnsupportedException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.vendor import Vendor
from sdk_helpers import item_line, new_customer, ref
from test_python_quickbooks_purchases import expense_line

CHECKING, UNDEPOSITED, RECEIVABLE, PAYABLE, SERVICES = "1", "2", "3", "5", "7"


def _invoice(qb: QuickBooks, customer: Customer, amount: float, day: str, due: str | None = None) -> Invoice:
    inv = Invoice()
    inv.CustomerRef, inv.Line, inv.TxnDate = customer.to_ref(), [item_line(amount)], day
    if due:
        inv.DueDate = due
    return inv.save(qb=qb)


def _pay(qb: QuickBooks, customer: Customer, amount: float, invoice: Invoice, day: str) -> Payment:
    p = Payment()
    p.CustomerRef, p.TotalAmt, p.TxnDate, p.DepositToAccountRef = customer.to_ref(), amount, day, ref(CHECKING)
    line = PaymentLine()
    line.Amount, line.LinkedTxn = amount, [invoice.to_linked_txn()]
    p.Line = [line]
    return p.save(qb=qb)


def _balance(qb: QuickBooks, account_id: str) -> float:
    return Account.get(account_id, qb=qb).CurrentBalance


def _rows(report: dict) -> list[dict]:
    """Every row of a report, sections flattened (depth first)."""
    out = []

    def walk(rows: list[dict]) -> None:
        for row in rows:
            out.append(row)
            walk(row.get("Rows", {}).get("Row", []))

    walk(report["Rows"]["Row"])
    return out


def _summary(report: dict, group: str) -> list[str]:
    row = next(r for r in _rows(report) if r.get("group") == group)
    return [c["value"] for c in row["Summary"]["ColData"]]


def _data(report: dict) -> dict[str, list[str]]:
    return {r["ColData"][0]["value"]: [c["value"] for c in r["ColData"][1:]] for r in _rows(report)
            if r.get("type") == "Data"}


@pytest.fixture
def sales(qb: QuickBooks) -> tuple[Customer, Invoice]:
    """An invoice of 300 (2026-02-10, due 2026-02-20) paid 100 on 2026-03-05 into Checking; a bill of 80."""
    customer = new_customer(qb, "Bill's Windsurf Shop")
    inv = _invoice(qb, customer, 300, "2026-02-10", due="2026-02-20")
    _pay(qb, customer, 100, inv, "2026-03-05")
    vendor = Vendor()
    vendor.DisplayName = "Cal Telephone"
    vendor = vendor.save(qb=qb)
    phone = Account()
    phone.Name, phone.AccountType = "Telephone", "Expense"
    phone = phone.save(qb=qb)
    bill = Bill()
    bill.VendorRef, bill.TxnDate, bill.Line = vendor.to_ref(), "2026-02-15", [expense_line(80, phone)]
    bill.save(qb=qb)
    return customer, inv


def test_account_balances_follow_the_postings(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    assert _balance(qb, RECEIVABLE) == 200  # 300 invoiced, 100 paid
    assert _balance(qb, CHECKING) == 100
    assert _balance(qb, SERVICES) == 300  # income: credit-positive
    assert _balance(qb, PAYABLE) == 80
    queried = {a.Name: a.CurrentBalance for a in Account.where("CurrentBalance > '0'", qb=qb)}
    assert queried == {"Accounts Receivable (A/R)": 200, "Checking": 100, "Services": 300,
                       "Accounts Payable (A/P)": 80, "Telephone": 80}


def test_profit_and_loss_accrual_and_cash(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    accrual = qb.get_report("ProfitAndLoss", {"start_date": "2026-01-01", "end_date": "2026-12-31",
                                              "accounting_method": "Accrual"})
    header = accrual["Header"]
    assert (header["ReportName"], header["ReportBasis"], header["StartPeriod"], header["EndPeriod"]) == (
        "ProfitAndLoss", "Accrual", "2026-01-01", "2026-12-31")
    assert [c["ColTitle"] for c in accrual["Columns"]["Column"]] == ["", "Total"]
    assert _data(accrual) == {"Services": ["300.00"], "Telephone": ["80.00"]}
    assert _summary(accrual, "Income") == ["Total Income", "300.00"]
    assert _summary(accrual, "NetIncome") == ["Net Income", "220.00"]
    cash = qb.get_report("ProfitAndLoss", {"start_date": "2026-01-01", "end_date": "2026-12-31",
                                           "accounting_method": "Cash"})
    assert cash["Header"]["ReportBasis"] == "Cash"
    assert _data(cash) == {"Services": ["100.00"]}  # a third of the invoice was paid; the bill not at all
    february = qb.get_report("ProfitAndLoss", {"start_date": "2026-02-01", "end_date": "2026-02-28",
                                               "accounting_method": "Cash"})
    assert _summary(february, "NetIncome") == ["Net Income", "0.00"]  # paid in March


def test_profit_and_loss_date_macro(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    today = qb.get_report("ProfitAndLoss", {"date_macro": "Today"})
    assert today["Header"]["DateMacro"] == "today" and _summary(today, "NetIncome") == ["Net Income", "0.00"]
    with pytest.raises(ValidationException) as exc:
        qb.get_report("ProfitAndLoss", {"date_macro": "Next Century"})
    assert str(exc.value.error_code) == "2170"
    with pytest.raises(ValidationException):
        qb.get_report("ProfitAndLoss", {"accounting_method": "Hunch"})


def test_balance_sheet_balances(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    report = qb.get_report("BalanceSheet", {"end_date": "2026-12-31"})
    assert _summary(report, "TotalAssets") == ["TOTAL ASSETS", "300.00"]
    assert _summary(report, "TotalLiabilitiesAndEquity") == ["TOTAL LIABILITIES AND EQUITY", "300.00"]
    data = _data(report)
    assert data["Checking"] == ["100.00"] and data["Accounts Receivable (A/R)"] == ["200.00"]
    assert data["Accounts Payable (A/P)"] == ["80.00"] and data["Net Income"] == ["220.00"]
    before = qb.get_report("BalanceSheet", {"end_date": "2026-02-12"})  # only the invoice so far
    assert _summary(before, "TotalAssets") == ["TOTAL ASSETS", "300.00"]
    assert _data(before)["Accounts Receivable (A/R)"] == ["300.00"]


def test_trial_balance_debits_equal_credits(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    report = qb.get_report("TrialBalance", {"end_date": "2026-12-31"})
    assert [c["ColTitle"] for c in report["Columns"]["Column"]] == ["", "Debit", "Credit"]
    assert _data(report) == {"Checking": ["100.00", ""], "Accounts Receivable (A/R)": ["200.00", ""],
                             "Accounts Payable (A/P)": ["", "80.00"], "Services": ["", "300.00"],
                             "Telephone": ["80.00", ""]}
    assert _summary(report, "GrandTotal") == ["TOTAL", "380.00", "380.00"]


def test_aged_receivables(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    customer, _ = sales
    other = new_customer(qb, "Rago Travel Agency")
    _invoice(qb, other, 50, "2026-03-28", due="2026-04-27")
    report = qb.get_report("AgedReceivables", {"report_date": "2026-04-01"})
    assert [c["ColTitle"] for c in report["Columns"]["Column"]] == [
        "", "Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
    assert _data(report) == {"Bill's Windsurf Shop": ["", "", "200.00", "", "", "200.00"],  # 40 days past due
                             "Rago Travel Agency": ["50.00", "", "", "", "", "50.00"]}
    assert _summary(report, "GrandTotal") == ["TOTAL", "50.00", "0.00", "200.00", "0.00", "0.00", "250.00"]
    detail = qb.get_report("AgedReceivableDetail", {"report_date": "2026-04-01"})
    sections = [r for r in detail["Rows"]["Row"] if r.get("Header")]
    assert [s["Header"]["ColData"][0]["value"] for s in sections] == ["Current", "31 - 60 days past due"]
    late = sections[1]["Rows"]["Row"][0]["ColData"]
    assert [c["value"] for c in late] == ["2026-02-10", "Invoice", "1001", "Bill's Windsurf Shop", "2026-02-20",
                                          "300.00", "200.00"]
    assert late[3]["id"] == customer.Id


def test_customer_balance(qb: QuickBooks, sales: tuple[Customer, Invoice]) -> None:
    report = qb.get_report("CustomerBalance")
    assert _data(report) == {"Bill's Windsurf Shop": ["200.00"]}
    assert _summary(report, "GrandTotal") == ["TOTAL", "200.00"]
    assert report["Header"]["Option"][-1] == {"Name": "NoReportData", "Value": "false"}


def test_reports_not_simulated_say_so(qb: QuickBooks, company: Callable) -> None:
    with pytest.raises(UnsupportedException) as exc:
        qb.get_report("CashFlow")
    assert "not simulated" in exc.value.detail
    _, empty = company()
    report = empty.get_report("CustomerBalance")
    assert report["Header"]["Option"][-1] == {"Name": "NoReportData", "Value": "true"}
