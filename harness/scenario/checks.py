"""Expectations (``then``, and ``expect`` mid-story): records on either side, the sync's statuses and counts,
the last pass's writes and calls, and convergence. A wrong expectation is a failure naming its line; a
malformed one is the file's mistake (:class:`ScenarioError`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from harness.scenario import pairs
from harness.scenario.model import VIEW_FILTERS, Map, ScenarioError, lineno, unknown_keys

if TYPE_CHECKING:
    from harness.scenario.world import World
    from sync.clients.quickbooks import QuickBooksClient

SET_KEYS = ("count", "contains", "absent")
SPEC_KEYS = {"ref", "of", "associated"}  # keys of a contains/absent entry that are not fields
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def check(world: World, then: dict) -> list[str]:
    """Every failure of the story: the steps' wrong outcomes, then ``then``'s."""
    try:
        return list(world.step_failures) + expectations(world, then, world.scenario.line_of.get("then"))
    except ScenarioError as err:
        if not world.step_failures:
            raise
        # a ref the file expects was not made because a step went wrong: that step is the news
        return [*world.step_failures, f"line {err.line}: {err.message} (after the failure above)"]


def expectations(world: World, then: dict, line: int | None) -> list[str]:
    """The failures of one set of expectations (its keys were checked when the file was loaded)."""
    for side in ("quickbooks", "hubspot"):
        for kind, expect in (then.get(side) or {}).items():
            if not isinstance(expect, dict):
                raise world.fail(lineno(then.get(side), line), f"{side} {kind}: expected count, contains or absent")
            for key in ("contains", "absent"):
                if not all(isinstance(spec, dict) for spec in expect.get(key) or []):
                    raise world.fail(lineno(expect, line), f"{side} {kind} {key}: each entry is a mapping of "
                                     "fields to values")
    if not all(isinstance(e, dict) for e in then.get("status") or []):
        raise world.fail(lineno(then, line), "status: each entry is a mapping such as {ref: ada, status: synced}")
    failures: list[str] = []
    for entity, expect in (then.get("quickbooks") or {}).items():
        if entity == "tasks":
            failures += _check_tasks(world, expect)
            continue
        failures += _check_entities(world, world.qbo, "quickbooks", entity, expect)
    for company, expected in (then.get("companies") or {}).items():  # legacy A5: further QBO companies
        if not isinstance(expected, dict):
            raise world.fail(lineno(then, line), f"companies {company}: expected entities, e.g. {{Invoice: "
                             "{count: 1}}")
        qbo = world.quickbooks(company, lineno(then, line))
        for entity, expect in expected.items():
            failures += _check_entities(world, qbo, f"quickbooks of {company}", entity, expect)
    for otype, expect in (then.get("hubspot") or {}).items():
        fields = sorted({k for spec in (expect.get("contains") or []) + (expect.get("absent") or [])
                         for k in spec} - SPEC_KEYS)
        found = list(world.hs.list(otype, fields or ["hs_object_id"]))
        failures += _check_set(world, f"hubspot {otype}", "hubspot", otype, found, expect,
                               lambda r, k: (r.get("properties") or {}).get(k))
    for expect in then.get("status") or []:
        failures += _check_status(world, expect)
    for pair, expected in (then.get("counts") or {}).items():
        counts = world.sync.counts(pair)
        if counts is None:
            failures.append(f"line {lineno(expected)}: counts of {pair}: not supported by this sync "
                            "(it reports no counts)")
            continue
        for status, n in expected.items():
            if counts.get(status, 0) != int(n):
                failures.append(f"line {lineno(expected)}: {pair} {status}: expected {n}, found {counts.get(status)}")
    if "last_pass" in then:
        failures += _check_last_pass(world, then["last_pass"])
    for expect in then.get("records") or []:
        failures += _check_records(world, expect)
    for expect in then.get("history") or []:
        failures += _check_history(world, expect)
    for expect in then.get("export") or []:
        failures += _check_export(world, expect)
    for pair in then.get("converged") or []:
        failures += pairs.converged(world, pair, lineno(then, line))
    return failures


def _check_entities(world: World, qbo: QuickBooksClient, where: str, entity: str, expect: dict) -> list[str]:
    found = list(qbo.query(f"SELECT * FROM {entity} WHERE Active IN (true, false)"
                           if entity in ("Customer", "Item", "Vendor") else f"SELECT * FROM {entity}"))
    return _check_set(world, f"{where} {entity}", "quickbooks", entity, found, expect, path)


def _check_tasks(world: World, expect: dict) -> list[str]:
    """QBO Advanced's task manager (I9): ``quickbooks: {tasks: {count, contains, absent}}``."""
    import requests

    answer = requests.get(f"{world.sims.qbo_url}/_sim/quickbooks/{world.company['realmId']}/tasks",
                          headers=world.sims.admin_headers(), timeout=5)
    if answer.status_code != 200:
        return [f"line {lineno(expect)}: quickbooks tasks: {answer.json().get('error', answer.status_code)}"]
    return _check_set(world, "quickbooks tasks", "quickbooks", "tasks", answer.json().get("tasks") or [], expect,
                      path)


