"""CRM search (``POST /crm/v3/objects/{type}/search``): request validation, filter semantics, query, sort and paging.

Pure functions, no storage: the API layer parses the body with :func:`parse_request`, then hands the live (non-archived)
records of one object type to :func:`evaluate`. Sources: ``docs/hubspot-api-notes.md`` §2 and §0 item 9 (HubSpot's
"Search the CRM" guide, the 12.0.0 SDK's ``PublicObjectSearchRequest``/``Filter`` models).

Documented behaviour implemented here
    * filters inside a group are ANDed, groups are ORed; no groups = every record;
    * operators EQ, NEQ, LT, LTE, GT, GTE, BETWEEN (value + highValue), IN / NOT_IN (values), HAS_PROPERTY,
      NOT_HAS_PROPERTY, CONTAINS_TOKEN / NOT_CONTAINS_TOKEN (``*`` wildcard);
    * values compare case-insensitively, except enumeration properties (case-sensitive); IN / NOT_IN on string
      properties need lowercase values (the stored value is lowercased, the given values are not);
    * ``associations.{type}`` pseudo-properties; one sort at most; default order = creation order, oldest first;
    * limits: 5 filter groups, 6 filters per group, 18 filters in all; ``limit`` 1..200 (default 10); ``after`` is an
      integer offset (sent as a string) and no page may reach past the 10,000th result; bodies over 3,000 characters
      are refused.

Choices where the sources are silent (kept deliberately simple and deterministic)
    * Unknown top-level keys are ignored. A top-level ``filters`` list (the shape of one example in HubSpot's guide) is
      accepted as one more filter group and counts toward the limits.
    * ``properties: []`` means "the type's defaults" (``None``). ``limit``/``after`` may be JSON numbers or digit
      strings; ``null`` means the default.
    * Sorts: ``"prop"``, ``"-prop"``, ``{"propertyName", "direction"}`` (direction defaults to ASCENDING and is read
      case-insensitively), or such an object JSON-encoded in a string (the SDK types ``sorts`` as ``list[str]``).
    * The 3,000-character rule measures the body's compact JSON re-serialisation unless the caller passes the real
      length (``raw_length``); the query string alone is also capped at 3,000 characters.
    * An empty string is "no value" everywhere (HubSpot clears a property set to ``""``).
    * Typed comparison: a value that does not parse under the property's type (e.g. ``"abc"`` for a number) makes
      that one comparison fall back to case-insensitive text comparison, so nothing raises at evaluation time.
      Date/datetime values are epoch milliseconds or ISO 8601 (``Z``/offset; date-only and naive = UTC).
    * Enumeration values containing ``;`` (multiple checkboxes) are treated as a set for EQ/NEQ/IN/NOT_IN.
    * CONTAINS_TOKEN tokenises the stored value into runs of letters, digits and ``@ . _ - + '`` (every other
      character separates tokens), then trims ``. _ - + '`` from both ends of each token. So an email is one token
      (hence ``*@hubspot.com``), ``"Acme, Inc."`` is ``acme`` + ``inc``. The filter value is tokenised the same way
      (``*`` kept); every one of its tokens must match some stored token in full, ``*`` matching any run of
      characters. Always case-insensitive.
    * Association pseudo-properties accept singular or plural names and object type IDs (``associations.0-1``). EQ /
      IN / LT... / CONTAINS_TOKEN hold when *some* associated id satisfies them; NEQ / NOT_IN / NOT_CONTAINS_TOKEN are
      their negations; HAS_PROPERTY = at least one association.
    * ``query``: split on whitespace; every term must occur (case-insensitive substring; ``*`` ignored) in at least
      one searchable property (terms may hit different properties). For phone-like properties (type phone_number, or
      phone / mobilephone / fax) a term with digits also matches on digits only, so ``555-0100`` finds
      ``+1 (555) 0100``.
    * Sort uses the typed comparison; records without a value come last in both directions; ties (and the default
      order) follow ``default_sort`` ascending.
    * A property missing from ``property_types`` is a string, except well-known system properties
      (``hs_object_id`` = number, create/modified dates = datetime).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_SEARCHABLE",
    "MAX_BODY_CHARS",
    "MAX_FILTERS_PER_GROUP",
    "MAX_FILTER_GROUPS",
    "MAX_LIMIT",
    "MAX_RESULTS",
    "MAX_TOTAL_FILTERS",
    "OPERATORS",
    "SearchError",
    "SearchRequest",
    "evaluate",
    "matches",
    "parse_request",
]

R = TypeVar("R")

DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_TOTAL_FILTERS = 18
MAX_BODY_CHARS = 3_000

OPERATORS: tuple[str, ...] = (
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
)
_NEEDS_VALUE = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
_NEEDS_VALUES = frozenset({"IN", "NOT_IN"})
# Negative operators are the negation of a positive one; a record lacking the property matches them.
_NEGATION = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN", "NOT_HAS_PROPERTY": "HAS_PROPERTY"}

# Properties the `query` text searches, per object type. [DOC-search "default searchable properties"] for contacts,
# companies, deals, products, quotes and tickets; line_items, invoices and commerce_payments are not listed there
# (project choice).
DEFAULT_SEARCHABLE: dict[str, tuple[str, ...]] = {
    "contacts": (
        "firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone", "company",
        "hs_marketable_until_renewal",
    ),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
    "products": ("name", "description", "hs_sku", "price"),
    "line_items": ("name", "description", "hs_sku"),
    "quotes": (
        "hs_title", "hs_sender_firstname", "hs_sender_lastname", "hs_proposal_slug", "hs_sender_company_name",
        "hs_sender_email", "hs_quote_number", "hs_public_url_key",
    ),
    "invoices": ("hs_number", "hs_title"),
    "commerce_payments": ("hs_reference_number",),
    "tickets": ("subject", "content", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_id"),
}

# Fallback types for system properties when the caller's property_types does not name them.
_BUILTIN_TYPES = {
    "hs_object_id": "number",
    "createdate": "datetime",
    "hs_createdate": "datetime",
    "lastmodifieddate": "datetime",
    "hs_lastmodifieddate": "datetime",
}

# associations.{name}: singular forms and object type IDs -> the plural name used as key in `associations`.
_ASSOCIATION_ALIASES = {
    "contact": "contacts", "0-1": "contacts",
    "company": "companies", "0-2": "companies",
    "deal": "deals", "0-3": "deals",
    "ticket": "tickets", "0-5": "tickets",
    "product": "products", "0-7": "products",
    "line_item": "line_items", "0-8": "line_items",
    "quote": "quotes", "0-14": "quotes",
    "invoice": "invoices", "0-53": "invoices",
    "commerce_payment": "commerce_payments", "payment": "commerce_payments", "payments": "commerce_payments",
    "0-101": "commerce_payments",
}
_ASSOCIATION_PREFIX = "associations."

_PHONE_NAMES = frozenset({"phone", "mobilephone", "fax"})


class SearchError(Exception):
    """A request HubSpot refuses with 400 VALIDATION_ERROR.

    ``message`` is the top-level error message; ``errors`` holds HubSpot ``ErrorDetail`` items
    (``{"message", "code"?, "context"?}``, context values being lists of strings).
    """

    category = "VALIDATION_ERROR"

    def __init__(self, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[dict] = errors if errors is not None else [{"message": message}]


def _fail(message: str, code: str, context: Mapping[str, object] | None = None) -> SearchError:
    detail: dict = {"message": message, "code": code}
    if context:
        detail["context"] = {key: [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
                             for key, value in context.items()}
    return SearchError(message, [detail])


@dataclass(frozen=True)
class SearchRequest:
    """A validated search body. Filters are normalised: every value is a string, ``values`` a list of strings."""

    filter_groups: tuple[tuple[dict, ...], ...] = ()
    sort: tuple[str, bool] | None = None  # (propertyName, descending)
    query: str | None = None
    properties: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    after: int = 0


# --------------------------------------------------------------------------------------------------------------
# parse_request
# --------------------------------------------------------------------------------------------------------------

def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _scalar_text(value: object) -> str | None:
    """A filter value as HubSpot receives it (all values are strings); None if it is not a JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def _parse_int(value: object, field: str) -> int | None:
    """An integer from a JSON number or digit string; None when absent/null; SearchError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(f"Invalid input JSON: {field} must be an integer, got a boolean.", f"INVALID_{field.upper()}",
                    {field: [value]})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _fail(f"Invalid input JSON: {field} must be an integer, got {json.dumps(value)}.", f"INVALID_{field.upper()}",
                {field: [value]})


def _parse_filter(raw: object, where: str) -> dict:
    if not isinstance(raw, dict):
        raise _fail(f"Invalid input JSON: each filter must be an object ({where} is {_json_type(raw)}).",
                    "INVALID_FILTER")
    missing = [key for key in ("propertyName", "operator") if raw.get(key) in (None, "")]
    if missing:
        raise _fail(f"Invalid input JSON: Cannot build Filter, some of required attributes are not set "
                    f"[{', '.join(missing)}] ({where}).", "MISSING_FILTER_ATTRIBUTES", {"attributes": missing})
    name, operator = raw["propertyName"], raw["operator"]
    if not isinstance(name, str):
        raise _fail(f"Invalid input JSON: propertyName must be a string ({where}).", "INVALID_FILTER")
    if not isinstance(operator, str) or operator not in OPERATORS:
        raise _fail(f"Invalid input JSON: operator {json.dumps(operator)} on property \"{name}\" is not one of the "
                    f"values accepted: [{', '.join(OPERATORS)}].", "INVALID_OPERATOR",
                    {"operator": [operator], "propertyName": [name]})
    result: dict = {"propertyName": name, "operator": operator}
    for key in ("value", "highValue"):
        if raw.get(key) is None:
            continue
        text = _scalar_text(raw[key])
        if text is None:
            raise _fail(f"Invalid input JSON: {key} of the {operator} filter on \"{name}\" must be a string, number "
                        f"or boolean, got {_json_type(raw[key])}.", "INVALID_FILTER_VALUE", {"propertyName": [name]})
        result[key] = text
    if raw.get("values") is not None:
        values = raw["values"]
        texts = [_scalar_text(item) for item in values] if isinstance(values, list | tuple) else [None]
        if any(text is None for text in texts):
            raise _fail(f"Invalid input JSON: values of the {operator} filter on \"{name}\" must be a list of "
                        "strings, numbers or booleans.", "INVALID_FILTER_VALUE", {"propertyName": [name]})
        result["values"] = texts
    if operator in _NEEDS_VALUE and "value" not in result:
        raise _fail(f"Invalid input JSON: operator {operator} requires a value (filter on \"{name}\").",
                    "MISSING_VALUE", {"propertyName": [name], "operator": [operator]})
    if operator == "BETWEEN" and "highValue" not in result:
        raise _fail(f"Invalid input JSON: operator BETWEEN requires a highValue (filter on \"{name}\").",
                    "MISSING_HIGH_VALUE", {"propertyName": [name], "operator": [operator]})
    if operator in _NEEDS_VALUES and not result.get("values"):
        raise _fail(f"Invalid input JSON: operator {operator} requires a non-empty values list (filter on \"{name}\").",
                    "MISSING_VALUES", {"propertyName": [name], "operator": [operator]})
    return result


def _parse_filters(raw: object, where: str) -> tuple[dict, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise _fail(f"Invalid input JSON: {where} must be an array of filters, got {_json_type(raw)}.",
                    "INVALID_FILTER_GROUP")
    return tuple(_parse_filter(item, f"{where}[{index}]") for index, item in enumerate(raw))


def _parse_sort(raw: object) -> tuple[str, bool]:
    if isinstance(raw, str) and raw.strip().startswith("{"):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _fail(f"Invalid input JSON: sort {json.dumps(raw)} is neither a property name nor a sort object.",
                        "INVALID_SORT") from None
    if isinstance(raw, str):
        text = raw.strip()
        descending = text.startswith("-")
        name = text[1:] if descending else text
        if not name or name.startswith("-"):
            raise _fail(f"Invalid input JSON: sort {json.dumps(raw)} does not name a property.", "INVALID_SORT")
        return name, descending
    if isinstance(raw, dict):
        name = raw.get("propertyName")
        if not isinstance(name, str) or not name:
            raise _fail("Invalid input JSON: a sort object needs a propertyName.", "INVALID_SORT")
        direction = raw.get("direction")
        if direction is None:
            return name, False
        if not isinstance(direction, str) or direction.upper() not in ("ASCENDING", "DESCENDING"):
            raise _fail(f"Invalid input JSON: sort direction {json.dumps(direction)} is not one of the values "
                        "accepted: [ASCENDING, DESCENDING].", "INVALID_SORT", {"direction": [direction]})
        return name, direction.upper() == "DESCENDING"
    raise _fail(f"Invalid input JSON: a sort must be a property name or a sort object, got {_json_type(raw)}.",
                "INVALID_SORT")


def parse_request(body: object, *, raw_length: int | None = None) -> SearchRequest:
    """Validate a search body (already JSON-decoded) and return the request; raise SearchError on refusal.

    ``raw_length`` is the length of the body text as received; when omitted, the compact JSON re-serialisation of
    ``body`` is measured against the 3,000-character limit.
    """
    if not isinstance(body, dict):
        raise _fail(f"Invalid input JSON: the search request body must be a JSON object, got {_json_type(body)}.",
                    "INVALID_REQUEST_BODY")
    length = raw_length
    if length is None:
        length = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str))
    if length > MAX_BODY_CHARS:
        raise _fail(f"The search request body is {length:,} characters long; the maximum is {MAX_BODY_CHARS:,}.",
                    "REQUEST_BODY_TOO_LONG", {"length": [length]})

    # filterGroups (+ a top-level `filters` list, taken as one more group)
    raw_groups = body.get("filterGroups")
    if raw_groups is None:
        raw_groups = []
    if not isinstance(raw_groups, list | tuple):
        raise _fail(f"Invalid input JSON: filterGroups must be an array, got {_json_type(raw_groups)}.",
                    "INVALID_FILTER_GROUP")
    groups: list[tuple[dict, ...]] = []
    for index, raw_group in enumerate(raw_groups):
        where = f"filterGroups[{index}]"
        if not isinstance(raw_group, dict):
            raise _fail(f"Invalid input JSON: {where} must be an object with a filters array, got "
                        f"{_json_type(raw_group)}.", "INVALID_FILTER_GROUP")
        groups.append(_parse_filters(raw_group.get("filters"), f"{where}.filters"))
    if body.get("filters") is not None:
        groups.append(_parse_filters(body["filters"], "filters"))
    if len(groups) > MAX_FILTER_GROUPS:
        raise _fail(f"Too many filter groups: {len(groups)} given, the maximum is {MAX_FILTER_GROUPS}.",
                    "TOO_MANY_FILTER_GROUPS", {"filterGroups": [len(groups)]})
    for index, group in enumerate(groups):
        if len(group) > MAX_FILTERS_PER_GROUP:
            raise _fail(f"Too many filters in filter group {index}: {len(group)} given, the maximum is "
                        f"{MAX_FILTERS_PER_GROUP} per group.", "TOO_MANY_FILTERS_IN_GROUP",
                        {"filterGroup": [index], "filters": [len(group)]})
    total = sum(len(group) for group in groups)
    if total > MAX_TOTAL_FILTERS:
        raise _fail(f"Too many filters: {total} given across all filter groups, the maximum is {MAX_TOTAL_FILTERS}.",
                    "TOO_MANY_FILTERS", {"filters": [total]})

    # sorts
    raw_sorts = body.get("sorts")
    if raw_sorts is None:
        raw_sorts = []
    if not isinstance(raw_sorts, list | tuple):
        raw_sorts = [raw_sorts]
    if len(raw_sorts) > 1:
        raise _fail(f"Only one sort is supported per search request, got {len(raw_sorts)}.", "TOO_MANY_SORTS",
                    {"sorts": [len(raw_sorts)]})
    sort = _parse_sort(raw_sorts[0]) if raw_sorts else None

    # query
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise _fail(f"Invalid input JSON: query must be a string, got {_json_type(query)}.", "INVALID_QUERY")
    if query is not None and len(query) > MAX_BODY_CHARS:
        raise _fail(f"The search query is {len(query):,} characters long; the maximum is {MAX_BODY_CHARS:,}.",
                    "QUERY_TOO_LONG", {"length": [len(query)]})
    if query is not None and not query.strip():
        query = None

    # properties
    raw_properties = body.get("properties")
    properties: tuple[str, ...] | None = None
    if raw_properties is not None:
        if not isinstance(raw_properties, list | tuple) or not all(isinstance(p, str) for p in raw_properties):
            raise _fail("Invalid input JSON: properties must be an array of property names.", "INVALID_PROPERTIES")
        properties = tuple(raw_properties) or None

    # limit / after
    limit = _parse_int(body.get("limit"), "limit")
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise _fail(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.", "INVALID_LIMIT", {"limit": [limit]})
    raw_after = body.get("after")
    after = _parse_int(None if raw_after == "" else raw_after, "after") or 0
    if after < 0:
        raise _fail(f"after must be a non-negative integer offset, got {after}.", "INVALID_AFTER", {"after": [after]})
    if after + limit > MAX_RESULTS:
        raise _fail(f"Search results are limited to {MAX_RESULTS:,} per query: after ({after}) + limit ({limit}) "
                    f"reaches past result {MAX_RESULTS:,}. Narrow the search with filters instead of paging further.",
                    "RESULT_WINDOW_EXCEEDED", {"after": [after], "limit": [limit]})

    return SearchRequest(filter_groups=tuple(groups), sort=sort, query=query, properties=properties, limit=limit,
                         after=after)


# --------------------------------------------------------------------------------------------------------------
# Typed values
# --------------------------------------------------------------------------------------------------------------

def property_type(name: str, property_types: Mapping[str, str]) -> str:
    return property_types.get(name) or _BUILTIN_TYPES.get(name, "string")


def _to_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _to_instant(text: str) -> Decimal | None:
    """Epoch milliseconds from epoch-ms text or an ISO 8601 date/datetime (naive = UTC)."""
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return Decimal(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return Decimal(delta.days * 86_400_000 + delta.seconds * 1000) + Decimal(delta.microseconds) / 1000


def _to_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def _typed(text: str, ptype: str) -> object | None:
    """The value under its HubSpot type, or None if it does not parse as that type."""
    if ptype == "number":
        return _to_number(text)
    if ptype in ("date", "datetime"):
        return _to_instant(text)
    if ptype == "bool":
        return _to_bool(text)
    return None


def _text_key(text: str, ptype: str) -> str:
    return text if ptype == "enumeration" else text.casefold()


def _compare(left: str, right: str, ptype: str) -> int:
    """-1/0/1 comparing two present values under ``ptype`` (text comparison if either does not parse)."""
    a, b = _typed(left, ptype), _typed(right, ptype)
    if a is None or b is None:
        a, b = _text_key(left, ptype), _text_key(right, ptype)
    return (a > b) - (a < b)  # type: ignore[operator]  # both typed as ptype says, or both text: never mixed


def _sort_key(text: str, ptype: str) -> tuple:
    typed = _typed(text, ptype)
    return (0, typed) if typed is not None else (1, _text_key(text, ptype))


# --------------------------------------------------------------------------------------------------------------
# Tokens (CONTAINS_TOKEN)
# --------------------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[\w@.\-+']+")
_PATTERN_RE = re.compile(r"[\w@.\-+'*]+")
_TRIM = "._-+'"


def _tokens(text: str) -> list[str]:
    return [tok for tok in (m.group().strip(_TRIM) for m in _TOKEN_RE.finditer(text.casefold())) if tok]


def _pattern_tokens(text: str) -> list[re.Pattern[str]]:
    patterns = []
    for match in _PATTERN_RE.finditer(text.casefold()):
        token = match.group().strip(_TRIM)
        if token:
            patterns.append(re.compile(".*".join(re.escape(part) for part in token.split("*")), re.DOTALL))
    return patterns


def _contains_token(text: str, pattern_text: str) -> bool:
    patterns = _pattern_tokens(pattern_text)
    if not patterns:
        return False
    tokens = _tokens(text)
    return all(any(pattern.fullmatch(token) for token in tokens) for pattern in patterns)


# --------------------------------------------------------------------------------------------------------------
# matches
# --------------------------------------------------------------------------------------------------------------

def _present(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else _scalar_text(value)
    return text if text else None


def _enum_members(text: str) -> list[str]:
    return [text] + ([part for part in text.split(";") if part] if ";" in text else [])


def _equals(stored: str, wanted: str, ptype: str) -> bool:
    if ptype == "enumeration":
        return wanted in _enum_members(stored)
    return _compare(stored, wanted, ptype) == 0


def _in(stored: str, values: Sequence[str], ptype: str) -> bool:
    if ptype in ("string", "phone_number"):
        # HubSpot lowercases the stored value but not the given ones: IN needs lowercase values on strings.
        return stored.lower() in values
    return any(_equals(stored, value, ptype) for value in values)


def _positive(stored: str, flt: Mapping, ptype: str) -> bool:
    """A positive operator (EQ, LT..., BETWEEN, IN, HAS_PROPERTY, CONTAINS_TOKEN) on a present value."""
    operator = flt["operator"]
    value = _present(flt.get("value"))
    if operator == "HAS_PROPERTY":
        return True
    if operator == "IN":
        return _in(stored, [v for v in (_present(item) for item in flt.get("values") or ()) if v is not None], ptype)
    if value is None:
        return False
    if operator == "EQ":
        return _equals(stored, value, ptype)
    if operator == "CONTAINS_TOKEN":
        return _contains_token(stored, value)
    order = _compare(stored, value, ptype)
    if operator == "LT":
        return order < 0
    if operator == "LTE":
        return order <= 0
    if operator == "GT":
        return order > 0
    if operator == "GTE":
        return order >= 0
    if operator == "BETWEEN":
        high = _present(flt.get("highValue"))
        return high is not None and order >= 0 and _compare(stored, high, ptype) <= 0
    raise _fail(f"Unsupported filter operator {json.dumps(operator)}.", "INVALID_OPERATOR")


def _association_ids(name: str, associations: Mapping[str, set[str]]) -> set[str]:
    kind = name[len(_ASSOCIATION_PREFIX):]
    candidates = [kind, _ASSOCIATION_ALIASES.get(kind, kind), _ASSOCIATION_ALIASES.get(kind.lower(), kind.lower())]
    lowered = kind.lower()
    candidates += [lowered + "s", lowered[:-1] + "ies" if lowered.endswith("y") else lowered,
                   lowered[:-1] if lowered.endswith("s") else lowered]
    for candidate in candidates:
        if candidate in associations:
            return {str(item) for item in associations[candidate]}
    return set()


def _filter_holds(properties: Mapping[str, object], associations: Mapping[str, set[str]], flt: Mapping,
                  property_types: Mapping[str, str]) -> bool:
    operator = flt.get("operator")
    if operator not in OPERATORS:
        raise _fail(f"Unsupported filter operator {json.dumps(operator)}.", "INVALID_OPERATOR")
    negated = operator in _NEGATION
    positive = dict(flt, operator=_NEGATION[operator]) if negated else flt
    name = str(flt.get("propertyName", ""))
    if name.startswith(_ASSOCIATION_PREFIX):
        ids = sorted(_association_ids(name, associations))
        held = any(_positive(record_id, positive, "number") for record_id in ids)
    else:
        stored = _present(properties.get(name))
        held = stored is not None and _positive(stored, positive, property_type(name, property_types))
    return not held if negated else held


def matches(properties: Mapping[str, str | None], associations: Mapping[str, set[str]], filters: Sequence[dict],
            property_types: Mapping[str, str]) -> bool:
    """True if the record satisfies every filter of one filter group (AND); an empty group matches everything."""
    return all(_filter_holds(properties, associations, flt, property_types) for flt in filters)


# --------------------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------------------

def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _query_matches(properties: Mapping[str, object], terms: Sequence[str], searchable: Sequence[str],
                   property_types: Mapping[str, str]) -> bool:
    values = []
    for name in searchable:
        text = _present(properties.get(name))
        if text is not None:
            phone = name in _PHONE_NAMES or property_types.get(name) == "phone_number"
            values.append((text.casefold(), _digits(text) if phone else ""))
    for term in terms:
        digits = _digits(term)
        if not any(term in text or (digits and phone_digits and digits in phone_digits)
                   for text, phone_digits in values):
            return False
    return True


def evaluate(records: Iterable[R], request: SearchRequest, get_props: Callable[[R], Mapping[str, str | None]],
             get_assoc: Callable[[R], Mapping[str, set[str]]], property_types: Mapping[str, str],
             searchable: Sequence[str], default_sort: Callable[[R], SupportsRichComparison],
             keep: Callable[[R], Any] = lambda record: record) -> tuple[int, list]:
    """Run ``request`` over ``records``: filter, query, sort, page. Returns ``(total, page)``.

    ``records`` may be a stream: each is looked at once, and of a match only ``keep(record)`` (the record itself
    by default; an id, say) and its sort keys are held, so a search over every record of a big type stays small.
    """
    selected: list[tuple[Any, str | None, Any]] = []  # (default sort key, sort property's text, kept)
    # association look-ups cost a query per record: only when a filter asks for them
    by_association = any(str(f.get("propertyName", "")).startswith("associations.")
                         for group in request.filter_groups for f in group)
    terms = [term for term in (raw.replace("*", "") for raw in (request.query or "").casefold().split()) if term]
    sort_name = request.sort[0] if request.sort is not None else None
    for record in records:
        if request.filter_groups:
            props, assoc = get_props(record), get_assoc(record) if by_association else {}
            if not any(matches(props, assoc, group, property_types) for group in request.filter_groups):
                continue
        if terms and not _query_matches(get_props(record), terms, searchable, property_types):
            continue
        text = _present(get_props(record).get(sort_name)) if sort_name is not None else None
        selected.append((default_sort(record), text, keep(record)))

    selected.sort(key=lambda item: item[0])
    if request.sort is not None:
        name, descending = request.sort
        ptype = property_type(name, property_types)
        present = [item for item in selected if item[1] is not None]
        missing = [item for item in selected if item[1] is None]
        present.sort(key=lambda item: _sort_key(item[1], ptype), reverse=descending)  # stable: ties keep default
        selected = present + missing
    return len(selected), [kept for _, _, kept in selected[request.after:request.after + request.limit]]


# --------------------------------------------------------------------------------------------------------------
# A sorted index for "changed since" searches
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SortedIndex:
    """The live records of a type by one date or number property: ``typed`` as (value, default sort key, kept),
    ascending; ``untyped`` the records whose value does not parse as the type, as (text, default key, kept)."""

    # tuples, not lists: a tuple of plain values leaves the garbage collector's care, where a list of 100k items
    # would be walked by every full collection for as long as the index is kept
    typed: tuple[tuple[Any, Any, Any], ...]
    untyped: tuple[tuple[str, Any, Any], ...]
    values: tuple[Any, ...]  # the typed values alone, in order: what a bisection reads


def range_on_sort(request: SearchRequest, property_types: Mapping[str, str]) -> str | None:
    """The property of a search that a :class:`SortedIndex` answers exactly, else None: one filter group holding one
    GT/GTE filter on a date or number property, sorted ascending by that same property, with no query — what a sync
    polling "changed since" sends, window after window of 10,000."""
    if request.query or request.sort is None or request.sort[1] or len(request.filter_groups) != 1:
        return None
    (group,) = request.filter_groups
    if len(group) != 1:
        return None
    (flt,) = group
    name = str(flt.get("propertyName", ""))
    if flt.get("operator") not in ("GT", "GTE") or name != request.sort[0] or name.startswith(_ASSOCIATION_PREFIX):
        return None
    ptype = property_type(name, property_types)
    value = _present(flt.get("value"))
    if ptype not in ("date", "datetime", "number") or value is None or _typed(value, ptype) is None:
        return None
    return name


def sorted_index(records: Iterable[R], name: str, ptype: str, get_props: Callable[[R], Mapping[str, str | None]],
                 default_sort: Callable[[R], SupportsRichComparison], keep: Callable[[R], Any]) -> SortedIndex:
    typed, untyped = [], []
    for record in records:
        text = _present(get_props(record).get(name))
        if text is None:
            continue  # no value: no GT/GTE filter holds
        value = _typed(text, ptype)
        if value is None:
            untyped.append((_text_key(text, ptype), default_sort(record), keep(record)))
        else:
            typed.append((value, default_sort(record), keep(record)))
    typed.sort(key=lambda item: (item[0], item[1]))
    untyped.sort(key=lambda item: (item[0], item[1]))
    return SortedIndex(tuple(typed), tuple(untyped), tuple(item[0] for item in typed))


def evaluate_on_index(index: SortedIndex, request: SearchRequest,
                      property_types: Mapping[str, str]) -> tuple[int, list]:
    """What :func:`evaluate` answers for a request :func:`range_on_sort` accepts, read off the index: the typed values
    from the bound on (a bisection), then the values that do not parse, compared as text as ``_compare`` does,
    after them (their sort key is ``(1, text)``)."""
    (flt,), = request.filter_groups
    name, value = str(flt["propertyName"]), str(_present(flt.get("value")))
    ptype = property_type(name, property_types)
    bound = _typed(value, ptype)
    start = (bisect.bisect_left if flt["operator"] == "GTE" else bisect.bisect_right)(index.values, bound)
    text_bound = _text_key(value, ptype)
    over = [item for item in index.untyped
            if (item[0] >= text_bound if flt["operator"] == "GTE" else item[0] > text_bound)]
    # the page alone is built: a window of 10,000 is read a page at a time, and each page reading every match from
    # the bound on made a sync's paging quadratic in the records
    typed = len(index.typed) - start
    first, last = request.after, request.after + request.limit
    page = [item[2] for item in index.typed[start + first:start + min(last, typed)]]
    if last > typed:
        page += [item[2] for item in over[max(first - typed, 0):last - typed]]
    return typed + len(over), page
