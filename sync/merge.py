"""Three-way merge of one record pair, field by field, against the merge base (the last synced values).

A field changed on one side only flows to the other; changed on both sides (or met for the first
time with different values) the pair's conflict rule picks the winner (B2), except that a blank
winner never erases the other side's value ("no data will be changed"). One-way fields always take
the source's value (edge case 13). Pure: no I/O, so every case is a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mapping import TO_HUBSPOT, TO_QUICKBOOKS, FieldMap
from .state import HUBSPOT


@dataclass
class Merge:
    to_quickbooks: dict[str, str] = field(default_factory=dict)  # field id -> canonical value to write
    to_hubspot: dict[str, str] = field(default_factory=dict)
    base: dict[str, str] = field(default_factory=dict)  # the base once the writes land
    conflicts: list[dict] = field(default_factory=list)


def merge(maps: list[FieldMap], direction: str, conflict: str, base: dict | None, hubspot: dict,
          quickbooks: dict) -> Merge:
    known = base is not None
    base = base or {}
    out = Merge()
    for m in maps:
        if m.create_only:
            continue
        h, q, b = hubspot.get(m.id, ""), quickbooks.get(m.id, ""), base.get(m.id)
        to_q, to_h = m.flows(direction, TO_QUICKBOOKS), m.flows(direction, TO_HUBSPOT)
        if h == q:
            out.base[m.id] = h
        elif to_q and to_h:
            _two_way(out, m, conflict, h, q, b if known else None)
        elif to_q:
            _one_way(out.to_quickbooks, out.base, m.id, h, q, b if known else None)
        elif to_h:
            _one_way(out.to_hubspot, out.base, m.id, q, h, b if known else None)
        elif b is not None:
            out.base[m.id] = b
    return out


def _two_way(out: Merge, m: FieldMap, conflict: str, h: str, q: str, b: str | None) -> None:
    if b is not None and q == b:  # changed in HubSpot only
        out.to_quickbooks[m.id] = out.base[m.id] = h
    elif b is not None and h == b:  # changed in QuickBooks only
        out.to_hubspot[m.id] = out.base[m.id] = q
    else:
        winner = HUBSPOT if conflict == HUBSPOT else "quickbooks"
        value = h if winner == HUBSPOT else q
        if value == "":  # a blank winner never erases the other side's value
            value = q if winner == HUBSPOT else h
        if value != q:
            out.to_quickbooks[m.id] = value
        if value != h:
            out.to_hubspot[m.id] = value
        out.base[m.id] = value
        out.conflicts.append({"field": m.id, "hubspot": h, "quickbooks": q, "base": b, "winner": winner,
                              "value": value})


def _one_way(writes: dict, base: dict, field_id: str, source: str, target: str, b: str | None) -> None:
    if source == "" and b is None:
        return  # never clear the target on a first meeting: there is no sync history to honour
    writes[field_id] = base[field_id] = source
