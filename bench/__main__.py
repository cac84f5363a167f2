"""``python -m bench`` (``make bench``): measure everything once, print each figure beside its target.

Options: ``--quick`` runs every measurement at a small size (a minute or less, figures only indicative).
Benchmarks print; they never fail the build because a target was missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import measure
from .data import Dataset
from .yardstick import UNIT_MS_WHEN_SET

console = Console()
if not console.is_terminal:
    console = Console(width=170)  # piped (make bench | tee): keep the table's rows on one line each


@dataclass
class Figure:
    section: str
    metric: str
    value: float | None
    unit: str
    target: str = "—"
    check: Callable[[float], bool] | None = None
    note: str = ""

    def status(self) -> str:
        if self.value is None:
            return "[yellow]error[/yellow]"
        if self.check is None:
            return "[dim]info[/dim]"
        return "[green]ok[/green]" if self.check(self.value) else "[bold red]not ok[/bold red]"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit in ("calls", "records") and value == int(value):
        return f"{value:,.0f} {unit}"
    if unit in ("ms", "s"):
        return f"{value:.3f} {unit}" if value < 10 else f"{value:,.1f} {unit}"
    return f"{value:,.1f} {unit}"


def _step(title: str) -> float:
    console.print(f"[bold cyan]▶[/bold cyan] {title} …")
    return time.perf_counter()


def _done(started: float) -> None:
    console.print(f"  [dim]done in {time.perf_counter() - started:.1f} s[/dim]")


def run(quick: bool = False) -> list[Figure]:
    sizes = {
        "requests": 300 if quick else 3000,
        "post_requests": 300 if quick else 2000,
        "inproc_requests": 200 if quick else 2000,
        "big": 10_000 if quick else 100_000,
        "memory": 10_000 if quick else 100_000,
    }
    figures: list[Figure] = []
    total = time.perf_counter()

    # 1. throughput over loopback
    t = _step(f"1/8 loopback throughput: ours vs moto_server ({sizes['requests']} GETs, "
              f"{sizes['post_requests']} POSTs, 4 client threads in a separate process)")
    try:
        tp = measure.measure_throughput(count=sizes["requests"], post_count=sizes["post_requests"], threads=4,
                                        timeout=25)
        for op, ours, moto in (("get", "read a customer", "SQS ListQueues, 1 queue"),
                               ("post", "create a customer", "SQS CreateQueue, new name")):
            figures.append(Figure("1 throughput", f"hsqbo threaded server {op.upper()} ({ours})",
                                  tp[f"ours_{op}_rps"], "req/s", note=_errs(tp, f"ours_{op}")))
            figures.append(Figure("1 throughput", f"moto_server {op.upper()} ({moto})",
                                  tp[f"moto_{op}_rps"], "req/s", note=_errs(tp, f"moto_{op}")))
            figures.append(Figure("1 throughput", f"{op.upper()} ratio ours / moto", tp[f"{op}_ratio"], "×",
                                  "≥ 2×", lambda v: v >= 2))
        for op, ours in (("get", "read a contact by email"), ("post", "create a contact")):
            figures.append(Figure("1 throughput", f"HubSpot simulator {op.upper()} ({ours})",
                                  tp[f"hubspot_{op}_rps"], "req/s", note=_errs(tp, f"hubspot_{op}")))
            figures.append(Figure("1 throughput", f"HubSpot {op.upper()} ratio ours / moto",
                                  tp[f"hubspot_{op}_ratio"], "×", "≥ 2×", lambda v: v >= 2))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure("1 throughput", f"throughput failed: {exc}", None, ""))
    _done(t)

    # 2. in-process vs loopback
    t = _step(f"2/8 in-process vs loopback, same GET via requests ({sizes['inproc_requests']} sequential calls each)")
    ip = measure.measure_inprocess(count=sizes["inproc_requests"])
    figures += [
        Figure("2 in-process", "GET customer in-process (requests → WSGI transport → Flask), median per request",
               ip["inprocess_median_ms"], "ms"),
        Figure("2 in-process", "same GET via app.test_client() (no requests), median, calls alternating",
               ip["flask_median_ms"], "ms"),
        Figure("2 in-process", "in-process call / test_client() call", ip["flask_ratio"], "×", "≤ 1.25×",
               lambda v: v <= 1.25),
        Figure("2 in-process", "GET customer over loopback (same process), mean per request", ip["loopback_ms"],
               "ms"),
        Figure("2 in-process", "speed-up in-process / loopback (means)", ip["ratio"], "×",
               note=f"in-process mean {ip['inprocess_ms']:.3f} ms"),
    ]
    _done(t)

    # 3. ready time
    t = _step("3/8 ready time: `hsqbo serve --seed empty` until /_sim/health answers (median of 3)")
    rd = measure.measure_ready(reps=3)
    figures += [
        Figure("3 ready", "hsqbo serve: process start → /_sim/health 200", rd["cli_ready_s"], "s", "≤ 0.5 s",
               lambda v: v <= 0.5),
        Figure("3 ready", "  for comparison: bare interpreter start (python -c pass)", rd["python_start_s"], "s"),
        Figure("3 ready", "  for comparison: interpreter + `import harness.cli` (no server)", rd["import_s"], "s"),
        Figure("3 ready", "Simulators() + server start → /_sim/health 200, in-process (imports warm)",
               rd["inprocess_start_s"], "s"),
    ]
    _done(t)

    # 4. snapshot + restore
    t = _step("4/8 snapshot + restore at 1k records (median of 20)")
    s1 = measure.measure_snapshot(records=1000, reps=20)
    figures += [
        Figure("4 snapshot", "snapshot() at 1k customers", s1["snapshot_ms"], "ms"),
        Figure("4 snapshot", "restore() at 1k customers", s1["restore_ms"], "ms"),
        Figure("4 snapshot", "snapshot + restore at 1k", s1["total_ms"], "ms", "≤ 5 ms", lambda v: v <= 5),
    ]
    _done(t)
    big = sizes["big"]
    t = _step(f"4/8 building a realm of {big:,} customers (put_many of cloned rows)")
    ds = Dataset()
    build_s = ds.add_customers(big - ds.customers)
    figures.append(Figure("4 snapshot", f"bulk insert of {big // 1000}k customers (bench setup)", build_s, "s"))
    _done(t)
    t = _step(f"4/8 snapshot + restore at {big // 1000}k records (median of 5)")
    sb = measure.measure_snapshot(records=big, reps=5, dataset=ds)
    figures += [
        Figure("4 snapshot", f"snapshot() at {big // 1000}k customers", sb["snapshot_ms"], "ms"),
        Figure("4 snapshot", f"restore() at {big // 1000}k customers", sb["restore_ms"], "ms"),
        Figure("4 snapshot", f"snapshot + restore at {big // 1000}k", sb["total_ms"], "ms"),
    ]
    _done(t)

    # 5. query page
    t = _step(f"5/8 query: a page of 1000 customers out of {big:,} (median of 10)")
    q = measure.measure_query(records=big, reps=10, dataset=ds)
    figures += [
        Figure("5 query", "Company.query, STARTPOSITION 1 MAXRESULTS 1000", q["business_first_ms"], "ms",
               "≤ 50 ms", lambda v: v <= 50),
        Figure("5 query", "HTTP in-process GET /query, same page (client's JSON parse not counted)",
               q["http_first_ms"], "ms", "≤ 50 ms",
               lambda v: v <= 50),
        Figure("5 query", f"Company.query, last page (STARTPOSITION {big - 999:,})", q["business_last_ms"], "ms",
               "≤ 50 ms", lambda v: v <= 50),
    ]
    _done(t)
    del ds
    gc.collect()

    # 6. memory
    mem = sizes["memory"]
    t = _step(f"6/8 memory: {mem:,} customers + {mem:,} invoices in a fresh process (VmRSS growth)")
    m = measure.measure_memory(customers=mem, invoices=mem)
    figures += [
        Figure("6 memory", f"RSS growth, {mem // 1000}k customers + {mem // 1000}k invoices", m["growth_mb"], "MiB",
               "< 1024 MiB", lambda v: v < 1024),
        Figure("6 memory", "RSS of that process (baseline → after)", m["after_mb"], "MiB",
               note=f"baseline {m['baseline_mb']:.0f} MiB"),
        Figure("6 memory", "bulk insert time (bench setup)", m["build_s"], "s"),
    ]
    _done(t)

    # 7. the sync engine
    figures += sync_figures(**(SYNC_QUICK if quick else SYNC_FULL))

    # 7. growth: the initial sync at growing sizes
    figures += growth_figures(GROWTH_QUICK if quick else None)

    # 7. a command sync (its own process) on the simulators' clock
    figures += command_sync_figures(COMMAND_QUICK if quick else COMMAND_FULL)

    # 8. scenarios and the property state machine
    figures += harness_figures(quick)
    console.print(f"[dim]whole run: {time.perf_counter() - total:.0f} s[/dim]")
    return figures


# (contacts, products) of the sync engine's runs: the initial sync's calls and the big memory figure, the small
# memory figure (the engine's peak is flat from about 2,000 contacts on), the in-process passes with no changes at
# two sizes, and the same passes over HTTP at a small size.
SYNC_FULL = {"big": (10_000, 2_000), "small": (2_000, 400), "quiet": ((500, 100), (2_000, 400)), "http": (200, 40)}
SYNC_QUICK = {"big": (2_000, 100), "small": (1_000, 100), "quiet": ((200, 40), (600, 120)), "http": (200, 40)}


def sync_figures(big: tuple[int, int], small: tuple[int, int], quiet: tuple[tuple[int, int], ...],
                 http: tuple[int, int]) -> list[Figure]:
    """Section 7: API calls of an initial sync against the batch lower bound, calls of a pass with no changes, and
    the engine's peak memory during an initial sync (see :mod:`bench.sync`)."""
    from . import sync as engine_bench

    section = "7 sync"
    figures: list[Figure] = []
    t = _step(f"7/8 sync engine: initial sync of {big[0]:,} contacts + {big[1]:,} items, and of {small[0]:,} + "
              f"{small[1]:,} (simulators in a subprocess, rate limits on, clock frozen; engine under tracemalloc)")
    try:
        m = engine_bench.measure_memory(small=small, big=big)
        figures += _initial_figures(section, m["big"])
        s, b = m["small"], m["big"]
        figures += [
            Figure(section, f"engine's peak Python allocation (tracemalloc), initial sync of {s['contacts']:,} "
                   f"contacts + {s['products']:,} items", m["small_peak_mib"], "MiB",
                   note=f"{s['calls']} calls, {s['pass_s']:.0f} s"),
            Figure(section, f"engine's peak Python allocation, initial sync of {b['contacts']:,} contacts + "
                   f"{b['products']:,} items", m["big_peak_mib"], "MiB",
                   note=f"{b['calls']} calls, {b['pass_s']:.0f} s"),
            Figure(section, f"peak ratio at {b['contacts'] / s['contacts']:g}× the contacts (flat: records are "
                   "streamed)", m["peak_ratio"], "×", "≤ 1.5×", lambda v: v <= 1.5),
        ]
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"initial sync failed: {exc}", None, ""))
    _done(t)

    sizes = ", ".join(f"{c:,}" for c, _ in quiet)
    t = _step(f"7/8 sync engine: initial, echo and no-change passes in-process at {sizes} contacts, and over HTTP "
              f"at {http[0]:,}")
    try:
        runs = engine_bench.measure_quiet(quiet)
        for r in runs:
            figures += [
                Figure(section, f"echo pass (reads back its own writes, 10 min later), {r['contacts']:,} contacts + "
                       f"{r['products']:,} items", r["echo_calls"], "calls",
                       note=f"{r['echo_observed']:,} records read back, {r['echo_writes']} writes"),
                Figure(section, f"pass with no changes (10 min after the echo), {r['contacts']:,} contacts, per pair",
                       r["quiet_per_pair"], "calls/pair", "≤ 2", lambda v: v <= 2,
                       note=f"{r['quiet_calls']} calls over {r['pairs']} pairs, {r['quiet_observed']} records re-read, "
                       f"{r['quiet_writes']} writes"),
            ]
        same = len({r["quiet_calls"] for r in runs}) == 1
        figures.append(Figure(section, "no-change pass calls, largest / smallest size", runs[-1]["quiet_calls"]
                              / runs[0]["quiet_calls"], "×", "= 1×", lambda v: v == 1,
                              note="the same whatever the size" if same else "grows with the size"))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"no-change passes failed: {exc}", None, ""))
    try:
        h = engine_bench.measure_quiet((http,), transport="subprocess")[0]
        why = ("; HubSpot's Date header (the engine's watermark) is wall-clock time, behind the simulators' virtual "
               "clock" if h["quiet_observed"] else "")
        figures.append(Figure(section, f"pass with no changes over HTTP (simulators in a subprocess), "
                              f"{h['contacts']:,} contacts + {h['products']:,} items: records re-read",
                              h["quiet_observed"], "records", "= 0", lambda v: v == 0,
                              note=f"{h['quiet_per_pair']:.1f} calls/pair{why}"))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"no-change pass over HTTP failed: {exc}", None, ""))
    _done(t)
    return figures


