"""Purchases, banking, journal entries, time, tracking lists and attachments: QBO's rules for them.

Knows nothing of HTTP. What each entity requires and which header references it resolves is declared on its
:class:`EntityType` (``required``, ``refs``) and checked by :func:`declared` for every entity alike; the functions in
``RULES`` complete what is particular to one entity (lines, totals, links). Money applied by bill payments is the
generic application machinery of :mod:`transactions` (``APPLICATIONS``), as for customer payments.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.storage import Row
from . import errors, transactions
from .entities import TYPES, EntityType
from .errors import QBOError
from .transactions import money, num

if TYPE_CHECKING:
    from .company import Company

EXPENSE_LINES = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
# A reference inside a line's detail → the entity it must name.
LINE_REFS = {"AccountRef": "Account", "ItemRef": "Item", "CustomerRef": "Customer", "ClassRef": "Class",
             "DepartmentRef": "Department", "PaymentMethodRef": "PaymentMethod"}
PAYMENT_TYPES = {"Cash": ("Bank",), "Check": ("Bank",), "CreditCard": ("Credit Card",)}
PAY_TYPES = {"Check": ("CheckPayment", "BankAccountRef", ("Bank",)),
             "CreditCard": ("CreditCardPayment", "CCAccountRef", ("Credit Card",))}
DEPOSITABLE = ("Payment", "SalesReceipt", "RefundReceipt", "JournalEntry")
BILLABLE = ("Billable", "NotBillable", "HasBeenBilled")
FILE_KIND = "AttachableFile"  # the uploaded bytes, kept beside the Attachable (not an entity)


# -- declared checks, for every entity ----------------------------------------------------------

def declared(co: Company, etype: EntityType, data: dict) -> None:
    """Required fields (2020, in the declared order) and header references resolved to ``{value, name}``."""
    for field in etype.required:
        if data.get(field) in (None, "", [], {}):
            raise errors.required(field)
    for field, kind in etype.refs:
        if data.get(field):
            data[field] = named_ref(co, kind, data[field], field)
    if etype.is_txn or etype.name == "TimeActivity":
        _tracking(co, data)
    if etype.name == "Invoice":
        _billed_time(co, data)


def _billed_time(co: Company, invoice: dict) -> None:
    """An invoice line may bill a customer's billable time (``LinkedTxn`` to a TimeActivity): the time must be the
    same customer's and not billed by another invoice. The time then shows ``HasBeenBilled`` (after_write)."""
    for line in invoice.get("Line") or []:
        for link in (line.get("LinkedTxn") or []) if isinstance(line, dict) else []:
            if not isinstance(link, dict) or link.get("TxnType") != "TimeActivity":
                continue
            time = co.ref("TimeActivity", {"value": link.get("TxnId")}, "LinkedTxn.TxnId", must_be_active=False).data
            customer = (invoice.get("CustomerRef") or {}).get("value")
            if (time.get("CustomerRef") or {}).get("value") != str(customer):
                raise errors.business(f"The TimeActivity {time['Id']} belongs to another customer.", "LinkedTxn")
            billed = [lt["TxnId"] for lt in time.get("LinkedTxn", []) if lt.get("TxnType") == "Invoice"]
            if time.get("BillableStatus") == "NotBillable" or (billed and billed != [invoice.get("Id")]):
                raise errors.business(f"The TimeActivity {time['Id']} is not billable or already billed.",
                                      "LinkedTxn")
            link["TxnId"] = time["Id"]


def named_ref(co: Company, kind: str, ref: object, field: str) -> dict:
    row = co.ref(kind, ref, field)
    label = TYPES[kind].name_field or "Name"
    return {"value": row.data["Id"], "name": row.data.get(label, "")}


def _tracking(co: Company, data: dict) -> None:
    """Departments (locations) on the header, classes on lines: each must name one that exists and is active."""
    for field, kind in (("DepartmentRef", "Department"), ("ClassRef", "Class")):
        if data.get(field):
            data[field] = named_ref(co, kind, data[field], field)
    for line in data.get("Line") or []:
        if not isinstance(line, dict):
            continue
        detail = line.get(line.get("DetailType", "")) if isinstance(line.get("DetailType"), str) else None
        if isinstance(detail, dict) and detail.get("ClassRef"):
            detail["ClassRef"] = named_ref(co, "Class", detail["ClassRef"], "ClassRef")


