"""QBO query statements with every value quoted: a name holding an apostrophe never breaks a query.

QBO's query language escapes an apostrophe inside a quoted value with a backslash (``'Jane O\\'Neil'``).
"""

from __future__ import annotations

from collections.abc import Iterable

ANY_ACTIVE = "Active IN (true, false)"  # name-list reads include inactive records (QBO hides them otherwise)


def quote(value: object) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def equals(field: str, value: object) -> str:
    return f"{field} = {quote(value)}"


def one_of(field: str, values: Iterable[object]) -> str:
    return f"{field} IN ({', '.join(quote(v) for v in values)})"


def select(entity: str, *conditions: str, order_by: str | None = None) -> str:
    """``SELECT * FROM entity [WHERE a AND b] [ORDERBY field]``; conditions come from the helpers above."""
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = f" ORDERBY {order_by}" if order_by else ""
    return f"SELECT * FROM {entity}{where}{order}"
