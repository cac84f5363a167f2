"""``hsqbo scenario run --shard I/N``: the shares of a suite cover every file exactly once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _suite(tmp_path: Path, n: int = 5) -> Path:
    """``n`` copies of one small scenario of the library, under distinct names."""
    source = min((p for p in (ROOT / "scenarios").glob("*.yaml")), key=lambda p: p.stat().st_size)
    for k in range(n):
        shutil.copy(source, tmp_path / f"s{k}-{source.name}")
    return tmp_path


def _ran(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    return [Path(r["file"]).name for r in out["scenarios"]]


def test_the_shards_of_a_suite_cover_each_file_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    suite = _suite(tmp_path)
    every = _ran(capsys, ["scenario", "run", "--json", str(suite)])
    shares = [_ran(capsys, ["scenario", "run", "--json", "--shard", f"{i}/3", str(suite)]) for i in (1, 2, 3)]
    assert sorted(name for share in shares for name in share) == sorted(every) and len(every) == 5
    assert [len(share) for share in shares] == [2, 2, 1]
    # a file named twice (a folder and a file in it) is still run once
    assert _ran(capsys, ["scenario", "run", "--json", "--shard", "1/1", str(suite), str(suite / every[0])]) == \
        sorted(every)


@pytest.mark.parametrize("bad", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_a_shard_out_of_range_is_refused_by_name(bad: str, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    with pytest.raises(SystemExit) as exit_:
        main(["scenario", "run", "--shard", bad, str(_suite(tmp_path, 1))])
    assert exit_.value.code == 2 and bad in capsys.readouterr().err
