"""Recurring transaction templates (``/recurringtransaction``). Knows nothing of HTTP.

A RecurringTransaction wraps one transaction of a recurring kind, ``{"Invoice": {..., "RecurringInfo": {...}}}``,
in requests, reads and query results alike; its ``Id`` and ``SyncToken`` live in the wrapped transaction. The
transaction is checked by its own entity's rules (a template neither posts nor takes a document number) and
``RecurringInfo`` by QBO's: a name unique among templates, ``RecurType`` Automated, Reminded or UnScheduled, and
for scheduled ones a ``ScheduleInfo`` with an interval and a start date, from which ``NextDate`` is computed.
"""

from __future__ import annotations

import calendar
import copy
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..core.storage import Row
from . import errors
from .entities import TYPES
from .transactions import parse_date

if TYPE_CHECKING:
    from .company import Company

KIND = "RecurringTransaction"
RECURRING = ("Bill", "Purchase", "CreditMemo", "Deposit", "Estimate", "Invoice", "JournalEntry", "RefundReceipt",
             "SalesReceipt", "Transfer", "VendorCredit", "PurchaseOrder")
RECUR_TYPES = ("Automated", "Reminded", "UnScheduled")
INTERVALS = ("Daily", "Weekly", "Monthly", "Yearly")


def _unwrap(body: object) -> tuple[str, dict]:
    if not isinstance(body, dict):
        raise errors.malformed_body()
    kinds = [k for k in body if k in RECURRING]
    unknown = [k for k in body if k not in RECURRING]
    if unknown:
        raise errors.unknown_field(unknown[0], KIND)
    if len(kinds) != 1 or not isinstance(body[kinds[0]], dict):
        raise errors.required("RecurringTransaction transaction")
    return kinds[0], body[kinds[0]]


def write(co: Company, body: object, operation: str) -> dict:
    """Create, update (full or sparse) or delete a template; returns the wrapper as QBO answers it."""
    kind, inner = _unwrap(body)
    if operation == "delete":
        return _delete(co, kind, inner)
    with co.store.transaction():
        old = None
        if inner.get("Id") not in (None, ""):
            row = co.row(TYPES[KIND], inner["Id"])
            old_kind, old = next(iter(row.data.items()))
            if old_kind != kind:
                raise errors.business(f"This recurring template makes a {old_kind}, not a {kind}.")
            if str(inner.get("SyncToken")) != old["SyncToken"]:
                raise errors.stale(KIND)
            if inner.get("sparse") in (True, "true"):
                inner = {**copy.deepcopy(old), **inner}
        info = _info(co, inner.get("RecurringInfo"), old)
        sent = {k: v for k, v in inner.items() if k not in ("RecurringInfo", "Id", "SyncToken", "MetaData", "domain",
                                                            "sparse", "RecurDataRef")}
        template = co.template(TYPES[kind], sent)
        stamp = co.stamp()
        if old is None:
            eid = co.store.next_value(co.realm, f"id:{KIND}", 1)
            meta = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            token = "0"
        else:
            eid = int(old["Id"])
            meta = {**old.get("MetaData", {}), "LastUpdatedTime": stamp}
            token = str(int(old["SyncToken"]) + 1)
        template.update(RecurringInfo=info, Id=str(eid), SyncToken=token, domain="QBO", sparse=False, MetaData=meta)
        data = {kind: template}
        co.store.put(Row(co.realm, KIND, eid, data, name_key=info["Name"].strip().lower(),
                         updated_at=co.rt.clock.timestamp()))
    co.events.append({"name": KIND, "id": str(eid), "operation": "Create" if old is None else "Update",
                      "lastUpdated": stamp})
    return data


def _delete(co: Company, kind: str, inner: dict) -> dict:
    with co.store.transaction():
        row = co.row(TYPES[KIND], inner.get("Id"))
        current = next(iter(row.data.values()))
        if str(inner.get("SyncToken")) != current["SyncToken"]:
            raise errors.stale(KIND)
        stamp = co.stamp()
        co.store.put(Row(co.realm, KIND, row.entity_id, {kind: {"Id": current["Id"], "status": "Deleted",
                                                               "domain": "QBO",
                                                               "MetaData": {"LastUpdatedTime": stamp}}},
                         deleted=True, updated_at=co.rt.clock.timestamp()))
    co.events.append({"name": KIND, "id": current["Id"], "operation": "Delete", "lastUpdated": stamp})
    return {kind: {"status": "Deleted", "domain": "QBO", "Id": current["Id"]}}


def _info(co: Company, info: object, old: dict | None) -> dict:
    if not isinstance(info, dict):
        raise errors.required("RecurringInfo")
    info = copy.deepcopy(info)
    name = str(info.get("Name") or "").strip()
    if not name:
        raise errors.required("RecurringInfo.Name")
    clash = co.store.find_name(co.realm, (KIND,), name.lower())
    if clash is not None and (old is None or str(clash.entity_id) != old["Id"]):
        raise errors.duplicate_name(clash.entity_id)
    recur = info.setdefault("RecurType", "Automated")
    if recur not in RECUR_TYPES:
        raise errors.invalid_enum("RecurringInfo.RecurType", recur)
    info["Name"], info["Active"] = name, info.get("Active", True) is not False
    schedule = info.get("ScheduleInfo")
    if recur == "UnScheduled":
        info.pop("ScheduleInfo", None)
        return info
    if not isinstance(schedule, dict):
        raise errors.required("RecurringInfo.ScheduleInfo")
    interval = schedule.get("IntervalType")
    if interval not in INTERVALS:
        raise errors.invalid_enum("ScheduleInfo.IntervalType", interval) if interval \
            else errors.required("ScheduleInfo.IntervalType")
    if not schedule.get("StartDate"):
        raise errors.required("ScheduleInfo.StartDate")
    start = parse_date(schedule["StartDate"], "ScheduleInfo.StartDate")
    every = int(schedule.get("NumInterval") or 1)
    if every < 1:
        raise errors.business("NumInterval must be at least 1.", "ScheduleInfo.NumInterval")
    end = parse_date(schedule["EndDate"], "ScheduleInfo.EndDate") if schedule.get("EndDate") else None
    if end is not None and end < start:
        raise errors.business("The end date can't be before the start date.", "ScheduleInfo.EndDate")
    upcoming = next_date(start, interval, every, co.today())
    schedule.update(StartDate=start.isoformat(), NumInterval=every)
    if end is None or upcoming <= end:
        schedule["NextDate"] = upcoming.isoformat()
    else:
        schedule.pop("NextDate", None)
    info["ScheduleInfo"] = schedule
    return info


def next_date(start: date, interval: str, every: int, today: date) -> date:
    """The first occurrence on or after ``today`` of a schedule starting ``start``, every ``every`` intervals."""
    n, day = 0, start
    while day < today:
        n += 1
        if interval == "Daily":
            day = start + timedelta(days=every * n)
        elif interval == "Weekly":
            day = start + timedelta(weeks=every * n)
        else:
            months = every * n * (12 if interval == "Yearly" else 1)
            year, month = divmod(start.month - 1 + months, 12)
            year, month = start.year + year, month + 1
            day = date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    return day
