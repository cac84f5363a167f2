"""Section 8 of ``make bench``: seconds per scenario file, and histories per second of the state machine."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure_scenarios(reps: int = 1) -> dict:
    """Median and worst wall time of running each file of the library (imports warmed by one run first)."""
    from harness.scenario import discover, run

    files = discover(ROOT / "scenarios")
    run(files[0])  # warm the imports and the first Flask apps
    times, failed = [], 0
    for _ in range(reps):
        for path in files:
            result = run(path)
            times.append(result.seconds)
            failed += not result.passed
    return {"files": len(files), "median_s": statistics.median(times), "max_s": max(times), "failed": failed}


def measure_machine(examples: int = 50, steps: int = 10) -> dict:
    """Histories (examples) per second of the sync state machine, in-process, generation only, on one core: per
    CPU second of this process (``per_second``), as the target is for one core; the machine is shared, so the wall
    clock also counts the time other work held the core (``per_wall_second``, beside it)."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from harness.machine import SyncMachine

    counted = {"n": 0}

    class Counted(SyncMachine):
        def teardown(self) -> None:
            counted["n"] += 1
            super().teardown()

    started, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(Counted, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=True, database=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {"examples": counted["n"], "seconds": seconds, "cpu_seconds": cpu_seconds,
            "per_second": counted["n"] / cpu_seconds, "per_wall_second": counted["n"] / seconds, "steps": steps}
