"""The oracle catches real bugs: plant one in the engine and the state machine must fail, and shrink
the history to a few steps — a liveness bug at quiescence (no merge base), a safety bug during the run
(a match that takes a record already linked), and two money bugs caught by the money invariants after a
pass (a payment amount rounded through a float, a QBO line's quantity dropped to 1).

Each search runs a narrower machine (``narrower``): the rules its bug is about, the pairs they need (a pass over a
pair with nothing to do still costs its reads) and, for the money bugs, the invariants on invoices and payments
and a history that begins with a linked customer — so it spends its histories, and its shrinking, where the bug
is. The contacts and products searches run under the current generation, the one B2, D3 and E1 belong to."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, run_state_machine_as_test

from harness.cli import main
from harness.machine import LAST_HISTORY, START_DRAWS, SyncMachine
from harness.scenario import load, run
from sync import engine as engine_module
from sync import planner as planner_module
from sync.merge import Merge
from sync.pairs import documents as documents_module
from sync.pairs import invoices as invoices_module
from sync.pairs import payments as payments_module

RULES = tuple(r.function.__name__ for r in SyncMachine().rules)
INVARIANTS = tuple(i.function.__name__ for i in SyncMachine().invariants)
# what the contacts and products bugs are about: their records, the sync, time, faults and crashes
NAME_LISTS = ("create_contact", "edit_contact", "create_customer", "edit_customer", "create_product", "edit_product",
              "create_item", "edit_item", "sync_pass", "advance", "fault_then_sync", "crash_and_restart")
# what the money bugs are about: a QBO invoice's lines; payments on either side; passes. Their histories begin
# with a linked customer (SyncMachine.start), and the checks are those on invoices, payments and the engine's links
INVOICING = ("sync_pass", "create_qbo_invoice", "edit_qbo_invoice")
PAYING = ("sync_pass", "create_qbo_invoice", "pay_qbo_invoice", "record_hubspot_payment")
MONEY_CHECKS = ("linked_invoices_agree_to_the_cent", "hubspot_shows_paid_what_quickbooks_applied",
                "one_record_stands_for_one_record", "the_sync_deletes_no_invoice_or_payment",
                "links_are_a_partial_bijection_that_never_changes",
                "every_record_has_a_status_and_every_failure_a_reason")


def narrower(machine: type[SyncMachine], rules: tuple[str, ...], pairs: tuple[str, ...],
             checks: tuple[str, ...] = INVARIANTS, **start: object) -> type[SyncMachine]:
    """``machine`` drawing only ``rules``, syncing only ``pairs``, checking only the invariants ``checks`` and
    starting with ``start``'s values where given (hypothesis finds a machine's rules and invariants by a marker on
    its class's attributes: a plain attribute of the same name hides one, a new initializer replaces ``start``)."""
    hidden = [name for name in RULES + INVARIANTS if name not in rules + checks]
    attributes: dict[str, object] = {**dict.fromkeys(hidden, None), "driven": pairs}
    if start:
        def start_as_told(self: SyncMachine, **drawn: object) -> None:
            machine.start(self, **drawn)

        start_as_told.__name__ = "start"  # as hypothesis prints the history
        attributes["start"] = initialize(**{**START_DRAWS, **{k: st.just(v) for k, v in start.items()}})(start_as_told)
    return type(f"{machine.__name__}Narrowed", (machine,), attributes)


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
    return [line for line in history.splitlines() if line.startswith(tuple(f"state.{r}(" for r in RULES))]


# B2, D3, E1 are rules of the current generation; invoices and a linked customer to begin with are not their matter
NAME_LIST_START = {"mode": "current", "invoices": "two-way", "customer": False}
NamesOnly = narrower(SyncMachine, NAME_LISTS, ("contacts", "products"), **NAME_LIST_START)


