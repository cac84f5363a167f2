"""Batch, change data capture, void, delete, send, preferences, company info and requestid through
python-quickbooks 0.9.12 (API notes §1, §3, §4, §5 Preferences/CompanyInfo, §10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from quickbooks import QuickBooks
from quickbooks.batch import batch_create, batch_delete, batch_update
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import GeneralException, ObjectNotFoundException, QuickbooksException, UnsupportedException
from quickbooks.helpers import qb_datetime_format
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.vendor import Vendor
from sdk_helpers import item_line, new_customer

from simulators.quickbooks.company import Company
from simulators.sims import Simulators


def _customer(name: str) -> Customer:
    c = Customer()
    c.DisplayName = name
    return c


def _txn(qb: QuickBooks, cls: type, customer: Customer, *amounts: float) -> object:
    t = cls()
    t.CustomerRef = customer.to_ref()
    t.Line = [item_line(a) for a in amounts]
    return t.save(qb=qb)


def _pay(qb: QuickBooks, customer: Customer, total: float, *applied: tuple[Invoice, float]) -> Payment:
    p = Payment()
    p.CustomerRef, p.TotalAmt = customer.to_ref(), total
    lines = []
    for inv, amount in applied:
        line = PaymentLine()
        line.Amount, line.LinkedTxn = amount, [inv.to_linked_txn()]
        lines.append(line)
    p.Line = lines
    return p.save(qb=qb)


# -- batch -----------------------------------------------------------------------------------------

def test_batch_create_update_delete(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    realm = qbo_company["realmId"]
    created = batch_create([_customer("Batch A"), _customer("Batch B"), _customer("Batch C")], qb=qb)
    assert created.faults == []
    assert sorted(c.DisplayName for c in created.successes) == ["Batch A", "Batch B", "Batch C"]
    assert all(c.SyncToken == "0" for c in created.successes)
    assert count(realm, "Customer") == 3

    for c in created.successes:
        c.Notes = f"note for {c.DisplayName}"
    updated = batch_update(created.successes, qb=qb)
    assert updated.faults == []
    assert sorted((c.Notes, c.SyncToken) for c in updated.successes) == [
        ("note for Batch A", "1"), ("note for Batch B", "1"), ("note for Batch C", "1")]

    customer = updated.successes[0]
    invoices = [_txn(qb, Invoice, customer, n) for n in (10, 20)]
    deleted = batch_delete(invoices, qb=qb)
    assert deleted.faults == []
    assert sorted(i.Id for i in deleted.successes) == sorted(i.Id for i in invoices)
    assert {i.status for i in deleted.successes} == {"Deleted"}
    assert count(realm, "Invoice") == 0


def test_batch_partial_failure_lands_in_faults(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    """One duplicate DisplayName (I1) fails alone; the other items succeed [SPIKE 9 ok + 1 fault]."""
    taken = new_customer(qb, "Already Here")
    result = batch_create([_customer("Fresh One"), _customer("Already Here"), _customer("Fresh Two")], qb=qb)
    assert sorted(c.DisplayName for c in result.successes) == ["Fresh One", "Fresh Two"]
    [fault] = result.faults
    assert fault.type == "ValidationFault"
    assert fault.original_object.DisplayName == "Already Here"
    [error] = fault.Error
    assert error.code == "6240"
    assert error.Message == "Duplicate Name Exists Error"
    assert error.Detail == f"The name supplied already exists. : Id={taken.Id}"
    assert count(qbo_company["realmId"], "Customer") == 3

    # A stale SyncToken in one update item (I5) fails only that item.
    fresh_one, fresh_two = sorted(result.successes, key=lambda c: c.DisplayName)
    fresh_one.Notes, fresh_two.Notes = "ok", "stale"
    fresh_two.SyncToken = "7"
    updated = batch_update([fresh_one, fresh_two], qb=qb)
    assert [c.Notes for c in updated.successes] == ["ok"]
    assert [e.code for f in updated.faults for e in f.Error] == ["5010"]
    assert not Customer.get(fresh_two.Id, qb=qb).Notes


def test_batch_query_and_size_limit(qb: QuickBooks) -> None:
    new_customer(qb, "Queried")
    reply = qb.batch_operation(json.dumps({"BatchItemRequest": [
        {"bId": "q1", "Query": "select * from Customer where DisplayName = 'Queried'"},
        {"bId": "v1", "operation": "create", "Vendor": {"DisplayName": "Queried"}},
    ]}))
    by_id = {r["bId"]: r for r in reply["BatchItemResponse"]}
    assert [c["DisplayName"] for c in by_id["q1"]["QueryResponse"]["Customer"]] == ["Queried"]
    assert by_id["v1"]["Fault"]["Error"][0]["code"] == "6240"  # names are shared with vendors
    too_many = [{"bId": str(i), "operation": "create", "Vendor": {"DisplayName": f"V{i}"}} for i in range(31)]
    with pytest.raises(GeneralException) as exc:
        qb.batch_operation(json.dumps({"BatchItemRequest": too_many}))
    assert exc.value.error_code == 1040
    assert Vendor.count(qb=qb) == 0


# -- change data capture ---------------------------------------------------------------------------

def test_cdc_lists_changes_and_deleted_invoice(sims: Simulators, qb: QuickBooks, qbo_company: dict) -> None:
    since = Company(sims.runtime, qbo_company["realmId"]).now() - timedelta(minutes=5)
    customer = new_customer(qb, "CDC Customer")
    kept = _txn(qb, Invoice, customer, 40)
    gone = _txn(qb, Invoice, customer, 50)
    gone.delete(qb=qb)

    cdc = change_data_capture([Customer, Invoice, Vendor], qb_datetime_format(since), qb=qb)
    assert [c.DisplayName for c in cdc.Customer] == ["CDC Customer"]
    invoices = {i.Id: i for i in cdc.Invoice}
    assert set(invoices) == {kept.Id, gone.Id}
    assert invoices[kept.Id].TotalAmt == 40.0
    assert invoices[gone.Id].status == "Deleted"
    assert invoices[gone.Id].domain == "QBO"
    assert not hasattr(cdc, "Vendor")  # nothing changed: an empty block, no Vendor list

    later = change_data_capture([Invoice], Company(sims.runtime, qbo_company["realmId"]).now() + timedelta(1), qb=qb)
    assert not hasattr(later, "Invoice")


# -- void and delete -------------------------------------------------------------------------------

def test_void_invoice(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Void Invoice")
    inv = _txn(qb, Invoice, customer, 70, 30)
    reply = inv.void(qb=qb)["Invoice"]
    assert reply["TotalAmt"] == 0 and reply["Balance"] == 0
    assert reply["PrivateNote"] == "Voided"
    assert reply["SyncToken"] == "1" and reply["DocNumber"] == inv.DocNumber
    assert [line["Amount"] for line in reply["Line"]] == [0, 0, 0]
    assert Invoice.get(inv.Id, qb=qb).TotalAmt == 0
    assert Customer.get(customer.Id, qb=qb).Balance == 0


def test_void_payment_restores_invoice_balance(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Void Payment")
    inv = _txn(qb, Invoice, customer, 100)
    pay = _pay(qb, customer, 100, (inv, 100))
    assert Invoice.get(inv.Id, qb=qb).Balance == 0
    reply = pay.void(qb=qb)["Payment"]
    assert reply["TotalAmt"] == 0 and "Voided" in reply["PrivateNote"]
    assert reply["SyncToken"] == "1"
    restored = Invoice.get(inv.Id, qb=qb)
    assert restored.Balance == 100.0 and restored.LinkedTxn == []
    assert Customer.get(customer.Id, qb=qb).Balance == 100.0


def test_void_sales_receipt(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Void Receipt")
    receipt = _txn(qb, SalesReceipt, customer, 45)
    reply = receipt.void(qb=qb)["SalesReceipt"]
    assert reply["TotalAmt"] == 0 and reply["PrivateNote"] == "Voided"
    assert SalesReceipt.get(receipt.Id, qb=qb).TotalAmt == 0


def test_void_unsupported_entity(qb: QuickBooks) -> None:
    customer = new_customer(qb, "No Void")
    estimate = _txn(qb, Estimate, customer, 10)
    url = f"{qb.api_url}/company/{qb.company_id}/estimate"
    with pytest.raises(UnsupportedException) as exc:
        qb.post(url, json.dumps({"Id": estimate.Id, "SyncToken": "0"}), params={"operation": "void"})
    assert (exc.value.error_code, exc.value.message, exc.value.detail) == (
        500, "Unsupported Operation", "Operation void is not supported.")


@pytest.mark.parametrize("cls", [Invoice, CreditMemo, SalesReceipt, Estimate, Payment])
def test_delete_transaction(qb: QuickBooks, qbo_company: dict, count: Callable, cls: type) -> None:
    customer = new_customer(qb, f"Delete {cls.__name__}")
    if cls is Payment:
        txn = _pay(qb, customer, 25)
    else:
        txn = _txn(qb, cls, customer, 25)
    reply = txn.delete(qb=qb)
    assert reply[cls.qbo_object_name] == {"status": "Deleted", "domain": "QBO", "Id": txn.Id}
    assert count(qbo_company["realmId"], cls.qbo_object_name) == 0
    assert cls.filter(Id=txn.Id, qb=qb) == []
    with pytest.raises(ObjectNotFoundException) as exc:
        cls.get(txn.Id, qb=qb)
    assert exc.value.error_code == 610
    assert exc.value.detail == "Object Not Found : Another user has deleted this transaction."
    assert Customer.get(customer.Id, qb=qb).Balance == 0


# -- send ------------------------------------------------------------------------------------------

def test_send_invoice(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Send Me")
    inv = _txn(qb, Invoice, customer, 15)
    reply = inv.send(qb=qb, send_to="billing+1@example.com")["Invoice"]
    assert reply["EmailStatus"] == "EmailSent"
    assert reply["BillEmail"]["Address"] == "billing+1@example.com"
    assert reply["DeliveryInfo"]["DeliveryType"] == "Email"
    assert reply["SyncToken"] == "1"
    with pytest.raises(QuickbooksException) as exc:
        _txn(qb, Invoice, customer, 5).send(qb=qb)  # no BillEmail and no sendTo
    assert (exc.value.error_code, exc.value.message) == (6420, "Email Address required")


# -- preferences and company info ------------------------------------------------------------------

def test_preferences_get_and_save(qb: QuickBooks) -> None:
    prefs = Preferences.get(qb=qb)
    assert prefs.Id == "1"
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is False
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    token = prefs.SyncToken
    prefs.SalesFormsPrefs.CustomTxnNumbers = True
    saved = prefs.save(qb=qb)
    assert saved.SalesFormsPrefs.CustomTxnNumbers is True
    assert int(saved.SyncToken) == int(token) + 1
    assert Preferences.get(qb=qb).SalesFormsPrefs.CustomTxnNumbers is True
    # With custom numbers on, an invoice without DocNumber gets none (I2).
    customer = new_customer(qb, "Prefs Customer")
    assert _txn(qb, Invoice, customer, 1).DocNumber is None


def test_company_info(qb: QuickBooks, qbo_company: dict) -> None:
    info = CompanyInfo.get(qbo_company["realmId"], qb=qb)
    assert info.Country == "US"
    assert info.CompanyName.startswith("Sandbox Company_US")
    assert info.CompanyAddr.Country == "USA"
    assert info.FiscalYearStartMonth == "January"
    names = {nv["Name"] if isinstance(nv, dict) else nv.Name for nv in info.NameValue}
    assert {"NeoEnabled", "SubscriptionStatus", "OfferingSku"} <= names


# -- requestid -------------------------------------------------------------------------------------

def test_requestid_makes_a_create_idempotent(qb: QuickBooks, qbo_company: dict, count: Callable) -> None:
    realm = qbo_company["realmId"]
    first = _customer("Once Only").save(qb=qb, request_id="req-customer-1")
    second = _customer("Once Only").save(qb=qb, request_id="req-customer-1")
    assert first.Id == second.Id
    assert count(realm, "Customer") == 1

    customer = Customer.get(first.Id, qb=qb)
    inv = Invoice()
    inv.CustomerRef, inv.Line = customer.to_ref(), [item_line(12)]
    a = inv.save(qb=qb, request_id="req-invoice-1")
    b = inv.save(qb=qb, request_id="req-invoice-1")  # the same object again: replayed, not an update
    assert a.Id == b.Id and b.SyncToken == "0"
    assert count(realm, "Invoice") == 1
    assert Customer.get(first.Id, qb=qb).Balance == 12.0
    other = _customer("Another").save(qb=qb, request_id="req-customer-2")
    assert other.Id != first.Id
