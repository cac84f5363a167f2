"""Everything the scenario runner knows of the sync's object pairs, read from the pair registry
(``sync/pairs``): which pairs a record kind belongs to, which kind a record is linked with on the other
side (``of``), and what ``converged`` compares.
"""

from __future__ import annotations

from typing import Any

from sync.clients import qbo_query as q
from sync.mapping import canonical, read_qbo
from sync.pairs import PAIRS

# A pair's kind on one side -> its kind on the other (for ``of``).
COUNTERPARTS = {**{p.hubspot_type: p.qbo_entity for p in PAIRS.values()},
                **{p.qbo_entity: p.hubspot_type for p in PAIRS.values()}}


def counterpart(kind: str, other: str) -> str:
    """The kind a ``kind`` record is linked with on side ``other``; unknown kinds link as contacts do."""
    return COUNTERPARTS.get(kind, "Customer" if other == "quickbooks" else "contacts")


def pairs_of(kind: str | None) -> list[str]:
    """The engine's pairs whose HubSpot type or QBO entity is ``kind`` (none for an unknown or missing kind)."""
    return [name for name, p in PAIRS.items() if kind in (p.hubspot_type, p.qbo_entity)]


def converged(qbo: Any, hs: Any, pair: str, line: int | None) -> list[str]:
    """Records matched by their key (email, SKU) hold the same values in every default mapped field."""
    rules = PAIRS.get(pair)
    if rules is None or not rules.qbo_has_active:  # name lists match by a key people see; documents by link
        keyed = [n for n, p in PAIRS.items() if p.qbo_has_active]
        return [f"line {line}: converged: unknown pair {pair!r}; pairs matched by a key: {', '.join(keyed)}"]
    maps = [m for m in rules.mappings if not m.create_only]
    key = rules.key_map
    others: dict[str, list[dict]] = {}
    for entity in qbo.query(q.select(rules.qbo_entity, q.ANY_ACTIVE)):
        others.setdefault(canonical(read_qbo(entity, key.quickbooks), key.type), []).append(entity)
    out = []
    for record in hs.list(rules.hubspot_type, [m.hubspot for m in maps]):
        props = record.get("properties") or {}
        matches = others.get(canonical(props.get(key.hubspot), key.type), [])
        if len(matches) != 1:
            continue  # unmatched or ambiguous: not a pair to compare
        for m in maps:
            h, b = canonical(props.get(m.hubspot), m.type), canonical(read_qbo(matches[0], m.quickbooks), m.type)
            if h != b:
                out.append(f"line {line}: {pair} {props.get(key.hubspot)}: {m.hubspot} {h!r} in HubSpot but "
                           f"{m.quickbooks} {b!r} in QuickBooks")
    return out
