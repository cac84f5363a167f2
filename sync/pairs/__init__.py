"""The registry of object pairs: the one list the engine, the settings, the webhook receiver, the status
views and the harness read. Adding a pair is one module (a :class:`Pair` subclass) and one line below.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Option, Pair
from .contacts import CONTACTS
from .invoices import INVOICES
from .payments import PAYMENTS
from .products import PRODUCTS

PAIRS: dict[str, Pair] = {p.name: p for p in (CONTACTS, PRODUCTS, INVOICES, PAYMENTS)}  # in sync order

__all__ = ["PAIRS", "Option", "Pair", "configurable", "followers", "leader", "with_followers"]


def configurable() -> list[str]:
    """The pairs with settings of their own (a follower runs under its leader's)."""
    return [name for name, p in PAIRS.items() if not p.follows]


def followers(name: str) -> list[str]:
    return [n for n, p in PAIRS.items() if p.follows == name]


def leader(name: str) -> str:
    """The pair whose settings ``name`` syncs under: its own name unless it follows another."""
    return PAIRS[name].follows or name


def with_followers(names: Iterable[str]) -> list[str]:
    """Pair names, each followed by the pairs that sync under its settings (invoices, then payments)."""
    return [n for name in names for n in (name, *followers(name))]
