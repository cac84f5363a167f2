"""The scenario format's invoice and payment additions: refs in QBO bodies, actions, refusals, money
compared as decimals, mid-story expectations — and mistakes reported as file:line, never a stack trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import EngineSync, ScenarioError, _same, run
from harness.scenario.model import load

HEAD = """version: 1
name: x
rules: [F10]
generation: legacy
given:
  start: "2026-03-02T09:00:00Z"
  quickbooks: QBO
  settings:
    pairs:
      products: {enabled: false}
  records:
    hubspot:
      - {ref: ada, type: contacts, properties: {email: ada@example.com, firstname: Ada}}
      - {ref: deal, type: deals, associations: [ada], properties: {dealname: D, dealstage: closedwon}}
    quickbooks:
      - {ref: customer, entity: Customer, body: {DisplayName: Ada, PrimaryEmailAddr: {Address: ada@example.com}}}
      - {ref: widget, entity: Item, body: {Name: Widget, Sku: W-1, UnitPrice: 12.50}}
"""


def scenario(tmp_path: Path, text: str, quickbooks: str = "{}") -> Path:
    """HEAD (17 lines) then ``text``: the first step is on line 19."""
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.replace("QBO", quickbooks) + text)
    return path


@pytest.mark.parametrize(("found", "expected", "same"), [
    ("37.5", "37.50", True), (37.5, "37.50", True), ("37.50", 37.5, True), ("0", 0, True), ("1001", "1001", True),
    ("37.51", "37.50", False), ("0123", "123", False), (None, None, True), ("", None, True), ("x", None, False),
    ("true", True, True), ("INV-1", "INV-1", True), (None, 0, False),
])
def test_money_compares_exactly_as_decimals(found: object, expected: object, same: bool) -> None:
    assert _same(found, expected) is same


def test_an_action_runs_with_refs_and_names_what_it_made(tmp_path: Path) -> None:
    path = scenario(tmp_path, """when:
  - action: {name: create_invoice_from_deal, args: {deal_id: deal, lines: [{item: widget, quantity: 3}]},
             ref: books, hubspot_ref: mirror, returns: {status: synced}}
then:
  quickbooks:
    Invoice: {count: 1, contains: [{ref: books, TotalAmt: "37.50", lines: 1, Line.0.SalesItemLineDetail.Qty: 3}]}
  hubspot:
    invoices: {contains: [{ref: mirror, hs_amount_billed: 37.5, associated: {deals: [deal], contacts: [ada]}}]}
""")
    assert run(path).failures == []


def test_a_refusal_that_does_not_come_is_a_failure_with_its_line(tmp_path: Path) -> None:
    path = scenario(tmp_path, """when:
  - action: {name: create_invoice_from_deal, args: {deal_id: deal, lines: [{item: widget}]},
             refused: quote_expired}
then:
  quickbooks: {Invoice: {count: 1}}
""")
    [failure] = run(path).failures
    assert failure.startswith("line 19: action create_invoice_from_deal: expected it refused with quote_expired")


def test_an_unexpected_refusal_is_a_failure_naming_reason_and_rule(tmp_path: Path) -> None:
    path = scenario(tmp_path, """when:
  - action: {name: create_invoice_from_deal, args: {deal_id: deal, lines: []}, ref: books}
then:
  quickbooks: {Invoice: {contains: [{ref: books}]}}
