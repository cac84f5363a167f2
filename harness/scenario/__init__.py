"""Scenario files: given two accounts, when this happens, then this is what the sync must do.

A scenario (``scenarios/*.yaml``, format version 1, documented in ``scenarios/README.md``) is loaded
with the line of every mapping kept, so a mistake in a file is reported as ``file:line: what was
expected`` — never a stack trace. It runs against both simulators in-process and drives "a sync"
through :class:`SyncUnderTest`; :class:`EngineSync` puts the reference engine behind it.

The package, one concern a module: ``model`` (the format, the step registry), ``steps`` (every step kind),
``builders`` (records from the given data), ``checks`` (expectations), ``world`` (simulators, tenants, refs),
``pairs`` (all the runner knows of the sync's object pairs), ``interface`` / ``engine`` (the sync under test)
and ``runner``. The names below are what importers use; they import from here.
"""

from harness.scenario import steps  # noqa: F401 - registers every step kind before a file is loaded
from harness.scenario.checks import same
from harness.scenario.engine import EngineSync
from harness.scenario.interface import ACTIONS, ActionUnavailable, SyncFailed, SyncUnderTest
from harness.scenario.model import (
    FORMAT_VERSION,
    STEPS,
    THEN_KEYS,
    VARY_KINDS,
    Scenario,
    ScenarioError,
    Step,
    StepKind,
    discover,
    load,
    step,
)
from harness.scenario.runner import Result, run
from harness.scenario.world import RECEIVER_URL, World

STEP_KINDS = tuple(STEPS)  # the registered step kinds, in the order the README lists them
_same = same  # the name tests/unit/test_scenario_format.py imports

__all__ = ["ACTIONS", "FORMAT_VERSION", "RECEIVER_URL", "STEPS", "STEP_KINDS", "THEN_KEYS", "VARY_KINDS",
           "ActionUnavailable", "EngineSync", "Result", "Scenario", "ScenarioError", "Step", "StepKind",
           "SyncFailed", "SyncUnderTest", "World", "discover", "load", "run", "same", "step"]
