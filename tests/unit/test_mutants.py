"""The planted-bug catalogue (harness/mutants/catalogue.yaml) fits the engine as it is now: every entry's
``find`` occurs exactly once in its file, its ``replace`` changes the code and still parses, its rule is in
the rule book. Quick: no oracle is run (``make mutants`` does that)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from harness.mutants import RULE_BOOK, Mutant, load_catalogue, problems

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = load_catalogue()


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [m.id for m in MUTANTS]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids), sorted({i for i in ids if ids.count(i) > 1})
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)


def test_every_rule_is_in_the_rule_book() -> None:
    rules = set(re.findall(r"^- \*\*([A-I]\d+)\*\*", RULE_BOOK.read_text(encoding="utf-8"), re.M))
    assert len(rules) > 40
    unknown = sorted({m.rule for m in MUTANTS} - rules)
    assert unknown == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_the_mutant_fits_the_code(mutant: Mutant) -> None:
    assert mutant.file.startswith("sync/") and (ROOT / mutant.file).is_file(), mutant.file
    source = (ROOT / mutant.file).read_text(encoding="utf-8")
    assert source.count(mutant.find) == 1, f"stale: find occurs {source.count(mutant.find)} times in {mutant.file}"
    assert mutant.replace != mutant.find
    mutated = mutant.apply(source)
    assert mutated != source
    ast.parse(mutated, filename=mutant.file)  # a realistic bug, not a syntax error


def test_problems_names_stale_and_broken_entries(tmp_path: Path) -> None:
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "x.py").write_text("a = 1\nb = 1\n", encoding="utf-8")
    entries = [Mutant("twice", "A1", "sync/x.py", "= 1", "= 2", "w"),
               Mutant("gone", "A1", "sync/x.py", "c = 1", "c = 2", "w"),
               Mutant("broken", "A1", "sync/x.py", "a = 1", "a = (", "w"),
               Mutant("fine", "A1", "sync/x.py", "a = 1", "a = 2", "w")]
    found = problems(entries, tmp_path)
    assert found["twice"] == "find occurs 2 times in sync/x.py"
    assert found["gone"] == "find occurs 0 times in sync/x.py"
    assert "does not parse" in found["broken"]
    assert "fine" not in found
