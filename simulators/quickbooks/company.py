"""One QBO company (realm): its entities and QBO's business rules. Knows nothing of HTTP.

Every public operation takes and returns plain dicts shaped as QBO sends them, and raises
:class:`QBOError` in QBO's own words. Writes run inside one store transaction, so a refused
write leaves nothing behind.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ..core.runtime import Runtime
from ..core.storage import Row
from . import bookkeeping, errors, fields, ledger, query, transactions
from .entities import PARTIES, TYPES, EntityType
from .errors import QBOError

COUNTRY_TZ = {"US": "America/Los_Angeles", "GB": "Europe/London", "CA": "America/Toronto",
              "AU": "Australia/Sydney"}
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
NAME_LIMITS = {"DisplayName": 500, "GivenName": 100, "MiddleName": 100, "FamilyName": 100, "Title": 16,
               "Suffix": 16, "PrintOnCheckName": 110, "CompanyName": 100, "Name": 100, "Sku": 100,
               "Notes": 2000, "Description": 4000, "PrivateNote": 4000, "DocNumber": 21}
FORBIDDEN = (":", "\t", "\n")
MAX_INTEGER_DIGITS = 10  # amounts, quantities, rates: "Max 15 digits in 10.5 format" (docs/decisions.md)
# BookCloseDate: read-only through the API (minor version 21+). Custom field definitions are managed in
# QBO's settings, not through Preferences (simulator's choice; UNCONFIRMED in the notes).
READ_ONLY_PREFS = frozenset({("AccountingInfoPrefs", "BookCloseDate"), ("SalesFormsPrefs", "CustomField")})
MAX_ID = 2**63 - 1
CDC_WINDOW_DAYS = 30
CDC_MAX_OBJECTS = 1000
MAX_RESULTS = 1000


class Company:
    """A realm's state and rules; built per request (cheap), state lives in the store."""

    def __init__(self, runtime: Runtime, realm_id: str) -> None:
        self.rt = runtime
        self.store = runtime.store
        self.realm = realm_id
        tenant = self.store.tenant(realm_id)
        if tenant is None:
            raise KeyError(realm_id)
        self.settings: dict = tenant["settings"]
        self.tz = ZoneInfo(COUNTRY_TZ.get(self.settings.get("country", "US"), "UTC"))
        self.events: list[dict] = []  # (entity, id, operation, lastUpdated) for webhooks
        self.pending_file: tuple[str, str, bytes] | None = None  # (name, content type, bytes) of an upload

    # -- time --------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.rt.clock.now().astimezone(self.tz)

    def stamp(self) -> str:
        return self.now().replace(microsecond=0).isoformat()

    def today(self) -> date:
        return self.now().date()

    def envelope_time(self) -> str:
        n = self.now()
        z = n.strftime("%z")
        return n.strftime("%Y-%m-%dT%H:%M:%S.") + f"{n.microsecond // 1000:03d}" + z[:3] + ":" + z[3:]

    @property
    def country(self) -> str:
        return self.settings.get("country", "US")

    # -- preferences -------------------------------------------------------------------------
    def preferences(self) -> dict:
        row = self.store.get(self.realm, "Preferences", 1)
        return row.data if row else {}

    def pref(self, group: str, key: str, default: object = None) -> object:
        return self.preferences().get(group, {}).get(key, default)

    def set_closing_date(self, when: str | None) -> None:
        """The books' closing date as a person sets it in QBO's settings (the API cannot write it)."""
        with self.store.transaction():
            prefs = copy.deepcopy(self.row(TYPES["Preferences"], 1).data)
            info = prefs.setdefault("AccountingInfoPrefs", {})
            if when:
                info["BookCloseDate"] = when
            else:
                info.pop("BookCloseDate", None)
            self.touch(TYPES["Preferences"], prefs)

    # -- reads -------------------------------------------------------------------------------
    def row(self, etype: EntityType, entity_id: object) -> Row:
        try:
            eid = int(str(entity_id))
        except ValueError as exc:
            raise errors.invalid_id(entity_id) from exc
        r = self.store.get(self.realm, etype.name, eid) if 0 <= eid <= MAX_ID else None
        if r is None:
            raise errors.object_not_found(etype.name, entity_id)
        if r.deleted:
            raise errors.deleted_txn() if etype.is_txn else errors.object_not_found(etype.name, entity_id)
        return r

    def read(self, etype: EntityType, entity_id: object) -> dict:
        return self.row(etype, entity_id).data

    def present(self, etype: EntityType, rows: list[dict]) -> list[dict]:
        """Entities as the API answers them: accounts carry their balance from the ledger."""
        return ledger.with_balances(self, rows) if etype.name == "Account" else rows

    def ref(self, kind: str, ref: object, field: str, *, must_be_active: bool = True) -> Row:
        """Resolve a ``{"value": id}`` reference, refusing unknown or inactive targets."""
        value = ref.get("value") if isinstance(ref, dict) else ref
        if value in (None, ""):
            raise errors.required(field)
        try:
            rid = int(str(value))
        except ValueError:
            rid = -1
        r = self.store.get(self.realm, kind, rid) if 0 <= rid <= MAX_ID else None
        if r is None or r.deleted:
            raise errors.invalid_reference(field, value)
        if must_be_active and not r.active:
            raise errors.object_not_found(kind, value)
        return r

    # -- writes ------------------------------------------------------------------------------
    def create(self, etype: EntityType, body: dict, options: frozenset[str] = frozenset()) -> dict:
        self._writable(etype)
        data = self._clean(etype, body, creating=True)
        with self.store.transaction():
            eid = self.store.next_value(self.realm, f"id:{etype.name}", 1)
            data = self._apply_rules(etype, data, None, options, data)
            now = self.stamp()
            data.update(Id=str(eid), SyncToken="0", domain="QBO", sparse=False,
                        MetaData={"CreateTime": now, "LastUpdatedTime": now})
            self._save(etype, eid, data)
            self._after_write(etype, data, None)
        self._event(etype, data, "Create")
        return data

    def update(self, etype: EntityType, body: dict, options: frozenset[str] = frozenset()) -> dict:
        self._writable(etype)
        sparse = body.get("sparse") in (True, "true", "True")
        data = self._clean(etype, body, creating=False)
        if "Id" not in body or body.get("Id") in (None, ""):
            raise errors.required("Id")
        if not etype.updatable:
            raise errors.unsupported_operation("update")
        with self.store.transaction():
            current = self.row(etype, body["Id"])
            self._check_token(etype, body, current)
            old = current.data
            bookkeeping.guard(self, etype, old)
            if sparse:
                merged = copy.deepcopy(old)
                merged.update(data)
            else:
                # A full update replaces every writable field; what QBO computes is kept.
                merged = {k: v for k, v in old.items() if k in etype.read_only or k in ("Id", "MetaData")}
                merged.update(data)
            if etype.name_field and not merged.get(etype.name_field) and etype.name_field == "DisplayName" \
                    and sparse and "DisplayName" in data:
                raise errors.required("DisplayName")
            merged = self._apply_rules(etype, merged, old, options, data)
            merged.update(Id=old["Id"], SyncToken=str(int(old["SyncToken"]) + 1), domain="QBO", sparse=False,
                          MetaData={**old.get("MetaData", {}), "LastUpdatedTime": self.stamp()})
            self._save(etype, int(old["Id"]), merged)
            self._after_write(etype, merged, old)
        self._event(etype, merged, "Update")
        return merged

    def delete(self, etype: EntityType, body: dict) -> dict:
        if not etype.can_delete:
            raise errors.unsupported_operation("delete")
        with self.store.transaction():
            current = self.row(etype, body.get("Id"))
            self._check_token(etype, body, current)
            transactions.check_closed_period(self, current.data)
            transactions.before_delete(self, etype, current.data)
            bookkeeping.before_delete(self, etype, current.data)
            self._after_write(etype, None, current.data)
            stamp = self.stamp()
            tombstone = {"Id": current.data["Id"], "status": "Deleted", "domain": "QBO",
                         "MetaData": {"LastUpdatedTime": stamp}}
            self.store.put(Row(self.realm, etype.name, current.entity_id, tombstone, deleted=True,
                               updated_at=self.rt.clock.timestamp()))
        self._event(etype, tombstone, "Delete")
        return {"status": "Deleted", "domain": "QBO", "Id": current.data["Id"]}

    def void(self, etype: EntityType, body: dict) -> dict:
        if etype.void is None:
            raise errors.unsupported_operation("void")
        with self.store.transaction():
            current = self.row(etype, body.get("Id"))
            self._check_token(etype, body, current)
            old = current.data
            transactions.check_closed_period(self, old)
            bookkeeping.guard(self, etype, old)
            voided = transactions.voided(self, etype, old)
            voided.update(SyncToken=str(int(old["SyncToken"]) + 1),
                          MetaData={**old.get("MetaData", {}), "LastUpdatedTime": self.stamp()})
            self._save(etype, int(old["Id"]), voided)
            self._after_write(etype, voided, old)
        self._event(etype, voided, "Void")
        return voided

    def template(self, etype: EntityType, body: dict) -> dict:
        """``body`` checked by ``etype``'s rules and completed, but not saved: a recurring transaction's template,
        which takes no document number (and, unsaved, posts nothing). Its date and due date stay as sent."""
        data = self._clean(etype, body, creating=True)
        data["DocNumber"] = ""  # an empty number: no auto-numbering
        with self.store.transaction():
            data = self._apply_rules(etype, data, None, frozenset(), data)
        for field in ("DocNumber", "TxnDate", "DueDate"):
            if not body.get(field):
                data.pop(field, None)
        return data

    # -- settings entities -------------------------------------------------------------------
    def update_preferences(self, body: dict) -> dict:
        etype = TYPES["Preferences"]
        with self.store.transaction():
            current = self.row(etype, 1)
            self._check_token(etype, body, current)
            merged = copy.deepcopy(current.data)
            for group, values in body.items():
                if group in etype.read_only or group in ("Id", "SyncToken"):
                    continue
                if group not in etype.fields:
                    raise errors.unknown_field(group, "Preferences")
                if not isinstance(values, dict):
                    raise errors.invalid_type(group, values)
                target = merged.setdefault(group, {})
                for key, value in values.items():
                    if (group, key) in READ_ONLY_PREFS:
                        continue
                    target[key] = _like(target.get(key), f"{group}.{key}", value)
            merged.update(SyncToken=str(int(current.data["SyncToken"]) + 1),
                          MetaData={**current.data.get("MetaData", {}), "LastUpdatedTime": self.stamp()})
            self._save(etype, 1, merged)
        self._event(etype, merged, "Update")
        return merged

    # -- query and change data capture ---------------------------------------------------------
    def query(self, statement: str) -> dict:
        q = _parsed(statement)
        etype = TYPES[q.entity]
        active = True if etype.category == "name" and not q.mentions_active else None
        if q.count and not q.conditions:
            return {"totalCount": self.store.count(self.realm, etype.name, active=active)}
        start = q.start_position - 1
        size = min(q.max_results, MAX_RESULTS)
        if not q.conditions and not q.order_by:
            rows = self.present(etype, [r.data for r in self.store.select(self.realm, etype.name, active=active,
                                                                          offset=start, limit=size)])
        else:
            ids = self._matched_ids(etype, q, active)
            if ids is None:  # not kept: the matches are worked out for this request
                rows = self._matching(etype, q, active)
                if q.count:
                    return {"totalCount": len(rows)}
                rows = rows[start:start + size]
            else:
                if q.count:
                    return {"totalCount": len(ids)}
                rows = self._by_ids(etype, ids[start:start + size])
        if not rows:
            return {}
        if q.fields and "*" not in q.fields:
            keep = set(q.fields) | {"Id", "SyncToken", "domain", "sparse", "MetaData"}
            rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
        return {etype.json_key: rows, "startPosition": q.start_position, "maxResults": len(rows)}

    def _matching(self, etype: EntityType, q: query.Query, active: bool | None) -> list[dict]:
        """The entities a statement with conditions or an order selects, as the API shows them, in its order."""
        rows = self.present(etype, [r.data for r in self.store.select(self.realm, etype.name, active=active,
                                                                      ids=_id_pushdown(q))])
        rows = [r for r in rows if query.matches(r, q.conditions)]
        return query.sort_records(rows, q.order_by) if q.order_by else rows

    def _matched_ids(self, etype: EntityType, q: query.Query, active: bool | None) -> tuple[int, ...] | None:
        """The ids of :meth:`_matching`, kept for all the pages of one statement while nothing is written: a sync
        reading 20,000 items a page of 1,000 at a time then reads and sorts them once, not once a page. None when
        they are not kept: accounts (their balances are the ledger's as of today, so they move with the clock too),
        a condition's value that cannot be a key, or an id that is not a number (then worked out twice; QBO's ids
        are numbers)."""
        if etype.name == "Account":
            return None
        key = ("quickbooks.query", self.realm, etype.name, q.conditions, q.order_by, active)
        try:
            hash(key)
        except TypeError:
            return None

        def ids() -> tuple[int, ...] | None:
            rows = self._matching(etype, q, active)
            if not all(str(r.get("Id", "")).isdigit() for r in rows):
                return None
            return tuple(int(r["Id"]) for r in rows)  # a tuple of ints: kept, it is no work for the GC

        return self.store.memo(key, ids)

    def _by_ids(self, etype: EntityType, ids: tuple[int, ...]) -> list[dict]:
        """The entities of ``ids``, as the API shows them, in that order."""
        if not ids:
            return []
        found = {r.entity_id: r.data for r in self.store.select(self.realm, etype.name, ids=list(ids))}
        return self.present(etype, [found[i] for i in ids if i in found])

    def cdc(self, entity_names: list[str], changed_since: datetime) -> list[dict]:
        if changed_since.tzinfo is None:
            changed_since = changed_since.replace(tzinfo=self.tz)
        if changed_since < self.now() - timedelta(days=CDC_WINDOW_DAYS):
            raise QBOError("2060", "Invalid Date",
                           f"changedSince must be within the last {CDC_WINDOW_DAYS} days", "changedSince")
        out, budget = [], CDC_MAX_OBJECTS
        for name in entity_names:
            etype = TYPES.get(name)
            if etype is None or etype.category == "setting" and name != "Preferences":
                raise errors.unknown_resource(name)
            rows = self.store.select(self.realm, etype.name, include_deleted=True,
                                     changed_since=changed_since.timestamp())
            items = self.present(etype, [r.data for r in rows[:budget]])
            budget -= len(items)
            block: dict = {"startPosition": 1, "maxResults": len(items)}
            if items:
                block = {etype.json_key: items, **block, "totalCount": len(items)}
            out.append(block)
        return out

    # -- internals -----------------------------------------------------------------------------
    def _writable(self, etype: EntityType) -> None:
        if etype.category in ("readonly", "setting"):
            raise errors.unsupported_operation("create" if etype.category == "readonly" else "update")
        if etype.category == "template":  # written through its own endpoint only (recurring.py)
            raise errors.not_simulated(f"{etype.name} in a batch")

    def _clean(self, etype: EntityType, body: dict, creating: bool) -> dict:
        """Drop what QBO ignores (computed fields, the SDK's empty defaults); refuse unknown fields."""
        out = {}
        for key, value in body.items():
            if key not in etype.fields:
                raise errors.unknown_field(key, etype.name)
            if key in etype.read_only or key in ("Id", "SyncToken"):
                continue
            if value == "" and key != "DocNumber":
                continue
            if creating and value in ([], {}, None):
                continue
            out[key] = shaped(key, value)
        return out

    def _check_token(self, etype: EntityType, body: dict, current: Row) -> None:
        supplied = body.get("SyncToken")
        try:
            ok = supplied is not None and int(str(supplied)) == int(current.data["SyncToken"])
        except ValueError:
            ok = False
        if not ok:
            raise errors.stale(etype.name)

    def _apply_rules(self, etype: EntityType, data: dict, old: dict | None, options: frozenset[str],
                     sent: dict) -> dict:
        """Complete ``data`` (the entity as it will be, merged with ``old`` on an update) by QBO's rules; ``sent``
        is what the request itself carried, which a rule may need to tell from what ``old`` already held."""
        _check_lengths(data)
        bookkeeping.declared(self, etype, data)
        if etype.name in PARTIES:
            self._party_rules(etype, data, old)
        elif etype.name == "Item":
            self._item_rules(data)
        elif etype.name == "Account":
            self._account_rules(data)
        elif etype.name == "CompanyCurrency":
            self._currency_rules(data)
        elif etype.name in ("Term", "PaymentMethod"):
            if not data.get("Name"):
                raise errors.required("Name")
            data.setdefault("Active", True)
            if etype.name == "Term":
                data["Type"] = "DATE_DRIVEN" if data.get("DayOfMonthDue") else "STANDARD"
        elif etype.name in ("Class", "Department", "TaxAgency"):
            bookkeeping.name_list(self, etype, data, old)
        elif etype.name == "Attachable":
            bookkeeping.attachable(self, data, old)
        if etype.name_field:
            self._unique_name(etype, data, old)
        if etype.name in bookkeeping.RULES:
            data = bookkeeping.apply(self, etype, data, old)
        elif etype.is_txn:
            data = transactions.apply(self, etype, data, old, options, sent)
        return data

    def _party_rules(self, etype: EntityType, data: dict, old: dict | None) -> None:
        for field in (*NAME_PARTS, "DisplayName", "PrintOnCheckName"):
            value = data.get(field)
            if isinstance(value, str) and any(ch in value for ch in FORBIDDEN):
                raise errors.invalid_chars(field)
        if not data.get("DisplayName"):
            parts = [str(data[p]).strip() for p in NAME_PARTS if data.get(p)]
            if not parts:
                raise QBOError("2020", "Required param missing, need to supply the required value for the API",
                               "Required parameter : Either DisplayName or one of Title, GivenName, MiddleName, "
                               "FamilyName, Suffix is required.", "DisplayName")
            data["DisplayName"] = " ".join(parts)
        data["DisplayName"] = str(data["DisplayName"]).strip()
        data.setdefault("PrintOnCheckName", data.get("CompanyName") or data["DisplayName"])
        data.setdefault("Active", True)
        email = data.get("PrimaryEmailAddr")
        if email is not None:
            address = email.get("Address") if isinstance(email, dict) else None
            if not isinstance(address, str) or "@" not in address or "." not in address:
                raise QBOError("2210", "Invalid Email Address format",
                               f"Email Address does not conform to the syntax rules of RFC 822. "
                               f"Supplied value:{address}", "PrimaryEmailAddr")
            if len(address) > 100:
                raise errors.string_length("PrimaryEmailAddr", 100, len(address))
        if etype.name == "Customer":
            self._customer_rules(data, old)

    def _customer_rules(self, data: dict, old: dict | None) -> None:
        home = self.settings.get("homeCurrency", "USD")
        cur = data.get("CurrencyRef")
        code = cur.get("value") if isinstance(cur, dict) else None
        if code and code != home and not self.settings.get("multiCurrency"):
            raise errors.business("Multicurrency is not enabled for this company.", "CurrencyRef")
        if code and code != home and self.store.find_name(self.realm, ("CompanyCurrency",), code.lower()) is None:
            raise errors.business(f"The currency {code} is not in the company's currency list.", "CurrencyRef")
        fixed = (old or {}).get("CurrencyRef", {}).get("value")
        if fixed and code and code != fixed:  # a customer's currency is set once, at create (I8)
            raise errors.business(f"You can't change the currency of a customer. This customer uses {fixed}.",
                                  "CurrencyRef")
        code = code or fixed or home
        data["CurrencyRef"] = {"value": code, "name": transactions.currency_name(code)}
        parent = data.get("ParentRef")
        data["Job"] = bool(parent) and data.get("Job", True) is not False
        if parent:
            prow = self.ref("Customer", parent, "ParentRef")
            level = int(prow.data.get("Level", 0)) + 1
            if level > 4:
                raise QBOError("6180", "Invalid Customer hierarchy",
                               "Business Validation Error: A customer can have at most 4 levels of sub-customers.")
            data["Level"] = level
            data["FullyQualifiedName"] = f"{prow.data['FullyQualifiedName']}:{data['DisplayName']}"
        else:
            data["Level"] = 0
            data["FullyQualifiedName"] = data["DisplayName"]
        data.setdefault("Taxable", self.country == "US")
        data.setdefault("BillWithParent", False)
        data.setdefault("Balance", 0)
        data.setdefault("BalanceWithJobs", data.get("Balance", 0))
        data.setdefault("PreferredDeliveryMethod", "Print")

    def _currency_rules(self, data: dict) -> None:
        if not self.settings.get("multiCurrency"):
            raise errors.business("Multicurrency is not enabled for this company.", "Code")
        code = str(data.get("Code") or "").upper()
        if not code:
            raise errors.required("Code")
        if code not in transactions.CURRENCIES or code == self.settings.get("homeCurrency"):
            raise errors.invalid_enum("Code", code)
        data["Code"] = code
        data["Name"] = transactions.currency_name(code)
        data.setdefault("Active", True)

    def _item_rules(self, data: dict) -> None:
        if not data.get("Name"):
            raise errors.required("Name")
        if any(ch in str(data["Name"]) for ch in FORBIDDEN):
            raise errors.invalid_chars("Name")
        kind = data.setdefault("Type", "Service")
        if kind not in ("Inventory", "Service", "NonInventory", "Category", "Group"):
            raise errors.invalid_enum("Type", kind)
        if kind == "Group":
            raise errors.unsupported_operation("create of Group items")
        if kind in ("Inventory", "Service") and not data.get("IncomeAccountRef"):
            raise errors.required("IncomeAccountRef")
        if kind == "Inventory":
            if not data.get("AssetAccountRef"):
                raise QBOError("2020", "Required param missing, need to supply the required value for the API",
                               "Required parameter is missing in the request. An inventory assetaccount is "
                               "required if you are tracking inventory quantities for this product.",
                               "AssetAccountRef")
            for field in ("ExpenseAccountRef", "InvStartDate"):
                if not data.get(field):
                    raise errors.required(field)
            data["TrackQtyOnHand"] = True
            data.setdefault("QtyOnHand", 0)
        for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if data.get(field):
                acct = self.ref("Account", data[field], field)
                data[field] = {"value": acct.data["Id"], "name": acct.data["Name"]}
        data.setdefault("Active", True)
        data.setdefault("Taxable", False)
        data.setdefault("UnitPrice", 0)
        data.setdefault("FullyQualifiedName", data["Name"])
        data["FullyQualifiedName"] = data["Name"]

    def _account_rules(self, data: dict) -> None:
        if not data.get("Name"):
            raise errors.required("Name")
        if any(ch in str(data["Name"]) for ch in FORBIDDEN):
            raise errors.invalid_chars("Name")
        if not data.get("AccountType") and not data.get("AccountSubType"):
            raise QBOError("6010", "Invalid account type used",
                           "Business Validation Error: You must select an account type.", "AccountType")
        data.setdefault("AccountType", transactions.account_type_of(data.get("AccountSubType")))
        data["Classification"] = transactions.classification_of(data["AccountType"])
        data.setdefault("Active", True)
        data.setdefault("SubAccount", False)
        data["FullyQualifiedName"] = data["Name"]
        data.setdefault("CurrentBalance", 0)
        data.setdefault("CurrentBalanceWithSubAccounts", 0)
        data.setdefault("CurrencyRef", {"value": self.settings.get("homeCurrency", "USD"),
                                        "name": transactions.currency_name(self.settings.get("homeCurrency",
                                                                                             "USD"))})

    def _unique_name(self, etype: EntityType, data: dict, old: dict | None) -> None:
        name = data.get(etype.name_field)
        if not name:
            return
        clash = self.store.find_name(self.realm, etype.namespace, name_key(name))
        if clash is not None and not (old is not None and clash.kind == etype.name
                                      and clash.entity_id == int(old["Id"])):
            raise errors.duplicate_name(clash.entity_id)

    def _save(self, etype: EntityType, eid: int, data: dict) -> None:
        name = data.get(etype.name_field) if etype.name_field else None
        doc = data.get("DocNumber") if etype.doc_numbers else None
        self.store.put(Row(self.realm, etype.name, eid, data, name_key=name_key(name) if name else None,
                           doc_number=doc or None, active=data.get("Active", True) is not False,
                           updated_at=self.rt.clock.timestamp()))

    def _after_write(self, etype: EntityType, new: dict | None, old: dict | None) -> None:
        if etype.is_txn:
            transactions.after_write(self, etype, new, old)
        bookkeeping.after_write(self, etype, new, old)

    def _event(self, etype: EntityType, data: dict, operation: str) -> None:
        self.events.append({"name": etype.name, "id": data["Id"], "operation": operation,
                            "lastUpdated": data.get("MetaData", {}).get("LastUpdatedTime", self.stamp())})

    def touch(self, etype: EntityType, data: dict) -> None:
        """Save a change QBO makes on its own (an invoice's balance after a payment)."""
        data["SyncToken"] = str(int(data["SyncToken"]) + 1)
        data["MetaData"] = {**data.get("MetaData", {}), "LastUpdatedTime": self.stamp()}
        self._save(etype, int(data["Id"]), data)
        self._event(etype, data, "Update")


