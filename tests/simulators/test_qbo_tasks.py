"""QuickBooks Online Advanced's task manager (rule I9, legacy; F14): approval of draft invoices sent from HubSpot and
the four standard reminder workflows, computed at the virtual clock's time on ``GET /_sim/quickbooks/<realm>/tasks``.

The company's time zone is America/Los_Angeles; the clock starts on Monday 2026-01-12 at 09:00 there.
"""

from __future__ import annotations

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.base import Ref
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice

from simulators.quickbooks.tasks import DRAFT_FROM_HUBSPOT
from simulators.sims import QBO_URL, Simulators

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-12T17:00:00Z")
DAY = 86_400
TODAY = "2026-01-12"


class Books:
    """One company through plain requests: its v3 API and its task list."""

    def __init__(self, sims: Simulators, **options: object) -> None:
        self.sims = sims
        self.creds = sims.new_qbo_company(country="US", seed="empty", **options)
        self.realm = self.creds["realmId"]
        self.base = f"{QBO_URL}/v3/company/{self.realm}"
        self.refresh_token = self.creds["refreshToken"]
        self.auth = {"Authorization": f"Bearer {self.creds['accessToken']}", "Accept": "application/json"}
        self.customer = self.post("customer", {"DisplayName": "Acme Ltd", "PrimaryEmailAddr": {
            "Address": "ap@acme.example"}})["Id"]

    def post(self, name: str, body: dict, **params: str) -> dict:
        r = requests.post(f"{self.base}/{name}", json=body, headers=self.auth, params=params, timeout=10)
        assert r.status_code == 200, r.text
        return next(v for k, v in r.json().items() if k != "time")

    def invoice(self, amount: float = 100, **fields: object) -> dict:
        line = {"Amount": amount, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
        return self.post("invoice", {"CustomerRef": {"value": self.customer}, "Line": [line], **fields})

    def payment(self, amount: float, invoice: dict | None = None, **fields: object) -> dict:
        lines = [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}] if invoice else []
        return self.post("payment", {"CustomerRef": {"value": self.customer}, "TotalAmt": amount, "Line": lines,
                                     **fields})

    def advance(self, seconds: float) -> None:
        """Move the simulators' clock through the admin API, then refresh the access token (it lives an hour)."""
        r = requests.post(f"{QBO_URL}/_sim/clock", json={"advance": seconds}, timeout=10)
        assert r.status_code == 200
        app = (self.creds["clientId"], self.creds["clientSecret"])
        r = requests.post(f"{QBO_URL}/oauth2/v1/tokens/bearer", auth=app,
                          data={"grant_type": "refresh_token", "refresh_token": self.refresh_token}, timeout=10)
        assert r.status_code == 200, r.text
        self.refresh_token = r.json()["refresh_token"]  # QBO rotates refresh tokens
        self.auth["Authorization"] = f"Bearer {r.json()['access_token']}"

    def sdk(self) -> QuickBooks:
        """python-quickbooks on this company, as an app builds it; it takes over the (rotated) refresh token."""
        auth = AuthClient(self.creds["clientId"], self.creds["clientSecret"], "http://localhost/cb", "sandbox")
        qb = QuickBooks(auth_client=auth, refresh_token=self.refresh_token, company_id=self.realm, minorversion=75)
        self.refresh_token = auth.refresh_token
        self.auth["Authorization"] = f"Bearer {auth.access_token}"
        return qb

    def response(self) -> requests.Response:
        return requests.get(f"{QBO_URL}/_sim/quickbooks/{self.realm}/tasks", timeout=10)

    def tasks(self, workflow: str | None = None) -> list[dict]:
        r = self.response()
        assert r.status_code == 200, r.text
        return [t for t in r.json()["tasks"] if workflow is None or t["workflow"] == workflow]

    def due(self, workflow: str) -> dict[str, str]:
        """entity id → due date of the workflow's tasks."""
        return {t["entity"]["id"]: t["dueDate"] for t in self.tasks(workflow)}


@pytest.fixture
def books(sims: Simulators) -> Books:
    return Books(sims, edition="advanced")


# -- editions --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("edition", "sku"), [
    (None, "QuickBooks Online Plus"), ("simple", "QuickBooks Online Simple Start"),
    ("essentials", "QuickBooks Online Essentials"), ("plus", "QuickBooks Online Plus")])
def test_only_advanced_companies_have_a_task_manager(sims: Simulators, edition: str | None, sku: str) -> None:
    co = Books(sims, **({"edition": edition} if edition else {}))
    co.invoice(PrivateNote=f"{DRAFT_FROM_HUBSPOT}: deal 42")
    r = co.response()
    assert r.status_code == 404
    assert r.json() == {"error": f"The task manager needs QuickBooks Online Advanced; this company is on {sku}."}
    info = requests.get(f"{co.base}/companyinfo/1", headers=co.auth, timeout=10).json()["CompanyInfo"]
    assert {"Name": "OfferingSku", "Value": sku} in info["NameValue"]


