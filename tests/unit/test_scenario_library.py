"""The scenario library: every rule of the project's rule book (docs/integration-rules.md) has a scenario
file, except the ones listed as pending below (not built yet, or checked where a scenario cannot express
them); every rule names its generations; every scenario states its generation, and names only rules of
that generation; scenario files fail with file:line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.scenario import ScenarioError, discover, load, run

ROOT = Path(__file__).resolve().parents[2]
RULE_BOOK = ROOT / "docs" / "integration-rules.md"  # the project's own copy: nothing outside the repo
GENERATIONS = ("current", "2023", "legacy")  # the order a rule's "Generations:" line lists them in
# Rules whose behaviour is not built yet, or is checked where a scenario cannot express it. This list
# may only shrink: a pending rule that gains a scenario fails the test until it is removed from here.
PENDING: set[str] = set()  # every rule has a scenario now (B5, H2, H3 were the last)


def rule_book() -> str:
    if not RULE_BOOK.exists():
        pytest.fail(f"the project's rule book is missing: {RULE_BOOK}")
    return RULE_BOOK.read_text(encoding="utf-8")


def rule_ids() -> set[str]:
    return set(re.findall(r"^- \*\*([A-I]\d+)\*\*", rule_book(), re.M))


def rule_generations() -> dict[str, list[str]]:
    """Each rule's generations: the "  Generations: a, b" line right under its title line."""
    found = re.findall(r"^- \*\*([A-I]\d+)\*\*.*\n  Generations: (.*)$", rule_book(), re.M)
    return {rule: [name.strip() for name in names.split(",")] for rule, names in found}


def covered() -> set[str]:
    return {rule for path in discover(ROOT / "scenarios") for rule in load(path).rules}


def library() -> list[Path]:
    """The library's files."""
    paths = discover(ROOT / "scenarios")
    assert len(paths) > 40  # the library was found
    return paths


def test_every_rule_has_a_scenario_or_is_pending() -> None:
    rules = rule_ids()
    assert len(rules) > 40  # the rule book parsed
    missing = sorted(rules - covered() - PENDING)
    assert missing == [], f"rules with no scenario file: {', '.join(missing)}"


def test_the_pending_list_only_shrinks() -> None:
    done = sorted(PENDING & covered())
    assert done == [], f"these rules have scenarios now: remove them from PENDING: {', '.join(done)}"
    assert PENDING <= rule_ids()


def test_every_rule_names_its_generations() -> None:
    tagged = rule_generations()
    assert sorted(rule_ids() - tagged.keys()) == [], "rules with no Generations: line under their title"
    wrong = {rule: names for rule, names in tagged.items()
             if not names or not set(names) <= set(GENERATIONS) or names != sorted(set(names), key=GENERATIONS.index)}
    assert wrong == {}, f"Generations: must list some of {', '.join(GENERATIONS)}, in that order"


def test_scenarios_name_only_real_rules() -> None:
    unknown = sorted(covered() - rule_ids())
    assert unknown == [], f"scenario files name rules the rule book does not have: {', '.join(unknown)}"


def test_every_scenario_states_its_generation() -> None:
    """``generation:`` is required (load() refuses a file without it); each says one of the three."""
    stated = {path.name: load(path).generation for path in library()}
    assert {name: g for name, g in stated.items() if g not in GENERATIONS} == {}
    assert all(re.search(r"^generation: ", path.read_text(encoding="utf-8"), re.M) for path in library())


def misplaced_rules(paths: list[Path]) -> list[str]:
    """Each rule a scenario names that does not hold in the scenario's generation, naming both."""
    tagged = rule_generations()
    return [f"{path.name} (generation {scenario.generation}) names {rule}, a rule of "
            f"{', '.join(tagged[rule])} only"
            for path in paths for scenario in [load(path)] for rule in scenario.rules
            if rule in tagged and scenario.generation not in tagged[rule]]


def test_every_rule_a_scenario_names_holds_in_its_generation() -> None:
    """A scenario runs the sync as one generation, so each rule it names must hold there (the rule book's
    "Generations:" line): what one generation does must not be checked in another."""
    wrong = misplaced_rules(library())
    assert wrong == [], "scenarios naming rules of another generation:\n" + "\n".join(wrong)


def test_a_scenario_naming_a_rule_of_another_generation_is_caught_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("version: 1\nname: x\nrules: [A1, F10, F8]\ngeneration: current\nthen: {status: []}\n")
    assert misplaced_rules([path]) == ["card.yaml (generation current) names F10, a rule of legacy only",
                                       "card.yaml (generation current) names F8, a rule of 2023, legacy only"]
    path.write_text("version: 1\nname: x\nrules: [A1, F10, F8]\ngeneration: legacy\nthen: {status: []}\n")
    assert misplaced_rules([path]) == []