GROWTH_QUICK = ((200, 40), (1_000, 200))
COMMAND_FULL, COMMAND_QUICK = (10_000, 2_000), (1_000, 200)


def command_sync_figures(size: tuple[int, int]) -> list[Figure]:
    """``hsqbo sync --clock simulators`` in its own process against ``hsqbo serve`` with rate limits on: the
    initial sync's virtual time against its quota bound, and its wall time (see
    :func:`bench.sync.measure_command_sync`)."""
    from . import sync as engine_bench

    section = "7 command sync"
    t = _step(f"7/8 command sync: `hsqbo sync --clock simulators` of {size[0]:,} contacts + {size[1]:,} items "
              "against `hsqbo serve` (rate limits on), each in its own process")
    figures: list[Figure] = []
    try:
        r = engine_bench.measure_command_sync(*size)
        label = f"{r['contacts']:,} contacts + {r['products']:,} items"
        figures += [
            Figure(section, f"command sync on the simulators' clock, {label}: virtual time / quota bound",
                   r["ratio"], "×", "≤ 1.1×", lambda v: v <= 1.1,
                   note=f"{r['virtual_s']:,.0f} s virtual, bound {r['bound_s']:,.0f} s ({r['bound_why']}); "
                   f"{r['calls']} calls, {r['rate_limited']} answered 429"),
            Figure(section, f"the same sync's wall time ({r['customers_in_qbo']:,} customers made)", r["wall_s"],
                   "s", "< 60 s", lambda v: v < 60),
        ]
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"command sync failed: {exc}", None, ""))
    _done(t)
    return figures