def _check_set(world: World, what: str, side: str, kind: str, found: list[dict], expect: dict,
               value: Callable[[dict, str], object]) -> list[str]:
    out = []
    line = lineno(expect)
    if not isinstance(expect, dict):
        raise world.fail(world.scenario.line_of.get("then"), f"then: {what}: expected count, contains or absent")
    problem = unknown_keys(what, expect, SET_KEYS)
    if problem:
        raise world.fail(line, problem)
    if "count" in expect and len(found) != int(expect["count"]):
        out.append(f"line {line}: {what}: expected {expect['count']}, found {len(found)}")
    for spec in expect.get("contains") or []:
        if not any(_matches(world, r, spec, side, kind, value) for r in _candidates(world, found, spec, side, kind)):
            out.append(f"line {lineno(spec, line)}: {what}: none matches {dict(spec)}"
                       + _closest(world, found, spec, side, kind, value))
    for spec in expect.get("absent") or []:
        if any(_matches(world, r, spec, side, kind, value) for r in _candidates(world, found, spec, side, kind)):
            out.append(f"line {lineno(spec, line)}: {what}: one matches {dict(spec)}, expected none")
    return out


def _candidates(world: World, found: list[dict], spec: dict, side: str, kind: str) -> list[dict]:
    """The records a spec may match: all, or the one its ``ref`` / ``of`` names."""
    if "ref" not in spec and "of" not in spec:
        return found
    args = {"ref": spec["ref"]} if "ref" in spec else {"of": spec["of"], "entity": kind, "type": kind}
    where, _, oid = world.ref(args, lineno(spec))
    if where != side:
        raise world.fail(lineno(spec), f"{spec.get('ref', spec.get('of'))!r} names a {where} record, not one "
                         f"of {side} {kind}")
    return [r for r in found if str(r.get("id", r.get("Id"))) == oid]


def _matches(world: World, record: dict, spec: dict, side: str, kind: str,
             value: Callable[[dict, str], object]) -> bool:
    for key, expected in spec.items():
        if key in ("ref", "of"):
            continue
        if key == "associated" and side == "hubspot":
            if not _associated(world, record, kind, expected, lineno(spec)):
                return False
        elif key == "lines" and side == "quickbooks" and kind != "tasks":
            if len(item_lines(record)) != int(expected):
                return False
        elif not same(value(record, key), world.resolve(expected)):
            return False
    return True


def _closest(world: World, found: list[dict], spec: dict, side: str, kind: str,
             value: Callable[[dict, str], object]) -> str:
    """For a spec naming one record: what that record holds instead (the first field that differs)."""
    if ("ref" not in spec and "of" not in spec) or len(_candidates(world, found, spec, side, kind)) != 1:
        return ""
    record = _candidates(world, found, spec, side, kind)[0]
    for key, expected in spec.items():
        if key == "associated" and side == "hubspot" and isinstance(expected, dict):
            for to_type, want in expected.items():
                if not _associated(world, record, kind, {to_type: want}, lineno(spec)):
                    rid = str(record["id"])
                    have = sorted(_names(world, to_type, str(t["toObjectId"]))
                                  for t in world.hs.associations(kind, to_type, [rid]).get(rid, []))
                    return f" (associated {to_type}: {have})"
            continue
        if key == "lines" and side == "quickbooks" and kind != "tasks":
            if len(item_lines(record)) != int(expected):
                return f" ({len(item_lines(record))} lines)"
            continue
        if key in ("ref", "of"):
            continue
        got = value(record, key)
        if not same(got, world.resolve(expected)):
            return f" ({key} is {got!r})"
    return ""


def _names(world: World, otype: str, oid: str) -> str:
    """A HubSpot id as the ref that made it, where there is one."""
    return next((ref for ref, (side, kind, rid) in world.refs.items() if side == "hubspot" and kind == otype
                 and rid == oid), f"id {oid}")


