"""One HubSpot portal (account): CRM objects, properties and associations. Knows nothing of HTTP.

Records are stored as ``{"id", "properties", "createdAt", "updatedAt", "archived"[, "archivedAt"]}``
with every property value a string, as HubSpot returns them. Operations raise
:class:`HubSpotError` in HubSpot's words; writes run in one store transaction.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ..core.runtime import Runtime
from ..core.storage import Row
from . import catalog, errors, search
from .catalog import ObjectType, PropertyDef
from .errors import HubSpotError
from .system import new_event
from .tenant import DEFAULT_TIME_ZONE

MAX_PAGE = 100
MAX_PAGE_WITH_HISTORY = 50  # the SDK's get_all drops to 50 too when history is asked for
MAX_HISTORY = 45  # versions kept per property, newest first (our bound: soak runs must not grow without end)
MAX_BATCH = 100
MAX_ASSOCIATIONS_PAGE = 500  # v4 association pages default to 500 (notes §3.1); choice: also the maximum
# accountType of GET /account-info/v3/details per tier. The v3 enum (STANDARD, DEVELOPER_TEST, SANDBOX,
# APP_DEVELOPER) says what kind of account it is, not its subscription: every tier is a STANDARD account.
ACCOUNT_TYPES = {"free": "STANDARD", "starter": "STANDARD", "professional": "STANDARD", "enterprise": "STANDARD"}
UI_DOMAIN = "app.hubspot.com"  # the na1 data centre, as the pat-na1- tokens say
DATA_HOSTING_LOCATION = "na1"
# Child type -> the types whose calculated properties sum it: line items (amount) and payments (amount paid).
CALCULATED_PARENTS = {"line_items": ("invoices", "quotes"), "commerce_payments": ("invoices",)}
# hs_latest_status values (lower-cased) of a payment that counts towards an invoice's amount paid. "processing":
# an ACH payment not yet settled already shows the invoice paid in HubSpot (rule G2). Any other status (failed,
# canceled, refunded, …) does not count.
PAYMENT_STATUSES_COUNTED = frozenset({"succeeded", "processing"})
ASSOCIATION = "association"  # store kind of association rows: one per (from type, from id, to type, to id)
LABEL = "association-label"  # store kind of user-defined association labels


def iso(ts: float) -> str:
    """HubSpot's timestamps: ISO 8601, milliseconds, Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def object_type(name: str) -> ObjectType:
    otype = catalog.resolve_type(name)
    if otype is None:
        raise errors.bad_request(f"Unable to infer object type from: {name}")
    return otype


def parse_type_ids(types: object) -> list[int]:
    """The ``associationTypeId`` of each ``{associationCategory, associationTypeId}``; 400 when malformed."""
    if not isinstance(types, list) or not all(isinstance(t, dict) for t in types):
        raise errors.bad_request("Invalid input JSON: types must be a list of {associationCategory, "
                                 "associationTypeId}")
    out = []
    for t in types:
        tid = t.get("associationTypeId")
        if isinstance(tid, bool) or not isinstance(tid, (int, str)) or not str(tid).strip().isdigit():
            raise errors.bad_request(f"Invalid input JSON: associationTypeId must be an integer, not {tid!r}")
        out.append(int(tid))
    return out


def _ref_id(ref: object, field: str) -> str:
    """The id of a ``{"id": ...}`` reference in a batch input; 400 when it is missing or malformed."""
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), (str, int)) or isinstance(ref["id"], bool) \
            or not str(ref["id"]):
        raise errors.bad_request(f"Invalid input JSON: {field} must be an object with an id")
    return str(ref["id"])


