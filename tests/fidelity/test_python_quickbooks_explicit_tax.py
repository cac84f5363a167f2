"""An explicit tax amount on a US sales form, through python-quickbooks (rule F4; docs/decisions.md).

Intuit, "Using QuickBooks Online API for automated sales tax" (developer blog, 2017-12-11): "whenever an explicit tax
amount is sent in the transaction request the AST engine honors the amount". A US invoice or sales receipt whose
request carries ``TxnTaxDetail.TotalTax`` keeps it; without one, the tax is computed from the tax code as before.
Only a TotalTax the request itself sends counts: a sparse update without ``TxnTaxDetail`` recomputes the tax.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from quickbooks import QuickBooks
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.tax import TxnTaxDetail
from quickbooks.objects.taxcode import TaxCode
from sdk_helpers import item_line, new_customer, ref


def _tax_detail(total: float | None = None, code: str | None = None) -> TxnTaxDetail:
    detail = TxnTaxDetail()
    detail.TotalTax = total  # None: the SDK leaves it out of the request (its default is 0, which is sent)
    if code is not None:
        detail.TxnTaxCodeRef = ref(code)
    return detail


def _invoice(customer: Customer, detail: TxnTaxDetail | None, *amounts: float) -> Invoice:
    inv = Invoice()
    inv.CustomerRef = customer.to_ref()
    inv.Line = [item_line(a, tax_code="TAX") for a in amounts or (100,)]
    if detail is not None:
        inv.TxnTaxDetail = detail
    return inv


def _code(qb: QuickBooks, name: str) -> str:
    return TaxCode.filter(Name=name, qb=qb)[0].Id


@pytest.fixture
def customer(qb: QuickBooks) -> Customer:
    return new_customer(qb, "Tax Payer Inc")


def test_an_explicit_tax_amount_is_kept_and_the_totals_agree(qb: QuickBooks, customer: Customer) -> None:
    inv = _invoice(customer, _tax_detail(8.27), 60.10, 40.15).save(qb=qb)
    assert inv.TxnTaxDetail.TotalTax == 8.27
    assert inv.TotalAmt == 108.52 and inv.Balance == 108.52  # 100.25 of lines + 8.27, to the cent
    fresh = Invoice.get(inv.Id, qb=qb)
    assert (fresh.TxnTaxDetail.TotalTax, fresh.TotalAmt, fresh.Balance) == (8.27, 108.52, 108.52)


def test_an_explicit_amount_wins_over_the_tax_code(qb: QuickBooks, customer: Customer) -> None:
    california = _code(qb, "California")  # 7.25 %: 7.25 on 100 if QBO computed it
    inv = _invoice(customer, _tax_detail(9.99, california)).save(qb=qb)
    assert inv.TxnTaxDetail.TotalTax == 9.99 and inv.TotalAmt == 109.99
    assert inv.TxnTaxDetail.TxnTaxCodeRef.value == california
    # prorated across the code's rates: California has one, which takes it all
    assert [(t.Amount, t.TaxLineDetail.TaxPercent) for t in inv.TxnTaxDetail.TaxLine] == [(9.99, 7.25)]


def test_a_sales_receipt_keeps_its_explicit_tax(qb: QuickBooks, customer: Customer) -> None:
    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.Line = [item_line(250, tax_code="TAX")]
    receipt.TxnTaxDetail = _tax_detail(20.63)
    receipt = receipt.save(qb=qb)
    assert (receipt.TxnTaxDetail.TotalTax, receipt.TotalAmt, receipt.Balance) == (20.63, 270.63, 0)


def test_without_a_tax_amount_the_tax_is_computed_as_before(qb: QuickBooks, customer: Customer) -> None:
    california = _code(qb, "California")
    computed = _invoice(customer, _tax_detail(None, california), 100, 50).save(qb=qb)
    assert computed.TxnTaxDetail.TotalTax == 10.88  # 7.25 % of 150, rounded half up
    assert computed.TotalAmt == 160.88 and computed.Balance == 160.88
    untaxed = _invoice(customer, None).save(qb=qb)  # no TxnTaxDetail and no tax code: no tax
    assert untaxed.TxnTaxDetail.TotalTax == 0 and untaxed.TotalAmt == 100


def test_the_sdk_default_total_tax_of_zero_is_an_explicit_zero(qb: QuickBooks, customer: Customer) -> None:
    """python-quickbooks' TxnTaxDetail() starts at TotalTax 0 and sends it: QBO honours that zero."""
    inv = _invoice(customer, _tax_detail(0, _code(qb, "California"))).save(qb=qb)
    assert inv.TxnTaxDetail.TotalTax == 0 and inv.TotalAmt == 100


def test_a_sparse_update_without_tax_detail_recomputes_the_tax(qb: QuickBooks, customer: Customer) -> None:
    california = _code(qb, "California")
    inv = _invoice(customer, _tax_detail(9.99, california)).save(qb=qb)
    body = {"Id": inv.Id, "SyncToken": inv.SyncToken, "sparse": True, "PrivateNote": "memo only"}
    updated = qb.update_object("Invoice", json.dumps(body))["Invoice"]
    assert updated["TxnTaxDetail"]["TotalTax"] == 7.25  # the stored 9.99 was not sent again
    assert updated["TotalAmt"] == 107.25 and updated["Balance"] == 107.25
    body = {"Id": inv.Id, "SyncToken": updated["SyncToken"], "sparse": True,
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": california}, "TotalTax": 3}}
    updated = qb.update_object("Invoice", json.dumps(body))["Invoice"]
    assert (updated["TxnTaxDetail"]["TotalTax"], updated["TotalAmt"], updated["Balance"]) == (3, 103, 103)


def test_a_full_update_sends_its_tax_back_and_keeps_it(qb: QuickBooks, customer: Customer) -> None:
    inv = _invoice(customer, _tax_detail(4.5)).save(qb=qb)
    inv.PrivateNote = "full update"
    inv = inv.save(qb=qb)  # the SDK sends the whole invoice, TxnTaxDetail.TotalTax 4.5 included
    assert (inv.TxnTaxDetail.TotalTax, inv.TotalAmt, inv.Balance) == (4.5, 104.5, 104.5)


@pytest.mark.parametrize("country, code_name, computed", [("GB", "20.0% S", 20.0), ("CA", "GST", 5.0)])
def test_outside_the_us_an_explicit_amount_is_ignored(company: Callable, country: str, code_name: str,
                                                      computed: float) -> None:
    _, qb = company(country=country)
    customer = new_customer(qb, "Overseas Ltd")
    inv = Invoice()
    inv.CustomerRef = customer.to_ref()
    inv.Line = [item_line(100, tax_code=_code(qb, code_name))]
    inv.TxnTaxDetail = _tax_detail(99)
    inv = inv.save(qb=qb)
    assert inv.TxnTaxDetail.TotalTax == computed and inv.TotalAmt == 100 + computed