def _associated(world: World, record: dict, otype: str, expected: object, line: int | None) -> bool:
    """``associated: {companies: [acme], line_items: 2, deals: []}``: the refs exactly, or how many."""
    if not isinstance(expected, dict):
        raise world.fail(line, "associated: expected a mapping of object type to refs or a count, e.g. "
                         "{companies: [acme], line_items: 2}")
    rid = str(record["id"])
    for to_type, want in expected.items():
        have = {str(t["toObjectId"]) for t in world.hs.associations(otype, to_type, [rid]).get(rid, [])}
        if isinstance(want, int) and not isinstance(want, bool):
            if len(have) != want:
                return False
        elif have != {world.ref({"ref": ref}, line)[2] for ref in (want or [])}:
            return False
    return True


def _check_status(world: World, expect: dict) -> list[str]:
    line = lineno(expect)
    side, kind, oid = world.ref(expect, line)
    got = world.status(side, kind, oid)
    name = expect.get("ref", expect.get("of"))
    if got is None:
        if not getattr(world.sync, "reports_status", True):
            return [f"line {line}: {name}: status not supported by this sync (it reports none)"]
        return [f"line {line}: {name}: the sync reports no status for it"]
    out = []
    for key in ("status", "reason", "rule"):
        if key in expect and got.get(key) != expect[key]:
            out.append(f"line {line}: {name} {key}: expected {expect[key]!r}, found {got.get(key)!r}")
    if "message" in expect and str(expect["message"]) not in str(got.get("message") or ""):
        out.append(f"line {line}: {name} message: expected it to say {expect['message']!r}, "
                   f"found {got.get('message')!r}")
    if "linked_to" in expect:
        other_side, _, other_id = world.ref({"ref": expect["linked_to"]}, line)
        if got.get(f"{other_side}_id") != other_id:
            out.append(f"line {line}: {name}: expected linked to {expect['linked_to']} ({other_id}), "
                       f"found {got.get(f'{other_side}_id')!r}")
    return out


def _view_query(world: World, expect: dict) -> dict:
    """The filters of a ``records`` / ``export`` entry, as the sync's methods take them (refs resolved)."""
    return {key: world.resolve(expect.get(key)) for key in VIEW_FILTERS}


def _check_records(world: World, expect: dict) -> list[str]:
    """H2: ``records: [{status: failed, columns: [label, reason], page: 1, per_page: 1, expect: {total, rows}}]``."""
    line = lineno(expect)
    view = getattr(world.sync, "records", None)
    if view is None:
        return [f"line {line}: records: not supported by this sync (it has no record view)"]
    try:
        page = view(**_view_query(world, expect), page=int(expect.get("page", 1)),
                    per_page=int(expect.get("per_page", 50)))
    except ValueError as err:
        raise world.fail(line, f"records: {err}") from err
    return _check_view(world, "records", expect, int(page["total"]), list(page["columns"]), list(page["rows"]))


def _check_export(world: World, expect: dict) -> list[str]:
    """H3: ``export: [{format: csv, status: failed, columns: [label, reason], expect: {total, columns, rows}}]``:
    the sync writes the filtered records to a file, read back here (CSV with csv, XLSX with openpyxl)."""
    import tempfile

    line = lineno(expect)
    export = getattr(world.sync, "export", None)
    if export is None:
        return [f"line {line}: export: not supported by this sync (it exports nothing)"]
    fmt = str(expect["format"])
    with tempfile.TemporaryDirectory(prefix="hsqbo-export-") as folder:
        file = Path(folder) / f"records.{fmt}"
        try:
            export(str(file), fmt, **_view_query(world, expect))
        except ValueError as err:
            raise world.fail(line, f"export: {err}") from err
        if not file.is_file():
            return [f"line {line}: export ({fmt}): the sync wrote no file"]
        try:
            header, rows = _read_export(file, fmt)
        except Exception as err:  # a file that is not what it says: the sync's failure
            return [f"line {line}: export ({fmt}): the file cannot be read as {fmt}: {type(err).__name__}: {err}"]
    return _check_view(world, f"export ({fmt})", expect, len(rows), header, rows)


