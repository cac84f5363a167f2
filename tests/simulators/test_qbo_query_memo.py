"""Company.query keeps each statement parsed by its shape (simulators/quickbooks/company.py ``_parsed``): the
answers still follow the data, any statement parses to exactly what parsing it afresh gives (literals put back),
and a statement QBO refuses is refused every time with its own error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.core.runtime import Runtime
from simulators.quickbooks.company import Company, _parsed, _parsed_text
from simulators.quickbooks.entities import TYPES
from simulators.quickbooks.query import QUERYABLE_FIELDS, QueryError, parse, validate
from simulators.quickbooks.tenant import create_company


def test_a_kept_statement_answers_from_the_data_of_now() -> None:
    rt = Runtime()
    co = Company(rt, create_company(rt, {}))
    statement = "SELECT * FROM Customer WHERE GivenName = 'Ada' STARTPOSITION 1 MAXRESULTS 1000"
    assert co.query(statement) == {}
    co.create(TYPES["Customer"], {"DisplayName": "Ada 1", "GivenName": "Ada"})
    assert [c["DisplayName"] for c in co.query(statement)["Customer"]] == ["Ada 1"]
    co.create(TYPES["Customer"], {"DisplayName": "Ada 2", "GivenName": "Ada"})
    assert [c["DisplayName"] for c in co.query(statement)["Customer"]] == ["Ada 1", "Ada 2"]
    assert _parsed_text.cache_info().hits >= 2


@pytest.mark.parametrize("statement", ["SELECT * FROM Nothing", "SELECT Nope FROM Customer", "SELECT * FROM",
                                       "SELECT * FROM Customer WHERE Balance LIKE"])
def test_a_refused_statement_is_refused_each_time_alike(statement: str) -> None:
    rt = Runtime()
    co = Company(rt, create_company(rt, {}))
    errors = []
    for _ in range(2):
        with pytest.raises(QueryError) as caught:
            co.query(statement)
        errors.append((caught.value.code, caught.value.message, caught.value.detail))
    assert errors[0] == errors[1]


def _direct(statement: str) -> object:
    try:
        return validate(parse(statement, TYPES), QUERYABLE_FIELDS, {n: set(t.fields) for n, t in TYPES.items()})
    except QueryError as err:
        return ("refused", err.code, err.message, err.detail)


def _kept(statement: str) -> object:
    try:
        return _parsed(statement)
    except QueryError as err:
        return ("refused", err.code, err.message, err.detail)


SHAPES = [
    "SELECT * FROM Customer WHERE Active IN (true, false) AND MetaData.LastUpdatedTime >= {0} ORDERBY "
    "MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000",
    "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= {0} AND DocNumber IN ({1}, {0}, '7') ORDERBY Id",
    "select * from customer where DisplayName LIKE {0} and GivenName = {1}",
    "SELECT COUNT(*) FROM Item WHERE Name = {0}",
    "SELECT Id, {0} FROM Customer",
    "SELECT * FROM Customer WHERE DisplayName = {0} AND Nope = {1}",
    "SELECT * FROM Customer WHERE Balance > {0}",
    "SELECT * FROM Customer WHERE DisplayName = {0} {1}",
    "SELECT * FROM {0}",
    "SELECT * FROM Customer WHERE Id IN ({0}, {1}) MAXRESULTS {0}",
]
LITERALS = ["'2026-03-02T08:58:01+00:00'", "'Ada'", "''", "'%a_b%'", "'O\\'Neil'", "'two\nlines'", "'\x00 0'",
            "'\x001'", "'Zoë'", "12", "'a''b'", "'unterminated", "'-'", "true"]


@pytest.mark.parametrize("shape", SHAPES)
def test_statements_kept_by_their_shape_parse_as_themselves(shape: str) -> None:
    for first in LITERALS:
        for second in LITERALS:
            statement = shape.format(first, second)
            assert _kept(statement) == _direct(statement), statement


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab '\\\n\x00%_é0,()=<>"), max_size=6), min_size=1, max_size=3),
       st.sampled_from(SHAPES))
def test_any_literals_parse_as_themselves(texts: list[str], shape: str) -> None:
    literals = [f"'{t}'" for t in texts] + ["'x'"]
    statement = shape.format(*literals[:2]) if len(literals) > 1 else shape.format(literals[0], literals[0])
    assert _kept(statement) == _direct(statement), statement
