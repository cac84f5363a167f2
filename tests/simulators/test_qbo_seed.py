"""The sample company (simulators/quickbooks/seed.py), read back through the public query API."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from simulators.core.runtime import Runtime
from simulators.quickbooks.company import Company
from simulators.quickbooks.seed import seed_sample
from simulators.quickbooks.tenant import create_company
from simulators.sims import Simulators

COUNTRIES = ("US", "GB", "CA", "AU")


@pytest.fixture(scope="module")
def sims():
    s = Simulators()
    with s.in_process():
        # These tests read many lists of one realm back to back: QBO's 10 requests/s would refuse them.
        r = requests.post(f"{s.qbo_url}/_sim/ratelimits", json={"enabled": False}, timeout=30)
        assert r.json() == {"enabled": False}
        yield s


@pytest.fixture(scope="module")
def companies(sims):
    """Companies made once for the module: (country, seedNumber, copy) -> credentials."""
    made = {}
    for key in [("GB", 3, "a"), ("GB", 3, "b"), ("GB", 4, "a"), *[(c, 0, "a") for c in COUNTRIES]]:
        made[key] = sims.new_qbo_company(country=key[0], seed="sample", seedNumber=key[1])
    return made


def query(sims, creds: dict, statement: str) -> dict:
    r = requests.post(f"{sims.qbo_url}/v3/company/{creds['realmId']}/query", data=statement,
                      headers={"Authorization": f"Bearer {creds['accessToken']}",
                               "Content-Type": "application/text", "Accept": "application/json"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["QueryResponse"]


def rows(sims, creds: dict, entity: str, where: str = "") -> list[dict]:
    return query(sims, creds, f"select * from {entity} {where} maxresults 1000").get(entity, [])


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def applied_by_payments(payments: list[dict]) -> dict[str, Decimal]:
    applied: Counter = Counter()
    for p in payments:
        for line in p.get("Line", []):
            for link in line["LinkedTxn"]:
                if link["TxnType"] == "Invoice":
                    applied[link["TxnId"]] += money(line["Amount"])
    return applied


# -- determinism ------------------------------------------------------------------------------------

def test_same_seed_number_gives_the_same_company(sims, companies):
    a, b = companies[("GB", 3, "a")], companies[("GB", 3, "b")]
    assert a["realmId"] != b["realmId"]
    names_a = [c["DisplayName"] for c in rows(sims, a, "Customer")]
    assert len(names_a) >= 20
    assert names_a == [c["DisplayName"] for c in rows(sims, b, "Customer")]
    totals_a = [(i["DocNumber"], i["TxnDate"], i["TotalAmt"], i["Balance"]) for i in rows(sims, a, "Invoice")]
    assert len(totals_a) == 20
    assert totals_a == [(i["DocNumber"], i["TxnDate"], i["TotalAmt"], i["Balance"]) for i in rows(sims, b, "Invoice")]
    assert [v["DisplayName"] for v in rows(sims, a, "Vendor")] == [v["DisplayName"] for v in rows(sims, b, "Vendor")]
    assert [p["TotalAmt"] for p in rows(sims, a, "Payment")] == [p["TotalAmt"] for p in rows(sims, b, "Payment")]


def test_same_seed_gives_identical_records_apart_from_timestamps():
    rt = Runtime()
    dumps = []
    for _ in range(2):
        realm = create_company(rt, {"country": "AU"})
        seed_sample(rt, realm, 11)
        co = Company(rt, realm)
        dump = {}
        for entity in ("Customer", "Vendor", "Employee", "Item", "Invoice", "Payment", "Estimate", "SalesReceipt"):
            found = co.query(f"select * from {entity} where Active in (true, false) maxresults 1000"
                             if entity in ("Customer", "Vendor", "Employee", "Item")
                             else f"select * from {entity} maxresults 1000")[entity]
            dump[entity] = [{k: v for k, v in r.items() if k != "MetaData"} for r in found]
        dumps.append(dump)
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["Invoice"]) == 20


def test_a_different_seed_number_gives_a_different_company(sims, companies):
    a, c = companies[("GB", 3, "a")], companies[("GB", 4, "a")]
    names_a = {x["DisplayName"] for x in rows(sims, a, "Customer")}
    names_c = {x["DisplayName"] for x in rows(sims, c, "Customer")}
    assert names_a != names_c
    assert len(names_a & names_c) < len(names_a) // 2
    assert [i["TotalAmt"] for i in rows(sims, a, "Invoice")] != [i["TotalAmt"] for i in rows(sims, c, "Invoice")]


# -- every country ----------------------------------------------------------------------------------

@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_seeds_the_whole_sample(sims, companies, country):
    creds = companies[(country, 0, "a")]
    info = rows(sims, creds, "CompanyInfo")[0]
    assert info["Country"] == country
    counts = {e: query(sims, creds, f"select count(*) from {e}")["totalCount"]
              for e in ("Customer", "Vendor", "Employee", "Item", "Invoice", "Payment", "Estimate", "SalesReceipt")}
    assert counts == {"Customer": 24, "Vendor": 8, "Employee": 4, "Item": 14, "Invoice": 20, "Payment": 10,
                      "Estimate": 2, "SalesReceipt": 1}


@pytest.mark.parametrize("country", ("GB", "CA", "AU"))
def test_non_us_sales_lines_carry_a_taxable_code_and_tax_is_charged(sims, companies, country):
    creds = companies[(country, 0, "a")]
    taxable = {c["Id"] for c in rows(sims, creds, "TaxCode") if c["Taxable"]}
    assert taxable
    forms = rows(sims, creds, "Invoice") + rows(sims, creds, "Estimate") + rows(sims, creds, "SalesReceipt")
    item_lines = [line for form in forms for line in form["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert len(item_lines) >= 23
    assert all(line["SalesItemLineDetail"]["TaxCodeRef"]["value"] in taxable for line in item_lines)
    assert all(f["TxnTaxDetail"]["TotalTax"] > 0 for f in forms)
    assert all(f["GlobalTaxCalculation"] == "TaxExcluded" for f in forms)


def test_us_sales_lines_use_tax_and_non(sims, companies):
    creds = companies[("US", 0, "a")]
    invoices = rows(sims, creds, "Invoice")
    codes = Counter(line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for inv in invoices for line in inv["Line"]
                    if line["DetailType"] == "SalesItemLineDetail")
    assert set(codes) == {"TAX", "NON"}
    assert any(inv["TxnTaxDetail"].get("TxnTaxCodeRef") and inv["TxnTaxDetail"]["TotalTax"] > 0 for inv in invoices)


# -- lists ------------------------------------------------------------------------------------------

def test_display_names_are_unique_across_customers_vendors_and_employees(sims, companies):
    creds = companies[("GB", 3, "a")]
    names = [r["DisplayName"].lower() for entity in ("Customer", "Vendor", "Employee")
             for r in rows(sims, creds, entity, "where Active in (true, false)")]
    assert len(names) == 25 + 8 + 4
    assert len(set(names)) == len(names)


def test_customers_are_companies_and_people_some_without_email(sims, companies):
    creds = companies[("US", 0, "a")]
    customers = [c for c in rows(sims, creds, "Customer") if not c["Job"]]
    companies_ = [c for c in customers if c.get("CompanyName")]
    people = [c for c in customers if not c.get("CompanyName")]
    assert len(companies_) == 14 and len(people) == 8
    assert all(c["DisplayName"] == c["CompanyName"] for c in companies_)
    assert all(c["DisplayName"] == f"{c['GivenName']} {c['FamilyName']}" for c in people)
    without_email = [c for c in customers if "PrimaryEmailAddr" not in c]
    assert 1 <= len(without_email) <= 3
    assert all("@" in c["PrimaryEmailAddr"]["Address"] for c in customers if c not in without_email)
    assert all(c["PrimaryPhone"]["FreeFormNumber"] and c["BillAddr"]["City"] for c in customers)


def test_sub_customers_are_jobs_of_a_company(sims, companies):
    creds = companies[("CA", 0, "a")]
    by_id = {c["Id"]: c for c in rows(sims, creds, "Customer")}
    jobs = rows(sims, creds, "Customer", "where Job = true")
    assert len(jobs) == 2
    for job in jobs:
        parent = by_id[job["ParentRef"]["value"]]
        assert job["Level"] == 1
        assert job["FullyQualifiedName"] == f"{parent['DisplayName']}:{job['DisplayName']}"
    assert any(i["CustomerRef"]["value"] in {j["Id"] for j in jobs} for i in rows(sims, creds, "Invoice"))


def test_the_inactive_customer_is_hidden_from_plain_queries(sims, companies):
    creds = companies[("GB", 3, "a")]
    inactive = rows(sims, creds, "Customer", "where Active = false")
    assert len(inactive) == 1 and inactive[0]["Active"] is False
    visible = rows(sims, creds, "Customer")
    assert inactive[0]["Id"] not in {c["Id"] for c in visible}
    assert all(c["Active"] is True for c in visible)
    assert inactive[0]["Id"] not in {i["CustomerRef"]["value"] for i in rows(sims, creds, "Invoice")}


def test_items_with_and_without_sku_and_one_inventory_item(sims, companies):
    creds = companies[("AU", 0, "a")]
    items = rows(sims, creds, "Item")
    kinds = {(i["Type"], bool(i.get("Sku"))) for i in items}
    assert {("Service", True), ("Service", False), ("NonInventory", True), ("NonInventory", False)} <= kinds
    assert {"Design", "Gardening", "Rocks", "Sprinklers", "Pest Control", "Trimming", "Installation", "Lighting",
            "Pump", "Soil"} <= {i["Name"] for i in items}
    inventory = [i for i in items if i["Type"] == "Inventory"]
    assert len(inventory) == 1
    assert inventory[0]["QtyOnHand"] == 25 and inventory[0]["TrackQtyOnHand"] is True
    income = {a["Id"] for a in rows(sims, creds, "Account", "where AccountType = 'Income'")}
    sold = [i for i in items if i["Name"] not in ("Services", "Hours")]
    assert all(i["UnitPrice"] > 0 and i["IncomeAccountRef"]["value"] in income for i in sold)
    assert len({i["IncomeAccountRef"]["value"] for i in sold}) >= 3


# -- invoices and payments -----------------------------------------------------------------------------

@pytest.mark.parametrize("country", COUNTRIES)
def test_each_invoice_balance_is_total_minus_payments_applied(sims, companies, country):
    creds = companies[(country, 0, "a")]
    invoices, payments = rows(sims, creds, "Invoice"), rows(sims, creds, "Payment")
    applied = applied_by_payments(payments)
    for inv in invoices:
        assert money(inv["Balance"]) == money(inv["TotalAmt"]) - applied.get(inv["Id"], Decimal(0)), inv["DocNumber"]
        linked = {lt["TxnId"] for lt in inv["LinkedTxn"] if lt["TxnType"] == "Payment"}
        assert linked == {p["Id"] for p in payments
                          if any(lt["TxnId"] == inv["Id"] for line in p.get("Line", []) for lt in line["LinkedTxn"])}
    paid = [i for i in invoices if i["Balance"] == 0]
    partial = [i for i in invoices if 0 < i["Balance"] < i["TotalAmt"]]
    unpaid = [i for i in invoices if i["Balance"] == i["TotalAmt"]]
    assert len(paid) == 8 and len(partial) == 2 and len(unpaid) == 10
    for p in payments:
        lines = sum((money(line["Amount"]) for line in p.get("Line", [])), Decimal(0))
        assert money(p["UnappliedAmt"]) == money(p["TotalAmt"]) - lines


def test_the_split_payment_pays_two_invoices_of_one_customer(sims, companies):
    creds = companies[("GB", 3, "a")]
    invoices = {i["Id"]: i for i in rows(sims, creds, "Invoice")}
    split = [p for p in rows(sims, creds, "Payment") if len(p.get("Line", [])) > 1]
    assert len(split) == 1
    payment = split[0]
    targets = [line["LinkedTxn"][0]["TxnId"] for line in payment["Line"]]
    assert len(payment["Line"]) == 2 and len(set(targets)) == 2
    assert all(line["LinkedTxn"][0]["TxnType"] == "Invoice" for line in payment["Line"])
    assert {invoices[t]["CustomerRef"]["value"] for t in targets} == {payment["CustomerRef"]["value"]}
    assert sum(money(line["Amount"]) for line in payment["Line"]) == money(payment["TotalAmt"])
    assert all(payment["Id"] in {lt["TxnId"] for lt in invoices[t]["LinkedTxn"]} for t in targets)


def test_unapplied_and_over_payments_leave_credit(sims, companies):
    creds = companies[("CA", 0, "a")]
    payments = rows(sims, creds, "Payment")
    unapplied = [p for p in payments if not p.get("Line")]
    assert len(unapplied) == 1
    assert unapplied[0]["UnappliedAmt"] == unapplied[0]["TotalAmt"] > 0
    over = [p for p in payments if p.get("Line") and p["UnappliedAmt"] > 0]
    assert len(over) == 1
    assert all(p["DepositToAccountRef"]["name"] == "Undeposited Funds" and p["PaymentMethodRef"]["value"]
               for p in payments)


def test_invoices_span_the_last_90_days_with_terms_and_overdue_ones(sims, companies):
    creds = companies[("US", 0, "a")]
    today = sims.runtime.clock.now().date()
    invoices = rows(sims, creds, "Invoice")
    dates = [date.fromisoformat(i["TxnDate"]) for i in invoices]
    assert all(today - timedelta(days=91) <= d <= today + timedelta(days=1) for d in dates)
    assert max(dates) - min(dates) >= timedelta(days=75)
    with_terms = [i for i in invoices if i.get("SalesTermRef")]
    assert 0 < len(with_terms) < len(invoices)
    overdue = [i for i in invoices if i["Balance"] > 0 and date.fromisoformat(i["DueDate"]) < today - timedelta(days=1)]
    assert len(overdue) >= 3
    assert all(1 <= len([x for x in i["Line"] if x["DetailType"] == "SalesItemLineDetail"]) <= 4 for i in invoices)
    queried = rows(sims, creds, "Invoice", f"where DueDate < '{today.isoformat()}' and Balance > '0'")
    assert {i["Id"] for i in overdue} <= {i["Id"] for i in queried}


def test_estimates_and_sales_receipt(sims, companies):
    creds = companies[("GB", 3, "a")]
    estimates = rows(sims, creds, "Estimate")
    assert sorted(e["TxnStatus"] for e in estimates) == ["Accepted", "Pending"]
    assert all(e["TotalAmt"] > 0 and "Balance" not in e for e in estimates)
    receipts = rows(sims, creds, "SalesReceipt")
    assert len(receipts) == 1
    assert receipts[0]["Balance"] == 0 and receipts[0]["TotalAmt"] > 0
    assert receipts[0]["PaymentMethodRef"]["name"] == "Visa"
    invoice_numbers = {i["DocNumber"] for i in rows(sims, creds, "Invoice")}
    assert receipts[0]["DocNumber"] not in invoice_numbers  # one sequence for invoices and receipts


def test_customer_balance_is_open_invoices_minus_unapplied_payments(sims, companies):
    creds = companies[("GB", 3, "a")]
    expected: Counter = Counter()
    for inv in rows(sims, creds, "Invoice"):
        expected[inv["CustomerRef"]["value"]] += money(inv["Balance"])
    for p in rows(sims, creds, "Payment"):
        expected[p["CustomerRef"]["value"]] -= money(p["UnappliedAmt"])
    for c in rows(sims, creds, "Customer", "where Active in (true, false)"):
        assert money(c["Balance"]) == expected.get(c["Id"], Decimal(0)), c["DisplayName"]


# -- options and speed ---------------------------------------------------------------------------------

def test_seeding_follows_company_options(sims):
    creds = sims.new_qbo_company(country="US", seed="sample", seedNumber=1, customTxnNumbers=True,
                                 customFields=["Crew #"], revenueRecognition=True)
    invoices = rows(sims, creds, "Invoice")
    assert [i["DocNumber"] for i in invoices] == [str(n) for n in range(1001, 1021)]
    assert any(i["CustomField"] and i["CustomField"][0]["Name"] == "Crew #" for i in invoices)
    assert all(line["SalesItemLineDetail"].get("ServiceDate") for i in invoices for line in i["Line"]
               if line["DetailType"] == "SalesItemLineDetail")


def test_an_empty_company_stays_empty(sims):
    creds = sims.new_qbo_company(country="GB", seed="empty")
    assert query(sims, creds, "select count(*) from Customer")["totalCount"] == 0
    assert query(sims, creds, "select count(*) from Item")["totalCount"] == 2


def test_seeding_one_company_is_fast(sims):
    rt = sims.runtime
    realm = create_company(rt, {"country": "CA"})
    start = time.perf_counter()
    seed_sample(rt, realm, 7)
    assert time.perf_counter() - start < 3.0  # about 0.3 s on a laptop; the bound only catches regressions
