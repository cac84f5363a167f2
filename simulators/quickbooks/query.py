"""QuickBooks Online query language: parse, validate and evaluate ``SELECT`` statements.

Grammar accepted (keywords case-insensitive, any whitespace between tokens)::

    SELECT * | count(*) | *, F [, F ...] | F [, F ...]
    FROM Entity
    [WHERE F op value [AND F op value ...]]
    [ORDER BY | ORDERBY F [ASC|DESC] [, ...]]
    [STARTPOSITION n] [MAXRESULTS n]

``op`` is one of ``= != < > <= >= IN LIKE``. There is no OR, GROUP BY, JOIN or trailing ``;``
(Intuit data-queries page, 2017 "deep dive" blog). Error texts follow the verbatim sandbox
responses quoted in docs/qbo-api-notes.md section 2:

* 4000 "Error parsing query", detail in the JavaCC style
  ``QueryParserError: Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.``
* 4001 "Invalid query", ``QueryValidationError: Property X not found for Entity Y`` /
  ``QueryValidationError: property 'X' is not queryable`` /
  ``QueryValidationError: invalid context declaration: Foo`` (unknown entity; reported by two
  independent integrations that hit it in production, e.g. ``FROM Check``).

Evaluation rules (``matches``/``sort_records``): strings compare case-insensitively, reference
objects (``{"value": ...}``) by their value, e-mail objects by ``Address``, numeric strings
numerically (Ids are numeric strings), dates/datetimes chronologically, booleans as booleans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

__all__ = [
    "QUERYABLE_FIELDS",
    "Condition",
    "Query",
    "QueryError",
    "matches",
    "parse",
    "sort_records",
    "validate",
]

PARSE_ERROR = "4000"
VALIDATION_ERROR = "4001"
_MESSAGES = {PARSE_ERROR: "Error parsing query", VALIDATION_ERROR: "Invalid query"}

DEFAULT_MAX_RESULTS = 100
# Intuit documents 1000 as the page maximum; what the server does with a larger MAXRESULTS is
# UNCONFIRMED (notes section 2). We clamp rather than fail so a client asking for "as many as
# possible" still gets a full page instead of an error real QBO might never send.
MAX_RESULTS_CAP = 1000


class QueryError(Exception):
    """A query rejected the way QBO rejects it: ``code``/``message``/``detail`` of one Fault Error."""

    def __init__(self, code: str, message: str | None = None, detail: str = "") -> None:
        self.code = code
        self.message = message if message is not None else _MESSAGES.get(code, "Invalid query")
        self.detail = detail
        super().__init__(detail or self.message)

    @classmethod
    def parse_error(cls, detail: str) -> QueryError:
        return cls(PARSE_ERROR, _MESSAGES[PARSE_ERROR], detail)

    @classmethod
    def validation_error(cls, detail: str) -> QueryError:
        return cls(VALIDATION_ERROR, _MESSAGES[VALIDATION_ERROR], detail)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    fields: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool], ...]
    start_position: int
    max_results: int
    mentions_active: bool


# --------------------------------------------------------------------------------------------
# Queryable ("filterable"/"sortable") fields per entity.
# Sources: Intuit API reference marks (Customer page: Id, DisplayName, GivenName, MiddleName,
# FamilyName, PrimaryEmailAddr, Active, CompanyName, Balance, PrintOnCheckName,
# FullyQualifiedName filterable; BalanceWithJobs sortable), the allow-lists in Intuit's own
# quickbooks-online-mcp-server (Item, Account, Invoice, Estimate, Vendor), and PQ tests.
# Where unsure a field is included: a false "not queryable" breaks clients, a false
# "queryable" only makes the simulator more lenient than QBO.
# --------------------------------------------------------------------------------------------
_BASE = {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
_NAME_LIST = _BASE | {"Name", "Active"}
_PERSON = _BASE | {
    "DisplayName", "GivenName", "MiddleName", "FamilyName", "Title", "Suffix", "CompanyName",
    "PrintOnCheckName", "PrimaryEmailAddr", "PrimaryPhone", "Active",
}
_TXN = _BASE | {"TxnDate", "DocNumber", "TotalAmt", "CurrencyRef", "ExchangeRate"}
_SALES_TXN = _TXN | {
    "CustomerRef", "Balance", "ClassRef", "DepartmentRef", "ProjectRef", "SalesTermRef",
    "EmailStatus", "PrintStatus", "DueDate", "ShipDate",
}

QUERYABLE_FIELDS: dict[str, set[str]] = {
    # Name lists
    "Customer": _PERSON | {
        "FullyQualifiedName", "Balance", "BalanceWithJobs", "Job", "ParentRef", "Level",
        "Taxable", "CurrencyRef",
    },
    "Vendor": _PERSON | {
        "Balance", "AcctNum", "Vendor1099", "BillRate", "TaxIdentifier", "TermRef", "CurrencyRef",
        "AlternatePhone", "Mobile", "Fax", "WebAddr",
    },
    "Employee": _PERSON | {
        "EmployeeNumber", "HiredDate", "ReleasedDate", "BirthDate", "BillableTime", "BillRate",
        "Mobile", "Gender",
    },
    "Item": _NAME_LIST | {
        "Type", "Sku", "FullyQualifiedName", "ParentRef", "PrefVendorRef", "UnitPrice",
        "QtyOnHand", "PurchaseCost", "Taxable", "SubItem", "Level", "TrackQtyOnHand",
        "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef",
    },
    "Account": _NAME_LIST | {
        "SubAccount", "ParentRef", "Description", "Classification", "AccountType",
        "AccountSubType", "CurrentBalance", "CurrentBalanceWithSubAccounts", "FullyQualifiedName",
        "AcctNum", "CurrencyRef",
    },
    "Class": _NAME_LIST | {"FullyQualifiedName", "ParentRef", "SubClass"},
    "Department": _NAME_LIST | {"FullyQualifiedName", "ParentRef", "SubDepartment"},
    "Term": _NAME_LIST | {"Type", "DueDays", "DiscountDays", "DiscountPercent", "DayOfMonthDue"},
    "PaymentMethod": _NAME_LIST | {"Type"},
    "TaxCode": _NAME_LIST | {"Taxable", "TaxGroup", "Hidden", "Description"},
    "TaxRate": _NAME_LIST | {"AgencyRef", "RateValue", "SpecialTaxType", "Description"},
    "TaxAgency": _BASE | {"DisplayName"},
    "CompanyCurrency": _NAME_LIST | {"Code"},
    "ExchangeRate": _BASE | {"SourceCurrencyCode", "TargetCurrencyCode", "AsOfDate", "Rate"},
    # Company-level singletons
    "CompanyInfo": _BASE | {"CompanyName", "LegalName", "Country"},
    "Preferences": set(_BASE),
    # Sales transactions
    "Invoice": _SALES_TXN,
    "Estimate": _SALES_TXN | {"ExpirationDate", "AcceptedDate", "TxnStatus"},
    "SalesReceipt": _SALES_TXN | {"PaymentMethodRef", "DepositToAccountRef", "PaymentRefNum"},
    "CreditMemo": _SALES_TXN | {"RemainingCredit"},
    "RefundReceipt": _SALES_TXN | {"PaymentMethodRef", "DepositToAccountRef", "PaymentRefNum"},
    "Payment": _TXN | {
        "CustomerRef", "PaymentRefNum", "PaymentMethodRef", "DepositToAccountRef", "ARAccountRef",
        "UnappliedAmt", "ProjectRef",
    },
    # Purchase side
    "Bill": _TXN | {"VendorRef", "Balance", "DueDate", "APAccountRef", "SalesTermRef",
                    "DepartmentRef"},
    "BillPayment": _TXN | {"VendorRef", "PayType", "DepartmentRef"},
    "Purchase": _TXN | {"AccountRef", "EntityRef", "PaymentType", "Credit", "DepartmentRef"},
    "PurchaseOrder": _TXN | {"VendorRef", "POStatus", "DueDate", "APAccountRef"},
    "VendorCredit": _TXN | {"VendorRef", "Balance", "APAccountRef"},
    # Other transactions
    "Deposit": _TXN | {"DepositToAccountRef", "DepartmentRef"},
    "Transfer": _TXN | {"FromAccountRef", "ToAccountRef", "Amount"},
    "JournalEntry": _TXN | {"Adjustment"},
    "TimeActivity": _BASE | {"TxnDate", "NameOf", "EmployeeRef", "VendorRef", "CustomerRef",
                             "ItemRef", "BillableStatus"},
    "Attachable": _BASE | {"FileName", "ContentType", "Category", "Note"},
    "RecurringTransaction": set(_BASE),
    "CreditCardPayment": _BASE | {"TxnDate", "Amount", "CreditCardAccountRef", "BankAccountRef", "VendorRef"},
}


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------
_KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "ORDERBY", "GROUP", "JOIN",
    "ASC", "DESC", "STARTPOSITION", "MAXRESULTS", "IN", "LIKE", "COUNT", "TRUE", "FALSE",
})
_IDENTIFIER, _STRING, _INTEGER, _DECIMAL, _EOF = "IDENTIFIER", "STRING", "INTEGER", "DECIMAL", "EOF"
# ";" is lexed (so a trailing semicolon fails as an Encountered error at its own column) but no
# rule accepts it: the documented grammar has no statement terminator.
_PUNCT = ("!=", "<=", ">=", "=", "<", ">", "(", ")", ",", "*", ";")
_COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class _Token:
    kind: str  # a keyword / punctuation literal, or one of the named kinds above
    text: str  # raw source text (JavaCC's "image")
    line: int
    column: int
    value: object = None


def _kind_image(kind: str) -> str:
    # JavaCC's tokenImage: named regex tokens print as <NAME>, literal tokens as "literal".
    if kind in (_IDENTIFIER, _STRING, _INTEGER, _DECIMAL):
        return f"<{kind}>"
    return f'"{kind}"'


def _unexpected(tok: _Token) -> QueryError:
    """The ParseException text for an unexpected token; QBO drops the "Was expecting" part."""
    where = f"at line {tok.line}, column {tok.column}."
    if tok.kind == _EOF:
        return QueryError.parse_error(f'QueryParserError: Encountered "<EOF>" {where}')
    return QueryError.parse_error(
        f'QueryParserError: Encountered " {_kind_image(tok.kind)} "{tok.text} "" {where}'
    )


def _lexical_error(line: int, column: int, char: str | None, after: str) -> QueryError:
    # JavaCC TokenMgrError wording. Whether QBO shows this for a stray character or an
    # unterminated string (rather than a ParseException) is UNCONFIRMED; the code is 4000 either way.
    seen = "<EOF> " if char is None else f'"{char}" ({ord(char)}), '
    return QueryError.parse_error(
        f'QueryParserError: Lexical error at line {line}, column {column}.  '
        f'Encountered: {seen}after : "{after}"'
    )


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, col = 0, 1, 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\f\r\n":
            # CRLF counts once; JavaCC reports 1-based line/column like this.
            if ch == "\n" or (ch == "\r" and text[i + 1:i + 2] != "\n"):
                line, col = line + 1, 1
            elif ch != "\r":
                col += 1
            i += 1
            continue
        start_line, start_col = line, col
        if ch == "'":
            # Backslash escapes the next character (PQ/.NET SDK send 'Jane O\'Neil').
            j, chars = i + 1, []
            while j < n and text[j] != "'":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise _lexical_error(line, col + (n - i), None, text[i:])
            raw = text[i:j + 1]
            tokens.append(_Token(_STRING, raw, start_line, start_col, "".join(chars)))
            col += len(raw)
            i = j + 1
            continue
        m = _NUMBER_RE.match(text, i)
        if m and (ch != "-" or not tokens or tokens[-1].kind not in (_IDENTIFIER, _INTEGER, _DECIMAL)):
            raw = m.group(0)
            kind, value = (_DECIMAL, float(raw)) if m.group(1) else (_INTEGER, int(raw))
            tokens.append(_Token(kind, raw, start_line, start_col, value))
        elif m := _IDENT_RE.match(text, i):
            raw = m.group(0)
            upper = raw.upper()
            kind = upper if upper in _KEYWORDS else _IDENTIFIER
            tokens.append(_Token(kind, raw, start_line, start_col, raw))
        else:
            for p in _PUNCT:
                if text.startswith(p, i):
                    raw = p
                    tokens.append(_Token(p, p, start_line, start_col, p))
                    break
            else:
                raise _lexical_error(line, col, ch, "")
        col += len(raw)
        i += len(raw)
    tokens.append(_Token(_EOF, "", line, col))
    return tokens


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.pos]

    def take(self, *kinds: str) -> _Token:
        tok = self.tok
        if tok.kind not in kinds:
            raise _unexpected(tok)
        self.pos += 1
        return tok

    def accept(self, *kinds: str) -> _Token | None:
        if self.tok.kind in kinds:
            return self.take(*kinds)
        return None

    def literal(self) -> object:
        tok = self.take(_STRING, _INTEGER, _DECIMAL, "TRUE", "FALSE")
        if tok.kind in ("TRUE", "FALSE"):
            return tok.kind == "TRUE"
        return tok.value

    def statement(self) -> dict:
        self.take("SELECT")
        count, fields = False, None
        if self.accept("*"):
            extra = []
            while self.accept(","):
                extra.append(self.take(_IDENTIFIER).text)
            fields = ("*", *extra) if extra else None
        elif self.accept("COUNT"):
            self.take("(")
            self.take("*")
            self.take(")")
            count = True
        else:
            names = [self.take(_IDENTIFIER).text]
            while self.accept(","):
                names.append(self.take(_IDENTIFIER).text)
            fields = tuple(names)
        self.take("FROM")
        entity = self.take(_IDENTIFIER)

        conditions: list[Condition] = []
        if self.accept("WHERE"):
            conditions.append(self.condition())
            while self.accept("AND"):
                conditions.append(self.condition())

        order_by: list[tuple[str, bool]] = []
        # python-quickbooks where() sends ORDERBY, all() sends ORDER BY: both are accepted.
        if self.accept("ORDERBY") or (self.accept("ORDER") and self.take("BY")):
            order_by.append(self.order_item())
            while self.accept(","):
                order_by.append(self.order_item())

        # Intuit documents STARTPOSITION before MAXRESULTS; either order is accepted here,
        # each at most once, so clients that swap them are not broken by the simulator.
        paging: dict[str, int] = {}
        while self.tok.kind in ("STARTPOSITION", "MAXRESULTS") and self.tok.kind not in paging:
            keyword = self.take("STARTPOSITION", "MAXRESULTS").kind
            number = self.tok
            # a Java int in QBO's parser: a larger number is refused as unparseable (and would overflow SQL's OFFSET)
            if number.kind != _INTEGER or len(number.text) > 10 or not 1 <= int(number.text) <= 2**31 - 1:
                raise _unexpected(number)
            self.pos += 1
            paging[keyword] = int(number.text)
        self.take(_EOF)
        return {
            "entity": entity.text,
            "count": count,
            "fields": fields,
            "conditions": tuple(conditions),
            "order_by": tuple(order_by),
            "start_position": paging.get("STARTPOSITION", 1),
            "max_results": min(paging.get("MAXRESULTS", DEFAULT_MAX_RESULTS), MAX_RESULTS_CAP),
        }

    def condition(self) -> Condition:
        field = self.take(_IDENTIFIER).text
        op = self.take(*_COMPARISONS, "IN", "LIKE").kind
        if op == "IN":
            self.take("(")
            values = [self.literal()]
            while self.accept(","):
                values.append(self.literal())
            self.take(")")
            return Condition(field, op, tuple(values))
        if op == "LIKE":
            return Condition(field, op, self.take(_STRING).value)
        return Condition(field, op, self.literal())

    def order_item(self) -> tuple[str, bool]:
        field = self.take(_IDENTIFIER).text
        direction = self.accept("ASC", "DESC")
        return field, bool(direction and direction.kind == "DESC")


def _first_segment(path: str) -> str:
    return path.split(".", 1)[0]


def _mentions_active(conditions: Iterable[Condition]) -> bool:
    return any(_first_segment(c.field).casefold() == "active" for c in conditions)


def parse(statement: str, entities: Iterable[str]) -> Query:
    """Parse one statement; raise QueryError 4000 on syntax errors, 4001 on an unknown entity."""
    parts = _Parser(_tokenize(statement)).statement()
    written = parts.pop("entity")
    canonical = {e.casefold(): e for e in entities}.get(written.casefold())
    if canonical is None:
        raise QueryError.validation_error(f"QueryValidationError: invalid context declaration: {written}")
    return Query(entity=canonical, mentions_active=_mentions_active(parts["conditions"]), **parts)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
def _lookup_ci(mapping: Mapping[str, set[str]], key: str) -> set[str] | None:
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if k.casefold() == key.casefold():
            return v
    return None


def validate(query: Query, queryable: Mapping[str, set[str]], known: Mapping[str, set[str]]) -> Query:
    """Check field names and return the query with canonical field spellings.

    Unknown top-level field -> 4001 "Property X not found for Entity Y"; a known field used in
    WHERE/ORDER BY that is not queryable -> 4001 "property 'X' is not queryable". Checked in
    statement order (projection, WHERE, ORDER BY); the first offence is reported.
    An entity missing from ``known`` is not checked at all; one missing from ``queryable`` treats
    every known field as queryable (the simulator has no better information for it).
    """
    known_fields = _lookup_ci(known, query.entity)
    if known_fields is None:
        return query
    by_name = {f.casefold(): f for f in known_fields}
    allowed = _lookup_ci(queryable, query.entity)
    allowed_by_name = {f.casefold(): f for f in (allowed if allowed is not None else known_fields)}

    def canonical(path: str) -> str:
        head, _, tail = path.partition(".")
        name = by_name.get(head.casefold())
        if name is None:
            # QBO echoes the property as written (e.g. "Property NoSuchField not found ...").
            raise QueryError.validation_error(
                f"QueryValidationError: Property {path} not found for Entity {query.entity}"
            )
        full = f"{name}.{tail}" if tail else name
        return allowed_by_name.get(full.casefold(), full)

    def filterable(path: str) -> str:
        full = canonical(path)
        head = _first_segment(full)
        if full.casefold() not in allowed_by_name and head.casefold() not in allowed_by_name:
            raise QueryError.validation_error(f"QueryValidationError: property '{full}' is not queryable")
        return full

    fields = query.fields
    if fields is not None:
        fields = tuple(f if f == "*" else canonical(f) for f in fields)
    conditions = tuple(replace(c, field=filterable(c.field)) for c in query.conditions)
    order_by = tuple((filterable(f), desc) for f, desc in query.order_by)
    return replace(query, fields=fields, conditions=conditions, order_by=order_by,
                   mentions_active=_mentions_active(conditions))


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------
class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
_NUMERIC_RE = re.compile(r"[+-]?\d+(\.\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
# Sub-objects QBO compares by one inner value: refs by value, e-mail by Address, phones, URLs.
_INNER_KEYS = ("value", "Address", "FreeFormNumber", "URI")


def _get(record: Mapping, key: str) -> object:
    if key in record:
        return record[key]
    folded = key.casefold()
    for k, v in record.items():
        if isinstance(k, str) and k.casefold() == folded:
            return v
    return _MISSING


def _field_value(record: Mapping, path: str) -> object:
    value: object = record
    for segment in path.split("."):
        if not isinstance(value, Mapping):
            return _MISSING
        value = _get(value, segment)
    if isinstance(value, Mapping):
        for key in _INNER_KEYS:
            if key in value:
                value = value[key]
                break
        else:
            return _MISSING
    if value is None or isinstance(value, (list, tuple, Mapping)):
        return _MISSING
    return value


def _as_bool(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().casefold() in ("true", "false"):
        return v.strip().casefold() == "true"
    return None


def _as_number(v: object) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        try:
            return Decimal(str(v))
        except InvalidOperation:
            return None
    if isinstance(v, str) and _NUMERIC_RE.fullmatch(v.strip()):
        return Decimal(v.strip())
    return None


def _as_temporal(v: object) -> date | datetime | None:
    if not isinstance(v, str):
        return None
    s = v.strip()
    try:
        if _DATE_RE.fullmatch(s):
            return date.fromisoformat(s)
        if _DATETIME_RE.fullmatch(s):
            return datetime.fromisoformat(s)
    except ValueError:
        return None
    return None


def _align(a: date | datetime, b: date | datetime) -> tuple[date | datetime, date | datetime]:
    """Make two temporals comparable.

    A date-only value against a datetime becomes the start of that day in the datetime's own
    offset (``'2024-01-31'`` vs ``...T10:00:00-07:00`` means 2024-01-31T00:00-07:00), so
    ``MetaData.LastUpdatedTime >= '2024-01-31'`` selects everything from that local midnight on.
    A naive datetime against an aware one is taken to be in the aware one's offset.
    """
    a_dt, b_dt = isinstance(a, datetime), isinstance(b, datetime)
    if a_dt and not b_dt:
        b = datetime.combine(b, time(0), tzinfo=a.tzinfo)
    elif b_dt and not a_dt:
        a = datetime.combine(a, time(0), tzinfo=b.tzinfo)
    elif a_dt and b_dt and (a.tzinfo is None) != (b.tzinfo is None):
        if a.tzinfo is None:
            a = a.replace(tzinfo=b.tzinfo)
        else:
            b = b.replace(tzinfo=a.tzinfo)
    return a, b


def _as_text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]  # callers pass two values of one comparable kind


def _compare(actual: object, expected: object) -> int:
    """Three-way compare of a record value against a query literal, QBO style."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        ba, bb = _as_bool(actual), _as_bool(expected)
        if ba is not None and bb is not None:
            return _cmp(ba, bb)
    na, nb = _as_number(actual), _as_number(expected)
    if na is not None and nb is not None:
        return _cmp(na, nb)
    ta, tb = _as_temporal(actual), _as_temporal(expected)
    if ta is not None and tb is not None:
        return _cmp(*_align(ta, tb))
    return _cmp(_as_text(actual).casefold(), _as_text(expected).casefold())


