"""Company.query keeps each statement parsed (simulators/quickbooks/company.py ``_parsed``): the answers still
follow the data, and a statement QBO refuses is refused every time with the same error."""

from __future__ import annotations

import pytest

from simulators.core.runtime import Runtime
from simulators.quickbooks.company import Company, _parsed
from simulators.quickbooks.entities import TYPES
from simulators.quickbooks.query import QueryError
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
    assert _parsed.cache_info().hits >= 2


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
