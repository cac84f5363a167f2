"""Sync filters (B4): HubSpot search's operators and meaning, applied to a record of either system.

A filter group is AND, a list of groups OR; a property starting with ``invoice.`` filters on the record's
associated invoices (C1).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from .mapping import read_qbo

__all__ = ["INVOICES_KEY", "INVOICE_PREFIX", "OPERATORS", "Filter", "group_matches", "groups_match",
           "needs_invoices", "plain", "value_problem"]

OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")
_SCALAR_OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
_LIST_OPERATORS = frozenset({"IN", "NOT_IN"})
_NO_VALUE_OPERATORS = frozenset({"HAS_PROPERTY", "NOT_HAS_PROPERTY"})
# A negative operator is the negation of a positive one: a record lacking the property satisfies it.
_NEGATION = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN", "NOT_HAS_PROPERTY": "HAS_PROPERTY"}

INVOICE_PREFIX = "invoice."  # a filter on the record's associated invoices (C1)
INVOICES_KEY = "__invoices__"  # where the engine puts those invoices' properties


def _text(value: object) -> str | None:
    """The comparable text of a value; blank (None, "", whitespace) and structures are None."""
    if value is None or isinstance(value, dict | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\S+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (date-only and naive are UTC)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _instant_or_epoch(text: str, number: Decimal | None) -> datetime | None:
    moment = _instant(text)
    if moment is None and number is not None:
        moment = _EPOCH + timedelta(milliseconds=float(number))
    return moment


_Ordered = TypeVar("_Ordered", Decimal, datetime, str)


def _order(a: _Ordered, b: _Ordered) -> int:
    return (a > b) - (a < b)


def _compare(left: str, right: str) -> int:
    """-1/0/1: as numbers if both parse, as instants if both are ISO dates (or one is and the other epoch
    milliseconds, as HubSpot sends some dates), else as case-insensitive text."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return _order(a, b)
    if _instant(left) is not None or _instant(right) is not None:
        ta, tb = _instant_or_epoch(left, a), _instant_or_epoch(right, b)
        if ta is not None and tb is not None:
            return _order(ta, tb)
    return _order(left.casefold(), right.casefold())


_TOKEN_RE = re.compile(r"[\w@.\-+']+")
_PATTERN_RE = re.compile(r"[\w@.\-+'*]+")
_TRIM = "._-+'"


def _contains_token(text: str, pattern_text: str) -> bool:
    """HubSpot's CONTAINS_TOKEN: every token of the value (``*`` = any run) equals some token of the text."""
    tokens = [t for t in (m.group().strip(_TRIM) for m in _TOKEN_RE.finditer(text.casefold())) if t]
    patterns = [re.compile(".*".join(re.escape(part) for part in token.split("*")), re.DOTALL)
                for token in (m.group().strip(_TRIM) for m in _PATTERN_RE.finditer(pattern_text.casefold()))
                if token]
    return bool(patterns) and all(any(p.fullmatch(t) for t in tokens) for p in patterns)


def _lookup(properties: Mapping, name: str) -> object:
    """A property's value; a dotted name also walks nested dicts (QBO field paths such as ``MetaData.CreateTime``)."""
    return properties[name] if name in properties else read_qbo(dict(properties), name)


def value_problem(operator: str, value: object) -> str | None:
    """What is wrong with a filter's value for its operator, or None."""
    def scalar(item: object) -> bool:
        return isinstance(item, str | int | float | Decimal | date) and _text(item) is not None

    if operator in _NO_VALUE_OPERATORS:
        return None if value is None else f"{operator} takes no value"
    if operator in _SCALAR_OPERATORS:
        return None if scalar(value) else f"{operator} needs one value (text, number, true/false or a date)"
    if operator == "BETWEEN":
        ok = isinstance(value, list | tuple) and len(value) == 2 and all(scalar(v) for v in value)
        return None if ok else "BETWEEN needs a list of 2 values [low, high]"
    if operator in _LIST_OPERATORS:
        ok = isinstance(value, list | tuple) and len(value) > 0 and all(scalar(v) for v in value)
        return None if ok else f"{operator} needs a non-empty list of values"
    return f"must be one of {', '.join(OPERATORS)}, not {operator!r}"


