"""JSON request bodies parsed with limits: hostile input is a ``ValueError`` (the vendor's 400), never a 500 or
a stall.

- UTF-8 only (RFC 8259 §8.1); a body that is not is refused;
- nesting at most :data:`MAX_DEPTH` deep (Python's parser would raise RecursionError near 1,000);
- numbers at most :data:`MAX_NUMBER_CHARS` characters, finite as a double (``1e100000`` would become ``inf``,
  and ``Decimal("1E+999999")`` turned into an integer would build a million digits);
- no ``NaN`` / ``Infinity`` (not JSON).

Installed as the Flask apps' JSON provider (``request.get_json``) and used for raw bodies (:func:`loads`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[^\[\]{}]+")


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"number too long: {text[:20]}…")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"number too long: {text[:20]}…")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def depth(text: str) -> int:
    """How deep ``text``'s arrays and objects nest (brackets inside strings do not count)."""
    deepest = level = 0
    for ch in _BRACKETS.sub("", _STRINGS.sub("", text)):
        level += 1 if ch in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(raw: bytes | str) -> Any:
    """``raw`` parsed as JSON within the limits above; ``ValueError`` (with a reason) otherwise."""
    text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw  # UnicodeDecodeError: a ValueError
    # nesting never exceeds the count of opening brackets: scan only a body that has more than the limit
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(text) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError as exc:  # defence in depth: depth() should have caught it
        raise ValueError("JSON nested too deep") from exc


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with :func:`loads` for request bodies (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)