class Portal:
    def __init__(self, runtime: Runtime, portal_id: str) -> None:
        self.rt = runtime
        self.store = runtime.store
        self.portal = portal_id
        tenant = self.store.tenant(portal_id)
        if tenant is None:
            raise KeyError(portal_id)
        self.settings: dict = tenant["settings"]
        self.events: list[dict] = []

    # -- time and ids --------------------------------------------------------------------------
    def now(self) -> str:
        return iso(self.rt.clock.timestamp())

    def _now_ms(self) -> int:
        return int(self.rt.clock.timestamp() * 1000)

    def _next_id(self, otype: ObjectType) -> int:
        # Ids grow per type from a portal-looking base, so ids of different types rarely coincide.
        return self.store.next_value(self.portal, f"id:{otype.name}", 10_000 * (int(otype.type_id.split("-")[1]) + 1))

    # -- the account ---------------------------------------------------------------------------
    def account_details(self) -> dict:
        """``GET /account-info/v3/details``: the portal's id, kind, time zone (offset at the virtual clock's
        instant) and currencies."""
        zone = self.settings.get("timeZone") or DEFAULT_TIME_ZONE
        offset = self.rt.clock.now().astimezone(ZoneInfo(zone)).utcoffset()
        seconds = int(offset.total_seconds()) if offset is not None else 0
        sign, rest = ("-" if seconds < 0 else "+"), abs(seconds)
        return {"portalId": int(self.portal), "accountType": ACCOUNT_TYPES.get(self.settings.get("tier"), "STANDARD"),
                "timeZone": zone, "companyCurrency": self.settings.get("currency", "USD"), "additionalCurrencies": [],
                "utcOffset": f"{sign}{rest // 3600:02d}:{rest % 3600 // 60:02d}",
                "utcOffsetMilliseconds": seconds * 1000,
                "uiDomain": UI_DOMAIN, "dataHostingLocation": DATA_HOSTING_LOCATION}

    # -- properties ----------------------------------------------------------------------------
    def definitions(self, otype: ObjectType) -> dict[str, PropertyDef]:
        defs = dict(catalog.BUILTIN_PROPERTIES[otype.name])
        for row in self.store.select(self.portal, f"property:{otype.name}"):
            defs[row.data["name"]] = PropertyDef.from_json(row.data)
        return defs

    def _validate(self, otype: ObjectType, values: object, creating: bool) -> dict[str, str]:
        if not isinstance(values, dict):
            raise errors.bad_request("Invalid input JSON: properties must be an object of property names to values")
        normalised, problems = catalog.validate_values(otype.name, values, self.definitions(otype), int(self.portal))
        if problems:
            raise HubSpotError(400, catalog.validation_error_body(problems, errors.correlation_id()))
        return normalised

    # -- records -------------------------------------------------------------------------------
    def _row(self, otype: ObjectType, object_id: object, id_property: str | None = None,
             archived: bool = False) -> Row:
        row = self._find(otype, object_id, id_property)
        if row is None or row.deleted or (row.data.get("archived", False) != archived):
            raise errors.not_found(object_id)
        return row

    def _find(self, otype: ObjectType, object_id: object, id_property: str | None) -> Row | None:
        if id_property and id_property != "hs_object_id":
            definition = self.definitions(otype).get(id_property)
            if definition is None or not definition.has_unique_value:
                raise errors.bad_request(f"{id_property} is not a unique property of {otype.name}")
            return self._by_unique(otype, id_property, str(object_id))
        try:
            return self.store.get(self.portal, otype.name, int(str(object_id)))
        except (ValueError, OverflowError):
            return None

    def _by_unique(self, otype: ObjectType, name: str, value: str) -> Row | None:
        if not value:
            return None
        if otype.name == "contacts" and name == "email":
            return self.store.find_name(self.portal, ("contacts",), value.lower())
        # the stored JSON holds "name":"value" (compact separators): let SQL narrow the rows down first
        fragment = json.dumps({name: value}, separators=(",", ":"))[1:-1]
        for row in self.store.find_in_data(self.portal, otype.name, fragment):
            if row.data["properties"].get(name, "").lower() == value.lower() and not row.data.get("archived"):
                return row
        return None

    def view(self, otype: ObjectType, row: Row, properties: Sequence[str] | None = None,
             associations: Sequence[str] | None = None, with_history: Sequence[str] | None = None) -> dict:
        """A record as the API shows it: default or requested properties, associations and history on request."""
        data = row.data
        names = properties if properties else otype.default_properties
        props = {n: data["properties"].get(n) for n in names if n in data["properties"] or properties}
        out = {"id": data["id"], "properties": props, "createdAt": data["createdAt"], "updatedAt": data["updatedAt"],
               "archived": data.get("archived", False)}
        if with_history:
            history = data.get("history", {})
            out["propertiesWithHistory"] = {n: history.get(n, []) for n in with_history}
        if data.get("archivedAt"):
            out["archivedAt"] = data["archivedAt"]
        if associations:
            assoc = {}
            for name in associations:
                to_type = catalog.resolve_type(name)
                if to_type is None:
                    continue
                results = []
                for to_id, types in self._associations(otype, data["id"], to_type):
                    for t in types:
                        results.append({"id": to_id, "type": catalog.v3_type_name(otype.singular, to_type.singular,
                                                                                  t["typeId"])})
                if results:
                    assoc[to_type.name] = {"results": results}
            if assoc:
                out["associations"] = assoc
        return out

    def get(self, otype: ObjectType, object_id: object, id_property: str | None = None,
            properties: Sequence[str] | None = None, associations: Sequence[str] | None = None,
            archived: bool = False, with_history: Sequence[str] | None = None) -> dict:
        row = self._row(otype, object_id, id_property, archived)
        return self.view(otype, row, properties, associations, with_history)

    def page(self, otype: ObjectType, limit: int = 10, after: str | None = None,
             properties: Sequence[str] | None = None, associations: Sequence[str] | None = None,
             archived: bool = False, with_history: Sequence[str] | None = None) -> dict:
        if not 1 <= limit <= MAX_PAGE:
            raise errors.bad_request(f"limit must be between 1 and {MAX_PAGE}")
        if with_history:
            limit = min(limit, MAX_PAGE_WITH_HISTORY)
        try:
            start = int(after) if after else 0
        except ValueError as exc:
            raise errors.bad_request(f"after must be a record id, not {after}") from exc
        rows = [r for r in self.store.select(self.portal, otype.name)
                if r.data.get("archived", False) == archived and r.entity_id >= start]
        page, rest = rows[:limit], rows[limit:]
        out: dict = {"results": [self.view(otype, r, properties, associations, with_history) for r in page]}
        if rest:  # the paging key is absent on the last page: the SDK loops until it is
            nxt = str(rest[0].entity_id)
            out["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return out

    def create(self, otype: ObjectType, body: object) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        values = self._validate(otype, body.get("properties", {}), creating=True)
        if otype.name == "deals":
            values.setdefault("pipeline", "default")  # the deals guide: no pipeline → the default one
        self._required(otype, values)
        with self.store.transaction():
            self._unique(otype, values, None)
            oid = self._next_id(otype)
            now = self.now()
            props = {k: v for k, v in values.items() if v != ""}
            props.update({"hs_object_id": str(oid), otype.created_property: now, otype.modified_property: now})
            data = {"id": str(oid), "properties": props, "createdAt": now, "updatedAt": now, "archived": False}
            self._derive(otype, data)
            self._save(otype, data, {})
            for assoc in body.get("associations") or []:
                self._associate_input(otype, str(oid), assoc)
        self.events.append(new_event(oid, f"{otype.singular}.creation", self._now_ms(), changeFlag="CREATED"))
        return self.view(otype, self._row(otype, oid), list(props))

    def update(self, otype: ObjectType, object_id: object, body: object, id_property: str | None = None) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        values = self._validate(otype, body.get("properties", {}), creating=False)
        with self.store.transaction():
            row = self._row(otype, object_id, id_property)
            data = copy.deepcopy(row.data)
            before = dict(data["properties"])
            self._unique(otype, values, data["id"])
            changed = {k: v for k, v in values.items() if data["properties"].get(k, "") != v}
            for k, v in values.items():
                if v == "":
                    data["properties"].pop(k, None)  # an empty string clears the value
                else:
                    data["properties"][k] = v
            now = self.now()
            data["properties"][otype.modified_property] = now
            data["updatedAt"] = now
            self._derive(otype, data)
            self._save(otype, data, before)
            self._recalculate_parents(otype, data["id"])
        for name, value in changed.items():
            self.events.append(new_event(data["id"], f"{otype.singular}.propertyChange", self._now_ms(),
                                         propertyName=name, propertyValue=value))
        return self.view(otype, self._row(otype, data["id"]), list(data["properties"]))

    def archive(self, otype: ObjectType, object_id: object) -> None:
        with self.store.transaction():
            row = self._find(otype, object_id, None)
            if row is None or row.deleted or row.data.get("archived"):
                return  # archiving is idempotent: HubSpot answers 204 for an unknown or archived id
            data = copy.deepcopy(row.data)
            now = self.now()
            data.update(archived=True, archivedAt=now, updatedAt=now)
            self._save(otype, data)
            self._recalculate_parents(otype, data["id"])  # archived line items and payments stop counting
        self.events.append(new_event(data["id"], f"{otype.singular}.deletion", self._now_ms()))

    def merge(self, otype: ObjectType, body: object) -> dict:
        if not otype.mergeable:
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not body.get("primaryObjectId") or not body.get("objectIdToMerge"):
            raise errors.bad_request("primaryObjectId and objectIdToMerge are required")
        with self.store.transaction():
            primary = copy.deepcopy(self._row(otype, body["primaryObjectId"]).data)
            before = dict(primary["properties"])
            merged = copy.deepcopy(self._row(otype, body["objectIdToMerge"]).data)
            if primary["id"] == merged["id"]:
                raise errors.bad_request("A record can't be merged with itself")
            for k, v in merged["properties"].items():
                primary["properties"].setdefault(k, v)  # the primary's values win; gaps are filled
            for to_type in catalog.OBJECT_TYPES.values():
                for to_id, types in self._associations(otype, merged["id"], to_type):
                    self._unlink(otype, merged["id"], to_type, to_id)
                    if not (to_type.name == otype.name and to_id == primary["id"]):
                        self._link(otype, primary["id"], to_type, to_id, [t["typeId"] for t in types])
            now = self.now()
            primary["properties"][otype.modified_property] = now
            primary["updatedAt"] = now
            if otype.name == "contacts":
                # the merged contact's email lives on as an additional email of the primary
                emails = [e for e in primary["properties"].get("hs_additional_emails", "").split(";") if e]
                other = merged["properties"].get("email")
                if other and other != primary["properties"].get("email") and other not in emails:
                    primary["properties"]["hs_additional_emails"] = ";".join([*emails, other])
            merged.update(archived=True, archivedAt=now, updatedAt=now, mergedInto=primary["id"])
            self._save(otype, merged)
            self._save(otype, primary, before)
        self.events.append(new_event(primary["id"], f"{otype.singular}.merge", self._now_ms(),
                                     mergedObjectIds=[int(merged["id"])]))
        return self.view(otype, self._row(otype, primary["id"]), list(primary["properties"]))

    def _required(self, otype: ObjectType, values: dict) -> None:
        missing = [n for n in otype.required if not values.get(n)]
        any_of = getattr(otype, "required_any", ())
        for group in any_of:
            if not any(values.get(n) for n in group):
                missing.append(" or ".join(group))
        if missing:
            raise errors.bad_request(f"Missing required properties: {', '.join(missing)}",
                                     [{"message": f"{n} is required", "code": "REQUIRED_PROPERTY",
                                       "context": {"propertyName": [n]}} for n in missing])

    def _unique(self, otype: ObjectType, values: dict, own_id: str | None) -> None:
        defs = self.definitions(otype)
        for name, value in values.items():
            definition = defs.get(name)
            if not value or definition is None or not definition.has_unique_value:
                continue
            clash = self._by_unique(otype, name, value)
            if clash is not None and clash.data["id"] != own_id:
                if otype.name == "contacts" and name == "email":
                    raise errors.contact_exists(clash.data["id"])
                raise errors.unique_value_taken(name, value, clash.data["id"])

    # -- values HubSpot computes itself ----------------------------------------------------------
    def _derive(self, otype: ObjectType, data: dict) -> None:
        """A line item takes what it lacks from its product, and its amount is quantity × discounted price."""
        if otype.name != "line_items":
            return
        props = data["properties"]
        product_id = props.get("hs_product_id")
        if product_id:
            product = self.store.get(self.portal, "products", int(product_id)) if product_id.isdigit() else None
            if product is None or product.deleted or product.data.get("archived"):
                raise errors.bad_request(f"hs_product_id {product_id} is not a product of this portal",
                                         [{"message": f"Product {product_id} does not exist", "code": "INVALID_OBJECT",
                                           "context": {"propertyName": ["hs_product_id"]}}])
            for name in ("name", "price", "hs_sku", "description"):
                if name not in props and product.data["properties"].get(name):
                    props[name] = product.data["properties"][name]
        quantity = _decimal(props.get("quantity"), Decimal(1))
        price = _decimal(props.get("price"), Decimal(0)) - _decimal(props.get("discount"), Decimal(0))
        share = 1 - _decimal(props.get("hs_discount_percentage"), Decimal(0)) / 100
        props["amount"] = _number_text(quantity * price * share)

    def _recalculate_parents(self, otype: ObjectType, child_id: str) -> None:
        """Recalculate the records whose totals ``child_id`` (a line item or a payment) counts in."""
        for parent in CALCULATED_PARENTS.get(otype.name, ()):
            for parent_id, _ in self._associations(otype, child_id, catalog.OBJECT_TYPES[parent]):
                self._recalculate(catalog.OBJECT_TYPES[parent], parent_id)

    def _live_children(self, otype: ObjectType, object_id: str, child: str) -> list[dict]:
        """The properties of the associated, non-archived ``child`` records of a record."""
        out = []
        for child_id, _ in self._associations(otype, object_id, catalog.OBJECT_TYPES[child]):
            row = self.store.get(self.portal, child, int(child_id))
            if row is not None and not row.deleted and not row.data.get("archived"):
                out.append(row.data["properties"])
        return out

    def _recalculate(self, otype: ObjectType, object_id: str) -> None:
        """Invoice and quote totals are the sum of their line items' amounts; an invoice's amount paid is the sum
        of its payments that succeeded or are still processing, and its balance and statuses follow (rule G2)."""
        row = self.store.get(self.portal, otype.name, int(object_id))
        if row is None or row.deleted:
            return
        items = self._live_children(otype, object_id, "line_items")
        total = sum((_decimal(p.get("amount"), Decimal(0)) for p in items), Decimal(0))
        props = row.data["properties"]
        before = dict(props)
        if otype.name == "invoices":
            payments = [p for p in self._live_children(otype, object_id, "commerce_payments")
                        if p.get("hs_latest_status", "").strip().lower() in PAYMENT_STATUSES_COUNTED]
            paid = sum((_decimal(p.get("hs_initial_amount"), Decimal(0)) for p in payments), Decimal(0))
            balance = total - paid
            props["hs_amount_billed"] = _number_text(total)
            props["hs_amount_paid"] = _number_text(paid)
            props["hs_balance_due"] = _number_text(balance)
            props["hs_payment_status"] = "PAID" if paid > 0 and balance <= 0 else \
                "PARTIALLY_PAID" if paid > 0 else "PENDING"
            status = props.get("hs_invoice_status")
            if status == "open" and total > 0 and balance <= 0:
                props["hs_invoice_status"] = "paid"
            elif status == "paid" and balance > 0:
                props["hs_invoice_status"] = "open"  # a payment failed, was refunded or removed, or lines grew
        else:
            props["hs_quote_amount"] = _number_text(total)
        # Choice: calculated values change without touching hs_lastmodifieddate (see docs/decisions.md).
        self._track(row.data, before)
        self.store.put(row)

    def _save(self, otype: ObjectType, data: dict, before: dict | None = None) -> None:
        """Store a record; ``before`` (its previous properties) dates each changed value in its history."""
        if before is not None:
            self._track(data, before)
        email = data["properties"].get("email") if otype.name == "contacts" else None
        archived = data.get("archived", False)
        self.store.put(Row(self.portal, otype.name, int(data["id"]), data,
                           name_key=email.lower() if email and not archived else None,
                           active=not archived, updated_at=self.rt.clock.timestamp()))

    def _track(self, data: dict, before: dict) -> None:
        """Newest first, like ``propertiesWithHistory``; a cleared value is recorded as an empty string."""
        now = self.now()
        props = data["properties"]
        history = data.setdefault("history", {})
        for name in set(props) | set(before):
            value = props.get(name, "")
            if value != before.get(name, ""):
                entry = {"value": value, "timestamp": now, "sourceType": "API", "sourceId": "sample-app"}
                history[name] = [entry, *history.get(name, [])][:MAX_HISTORY]

    # -- batch ---------------------------------------------------------------------------------
    def batch(self, otype: ObjectType, action: str, body: object) -> tuple[int, dict | None]:
        """Run a batch; returns (HTTP status, body). Failures without write-trace ids fail the batch whole."""
        run = {"create": lambda i: self.create(otype, i),
               "update": lambda i: self.update(otype, i["id"], i, i.get("idProperty")),
               "upsert": lambda i: self._upsert(otype, i)}.get(action)
        if run is None and action not in ("archive", "read"):
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise errors.bad_request("Invalid input JSON: inputs must be a list")
        inputs = body["inputs"]
        if len(inputs) > MAX_BATCH:
            raise errors.bad_request(f"Batch input limit exceeded: {len(inputs)} inputs were sent, at most "
                                     f"{MAX_BATCH} are allowed.")
        # Malformed inputs refuse the whole request before anything is written.
        if not all(isinstance(i, dict) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input must be an object")
        if action != "create" and not all(isinstance(i.get("id"), (str, int)) and str(i["id"]) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input needs an id")
        started = self.now()
        if action == "archive":
            with self.store.transaction():
                for item in inputs:
                    self.archive(otype, item["id"])
            return 204, None
        if action == "read":
            return self._batch_read(otype, body, inputs, started)
        traces = [i.get("objectWriteTraceId") for i in inputs]
        if any(t is not None and not isinstance(t, str) for t in traces):
            raise errors.bad_request("Invalid input JSON: objectWriteTraceId must be a string")
        traced = action == "create" and bool(inputs) and all(isinstance(t, str) and t for t in traces) \
            and len(set(traces)) == len(inputs)
        results, failures = [], []
        if traced:
            for item in inputs:
                try:
                    results.append(run(item))
                except HubSpotError as err:
                    failures.append({"status": "error", "category": err.body.get("category", "VALIDATION_ERROR"),
                                     "message": err.body.get("message", ""),
                                     "context": {"objectWriteTraceId": [item["objectWriteTraceId"]]}})
        else:
            with self.store.transaction():  # all or nothing: the first failure refuses the whole batch
                events_before = len(self.events)
                try:
                    results = [run(item) for item in inputs]
                except HubSpotError:
                    del self.events[events_before:]
                    raise
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.now()}
        if failures:
            return 207, {**done, "numErrors": len(failures), "errors": failures}
        return (201 if action == "create" else 200), done

    def _batch_read(self, otype: ObjectType, body: dict, inputs: list, started: str) -> tuple[int, dict]:
        props = body.get("properties") or None
        with_history = body.get("propertiesWithHistory") or None
        id_property = body.get("idProperty")
        results, missing = [], []
        for item in inputs:
            oid = item["id"]
            row = self._find(otype, oid, id_property)
            if row is None or row.deleted or row.data.get("archived"):
                missing.append(str(oid))
            else:
                results.append(self.view(otype, row, props, with_history=with_history))
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.now()}
        if missing:
            return 207, {**done, "numErrors": 1, "errors": [{
                "status": "error", "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {otype.name} objects, they may be deleted or not exist. Check that "
                           f"ids are valid.", "context": {"ids": missing}}]}
        return 200, done

    def _upsert(self, otype: ObjectType, item: dict) -> dict:
        id_property = item.get("idProperty") or "hs_object_id"
        row = self._find(otype, item.get("id"), id_property) if item.get("id") else None
        if row is not None and not row.data.get("archived"):
            return {**self.update(otype, row.data["id"], item), "new": False}
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            raise errors.bad_request("Invalid input JSON: properties must be an object of property names to values")
        props = dict(props)
        if id_property != "hs_object_id":
            props.setdefault(id_property, item.get("id"))
        return {**self.create(otype, {"properties": props}), "new": True}

    # -- search --------------------------------------------------------------------------------
    def search(self, otype: ObjectType, body: object) -> dict:
        try:
            req = search.parse_request(body)
        except search.SearchError as err:
            raise errors.bad_request(err.message, err.errors or None) from err
        defs = self.definitions(otype)
        types = {name: d.type for name, d in defs.items()}
        for group in req.filter_groups:
            for f in group:
                name = f.get("propertyName", "")
                if not name.startswith("associations.") and name not in defs:
                    raise errors.bad_request(f"There was a problem with the request: property {name} does not "
                                             f"exist on {otype.name}",
                                             [{"message": f'Property "{name}" does not exist',
                                               "code": "PROPERTY_DOESNT_EXIST",
                                               "context": {"propertyName": [name]}}])
        rows = [r for r in self.store.select(self.portal, otype.name) if not r.data.get("archived")]
        total, page = search.evaluate(
            rows, req, lambda r: r.data["properties"], lambda r: self._association_ids(otype, r.data["id"]),
            types, search.DEFAULT_SEARCHABLE.get(otype.name, ()), lambda r: r.entity_id)
        out: dict = {"total": total, "results": [self.view(otype, r, req.properties) for r in page]}
        if req.after + len(page) < total:
            out["paging"] = {"next": {"after": str(req.after + len(page))}}
        return out

    # -- associations --------------------------------------------------------------------------
    @staticmethod
    def _key(from_type: ObjectType, from_id: str, to_type: ObjectType) -> str:
        return f"{from_type.name}:{from_id}:{to_type.name}"

    def _associations(self, from_type: ObjectType, from_id: str, to_type: ObjectType) -> list[tuple[str, list]]:
        rows = self.store.find_all(self.portal, ASSOCIATION, self._key(from_type, str(from_id), to_type))
        return [(r.data["toId"], r.data["types"]) for r in rows]

    def _association_ids(self, from_type: ObjectType, from_id: str) -> dict[str, set[str]]:
        out = {}
        for to_type in catalog.OBJECT_TYPES.values():
            ids = {to_id for to_id, _ in self._associations(from_type, from_id, to_type)}
            if ids:
                out[to_type.name] = ids
                out[to_type.singular] = ids
        return out

    def _type_entry(self, from_type: ObjectType, to_type: ObjectType, type_id: int) -> dict:
        for tid, label in catalog.ASSOCIATION_TYPES.get((from_type.singular, to_type.singular), []):
            if tid == type_id:
                return {"category": "HUBSPOT_DEFINED", "typeId": tid, "label": label}
        for row in self.store.select(self.portal, LABEL):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name and d["typeId"] == type_id:
                return {"category": "USER_DEFINED", "typeId": type_id, "label": d["label"]}
        raise errors.bad_request(f"{type_id} is not a valid association type id between {from_type.name} and "
                                 f"{to_type.name}")

    def _inverse_type(self, from_type: ObjectType, to_type: ObjectType, type_id: int) -> int:
        forward = catalog.ASSOCIATION_TYPES.get((from_type.singular, to_type.singular), [])
        backward = catalog.ASSOCIATION_TYPES.get((to_type.singular, from_type.singular), [])
        for i, (tid, _) in enumerate(forward):
            if tid == type_id and i < len(backward):
                return backward[i][0]
        for row in self.store.select(self.portal, LABEL):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name and d["typeId"] == type_id:
                return d["inverseTypeId"]
        return type_id

    def _link(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
              type_ids: Iterable[int]) -> None:
        """Add association types both ways (creating the pair's rows when new)."""
        type_ids = list(type_ids)
        primary = {1: 279, 2: 280, 5: 341, 6: 342}  # a primary association always carries the unlabeled type too
        type_ids += [primary[t] for t in type_ids if t in primary and primary[t] not in type_ids]
        for a_type, a_id, b_type, b_id, ids in (
                (from_type, from_id, to_type, to_id, type_ids),
                (to_type, to_id, from_type, from_id, [self._inverse_type(from_type, to_type, t) for t in type_ids])):
            key = self._key(a_type, a_id, b_type)
            existing = next((r for r in self.store.find_all(self.portal, ASSOCIATION, key)
                             if r.data["toId"] == b_id), None)
            types = existing.data["types"] if existing else []
            for tid in ids:
                if not any(t["typeId"] == tid for t in types):
                    types.append(self._type_entry(a_type, b_type, tid))
            eid = existing.entity_id if existing else self.store.next_value(self.portal, "id:association", 1)
            self.store.put(Row(self.portal, ASSOCIATION, eid, {"toId": b_id, "types": types}, name_key=key,
                               updated_at=self.rt.clock.timestamp()))
        self._recalculate_pair(from_type, from_id, to_type, to_id)
        if from_type.name == "contacts" and to_type.name == "companies" and 1 in type_ids:
            self._set_primary_company(from_id, to_id)
        elif from_type.name == "companies" and to_type.name == "contacts" and 2 in type_ids:
            self._set_primary_company(to_id, from_id)  # the same primary label, set from the company's side

    def _set_primary_company(self, contact_id: str, company_id: str) -> None:
        """One primary company per contact: the previous primary keeps only its unlabeled association."""
        contacts, companies = catalog.OBJECT_TYPES["contacts"], catalog.OBJECT_TYPES["companies"]
        for other_id, types in self._associations(contacts, contact_id, companies):
            if other_id != company_id and any(t["typeId"] == 1 for t in types):
                self._unlink_types(contacts, contact_id, companies, other_id, [1])
        row = self.store.get(self.portal, "contacts", int(contact_id))
        if row is not None:
            row.data["properties"]["associatedcompanyid"] = company_id
            self.store.put(row)

    def _unset_primary_company(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str) -> None:
        """After a contact–company association lost types: drop ``associatedcompanyid`` if it was the primary."""
        if {from_type.name, to_type.name} != {"contacts", "companies"}:
            return
        contact_id, company_id = (from_id, to_id) if from_type.name == "contacts" else (to_id, from_id)
        row = self.store.get(self.portal, "contacts", int(contact_id))
        if row is None or row.data["properties"].get("associatedcompanyid") != company_id:
            return
        contacts, companies = catalog.OBJECT_TYPES["contacts"], catalog.OBJECT_TYPES["companies"]
        if any(other == company_id and any(t["typeId"] == 1 for t in types)
               for other, types in self._associations(contacts, contact_id, companies)):
            return
        del row.data["properties"]["associatedcompanyid"]
        self.store.put(row)

    def _recalculate_pair(self, a_type: ObjectType, a_id: str, b_type: ObjectType, b_id: str) -> None:
        for parent_type, parent_id, child_type in ((a_type, a_id, b_type), (b_type, b_id, a_type)):
            if parent_type.name in CALCULATED_PARENTS.get(child_type.name, ()):
                self._recalculate(parent_type, parent_id)

    def _unlink(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str) -> None:
        for a_type, a_id, b_type, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
            for r in self.store.find_all(self.portal, ASSOCIATION, self._key(a_type, a_id, b_type)):
                if r.data["toId"] == b_id:
                    r.deleted = True
                    self.store.put(r)
        self._unset_primary_company(from_type, from_id, to_type, to_id)
        self._recalculate_pair(from_type, from_id, to_type, to_id)

    def _unlink_types(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                      type_ids: list[int]) -> None:
        inverse = [self._inverse_type(from_type, to_type, t) for t in type_ids]
        for a_type, a_id, b_type, b_id, ids in ((from_type, from_id, to_type, to_id, type_ids),
                                                (to_type, to_id, from_type, from_id, inverse)):
            for r in self.store.find_all(self.portal, ASSOCIATION, self._key(a_type, a_id, b_type)):
                if r.data["toId"] == b_id:
                    r.data["types"] = [t for t in r.data["types"] if t["typeId"] not in ids]
                    r.deleted = not r.data["types"]
                    self.store.put(r)
        self._unset_primary_company(from_type, from_id, to_type, to_id)
        self._recalculate_pair(from_type, from_id, to_type, to_id)

    def _require_record(self, otype: ObjectType, object_id: object) -> str:
        return self._row(otype, object_id).data["id"]

    def _associate_input(self, from_type: ObjectType, from_id: str, assoc: object) -> None:
        """An ``associations`` entry of a create body: ``{"to": {"id"}, "types": [{category, typeId}]}``."""
        if not isinstance(assoc, dict) or not isinstance(assoc.get("to"), dict):
            raise errors.bad_request("Invalid association input: expected {\"to\": {\"id\": ...}, \"types\": [...]}")
        to_id = _ref_id(assoc["to"], "to")
        ids = parse_type_ids(assoc.get("types") or [])
        to_type = self._record_type(ids, from_type)
        for tid in ids:
            self._type_entry(from_type, to_type, tid)
        to_id = self._require_record(to_type, to_id)
        self._link(from_type, from_id, to_type, to_id, ids)

    def _record_type(self, ids: list[int], from_type: ObjectType) -> ObjectType:
        """The target type of a create-time association, read off its type id (HubSpot's or a custom label's)."""
        for tid in ids:
            for (a, b), pairs in catalog.ASSOCIATION_TYPES.items():
                if a == from_type.singular and any(i == tid for i, _ in pairs):
                    return catalog.resolve_type(b)
            for row in self.store.select(self.portal, LABEL):
                if row.data["fromType"] == from_type.name and row.data["typeId"] == tid:
                    return catalog.OBJECT_TYPES[row.data["toType"]]
        raise errors.bad_request("Invalid association type: each association needs a valid associationTypeId")

    # public association operations (v4)
    def associate(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                  types: list[dict] | None) -> dict:
        with self.store.transaction():
            fid = self._require_record(from_type, from_id)
            tid = self._require_record(to_type, to_id)
            if types is None:
                type_ids = [catalog.default_association_type(from_type.singular, to_type.singular)]
                if type_ids[0] is None:
                    raise errors.bad_request(f"No default association between {from_type.name} and {to_type.name}")
            else:
                type_ids = parse_type_ids(types)
                if not type_ids:
                    raise errors.bad_request("At least one association type is required")
                for t in type_ids:
                    self._type_entry(from_type, to_type, t)
            self._link(from_type, fid, to_type, tid, type_ids)
        self.events.append(new_event(fid, f"{from_type.singular}.associationChange", self._now_ms(),
                                     associationType=f"{from_type.singular.upper()}_TO_{to_type.singular.upper()}",
                                     fromObjectId=int(fid), toObjectId=int(tid), associationRemoved=False))
        labels = [self._type_entry(from_type, to_type, t)["label"] for t in type_ids]
        return {"fromObjectTypeId": from_type.type_id, "fromObjectId": int(fid), "toObjectTypeId": to_type.type_id,
                "toObjectId": int(tid), "labels": [label for label in labels if label]}

    def dissociate(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                   type_ids: list[int] | None = None) -> None:
        default = catalog.default_association_type(from_type.singular, to_type.singular)
        with self.store.transaction():
            if type_ids is None or default in type_ids:  # removing the unlabeled type removes every label
                self._unlink(from_type, str(from_id), to_type, str(to_id))
            else:
                self._unlink_types(from_type, str(from_id), to_type, str(to_id), type_ids)

    def associations_page(self, from_type: ObjectType, from_id: str, to_type: ObjectType, limit: int = 500,
                          after: str | None = None) -> dict:
        if not 1 <= limit <= MAX_ASSOCIATIONS_PAGE:
            raise errors.bad_request(f"limit must be between 1 and {MAX_ASSOCIATIONS_PAGE}")
        if after and not after.isdigit():
            raise errors.bad_request(f"after must be a paging cursor from a previous page, not {after}")
        fid = self._require_record(from_type, from_id)
        items = self._associations(from_type, fid, to_type)
        start = int(after) if after else 0
        page = items[start:start + limit]
        out: dict = {"results": [{"toObjectId": int(to_id), "associationTypes": types} for to_id, types in page]}
        if start + limit < len(items):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return out

    def labels(self, from_type: ObjectType, to_type: ObjectType) -> list[dict]:
        out = [{"category": "HUBSPOT_DEFINED", "typeId": tid, "label": label}
               for tid, label in catalog.ASSOCIATION_TYPES.get((from_type.singular, to_type.singular), [])]
        for row in self.store.select(self.portal, LABEL):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name:
                out.append({"category": "USER_DEFINED", "typeId": d["typeId"], "label": d["label"]})
        return out

    def create_label(self, from_type: ObjectType, to_type: ObjectType, body: object) -> dict:
        if not isinstance(body, dict) or not body.get("label") or not body.get("name"):
            raise errors.bad_request("label and name are required")
        with self.store.transaction():
            mine = [r for r in self.store.select(self.portal, LABEL)
                    if r.data["fromType"] == from_type.name and r.data["toType"] == to_type.name]
            if len(mine) >= 10:
                raise errors.bad_request("At most 10 association labels can exist between two object types.")
            forward = self.store.next_value(self.portal, "id:label", 1000)
            backward = self.store.next_value(self.portal, "id:label", 1000)
            for a, b, tid, inv, label in ((from_type, to_type, forward, backward, body["label"]),
                                          (to_type, from_type, backward, forward,
                                           body.get("inverseLabel") or body["label"])):
                self.store.put(Row(self.portal, LABEL, tid, {"fromType": a.name, "toType": b.name, "typeId": tid,
                                                              "inverseTypeId": inv, "label": label,
                                                              "name": body["name"]},
                                   updated_at=self.rt.clock.timestamp()))
        return {"results": [{"category": "USER_DEFINED", "typeId": forward, "label": body["label"]}]}

    def _label_rows(self, from_type: ObjectType, to_type: ObjectType, type_id: object) -> tuple[Row, Row]:
        """A custom label's row and its inverse's; 404 when the pair has no such user-defined label."""
        for row in self.store.select(self.portal, LABEL):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name and str(d["typeId"]) == str(type_id):
                inverse = self.store.get(self.portal, LABEL, d["inverseTypeId"])
                return row, inverse if inverse is not None else row
        raise errors.error(404, "OBJECT_NOT_FOUND", f"No association label {type_id} between {from_type.name} and "
                           f"{to_type.name}")

    def update_label(self, from_type: ObjectType, to_type: ObjectType, body: object) -> None:
        """``PUT .../labels``: rename a custom label (and its inverse)."""
        if not isinstance(body, dict) or not body.get("label") or "associationTypeId" not in body:
            raise errors.bad_request("associationTypeId and label are required")
        with self.store.transaction():
            row, inverse = self._label_rows(from_type, to_type, body["associationTypeId"])
            row.data["label"] = str(body["label"])
            self.store.put(row)
            if inverse is not row and body.get("inverseLabel"):
                inverse.data["label"] = str(body["inverseLabel"])
                self.store.put(inverse)
            labels = {row.data["typeId"]: row.data["label"], inverse.data["typeId"]: inverse.data["label"]}
            for r in self.store.select(self.portal, ASSOCIATION):  # associations show the label's new name
                if any(t["typeId"] in labels for t in r.data["types"]):
                    for t in r.data["types"]:
                        t["label"] = labels.get(t["typeId"], t["label"])
                    self.store.put(r)

    def delete_label(self, from_type: ObjectType, to_type: ObjectType, type_id: str) -> None:
        """``DELETE .../labels/{typeId}``: the label, its inverse, and every use of them on associations."""
        with self.store.transaction():
            row, inverse = self._label_rows(from_type, to_type, type_id)
            gone = {row.data["typeId"], inverse.data["typeId"]}
            for r in (row, inverse):
                r.deleted = True
                self.store.put(r)
            for r in self.store.select(self.portal, ASSOCIATION):
                if any(t["typeId"] in gone for t in r.data["types"]):
                    r.data["types"] = [t for t in r.data["types"] if t["typeId"] not in gone]
                    r.deleted = not r.data["types"]
                    self.store.put(r)

    def default_type(self, from_type: ObjectType, to_type: ObjectType) -> int:
        tid = catalog.default_association_type(from_type.singular, to_type.singular)
        if tid is None:
            raise errors.bad_request(f"No default association between {from_type.name} and {to_type.name}")
        return tid

    def purge(self, otype: ObjectType, object_id: object, id_property: str | None) -> None:
        """GDPR delete: the record is gone for good, not archived."""
        with self.store.transaction():
            row = self._find(otype, object_id, id_property)
            if row is None or row.deleted:
                raise errors.not_found(object_id)
            for to_type in catalog.OBJECT_TYPES.values():
                for to_id, _ in self._associations(otype, row.data["id"], to_type):
                    self._unlink(otype, row.data["id"], to_type, to_id)
            row.deleted, row.name_key = True, None
            self.store.put(row)
        self.events.append(new_event(row.data["id"], f"{otype.singular}.privacyDeletion", self._now_ms()))

    def associations_batch(self, from_type: ObjectType, to_type: ObjectType, action: str,
                           body: object) -> tuple[int, dict | None]:
        """``/crm/v4/associations/{from}/{to}/batch/...``: malformed input refuses the whole request (400);
        records or types that don't exist fail their own input (207)."""
        limits = {"read": 1000, "create": 2000, "associate/default": 2000, "archive": 2000, "labels/archive": 2000}
        if action not in limits:
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise errors.bad_request("Invalid input JSON: inputs must be a list")
        inputs = body["inputs"]
        if len(inputs) > limits[action]:
            raise errors.bad_request(f"Batch input limit exceeded: at most {limits[action]} inputs are allowed.")
        if not all(isinstance(i, dict) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input must be an object")
        jobs = []  # (from id, to ids or after, type ids): every input is checked before anything is written
        for item in inputs:
            if action == "read":  # inputs are {"id", "after"?} (PublicFetchAssociationsBatchRequest)
                after = item.get("after")
                jobs.append((_ref_id(item, "each input"), None if after is None else str(after), None))
                continue
            fid = _ref_id(item.get("from"), "from")
            if action == "archive":
                targets = item.get("to") or []
                if not isinstance(targets, list):
                    raise errors.bad_request("Invalid input JSON: to must be a list of objects with an id")
                jobs.append((fid, [_ref_id(to, "to") for to in targets], None))
            else:
                ids = parse_type_ids(item.get("types") or []) if action in ("create", "labels/archive") else None
                jobs.append((fid, _ref_id(item.get("to"), "to"), ids))
        started = self.now()
        results, failures = [], []
        for fid, target, ids in jobs:
            try:
                if action == "read":
                    page = self.associations_page(from_type, fid, to_type, MAX_ASSOCIATIONS_PAGE, target)
                    results.append({"from": {"id": fid}, "to": page["results"],
                                    **({"paging": page["paging"]} if "paging" in page else {})})
                elif action == "archive":
                    for to_id in target:
                        self.dissociate(from_type, fid, to_type, to_id)
                elif action == "labels/archive":
                    self.dissociate(from_type, fid, to_type, target, ids)
                elif action == "associate/default":
                    self.associate(from_type, fid, to_type, target, None)
                    results.append({"from": {"id": fid}, "to": {"id": target}, "associationSpec": {
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationTypeId": self.default_type(from_type, to_type)}})
                else:
                    results.append(self.associate(from_type, fid, to_type, target,
                                                  [{"associationTypeId": i} for i in ids]))
            except HubSpotError as err:
                failures.append({"status": "error", "category": err.body.get("category", "VALIDATION_ERROR"),
                                 "message": err.body.get("message", ""), "context": err.body.get("context", {})})
        if action in ("archive", "labels/archive") and not failures:
            return 204, None
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.now()}
        if failures:
            return 207, {**done, "numErrors": len(failures), "errors": failures}
        return (200 if action in ("read", "associate/default") else 201), done

    def associations_batch_v3(self, from_type: ObjectType, to_type: ObjectType, action: str,
                              body: object) -> tuple[int, dict | None]:
        """``/crm/v3/associations/{from}/{to}/batch/{read,create,archive}`` with v3 type names."""
        if action not in ("read", "create", "archive"):
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise errors.bad_request("Invalid input JSON: inputs must be a list")
        inputs = body["inputs"]
        if not all(isinstance(i, dict) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input must be an object")
        started = self.now()
        a, b = from_type.singular, to_type.singular
        if action == "read":
            results = []
            for fid in [_ref_id(i, "each input") for i in inputs]:
                to = [{"id": to_id, "type": catalog.v3_type_name(a, b, t["typeId"])}
                      for to_id, types in self._associations(from_type, fid, to_type) for t in types]
                results.append({"from": {"id": fid}, "to": to})
            return 200, {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.now()}
        pairs = []  # (from id, to id, type id or None): every input is checked before anything is written
        for item in inputs:
            fid, to_id, name = _ref_id(item.get("from"), "from"), _ref_id(item.get("to"), "to"), item.get("type")
            tid = None
            if name is not None:
                tid = catalog.v3_type_id(a, b, name) if isinstance(name, str) else None
                if tid is None:
                    raise errors.bad_request(f"{name} is not a valid association type between {from_type.name} and "
                                             f"{to_type.name}")
            pairs.append((fid, to_id, tid))
        results, failures = [], []
        for fid, to_id, tid in pairs:
            if action == "archive":
                self.dissociate(from_type, fid, to_type, to_id, None if tid is None else [tid])
                continue
            try:
                types = None if tid is None else [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": tid}]
                self.associate(from_type, fid, to_type, to_id, types)
            except HubSpotError as err:
                failures.append({"status": "error", "category": err.body.get("category", "VALIDATION_ERROR"),
                                 "message": err.body.get("message", ""), "context": err.body.get("context", {})})
                continue
            used = tid if tid is not None else self.default_type(from_type, to_type)
            results.append({"from": {"id": fid}, "to": {"id": to_id}, "type": catalog.v3_type_name(a, b, used)})
        if action == "archive":
            return 204, None
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.now()}
        if failures:
            return 207, {**done, "numErrors": len(failures), "errors": failures}
        return 201, done


def _decimal(value: object, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else default
    except InvalidOperation:
        return default


def _number_text(value: Decimal) -> str:
    """A number as HubSpot writes property values: no exponent, no trailing zeros."""
    text = format(value.quantize(Decimal("0.0001")).normalize(), "f")
    return "0" if text in ("-0", "") else text