def growth_figures(sizes: tuple[tuple[int, int], ...] | None = None) -> list[Figure]:
    """The initial sync in-process at growing sizes (each in a fresh process): calls, virtual time, wall time,
    peak memory; time per record against the smallest size (see :func:`bench.sync.measure_growth`)."""
    from . import sync as engine_bench

    sizes = sizes or engine_bench.GROWTH
    section = "7 growth"
    label = " / ".join(f"{c:,}+{p:,}" for c, p in sizes)
    t = _step(f"7/8 growth: initial sync in-process at {label} contacts + items (a fresh process each)")
    figures: list[Figure] = []
    try:
        rows = engine_bench.measure_growth(sizes)
        for r in rows:
            figures.append(Figure(section, f"initial sync, {r['contacts']:,} contacts + {r['products']:,} items: "
                                  "CPU time per record", r["cpu_ms_per_record"], "ms",
                                  note=f"{r['calls']} calls, {r['virtual_s']:,.0f} s virtual, {r['pass_s']:,.1f} s "
                                  f"wall ({r['ms_per_record']:.2f} ms/record), peak RSS {r['peak_rss_mib']:,.0f} MiB"
                                  + (f"; median of {r['runs']} runs" if r.get("runs", 1) > 1 else "")))
        for r in rows[1:]:
            figures.append(Figure(section, f"CPU time per record at {r['records']:,} records / at "
                                  f"{rows[0]['records']:,}", r["ratio"], "×", "≤ 1.2×", lambda v: v <= 1.2))
        figures.append(Figure(section, f"peak RSS of the whole process at {rows[-1]['records']:,} records "
                              "(simulators + engine)", rows[-1]["peak_rss_mib"], "MiB", "< 500 MiB",
                              lambda v: v < 500))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"growth failed: {exc}", None, ""))
    _done(t)
    return figures


