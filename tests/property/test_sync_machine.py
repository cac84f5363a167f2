"""The sync state machine (harness/machine.py) under the active hypothesis profile."""

from __future__ import annotations

from harness.machine import SyncMachine

TestSyncMachine = SyncMachine.TestCase
