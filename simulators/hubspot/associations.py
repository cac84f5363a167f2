"""Associations between a portal's records: v4 (with labels), the v3 batch API, and the bookkeeping HubSpot does
on the side (a contact's one primary company, totals of invoices and quotes whose line items or payments change).

Every association is stored both ways (rows.py); a type id is turned into its inverse for the way back.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.storage import Row
from . import catalog, errors, rows
from .amounts import Amounts
from .catalog import ObjectType
from .context import PortalContext
from .errors import HubSpotError

MAX_ASSOCIATIONS_PAGE = 500  # v4 association pages default to 500 (notes §3.1); choice: also the maximum
# A primary association always carries the unlabeled type too: contact→company 1 (+279), company→contact 2 (+280),
# deal→company 5 (+341), company→deal 6 (+342).
PRIMARY_WITH_UNLABELED = {1: 279, 2: 280, 5: 341, 6: 342}
# The v4 batch actions and their input limits.
BATCH_LIMITS = {"read": 1000, "create": 2000, "associate/default": 2000, "archive": 2000, "labels/archive": 2000}


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


def ref_id(ref: object, field: str) -> str:
    """The id of a ``{"id": ...}`` reference in a batch input; 400 when it is missing or malformed."""
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), (str, int)) or isinstance(ref["id"], bool) \
            or not str(ref["id"]):
        raise errors.bad_request(f"Invalid input JSON: {field} must be an object with an id")
    return str(ref["id"])


def _failure(err: HubSpotError) -> dict:
    """One input's entry in a batch's ``errors``."""
    return {"status": "error", "category": err.body.get("category", "VALIDATION_ERROR"),
            "message": err.body.get("message", ""), "context": err.body.get("context", {})}


class Associations:
    def __init__(self, ctx: PortalContext, amounts: Amounts) -> None:
        self.ctx = ctx
        self.amounts = amounts  # totals follow the line items and payments associated with a parent

    # -- reads -----------------------------------------------------------------------------------
    def ids_by_type(self, from_type: ObjectType, from_id: str) -> dict[str, set[str]]:
        """The ids a record is associated with, under each type's plural and singular name (for search)."""
        out = {}
        for to_type in catalog.OBJECT_TYPES.values():
            ids = {to_id for to_id, _ in rows.links(self.ctx, from_type, from_id, to_type)}
            if ids:
                out[to_type.name] = ids
                out[to_type.singular] = ids
        return out

    def _type_entry(self, from_type: ObjectType, to_type: ObjectType, type_id: int) -> dict:
        for tid, label in catalog.ASSOCIATION_TYPES.get((from_type.singular, to_type.singular), []):
            if tid == type_id:
                return {"category": "HUBSPOT_DEFINED", "typeId": tid, "label": label}
        for row in rows.label_rows(self.ctx):
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
        for row in rows.label_rows(self.ctx):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name and d["typeId"] == type_id:
                return d["inverseTypeId"]
        return type_id

    # -- writes (both ways, with HubSpot's bookkeeping) ---------------------------------------------
    def link(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
             type_ids: Iterable[int]) -> None:
        """Add association types both ways (creating the pair's rows when new)."""
        type_ids = list(type_ids)
        type_ids += [PRIMARY_WITH_UNLABELED[t] for t in type_ids
                     if t in PRIMARY_WITH_UNLABELED and PRIMARY_WITH_UNLABELED[t] not in type_ids]
        store, portal = self.ctx.store, self.ctx.portal
        for a_type, a_id, b_type, b_id, ids in (
                (from_type, from_id, to_type, to_id, type_ids),
                (to_type, to_id, from_type, from_id, [self._inverse_type(from_type, to_type, t) for t in type_ids])):
            key = rows.link_key(a_type, a_id, b_type)
            existing = next((r for r in rows.link_rows(self.ctx, a_type, a_id, b_type) if r.data["toId"] == b_id),
                            None)
            types = existing.data["types"] if existing else []
            for tid in ids:
                if not any(t["typeId"] == tid for t in types):
                    types.append(self._type_entry(a_type, b_type, tid))
            eid = existing.entity_id if existing else store.next_value(portal, "id:association", 1)
            store.put(Row(portal, rows.ASSOCIATION, eid, {"toId": b_id, "types": types}, name_key=key,
                          updated_at=self.ctx.rt.clock.timestamp()))
        self.amounts.recalculate_pair(from_type, from_id, to_type, to_id)
        if from_type.name == "contacts" and to_type.name == "companies" and 1 in type_ids:
            self._set_primary_company(from_id, to_id)
        elif from_type.name == "companies" and to_type.name == "contacts" and 2 in type_ids:
            self._set_primary_company(to_id, from_id)  # the same primary label, set from the company's side

    def unlink(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str) -> None:
        """Remove the pair's association (every type), both ways."""
        for a_type, a_id, b_type, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
            for r in rows.link_rows(self.ctx, a_type, a_id, b_type):
                if r.data["toId"] == b_id:
                    r.deleted = True
                    self.ctx.store.put(r)
        self._unset_primary_company(from_type, from_id, to_type, to_id)
        self.amounts.recalculate_pair(from_type, from_id, to_type, to_id)

    def _unlink_types(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                      type_ids: list[int]) -> None:
        inverse = [self._inverse_type(from_type, to_type, t) for t in type_ids]
        for a_type, a_id, b_type, b_id, ids in ((from_type, from_id, to_type, to_id, type_ids),
                                                (to_type, to_id, from_type, from_id, inverse)):
            for r in rows.link_rows(self.ctx, a_type, a_id, b_type):
                if r.data["toId"] == b_id:
                    r.data["types"] = [t for t in r.data["types"] if t["typeId"] not in ids]
                    r.deleted = not r.data["types"]
                    self.ctx.store.put(r)
        self._unset_primary_company(from_type, from_id, to_type, to_id)
        self.amounts.recalculate_pair(from_type, from_id, to_type, to_id)

    def _set_primary_company(self, contact_id: str, company_id: str) -> None:
        """One primary company per contact: the previous primary keeps only its unlabeled association."""
        contacts, companies = catalog.OBJECT_TYPES["contacts"], catalog.OBJECT_TYPES["companies"]
        for other_id, types in rows.links(self.ctx, contacts, contact_id, companies):
            if other_id != company_id and any(t["typeId"] == 1 for t in types):
                self._unlink_types(contacts, contact_id, companies, other_id, [1])
        row = self.ctx.store.get(self.ctx.portal, "contacts", int(contact_id))
        if row is not None:
            row.data["properties"]["associatedcompanyid"] = company_id
            self.ctx.store.put(row)

    def _unset_primary_company(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str) -> None:
        """After a contact–company association lost types: drop ``associatedcompanyid`` if it was the primary."""
        if {from_type.name, to_type.name} != {"contacts", "companies"}:
            return
        contact_id, company_id = (from_id, to_id) if from_type.name == "contacts" else (to_id, from_id)
        row = self.ctx.store.get(self.ctx.portal, "contacts", int(contact_id))
        if row is None or row.data["properties"].get("associatedcompanyid") != company_id:
            return
        contacts, companies = catalog.OBJECT_TYPES["contacts"], catalog.OBJECT_TYPES["companies"]
        if any(other == company_id and any(t["typeId"] == 1 for t in types)
               for other, types in rows.links(self.ctx, contacts, contact_id, companies)):
            return
        del row.data["properties"]["associatedcompanyid"]
        self.ctx.store.put(row)

    def associate_input(self, from_type: ObjectType, from_id: str, assoc: object) -> None:
        """An ``associations`` entry of a create body: ``{"to": {"id"}, "types": [{category, typeId}]}``."""
        if not isinstance(assoc, dict) or not isinstance(assoc.get("to"), dict):
            raise errors.bad_request("Invalid association input: expected {\"to\": {\"id\": ...}, \"types\": [...]}")
        to_id = ref_id(assoc["to"], "to")
        ids = parse_type_ids(assoc.get("types") or [])
        to_type = self._record_type(ids, from_type)
        for tid in ids:
            self._type_entry(from_type, to_type, tid)
        to_id = rows.live(self.ctx, to_type, to_id).data["id"]
        self.link(from_type, from_id, to_type, to_id, ids)

    def _record_type(self, ids: list[int], from_type: ObjectType) -> ObjectType:
        """The target type of a create-time association, read off its type id (HubSpot's or a custom label's)."""
        for tid in ids:
            for (a, b), pairs in catalog.ASSOCIATION_TYPES.items():
                if a == from_type.singular and any(i == tid for i, _ in pairs):
                    return catalog.resolve_type(b)
            for row in rows.label_rows(self.ctx):
                if row.data["fromType"] == from_type.name and row.data["typeId"] == tid:
                    return catalog.OBJECT_TYPES[row.data["toType"]]
        raise errors.bad_request("Invalid association type: each association needs a valid associationTypeId")

    # -- v4: one pair -----------------------------------------------------------------------------
    def associate(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                  types: list[dict] | None) -> dict:
        with self.ctx.store.transaction():
            fid = rows.live(self.ctx, from_type, from_id).data["id"]
            tid = rows.live(self.ctx, to_type, to_id).data["id"]
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
            self.link(from_type, fid, to_type, tid, type_ids)
        self.ctx.emit(fid, f"{from_type.singular}.associationChange",
                      associationType=f"{from_type.singular.upper()}_TO_{to_type.singular.upper()}",
                      fromObjectId=int(fid), toObjectId=int(tid), associationRemoved=False)
        labels = [self._type_entry(from_type, to_type, t)["label"] for t in type_ids]
        return {"fromObjectTypeId": from_type.type_id, "fromObjectId": int(fid), "toObjectTypeId": to_type.type_id,
                "toObjectId": int(tid), "labels": [label for label in labels if label]}

    def dissociate(self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str,
                   type_ids: list[int] | None = None) -> None:
        default = catalog.default_association_type(from_type.singular, to_type.singular)
        with self.ctx.store.transaction():
            if type_ids is None or default in type_ids:  # removing the unlabeled type removes every label
                self.unlink(from_type, str(from_id), to_type, str(to_id))
            else:
                self._unlink_types(from_type, str(from_id), to_type, str(to_id), type_ids)

    def page(self, from_type: ObjectType, from_id: str, to_type: ObjectType, limit: int = 500,
             after: str | None = None) -> dict:
        """``GET /crm/v4/objects/{type}/{id}/associations/{toType}``: the ``after`` cursor is an offset."""
        if not 1 <= limit <= MAX_ASSOCIATIONS_PAGE:
            raise errors.bad_request(f"limit must be between 1 and {MAX_ASSOCIATIONS_PAGE}")
        if after and not after.isdigit():
            raise errors.bad_request(f"after must be a paging cursor from a previous page, not {after}")
        fid = rows.live(self.ctx, from_type, from_id).data["id"]
        items = rows.links(self.ctx, from_type, fid, to_type)
        start = int(after) if after else 0
        page = items[start:start + limit]
        out: dict = {"results": [{"toObjectId": int(to_id), "associationTypes": types} for to_id, types in page]}
        if start + limit < len(items):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return out

    def default_type(self, from_type: ObjectType, to_type: ObjectType) -> int:
        tid = catalog.default_association_type(from_type.singular, to_type.singular)
        if tid is None:
            raise errors.bad_request(f"No default association between {from_type.name} and {to_type.name}")
        return tid

    # -- v4: labels -------------------------------------------------------------------------------
    def labels(self, from_type: ObjectType, to_type: ObjectType) -> list[dict]:
        out = [{"category": "HUBSPOT_DEFINED", "typeId": tid, "label": label}
               for tid, label in catalog.ASSOCIATION_TYPES.get((from_type.singular, to_type.singular), [])]
        for row in rows.label_rows(self.ctx):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name:
                out.append({"category": "USER_DEFINED", "typeId": d["typeId"], "label": d["label"]})
        return out

    def create_label(self, from_type: ObjectType, to_type: ObjectType, body: object) -> dict:
        if not isinstance(body, dict) or not body.get("label") or not body.get("name"):
            raise errors.bad_request("label and name are required")
        store, portal = self.ctx.store, self.ctx.portal
        with store.transaction():
            mine = [r for r in rows.label_rows(self.ctx)
                    if r.data["fromType"] == from_type.name and r.data["toType"] == to_type.name]
            if len(mine) >= 10:
                raise errors.bad_request("At most 10 association labels can exist between two object types.")
            forward = store.next_value(portal, "id:label", 1000)
            backward = store.next_value(portal, "id:label", 1000)
            for a, b, tid, inv, label in ((from_type, to_type, forward, backward, body["label"]),
                                          (to_type, from_type, backward, forward,
                                           body.get("inverseLabel") or body["label"])):
                store.put(Row(portal, rows.LABEL, tid, {"fromType": a.name, "toType": b.name, "typeId": tid,
                                                        "inverseTypeId": inv, "label": label, "name": body["name"]},
                              updated_at=self.ctx.rt.clock.timestamp()))
        return {"results": [{"category": "USER_DEFINED", "typeId": forward, "label": body["label"]}]}

    def _label_rows(self, from_type: ObjectType, to_type: ObjectType, type_id: object) -> tuple[Row, Row]:
        """A custom label's row and its inverse's; 404 when the pair has no such user-defined label."""
        for row in rows.label_rows(self.ctx):
            d = row.data
            if d["fromType"] == from_type.name and d["toType"] == to_type.name and str(d["typeId"]) == str(type_id):
                inverse = self.ctx.store.get(self.ctx.portal, rows.LABEL, d["inverseTypeId"])
                return row, inverse if inverse is not None else row
        raise errors.error(404, "OBJECT_NOT_FOUND", f"No association label {type_id} between {from_type.name} and "
                           f"{to_type.name}")

    def update_label(self, from_type: ObjectType, to_type: ObjectType, body: object) -> None:
        """``PUT .../labels``: rename a custom label (and its inverse)."""
        if not isinstance(body, dict) or not body.get("label") or "associationTypeId" not in body:
            raise errors.bad_request("associationTypeId and label are required")
        store = self.ctx.store
        with store.transaction():
            row, inverse = self._label_rows(from_type, to_type, body["associationTypeId"])
            row.data["label"] = str(body["label"])
            store.put(row)
            if inverse is not row and body.get("inverseLabel"):
                inverse.data["label"] = str(body["inverseLabel"])
                store.put(inverse)
            labels = {row.data["typeId"]: row.data["label"], inverse.data["typeId"]: inverse.data["label"]}
            for r in store.select(self.ctx.portal, rows.ASSOCIATION):  # associations show the label's new name
                if any(t["typeId"] in labels for t in r.data["types"]):
                    for t in r.data["types"]:
                        t["label"] = labels.get(t["typeId"], t["label"])
                    store.put(r)

    def delete_label(self, from_type: ObjectType, to_type: ObjectType, type_id: str) -> None:
        """``DELETE .../labels/{typeId}``: the label, its inverse, and every use of them on associations."""
        store = self.ctx.store
        with store.transaction():
            row, inverse = self._label_rows(from_type, to_type, type_id)
            gone = {row.data["typeId"], inverse.data["typeId"]}
            for r in (row, inverse):
                r.deleted = True
                store.put(r)
            for r in store.select(self.ctx.portal, rows.ASSOCIATION):
                if any(t["typeId"] in gone for t in r.data["types"]):
                    r.data["types"] = [t for t in r.data["types"] if t["typeId"] not in gone]
                    r.deleted = not r.data["types"]
                    store.put(r)

    # -- batches ------------------------------------------------------------------------------------
    def batch(self, from_type: ObjectType, to_type: ObjectType, action: str, body: object) -> tuple[int, dict | None]:
        """``/crm/v4/associations/{from}/{to}/batch/...``: malformed input refuses the whole request (400);
        records or types that don't exist fail their own input (207)."""
        if action not in BATCH_LIMITS:
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise errors.bad_request("Invalid input JSON: inputs must be a list")
        inputs = body["inputs"]
        if len(inputs) > BATCH_LIMITS[action]:
            raise errors.bad_request(f"Batch input limit exceeded: at most {BATCH_LIMITS[action]} inputs are allowed.")
        if not all(isinstance(i, dict) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input must be an object")
        jobs = []  # (from id, to ids or after, type ids): every input is checked before anything is written
        for item in inputs:
            if action == "read":  # inputs are {"id", "after"?} (PublicFetchAssociationsBatchRequest)
                after = item.get("after")
                jobs.append((ref_id(item, "each input"), None if after is None else str(after), None))
                continue
            fid = ref_id(item.get("from"), "from")
            if action == "archive":
                targets = item.get("to") or []
                if not isinstance(targets, list):
                    raise errors.bad_request("Invalid input JSON: to must be a list of objects with an id")
                jobs.append((fid, [ref_id(to, "to") for to in targets], None))
            else:
                ids = parse_type_ids(item.get("types") or []) if action in ("create", "labels/archive") else None
                jobs.append((fid, ref_id(item.get("to"), "to"), ids))
        started = self.ctx.now()
        results, failures = [], []
        for fid, target, ids in jobs:
            try:
                if action == "read":
                    page = self.page(from_type, fid, to_type, MAX_ASSOCIATIONS_PAGE, target)
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
                failures.append(_failure(err))
        if action in ("archive", "labels/archive") and not failures:
            return 204, None
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.ctx.now()}
        if failures:
            return 207, {**done, "numErrors": len(failures), "errors": failures}
        return (200 if action in ("read", "associate/default") else 201), done

    def batch_v3(self, from_type: ObjectType, to_type: ObjectType, action: str,
                 body: object) -> tuple[int, dict | None]:
        """``/crm/v3/associations/{from}/{to}/batch/{read,create,archive}`` with v3 type names."""
        if action not in ("read", "create", "archive"):
            raise errors.resource_not_found()
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise errors.bad_request("Invalid input JSON: inputs must be a list")
        inputs = body["inputs"]
        if not all(isinstance(i, dict) for i in inputs):
            raise errors.bad_request("Invalid input JSON: each input must be an object")
        started = self.ctx.now()
        a, b = from_type.singular, to_type.singular
        if action == "read":
            results = []
            for fid in [ref_id(i, "each input") for i in inputs]:
                to = [{"id": to_id, "type": catalog.v3_type_name(a, b, t["typeId"])}
                      for to_id, types in rows.links(self.ctx, from_type, fid, to_type) for t in types]
                results.append({"from": {"id": fid}, "to": to})
            return 200, {"status": "COMPLETE", "results": results, "startedAt": started,
                         "completedAt": self.ctx.now()}
        pairs = []  # (from id, to id, type id or None): every input is checked before anything is written
        for item in inputs:
            fid, to_id, name = ref_id(item.get("from"), "from"), ref_id(item.get("to"), "to"), item.get("type")
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
                failures.append(_failure(err))
                continue
            used = tid if tid is not None else self.default_type(from_type, to_type)
            results.append({"from": {"id": fid}, "to": {"id": to_id}, "type": catalog.v3_type_name(a, b, used)})
        if action == "archive":
            return 204, None
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": self.ctx.now()}
        if failures:
            return 207, {**done, "numErrors": len(failures), "errors": failures}
        return 201, done
