"""The Properties API: built-in and custom property definitions and groups of a portal.

Works on a :class:`PortalContext` alone (the store and the clock), so records.py can read the definitions that
validate values without this module knowing about records.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..core.storage import Row
from . import catalog, errors, pipelines
from .catalog import ObjectType, PropertyDef
from .context import PortalContext


def _kind(otype: ObjectType) -> str:
    return f"property:{otype.name}"


def definitions(p: PortalContext, otype: ObjectType) -> Mapping[str, PropertyDef]:
    """Every property a record of ``otype`` may hold: HubSpot's built-in ones and the portal's live custom ones.

    Read on every write of a record, so kept until the portal's properties (or a deal's pipelines) change: read
    only, as callers share it."""
    def read() -> Mapping[str, PropertyDef]:
        defs = _builtin(p, otype)
        for row in p.store.select(p.portal, _kind(otype)):
            defs[row.data["name"]] = PropertyDef.from_json(row.data)
        return MappingProxyType(defs)

    kinds = (_kind(otype), pipelines.row_kind("deals")) if otype.name == "deals" else (_kind(otype),)
    return p.store.memo_of(p.portal, kinds, ("hubspot.definitions", p.portal, otype.name), read)


def _builtin(p: PortalContext, otype: ObjectType) -> dict[str, PropertyDef]:
    """HubSpot's own properties of ``otype``; a deal's pipeline and stage list the portal's pipelines and stages."""
    return pipelines.with_options(p, otype, dict(catalog.BUILTIN_PROPERTIES[otype.name]))


def _custom(p: PortalContext, otype: ObjectType, name: str) -> Row | None:
    return p.store.find_name(p.portal, (_kind(otype),), name)


def _archived(p: PortalContext, otype: ObjectType) -> list[Row]:
    """Custom properties in the recycling bin (built-in ones can't be archived)."""
    return [r for r in p.store.select(p.portal, _kind(otype), include_deleted=True) if r.deleted]


def _json(p: PortalContext, definition: PropertyDef, row: Row | None = None) -> dict:
    stamps = (row.data.get("createdAt"), row.data.get("updatedAt")) if row else ("2019-10-30T03:30:17.883Z",) * 2
    out = definition.to_json(*stamps)
    if row is not None and row.deleted:
        out.update(archived=True, archivedAt=row.data.get("archivedAt"))
    return out


def list_all(p: PortalContext, otype: ObjectType, archived: bool = False) -> list[dict]:
    """``archived=true`` lists only the archived ones, as for records."""
    if archived:
        return [_json(p, PropertyDef.from_json(r.data), r) for r in _archived(p, otype)]
    out = [_json(p, d) for d in _builtin(p, otype).values()]
    out += [_json(p, PropertyDef.from_json(r.data), r) for r in p.store.select(p.portal, _kind(otype))]
    return out


def get(p: PortalContext, otype: ObjectType, name: str, archived: bool = False) -> dict:
    builtin = _builtin(p, otype).get(name)
    if builtin is not None and not archived:
        return _json(p, builtin)
    row = next((r for r in _archived(p, otype) if r.data["name"] == name), None) if archived \
        else _custom(p, otype, name)
    if row is None:
        raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} on {otype.name}")
    return _json(p, PropertyDef.from_json(row.data), row)


def create(p: PortalContext, otype: ObjectType, body: object) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid input JSON: the body must be an object")
    try:
        definition = PropertyDef.from_json(body)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from exc
    with p.store.transaction():
        if definition.name in catalog.BUILTIN_PROPERTIES[otype.name] or _custom(p, otype, definition.name):
            # 409 OBJECT_ALREADY_EXISTS is reported by third parties only (unconfirmed)
            raise errors.error(409, "OBJECT_ALREADY_EXISTS", f"Property already exists: {definition.name}")
        if any(r.data["name"] == definition.name for r in _archived(p, otype)):
            # Choice: an archived property keeps its name while it sits in the recycling bin
            raise errors.error(409, "OBJECT_ALREADY_EXISTS", f"Property already exists: {definition.name} "
                                                              "(archived; restore it or choose another name)")
        if definition.has_unique_value:
            unique = [r for r in p.store.select(p.portal, _kind(otype)) if r.data.get("hasUniqueValue")]
            if len(unique) >= 10:
                raise errors.bad_request("At most 10 unique-value properties can exist on an object type.")
        now = p.now()
        data = {**body, "createdAt": now, "updatedAt": now}
        eid = p.store.next_value(p.portal, f"id:{_kind(otype)}", 1)
        row = Row(p.portal, _kind(otype), eid, data, name_key=definition.name, updated_at=p.rt.clock.timestamp())
        p.store.put(row)
    return _json(p, definition, row)


