"""Running a scenario file: once, or once per drawn set of values for a parametrised one (``vary``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.scenario import checks, steps
from harness.scenario.interface import SyncFailed, SyncUnderTest
from harness.scenario.model import Refused, Scenario, Step, load
from harness.scenario.world import World

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


@dataclass
class Result:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


Observe = Callable[[World, Step | None], None]  # a report's eye: the world once given, then after each step


def run(path: str | Path, make_sync: Callable[..., SyncUnderTest] | None = None,
        examples: int | None = None, observe: Observe | None = None) -> Result:
    """Load and run one scenario file; a wrong expectation is a failure, a wrong file a ScenarioError.

    A parametrised file (``vary``) runs once per drawn set of values (``examples``, default the file's own,
    else 10); hypothesis shrinks a failure to the smallest values that still fail. ``observe(world, step)`` is
    called once the given records are made (step None) and after each step: how the dashboard's report sees them.
    """
    scenario = load(path)
    if not scenario.vary:
        return _run_once(scenario, make_sync, observe)
    return _run_varied(scenario, make_sync, examples or scenario.examples, observe)


def _strategy(spec: dict) -> SearchStrategy[Any]:
    from hypothesis import strategies as st

    (kind, arg), = spec.items()
    if kind == "integers":
        return st.integers(min_value=int(arg[0]), max_value=int(arg[1]))
    if kind == "sampled_from":
        return st.sampled_from(list(arg))
    return st.booleans()


def _run_varied(scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None, examples: int,
                observe: Observe | None = None) -> Result:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    started = time.perf_counter()
    result = Result(scenario)
    failed: list[tuple[dict, list[str]]] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({name: _strategy(spec) for name, spec in scenario.vary.items()}))
    def each(values: dict) -> None:
        once = _run_once(load(scenario.path, values), make_sync, observe)
        result.steps += once.steps
        if not once.passed:
            failed.append((values, once.failures))
            raise AssertionError(once.failures)

    try:
        each()
    except AssertionError:
        values, failures = failed[-1]  # the last failure hypothesis ran is the shrunk one
        result.failures = [f"with {', '.join(f'{k}={v!r}' for k, v in values.items())}: {f}" for f in failures]
    result.seconds = time.perf_counter() - started
    return result


def _run_once(scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None,
              observe: Observe | None = None) -> Result:
    started = time.perf_counter()
    result = Result(scenario)
    with World(scenario, make_sync) as world:
        try:
            world.build_given()
        except Refused as err:  # a given record the system refused: nothing to run the steps on
            result.failures = [str(err)]
            result.seconds = time.perf_counter() - started
            return result
        if observe is not None:
            observe(world, None)
        for index, step in enumerate(scenario.steps):
            try:
                steps.do(world, step)
            except SyncFailed as err:  # a bare "- sync" step has no line of its own: name its place in `when`
                where = f"line {step.line}" if step.line else f"when[{index}]"
                result.failures = [f"{where}: step {step.kind}: {err}"]
                if observe is not None:
                    observe(world, step)
                break
            except Refused as err:  # QBO or HubSpot refused the step: the scenario fails with the system's answer
                result.failures = [str(err)]
                if observe is not None:
                    observe(world, step)
                break
            result.steps += 1
            if observe is not None:
                observe(world, step)
        else:
            result.failures = checks.check(world, scenario.then)
    result.seconds = time.perf_counter() - started
    return result
