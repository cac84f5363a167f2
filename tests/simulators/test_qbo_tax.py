"""Tax on sales forms (rules I3, F4): each line taxed at its own code's rate, one TaxLine per rate."""

from __future__ import annotations

import requests

from simulators.sims import QBO_URL


def _setup(sims, country: str) -> tuple[str, dict, dict]:
    c = sims.new_qbo_company(country=country, seed="empty")
    base = f"{QBO_URL}/v3/company/{c['realmId']}"
    auth = {"Authorization": f"Bearer {c['accessToken']}", "Accept": "application/json"}
    cust = requests.post(f"{base}/customer", json={"DisplayName": "Tax Payer Ltd"}, headers=auth).json()["Customer"]
    rows = requests.post(f"{base}/query", data="select * from TaxCode", headers={**auth, "Content-Type":
                         "application/text"}).json()["QueryResponse"]["TaxCode"]
    return base, auth, {"customer": cust["Id"], **{r["Name"]: r["Id"] for r in rows}}


def _line(amount: float, code: str) -> dict:
    return {"Amount": amount, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": code}}}


def test_gb_invoice_with_standard_and_reduced_vat_lines(sims):
    base, auth, ids = _setup(sims, "GB")
    body = {"CustomerRef": {"value": ids["customer"]},
            "Line": [_line(100, ids["20.0% S"]), _line(100, ids["5.0% R"]), _line(50, ids["0.0% Z"])]}
    inv = requests.post(f"{base}/invoice", json=body, headers=auth).json()["Invoice"]
    assert inv["TxnTaxDetail"]["TotalTax"] == 25.0
    assert sorted(t["Amount"] for t in inv["TxnTaxDetail"]["TaxLine"]) == [5.0, 20.0]
    assert inv["TotalAmt"] == 275.0 and inv["Balance"] == 275.0
    assert inv["GlobalTaxCalculation"] == "TaxExcluded"


def test_tax_inclusive_amounts_already_hold_the_vat(sims):
    base, auth, ids = _setup(sims, "GB")
    body = {"CustomerRef": {"value": ids["customer"]}, "GlobalTaxCalculation": "TaxInclusive",
            "Line": [_line(120, ids["20.0% S"])]}
    inv = requests.post(f"{base}/invoice", json=body, headers=auth).json()["Invoice"]
    assert inv["TxnTaxDetail"]["TotalTax"] == 20.0
    assert inv["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 100.0
    assert inv["TotalAmt"] == 120.0


def test_us_sales_tax_applies_to_taxable_lines_only(sims):
    base, auth, ids = _setup(sims, "US")
    body = {"CustomerRef": {"value": ids["customer"]}, "TxnTaxDetail": {"TxnTaxCodeRef": {"value": ids["California"]}},
            "Line": [_line(100, "TAX"), _line(100, "NON")]}
    inv = requests.post(f"{base}/invoice", json=body, headers=auth).json()["Invoice"]
    assert inv["TxnTaxDetail"]["TotalTax"] == 7.25  # 7.25 % of the one taxable line
    assert inv["TotalAmt"] == 207.25
