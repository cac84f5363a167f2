"""The oracle catches real bugs: plant one in the engine and the state machine must fail, and shrink
the history to a few steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.cli import main
from harness.machine import SyncMachine
from harness.scenario import load, run
from sync import engine as engine_module
from sync.merge import Merge


def naive_merge(maps: list, direction: str, conflict: str, base: dict | None, hubspot: dict,
                quickbooks: dict) -> Merge:
    """The classic two-way bug: no merge base, so each side's value is sent to the other — they swap forever."""
    out = Merge()
    for m in maps:
        if m.create_only:
            continue
        h, q = hubspot.get(m.id, ""), quickbooks.get(m.id, "")
        if h != q:
            out.to_quickbooks[m.id], out.to_hubspot[m.id] = h, q
        out.base[m.id] = h
    return out


def test_a_sync_without_a_merge_base_is_caught_and_shrunk(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(engine_module, "merge", naive_merge)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(SyncMachine, settings=settings(
            max_examples=300, stateful_step_count=6, derandomize=True, deadline=None, report_multiple_bugs=False,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]))  # "explain" costs minutes here
    assert "further pass still writes" in str(caught.value) or "diverged" in str(caught.value)
    # the falsifying history comes as notes on the exception (printed when not under pytest)
    history = "\n".join(getattr(caught.value, "__notes__", [])) + capsys.readouterr().out
    rules = ("create_contact", "edit_contact", "create_customer", "edit_customer", "sync_pass", "advance",
             "fault_then_sync", "crash_and_restart")
    actions = [line for line in history.splitlines() if line.startswith(tuple(f"state.{r}(" for r in rules))]
    assert 1 <= len(actions) <= 4, history  # shrunk to a minimal history: a record, a pass, an edit


def test_the_failing_history_becomes_a_regression_scenario(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """hsqbo scenario from-failure: the shrunk history is saved as a scenario that fails while the bug is in,
    and passes once it is out."""
    monkeypatch.chdir(tmp_path)  # the history is written under .hypothesis/ of the working folder
    monkeypatch.setattr(engine_module, "merge", naive_merge)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(SyncMachine, settings=settings(
            max_examples=300, stateful_step_count=6, derandomize=True, deadline=None, report_multiple_bugs=False,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]))
    out = tmp_path / "regression.yaml"
    assert main(["scenario", "from-failure", "--out", str(out), "--name", "no merge base"]) == 0
    scenario = load(out)
    assert scenario.name == "no merge base" and any(step.kind == "sync" for step in scenario.steps)
    with_bug = run(out)
    assert not with_bug.passed and "in HubSpot but" in " ".join(with_bug.failures)
    monkeypatch.undo()
    assert run(out).passed
