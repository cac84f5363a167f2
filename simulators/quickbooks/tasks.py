"""QuickBooks Online Advanced's task manager (rule I9, legacy): the open tasks the books call for, at the clock's time.

QBO has no public API for tasks, so the simulator computes them from the company's records on demand and serves
them on an admin route (``GET /_sim/quickbooks/<realmId>/tasks``). Five workflows, each a task per record for
which its condition holds:

- approve draft invoice: an invoice the integration created from HubSpot (PrivateNote starting with
  :data:`DRAFT_FROM_HUBSPOT`) that has not been sent (EmailStatus is not "EmailSent");
- payment reminder: an invoice with a balance past its due date;
- vendor payment reminder: a bill with a balance past its due date (Bills are not simulated yet: none today);
- bank deposit reminder: a payment left in Undeposited Funds (no DepositToAccountRef, or that account) for more
  than a day;
- unsent invoice reminder: an invoice still to be sent (EmailStatus "NotSet" or "NeedToSend") created more than
  three days ago.

A task's ``dueDate`` is the day, in the company's time zone, on which its condition began to hold. Knows nothing
of HTTP.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .company import Company
from .tenant import DEFAULT_EDITION, EDITIONS
from .transactions import money

# How the sync engine marks, in legacy mode, the invoices it creates from HubSpot: QBO Advanced lists them for
# approval (rule F14: not sent on their own, "waiting to be sent").
DRAFT_FROM_HUBSPOT = "Draft from HubSpot"
WORKFLOWS = ("approve_draft_invoice", "payment_reminder", "vendor_payment_reminder", "bank_deposit_reminder",
             "unsent_invoice_reminder")
DEPOSIT_AFTER = timedelta(days=1)
UNSENT_AFTER = timedelta(days=3)
UNSENT = ("NotSet", "NeedToSend")


class TaskManagerUnavailable(Exception):
    """The company is not on QuickBooks Online Advanced."""


def edition(co: Company) -> str:
    return co.settings.get("edition") or DEFAULT_EDITION


def open_tasks(co: Company) -> list[dict]:
    """The company's open tasks, by due date then workflow then record id."""
    if edition(co) != "advanced":
        raise TaskManagerUnavailable(f"The task manager needs QuickBooks Online Advanced; this company is on "
                                     f"{EDITIONS.get(edition(co), edition(co))}.")
    today, now = co.today(), co.now()
    tasks = []
    for inv in _live(co, "Invoice"):
        label = f"invoice {inv.get('DocNumber') or inv['Id']} for {_name(inv, 'CustomerRef')}"
        created = _created(inv)
        if co.settings.get("draftApprovals", True) and str(inv.get("PrivateNote") or "").startswith(
                DRAFT_FROM_HUBSPOT) and inv.get("EmailStatus") != "EmailSent":
            tasks.append(_task("approve_draft_invoice", f"Approve draft {label} from HubSpot", "Invoice", inv,
                               _day(co, created) if created else today))
        past_due = _past_due(inv, today)
        if past_due:
            tasks.append(_task("payment_reminder", f"Payment reminder: {label} is past due", "Invoice", inv,
                               past_due))
        if inv.get("EmailStatus") in UNSENT and created and now - created > UNSENT_AFTER:
            tasks.append(_task("unsent_invoice_reminder", f"Send {label}", "Invoice", inv,
                               _day(co, created + UNSENT_AFTER)))
    for bill in _live(co, "Bill"):
        past_due = _past_due(bill, today)
        if past_due:
            label = f"bill {bill.get('DocNumber') or bill['Id']} from {_name(bill, 'VendorRef')}"
            tasks.append(_task("vendor_payment_reminder", f"Vendor payment reminder: {label} is past due", "Bill",
                               bill, past_due))
    undeposited = {r.data["Id"] for r in co.store.select(co.realm, "Account")
                   if r.data.get("AccountSubType") == "UndepositedFunds"}
    for pay in _live(co, "Payment"):
        created = _created(pay)
        target = (pay.get("DepositToAccountRef") or {}).get("value")
        deposited = any(lt.get("TxnType") == "Deposit" for lt in pay.get("LinkedTxn", []))
        if money(pay.get("TotalAmt", 0)) > 0 and (not target or target in undeposited) and created and not deposited \
                and now - created > DEPOSIT_AFTER:
            title = f"Bank deposit reminder: deposit the payment {pay['Id']} from {_name(pay, 'CustomerRef')}"
            tasks.append(_task("bank_deposit_reminder", title, "Payment", pay, _day(co, created + DEPOSIT_AFTER)))
    return sorted(tasks, key=lambda t: (t["dueDate"], WORKFLOWS.index(t["workflow"]), int(t["entity"]["id"])))


def _live(co: Company, kind: str) -> list[dict]:
    """A kind's records, without the voided ones (zero amounts and the note "Voided", see transactions.voided)."""
    return [r.data for r in co.store.select(co.realm, kind) if not _voided(r.data)]


def _voided(data: dict) -> bool:
    return money(data.get("TotalAmt", 0)) == 0 and str(data.get("PrivateNote") or "").startswith("Voided")


def _task(workflow: str, title: str, kind: str, data: dict, due: date) -> dict:
    return {"id": f"{workflow}-{kind.lower()}-{data['Id']}", "workflow": workflow, "title": title,
            "entity": {"type": kind, "id": data["Id"]}, "dueDate": due.isoformat()}


def _past_due(data: dict, today: date) -> date | None:
    """The first day past the due date of an open invoice or bill, once that day has come; else None."""
    if money(data.get("Balance", 0)) <= 0 or not data.get("DueDate"):
        return None
    first = date.fromisoformat(str(data["DueDate"])[:10]) + timedelta(days=1)
    return first if first <= today else None


def _created(data: dict) -> datetime | None:
    stamp = (data.get("MetaData") or {}).get("CreateTime")
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def _day(co: Company, when: datetime) -> date:
    return when.astimezone(co.tz).date()


def _name(data: dict, ref: str) -> str:
    value = data.get(ref) or {}
    return str(value.get("name") or value.get("value") or "?")