def test_an_advanced_company(books: Books) -> None:
    r = books.response()
    assert r.status_code == 200
    assert r.json() == {"realmId": books.realm, "edition": "advanced", "asOf": "2026-01-12T09:00:00-08:00",
                        "tasks": []}
    info = requests.get(f"{books.base}/companyinfo/1", headers=books.auth, timeout=10).json()["CompanyInfo"]
    assert {"Name": "OfferingSku", "Value": "QuickBooks Online Advanced"} in info["NameValue"]
    state = requests.get(f"{QBO_URL}/_sim/state", params={"realmId": books.realm}, timeout=10).json()
    assert state["settings"]["edition"] == "advanced"


def test_unknown_realms_and_editions(sims: Simulators, hubspot_portal: dict) -> None:
    for realm in ("123", hubspot_portal["portalId"]):
        r = requests.get(f"{QBO_URL}/_sim/quickbooks/{realm}/tasks", timeout=10)
        assert r.status_code == 404 and r.json() == {"error": f"no tenant {realm}"}
    r = requests.post(f"{QBO_URL}/_sim/tenants", json={"seed": "empty", "edition": "enterprise"}, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "bad tenant options: edition must be one of simple, essentials, plus, advanced"}


# -- approve draft invoice -------------------------------------------------------------------------

def test_drafts_from_hubspot_wait_for_approval_until_sent(books: Books) -> None:
    """F14: an invoice created from HubSpot is not sent on its own; the task goes once it is sent."""
    qb = books.sdk()
    inv = Invoice()
    inv.CustomerRef = Ref()
    inv.CustomerRef.value = books.customer
    line = SalesItemLine()
    line.Amount = 250
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = "1"
    inv.Line = [line]
    inv.PrivateNote = f"{DRAFT_FROM_HUBSPOT} — deal 1042"
    inv = inv.save(qb=qb)
    books.invoice(PrivateNote="Entered by hand")
    books.invoice(PrivateNote=f"Copy of {DRAFT_FROM_HUBSPOT}")  # the prefix must start the note
    assert books.tasks() == [{
        "id": f"approve_draft_invoice-invoice-{inv.Id}", "workflow": "approve_draft_invoice",
        "title": f"Approve draft invoice {inv.DocNumber} for Acme Ltd from HubSpot",
        "entity": {"type": "Invoice", "id": inv.Id}, "dueDate": TODAY}]
    books.advance(2 * DAY)
    assert books.due("approve_draft_invoice") == {inv.Id: TODAY}  # still waiting; due since it was created
    inv.send(qb=books.sdk())
    assert books.tasks("approve_draft_invoice") == []


def test_a_voided_draft_needs_no_approval(books: Books) -> None:
    draft = books.invoice(PrivateNote=DRAFT_FROM_HUBSPOT)
    books.post("invoice", {"Id": draft["Id"], "SyncToken": draft["SyncToken"]}, operation="void")
    books.advance(10 * DAY)
    assert books.tasks() == []


# -- payment reminder ------------------------------------------------------------------------------

def test_payment_reminder_once_an_open_invoice_is_past_due(books: Books) -> None:
    due_today = books.invoice(100, EmailStatus="EmailSent")
    net_15 = books.invoice(100, EmailStatus="EmailSent", SalesTermRef={"value": "2"})
    assert net_15["DueDate"] == "2026-01-27"
    assert books.due("payment_reminder") == {}  # due today is not past due
    books.advance(DAY)
    assert books.due("payment_reminder") == {due_today["Id"]: "2026-01-13"}
    books.payment(40, due_today)
    assert books.due("payment_reminder") == {due_today["Id"]: "2026-01-13"}  # a balance is still open
    books.advance(15 * DAY)
    assert books.due("payment_reminder") == {due_today["Id"]: "2026-01-13", net_15["Id"]: "2026-01-28"}
    books.payment(60, due_today)
    assert books.due("payment_reminder") == {net_15["Id"]: "2026-01-28"}


# -- vendor payment reminder -----------------------------------------------------------------------

def test_vendor_payment_reminder_for_a_bill_past_due(sims: Simulators, books: Books) -> None:
    vendor = books.post("vendor", {"DisplayName": "Paper Co"})
    supplies = books.post("account", {"Name": "Supplies", "AccountType": "Expense"})
    for bid, paid, due in ((1, 0, "2026-01-10"), (2, 80, "2026-01-10"), (3, 30, "2026-01-20")):
        line = {"Amount": 80, "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": supplies["Id"]}}}
        bill = books.post("bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": f"B-{bid}",
                                   "TxnDate": "2026-01-02", "DueDate": due, "Line": [line]})
        if paid:
            books.post("billpayment", {"VendorRef": {"value": vendor["Id"]}, "PayType": "Check", "TotalAmt": paid,
                                       "CheckPayment": {"BankAccountRef": {"value": "1"}},
                                       "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": bill["Id"],
                                                                                "TxnType": "Bill"}]}]})
    assert books.tasks("vendor_payment_reminder") == [{
        "id": "vendor_payment_reminder-bill-1", "workflow": "vendor_payment_reminder",
        "title": "Vendor payment reminder: bill B-1 from Paper Co is past due",
        "entity": {"type": "Bill", "id": "1"}, "dueDate": "2026-01-11"}]
    books.advance(9 * DAY)
    assert books.due("vendor_payment_reminder") == {"1": "2026-01-11", "3": "2026-01-21"}


