"""Everything the scenario runner knows of the sync's object pairs, in one place.

The sync engine's pair knowledge (its RULES, the contacts/products rules, DEFAULT_MAPPINGS) is read only
here, so when ``sync/`` moves it, this module is the one to re-point: which pairs a record kind belongs to,
which kind a record is linked with on the other side (``of``), and what ``converged`` compares.
"""

from __future__ import annotations

from typing import Any

# A pair's kind on one side -> its kind on the other (for ``of``).
COUNTERPARTS = {"contacts": "Customer", "Customer": "contacts", "products": "Item", "Item": "products",
                "invoices": "Invoice", "Invoice": "invoices", "commerce_payments": "Payment",
                "Payment": "commerce_payments"}


def counterpart(kind: str, other: str) -> str:
    """The kind a ``kind`` record is linked with on side ``other``; unknown kinds link as contacts do."""
    return COUNTERPARTS.get(kind, "Customer" if other == "quickbooks" else "contacts")


def pairs_of(kind: str | None) -> list[str]:
    """The engine's pairs whose HubSpot type or QBO entity is ``kind`` (none for an unknown or missing kind)."""
    from sync.engine import RULES

    return [name for name, rules in RULES.items() if kind in (rules.hubspot_type, rules.qbo_entity)]


def converged(qbo: Any, hs: Any, pair: str, line: int | None) -> list[str]:
    """Records matched by their key (email, SKU) hold the same values in every default mapped field."""
    from sync.mapping import DEFAULT_MAPPINGS, canonical, read_qbo
    from sync.rules.contacts import RULES as CONTACTS
    from sync.rules.products import RULES as PRODUCTS

    rules = {"contacts": CONTACTS, "products": PRODUCTS}.get(pair)
    if rules is None:
        return [f"line {line}: converged: unknown pair {pair!r}"]
    maps = [m for m in DEFAULT_MAPPINGS[pair] if not m.create_only]
    key = rules.key_map
    others: dict[str, list[dict]] = {}
    for entity in qbo.query(f"SELECT * FROM {rules.qbo_entity} WHERE Active IN (true, false)"):
        others.setdefault(canonical(read_qbo(entity, key.quickbooks), key.type), []).append(entity)
    out = []
    for record in hs.list(rules.hubspot_type, [m.hubspot for m in maps]):
        props = record.get("properties") or {}
        matches = others.get(canonical(props.get(key.hubspot), key.type), [])
        if len(matches) != 1:
            continue  # unmatched or ambiguous: not a pair to compare
        for m in maps:
            h, q = canonical(props.get(m.hubspot), m.type), canonical(read_qbo(matches[0], m.quickbooks), m.type)
            if h != q:
                out.append(f"line {line}: {pair} {props.get(key.hubspot)}: {m.hubspot} {h!r} in HubSpot but "
                           f"{m.quickbooks} {q!r} in QuickBooks")
    return out
