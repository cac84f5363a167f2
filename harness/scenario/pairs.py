"""Everything the scenario runner knows of the sync's object pairs, read from the pair registry
(``sync/pairs``): which pairs a record kind belongs to, which kind a record is linked with on the other
side (``of``), and what ``converged`` compares.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from sync.clients import qbo_query as q
from sync.mapping import TO_HUBSPOT, TO_QUICKBOOKS, TWO_WAY, canonical, read_qbo
from sync.pairs import PAIRS, leader
from sync.state import EXCLUDED, FAILED

if TYPE_CHECKING:
    from sync.settings import PairSettings, Settings

# A pair's kind on one side -> its kind on the other (for ``of``).
COUNTERPARTS = {**{p.hubspot_type: p.qbo_entity for p in PAIRS.values()},
                **{p.qbo_entity: p.hubspot_type for p in PAIRS.values()}}
TOWARDS = {"hubspot": TO_QUICKBOOKS, "quickbooks": TO_HUBSPOT}  # where a record of each side goes
REPORTED = (EXCLUDED, FAILED)  # a sync that says why a record did not cross owes it no counterpart


def counterpart(kind: str, other: str) -> str:
    """The kind a ``kind`` record is linked with on side ``other``; unknown kinds link as contacts do."""
    return COUNTERPARTS.get(kind, "Customer" if other == "quickbooks" else "contacts")


def pairs_of(kind: str | None) -> list[str]:
    """The engine's pairs whose HubSpot type or QBO entity is ``kind`` (none for an unknown or missing kind)."""
    return [name for name, p in PAIRS.items() if kind in (p.hubspot_type, p.qbo_entity)]


def sync_settings(world: Any, line: int | None) -> Settings:
    """The settings the sync under test runs with now (after any ``restart`` with new settings), when it shows
    them (the reference engine and a command sync do); else the scenario's given settings."""
    from sync.settings import Settings

    for holder in (world.sync, getattr(world.sync, "engine", None)):
        found = getattr(holder, "settings", None)
        if isinstance(found, Settings):
            return found
    return world.settings(copy.deepcopy(dict(world.scenario.given.get("settings") or {})), line, "given.settings")


def converged(world: Any, pair: str, line: int | None) -> list[str]:
    """Records matched by their key (email, SKU) hold the same values in every default mapped field, and no
    record that should have crossed is left without a counterpart with its key.

    A record should have crossed (:func:`should_cross`) when the sync's generation and the pair's settings carry
    records of its side to the other — the pair exists in the generation (A1) and is switched on (A4), its
    direction goes from that side (B1), the record passes the filters towards the other side (B4, C1-C3), a
    legacy pair does not ignore QBO changes (D4) — and it has a key to be matched by. A sync that keeps a status
    (``status()`` answers) may have said why it did not carry one across: a record it reports excluded or failed
    is owed nothing. A sync without a status says nothing, so every such record must have its counterpart.

    A6 (legacy): contacts and products take only QBO records changed since the pair was switched on, a moment
    this check cannot see from outside. There a QBO record must have crossed only once the sync reported on it
    (it read it); a sync without a status is not asked for those records at all.
    """
    rules = PAIRS.get(pair)
    if rules is None or not rules.qbo_has_active:  # name lists match by a key people see; documents by link
        keyed = [n for n, p in PAIRS.items() if p.qbo_has_active]
        return [f"line {line}: converged: unknown pair {pair!r}; pairs matched by a key: {', '.join(keyed)}"]
    settings = sync_settings(world, line)
    own = settings.pairs.get(leader(pair))
    maps = [m for m in rules.mappings if not m.create_only]
    key = rules.key_map

    def key_of(value: object) -> str:
        return canonical(value, key.type)

    entities: dict[str, list[dict]] = {}
    for entity in world.qbo.query(q.select(rules.qbo_entity, q.ANY_ACTIVE)):
        entities.setdefault(key_of(read_qbo(entity, key.quickbooks)), []).append(entity)
    filtered = {f.property for g in (own.filters_to_quickbooks if own else []) for f in g if not f.on_invoice}
    props_wanted = sorted({m.hubspot for m in maps} | {key.hubspot} | filtered)
    records: dict[str, list[dict]] = {}
    for record in world.hs.list(rules.hubspot_type, props_wanted):
        records.setdefault(key_of((record.get("properties") or {}).get(key.hubspot)), []).append(record)
    out = []
    for value, found in records.items():
        matches = entities.get(value, [])
        if len(found) != 1 or len(matches) != 1:
            continue  # unmatched or ambiguous: not a pair to compare
        props = found[0].get("properties") or {}
        for m in maps:
            h, b = canonical(props.get(m.hubspot), m.type), canonical(read_qbo(matches[0], m.quickbooks), m.type)
            if h != b:
                out.append(f"line {line}: {pair} {props.get(key.hubspot)}: {m.hubspot} {h!r} in HubSpot but "
                           f"{m.quickbooks} {b!r} in QuickBooks")
    invoices = _invoices_of(world, rules.hubspot_type, [r for v, rs in records.items() if v and v not in entities
                                                         for r in rs], own)
    for side, mine, theirs, kind in (("hubspot", records, entities, rules.hubspot_type),
                                     ("quickbooks", entities, records, rules.qbo_entity)):
        for value, found in sorted(mine.items()):
            if not value or value in theirs:
                continue  # no key to be matched by, or matched
            for record in found:
                rid = str(record.get("id", record.get("Id")))
                props = (record.get("properties") or {}) if side == "hubspot" else record
                if side == "hubspot" and rid in invoices:
                    props = {**props, "__invoices__": invoices[rid]}
                problem = should_cross(world, settings, pair, side, kind, rid, props)
                if problem:
                    out.append(f"line {line}: converged: {pair}: {side} {kind} {rid} ({key.hubspot} {value}) has no "
                               f"counterpart with its {key.hubspot} on the other side; {problem}")
    return out