# -- lines ----------------------------------------------------------------------------------------

def _lines(co: Company, lines: object, old: dict | None, kinds: tuple[str, ...],
           complete: Callable[[Company, dict, str], None]) -> tuple[list[dict], Decimal]:
    """Validate ``lines`` of the allowed ``kinds``; keep known line Ids, number new ones; return them and their sum."""
    if not isinstance(lines, list) or not lines:
        raise errors.required("Line")
    old_ids = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    next_id = max([int(i) for i in old_ids if i.isdigit()] + [0]) + 1
    out, total = [], Decimal(0)
    for n, raw in enumerate(lines, start=1):
        if not isinstance(raw, dict):
            raise errors.invalid_type("Line", raw)
        line = {k: v for k, v in raw.items() if v not in ("", None)}
        kind = line.get("DetailType")
        if kind not in kinds:
            raise errors.invalid_enum("Line.DetailType", kind) if kind else errors.required("DetailType")
        if str(line.get("Id", "")) not in old_ids:
            line["Id"] = str(next_id)
            next_id += 1
        amount = transactions.line_amount(line, kind)
        line["Amount"] = num(amount)
        line["LineNum"] = n
        detail = line.setdefault(kind, {})
        if not isinstance(detail, dict):
            raise errors.invalid_type(kind, detail)
        for key in ("Qty", "UnitPrice"):
            if detail.get(key) in (0, "", None):
                detail.pop(key, None)
        complete(co, detail, kind)
        total += amount
        out.append(line)
    return out, total


def _detail_refs(co: Company, detail: dict, must: tuple[str, ...]) -> None:
    for field in must:
        if not detail.get(field):
            raise errors.required(field)
    for field, kind in LINE_REFS.items():
        if detail.get(field):
            detail[field] = named_ref(co, kind, detail[field], field)


def _expense_detail(co: Company, detail: dict, kind: str) -> None:
    """An expense line: an account, or an item (billable to a customer when it names one)."""
    _detail_refs(co, detail, ("AccountRef",) if kind == "AccountBasedExpenseLineDetail" else ("ItemRef",))
    status = detail.setdefault("BillableStatus", "Billable" if detail.get("CustomerRef") else "NotBillable")
    if status not in BILLABLE:
        raise errors.invalid_enum("BillableStatus", status)
    if status == "Billable" and not detail.get("CustomerRef"):
        raise errors.business("A billable expense needs a customer.", "CustomerRef")
    if co.country == "US":
        detail.setdefault("TaxCodeRef", {"value": "NON"})


def _deposit_detail(co: Company, detail: dict, kind: str) -> None:
    _detail_refs(co, detail, ("AccountRef",))
    entity = detail.get("Entity")
    if isinstance(entity, dict) and entity.get("value"):
        detail["Entity"] = _party(co, entity, "Entity")


def _journal_detail(co: Company, detail: dict, kind: str) -> None:
    posting = detail.get("PostingType")
    if not posting:
        raise errors.required("PostingType")
    if posting not in ("Debit", "Credit"):
        raise errors.invalid_enum("PostingType", posting)
    _detail_refs(co, detail, ("AccountRef",))
    account = co.read(TYPES["Account"], detail["AccountRef"]["value"])
    entity = detail.get("Entity")
    party = _party(co, entity.get("EntityRef") or {}, "Entity", entity.get("Type")) \
        if isinstance(entity, dict) and (entity.get("EntityRef") or {}).get("value") else None
    if party is not None:
        detail["Entity"] = {"Type": party["type"], "EntityRef": {"value": party["value"], "name": party["name"]}}
    needs = {"Accounts Receivable": "Customer", "Accounts Payable": "Vendor"}.get(account["AccountType"])
    if needs and (party is None or party["type"] != needs):
        word = "customer" if needs == "Customer" else "vendor"
        raise errors.business(f"When you use {account['AccountType']}, you must choose a {word} in the Name field.",
                              "Entity")