def harness_figures(quick: bool) -> list[Figure]:
    from . import scenarios

    section = "8 harness"
    t = _step("8/8 harness: every scenario file; the sync state machine's 10-step histories (one core)")
    figures = []
    try:
        s = scenarios.measure_scenarios()
        figures.append(Figure(section, f"seconds per scenario file ({s['files']} files), median", s["median_s"], "s",
                              "≤ 0.1 s", lambda v: v <= 0.1,  # issue 17
                              note=f"worst {s['max_s']:.2f} s; {s['failed']} failed"))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"scenarios failed: {exc}", None, ""))
    try:
        m = scenarios.measure_machine(examples=30 if quick else 100)
        speed = UNIT_MS_WHEN_SET / m["unit_ms"]
        figures.append(Figure(section, f"state machine histories per CPU second ({m['steps']} steps, in-process, "
                              "one core), this run", m["per_second"], "/s",
                              note=f"{m['examples']} histories in {m['cpu_seconds']:.1f} s of CPU, "
                              f"{m['seconds']:.1f} s wall ({m['per_wall_second']:.1f} /s); the machine ran at "
                              f"{speed:.2f}× its speed when the target was set (yardstick unit "
                              f"{m['unit_ms'] * 1000:.1f} µs)"))
        figures.append(Figure(section, "state machine histories per CPU second at the speed the target was set at "
                              "(yardstick units a history, same run)", m["per_second_when_set"], "/s", "≥ 20/s",
                              lambda v: v >= 20,  # issue 17
                              note=f"{m['units_per_history']:,.0f} units a history (budget "
                              f"{1000 / 20 / UNIT_MS_WHEN_SET:,.0f}), over {m['chunks']} chunks"))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        figures.append(Figure(section, f"state machine failed: {exc}", None, ""))
    _done(t)
    return figures


