"""Classes, departments, tax agencies, the tax service, attachments (with file uploads), time activities and company
currencies through python-quickbooks 0.9.12."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, UnsupportedException, ValidationException
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef
from quickbooks.objects.bill import Bill
from quickbooks.objects.companycurrency import CompanyCurrency
from quickbooks.objects.department import Department
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.taxservice import TaxRateDetails, TaxService
from quickbooks.objects.timeactivity import TimeActivity
from quickbooks.objects.trackingclass import Class
from quickbooks.objects.vendor import Vendor
from sdk_helpers import fault_code, item_line, new_customer, ref

from simulators.sims import QBO_URL


def _class(qb: QuickBooks, name: str, parent: Class | None = None) -> Class:
    c = Class()
    c.Name = name
    if parent is not None:
        c.ParentRef = parent.to_ref()
    return c.save(qb=qb)


# -- classes and departments -----------------------------------------------------------------------

def test_classes_nest_and_are_unique(qb: QuickBooks) -> None:
    landscaping = _class(qb, "Landscaping")
    design = _class(qb, "Design", landscaping)
    assert design.SubClass is True and design.FullyQualifiedName == "Landscaping:Design"
    assert landscaping.SubClass is False
    with pytest.raises(QuickbooksException) as exc:
        _class(qb, "landscaping")
    assert fault_code(exc) == "6240"
    with pytest.raises(ValidationException) as exc:
        Class().save(qb=qb)
    assert fault_code(exc) == "2020" and "Name" in exc.value.detail
    assert sorted(c.Name for c in Class.all(qb=qb)) == ["Design", "Landscaping"]


def test_name_lists_are_inactivated_not_deleted(qb: QuickBooks, qbo_company: dict) -> None:
    dept = Department()
    dept.Name = "Walnut Creek"
    dept = dept.save(qb=qb)
    url = f"{qb.api_url}/company/{qbo_company['realmId']}/department"
    with pytest.raises(UnsupportedException):
        qb.post(url, json.dumps({"Id": dept.Id, "SyncToken": dept.SyncToken}), params={"operation": "delete"})
    dept.Active = False
    dept.save(qb=qb)
    assert Department.all(qb=qb) == []
    assert [d.Name for d in Department.where("Active = false", qb=qb)] == ["Walnut Creek"]


def test_classes_on_lines_and_departments_on_the_header_must_exist(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Geeta Kalapatapu")
    landscaping = _class(qb, "Landscaping")
    inv = Invoice()
    inv.CustomerRef, inv.Line = customer.to_ref(), [item_line(100)]
    inv.Line[0].SalesItemLineDetail.ClassRef = ref("999")
    with pytest.raises(ValidationException) as exc:
        inv.save(qb=qb)
    assert fault_code(exc) == "2500"
    inv.Line[0].SalesItemLineDetail.ClassRef = landscaping.to_ref()
    inv.DepartmentRef = ref("77")
    with pytest.raises(ValidationException) as exc:
        inv.save(qb=qb)
    assert fault_code(exc) == "2500" and exc.value.message == "Invalid Reference Id"
    dept = Department()
    dept.Name = "Half Moon Bay"
    inv.DepartmentRef = dept.save(qb=qb).to_ref()
    saved = inv.save(qb=qb)
    assert saved.DepartmentRef.name == "Half Moon Bay"
    assert saved.Line[0].SalesItemLineDetail.ClassRef.name == "Landscaping"


# -- tax agencies and the tax service ---------------------------------------------------------------

def test_tax_agency_and_tax_service_create_a_code_with_a_new_rate(qb: QuickBooks, qbo_company: dict) -> None:
    agency = TaxAgency()
    agency.DisplayName = "Arizona Dept. of Revenue"
    agency = agency.save(qb=qb)
    assert agency.TaxTrackedOnSales is True
    url = f"{qb.api_url}/company/{qbo_company['realmId']}/taxagency"
    with pytest.raises(UnsupportedException):  # QBO has no update of a tax agency
        qb.post(url, json.dumps({"Id": agency.Id, "SyncToken": "0", "DisplayName": "AZ"}))
    detail = TaxRateDetails()
    detail.TaxRateName, detail.RateValue, detail.TaxAgencyId = "Tucson City", 2.6, agency.Id
    service = TaxService()
    service.TaxCode, service.TaxRateDetails = "Tucson", [detail]
    made = service.save(qb=qb)
    assert made.TaxCode == "Tucson" and made.TaxRateDetails[0].TaxRateName == "Tucson City"
    code = TaxCode.filter(Name="Tucson", qb=qb)[0]
    rate = TaxRate.get(made.TaxRateDetails[0].TaxRateId, qb=qb)
    assert rate.RateValue == 2.6 and rate.AgencyRef.value == agency.Id
    assert code.SalesTaxRateList.TaxRateDetail[0].TaxRateRef.value == rate.Id


def test_tax_service_refuses_an_unknown_agency_and_a_missing_code(qb: QuickBooks) -> None:
    detail = TaxRateDetails()
    detail.TaxRateName, detail.RateValue, detail.TaxAgencyId = "Nowhere", 1, "404"
    service = TaxService()
    service.TaxRateDetails = [detail]
    with pytest.raises(ValidationException) as exc:
        service.save(qb=qb)
    assert fault_code(exc) == "2020" and "TaxCode" in exc.value.detail
    service.TaxCode = "Nowhere"
    with pytest.raises(ValidationException) as exc:
        service.save(qb=qb)
    assert fault_code(exc) == "2500"


# -- attachments ------------------------------------------------------------------------------------

def _bill(qb: QuickBooks) -> Bill:
    vendor = Vendor()
    vendor.DisplayName = "Hicks Hardware"
    vendor = vendor.save(qb=qb)
    line = AccountBasedExpenseLine()
    line.Amount = 12
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = ref("8")
    b = Bill()
    b.VendorRef, b.Line = vendor.to_ref(), [line]
    return b.save(qb=qb)


def _attached_to(entity: Bill | Invoice, kind: str) -> AttachableRef:
    r = AttachableRef()
    r.EntityRef = ref(entity.Id)
    r.EntityRef.type = kind
    return r


def test_upload_a_file_attached_to_a_bill(qb: QuickBooks, qbo_company: dict) -> None:
    bill = _bill(qb)
    a = Attachable()
    a.FileName, a.ContentType = "receipt.pdf", "application/pdf"
    a._FileBytes = b"%PDF-1.4 receipt for twelve dollars"
    a.AttachableRef = [_attached_to(bill, "Bill")]
    saved = a.save(qb=qb)
    assert saved.FileName == "receipt.pdf" and saved.Size == len(a._FileBytes)
    assert saved.AttachableRef[0].EntityRef.value == bill.Id
    url = requests.get(f"{QBO_URL}/v3/company/{qbo_company['realmId']}/download/{saved.Id}",
                       headers={"Authorization": f"Bearer {qb.auth_client.access_token}"}, timeout=5).text
    file = requests.get(url, timeout=5)
    assert file.content == a._FileBytes and file.headers["Content-Type"] == "application/pdf"
    found = Attachable.where("FileName = 'receipt.pdf'", qb=qb)
    assert [f.Id for f in found] == [saved.Id]
    saved.delete(qb=qb)
    assert Attachable.all(qb=qb) == []


def test_a_note_attachment_and_its_rules(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Sushi by Katsuyuki")
    inv = Invoice()
    inv.CustomerRef, inv.Line = customer.to_ref(), [item_line(10)]
    inv = inv.save(qb=qb)
    empty = Attachable()
    empty.AttachableRef = [_attached_to(inv, "Invoice")]
    with pytest.raises(QuickbooksException) as exc:
        empty.save(qb=qb)
    assert fault_code(exc) == "6000" and "at least a note string or file attachment" in exc.value.detail
    empty.Note = "Gate code 1234"
    empty.AttachableRef = [_attached_to(inv, "Invoice")]
    empty.AttachableRef[0].EntityRef.value = "999"
    with pytest.raises(ValidationException) as exc:
        empty.save(qb=qb)
    assert fault_code(exc) == "2500"
    empty.AttachableRef = [_attached_to(inv, "Invoice")]
    saved = empty.save(qb=qb)
    assert saved.Note == "Gate code 1234" and saved.AttachableRef[0].EntityRef.type == "Invoice"


# -- time --------------------------------------------------------------------------------------------

def test_billable_time_for_a_customer(qb: QuickBooks, count: Callable, qbo_company: dict) -> None:
    customer = new_customer(qb, "Travis Waldron")
    emp = Employee()
    emp.DisplayName, emp.BillRate = "Emily Platt", 45
    emp = emp.save(qb=qb)
    t = TimeActivity()
    t.NameOf, t.EmployeeRef, t.CustomerRef, t.ItemRef = "Employee", emp.to_ref(), customer.to_ref(), ref("2")
    t.StartTime, t.EndTime, t.BreakMinutes = "2026-05-04T08:00:00-07:00", "2026-05-04T12:30:00-07:00", 30
    saved = t.save(qb=qb)
    assert (saved.Hours, saved.Minutes) == (4, 0)
    assert saved.BillableStatus == "Billable" and saved.HourlyRate == 45 and saved.ItemRef.name == "Hours"
    assert [x.Id for x in TimeActivity.filter(CustomerRef=customer.Id, qb=qb)] == [saved.Id]
    saved.delete(qb=qb)
    assert count(qbo_company["realmId"], "TimeActivity") == 0


def test_time_activity_rules(qb: QuickBooks) -> None:
    emp = Employee()
    emp.DisplayName = "Kate Whelan Helper"
    emp = emp.save(qb=qb)
    t = TimeActivity()
    t.EmployeeRef, t.Hours = emp.to_ref(), 2
    with pytest.raises(ValidationException) as exc:
        t.save(qb=qb)
    assert fault_code(exc) == "2020" and "NameOf" in exc.value.detail
    t.NameOf = "Vendor"
    with pytest.raises(ValidationException) as exc:
        t.save(qb=qb)
    assert fault_code(exc) == "2020" and "VendorRef" in exc.value.detail
    t.NameOf, t.BillableStatus = "Employee", "Billable"
    with pytest.raises(QuickbooksException) as exc:
        t.save(qb=qb)
    assert "needs a customer" in exc.value.detail
    t.BillableStatus, t.Hours = "NotBillable", None
    with pytest.raises(ValidationException) as exc:
        t.save(qb=qb)
    assert "Hours" in exc.value.detail


# -- company currencies ---------------------------------------------------------------------------------

def test_company_currencies_in_a_multicurrency_company(company: Callable) -> None:
    _, qb = company(multiCurrency=True)
    assert sorted(c.Code for c in CompanyCurrency.all(qb=qb)) == ["AUD", "CAD", "EUR", "GBP"]
    _, single = company()
    with pytest.raises(QuickbooksException) as exc:
        c = CompanyCurrency()
        c.Code = "EUR"
        c.save(qb=single)
    assert "Multicurrency is not enabled" in exc.value.detail


def test_an_invoice_bills_time_once(qb: QuickBooks) -> None:
    customer = new_customer(qb, "Weiskopf Consulting")
    emp = Employee()
    emp.DisplayName, emp.BillRate = "John Johnson", 60
    emp = emp.save(qb=qb)
    t = TimeActivity()
    t.NameOf, t.EmployeeRef, t.CustomerRef, t.Hours = "Employee", emp.to_ref(), customer.to_ref(), 2
    time = t.save(qb=qb)
    inv = Invoice()
    inv.CustomerRef, inv.Line = customer.to_ref(), [item_line(120, item_id="2", qty=2, price=60)]
    inv.Line[0].LinkedTxn = [{"TxnId": time.Id, "TxnType": "TimeActivity"}]
    inv = inv.save(qb=qb)
    billed = TimeActivity.get(time.Id, qb=qb)
    assert billed.BillableStatus == "HasBeenBilled"
    billed.BillableStatus = "Billable"  # a full update cannot unbill it
    assert billed.save(qb=qb).BillableStatus == "HasBeenBilled"
    again = Invoice()
    again.CustomerRef, again.Line = customer.to_ref(), [item_line(120)]
    again.Line[0].LinkedTxn = [{"TxnId": time.Id, "TxnType": "TimeActivity"}]
    with pytest.raises(QuickbooksException) as exc:
        again.save(qb=qb)
    assert "already billed" in exc.value.detail
    inv.delete(qb=qb)
    assert TimeActivity.get(time.Id, qb=qb).BillableStatus == "Billable"