def name_key(name: str) -> str:
    """Names compare case-insensitively and ignore surrounding spaces."""
    return " ".join(str(name).split()).lower()


def _check_lengths(data: dict) -> None:
    for field, maximum in NAME_LIMITS.items():
        value = data.get(field)
        if isinstance(value, str) and len(value) > maximum:
            raise errors.string_length(field, maximum, len(value))


def _id_pushdown(q: query.Query) -> list[int] | None:
    for c in q.conditions:
        if c.field == "Id" and c.op in ("=", "IN"):
            values = c.value if isinstance(c.value, tuple) else (c.value,)
            try:
                return [i for i in (int(str(v)) for v in values) if 0 <= i <= MAX_ID]
            except ValueError:
                return []
    return None


def shaped(field: str, value: object, top_level: bool = True) -> object:
    """``value`` as QBO's JSON deserialiser reads it into ``field`` (scalars coerced), or its refusal."""
    kind = fields.kind(field, top_level)
    if kind is None or value is None or (value == "" and kind != "string"):
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise errors.invalid_type(field, value)
        return {k: shaped(k, v, top_level=False) for k, v in value.items()}
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise errors.invalid_type(field, value)
        return [{k: shaped(k, v, top_level=False) for k, v in item.items()} for item in value]
    if kind == "number":
        return _number(field, value)
    if kind == "boolean":
        return _boolean(field, value)
    if kind == "date":
        if not isinstance(value, str):
            raise errors.invalid_type(field, value)
        transactions.parse_date(value, field)
        return value
    return _string(field, value)


