"""A small HTTP load generator: fixed request count, several keep-alive client threads, bounded time.

Standard library only, so ``python -m bench.load`` starts in a few tens of milliseconds. It reads one JSON
spec on stdin and prints one JSON result on stdout::

    {"host": "127.0.0.1", "port": 8080, "method": "GET", "path": "/x/{id}", "headers": {...},
     "body": "...{i}...", "count": 2000, "threads": 4, "timeout": 20, "ids": 100, "warmup": 5}

``{i}`` in the path or body becomes the request's sequence number (unique names for creates), ``{id}``
becomes ``i % ids + 1`` (reads rotating over existing records).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from typing import Any


def _render(template: str, i: int, ids: int) -> str:
    return template.replace("{i}", str(i)).replace("{id}", str(i % ids + 1))


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Send ``spec["count"]`` requests from ``spec["threads"]`` threads; the rate counts only answered ones."""
    host, port = spec["host"], int(spec["port"])
    method, path_t, body_t = spec["method"], spec["path"], spec.get("body")
    headers = dict(spec.get("headers") or {})
    count, threads = int(spec["count"]), int(spec.get("threads", 4))
    ids, warmup = int(spec.get("ids", 1)), int(spec.get("warmup", 5))
    deadline_s = float(spec.get("timeout", 30))
    expect = set(spec.get("expect", [200]))

    lock = threading.Lock()
    next_i = [0]
    done = [0]
    errors: list[str] = []
    statuses: dict[int, int] = {}
    barrier = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def take() -> int | None:
        with lock:
            if next_i[0] >= count or time.perf_counter() > stop_at[0]:
                return None
            next_i[0] += 1
            return next_i[0]

    def one(conn: http.client.HTTPConnection, i: int) -> int:
        body = _render(body_t, i, ids).encode() if body_t is not None else None
        conn.request(method, _render(path_t, i, ids), body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            for w in range(warmup):
                one(conn, 1_000_000_000 + n * warmup + w)  # numbered apart from timed requests
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            errors.append(f"warmup: {exc!r}")
        barrier.wait()
        while (i := take()) is not None:
            try:
                status = one(conn, i)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status in expect:
                    done[0] += 1
        conn.close()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for t in pool:
        t.start()
    stop_at[0] = time.perf_counter() + 3600  # the clock starts once every thread is warm
    barrier.wait()
    started = time.perf_counter()
    stop_at[0] = started + deadline_s
    for t in pool:
        t.join(deadline_s + 15)
    elapsed = time.perf_counter() - started
    return {
        "rps": done[0] / elapsed if elapsed > 0 else 0.0,
        "ok": done[0],
        "sent": next_i[0],
        "seconds": elapsed,
        "threads": threads,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:5],
        "error_count": len(errors),
    }


def main() -> None:
    print(json.dumps(run_load(json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    main()