def _like(actual: object, pattern: str) -> bool:
    # Only % is a wildcard in QBO; everything else (including _) is literal.
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, _as_text(actual), re.IGNORECASE | re.DOTALL) is not None


def _holds(record: Mapping, cond: Condition) -> bool:
    actual = _field_value(record, cond.field)
    if actual is _MISSING:
        return cond.op == "!="
    op, value = cond.op, cond.value
    if op == "IN":
        values = value if isinstance(value, (tuple, list)) else (value,)
        return any(_compare(actual, v) == 0 for v in values)
    if op == "LIKE":
        return _like(actual, str(value))
    c = _compare(actual, value)
    return {"=": c == 0, "!=": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]


def matches(record: dict, conditions: Sequence[Condition]) -> bool:
    """True when the record satisfies every condition (WHERE is a pure AND list)."""
    return all(_holds(record, c) for c in conditions)


def _sort_key(value: object) -> tuple:
    # Rank keeps mixed types comparable; a missing value sorts as the smallest (first ASC,
    # last DESC) - QBO's null ordering is undocumented.
    if value is _MISSING:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    number = _as_number(value)
    if number is not None:
        return (2, number)
    temporal = _as_temporal(value)
    if temporal is not None:
        if not isinstance(temporal, datetime):
            temporal = datetime.combine(temporal, time(0))
        if temporal.tzinfo is None:
            temporal = temporal.replace(tzinfo=UTC)
        return (3, temporal)
    return (4, _as_text(value).casefold())


def sort_records(records: list[dict], order_by: Sequence[tuple[str, bool]]) -> list[dict]:
    """Return a new list ordered by ``order_by`` ((field, descending) pairs), stable on ties."""
    result = list(records)
    # Successive stable sorts from the last key to the first give a multi-key, mixed-direction sort.
    for field, descending in reversed(tuple(order_by)):
        result.sort(key=lambda r, f=field: _sort_key(_field_value(r, f)), reverse=descending)
    return result
