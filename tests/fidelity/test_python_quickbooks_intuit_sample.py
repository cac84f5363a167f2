"""``seed: intuit-sample``: a company shaped like Intuit's sandbox sample company (Craig's Design and Landscaping
Services), read through python-quickbooks 0.9.12 by the names and ids tests written against the sandbox use."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.creditcardpayment_entity import CreditCardPayment
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.vendor import Vendor

from simulators.quickbooks import sample_company
from simulators.sims import QBO_URL, Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-06-15T17:00:00Z")


@pytest.fixture
def sandbox(company: Callable) -> QuickBooks:
    return company(seed="intuit-sample")[1]


def test_the_well_known_names_at_their_ids(sandbox: QuickBooks) -> None:
    assert Customer.get(1, qb=sandbox).DisplayName == "Amy's Bird Sanctuary"
    assert Customer.get(29, qb=sandbox).DisplayName == "Weiskopf Consulting"
    job = Customer.get(8, qb=sandbox)
    assert job.FullyQualifiedName == "Freeman Sporting Goods:0969 Ocean View Road" and job.Job is True
    customers = {c.DisplayName for c in Customer.all(max_results=1000, qb=sandbox)}
    for name in ("Bill's Windsurf Shop", "Cool Cars", "Diego Rodriguez", "Dukes Basketball Camp", "Dylan Sollfrank",
                 "Geeta Kalapatapu", "Gevelber Photography", "Jeff's Jalopies", "John Melton", "Kate Whelan",
                 "Kookies by Kathy", "Mark Cho", "Paulsen Medical Supplies", "Pye's Cakes", "Rago Travel Agency",
                 "Red Rock Diner", "Rondonuwu Fruit and Vegi", "Shara Barnett", "Sonnenschein Family Store",
                 "Sushi by Katsuyuki", "Travis Waldron", "Video Games by Dan", "Wedding Planning by Whitney"):
        assert name in customers
    vendors = {v.DisplayName for v in Vendor.all(max_results=1000, qb=sandbox)}
    assert {row[1] for row in sample_company.VENDORS} == vendors and len(vendors) == 25
    assert Vendor.filter(DisplayName="PG&E", qb=sandbox)[0].Id == "47"
    items = {i.Name: i for i in Item.all(max_results=1000, qb=sandbox)}
    assert {"Design", "Gardening", "Hours", "Installation", "Lighting", "Maintenance & Repair", "Pest Control",
            "Pump", "Refunds & Allowances", "Rock Fountain", "Rocks", "Services", "Sod", "Soil", "Sprinkler Heads",
            "Sprinkler Pipes", "Trimming"} <= set(items)
    assert items["Pump"].Type == "Inventory" and items["Pump"].AssetAccountRef.name == "Inventory Asset"
    assert items["Design"].IncomeAccountRef.name == "Design income" and items["Design"].UnitPrice == 75
    assert {e.DisplayName for e in Employee.all(qb=sandbox)} == {"Emily Platt", "John Johnson"}
    assert {a.DisplayName for a in TaxAgency.all(qb=sandbox)} == {"Board of Equalization", "Arizona Dept. of Revenue"}


def test_the_chart_of_accounts(sandbox: QuickBooks) -> None:
    accounts = {a.Name: a for a in Account.all(max_results=1000, qb=sandbox)}
    expected = {"Checking": ("35", "Bank"), "Savings": ("36", "Bank"),
                "Undeposited Funds": ("4", "Other Current Asset"),
                "Accounts Receivable (A/R)": ("84", "Accounts Receivable"),
                "Inventory Asset": ("81", "Other Current Asset"),
                "Accounts Payable (A/P)": ("33", "Accounts Payable"), "Mastercard": ("41", "Credit Card"),
                "Visa": ("42", "Credit Card"), "Services": ("1", "Income"), "Design income": ("82", "Income"),
                "Landscaping Services": ("45", "Income"), "Cost of Goods Sold": ("80", "Cost of Goods Sold")}
    assert {name: (accounts[name].Id, accounts[name].AccountType) for name in expected} == expected
    assert accounts["Fuel"].FullyQualifiedName == "Automobile:Fuel"
    assert len(accounts) == len(sample_company.ACCOUNTS)


def test_company_info_and_a_history_that_balances(sandbox: QuickBooks) -> None:
    info = CompanyInfo.get(1, qb=sandbox)
    assert info.CompanyName == "Sandbox Company_US_1" and info.CompanyAddr.City == "San Pablo"
    invoices = Invoice.all(max_results=1000, qb=sandbox)
    assert len(invoices) == 14 and any(i.Balance == 0 for i in invoices) and any(i.Balance > 0 for i in invoices)
    assert any(b.Balance > 0 for b in Bill.all(qb=sandbox))
    trial = sandbox.get_report("TrialBalance")
    total = trial["Rows"]["Row"][-1]["Summary"]["ColData"]
    assert total[1]["value"] == total[2]["value"] and total[1]["value"] != "0.00"
    checking = Account.get(35, qb=sandbox).CurrentBalance
    assert checking > 0


def test_the_same_clock_gives_the_same_company(sims: Simulators) -> None:
    first = sims.new_qbo_company(seed="intuit-sample")
    second = sims.new_qbo_company(seed="intuit-sample")

    def everything(creds: dict) -> dict:
        base = f"{QBO_URL}/v3/company/{creds['realmId']}"
        auth = {"Authorization": f"Bearer {creds['accessToken']}"}
        out = {}
        for kind in ("Account", "Customer", "Vendor", "Employee", "Item", "Invoice", "Payment", "Bill", "BillPayment",
                     "Deposit", "Purchase", "JournalEntry", "Transfer", "TimeActivity", "PurchaseOrder"):
            r = requests.post(f"{base}/query", data=f"select * from {kind} maxresults 1000", headers=auth, timeout=10)
            out[kind] = r.json()["QueryResponse"]
        return out

    assert everything(first) == everything(second)


def test_the_seed_is_a_us_company_only(sims: Simulators) -> None:
    r = requests.post(f"{QBO_URL}/_sim/tenants", json={"seed": "intuit-sample", "country": "GB"}, timeout=10)
    assert r.status_code == 400 and "US company" in r.text


def test_the_crew_custom_field_on_sales_forms(sandbox: QuickBooks) -> None:
    invoice = Invoice.all(max_results=1, qb=sandbox)[0]
    assert [(f.DefinitionId, f.Name) for f in invoice.CustomField] == [("1", "Crew #")]


def test_query_credit_card_payments_by_account(sandbox: QuickBooks) -> None:
    found = CreditCardPayment.where("CreditCardAccountRef = '41'", qb=sandbox)
    assert [p.Amount for p in found] == [63.15]
