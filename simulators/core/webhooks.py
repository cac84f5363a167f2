"""Outbound webhooks: an outbox of signed deliveries, sent when due on the virtual clock.

The systems build the payloads and signatures; this module only queues, applies the fault
plan's webhook rules (drop, duplicate, delay, reorder), sends and records.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from .clock import Clock
from .faults import FaultPlan

Sender = Callable[[str, dict, bytes], int]


def add_subscription(store: object, tenant_id: str, subscription: dict) -> dict:
    """Keep a webhook subscription with its tenant (so snapshots, dumps and resets carry it)."""
    with store.transaction():
        tenant = store.tenant(tenant_id)
        tenant["settings"].setdefault("webhooks", []).append(subscription)
        store.save_tenant_settings(tenant_id, tenant["settings"])
    return subscription


def subscriptions(store: object, tenant_id: str) -> list[dict]:
    tenant = store.tenant(tenant_id)
    return tenant["settings"].get("webhooks", []) if tenant else []


def http_sender(url: str, headers: dict, body: bytes) -> int:
    import requests  # only when a webhook is sent: keeps it out of the server's start-up

    return requests.post(url, data=body, headers=headers, timeout=10).status_code


class Outbox:
    def __init__(self, clock: Clock, faults: FaultPlan, sender: Sender = http_sender) -> None:
        self.clock = clock
        self.faults = faults
        self.sender = sender
        self._pending: list[dict] = []
        self._held: dict | None = None  # a delivery held back to be reordered after the next one
        self._log: list[dict] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._sending = threading.local()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def enqueue(self, system: str, tenant: str, url: str, headers: dict, body: bytes,
                retries: tuple[float, ...] = ()) -> None:
        now = self.clock.timestamp()
        item = {"id": next(self._ids), "system": system, "tenant": tenant, "url": url, "headers": headers,
                "body": body, "due": now, "attempts": 0, "retries": list(retries), "queuedAt": now}
        fired = self.faults.match("webhook", system=system, tenant=tenant, method="POST", path=url)
        with self._lock:
            if fired is None:
                self._push(item)
            elif fired.action == "drop":
                self._log.append(self._entry(item, "dropped", None, fired.rule["id"]))
            elif fired.action == "duplicate":
                self._push(item)
                self._push(dict(item, id=next(self._ids)))
            elif fired.action == "delay":
                item["due"] = now + float(fired.rule.get("seconds", 60))
                self._push(item)
            elif fired.action == "reorder":
                self._held = item  # released right after the next delivery is queued

    def _push(self, item: dict) -> None:
        self._pending.append(item)
        if self._held is not None and self._held is not item:
            held, self._held = self._held, None
            self._pending.append(held)

    def deliver_due(self) -> list[dict]:
        """Send every delivery whose time has come, in order; returns their log entries.

        Re-entrant calls return at once: in-process, a delivery to a receiver that is itself routed
        in-process would otherwise try to deliver again from inside the delivery.
        """
        if getattr(self._sending, "active", False):
            return []
        with self._send_lock:
            self._sending.active = True
            try:
                return self._deliver_due()
            finally:
                self._sending.active = False

    def _deliver_due(self) -> list[dict]:
        now = self.clock.timestamp()
        with self._lock:
            due = [d for d in self._pending if d["due"] <= now]
            self._pending = [d for d in self._pending if d["due"] > now]
        done = []
        for item in due:
            item["attempts"] += 1
            try:
                status, error = self.sender(item["url"], item["headers"], item["body"]), None
            except Exception as exc:  # the receiver being down is the point of the exercise
                status, error = None, f"{type(exc).__name__}: {exc}"
            ok = status is not None and 200 <= status < 300
            if not ok and item["retries"]:
                item["due"] = self.clock.timestamp() + item["retries"].pop(0)
                with self._lock:
                    self._pending.append(item)
            entry = self._entry(item, "delivered" if ok else "failed", status, None, error)
            with self._lock:
                self._log.append(entry)
            done.append(entry)
        return done

    def flush(self) -> list[dict]:
        """Deliver everything pending now, due or not (held reorders included)."""
        with self._lock:
            for d in self._pending:
                d["due"] = 0
            if self._held is not None:
                self._held["due"], self._pending = 0, self._pending + [self._held]
                self._held = None
        return self.deliver_due()

    def pending(self) -> list[dict]:
        with self._lock:
            return [self._public(d) for d in self._pending]

    def log(self) -> list[dict]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._pending, self._log, self._held = [], [], None

    def start(self, interval: float = 0.1) -> None:
        """Deliver in the background (the threaded server's mode)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.deliver_due()

        self._thread = threading.Thread(target=loop, name="hsqbo-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._thread = None

    def _entry(self, item: dict, outcome: str, status: int | None, rule: str | None,
               error: str | None = None) -> dict:
        return dict(self._public(item), outcome=outcome, responseStatus=status, faultRule=rule, error=error,
                    at=self.clock.now().isoformat())

    @staticmethod
    def _public(d: dict) -> dict:
        return {"id": d["id"], "system": d["system"], "tenant": d["tenant"], "url": d["url"],
                "headers": d["headers"], "body": d["body"].decode(), "attempts": d["attempts"], "due": d["due"]}
