"""Section 8 of ``make bench``: seconds per scenario file, and histories per second of the state machine."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from .yardstick import UNIT_MS_WHEN_SET, Yardstick

ROOT = Path(__file__).resolve().parents[1]
# which histories the state machine's figure runs: derandomize alone would seed them with a digest of the machine
# class's source, so an edit to this file would measure other histories (the first 100 have held 105 to 134)
HISTORIES_SEED = 17


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


def measure_machine(examples: int = 50, steps: int = 10, chunk: int = 10) -> dict:
    """Histories (examples) of the sync state machine, in-process, generation only, on one core, per CPU second
    of this process (``per_second``) — and the same measured against a yardstick in the same run.

    The machine's speed drifts by half within minutes (bench/yardstick.py). Every ``chunk`` histories a burst of
    yardstick units runs, its CPU time left out of the histories'. Each chunk's CPU time is counted in units of the
    bursts either side of it, so a slow minute slows both alike; ``units_per_history`` is their sum over every
    history of a full chunk (the chunks differ: some hold histories three times longer than others), and
    ``per_second_when_set`` turns it back into histories per second on the machine the target was set on."""
    from hypothesis import HealthCheck, Phase, seed, settings
    from hypothesis.stateful import run_state_machine_as_test

    from harness.machine import SyncMachine

    yardstick = Yardstick()
    bursts = [yardstick.ms()]
    chunks: list[float] = []  # CPU seconds of each full chunk of histories
    counted = {"n": 0, "bursts_cpu": 0.0, "chunk_started": time.process_time()}

    @seed(HISTORIES_SEED)
    class Counted(SyncMachine):
        def teardown(self) -> None:
            super().teardown()
            counted["n"] += 1
            if counted["n"] % chunk == 0:
                now = time.process_time()
                chunks.append(now - counted["chunk_started"])
                bursts.append(yardstick.ms())
                counted["chunk_started"] = time.process_time()
                counted["bursts_cpu"] += counted["chunk_started"] - now

    started, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(Counted, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=True, database=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    seconds = time.perf_counter() - started - counted["bursts_cpu"]
    cpu_seconds = time.process_time() - cpu - counted["bursts_cpu"]
    chunk_ms = [spent * 1000 / chunk for spent in chunks]  # CPU ms a history, chunk by chunk
    costs = [ms / ((before + after) / 2) for ms, before, after in zip(chunk_ms, bursts, bursts[1:], strict=False)]
    units = statistics.fmean(costs) if costs else cpu_seconds * 1000 / max(counted["n"], 1) / bursts[0]
    return {"examples": counted["n"], "seconds": seconds, "cpu_seconds": cpu_seconds,
            "per_second": counted["n"] / cpu_seconds, "per_wall_second": counted["n"] / seconds, "steps": steps,
            "unit_ms": statistics.median(bursts), "units_per_history": units,
            "per_second_when_set": 1000 / (units * UNIT_MS_WHEN_SET), "chunks": len(costs), "chunk_ms": chunk_ms}
