"""How a portal's records and associations sit in the shared store (simulators/core/storage.py). No business rules.

A record is one row of kind ``<object type name>`` whose entity id is its ``hs_object_id``, holding
``{"id", "properties", "createdAt", "updatedAt", "archived"[, "archivedAt"], "history"}`` with every property value a
string, as HubSpot returns them. A live contact's lower-cased email is its row's name key, so it is found by email
in one lookup. An association is one row per direction and pair of records, keyed by ``from type:from id:to type``,
holding ``{"toId", "types"}``; user-defined association labels are rows of their own kind.
"""

from __future__ import annotations

from ..core.storage import Row
from . import errors
from .catalog import ObjectType
from .context import PortalContext

ASSOCIATION = "association"  # store kind of association rows: one per (from type, from id, to type, to id)
LABEL = "association-label"  # store kind of user-defined association labels
MAX_HISTORY = 45  # versions kept per property, newest first (our bound: soak runs must not grow without end)


# -- records -----------------------------------------------------------------------------------
def next_id(ctx: PortalContext, otype: ObjectType) -> int:
    # Ids grow per type from a portal-looking base, so ids of different types rarely coincide.
    return ctx.store.next_value(ctx.portal, f"id:{otype.name}", 10_000 * (int(otype.type_id.split("-")[1]) + 1))


def get(ctx: PortalContext, otype: ObjectType, object_id: object) -> Row | None:
    """The row of the record with this ``hs_object_id`` (in any state); None when there is none or it isn't an id."""
    try:
        return ctx.store.get(ctx.portal, otype.name, int(str(object_id)))
    except (ValueError, OverflowError):
        return None


def require(row: Row | None, object_id: object, archived: bool = False) -> Row:
    """``row`` when it holds a record that is (or, with ``archived``, is not) live; HubSpot's 404 otherwise."""
    if row is None or row.deleted or (row.data.get("archived", False) != archived):
        raise errors.not_found(object_id)
    return row


def live(ctx: PortalContext, otype: ObjectType, object_id: object) -> Row:
    """The row of a live (existing, not archived) record; 404 otherwise."""
    return require(get(ctx, otype, object_id), object_id)


def save(ctx: PortalContext, otype: ObjectType, data: dict, before: dict | None = None) -> None:
    """Store a record; ``before`` (its previous properties) dates each changed value in its history."""
    if before is not None:
        track(ctx, data, before)
    email = data["properties"].get("email") if otype.name == "contacts" else None
    archived = data.get("archived", False)
    ctx.store.put(Row(ctx.portal, otype.name, int(data["id"]), data,
                      name_key=email.lower() if email and not archived else None,
                      active=not archived, updated_at=ctx.rt.clock.timestamp()))


def track(ctx: PortalContext, data: dict, before: dict) -> None:
    """Newest first, like ``propertiesWithHistory``; a cleared value is recorded as an empty string."""
    now = ctx.now()
    props = data["properties"]
    history = data.setdefault("history", {})
    for name in set(props) | set(before):
        value = props.get(name, "")
        if value != before.get(name, ""):
            entry = {"value": value, "timestamp": now, "sourceType": "API", "sourceId": "sample-app"}
            history[name] = [entry, *history.get(name, [])][:MAX_HISTORY]


# -- associations ------------------------------------------------------------------------------
def link_key(from_type: ObjectType, from_id: str, to_type: ObjectType) -> str:
    return f"{from_type.name}:{from_id}:{to_type.name}"


def link_rows(ctx: PortalContext, from_type: ObjectType, from_id: str, to_type: ObjectType) -> list[Row]:
    """The association rows from one record to the records of one type (one row per associated record)."""
    return ctx.store.find_all(ctx.portal, ASSOCIATION, link_key(from_type, str(from_id), to_type))


def links(ctx: PortalContext, from_type: ObjectType, from_id: str, to_type: ObjectType) -> list[tuple[str, list]]:
    """``(to id, association types)`` of each record of ``to_type`` associated with a record."""
    return [(r.data["toId"], r.data["types"]) for r in link_rows(ctx, from_type, from_id, to_type)]


def label_rows(ctx: PortalContext) -> list[Row]:
    """Every user-defined association label of the portal, each direction its own row."""
    return ctx.store.select(ctx.portal, LABEL)
