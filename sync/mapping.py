"""Field mappings: which HubSpot property pairs with which QBO field, and how values compare.

Values are compared in a canonical text form so "10", "10.0" and 10 are one price and
" Ada@Example.com" is one email: the merge base stores canonical values, so a round trip
through either API never looks like a change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

TWO_WAY, TO_QUICKBOOKS, TO_HUBSPOT = "two-way", "to-quickbooks", "to-hubspot"
DIRECTIONS = (TWO_WAY, TO_QUICKBOOKS, TO_HUBSPOT)
TYPES = ("text", "email", "number", "bool", "date")


@dataclass(frozen=True)
class FieldMap:
    hubspot: str  # HubSpot property
    quickbooks: str  # QBO field path, dotted: "PrimaryEmailAddr.Address"
    type: str = "text"
    direction: str = TWO_WAY  # narrows the pair's direction, never widens it
    name: str = ""  # the mapping's id in settings (default: the HubSpot property)
    custom: bool = False
    create_only: bool = False  # written when the record is created, never updated (DisplayName, D1)

    @property
    def id(self) -> str:
        return self.name or self.hubspot

    def flows(self, pair_direction: str, to: str) -> bool:
        """Whether values of this field may be written towards ``to`` (TO_QUICKBOOKS or TO_HUBSPOT)."""
        return pair_direction in (TWO_WAY, to) and self.direction in (TWO_WAY, to)


def canonical(value: object, kind: str = "text") -> str:
    """The comparable text of a value; blank (None, "", whitespace) is ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value).strip()
    if not text:
        return ""
    if kind == "email":
        return text.lower()
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        normal = number.normalize()
        return format(normal, "f") if normal == normal.to_integral() else format(normal, "f").rstrip("0")
    if kind == "bool":
        return "true" if text.lower() in ("true", "1", "yes") else "false"
    if kind == "date":
        return text[:10]
    return text


def read_qbo(entity: dict, path: str) -> object:
    """The value at a dotted path of a QBO entity, or None."""
    node: object = entity
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def write_qbo(body: dict, path: str, value: str, kind: str = "text") -> None:
    """Set a dotted path in a QBO request body from a canonical value (numbers and booleans as JSON)."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = qbo_value(value, kind)


def qbo_value(value: str, kind: str) -> object:
    """A canonical value as QBO's JSON carries it: numbers as int or Decimal, booleans as JSON booleans."""
    if value == "":
        return None if kind in ("number", "bool") else ""
    if kind == "number":  # exact: a Decimal, written as such by the clients' JSON (never a float)
        number = Decimal(value)
        return int(number) if number == number.to_integral() else number
    if kind == "bool":
        return value == "true"
    return value


def hubspot_version(updated_at: str, values: dict) -> str:
    """A HubSpot record's version: its update time plus a digest of the mapped values.

    Two edits within one timestamp (HubSpot stamps to the millisecond) still differ in their values.
    """
    digest = hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
    return f"{updated_at}#{digest}"


def snapshot_qbo(entity: dict, maps: list[FieldMap]) -> dict[str, str]:
    return {m.id: canonical(read_qbo(entity, m.quickbooks), m.type) for m in maps}


def snapshot_hubspot(record: dict, maps: list[FieldMap]) -> dict[str, str]:
    props = record.get("properties") or {}
    return {m.id: canonical(props.get(m.hubspot), m.type) for m in maps}