def update(p: PortalContext, otype: ObjectType, name: str, body: object) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid input JSON: the body must be an object")
    if name in catalog.BUILTIN_PROPERTIES[otype.name]:
        raise errors.bad_request(f"{name} is a HubSpot-defined property: its definition is read-only")
    with p.store.transaction():
        row = _custom(p, otype, name)
        if row is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} on {otype.name}")
        data = {**row.data, **{k: v for k, v in body.items() if k != "name"}, "updatedAt": p.now()}
        try:
            definition = PropertyDef.from_json(data)
        except ValueError as exc:
            raise errors.bad_request(str(exc)) from exc
        row.data = data
        p.store.put(row)
    return _json(p, definition, row)


def archive(p: PortalContext, otype: ObjectType, name: str) -> None:
    if name in catalog.BUILTIN_PROPERTIES[otype.name]:
        raise errors.bad_request(f"{name} is a HubSpot-defined property and can't be archived")
    with p.store.transaction():
        row = _custom(p, otype, name)
        if row is not None:  # to the recycling bin: listed with archived=true, values no longer writable
            row.deleted, row.name_key = True, None
            row.data = {**row.data, "archivedAt": p.now(), "updatedAt": p.now()}
            p.store.put(row)


def batch(p: PortalContext, otype: ObjectType, action: str, body: object,
          archived: bool = False) -> tuple[int, dict | None]:
    if action not in ("read", "create", "archive"):
        raise errors.resource_not_found()
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise errors.bad_request("Invalid input JSON: inputs must be a list")
    if not all(isinstance(i, dict) for i in body["inputs"]):
        raise errors.bad_request("Invalid input JSON: each input must be an object")
    started = p.now()
    archived = archived or body.get("archived") is True  # the SDK sends it in the body
    if action == "read":
        results, missing = [], []
        for item in body["inputs"]:
            try:
                results.append(get(p, otype, str(item.get("name", "")), archived))
            except errors.HubSpotError:
                missing.append(str(item.get("name", "")))
        done = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": p.now()}
        if missing:
            return 207, {**done, "numErrors": len(missing), "errors": [
                {"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"Unable to find property {n}",
                 "context": {"name": [n]}} for n in missing]}
        return 200, done
    if action == "create":
        with p.store.transaction():
            results = [create(p, otype, item) for item in body["inputs"]]
        return 201, {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": p.now()}
    with p.store.transaction():  # archive
        for item in body["inputs"]:
            archive(p, otype, str(item.get("name", "")))
    return 204, None


def groups(p: PortalContext, otype: ObjectType) -> list[dict]:
    custom = [r.data for r in p.store.select(p.portal, f"group:{otype.name}")]
    return list(catalog.BUILTIN_GROUPS[otype.name]) + custom


def group(p: PortalContext, otype: ObjectType, name: str) -> dict:
    for g in groups(p, otype):
        if g["name"] == name:
            return g
    raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name} on {otype.name}")


def create_group(p: PortalContext, otype: ObjectType, body: object) -> dict:
    if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
        raise errors.bad_request("name and label are required")
    if not isinstance(body["name"], str) or not isinstance(body["label"], str):
        raise errors.bad_request("name and label must be strings")
    order = body.get("displayOrder", -1)
    if isinstance(order, bool) or not isinstance(order, int):
        raise errors.bad_request("displayOrder must be an integer")
    with p.store.transaction():
        if any(g["name"] == body["name"] for g in groups(p, otype)):
            raise errors.error(409, "OBJECT_ALREADY_EXISTS", f"Property group already exists: {body['name']}")
        data = {"name": body["name"], "label": body["label"], "displayOrder": order,
                "archived": False}
        eid = p.store.next_value(p.portal, f"id:group:{otype.name}", 1)
        p.store.put(Row(p.portal, f"group:{otype.name}", eid, data, name_key=body["name"],
                        updated_at=p.rt.clock.timestamp()))
    return data


def update_group(p: PortalContext, otype: ObjectType, name: str, body: object) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid input JSON: the body must be an object")
    row = p.store.find_name(p.portal, (f"group:{otype.name}",), name)
    if row is None:
        raise errors.bad_request(f"{name} is not a custom property group of {otype.name}")
    order = body.get("displayOrder", 0)
    if isinstance(order, bool) or not isinstance(order, int) or not isinstance(body.get("label", ""), str):
        raise errors.bad_request("label must be a string and displayOrder an integer")
    row.data.update({k: v for k, v in body.items() if k in ("label", "displayOrder")})
    p.store.put(row)
    return row.data


def archive_group(p: PortalContext, otype: ObjectType, name: str) -> None:
    row = p.store.find_name(p.portal, (f"group:{otype.name}",), name)
    if row is not None:
        row.deleted, row.name_key = True, None
        p.store.put(row)
