"""Multi-currency companies (rule I8, F7): currency list, exchange rates, one currency per customer."""

from __future__ import annotations

import requests

from simulators.sims import QBO_URL


def _company(sims, **options) -> tuple[str, dict]:
    c = sims.new_qbo_company(country="US", seed="empty", **options)
    return f"{QBO_URL}/v3/company/{c['realmId']}", {"Authorization": f"Bearer {c['accessToken']}",
                                                   "Accept": "application/json"}


def test_foreign_currency_invoice_takes_the_companys_rate(sims):
    base, auth = _company(sims, multiCurrency=True)
    rate = requests.get(f"{base}/exchangerate", params={"sourcecurrencycode": "EUR"}, headers=auth).json()
    assert rate["ExchangeRate"]["TargetCurrencyCode"] == "USD" and rate["ExchangeRate"]["Rate"] == 1.08
    codes = requests.post(f"{base}/query", data="select * from CompanyCurrency",
                          headers={**auth, "Content-Type": "application/text"}).json()["QueryResponse"]
    assert {c["Code"] for c in codes["CompanyCurrency"]} == {"EUR", "GBP", "CAD", "AUD"}
    cust = requests.post(f"{base}/customer", json={"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}},
                         headers=auth).json()["Customer"]
    line = {"Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    inv = requests.post(f"{base}/invoice", json={"CustomerRef": {"value": cust["Id"]}, "Line": [line]},
                        headers=auth).json()["Invoice"]
    assert inv["CurrencyRef"]["value"] == "EUR" and inv["ExchangeRate"] == 1.08 and inv["HomeTotalAmt"] == 108.0
    wrong = requests.post(f"{base}/invoice", json={"CustomerRef": {"value": cust["Id"]}, "Line": [line],
                                                   "CurrencyRef": {"value": "USD"}}, headers=auth).json()
    assert wrong["Fault"]["Error"][0]["code"] == "6000" and "must match the currency of the customer" in \
        wrong["Fault"]["Error"][0]["Detail"]


def test_a_currency_outside_the_list_is_refused(sims):
    base, auth = _company(sims, multiCurrency=True)
    r = requests.post(f"{base}/customer", json={"DisplayName": "Yen KK", "CurrencyRef": {"value": "JPY"}},
                      headers=auth).json()
    assert r["Fault"]["Error"][0]["code"] == "6000" and "currency list" in r["Fault"]["Error"][0]["Detail"]
    missing = requests.get(f"{base}/exchangerate", params={"sourcecurrencycode": "JPY"}, headers=auth)
    assert missing.status_code == 400 and missing.json()["Fault"]["Error"][0]["code"] == "610"


def test_single_currency_company_has_no_currency_list(sims):
    base, auth = _company(sims)
    r = requests.post(f"{base}/companycurrency", json={"Code": "EUR"}, headers=auth).json()
    assert r["Fault"]["Error"][0]["Detail"] == "Business Validation Error: Multicurrency is not enabled for this " \
        "company."
