"""The step registry: every step kind is registered once, with its keys, and a misspelt key in any step is
reported when the file is loaded, in one wording — ``file:line: <step>: unknown key(s) x; expected a, b``."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import STEP_KINDS, STEPS, ScenarioError, load

HEAD = "version: 1\nname: x\nrules: [D2]\ngeneration: current\nwhen:\n"
THEN = "then: {counts: {contacts: {synced: 0}}}\n"


def write(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + steps + THEN)
    return path


def test_the_step_list_is_the_registry() -> None:
    assert STEP_KINDS == tuple(STEPS)
    assert {"sync", "advance", "hubspot.update", "quickbooks.void", "action", "expect", "crash"} <= set(STEPS)


@pytest.mark.parametrize("kind", [k for k, s in STEPS.items() if not s.open_keys])
def test_a_misspelt_key_in_any_step_is_reported_in_one_wording(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, f"  - sync\n  - {kind}: {{propreties: 1}}\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    expected = ", ".join(STEPS[kind].keys) or "none"
    assert str(err.value) == f"{path}:7: {kind}: unknown key(s) propreties; expected {expected}"


def test_the_message_names_every_unknown_key_and_every_key_the_step_takes(tmp_path: Path) -> None:
    path = write(tmp_path, "  - hubspot.update: {ref: ada, propreties: {firstname: X}, typ: contacts}\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert err.value.line == 6
    assert err.value.message == "hubspot.update: unknown key(s) propreties, typ; expected ref, of, type, properties"


@pytest.mark.parametrize(("step", "message"), [
    ("quickbooks.void: {entity: Invoice}", "quickbooks.void: missing ref or of"),
    ("hubspot.associate: {from: deal}", "hubspot.associate: missing to"),
    ("hubspot.archive: ada", "hubspot.archive: expected a mapping of ref, of, type, not 'ada'"),
    ("webhooks: now", "webhooks: takes nothing, not 'now'"),
    ("quickbooks.create: {entity: Invoice, refused: '6140', refuse: x}",
     "quickbooks.create: unknown key(s) refuse; expected ref, entity, number, body, customer, lines, applied, total, "
     "refused"),
])
def test_missing_keys_and_bare_values_are_reported_when_loading(tmp_path: Path, step: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load(write(tmp_path, f"  - {step}\n"))
    assert err.value.line == 6 and err.value.message == message


def test_a_bare_value_stands_for_the_step_s_own_key(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, "  - advance: 600\n  - crash: hubspot\n  - action: add_invoice_to\n  - sync:\n"))
    assert [(s.kind, s.args) for s in scenario.steps] == [
        ("advance", {"seconds": 600}), ("crash", {"after": "hubspot"}), ("action", {"name": "add_invoice_to"}),
        ("sync", {})]


def test_then_takes_the_same_wording(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "  - sync\nthen:\n  statuses: []\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert err.value.line == 8
    assert err.value.message == ("then: unknown key(s) statuses; expected quickbooks, hubspot, status, counts, "
                                 "last_pass, converged, companies, records, history, export")
