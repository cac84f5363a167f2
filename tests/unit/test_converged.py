"""``converged`` (harness/scenario/pairs.py) fails a sync that did nothing: a record the pair's direction and the
generation carry across needs a counterpart with its key on the other side, unless the sync reports why it has
none (excluded or failed, with a reason). A sync without a status owes every such record its counterpart."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import EngineSync, run

SCENARIO = """version: 1
name: converged
rules: [A1]
generation: {mode}
given:
  settings:
    pairs: {pairs}
  records:
    hubspot:
      - {{ref: ada, type: contacts, properties: {{email: ada@example.com, firstname: Ada}}}}
      - {{ref: bolt, type: products, properties: {{name: Bolt, hs_sku: B-1, price: "2.50"}}}}
    quickbooks:
      - {{ref: ben, entity: Customer, body: {{DisplayName: Ben, GivenName: Ben,
                                              PrimaryEmailAddr: {{Address: ben@example.com}}}}}}
      - {{ref: nut, entity: Item, body: {{Name: Nut, Sku: N-1, UnitPrice: 1.25}}}}
when:
  - sync
  - advance: 600
  - sync
then:
  converged: [contacts, products]
"""
TWO_WAY = ("{contacts: {direction: two-way, recommended_filters: false}, "
           "products: {direction: two-way, recommended_filters: false}, invoices: {enabled: false}}")


def scenario(tmp_path: Path, mode: str = "current", pairs: str = TWO_WAY) -> Path:
    path = tmp_path / "converged.yaml"
    path.write_text(SCENARIO.format(mode=mode, pairs=pairs), encoding="utf-8")
    return path


class DoesNothing(EngineSync):
    """The reference engine, status and all, whose passes do nothing: it never reads a record."""

    def run_pass(self) -> None:
        pass


class Silent:
    """A sync without a status (a command that writes no status file) whose passes do nothing."""

    def __init__(self, settings: object, clock: object = None) -> None:
        self.settings = settings

    def run_pass(self) -> None:
        pass

    def restart(self, settings: object = None) -> None:
        pass

    def receiver(self) -> None:
        return None

    def counts(self, pair: str) -> None:
        return None


def unpaired(failures: list[str]) -> dict[str, str]:
    """{the record's key: why it is owed a counterpart} of each record ``converged`` found alone."""
    out = {}
    for failure in failures:
        assert "has no counterpart" in failure, failure
        key = failure.split(" (", 1)[1].split(")", 1)[0].split(" ", 1)[1]
        out[key] = failure.rsplit("; ", 1)[1]
    return out


def test_a_sync_that_does_nothing_fails_converged_for_every_record_it_should_have_carried(tmp_path: Path) -> None:
    result = run(scenario(tmp_path), make_sync=DoesNothing)
    assert unpaired(result.failures) == dict.fromkeys(
        ("ada@example.com", "ben@example.com", "B-1", "N-1"), "the sync reports no status for it (it never read it)")


def test_a_sync_without_a_status_owes_every_record_that_should_cross_its_counterpart(tmp_path: Path) -> None:
    result = run(scenario(tmp_path), make_sync=Silent)
    assert unpaired(result.failures) == dict.fromkeys(
        ("ada@example.com", "ben@example.com", "B-1", "N-1"), "the sync keeps no status, so nothing says why")


def test_the_engine_syncing_both_ways_converges(tmp_path: Path) -> None:
    result = run(scenario(tmp_path))
    assert result.passed, result.failures


@pytest.mark.parametrize(("mode", "pairs", "owed"), [
    # B1: contacts one-way into HubSpot, products one-way into QBO: only their sources are owed a counterpart
    ("current", "{contacts: {direction: to-hubspot, recommended_filters: false}, products: {direction: to-quickbooks, "
     "recommended_filters: false}, invoices: {enabled: false}}", {"ben@example.com", "B-1"}),
    # the recommended filters: C1, a contact goes to QBO only with an invoice that is no draft (and every customer
    # comes to HubSpot); C3, products come from QBO only (every item)
    ("current", "{invoices: {enabled: false}}", {"ben@example.com", "N-1"}),
    # A4: a pair switched off carries nothing
    ("current", "{contacts: {enabled: false}, products: {direction: two-way, recommended_filters: false}, "
     "invoices: {enabled: false}}", {"B-1", "N-1"}),
    # A1: 2023 syncs contacts and products both ways, with no setting for it
    ("2023", "{invoices: {enabled: false}}", {"ada@example.com", "ben@example.com", "B-1", "N-1"}),
    # A1, A6: legacy carries QBO records into HubSpot only, and only those changed since the switch went on,
    # which only a sync that read them can tell
    ("legacy", "{invoices: {enabled: false}}", set()),
])
def test_only_what_the_direction_the_filters_and_the_generation_carry_is_owed(tmp_path: Path, mode: str, pairs: str,
                                                                             owed: set[str]) -> None:
    assert set(unpaired(run(scenario(tmp_path, mode, pairs), make_sync=Silent).failures)) == owed


@pytest.mark.parametrize("mode", ["current", "2023", "legacy"])
def test_the_engine_converges_under_every_generation(tmp_path: Path, mode: str) -> None:
    pairs = TWO_WAY if mode == "current" else "{invoices: {enabled: false}}"
    result = run(scenario(tmp_path, mode, pairs))
    assert result.passed, result.failures


def test_a_record_the_sync_reports_failed_with_a_reason_is_owed_nothing(tmp_path: Path) -> None:
    """E1 / edge case 32: "b-1" in QBO is not "B-1" in HubSpot; the engine fails both (sku_case_mismatch)."""
    path = scenario(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("Sku: N-1", "Sku: b-1"), encoding="utf-8")
    result = run(path)
    assert result.passed, result.failures
    silent = run(path, make_sync=Silent)  # a sync that says nothing owes both their counterparts
    assert set(unpaired(silent.failures)) == {"ada@example.com", "ben@example.com", "B-1", "b-1"}
