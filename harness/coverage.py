"""What the simulators cover, read from their declarations: the README's coverage table is this module's output.

``python -m harness.coverage`` prints the table; ``python -m harness.coverage --write`` rewrites it in README.md
between the ``<!-- coverage:start -->`` and ``<!-- coverage:end -->`` markers (tests/unit/test_coverage_table.py
checks the README matches). Every row comes from the code: QBO's ``EntityType`` declarations and reports, HubSpot's
object types, and the lists of what each simulator answers with an explicit "not simulated" refusal.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulators.hubspot import catalog, pipelines
from simulators.quickbooks import reports
from simulators.quickbooks.entities import NOT_SIMULATED as QBO_NOT_SIMULATED
from simulators.quickbooks.entities import TYPES, EntityType

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"
YES, NO = "✓", "—"
QBO_COLUMNS = ("Entity", "Create", "Read", "Update", "Delete", "Void", "Query", "Batch", "CDC", "Webhooks")
HUBSPOT_COLUMNS = ("Object", "List / get", "Create / update / archive", "Batch", "Search", "Merge", "Associations",
                   "Properties", "Webhooks")
# What is written other than through the entity's own endpoint.
QBO_NOTES = {"Attachable": "create also by `/upload` (multipart)", "TaxCode": "created by `/taxservice/taxcode`",
             "TaxRate": "created by `/taxservice/taxcode`", "ExchangeRate": "read by `GET /exchangerate`",
             "Preferences": "read by `GET /preferences`", "CompanyInfo": "read by `GET /companyinfo/<realmId>`",
             "RecurringTransaction": "wraps one transaction, `{\"Invoice\": {…, \"RecurringInfo\"}}`"}


def _mark(flag: bool, text: str = YES) -> str:
    return text if flag else NO


def qbo_row(etype: EntityType) -> list[str]:
    writable = etype.category not in ("readonly", "setting")
    settings_update = etype.name == "Preferences"
    void = {"operation": "`operation=void`", "include": "`include=void`"}.get(etype.void or "", NO)
    delete = YES if etype.can_delete else ("inactivate" if etype.category == "name" and etype.updatable else NO)
    name = etype.name if etype.json_key == etype.name else f"{etype.name} (`{etype.json_key}`)"
    if etype.name in QBO_NOTES:
        name += f" — {QBO_NOTES[etype.name]}"
    return [name, _mark(writable), YES, _mark(writable and etype.updatable or settings_update, "full, sparse"),
            delete, void, YES, _mark(writable and etype.category != "template"), _mark(etype.category != "setting"
                                                                         or settings_update),
            _mark(writable or settings_update)]


def _table(columns: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def render() -> str:
    qbo = _table(QBO_COLUMNS, [qbo_row(t) for t in sorted(TYPES.values(), key=lambda t: t.name)])
    objects = sorted(catalog.OBJECT_TYPES.values(), key=lambda t: t.name)
    hubspot = _table(HUBSPOT_COLUMNS, [[f"{t.name} (`{t.type_id}`)", YES, YES, YES, YES, _mark(t.mergeable), YES,
                                        YES, YES] for t in objects])
    piped = ", ".join(sorted(pipelines.DEFAULTS))
    lines = [
        "QuickBooks Online (`/v3/company/<realmId>/…`):", "", *qbo, "",
        "QBO reports (`GET /reports/<Name>`, `start_date`/`end_date`/`date_macro`/`accounting_method`): "
        + ", ".join(sorted(reports.REPORTS)) + ".", "",
        "HubSpot (`/crm/v3/objects/<type>`, associations v3/v4, `/crm/v3/properties/<type>`):", "", *hubspot, "",
        f"HubSpot pipelines (`/crm/v3/pipelines/<type>` and their stages: list, get, create, update, replace, "
        f"archive) for {piped}; owners (`/crm/v3/owners`: list, get by id or userId).", "",
        "Answered with an explicit \"not simulated\" refusal — QBO: "
        + ", ".join(sorted(QBO_NOT_SIMULATED)) + ", other reports, PDFs; HubSpot objects: "
        + ", ".join(sorted(n for n in catalog.NOT_SIMULATED if not n[0].isdigit())) + ".",
    ]
    return "\n".join(lines) + "\n"


def in_readme(text: str) -> str:
    """The table as the README holds it (between the markers)."""
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip("\n") + "\n"


def write(path: Path = README) -> None:
    text = path.read_text()
    start, end = text.index(START) + len(START), text.index(END)
    path.write_text(text[:start] + "\n" + render() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        sys.stdout.write(render())