def _party(co: Company, ref: dict, field: str, kind: str | None = None) -> dict:
    """A Customer, Vendor or Employee named by ``ref`` (its ``type`` or ``kind`` says which; else any of them)."""
    kinds = [kind or ref.get("type")] if (kind or ref.get("type")) else ["Customer", "Vendor", "Employee"]
    for k in kinds:
        if k not in ("Customer", "Vendor", "Employee"):
            raise errors.invalid_enum(f"{field}.type", k)
        row = co.store.get(co.realm, k, int(str(ref.get("value"))) if str(ref.get("value", "")).isdigit() else -1)
        if row is not None and not row.deleted:
            return {"value": row.data["Id"], "name": row.data["DisplayName"], "type": k}
    raise errors.invalid_reference(field, ref.get("value"))


# -- per entity -----------------------------------------------------------------------------------

def _account_of(co: Company, data: dict, field: str, types: tuple[str, ...], what: str) -> None:
    acct = co.read(TYPES["Account"], data[field]["value"])
    if acct["AccountType"] not in types:
        raise errors.business(f"{field} must be {what} account.", field)


def default_account(co: Company, account_type: str, subtype: str | None = None) -> dict | None:
    for row in co.store.select(co.realm, "Account", active=True):
        if row.data.get("AccountType") == account_type and (subtype is None or row.data.get("AccountSubType")
                                                              == subtype):
            return {"value": row.data["Id"], "name": row.data["Name"]}
    return None


def _payable(co: Company, data: dict) -> None:
    if not data.get("APAccountRef"):
        data["APAccountRef"] = default_account(co, "Accounts Payable")
        if data["APAccountRef"] is None:
            raise errors.required("APAccountRef")
    _account_of(co, data, "APAccountRef", ("Accounts Payable",), "an Accounts Payable")


def _home_currency(co: Company, data: dict) -> None:
    home = co.settings.get("homeCurrency", "USD")
    data.setdefault("CurrencyRef", {"value": home, "name": transactions.currency_name(home)})


def _vendor_document(co: Company, data: dict, old: dict | None) -> Decimal:
    """Bill, VendorCredit and PurchaseOrder alike: the A/P account, the currency and the expense lines."""
    _payable(co, data)
    _home_currency(co, data)
    data["Line"], total = _lines(co, data.get("Line"), old, EXPENSE_LINES, _expense_detail)
    data["TotalAmt"] = num(total)
    return total


def _open_document(co: Company, data: dict, old: dict | None, refusal: str) -> None:
    """A bill or vendor credit: its lines, and its balance (what bill payments already took off stays taken)."""
    total = _vendor_document(co, data, old)
    applied = money(old.get("TotalAmt", 0)) - money(old.get("Balance", 0)) if old is not None else Decimal(0)
    if total < applied:
        raise errors.business(refusal)
    data["Balance"] = num(total - applied)