""")
    failures = run(path).failures
    assert failures[0].startswith("line 19: action create_invoice_from_deal was refused: no_lines (rule F10)")
    assert failures[1] == "line 21: unknown ref 'books' (known: ada, customer, deal, widget) (after the failure above)"


class _NoActions(EngineSync):
    action = None  # type: ignore[assignment]


@pytest.mark.parametrize(("step", "message"), [
    ("- action: {name: teleport}", "unknown action 'teleport'"),
    ("- action: {name: add_invoice_to, args: {deal: deal}}", "add_invoice_to: "),
    ("- action: {name: add_invoice_to, args: {}, refuse: x}", "action: unknown key(s) refuse"),
    ("- quickbooks.create: {entity: Invoice, customer: nobody}", "unknown ref 'nobody'"),
    ("- quickbooks.create: {entity: Invoice, customer: ada, lines: [{item: widget, quantity: 2}]}",
     "lines: unknown key(s) quantity"),
    ("- hubspot.associate: {from: deal, to: widget}", "must both be HubSpot records"),
    ("- advance: {to: '2020-01-01T00:00:00Z'}", "cannot go back"),
    ("- advance: {weeks: 2}", "advance: unknown key(s) weeks"),
    ("- quickbooks.preferences: {closing: '2026-01-31'}", "quickbooks.preferences: unknown key(s) closing"),
    ("- expect: {hubspotz: {}}", "expect: unknown key(s) hubspotz; expected quickbooks, hubspot, status"),
])
def test_mistakes_in_new_steps_are_reported_with_their_line(tmp_path: Path, step: str, message: str) -> None:
    path = scenario(tmp_path, f"when:\n  {step}\nthen:\n  counts: {{contacts: {{synced: 0}}}}\n")
    with pytest.raises(ScenarioError) as err:
        run(path)
    assert err.value.line == 19 and message in err.value.message, err.value


def test_a_sync_without_actions_says_so(tmp_path: Path) -> None:
    path = scenario(tmp_path, "when:\n  - action: {name: add_invoice_to}\nthen:\n  counts: {contacts: {synced: 0}}\n")
    with pytest.raises(ScenarioError) as err:
        run(path, make_sync=_NoActions)
    assert err.value.line == 19 and err.value.message == "this sync has no actions (no action(name, **args) method)"


def test_quickbooks_refusals_are_expected_by_code_and_a_write_accepted_is_a_failure(tmp_path: Path) -> None:
    path = scenario(tmp_path, """when:
  - quickbooks.create: {ref: a, entity: Customer, body: {DisplayName: Acme}}
  - quickbooks.create: {entity: Invoice, customer: a, body: {DocNumber: A-1}, lines: [{item: widget, qty: 1, price: 1}]}
  - quickbooks.create: {entity: Invoice, customer: a, body: {DocNumber: A-1}, lines: [{item: widget, qty: 1, price: 1}],
                        refused: "6140"}
  - quickbooks.create: {entity: Invoice, customer: a, body: {DocNumber: A-2}, lines: [{item: widget, qty: 1, price: 1}],
                        refused: "6140"}
then:
  quickbooks: {Invoice: {count: 2, contains: [{DocNumber: A-2, TotalAmt: 1}]}}
""", quickbooks="{customTxnNumbers: true}")
    [failure] = run(path).failures
    assert failure.startswith("line 23: quickbooks.create: expected QuickBooks to refuse it")


def test_expect_checks_mid_story_and_names_both_lines(tmp_path: Path) -> None:
    path = scenario(tmp_path, """when:
  - expect:
      quickbooks: {Item: {count: 9}}
then:
  quickbooks: {Item: {count: 3}}
""")
    assert run(path).failures == ["line 20: quickbooks Item: expected 9, found 3 (expect at line 19)"]


@pytest.mark.parametrize(("step", "message"), [
    ("- meanwhile: {do: [{quickbooks.update: {of: ada, nope: 1}}]}",
     "meanwhile: quickbooks.update: unknown key(s) nope"),
    ("- meanwhile: {do: [sync]}", "meanwhile: do cannot hold 'sync'"),
    ("- meanwhile: {do: []}", "meanwhile: do must be a list of steps"),
])
def test_meanwhile_checks_its_users_steps_when_the_file_loads(tmp_path: Path, step: str, message: str) -> None:
    """I5's step: a mistake in the steps it runs inside the sync's request is the file's, found before any run."""
    path = scenario(tmp_path, f"when:\n  {step}\nthen:\n  counts: {{contacts: {{synced: 0}}}}\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert err.value.line == 19 and message in err.value.message, err.value