def should_cross(world: Any, settings: Settings, pair: str, side: str, kind: str, record_id: str,
                 props: dict) -> str:
    """Why a record should have a counterpart (what the sync said of it), or "" when it need not."""
    generation, own = settings.generation, settings.pairs.get(leader(pair))
    towards = TOWARDS[side]
    if own is None or not (own.enabled or leader(pair) in generation.runs_when_off):
        return ""  # A4: switched off
    if own.direction not in (TWO_WAY, towards) or not generation.allows(leader(pair), own.direction):
        return ""  # A1 / B1: the pair does not carry this side's records
    if side == "quickbooks" and (props.get("Active") is False or own.on_change == "ignore"):
        return ""  # made inactive (QBO's way of deleting a name); D4: legacy told to ignore QBO changes
    if not own.passes(props, towards):
        return ""  # B4, C1-C3: filtered out
    status = world.status(side, kind, record_id)
    if status is None:
        if side == "quickbooks" and pair in generation.recent_records_only:
            return ""  # A6: perhaps older than the switch; only a record the sync read is owed a counterpart
        if getattr(world.sync, "reports_status", True) and callable(getattr(world.sync, "status", None)):
            return "the sync reports no status for it (it never read it)"
        return "the sync keeps no status, so nothing says why"
    if status.get("status") in REPORTED and status.get("reason"):
        return ""  # excluded or failed, and the sync said why
    return f"the sync reports it {status.get('status')}" + (f" ({status['reason']})" if status.get("reason") else "")


def _invoices_of(world: Any, hubspot_type: str, records: list[dict], own: PairSettings | None) -> dict[str, list]:
    """C1: the associated invoices' properties of HubSpot records whose filters look at their invoices."""
    if own is None or not records or not own.needs_invoices(TO_QUICKBOOKS):
        return {}
    ids = [str(r["id"]) for r in records]
    links = world.hs.associations(hubspot_type, "invoices", ids)
    invoice_ids = sorted({str(t["toObjectId"]) for targets in links.values() for t in targets})
    wanted = sorted({f.invoice_property for g in own.filters_to_quickbooks for f in g if f.on_invoice})
    found = {str(i["id"]): i.get("properties") or {}
             for i in (world.hs.batch_read("invoices", invoice_ids, wanted) if invoice_ids else [])}
    return {rid: [found[str(t["toObjectId"])] for t in targets if str(t["toObjectId"]) in found]
            for rid, targets in links.items()}