def _bill(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    _open_document(co, data, old, "The bill total can't be less than the payments applied to it.")
    if not data.get("DueDate"):
        term = data.get("SalesTermRef") or co.read(TYPES["Vendor"], data["VendorRef"]["value"]).get("TermRef")
        days = int(co.ref("Term", term, "SalesTermRef").data.get("DueDays", 0) or 0) if term else 0
        data["DueDate"] = (txn_date + timedelta(days=days)).isoformat()
    links: list[dict] = []
    from_lines = [lt for line in data["Line"] for lt in line.get("LinkedTxn") or [] if isinstance(lt, dict)]
    for link in [*(data.get("LinkedTxn") or []), *from_lines]:  # a bill made from purchase orders names them
        if link.get("TxnType") == "BillPayment":
            continue
        if link.get("TxnType") != "PurchaseOrder":
            raise QBOError("620", "Transaction can't be linked",
                           f"Transaction type {link.get('TxnType')} can't be linked to a Bill.", "LinkedTxn")
        order = co.ref("PurchaseOrder", {"value": link.get("TxnId")}, "LinkedTxn.TxnId", must_be_active=False)
        if order.data["VendorRef"]["value"] != data["VendorRef"]["value"]:
            raise errors.business(f"The PurchaseOrder {order.data['Id']} belongs to another vendor.", "LinkedTxn")
        if order.data["Id"] not in [lt["TxnId"] for lt in links]:
            links.append({"TxnId": order.data["Id"], "TxnType": "PurchaseOrder"})
    data["LinkedTxn"] = links + [lt for lt in (old or {}).get("LinkedTxn", []) if lt.get("TxnType") == "BillPayment"]
    return data


def _vendor_credit(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    _open_document(co, data, old, "The vendor credit total can't be less than the credit already applied.")
    return data


def _purchase_order(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    _vendor_document(co, data, old)
    status = data.setdefault("POStatus", "Open")
    if status not in ("Open", "Closed"):
        raise errors.invalid_enum("POStatus", status)
    data.setdefault("EmailStatus", "NotSet")
    return data


def _bill_payment(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    pay_type = data["PayType"]
    if pay_type not in PAY_TYPES:
        raise errors.invalid_enum("PayType", pay_type)
    block, field, types = PAY_TYPES[pay_type]
    detail = data.get(block) if isinstance(data.get(block), dict) else {}
    if not detail.get(field):
        raise errors.required(f"{block}.{field}")
    detail[field] = named_ref(co, "Account", detail[field], field)
    if co.read(TYPES["Account"], detail[field]["value"])["AccountType"] not in types:
        raise errors.business(f"{field} must be a {types[0]} account.", field)
    data[block] = detail
    data.pop("CreditCardPayment" if pay_type == "Check" else "CheckPayment", None)
    _payable(co, data)
    # The application rules (lines, open balances, vendor) are the customer payment's, declared in APPLICATIONS.
    return transactions.apply(co, TYPES["BillPayment"], data, old, frozenset())


def _purchase(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    kind = data["PaymentType"]
    if kind not in PAYMENT_TYPES:
        raise errors.invalid_enum("PaymentType", kind)
    _account_of(co, data, "AccountRef", PAYMENT_TYPES[kind], "a bank" if kind != "CreditCard" else "a credit card")
    if data.get("Credit") and kind != "CreditCard":
        raise errors.business("Only a credit card purchase can be a credit (refund).", "Credit")
    if data.get("EntityRef"):
        data["EntityRef"] = _party(co, data["EntityRef"], "EntityRef")
    _home_currency(co, data)
    data["Line"], total = _lines(co, data.get("Line"), old, EXPENSE_LINES, _expense_detail)
    data["TotalAmt"] = num(total)
    return data


def _deposit(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    _account_of(co, data, "DepositToAccountRef", ("Bank", "Other Current Asset"), "a bank")
    _home_currency(co, data)
    raw = data.get("Line")
    if not isinstance(raw, list) or not raw:
        raise errors.required("Line")
    mine = {str(lt.get("TxnId")) for line in (old or {}).get("Line", []) for lt in line.get("LinkedTxn", [])}
    linked, plain = [], []
    for line in raw:
        if isinstance(line, dict) and line.get("LinkedTxn"):
            linked.append(line)
        else:
            plain.append(line)
    out, total = _lines(co, plain, old, ("DepositLineDetail",), _deposit_detail) if plain else ([], Decimal(0))
    for line in linked:
        link = line["LinkedTxn"][0]
        kind = link.get("TxnType")
        if kind not in DEPOSITABLE:
            raise QBOError("620", "Transaction can't be linked",
                           f"Transaction type {kind} can't be linked to a Deposit.", "LinkedTxn")
        source = co.ref(kind, {"value": link.get("TxnId")}, "LinkedTxn.TxnId", must_be_active=False).data
        if deposit_of(source) and str(source["Id"]) not in mine:
            raise errors.business(f"The {kind} {source['Id']} has already been deposited.", "LinkedTxn")
        held = (source.get("DepositToAccountRef") or {}).get("value")
        undeposited = default_account(co, "Other Current Asset", "UndepositedFunds")
        if held and undeposited and held != undeposited["value"]:
            raise errors.business(f"The {kind} {source['Id']} is not in Undeposited Funds.", "LinkedTxn")
        amount = money(source.get("TotalAmt", 0))
        total += amount
        out.append({"Id": str(len(out) + 1), "LineNum": len(out) + 1, "Amount": num(amount),
                    "LinkedTxn": [{"TxnId": source["Id"], "TxnType": kind, "TxnLineId": "0"}]})
    cash_back = data.get("CashBack")
    if isinstance(cash_back, dict) and cash_back.get("Amount") not in (None, "", 0):
        back = money(cash_back["Amount"])
        if not cash_back.get("AccountRef"):
            raise errors.required("CashBack.AccountRef")
        cash_back["AccountRef"] = named_ref(co, "Account", cash_back["AccountRef"], "AccountRef")
        if back > total:
            raise errors.business("Cash back can't be more than the deposit.", "CashBack")
        total -= back
    data["Line"] = out
    data["TotalAmt"] = num(total)
    return data


def _transfer(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    amount = money(data["Amount"])
    if amount <= 0:
        raise errors.business("The transfer amount must be more than zero.", "Amount")
    if data["FromAccountRef"]["value"] == data["ToAccountRef"]["value"]:
        raise errors.business("You can't transfer money to the account it comes from.", "ToAccountRef")
    data["Amount"] = num(amount)
    _home_currency(co, data)
    return data


def _journal_entry(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    data["Line"], _ = _lines(co, data.get("Line"), old, ("JournalEntryLineDetail", "DescriptionOnly"),
                             lambda c, d, k: _journal_detail(c, d, k) if k == "JournalEntryLineDetail" else None)
    debit = sum((money(line["Amount"]) for line in data["Line"]
                 if line.get("JournalEntryLineDetail", {}).get("PostingType") == "Debit"), Decimal(0))
    credit = sum((money(line["Amount"]) for line in data["Line"]
                  if line.get("JournalEntryLineDetail", {}).get("PostingType") == "Credit"), Decimal(0))
    if debit != credit:
        raise QBOError("6000", "A business validation error has occurred while processing your request",
                       "Business Validation Error: You must select an account for each split line with an amount, "
                       "and debits must equal credits. Transaction is not balanced.", "Line")
    data["TotalAmt"] = num(debit)
    data.setdefault("Adjustment", False)
    _home_currency(co, data)
    return data


def _card_payment(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    _account_of(co, data, "CreditCardAccountRef", ("Credit Card",), "a credit card")
    _account_of(co, data, "BankAccountRef", ("Bank",), "a bank")
    amount = money(data["Amount"])
    if amount <= 0:
        raise errors.business("The payment amount must be more than zero.", "Amount")
    data["Amount"] = num(amount)
    return data


def _time_activity(co: Company, data: dict, old: dict | None, txn_date: date) -> dict:
    name_of = data["NameOf"]
    if name_of not in ("Employee", "Vendor"):
        raise errors.invalid_enum("NameOf", name_of)
    who = f"{name_of}Ref"
    if not data.get(who):
        raise errors.required(who)
    data.pop("VendorRef" if name_of == "Employee" else "EmployeeRef", None)
    if data.get("StartTime") and data.get("EndTime"):
        start, end = (_instant(data[f], f) for f in ("StartTime", "EndTime"))
        if end <= start:
            raise errors.business("The end time must be after the start time.", "EndTime")
        minutes = int((end - start).total_seconds() // 60) - 60 * int(data.get("BreakHours", 0) or 0) \
            - int(data.get("BreakMinutes", 0) or 0)
        data["Hours"], data["Minutes"] = divmod(max(minutes, 0), 60)
    elif data.get("Hours") in (None, "", 0) and data.get("Minutes") in (None, "", 0):
        raise errors.required("Hours")
    data.setdefault("Hours", 0)
    data.setdefault("Minutes", 0)
    status = data.setdefault("BillableStatus", "Billable" if data.get("CustomerRef") else "NotBillable")
    if status not in BILLABLE:
        raise errors.invalid_enum("BillableStatus", status)
    if any(lt.get("TxnType") == "Invoice" for lt in (old or {}).get("LinkedTxn", [])):
        data["BillableStatus"] = status = "HasBeenBilled"  # billed time stays billed until its invoice lets go
    if status != "NotBillable":
        if not data.get("CustomerRef"):
            raise errors.business("Billable time needs a customer.", "CustomerRef")
        if data.get("HourlyRate") in (None, "", 0) and name_of == "Employee":
            rate = co.read(TYPES["Employee"], data["EmployeeRef"]["value"]).get("BillRate")
            if rate:
                data["HourlyRate"] = rate
    data.setdefault("Taxable", False)
    return data


def _instant(value: object, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise QBOError("2060", "Invalid Date", f"Invalid date format for {field}: {value}", field) from exc


RULES: dict[str, Callable[[Company, dict, dict | None, date], dict]] = {
    "Bill": _bill, "VendorCredit": _vendor_credit, "PurchaseOrder": _purchase_order, "BillPayment": _bill_payment,
    "Purchase": _purchase, "Deposit": _deposit, "Transfer": _transfer, "JournalEntry": _journal_entry,
    "CreditCardPayment": _card_payment, "TimeActivity": _time_activity,
}


def apply(co: Company, etype: EntityType, data: dict, old: dict | None) -> dict:
    txn_date = transactions.dated(co, data, old)
    return RULES[etype.name](co, data, old, txn_date)


# -- name lists and attachments ---------------------------------------------------------------------

def name_list(co: Company, etype: EntityType, data: dict, old: dict | None) -> None:
    """Class and Department: a tree of names (``Parent:Child``); TaxAgency: a name and what it tracks."""
    data.setdefault("Active", True)
    if etype.name == "TaxAgency":
        data.setdefault("TaxTrackedOnSales", True)
        data.setdefault("TaxTrackedOnPurchases", False)
        return
    name = str(data["Name"])
    if any(ch in name for ch in (":", "\t", "\n")):
        raise errors.invalid_chars("Name")
    sub = f"Sub{etype.name}"
    parent = data.get("ParentRef")
    if parent:
        if old is not None and parent["value"] == old["Id"]:
            raise errors.business(f"A {etype.name.lower()} can't be its own parent.", "ParentRef")
        prow = co.read(etype, parent["value"])
        data[sub] = True
        data["FullyQualifiedName"] = f"{prow['FullyQualifiedName']}:{name}"
    else:
        data[sub] = False
        data["FullyQualifiedName"] = name


def attachable(co: Company, data: dict, old: dict | None) -> None:
    """A note, a file or both, attached to any number of entities (each must exist)."""
    upload = co.pending_file
    if upload is not None:
        data["FileName"], data["ContentType"] = upload[0], upload[1]
        data["Size"] = len(upload[2])
    elif old is not None:
        for field in ("FileName", "ContentType", "Size", "FileAccessUri"):
            if field in old:
                data[field] = old[field]
    if not data.get("Note") and not data.get("FileName"):
        raise errors.business("You must have at least a note string or file attachment.")
    refs = []
    for ref in data.get("AttachableRef") or []:
        entity = ref.get("EntityRef") if isinstance(ref, dict) else None
        if not isinstance(entity, dict) or not entity.get("value"):
            raise errors.required("AttachableRef.EntityRef")
        kind = TYPES.get(str(entity.get("type")))
        if kind is None or kind.category in ("setting",):
            raise errors.invalid_enum("AttachableRef.EntityRef.type", entity.get("type"))
        target = co.ref(kind.name, entity, "AttachableRef.EntityRef", must_be_active=False)
        refs.append({**ref, "EntityRef": {"type": kind.name, "value": target.data["Id"]},
                     "IncludeOnSend": bool(ref.get("IncludeOnSend", False))})
    data["AttachableRef"] = refs


def file_of(co: Company, attachable_id: str) -> tuple[str, bytes] | None:
    row = co.store.get(co.realm, FILE_KIND, int(attachable_id))
    if row is None or row.deleted:
        return None
    return row.data["ContentType"], bytes.fromhex(row.data["hex"])


# -- follow-on effects ------------------------------------------------------------------------------

def deposit_of(data: dict) -> str | None:
    """The deposit a payment or receipt was deposited by (QBO links it back), or None."""
    return next((str(lt["TxnId"]) for lt in data.get("LinkedTxn", []) if lt.get("TxnType") == "Deposit"), None)


def guard(co: Company, etype: EntityType, current: dict) -> None:
    """Before an update, void or delete of ``current``: a deposited payment or receipt is the deposit's (6540)."""
    if etype.name in DEPOSITABLE and deposit_of(current):
        raise QBOError("6540", "Deposited Transaction cannot be changed",
                       "This transaction has been deposited. If you want to change or delete it, you must edit the "
                       "deposit it appears on and remove it first.")


def before_delete(co: Company, etype: EntityType, data: dict) -> None:
    """A bill or vendor credit that bill payments use goes only once they are deleted or unapplied."""
    guard(co, etype, data)
    if etype.name in ("Bill", "VendorCredit") and any(lt.get("TxnType") == "BillPayment"
                                                       for lt in data.get("LinkedTxn", [])):
        raise errors.business(f"This {etype.name.lower()} has payments applied to it. Delete or unapply the "
                              "payments first.")


def after_write(co: Company, etype: EntityType, new: dict | None, old: dict | None) -> None:
    if etype.name == "Deposit":
        _relink(co, "Deposit", new, old, lambda data: {
            (lt["TxnType"], str(lt["TxnId"])) for line in data.get("Line", []) for lt in line.get("LinkedTxn", [])})
    elif etype.name == "Bill":
        _relink(co, "Bill", new, old, lambda data: {
            (lt["TxnType"], str(lt["TxnId"])) for lt in data.get("LinkedTxn", [])
            if lt.get("TxnType") == "PurchaseOrder"})
    elif etype.name == "Invoice":
        _relink(co, "Invoice", new, old, lambda data: {
            (lt["TxnType"], str(lt["TxnId"])) for line in data.get("Line", []) for lt in line.get("LinkedTxn") or []
            if isinstance(lt, dict) and lt.get("TxnType") == "TimeActivity"})
    elif etype.name == "Attachable" and new is not None and co.pending_file is not None:
        name, content_type, content = co.pending_file
        co.store.put(Row(co.realm, FILE_KIND, int(new["Id"]), {"ContentType": content_type, "hex": content.hex()},
                         updated_at=co.rt.clock.timestamp()))
        new["FileAccessUri"] = f"/v3/company/{co.realm}/download/{new['Id']}"
        co.pending_file = None
        co.store.put(Row(co.realm, "Attachable", int(new["Id"]), new, updated_at=co.rt.clock.timestamp()))


def _relink(co: Company, kind: str, new: dict | None, old: dict | None,
            linked: Callable[[dict], set[tuple[str, str]]]) -> None:
    """Keep the back-links QBO keeps (``linked``: the (type, id) a transaction of ``kind`` links to): a deposited
    payment names its deposit; a billed purchase order names its bill and is closed; billed time names its invoice
    and has been billed."""
    def targets(data: dict | None) -> set[tuple[str, str]]:
        return set() if not data or data.get("status") == "Deleted" else linked(data)

    me = (new or old or {}).get("Id")
    before, after = targets(old), targets(new)
    for target_kind, target_id in sorted(before ^ after):
        row = co.store.get(co.realm, target_kind, int(target_id))
        if row is None or row.deleted:
            continue
        data = copy.deepcopy(row.data)
        links = [lt for lt in data.get("LinkedTxn", []) if not (lt.get("TxnType") == kind
                                                                and str(lt.get("TxnId")) == str(me))]
        if (target_kind, target_id) in after:
            links.append({"TxnId": str(me), "TxnType": kind})
        data["LinkedTxn"] = links
        if target_kind == "PurchaseOrder":
            data["POStatus"] = "Closed" if any(lt.get("TxnType") == "Bill" for lt in links) else "Open"
        elif target_kind == "TimeActivity":
            data["BillableStatus"] = "HasBeenBilled" if any(lt.get("TxnType") == "Invoice" for lt in links) \
                else "Billable"
        co.touch(TYPES[target_kind], data)


# -- tax service --------------------------------------------------------------------------------------

def create_tax_code(co: Company, body: dict) -> dict:
    """``POST /taxservice/taxcode``: a new TaxCode from existing rates (TaxRateId) or new ones (name, value and an
    existing tax agency). Answers QBO's TaxService shape."""
    name = body.get("TaxCode")
    if not name:
        raise errors.required("TaxCode")
    from .company import name_key

    if co.store.find_name(co.realm, ("TaxCode",), name_key(str(name))) is not None:
        raise errors.duplicate_name(co.store.find_name(co.realm, ("TaxCode",), name_key(str(name))).entity_id)
    details_in = body.get("TaxRateDetails")
    if not isinstance(details_in, list) or not details_in:
        raise errors.required("TaxRateDetails")
    out, sales, purchases = [], [], []
    with co.store.transaction():
        for d in details_in:
            if not isinstance(d, dict):
                raise errors.invalid_type("TaxRateDetails", d)
            applies = d.get("TaxApplicableOn") or "Sales"
            if applies not in ("Sales", "Purchase"):
                raise errors.invalid_enum("TaxApplicableOn", applies)
            if d.get("TaxRateId") not in (None, "", 0):
                rate = co.ref("TaxRate", {"value": d["TaxRateId"]}, "TaxRateId").data
            else:
                for field in ("TaxRateName", "RateValue", "TaxAgencyId"):
                    if d.get(field) in (None, ""):
                        raise errors.required(field)
                agency = co.ref("TaxAgency", {"value": d["TaxAgencyId"]}, "TaxAgencyId").data
                rate = _new_row(co, "TaxRate", {
                    "Name": str(d["TaxRateName"]), "Description": str(d["TaxRateName"]), "Active": True,
                    "RateValue": float(money(d["RateValue"])), "AgencyRef": {"value": agency["Id"]},
                    "SpecialTaxType": "NONE", "DisplayType": "ReadOnly"})
            entry = {"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]}, "TaxTypeApplicable": "TaxOnAmount",
                     "TaxOrder": 0}
            (sales if applies == "Sales" else purchases).append(entry)
            out.append({"TaxRateName": rate["Name"], "TaxRateId": rate["Id"], "RateValue": rate.get("RateValue"),
                        "TaxAgencyId": rate.get("AgencyRef", {}).get("value"), "TaxApplicableOn": applies})
        code = _new_row(co, "TaxCode", {"Name": str(name), "Description": str(name), "Active": True, "Hidden": False,
                                        "Taxable": True, "TaxGroup": len(out) > 1,
                                        "SalesTaxRateList": {"TaxRateDetail": sales},
                                        "PurchaseTaxRateList": {"TaxRateDetail": purchases}})
    return {"TaxCode": code["Name"], "TaxCodeId": code["Id"], "TaxRateDetails": out}


def _new_row(co: Company, kind: str, data: dict) -> dict:
    """A row of a list the API cannot write directly (TaxRate, TaxCode), as the tax service makes it."""
    from .company import name_key

    if co.store.find_name(co.realm, (kind,), name_key(data["Name"])) is not None:
        raise errors.duplicate_name(co.store.find_name(co.realm, (kind,), name_key(data["Name"])).entity_id)
    eid = co.store.next_value(co.realm, f"id:{kind}", 1)
    while co.store.get(co.realm, kind, eid) is not None:  # seeded rows took the first ids
        eid = co.store.next_value(co.realm, f"id:{kind}", 1)
    stamp = co.stamp()
    data = {"Id": str(eid), "SyncToken": "0", "domain": "QBO", "sparse": False,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}, **data}
    co.store.put(Row(co.realm, kind, eid, data, name_key=name_key(data["Name"]), updated_at=co.rt.clock.timestamp()))
    co.events.append({"name": kind, "id": data["Id"], "operation": "Create", "lastUpdated": stamp})
    return data
