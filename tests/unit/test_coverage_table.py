"""The README's coverage table is the one the code declares (harness/coverage.py renders it)."""

from __future__ import annotations

from harness import coverage
from simulators.quickbooks.entities import TYPES


def test_the_readme_table_is_generated_from_the_code() -> None:
    assert coverage.in_readme(coverage.README.read_text()) == coverage.render(), \
        "README.md's coverage table is stale: run `python -m harness.coverage --write`"


def test_every_qbo_entity_has_a_row_that_follows_its_declaration() -> None:
    rows = {row[0].split(" ")[0]: row for row in (coverage.qbo_row(t) for t in TYPES.values())}
    assert set(rows) == set(TYPES)
    assert rows["Bill"][4] == "✓" and rows["Bill"][5] == "—"  # deleted, never voided
    assert rows["BillPayment"][5] == "`include=void`" and rows["Invoice"][5] == "`operation=void`"
    assert rows["Customer"][4] == "inactivate" and rows["TaxAgency"][3] == "—"
    assert rows["TaxCode"][1] == "—" and rows["TaxCode"][7] == "—"  # read-only: no create, no batch writes
