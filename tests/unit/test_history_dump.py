"""The machine saves every history with libyaml's safe dumper (harness/machine.py ``SAFE_DUMPER``): the very text
``yaml.safe_dump`` writes, so ``hsqbo scenario from-failure`` hands over the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness import machine
from harness.machine import save_history

HISTORY = [
    {"hubspot.create": {"ref": "c1", "type": "contacts",
                        "properties": {"email": "a@x.example", "firstname": "Ada", "lastname": "Zoë – \u2028 \"q\""}}},
    {"quickbooks.create": {"ref": "q1", "entity": "Customer", "body": {"DisplayName": "Ada 1", "GivenName": "x" * 300,
                                                                        "Notes": "a: b # c\nline two", "Sku": ""}}},
    {"quickbooks.create": {"ref": "qi1", "entity": "Invoice", "customer": {"of": "c1"},
                           "lines": [{"item": "i1", "qty": 2, "price": "10.50"}], "body": {"DueDate": "2026-03-16"}}},
    {"fault": {"rules": [{"path": "*/batch", "nth": 1, "action": "status", "status": 429}]}}, "sync",
    {"advance": 600}, {"crash": {"after": "hubspot"}}, "sync", "restart",
    {"hubspot.update": {"ref": "c1", "properties": {"firstname": "yes", "lastname": "null", "x": "1.0", "y": "~"}}},
]


@pytest.mark.skipif(machine.SAFE_DUMPER is yaml.SafeDumper, reason="PyYAML without libyaml")
@pytest.mark.parametrize("mode", ["current", "legacy"])
def test_the_saved_text_is_safe_dumps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    fast, slow = tmp_path / "fast.yaml", tmp_path / "slow.yaml"
    save_history(HISTORY, mode, "quickbooks", "to-hubspot", "two-way", path=fast)
    monkeypatch.setattr(machine, "SAFE_DUMPER", yaml.SafeDumper)
    save_history(HISTORY, mode, "quickbooks", "to-hubspot", "two-way", path=slow)
    assert fast.read_text(encoding="utf-8") == slow.read_text(encoding="utf-8")
    assert yaml.safe_load(fast.read_text(encoding="utf-8"))["when"][:len(HISTORY)] == HISTORY