def _string(field: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise errors.invalid_type(field, value)
    return value


def _boolean(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise errors.invalid_type(field, value)


def _number(field: str, value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise errors.invalid_type(field, value)
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise errors.invalid_type(field, value) from exc
    if not parsed.is_finite():
        raise errors.invalid_type(field, value)
    if parsed.adjusted() >= MAX_INTEGER_DIGITS:  # 1e60, 12345678901234567890: more than QBO keeps (2080)
        raise errors.number_out_of_range(field, value, MAX_INTEGER_DIGITS)
    if isinstance(value, str):
        return int(parsed) if parsed == parsed.to_integral_value() and parsed.as_tuple().exponent >= 0 \
            else float(parsed)
    return value


def _like(current: object, field: str, value: object) -> object:
    """A preference keeps its JSON kind: a flag stays a flag, a group stays a group."""
    if current is None or value is None:
        return value
    if isinstance(current, bool):
        return _boolean(field, value)
    if isinstance(current, (int, float)):
        return _number(field, value)
    if isinstance(current, str):
        return _string(field, value)
    if not isinstance(value, type(current)):
        raise errors.invalid_type(field, value)
    if isinstance(value, list) and not all(isinstance(v, dict) for v in value):
        raise errors.invalid_type(field, value)
    return value


_KNOWN_FIELDS = {n: set(t.fields) for n, t in TYPES.items()}
_QUOTED = re.compile(r"'([^']*)'")  # a string literal, in a statement without backslashes (no escapes)
_HOLE = "\x00"  # what stands for a literal in a statement's shape (no statement a client sends has it)


def _parsed(statement: str) -> query.Query:
    """A statement parsed and validated, kept by its shape: a sync sends the same statements pass after pass with
    only their string literals moving (``MetaData.LastUpdatedTime >= '…'``), so the statement with each literal
    replaced by a numbered hole is parsed once, and the literals are put back into its conditions. A string
    token's content never changes how a statement parses (the parser and the validation look at token kinds
    and field names; a literal's text is only a condition's value), and anything out of the ordinary — a
    backslash, a hole that does not come back exactly once, a shape that does not parse — is parsed as it is,
    so a refused statement is refused with its own error, positions and all."""
    if "'" not in statement or "\\" in statement or _HOLE in statement:
        return _parsed_text(statement)
    literals = _QUOTED.findall(statement)
    holes = iter(range(len(literals)))
    shape = _QUOTED.sub(lambda _: f"'{_HOLE}{next(holes)}'", statement)
    try:
        kept = _parsed_text(shape)
    except query.QueryError:
        return _parsed_text(statement)
    filled: list[int] = []

    def fill(value: object) -> object:
        if isinstance(value, str) and value.startswith(_HOLE):
            filled.append(int(value[1:]))
            return literals[filled[-1]]
        return value

    conditions = tuple(dataclasses.replace(c, value=tuple(fill(v) for v in c.value) if isinstance(c.value, tuple)
                                           else fill(c.value)) for c in kept.conditions)
    if sorted(filled) != list(range(len(literals))):
        return _parsed_text(statement)
    return dataclasses.replace(kept, conditions=conditions)


@functools.lru_cache(maxsize=512)
def _parsed_text(statement: str) -> query.Query:
    """A statement parsed and validated: a pure function of its text (the entities and their fields are fixed, and
    a Query is frozen). A statement QBO refuses raises its QueryError each time (exceptions are not cached)."""
    return query.validate(query.parse(statement, TYPES), query.QUERYABLE_FIELDS, _KNOWN_FIELDS)