def _initial_figures(section: str, r: dict) -> list[Figure]:
    contacts, products = r["contacts"], r["products"]
    accounted = r["synced"] + r["failed"]
    customers_ok = r["customers_in_qbo"] == r["synced"]
    return [
        Figure(section, f"initial sync: API calls, {contacts:,} contacts → QBO + {products:,} items → HubSpot",
               r["calls"], "calls",
               note=f"QBO {r['calls_quickbooks']} + HubSpot {r['calls_hubspot']}; {r['rate_limited']} answered 429 "
               f"(counted); {r['virtual_s']:.0f} s virtual, {r['pass_s']:.0f} s real"),
        Figure(section, "  batch lower bound for the same data", r["lower_bound"], "calls", note=r["formula"]),
        Figure(section, "initial sync calls / lower bound", r["ratio"], "×", "≤ 1.1×", lambda v: v <= 1.1),
        Figure(section, "contacts accounted for after the pass (synced + failed)", accounted, "records",
               f"= {contacts:,}", lambda v: v == contacts and customers_ok,
               note=f"{r['synced']:,} synced = {r['customers_in_qbo']:,} QBO customers; {r['failed_d2']:,} failed "
               "by D2 (2 contacts a company: same DisplayName, by design)"),
        Figure(section, "items now HubSpot products", r["products_in_hubspot"], "records", f"= {products:,}",
               lambda v: v == products == r["products_synced"],
               note=f"{r['products_synced']:,} synced; the company's 2 own items have no SKU (E1)"),
    ]


def _errs(tp: dict[str, float], label: str) -> str:
    ok, errs = int(tp[f"{label}_ok"]), int(tp[f"{label}_errors"])
    note = f"{ok} ok in {tp[f'{label}_seconds']:.1f} s"
    return note + (f", {errs} errors" if errs else "")


def table(figures: list[Figure], title: str) -> Table:
    out = Table(title=title, title_justify="left")
    out.add_column("#", style="dim")
    out.add_column("metric")
    out.add_column("measured", justify="right")
    out.add_column("target", justify="right")
    out.add_column("ok?", justify="center")
    out.add_column("note", style="dim")
    last = None
    for f in figures:
        if last is not None and f.section != last:
            out.add_section()
        out.add_row(f.section.split()[0] if f.section != last else "", f.metric, _fmt(f.value, f.unit), f.target,
                    f.status(), f.note)
        last = f.section
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a quick smoke run")
    parser.add_argument("--scale", action="store_true",
                        help="only the growth table, with the 100k-contact row (make bench-scale)")
    parser.add_argument("--json", default=str(RESULTS), help=f"where to write the figures (default {RESULTS})")
    args = parser.parse_args(argv)
    console.print(f"[bold]hsqbo benchmarks[/bold] — Python {platform.python_version()}, "
                  f"{platform.machine()}, {_cores()} cores{' (quick sizes)' if args.quick else ''}")
    if args.scale:
        from . import sync as engine_bench

        figures = growth_figures((*engine_bench.GROWTH, engine_bench.SCALE))
    else:
        figures = run(quick=args.quick)
    write_results(figures, Path(args.json))
    console.print()
    console.print(table(figures, "hsqbo benchmark — figures beside targets (ratios measured within this run)"))
    missed = [f for f in figures if f.check is not None and f.value is not None and not f.check(f.value)]
    if missed:
        console.print(f"[bold red]{len(missed)} target(s) missed[/bold red] (benchmarks report; they do not fail).")
    sys.stdout.flush()


RESULTS = Path(__file__).resolve().parent / "results.json"


def write_results(figures: list[Figure], path: Path) -> None:
    """Every figure with its target and whether it was met, as JSON (``bench/results.json``)."""
    rows = [{"section": f.section, "metric": f.metric, "value": f.value, "unit": f.unit, "target": f.target,
             "ok": None if f.check is None or f.value is None else bool(f.check(f.value)), "note": f.note}
            for f in figures]
    path.write_text(json.dumps({"python": platform.python_version(), "cores": _cores(),
                                "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "figures": rows}, indent=1) + "\n")
    console.print(f"[dim]figures written to {path}[/dim]")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
