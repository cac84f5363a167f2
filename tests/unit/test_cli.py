"""The hsqbo command: the demo walkthrough runs against a real threaded server and shows QBO's rules."""

from __future__ import annotations

import subprocess
import sys


def test_demo_walkthrough_shows_duplicate_name_and_stale_token_faults():
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "demo", "--exit", "--quickbooks-port", "0", "--seed", "empty"],
        capture_output=True, text=True, timeout=60, env={"COLUMNS": "200", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "realmId" in text and "/.well-known/openid_sandbox_configuration/" in text
    assert "Fault 6240: Duplicate Name Exists Error" in text  # rule I1
    assert "Fault 5010: Stale Object Error" in text  # rule I5
    assert "Fault 4001: Invalid query" in text