@pytest.mark.parametrize(("text", "where", "message"), [
    ("version: 2\nname: x\nrules: [D2]\ngeneration: current\nthen: {a: 1}\n", 1, "version must be 1"),
    ("version: 1\nname: x\nrules: [D2]\ngeneration: current\nwhen:\n  - teleport: {}\nthen: {a: 1}\n", 6,
     "unknown step 'teleport'"),
    ("version: 1\nname: x\n  rules: [D2\n", 3, "not valid YAML"),
    ("version: 1\nname: x\nrules: D2\ngeneration: current\nthen: {a: 1}\n", 1, "rules must be a list"),
    ("version: 1\nname: x\nrules: [D2]\ngeneration: current\ngivne: {}\nthen: {a: 1}\n", 1,
     "unknown key(s) givne"),
    ("version: 1\nname: x\nrules: [D2]\nthen: {a: 1}\n", 1, "'generation' is required: one of current, 2023, legacy"),
    ("version: 1\nname: x\nrules: [D2]\ngeneration:\nthen: {a: 1}\n", 1, "'generation' is required"),
    ("version: 1\nname: x\nrules: [D2]\ngeneration: 2019\nthen: {a: 1}\n", 4,
     "generation must be one of current, 2023, legacy, not 2019"),
    ("version: 1\nname: x\nrules: [D2]\ndescription: y\ngeneration: [current]\nthen: {a: 1}\n", 5,
     "generation must be one of current, 2023, legacy, not ['current']"),
])
def test_mistakes_in_a_file_name_the_file_and_line(tmp_path: Path, text: str, where: int, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert err.value.line == where and message in err.value.message
    assert str(err.value).startswith(f"{path}:{where}: ")


def test_a_step_naming_an_unknown_ref_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ref.yaml"
    path.write_text("version: 1\nname: x\nrules: [D3]\ngeneration: current\nwhen:\n  - sync\n"
                    "  - hubspot.update: {ref: nobody}\nthen: {counts: {contacts: {synced: 0}}}\n")
    with pytest.raises(ScenarioError) as err:
        run(path)
    assert err.value.line == 7 and "unknown ref 'nobody'" in err.value.message


def test_2023_is_a_generation_written_as_a_number_or_as_text(tmp_path: Path) -> None:
    for text in ("2023", '"2023"'):
        path = tmp_path / "g.yaml"
        path.write_text(f"version: 1\nname: x\nrules: [A1]\ngeneration: {text}\nthen: {{status: []}}\n")
        assert load(path).generation == "2023"


GENERATION_SETTINGS = """version: 1
name: x
rules: [D4]
generation: GENERATION
given:
  settings:
    MODE
    pairs:
      contacts: CONTACTS
then:
  counts: {contacts: {synced: 0}}
"""


def _generation_file(tmp_path: Path, generation: str, contacts: str, mode: str = "") -> Path:
    path = tmp_path / "gen.yaml"
    path.write_text(GENERATION_SETTINGS.replace("GENERATION", generation).replace("CONTACTS", contacts)
                    .replace("MODE", mode or "setup_date: '2026-03-01'"))
    return path


def test_the_generation_is_the_engines_mode(tmp_path: Path) -> None:
    """The sync runs as the file's generation: legacy settings pass under legacy, and the other generations'
    settings are refused with the engine's reason, as the file's mistake at the settings' line."""
    assert run(_generation_file(tmp_path, "legacy", "{on_delete: deactivate}")).passed
    with pytest.raises(ScenarioError) as err:
        run(_generation_file(tmp_path, "legacy", "{direction: two-way}"))
    assert err.value.line == 7  # the settings mapping
    assert "pairs.contacts.direction: the legacy integration has no such setting (only current)" in err.value.message
    with pytest.raises(ScenarioError) as err:
        run(_generation_file(tmp_path, "2023", "{on_delete: deactivate}"))
    assert "pairs.contacts.on_delete: the 2023 integration has no such setting (only legacy)" in err.value.message


def test_a_settings_mode_that_disagrees_with_the_generation_is_a_file_error(tmp_path: Path) -> None:
    assert run(_generation_file(tmp_path, "legacy", "{}", mode="mode: legacy")).passed  # agreeing is harmless
    with pytest.raises(ScenarioError) as err:
        run(_generation_file(tmp_path, "current", "{}", mode="mode: legacy"))
    assert err.value.line == 7  # the settings mapping
    assert err.value.message.startswith("given.settings.mode: 'legacy' disagrees with the file's generation "
                                        "'current'")


def test_a_wrong_expectation_is_a_failure_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text("version: 1\nname: x\nrules: [D3]\ngeneration: current\ngiven:\n  settings:\n    pairs:\n"
                    "      contacts: {recommended_filters: false}\n  records:\n    hubspot:\n"
                    "      - {ref: a, type: contacts, properties: {email: a@example.com}}\n"
                    "when: [sync]\nthen:\n  quickbooks:\n    Customer: {count: 5}\n")
    result = run(path)
    assert not result.passed and result.failures == ["line 15: quickbooks Customer: expected 5, found 1"]


VARIED = """version: 1
name: any number of contacts of one company
rules: [D2]
generation: current
vary:
  n: {integers: [1, 6]}
examples: 4
given:
  settings:
    pairs:
      contacts: {recommended_filters: false}
  records:
    hubspot:
      - {ref: acme, type: companies, properties: {name: Acme Ltd}}
      - {repeat: n, ref: "c{i}", type: contacts, primary_company: acme, properties: {email: "c{i}@acme.example"}}
when: [sync]
then:
  counts:
    contacts: {synced: 1, failed: "EXPECTED"}
"""


def test_a_parametrised_scenario_runs_for_drawn_values(tmp_path: Path) -> None:
    path = tmp_path / "varied.yaml"
    path.write_text(VARIED.replace("EXPECTED", "{n - 1}"))
    result = run(path)
    assert result.passed and result.steps >= 4  # several draws, one sync step each


def test_a_parametrised_failure_shrinks_to_the_smallest_values(tmp_path: Path) -> None:
    path = tmp_path / "varied.yaml"
    path.write_text(VARIED.replace("EXPECTED", "{n}"))  # wrong for every n
    result = run(path)
    assert result.failures == ["with n=1: line 19: contacts failed: expected 1, found 0"]


def test_a_bad_expression_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "varied.yaml"
    path.write_text(VARIED.replace("EXPECTED", "{__import__('os')}"))
    with pytest.raises(ScenarioError) as err:
        run(path)
    assert err.value.line == 19 and "only names of vary" in err.value.message
