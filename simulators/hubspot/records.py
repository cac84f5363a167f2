"""A portal's CRM objects: create, read, page, update, archive, batch, merge, search and GDPR delete.

Operations raise :class:`HubSpotError` in HubSpot's words; writes run in one store transaction. Associations made or
undone along the way (create-time associations, merges, GDPR deletes) go through :class:`Associations`, and the
values HubSpot computes itself through :class:`Amounts`, so their rules hold whichever way a record changes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator, Sequence

from ..core.storage import Row
from . import catalog, errors, pipelines, rows, search
from .amounts import Amounts
from .associations import Associations
from .catalog import ObjectType
from .context import PortalContext
from .errors import HubSpotError
from .properties import definitions

MAX_PAGE = 100
MAX_PAGE_WITH_HISTORY = 50  # the SDK's get_all drops to 50 too when history is asked for
MAX_BATCH = 100
TAX_AMOUNT = "hs_tax_amount"  # a line item's tax (rule F4)
AUTOMATED_TAX = "automatedSalesTax"  # the portal setting: the automated sales tax beta is on
AUTOMATED_TAX_OFF = (f'Property "{TAX_AMOUNT}" cannot be set: automated sales tax is not turned on for this '
                     "account (a Super Admin opts into the automated sales tax beta)")


class Records:
    def __init__(self, ctx: PortalContext, associations: Associations, amounts: Amounts) -> None:
        self.ctx = ctx
        self.associations = associations
        self.amounts = amounts

    # -- finding -----------------------------------------------------------------------------------
    def _row(self, otype: ObjectType, object_id: object, id_property: str | None = None,
             archived: bool = False) -> Row:
        return rows.require(self._find(otype, object_id, id_property), object_id, archived)

    def _find(self, otype: ObjectType, object_id: object, id_property: str | None) -> Row | None:
        if id_property is not None and not isinstance(id_property, str):
            raise errors.bad_request("idProperty must be a property name")
        if id_property and id_property != "hs_object_id":
            definition = definitions(self.ctx, otype).get(id_property)
            if definition is None or not definition.has_unique_value:
                raise errors.bad_request(f"{id_property} is not a unique property of {otype.name}")
            return self._by_unique(otype, id_property, str(object_id))
        return rows.get(self.ctx, otype, object_id)

    def _by_unique(self, otype: ObjectType, name: str, value: str) -> Row | None:
        if not value:
            return None
        store, portal = self.ctx.store, self.ctx.portal
        if otype.name == "contacts" and name == "email":
            return store.find_name(portal, ("contacts",), value.lower())
        # an indexed look-up of the property's value: it reads the rows holding it, not every record's JSON
        for row in store.find_by_field(portal, otype.name, f"properties.{name}", value):
            if not row.data.get("archived"):
                return row
        return None

    # -- reading -----------------------------------------------------------------------------------
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
                for to_id, types in rows.links(self.ctx, otype, data["id"], to_type):
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
        found = [r for r in self.ctx.store.select(self.ctx.portal, otype.name)
                 if r.data.get("archived", False) == archived and r.entity_id >= start]
        page, rest = found[:limit], found[limit:]
        out: dict = {"results": [self.view(otype, r, properties, associations, with_history) for r in page]}
        if rest:  # the paging key is absent on the last page: the SDK loops until it is
            nxt = str(rest[0].entity_id)
            out["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return out

    def search(self, otype: ObjectType, body: object) -> dict:
        """``POST .../search``: the request is parsed and evaluated by search.py over the live records."""
        try:
            req = search.parse_request(body)
        except search.SearchError as err:
            raise errors.bad_request(err.message, err.errors or None) from err
        defs = definitions(self.ctx, otype)
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
        store, portal = self.ctx.store, self.ctx.portal

        def live() -> Iterator[Row]:
            return (r for r in store.stream(portal, otype.name) if not r.data.get("archived"))

        indexed = search.range_on_sort(req, types)
        if indexed is not None:
            # "changed since", window after window of 10,000: one sorted index of the type serves every window
            # (and every page) while nothing is written, instead of a pass over every record for each window
            def build() -> search.SortedIndex:
                return search.sorted_index(live(), indexed, search.property_type(indexed, types),
                                           lambda r: r.data["properties"], lambda r: r.entity_id, lambda r: r.entity_id)

            index = store.memo(("hubspot.sorted", portal, otype.name, indexed), build)
            total, page_ids = search.evaluate_on_index(index, req, types)
        else:
            whole = dataclasses.replace(req, after=0, limit=search.MAX_RESULTS)

            def every_match() -> tuple[int, tuple[int, ...]]:
                total, ids = search.evaluate(
                    live(), whole, lambda r: r.data["properties"],
                    lambda r: self.associations.ids_by_type(otype, r.data["id"]), types,
                    search.DEFAULT_SEARCHABLE.get(otype.name, ()), lambda r: r.entity_id, keep=lambda r: r.entity_id)
                return total, tuple(ids)  # kept while nothing is written: a tuple of ints is no work for the GC

            # The matches in order, computed once for all the pages of one search while nothing is written: a page
            # then reads its own rows only, not every record of the type again.
            key = ("hubspot.search", portal, otype.name, json.dumps([req.filter_groups, req.sort, req.query],
                                                                    sort_keys=True, default=str))
            total, ids = store.memo(key, every_match)
            page_ids = ids[req.after:req.after + req.limit]
        page = [row for i in page_ids if (row := store.get(portal, otype.name, i)) is not None]
        out: dict = {"total": total, "results": [self.view(otype, r, req.properties) for r in page]}
        if req.after + len(page) < total:
            out["paging"] = {"next": {"after": str(req.after + len(page))}}
        return out

    # -- writing -----------------------------------------------------------------------------------
    def create(self, otype: ObjectType, body: object) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        values = self._validate(otype, body.get("properties", {}))
        if otype.name == "deals":
            values.setdefault("pipeline", "default")  # the deals guide: no pipeline → the default one
            pipelines.check_deal(self.ctx, values, values)
        self._required(otype, values)
        with self.ctx.store.transaction():
            self._unique(otype, values, None)
            oid = rows.next_id(self.ctx, otype)
            now = self.ctx.now()
            props = {k: v for k, v in values.items() if v != ""}
            props.update({"hs_object_id": str(oid), otype.created_property: now, otype.modified_property: now})
            data = {"id": str(oid), "properties": props, "createdAt": now, "updatedAt": now, "archived": False}
            self.amounts.derive(otype, data)
            rows.save(self.ctx, otype, data, {})
            links = body.get("associations") or []
            for assoc in links:
                self.associations.associate_input(otype, str(oid), assoc)
        self.ctx.emit(oid, f"{otype.singular}.creation", changeFlag="CREATED")
        # the record as just saved; links may have recalculated its amounts, so then it is read back
        row = self._row(otype, oid) if links else Row(self.ctx.portal, otype.name, oid, data)
        return self.view(otype, row, list(props))

    def update(self, otype: ObjectType, object_id: object, body: object, id_property: str | None = None) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        values = self._validate(otype, body.get("properties", {}))
        with self.ctx.store.transaction():
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
            if otype.name == "deals":
                pipelines.check_deal(self.ctx, data["properties"], values)
            now = self.ctx.now()
            data["properties"][otype.modified_property] = now
            data["updatedAt"] = now
            self.amounts.derive(otype, data)
            rows.save(self.ctx, otype, data, before)
            self.amounts.recalculate_parents(otype, data["id"])
        for name, value in changed.items():
            self.ctx.emit(data["id"], f"{otype.singular}.propertyChange", propertyName=name, propertyValue=value)
        return self.view(otype, self._row(otype, data["id"]), list(data["properties"]))

    def archive(self, otype: ObjectType, object_id: object) -> None:
        with self.ctx.store.transaction():
            row = self._find(otype, object_id, None)
            if row is None or row.deleted or row.data.get("archived"):
                return  # archiving is idempotent: HubSpot answers 204 for an unknown or archived id
            data = copy.deepcopy(row.data)
            now = self.ctx.now()
            data.update(archived=True, archivedAt=now, updatedAt=now)
            rows.save(self.ctx, otype, data)
            self.amounts.recalculate_parents(otype, data["id"])  # archived line items and payments stop counting
        self.ctx.emit(data["id"], f"{otype.singular}.deletion")

    def merge(self, otype: ObjectType, body: object) -> dict:
        if not otype.mergeable:
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not body.get("primaryObjectId") or not body.get("objectIdToMerge"):
            raise errors.bad_request("primaryObjectId and objectIdToMerge are required")
        with self.ctx.store.transaction():
            primary = copy.deepcopy(self._row(otype, body["primaryObjectId"]).data)
            before = dict(primary["properties"])
            merged = copy.deepcopy(self._row(otype, body["objectIdToMerge"]).data)
            if primary["id"] == merged["id"]:
                raise errors.bad_request("A record can't be merged with itself")
            for k, v in merged["properties"].items():
                primary["properties"].setdefault(k, v)  # the primary's values win; gaps are filled
            for to_type in catalog.OBJECT_TYPES.values():
                for to_id, types in rows.links(self.ctx, otype, merged["id"], to_type):
                    self.associations.unlink(otype, merged["id"], to_type, to_id)
                    if not (to_type.name == otype.name and to_id == primary["id"]):
                        self.associations.link(otype, primary["id"], to_type, to_id, [t["typeId"] for t in types])
            now = self.ctx.now()
            primary["properties"][otype.modified_property] = now
            primary["updatedAt"] = now
            if otype.name == "contacts":
                # the merged contact's email lives on as an additional email of the primary
                emails = [e for e in primary["properties"].get("hs_additional_emails", "").split(";") if e]
                other = merged["properties"].get("email")
                if other and other != primary["properties"].get("email") and other not in emails:
                    primary["properties"]["hs_additional_emails"] = ";".join([*emails, other])
            merged.update(archived=True, archivedAt=now, updatedAt=now, mergedInto=primary["id"])
            rows.save(self.ctx, otype, merged)
            rows.save(self.ctx, otype, primary, before)
        self.ctx.emit(primary["id"], f"{otype.singular}.merge", mergedObjectIds=[int(merged["id"])])
        return self.view(otype, self._row(otype, primary["id"]), list(primary["properties"]))

    def purge(self, otype: ObjectType, object_id: object, id_property: str | None) -> None:
        """GDPR delete: the record is gone for good, not archived."""
        with self.ctx.store.transaction():
            row = self._find(otype, object_id, id_property)
            if row is None or row.deleted:
                raise errors.not_found(object_id)
            for to_type in catalog.OBJECT_TYPES.values():
                for to_id, _ in rows.links(self.ctx, otype, row.data["id"], to_type):
                    self.associations.unlink(otype, row.data["id"], to_type, to_id)
            row.deleted, row.name_key = True, None
            self.ctx.store.put(row)
        self.ctx.emit(row.data["id"], f"{otype.singular}.privacyDeletion")

    # -- rules on written values ---------------------------------------------------------------------
    def _validate(self, otype: ObjectType, values: object) -> dict[str, str]:
        if not isinstance(values, dict):
            raise errors.bad_request("Invalid input JSON: properties must be an object of property names to values")
        normalised, problems = catalog.validate_values(otype.name, values, definitions(self.ctx, otype),
                                                       int(self.ctx.portal))
        if otype.name == "line_items" and normalised.get(TAX_AMOUNT) and not self.ctx.settings.get(AUTOMATED_TAX):
            # Rule F4: a line's tax is what HubSpot's automated sales tax computed; without the beta there is none.
            # Clearing it ("") stays allowed, and so does any tax written while the beta was on.
            problems.append(catalog.problem("READ_ONLY_VALUE", TAX_AMOUNT, AUTOMATED_TAX_OFF, int(self.ctx.portal)))
        if problems:
            raise HubSpotError(400, catalog.validation_error_body(problems, errors.correlation_id()))
        return normalised

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
        defs = definitions(self.ctx, otype)
        for name, value in values.items():
            definition = defs.get(name)
            if not value or definition is None or not definition.has_unique_value:
                continue
            clash = self._by_unique(otype, name, value)
            if clash is not None and clash.data["id"] != own_id:
                if otype.name == "contacts" and name == "email":
                    raise errors.contact_exists(clash.data["id"])
                raise errors.unique_value_taken(name, value, clash.data["id"])

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
        started = self.ctx.now()
        if action == "archive":
            with self.ctx.store.transaction():
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
            with self.ctx.store.transaction():  # all or nothing: the first failure refuses the whole batch
                events_before = len(self.ctx.events)
                try:
                    results = [run(item) for item in inputs]
                except HubSpotError:
                    del self.ctx.events[events_before:]  # nothing was written, so nothing is announced
                    raise
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.ctx.now()}
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
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.ctx.now()}
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
