"""Sync status (H1-H3): counts per pair, a filtered and paged record view, each record's activity, export.

The columns a user may choose are the record fields below; export writes the filtered records as
CSV or XLSX.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from .state import STATUSES, Record, State

COLUMNS = ["id", "pair", "status", "reason", "rule", "label", "match_key", "hubspot_id", "qbo_id", "message",
           "updated_at"]
DEFAULT_COLUMNS = ["pair", "status", "reason", "rule", "label", "match_key", "hubspot_id", "qbo_id"]
FORMATS = ("csv", "xlsx")


def counts(state: State, pairs: list[str]) -> dict[str, dict[str, int]]:
    """H1: synced / failed / excluded (and pending) records of each pair."""
    return {pair: state.counts(pair) for pair in pairs}


def records(state: State, *, pair: str | None = None, status: str | None = None, reason: str | None = None,
            text: str | None = None, columns: list[str] | None = None, page: int = 1,
            per_page: int = 50) -> dict:
    """H2: one page of records with the chosen columns, and how many match in all."""
    columns = _columns(columns)
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    rows = state.records(pair, status, reason, text, offset=(page - 1) * per_page, limit=per_page)
    return {"total": state.count_records(pair, status, reason, text), "page": page, "per_page": per_page,
            "columns": columns, "rows": [row(r, columns) for r in rows]}


def activity(state: State, record_id: int) -> list[dict]:
    """H2: what happened to one record, when and why."""
    return [{**a, "at": _stamp(a["at"]) if a.get("at") else None} for a in state.activity(record_id)]


def row(record: Record, columns: list[str]) -> dict:
    out = {}
    for c in columns:
        value = getattr(record, c)
        out[c] = _stamp(value) if isinstance(value, datetime) else value
    return out


def _stamp(value: datetime) -> str:
    """ISO 8601 with its offset (SQLite hands times back without one; the engine's are UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def export(state: State, path: str | Path, fmt: str | None = None, *, pair: str | None = None,
           status: str | None = None, reason: str | None = None, text: str | None = None,
           columns: list[str] | None = None) -> int:
    """H3: write the filtered records to ``path`` as CSV or XLSX (from the suffix unless ``fmt``); returns rows."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    columns = _columns(columns)
    rows = [row(r, columns) for r in state.records(pair, status, reason, text)]
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        from openpyxl import Workbook  # imported here: only the XLSX export needs it

        book = Workbook()
        sheet = book.active
        sheet.title = "records"
        sheet.append(columns)
        for r in rows:
            sheet.append([r[c] for c in columns])
        book.save(path)
    return len(rows)


def _columns(columns: list[str] | None) -> list[str]:
    chosen = columns or DEFAULT_COLUMNS
    unknown = [c for c in chosen if c not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; choose from {', '.join(COLUMNS)}")
    return chosen
