"""The oracle catches real bugs: plant one in the engine and the state machine must fail, and shrink
the history to a few steps — a liveness bug at quiescence (no merge base), a safety bug during the run
(a match that takes a record already linked)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.cli import main
from harness.machine import LAST_HISTORY, SyncMachine
from harness.scenario import load, run
from sync import engine as engine_module
from sync import planner as planner_module
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


SEARCH = settings(max_examples=300, stateful_step_count=6, derandomize=True, deadline=None, database=None,
                  report_multiple_bugs=False,
                  phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])  # "explain" costs minutes here


def steps_of(history: str) -> list[str]:
    """The rule steps of a falsifying history as hypothesis prints it (not the invariant checks between them)."""
    rules = tuple(f"state.{r.function.__name__}(" for r in SyncMachine().rules)
    return [line for line in history.splitlines() if line.startswith(rules)]


@functools.cache
def no_merge_base_failure(folder: Path) -> tuple[AssertionError, str]:
    """The machine's search with the no-merge-base bug planted, once for the tests of this module (a search and
    its shrinking cost half a minute): the error, and the history it saved (in ``folder``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner_module, "merge", naive_merge)
        patch.chdir(folder)  # the history is written under .hypothesis/ of the working folder
        try:
            run_state_machine_as_test(SyncMachine, settings=SEARCH)
        except AssertionError as error:
            return error, (folder / LAST_HISTORY).read_text(encoding="utf-8")
    raise AssertionError("the machine did not catch a sync without a merge base")


@pytest.fixture(scope="module")
def search_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("planted")


def test_a_sync_without_a_merge_base_is_caught_and_shrunk(search_folder: Path) -> None:
    error, _ = no_merge_base_failure(search_folder)
    assert "further pass still writes" in str(error) or "diverged" in str(error)
    # the falsifying history comes as notes on the exception (printed when not under pytest)
    history = "\n".join(getattr(error, "__notes__", []))
    assert 1 <= len(steps_of(history)) <= 4, history  # shrunk to a minimal history: records, a pass, an edit


def test_the_failing_history_becomes_a_regression_scenario(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           search_folder: Path) -> None:
    """hsqbo scenario from-failure: the shrunk history is saved as a scenario that fails while the bug is in,
    and passes once it is out."""
    _, saved = no_merge_base_failure(search_folder)
    monkeypatch.chdir(tmp_path)
    (tmp_path / LAST_HISTORY).parent.mkdir()
    (tmp_path / LAST_HISTORY).write_text(saved, encoding="utf-8")
    out = tmp_path / "regression.yaml"
    assert main(["scenario", "from-failure", "--out", str(out), "--name", "no merge base"]) == 0
    scenario = load(out)
    assert scenario.name == "no merge base" and any(step.kind == "sync" for step in scenario.steps)
    monkeypatch.setattr(planner_module, "merge", naive_merge)
    with_bug = run(out)
    assert not with_bug.passed and "in HubSpot but" in " ".join(with_bug.failures)
    monkeypatch.undo()
    assert run(out).passed


def greedy_match(candidates: list, side: str, other: str) -> object:
    """A classic matching bug: a new record takes the first record with its key (email, SKU) that has a partner on
    the other side — even one already linked on this side, whose link it silently replaces."""
    linked = [c for c in candidates if c.side_id(other) and c.deleted is None]
    return linked[0] if linked else None


class OnlyDuringTheRun(SyncMachine):
    """The machine without its end checks: what fails here was caught by the invariants checked after each step."""

    def _quiesce_and_check(self) -> None:
        pass


def test_a_match_that_takes_a_linked_record_is_caught_during_the_run(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(engine_module.Engine, "_match", staticmethod(greedy_match))
    monkeypatch.chdir(tmp_path)  # where the machine saves the history: not the project's own .hypothesis/
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(OnlyDuringTheRun, settings=SEARCH)
    # the first link is replaced: the record it held is forgotten (it would come back as new: a duplicate)
    assert "the sync forgot the link of" in str(caught.value) or "moved from record" in str(caught.value)
    history = "\n".join(getattr(caught.value, "__notes__", []))
    steps = steps_of(history)
    # a record, a pass, a second record with its key, a pass: caught right after that pass
    assert 3 <= len(steps) <= 5 and steps[-1].startswith(("state.sync_pass(", "state.fault_then_sync(",
                                                            "state.crash_and_restart(")), history