# -- bank deposit reminder -------------------------------------------------------------------------

def test_bank_deposit_reminder_for_payments_left_in_undeposited_funds(books: Books) -> None:
    invoice = books.invoice(300, EmailStatus="EmailSent", SalesTermRef={"value": "3"})
    undeposited = books.payment(100, invoice)  # no DepositToAccountRef: Undeposited Funds, QBO's default
    named = books.payment(100, invoice, DepositToAccountRef={"value": "2"})  # Undeposited Funds by name
    books.payment(100, invoice, DepositToAccountRef={"value": "1"})  # straight into Checking
    books.advance(DAY)
    assert books.tasks("bank_deposit_reminder") == []  # one day old is not older than one day
    books.advance(1)
    assert books.tasks("bank_deposit_reminder") == [
        {"id": f"bank_deposit_reminder-payment-{p['Id']}", "workflow": "bank_deposit_reminder",
         "title": f"Bank deposit reminder: deposit the payment {p['Id']} from Acme Ltd",
         "entity": {"type": "Payment", "id": p["Id"]}, "dueDate": "2026-01-13"} for p in (undeposited, named)]
    books.post("payment", {"Id": named["Id"], "SyncToken": named["SyncToken"], "sparse": True,
                           "DepositToAccountRef": {"value": "1"}})
    books.post("payment", {"Id": undeposited["Id"], "SyncToken": undeposited["SyncToken"], "sparse": True},
               operation="update", include="void")
    assert books.tasks("bank_deposit_reminder") == []


# -- unsent invoice reminder -----------------------------------------------------------------------

def test_unsent_invoice_reminder_after_three_days(books: Books) -> None:
    not_set = books.invoice(100, SalesTermRef={"value": "4"})
    assert not_set["EmailStatus"] == "NotSet"
    need_to_send = books.invoice(100, SalesTermRef={"value": "4"}, EmailStatus="NeedToSend",
                                 BillEmail={"Address": "ap@acme.example"})
    books.invoice(100, SalesTermRef={"value": "4"}, EmailStatus="EmailSent")
    books.advance(3 * DAY)
    assert books.tasks() == []  # three days old is not more than three days
    books.advance(1)
    assert books.tasks() == [
        {"id": f"unsent_invoice_reminder-invoice-{i['Id']}", "workflow": "unsent_invoice_reminder",
         "title": f"Send invoice {i['DocNumber']} for Acme Ltd", "entity": {"type": "Invoice", "id": i["Id"]},
         "dueDate": "2026-01-15"} for i in (not_set, need_to_send)]
    requests.post(f"{books.base}/invoice/{not_set['Id']}/send", headers=books.auth, timeout=10).raise_for_status()
    assert books.due("unsent_invoice_reminder") == {need_to_send["Id"]: "2026-01-15"}


# -- all together ----------------------------------------------------------------------------------

def test_tasks_are_ordered_by_due_date_then_workflow(books: Books) -> None:
    """A draft from HubSpot nobody approved, left unpaid and unsent: three workflows, one invoice."""
    draft = books.invoice(PrivateNote=DRAFT_FROM_HUBSPOT)
    paid_cash = books.payment(20)
    books.advance(5 * DAY)
    got = [(t["dueDate"], t["workflow"], t["entity"]["id"]) for t in books.tasks()]
    assert got == [(TODAY, "approve_draft_invoice", draft["Id"]), ("2026-01-13", "payment_reminder", draft["Id"]),
                   ("2026-01-13", "bank_deposit_reminder", paid_cash["Id"]),
                   ("2026-01-15", "unsent_invoice_reminder", draft["Id"])]
    assert len({t["id"] for t in books.tasks()}) == 4


def test_I9_article_003_reading_drafts_from_hubspot_do_not_wait_in_the_task_manager(sims: Simulators) -> None:
    """Article 003: the task manager no longer takes HubSpot's drafts; they sit among the invoices, unsent (F14).
    The company option ``draftApprovals: false`` simulates that reading; the other reminders go on."""
    co = Books(sims, edition="advanced", draftApprovals=False)
    co.invoice(PrivateNote=f"{DRAFT_FROM_HUBSPOT} — deal 7")
    assert co.tasks("approve_draft_invoice") == []
    co.advance(4 * DAY)
    assert len(co.tasks("unsent_invoice_reminder")) == 1