@functools.cache
def no_merge_base_failure(folder: Path) -> tuple[AssertionError, str]:
    """The machine's search with the no-merge-base bug planted, once for the tests of this module (a search and
    its shrinking cost half a minute): the error, and the history it saved (in ``folder``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner_module, "merge", naive_merge)
        patch.chdir(folder)  # the history is written under .hypothesis/ of the working folder
        try:
            run_state_machine_as_test(NamesOnly, settings=SEARCH)
        except AssertionError as error:
            return error, (folder / LAST_HISTORY).read_text(encoding="utf-8")
    raise AssertionError("the machine did not catch a sync without a merge base")


@pytest.fixture(scope="module")
def search_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("planted")


def test_a_sync_without_a_merge_base_is_caught_and_shrunk(search_folder: Path) -> None:
    error, _ = no_merge_base_failure(search_folder)
    # the values swap forever, or (the merge knowing no direction either) one overwrites a one-way source
    assert any(words in str(error) for words in ("further pass still writes", "diverged", "the sync wrote")), error
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
        run_state_machine_as_test(narrower(OnlyDuringTheRun, NAME_LISTS, ("contacts", "products"), **NAME_LIST_START),
                                  settings=SEARCH)
    # the first link is replaced: the record it held is forgotten (it would come back as new: a duplicate)
    assert "the sync forgot the link of" in str(caught.value) or "moved from record" in str(caught.value)
    history = "\n".join(getattr(caught.value, "__notes__", []))
    steps = steps_of(history)
    # a record, a pass, a second record with its key, a pass: caught right after that pass
    assert 3 <= len(steps) <= 5 and steps[-1].startswith(("state.sync_pass(", "state.fault_then_sync(",
                                                            "state.crash_and_restart(")), history


# -- money ---------------------------------------------------------------------------------------------------

def rounded_through_float(value: object) -> Decimal:
    """A classic money bug: the amount goes through a float and round(), its number of places forgotten (round(x),
    not round(x, 2)): 12.50 becomes 12, 0.29 becomes 0."""
    return Decimal(round(float(documents_module.money(value))))


def quantities_dropped(entity: dict) -> list[dict]:
    """A QBO invoice's lines read with each quantity dropped to 1, the unit price kept."""
    return [{**line, "qty": "1"} for line in documents_module.qbo_lines(entity)]


PASSES = ("state.sync_pass(", "state.fault_then_sync(", "state.crash_and_restart(")


def money_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rules: tuple[str, ...], steps: int,
                  module: object, name: str, bug: object) -> tuple[str, list[str]]:
    """The search of a machine drawing ``rules`` (``steps`` at most) with ``module.name`` replaced by ``bug``, its
    end checks off (what fails was caught after a pass): the error, and the shrunk history's steps."""
    monkeypatch.setattr(module, name, bug)
    monkeypatch.chdir(tmp_path)
    machine = narrower(OnlyDuringTheRun, rules, ("contacts", "invoices"), MONEY_CHECKS, customer=True)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=settings(SEARCH, stateful_step_count=steps))
    return str(caught.value), steps_of("\n".join(getattr(caught.value, "__notes__", [])))


def test_a_payment_amount_rounded_through_a_float_is_caught_and_shrunk(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    error, steps = money_failure(monkeypatch, tmp_path, PAYING, 4, payments_module, "money", rounded_through_float)
    # HubSpot counts the rounded amount paid (or the sync's payment matches none of the users')
    assert "paid" in error or "match no" in error, error
    # an invoice, a payment on it (in QBO, or in HubSpot once the invoice is there), a pass: caught right after it
    assert 3 <= len(steps) <= 4 and steps[-1].startswith(PASSES), steps


def test_a_quantity_dropped_to_one_is_caught_and_shrunk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    error, steps = money_failure(monkeypatch, tmp_path, INVOICING, 3, invoices_module, "qbo_lines",
                                 quantities_dropped)
    assert "quantity × price" in error, error
    # an invoice with a quantity above 1 (or edited to one), a pass: caught right after it
    assert 2 <= len(steps) <= 3 and steps[-1].startswith(PASSES), steps
