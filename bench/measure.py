"""One function per benchmark figure. Each returns a flat dict of numbers; none of them asserts anything."""

from __future__ import annotations

import gc
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from simulators.quickbooks.company import Company
from simulators.sims import Simulators

from .data import Dataset

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


# -- helpers -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(fn: Callable[[], object], reps: int) -> list[float]:
    """Seconds per call of ``fn``, ``reps`` times."""
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _wait_http(port: int, path: str, timeout: float, poll: float = 0.002) -> float | None:
    """Poll ``GET path`` until it answers 200; the perf_counter() of the answer, or None on timeout."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return time.perf_counter()
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(poll)
    return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :mod:`bench.load` in its own process (its own GIL and core) and return its result."""
    proc = subprocess.run([sys.executable, "-m", "bench.load"], input=json.dumps(spec), capture_output=True,
                          text=True, cwd=ROOT, timeout=float(spec.get("timeout", 30)) + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


# -- 1. throughput over loopback: ours vs moto ---------------------------------------------------------
def moto_command() -> list[str] | None:
    exe = BIN / "moto_server"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("moto_server")
    return [found] if found else None


@contextmanager
def moto_server(timeout: float = 30) -> Iterator[int]:
    """``moto_server`` on a free loopback port, stopped (by its own pid) on exit."""
    cmd = moto_command()
    if cmd is None:
        raise RuntimeError("moto_server not installed (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen([*cmd, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if _wait_http(port, "/moto-api/", timeout, poll=0.05) is None:
            raise RuntimeError("moto_server did not start")
        yield port
    finally:
        _stop(proc)


SQS_AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0000")
FORM = "application/x-www-form-urlencoded"


def _moto_specs(port: int, count: int, threads: int, timeout: float) -> tuple[dict, dict]:
    headers = {"Authorization": SQS_AUTH, "Content-Type": FORM}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", body="Action=CreateQueue&QueueName=bench&Version=2012-11-05", headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"moto CreateQueue answered {resp.status}")
    common = {"host": "127.0.0.1", "port": port, "count": count, "threads": threads, "timeout": timeout}
    # GET: ListQueues over that one queue (run before the creates, so its answer stays one queue long).
    get = {**common, "method": "GET", "path": "/?Action=ListQueues&Version=2012-11-05",
           "headers": {"Authorization": SQS_AUTH}}
    # POST: CreateQueue with a fresh name each time — a create, like ours. (SendMessage is not used: moto's
    # cost per message grows with the queue's length, ~100 → ~25 req/s within 1500 messages.)
    run = uuid.uuid4().hex[:8]
    post = {**common, "method": "POST", "path": "/", "headers": headers,
            "body": f"Action=CreateQueue&QueueName=bench-{run}-" + "{i}&Version=2012-11-05"}
    return get, post


def _our_specs(ds: Dataset, port: int, count: int, threads: int, timeout: float) -> tuple[dict, dict]:
    path = f"/v3/company/{ds.realm}/customer"
    common = {"host": "127.0.0.1", "port": port, "count": count, "threads": threads, "timeout": timeout}
    get = {**common, "method": "GET", "path": path + "/{id}?minorversion=75", "headers": ds.headers,
           "ids": ds.customers}
    run = uuid.uuid4().hex[:8]
    body = json.dumps({"DisplayName": f"Bench {run} " + "{i}", "PrimaryEmailAddr": {"Address": "bench@example.com"},
                       "BillAddr": {"Line1": "1 Loop Road", "City": "Localhost"}})
    post = {**common, "method": "POST", "path": path + "?minorversion=75",
            "headers": {**ds.headers, "Content-Type": "application/json"}, "body": body}
    return get, post


def _hubspot_specs(ds: Dataset, port: int, count: int, threads: int, timeout: float,
                   contacts: int) -> tuple[dict, dict]:
    """A portal with ``contacts`` contacts: GET one by email, POST a new one."""
    from simulators.hubspot.catalog import OBJECT_TYPES
    from simulators.hubspot.portal import Portal
    from simulators.hubspot.tenant import create_portal

    creds = create_portal(ds.sims.runtime, {"seed": "empty", "tier": "enterprise"})
    portal = Portal(ds.sims.runtime, creds["portalId"])
    for i in range(1, contacts + 1):
        portal.create(OBJECT_TYPES["contacts"], {"properties": {"email": f"bench{i}@example.com", "firstname": "B"}})
    headers = {"Authorization": f"Bearer {creds['accessToken']}", "Content-Type": "application/json"}
    common = {"host": "127.0.0.1", "port": port, "count": count, "threads": threads, "timeout": timeout}
    get = {**common, "method": "GET", "path": "/crm/v3/objects/contacts/bench{id}%40example.com?idProperty=email",
           "headers": headers, "ids": contacts}
    run = uuid.uuid4().hex[:8]
    body = json.dumps({"properties": {"email": f"new-{run}-" + "{i}@example.com", "firstname": "Bench"}})
    post = {**common, "method": "POST", "path": "/crm/v3/objects/contacts", "headers": headers, "body": body,
            "expect": [201]}
    return get, post


def measure_throughput(count: int = 2000, threads: int = 4, timeout: float = 20.0, customers: int = 1000,
                       with_moto: bool = True, post_count: int | None = None) -> dict[str, float]:
    """Requests/s of a GET and a POST, ours (threaded server) vs moto_server, same client, same run.

    Our rate limits are off. The load generator runs in its own process for both servers, so each side is
    one server process against one client process.
    """
    ds = Dataset()
    ds.add_customers(customers)
    out: dict[str, float] = {}
    with ds.sims.serve(quickbooks_port=0) as servers:
        get, post = _our_specs(ds, servers["quickbooks"].port, count, threads, timeout)
        post["count"] = post_count or count
        for label, spec in (("ours_get", get), ("ours_post", post)):
            out.update(_load_figures(label, spec))
        get, post = _hubspot_specs(ds, servers["hubspot"].port, count, threads, timeout, min(customers, 1000))
        post["count"] = post_count or count
        for label, spec in (("hubspot_get", get), ("hubspot_post", post)):
            out.update(_load_figures(label, spec))
    if with_moto:
        with moto_server() as port:
            get, post = _moto_specs(port, count, threads, timeout)
            post["count"] = post_count or count
            for label, spec in (("moto_get", get), ("moto_post", post)):
                out.update(_load_figures(label, spec))
        out["get_ratio"] = out["ours_get_rps"] / out["moto_get_rps"] if out["moto_get_rps"] else 0.0
        out["post_ratio"] = out["ours_post_rps"] / out["moto_post_rps"] if out["moto_post_rps"] else 0.0
        for op in ("get", "post"):
            moto = out[f"moto_{op}_rps"]
            out[f"hubspot_{op}_ratio"] = out[f"hubspot_{op}_rps"] / moto if moto else 0.0
    return out


def _load_figures(label: str, spec: dict) -> dict[str, float]:
    r = run_load(spec)
    return {f"{label}_rps": r["rps"], f"{label}_ok": float(r["ok"]), f"{label}_errors": float(r["error_count"]),
            f"{label}_seconds": r["seconds"]}


# -- 2. in-process vs loopback, same GET, same client --------------------------------------------------
def measure_inprocess(count: int = 1000, customers: int = 100) -> dict[str, float]:
    """Per-request latency of one customer read: through ``requests`` in-process, over loopback, and through Flask's
    ``test_client()`` (no ``requests`` at all).

    In-process and ``test_client()`` calls alternate one by one, so load from other processes falls on both alike;
    ``flask_ratio`` is the median in-process call over the median ``test_client()`` call.
    """
    ds = Dataset()
    ds.add_customers(customers)
    path = f"/v3/company/{ds.realm}/customer/1?minorversion=75"

    def loop(session: requests.Session, url: str) -> Callable[[], None]:
        def call() -> None:
            r = session.get(url, headers=ds.headers, timeout=10)
            if r.status_code != 200:
                raise RuntimeError(f"GET {url} answered {r.status_code}: {r.text[:200]}")
        return call

    client = ds.sims.quickbooks.test_client()

    def flask_call() -> None:
        r = client.get(path, headers=ds.headers)
        if r.status_code != 200:
            raise RuntimeError(f"test_client GET answered {r.status_code}")

    inproc: list[float] = []
    flask_only: list[float] = []
    clock = time.perf_counter
    with ds.sims.in_process(), requests.Session() as s:
        call = loop(s, f"{ds.sims.qbo_url}{path}")
        _timed(call, 20)
        _timed(flask_call, 20)
        for _ in range(count):
            started = clock()
            call()
            middle = clock()
            flask_call()
            inproc.append(middle - started)
            flask_only.append(clock() - middle)
    with ds.sims.serve(quickbooks_port=0) as servers, requests.Session() as s:
        call = loop(s, f"{servers['quickbooks'].url}{path}")
        _timed(call, 20)
        loopback = _timed(call, count)
    in_ms, lo_ms = statistics.mean(inproc) * 1000, statistics.mean(loopback) * 1000
    return {"inprocess_ms": in_ms, "loopback_ms": lo_ms, "ratio": lo_ms / in_ms,
            "inprocess_rps": 1000 / in_ms, "loopback_rps": 1000 / lo_ms,
            "flask_test_client_ms": statistics.mean(flask_only) * 1000,
            "inprocess_median_ms": statistics.median(inproc) * 1000,
            "flask_median_ms": statistics.median(flask_only) * 1000,
            "flask_ratio": statistics.median(inproc) / statistics.median(flask_only)}


# -- 3. ready time -------------------------------------------------------------------------------------
def measure_ready(reps: int = 3, inprocess_reps: int = 5, timeout: float = 30.0) -> dict[str, float]:
    """``hsqbo serve`` from process start until /_sim/health answers; and Simulators() + server start in-process."""
    hsqbo = BIN / "hsqbo"
    cmd = [str(hsqbo)] if hsqbo.exists() else [sys.executable, "-m", "harness.cli"]
    cli: list[float] = []
    for _ in range(reps):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([*cmd, "serve", "--quickbooks-port", str(port), "--seed", "empty"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            answered = _wait_http(port, "/_sim/health", timeout)
        finally:
            _stop(proc)
        if answered is None:
            raise RuntimeError("hsqbo serve did not answer /_sim/health")
        cli.append(answered - started)
    python = _timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), reps)
    imports = _timed(lambda: subprocess.run([sys.executable, "-c", "import harness.cli"], check=True, cwd=ROOT),
                     reps)

    def start_in_process() -> float:
        started = time.perf_counter()
        sims = Simulators()
        with sims.serve(quickbooks_port=0) as servers:
            answered = _wait_http(servers["quickbooks"].port, "/_sim/health", timeout, poll=0.0005)
            if answered is None:
                raise RuntimeError("in-process server did not answer /_sim/health")
        return answered - started  # shutting down (up to 0.5 s of serve_forever's poll) is not counted

    if inprocess_reps > 1:
        start_in_process()  # warm-up: first-use costs (SQL compilation caches) are not start-up costs
    inproc = [start_in_process() for _ in range(inprocess_reps)]
    return {"cli_ready_s": statistics.median(cli), "python_start_s": statistics.median(python),
            "import_s": statistics.median(imports), "inprocess_start_s": statistics.median(inproc)}


# -- 4. snapshot + restore -------------------------------------------------------------------------------
def measure_snapshot(records: int = 1000, reps: int = 20, dataset: Dataset | None = None) -> dict[str, float]:
    """Median snapshot(), restore() and their sum, on a realm holding ``records`` customers."""
    ds = dataset or Dataset()
    if ds.customers < records:
        ds.add_customers(records - ds.customers)
    store = ds.runtime.store
    snap, restore = [], []
    ids = []
    for _ in range(reps):
        started = time.perf_counter()
        sid = store.snapshot()
        snap.append(time.perf_counter() - started)
        ids.append(sid)
        started = time.perf_counter()
        store.restore(sid)
        restore.append(time.perf_counter() - started)
    # The store keeps every snapshot; these are the benchmark's own, dropped so they don't pile up in memory.
    for sid in ids:
        held = store._snapshots.pop(sid, None)
        if hasattr(held, "close"):
            held.close()
    if store.count(ds.realm, "Customer") != ds.customers:
        raise RuntimeError("restore lost customers")
    return {"records": float(ds.customers), "snapshot_ms": _median_ms(snap), "restore_ms": _median_ms(restore),
            "total_ms": _median_ms([a + b for a, b in zip(snap, restore, strict=True)])}


# -- 5. a query page ------------------------------------------------------------------------------------
PAGE = "SELECT * FROM Customer STARTPOSITION {start} MAXRESULTS 1000"


def measure_query(records: int = 100_000, reps: int = 10, dataset: Dataset | None = None) -> dict[str, float]:
    """A 1000-row page out of ``records`` customers: the business layer and HTTP in-process (first and last page)."""
    ds = dataset or Dataset()
    if ds.customers < records:
        ds.add_customers(records - ds.customers)
    first, last = PAGE.format(start=1), PAGE.format(start=max(ds.customers - 999, 1))

    def business(statement: str) -> Callable[[], None]:
        def call() -> None:
            rows = Company(ds.runtime, ds.realm).query(statement)["Customer"]
            if len(rows) != min(1000, ds.customers):
                raise RuntimeError(f"page of {len(rows)} rows")
        return call

    out = {"records": float(ds.customers)}
    for label, statement in (("first", first), ("last", last)):
        business(statement)()
        out[f"business_{label}_ms"] = _median_ms(_timed(business(statement), reps))
    with ds.sims.in_process(), requests.Session() as s:
        url = f"{ds.base_url}/query"

        def http() -> requests.Response:
            r = s.get(url, params={"query": first, "minorversion": "75"}, headers=ds.headers, timeout=30)
            if r.status_code != 200:
                raise RuntimeError(f"query answered {r.status_code}: {r.text[:200]}")
            return r

        if len(http().json()["QueryResponse"]["Customer"]) != min(1000, ds.customers):
            raise RuntimeError("short page over HTTP")
        out["http_first_ms"] = _median_ms(_timed(http, reps))  # the client's own JSON parsing is not counted
    return out


# -- 6. memory ----------------------------------------------------------------------------------------------
def rss_mb() -> float:
    """This process's resident set size in MiB (VmRSS)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory_here(customers: int, invoices: int) -> dict[str, float]:
    """RSS growth of this process while a realm fills with ``customers`` and ``invoices`` (call in a fresh one)."""
    ds = Dataset()
    gc.collect()
    base = rss_mb()
    build = ds.add_customers(customers - ds.customers) + ds.add_invoices(invoices - ds.invoices)
    gc.collect()
    after = rss_mb()
    return {"baseline_mb": base, "after_mb": after, "growth_mb": after - base, "build_s": build,
            "customers": float(ds.customers), "invoices": float(ds.invoices)}


def measure_memory(customers: int = 100_000, invoices: int = 100_000, timeout: float = 240) -> dict[str, float]:
    """:func:`memory_here` in a fresh subprocess, so nothing else this run allocated counts."""
    code = ("import json, sys; from bench.measure import memory_here; "
            f"print(json.dumps(memory_here({int(customers)}, {int(invoices)})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise RuntimeError(f"memory subprocess failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
