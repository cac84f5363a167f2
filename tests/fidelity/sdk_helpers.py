"""Small builders shared by the python-quickbooks fidelity tests."""

from __future__ import annotations

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail

REDIRECT = "http://localhost/cb"


def connect(creds: dict) -> QuickBooks:
    """A python-quickbooks client as an app builds it: AuthClient on 'sandbox', refresh at construction."""
    auth = AuthClient(creds["clientId"], creds["clientSecret"], REDIRECT, "sandbox")
    return QuickBooks(auth_client=auth, refresh_token=creds["refreshToken"], company_id=creds["realmId"],
                      minorversion=75)


def ref(value: str, name: str = "") -> Ref:
    r = Ref()
    r.value = value
    r.name = name
    return r


def item_line(amount: float, item_id: str = "1", qty: float = 0, price: float = 0,
              tax_code: str | None = None, service_date: str | None = None) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item_id)
    line.SalesItemLineDetail.Qty = qty
    line.SalesItemLineDetail.UnitPrice = price
    if tax_code is not None:
        line.SalesItemLineDetail.TaxCodeRef = ref(tax_code)
    if service_date is not None:
        line.SalesItemLineDetail.ServiceDate = service_date
    return line


def new_customer(qb: QuickBooks, name: str, **fields: object) -> Customer:
    c = Customer()
    c.DisplayName = name
    for k, v in fields.items():
        setattr(c, k, v)
    return c.save(qb=qb)


def fault_code(exc: pytest.ExceptionInfo) -> str:
    """The QBO error code of a refusal python-quickbooks raised."""
    return str(exc.value.error_code)
