"""The clients' JSON (sync/clients/http.py ``dumps``): its json.dumps fast path writes exactly the bytes the
node-by-node writer does, and refuses what it refuses, for any value."""

from __future__ import annotations

import enum
from collections import OrderedDict, namedtuple
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.clients.http import _json_text, dumps


def _slow(value: object) -> bytes | str:
    try:
        return _json_text(value).encode("utf-8")
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return f"{type(exc).__name__}"


def _fast(value: object) -> bytes | str:
    try:
        return dumps(value)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}"


class Color(enum.IntEnum):
    RED = 1


Point = namedtuple("Point", "x y")
KEYS = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.booleans(), st.none(), st.floats(allow_nan=False),
                 st.sampled_from([Color.RED]))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.decimals(),
                   st.sampled_from([Color.RED, Decimal("1.10"), Decimal("-0"), Decimal("1E+3"), float("inf"),
                                    "\u2028\"\\é\x00"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=5), inner, max_size=4),
    st.dictionaries(KEYS, inner, max_size=3),
    st.dictionaries(st.text(max_size=3), inner, max_size=2).map(OrderedDict),
    st.tuples(inner, inner).map(lambda t: Point(*t))), max_leaves=20)


@settings(max_examples=600, deadline=None)
@given(VALUES)
def test_the_fast_path_writes_what_the_node_writer_writes(value: object) -> None:
    assert _fast(value) == _slow(value)


def test_examples() -> None:
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                           "value": "1772438400000"}]}], "properties": ["email"], "limit": 200}
    assert dumps(body) == _json_text(body).encode()
    assert dumps({"amount": Decimal("99999999999999999999.99")}) == b'{"amount": 99999999999999999999.99}'
    assert dumps({True: 1, None: 2}) == b'{"True": 1, "None": 2}'  # keys as str() writes them, not json's way
    assert _fast({"x": float("nan")}) == _slow({"x": float("nan")}) == "ValueError"
    assert _fast({"x": {1, 2}}) == _slow({"x": {1, 2}}) == "TypeError"