def plain(value: object) -> object:
    """A filter value in its stored form: dates as ISO text, lists as tuples."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    return value


@dataclass(frozen=True)
class Filter:
    """One sync filter: ``property`` ``operator`` ``value``, with HubSpot search's operators and meaning.

    EQ / NEQ / IN / NOT_IN compare case-insensitively; values compare as numbers when both sides parse as
    numbers, as instants when both are ISO 8601 dates (naive = UTC), else as text. HAS_PROPERTY means a
    non-blank value. Negative operators (NEQ, NOT_IN, NOT_HAS_PROPERTY, NOT_CONTAINS_TOKEN) hold for a
    record lacking the property. BETWEEN takes ``[low, high]`` (inclusive), IN / NOT_IN a list.

    A dotted property reads nested dicts (QBO field paths: ``MetaData.CreateTime``). A property starting
    with ``invoice.`` is a filter on the record's associated invoices (C1): the engine passes their
    properties as a list of dicts under the key ``"__invoices__"`` of ``properties``, and the filter holds
    when *some* associated invoice satisfies it (for a whole group: some one invoice satisfies every
    ``invoice.*`` filter of the group, see :func:`group_matches`). A record without invoices fails it.
    """

    property: str
    operator: str
    value: object = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", plain(self.value))
        problem = value_problem(self.operator, self.value)
        if not isinstance(self.property, str) or not self.property.strip():
            problem = "the property must be a non-empty string"
        if problem:
            raise ValueError(f"filter on {self.property!r}: {problem}")

    @builtins.property  # the field ``property`` shadows the builtin in the class body
    def on_invoice(self) -> bool:
        """Whether this filter reads the associated invoices (``invoice.*``)."""
        return self.property.startswith(INVOICE_PREFIX)

    @builtins.property
    def invoice_property(self) -> str:
        return self.property[len(INVOICE_PREFIX):]

    def matches(self, properties: Mapping) -> bool:
        """Whether a record satisfies this filter: ``properties`` are a HubSpot record's properties or a QBO
        entity, plus ``"__invoices__": list[dict]`` (the associated invoices' properties) for ``invoice.*``."""
        if self.on_invoice:
            return any(self.holds(_lookup(invoice, self.invoice_property)) for invoice in _invoices(properties))
        return self.holds(_lookup(properties, self.property))

    def holds(self, raw: object) -> bool:
        """Whether a value (already looked up) satisfies this filter."""
        negated = self.operator in _NEGATION
        operator = _NEGATION.get(self.operator, self.operator)
        stored = _text(raw)
        held = stored is not None and _positive(stored, operator, self.value)
        return not held if negated else held

    def to_dict(self) -> dict:
        out: dict = {"property": self.property, "operator": self.operator}
        if self.value is not None:
            out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return out


def _positive(stored: str, operator: str, value: object) -> bool:
    if operator == "HAS_PROPERTY":
        return True
    if operator == "IN":
        assert isinstance(value, tuple)  # Filter.__post_init__ checked it is a list and stored it as a tuple
        return any(_compare(stored, text) == 0 for text in map(_text, value) if text is not None)
    if operator == "BETWEEN":
        assert isinstance(value, tuple)  # likewise: [low, high], stored as a tuple
        low, high = (_text(v) for v in value)
        return low is not None and high is not None and _compare(stored, low) >= 0 and _compare(stored, high) <= 0
    wanted = _text(value)
    if wanted is None:
        return False
    if operator == "CONTAINS_TOKEN":
        return _contains_token(stored, wanted)
    order = _compare(stored, wanted)
    return {"EQ": order == 0, "LT": order < 0, "LTE": order <= 0, "GT": order > 0, "GTE": order >= 0}[operator]


def _invoices(properties: Mapping) -> list[Mapping]:
    invoices = properties.get(INVOICES_KEY) or []
    return [inv for inv in invoices if isinstance(inv, Mapping)]


def group_matches(group: Sequence[Filter], properties: Mapping) -> bool:
    """One filter group (AND). Its ``invoice.*`` filters must all hold for one and the same associated invoice."""
    if not all(f.matches(properties) for f in group if not f.on_invoice):
        return False
    on_invoice = [f for f in group if f.on_invoice]
    if not on_invoice:
        return True
    return any(all(f.holds(_lookup(inv, f.invoice_property)) for f in on_invoice) for inv in _invoices(properties))


def groups_match(groups: Sequence[Sequence[Filter]], properties: Mapping) -> bool:
    """Filter groups (OR between groups); no groups lets every record through."""
    return not groups or any(group_matches(group, properties) for group in groups)


def needs_invoices(groups: Sequence[Sequence[Filter]]) -> bool:
    """Whether evaluating these groups needs the records' associated invoices (``__invoices__``)."""
    return any(f.on_invoice for group in groups for f in group)
