"""The state machine's settings and saved histories (harness/machine.py): each history runs under one generation
with pair settings that generation accepts (a refused one is a SettingsError, never sent), and a saved history is a
scenario file of that generation naming only rules it has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.engine_settings import for_simulators
from harness.machine import DRIVEN, HISTORY_RULES, KEYED, machine_pairs, save_history
from harness.scenario import load
from sync.generations import ANY_DIRECTION, GENERATIONS, MODES

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = ({"realmId": "1", "clientId": "c", "clientSecret": "s", "refreshToken": "r"}, {"accessToken": "pat"})
CURRENT_ONLY = {"direction", "conflict", "filters", "recommended_filters"}


def rule_generations() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "integration-rules.md").read_text(encoding="utf-8")
    return {rule: {g.strip() for g in generations.split(",")}
            for rule, generations in re.findall(r"^- \*\*([A-I]\d+)\*\*.*\n  Generations: (.*)$", text, re.M)}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("direction", ANY_DIRECTION)
@pytest.mark.parametrize("invoices", ANY_DIRECTION)
def test_every_drawn_setting_is_one_the_generation_accepts(mode: str, direction: str, invoices: str) -> None:
    pairs = machine_pairs(mode, "quickbooks", direction, invoices)
    settings = for_simulators(*CREDENTIALS, mode=mode, pairs=pairs)  # a SettingsError fails the test
    generation = GENERATIONS[mode]
    for name in DRIVEN:
        assert settings.pairs[name].enabled and generation.allows(name, settings.pairs[name].direction)
    if mode == "current":  # B1, B2: the drawn directions and conflict rule
        assert (settings.pairs["contacts"].direction, settings.pairs["invoices"].direction) == (direction, invoices)
        assert {settings.pairs[name].conflict for name in DRIVEN} == {"quickbooks"}
    else:  # A1: fixed directions, and no setting for them
        assert not any(CURRENT_ONLY & set(block) for block in pairs.values())
        assert {name: settings.pairs[name].direction for name in DRIVEN} == \
            {name: generation.directions[name][0] for name in DRIVEN}


def test_a_narrower_machine_switches_the_pairs_it_does_not_drive_off() -> None:
    for mode in MODES:
        pairs = machine_pairs(mode, driven=("contacts", "products"))
        settings = for_simulators(*CREDENTIALS, mode=mode, pairs=pairs)
        assert not settings.pairs["invoices"].enabled and settings.pairs["contacts"].enabled


@pytest.mark.parametrize("mode", MODES)
def test_a_saved_history_is_a_scenario_of_its_generation(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "history.yaml"
    save_history([{"advance": 60}, "sync"], mode, "quickbooks", "to-hubspot", "to-quickbooks", path=path)
    scenario = load(path)
    assert scenario.generation == mode
    has = rule_generations()
    assert scenario.rules == HISTORY_RULES[mode] and all(mode in has[rule] for rule in scenario.rules)
    assert scenario.then["converged"] == list(KEYED) == ["contacts", "products"]
    assert [step.kind for step in scenario.steps][:2] == ["advance", "sync"]