def _read_export(file: Path, fmt: str) -> tuple[list[str], list[dict]]:
    """An exported file's header and rows (a mapping of column to value each)."""
    if fmt == "csv":
        import csv

        with file.open(newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
    else:
        from openpyxl import load_workbook

        book = load_workbook(file, read_only=True)
        try:
            table = [list(r) for r in book.active.iter_rows(values_only=True)]
        finally:
            book.close()
    header = [str(c) for c in table[0]] if table else []
    return header, [dict(zip(header, r, strict=False)) for r in table[1:]]


def _check_view(world: World, what: str, expect: dict, total: int, columns: list[str], rows: list[dict]) -> list[str]:
    """``expect``: ``total`` (records in all), ``columns`` (in order), ``rows`` (exactly these, in order, each by
    the columns it names; values compare as :func:`same`)."""
    want = expect["expect"]
    line = lineno(want, lineno(expect))
    out = []
    if "total" in want and int(want["total"]) != total:
        out.append(f"line {line}: {what}: expected {want['total']} record(s) in all, found {total}")
    if "columns" in want and [str(c) for c in want["columns"]] != columns:
        out.append(f"line {line}: {what}: expected columns {list(want['columns'])}, found {columns}")
    if "rows" not in want:
        return out
    specs = list(want["rows"] or [])
    named = list(dict.fromkeys(k for spec in specs for k in spec)) or columns
    if len(specs) != len(rows):
        shown = [{k: r.get(k) for k in named} for r in rows[:5]]
        return [*out, f"line {line}: {what}: expected {len(specs)} row(s), found {len(rows)}: {shown}"]
    for n, (spec, got) in enumerate(zip(specs, rows, strict=True), 1):
        for key, value in spec.items():
            if key not in got:
                out.append(f"line {lineno(spec, line)}: {what} row {n}: no column {key!r} (columns: {columns})")
            elif not same(got[key], world.resolve(value)):
                out.append(f"line {lineno(spec, line)}: {what} row {n}: {key} expected {value!r}, "
                           f"found {got[key]!r}")
    return out


def _check_history(world: World, expect: dict) -> list[str]:
    """H2: ``history: [{ref: ben, contains: [{action: failed, rule: D2}], absent: [...], count: 1}]``: the entries
    of one record's history (``at`` compares as an instant; ``detail.x``: a dotted path)."""
    from harness.scenario.world import with_kind

    line = lineno(expect)
    history = getattr(world.sync, "history", None)
    if history is None:
        return [f"line {line}: history: not supported by this sync (it keeps no history of records)"]
    side, kind, oid = world.ref(expect, line)
    name = expect.get("ref", expect.get("of"))
    entries = with_kind(history, side, oid, kind)
    if entries is None:
        return [f"line {line}: history of {name}: the sync has no record of it"]
    found = [{**e, "at": _instant(e.get("at"))} for e in entries]
    wanted = Map({key: [_at_instant(spec) for spec in expect[key]] if key in ("contains", "absent") else expect[key]
                  for key in SET_KEYS if key in expect})
    wanted.line = line
    failures = _check_set(world, f"history of {name}", "history", "history", found, wanted, path)
    if failures:
        had = "; ".join(" ".join(str(e.get(k)) for k in ("action", "side", "reason", "rule") if e.get(k))
                        for e in found) or "nothing"
        failures = [f"{f} (its history: {had})" for f in failures]
    return failures


def _at_instant(spec: dict) -> dict:
    if "at" not in spec:
        return spec
    out = Map({**spec, "at": _instant(spec["at"])})
    out.line = lineno(spec)
    return out


def _instant(value: object) -> object:
    """A time as UTC ISO 8601 (``…Z``), so ``2026-03-02T09:00:00Z`` equals ``2026-03-02T10:00:00+01:00``."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_last_pass(world: World, expect: dict) -> list[str]:
    from harness.users import api_calls, api_writes

    writes, calls = api_writes(world.sims, world.pass_mark), api_calls(world.sims, world.pass_mark)
    out = []
    line = lineno(expect)
    if "writes" in expect and len(writes) != expect["writes"]:
        out.append(f"line {line}: the last sync step made {len(writes)} writes, expected {expect['writes']}")
    if "calls_at_most" in expect and len(calls) > expect["calls_at_most"]:
        out.append(f"line {line}: the last sync step made {len(calls)} calls, expected at most "
                   f"{expect['calls_at_most']}")
    return out


def path(entity: object, dotted: str) -> object:
    """A dotted path; numbers index lists (``Line.0.Amount``)."""
    node = entity
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def item_lines(entity: dict) -> list[dict]:
    """A sales form's lines, its subtotal line left out."""
    return [line for line in entity.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]


def same(found: object, expected: object) -> bool:
    """Blank is None; booleans as text; numbers, and text holding an amount, compare exactly as decimals
    ("37.5" == "37.50" == 37.5); anything else as text."""
    if expected is None:
        return found in (None, "")
    if isinstance(expected, bool) or isinstance(found, bool):
        return str(found).lower() == str(expected).lower()
    numeric = isinstance(expected, (int, float)) or (isinstance(expected, str) and _NUMBER.fullmatch(expected.strip()))
    if numeric and found is not None and _NUMBER.fullmatch(str(found).strip()):
        return Decimal(str(found).strip()) == Decimal(str(expected).strip())
    if isinstance(expected, (int, float)):
        return False
    return str(found) == str(expected)
