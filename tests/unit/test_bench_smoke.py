"""The benchmark's measurement functions run at a tiny size and give positive numbers. No timing is asserted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``bench`` is a top-level package of the repository, not an installed one
    sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench import sync as sync_bench  # noqa: E402
from bench.__main__ import Figure, sync_figures, table  # noqa: E402
from bench.data import Dataset  # noqa: E402


def positive(result: dict, keys: set[str]) -> None:
    assert keys <= set(result), f"missing {keys - set(result)}"
    for key in keys:
        assert isinstance(result[key], float | int) and result[key] > 0, (key, result[key])


def test_dataset_clones_are_valid_records():
    ds = Dataset()
    ds.add_customers(49)
    ds.add_invoices(9)
    assert (ds.customers, ds.invoices) == (50, 10)
    from simulators.quickbooks.company import Company
    from simulators.quickbooks.entities import TYPES

    co = Company(ds.runtime, ds.realm)
    assert co.query("SELECT COUNT(*) FROM Customer")["totalCount"] == 50
    assert co.read(TYPES["Invoice"], 10)["DocNumber"] == "1010"
    # the realm's sequences moved past the clones: the next create gets fresh ids and numbers
    created = co.create(TYPES["Invoice"], {"CustomerRef": {"value": "50"}, "Line": [
        {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    assert (created["Id"], created["DocNumber"]) == ("11", "1011")


def test_throughput_ours_and_moto():
    with_moto = measure.moto_command() is not None
    r = measure.measure_throughput(count=20, threads=2, timeout=10, customers=50, with_moto=with_moto)
    keys = {"ours_get_rps", "ours_post_rps", "hubspot_get_rps", "hubspot_post_rps"}
    if with_moto:
        keys |= {"moto_get_rps", "moto_post_rps", "get_ratio", "post_ratio", "hubspot_get_ratio", "hubspot_post_ratio"}
    positive(r, keys)
    assert r["ours_get_ok"] == r["ours_post_ok"] == r["hubspot_get_ok"] == r["hubspot_post_ok"] == 20
    assert r["ours_get_errors"] == r["ours_post_errors"] == r["hubspot_get_errors"] == r["hubspot_post_errors"] == 0


def test_inprocess_vs_loopback():
    positive(measure.measure_inprocess(count=20, customers=50), {"inprocess_ms", "loopback_ms", "ratio"})


def test_ready_time():
    r = measure.measure_ready(reps=1, inprocess_reps=1)
    positive(r, {"cli_ready_s", "python_start_s", "import_s", "inprocess_start_s"})


def test_snapshot_and_query():
    ds = Dataset()
    positive(measure.measure_snapshot(records=50, reps=3, dataset=ds),
             {"snapshot_ms", "restore_ms", "total_ms", "records"})
    positive(measure.measure_query(records=50, reps=2, dataset=ds),
             {"business_first_ms", "business_last_ms", "http_first_ms"})


def test_memory_in_subprocess():
    r = measure.measure_memory(customers=50, invoices=50)
    positive(r, {"baseline_mb", "after_mb", "build_s"})
    assert r["customers"] == r["invoices"] == 50


def test_sync_initial_echo_and_quiet_passes():
    r = sync_bench.measure_sync(60, 20, transport="inprocess", quiet=True)
    positive(r, {"calls", "calls_quickbooks", "calls_hubspot", "lower_bound", "ratio", "echo_calls", "quiet_calls",
                 "quiet_per_pair", "pass_s"})
    assert r["complete"] and not r["problems"]
    assert r["synced"] + r["failed"] == 60 and r["failed"] == r["failed_d2"]  # D2: two contacts a company
    assert r["customers_in_qbo"] == r["synced"] and r["products_in_hubspot"] == r["products_synced"] == 20
    assert r["journal_calls"] == r["calls"]  # the engine's own count agrees with the simulators' journal


def test_sync_figures_at_a_tiny_size():
    figures = sync_figures(big=(60, 20), small=(30, 10), quiet=((30, 10), (60, 20)), http=(30, 10))
    missing = [f.metric for f in figures if not isinstance(f.value, float | int)]
    assert not missing, missing
    by_metric = {f.metric: f.value for f in figures}
    calls = next(v for m, v in by_metric.items() if m.startswith("initial sync: API calls"))
    ratio = by_metric["initial sync calls / lower bound"]
    peaks = [v for m, v in by_metric.items() if m.startswith("engine's peak")]
    assert calls > 0 and ratio > 0 and len(peaks) == 2 and all(p > 0 for p in peaks)
    assert all(v > 0 for m, v in by_metric.items() if "per pair" in m)
    assert table(figures, "t").row_count == len(figures)


@pytest.mark.parametrize("value", [1.0, None])
def test_table_renders(value):
    figures = [Figure("1 x", "a ratio", value, "×", "≥ 2×", lambda v: v >= 2), Figure("2 y", "info", 3.0, "ms")]
    assert table(figures, "t").row_count == 2


def test_growth_table_and_results_file(tmp_path, monkeypatch):
    from bench.__main__ import growth_figures, write_results

    rows = sync_bench.measure_growth(((40, 10), (80, 20)), repeats=2)
    for r in rows:
        positive(r, {"calls", "pass_s", "cpu_ms_per_record", "peak_rss_mib", "ratio"})
        assert r["synced"] + r["failed"] == r["contacts"]
        assert r["runs"] == 2  # small sizes: the run of least CPU time of several
    monkeypatch.setattr(sync_bench, "REPEATS", 1)
    figures = growth_figures(((40, 10), (80, 20)))
    assert [f.unit for f in figures] == ["ms", "ms", "×", "MiB"] and all(f.value for f in figures)
    write_results(figures, tmp_path / "results.json")
    import json

    written = json.loads((tmp_path / "results.json").read_text())["figures"]
    assert [w["metric"] for w in written] == [f.metric for f in figures]
    assert written[2]["target"] == "≤ 1.2×" and written[2]["ok"] in (True, False)


def _calls(path: str, n: int, status: int = 200) -> list[dict]:
    return [{"path": path, "status": status} for _ in range(n)]


def test_quota_bound_is_set_by_the_tightest_window_and_ignores_refused_calls():
    qbo = _calls("/v3/company/1/batch", 80) + _calls("/v3/company/1/query", 5) + _calls("/v3/company/1/batch", 5, 429)
    bound, why = sync_bench.quota_bound(qbo, _calls("/crm/v3/objects/contacts/search", 11))
    # 80 batches at 40 a minute: the 41st waits a minute after the 1st (the refused five were not counted)
    assert bound == 60 and why == "80 calls, 40 per 60 s (QBO batch-app-minute)"
    bound, why = sync_bench.quota_bound(_calls("/v3/company/1/query", 3), _calls("/crm/v3/objects/contacts/search", 11))
    assert bound == 2 and "HubSpot search per second" in why  # 11 searches at 5 a second
    assert sync_bench.quota_bound([], [])[0] == 0


def test_command_sync_runs_hsqbo_sync_on_the_simulators_clock():
    r = sync_bench.measure_command_sync(400, 20)  # 14 batches and a few reads: past QBO's 10 calls a second
    positive(r, {"wall_s", "virtual_s", "bound_s", "calls", "customers_in_qbo"})
    assert r["virtual_s"] >= r["bound_s"]  # the sync waited on the simulators' clock, and no sync beats its quotas


def test_state_machine_rate_is_per_cpu_second_with_the_wall_clock_and_the_yardstick_beside_it(monkeypatch):
    import statistics

    from bench.scenarios import measure_machine
    from bench.yardstick import UNIT_MS_WHEN_SET, Yardstick

    m = measure_machine(examples=3, steps=3, chunk=1)
    positive(m, {"examples", "seconds", "cpu_seconds", "per_second", "per_wall_second", "unit_ms", "units_per_history",
                 "per_second_when_set"})
    assert m["per_second"] == m["examples"] / m["cpu_seconds"] and m["per_wall_second"] == m["examples"] / m["seconds"]
    assert m["chunks"] == m["examples"] == len(m["chunk_ms"])  # a chunk of one history each, a burst between
    # on a machine running at half the speed the target was set at, a history counts twice over
    monkeypatch.setattr(Yardstick, "ms", lambda self: 2 * UNIT_MS_WHEN_SET)
    m = measure_machine(examples=3, steps=3, chunk=1)
    assert m["per_second_when_set"] == pytest.approx(2 * 1000 / statistics.fmean(m["chunk_ms"]))


def test_the_yardstick_is_a_fixed_piece_of_work_timed_in_cpu_milliseconds():
    from bench.yardstick import Yardstick

    stick = Yardstick(burst=50)
    assert [stick.unit(i) for i in (0, 1, 64)] == [stick.unit(0)] * 3  # the same work whatever the call
    assert 0 < stick.ms() < 10


def test_growth_keeps_the_median_run_of_a_small_size():
    runs = [{"cpu_ms_per_record": v} for v in (1.55, 1.10, 1.51)]
    assert sync_bench.median_run(runs)["cpu_ms_per_record"] == 1.51  # not the lucky 1.10
    assert sync_bench.median_run(runs[:2])["cpu_ms_per_record"] == 1.10
