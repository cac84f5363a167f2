"""Same history, same run: one list of state-machine steps, replayed on fresh simulators, makes the same API writes
in the same order and leaves the same end state — in this process, and in another one with another hash seed (so
an iteration over a set of strings in the engine or the simulators would show).

What is legitimately random is normalised, and only that: the QBO realm id and the HubSpot portal id (made with
``secrets`` when a tenant is created), uuids in answers (HubSpot's correlation and trace ids), and the engine's own
batch request ids (``hsqbo-`` + 24 hex digits of ``uuid4``: idempotency keys must never repeat). Every history starts
on the same virtual instant (harness/machine.py ``START``), so timestamps are compared as they are.

Run as a script (``python tests/property/test_determinism.py``) it prints the trace of ``HISTORY`` as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import subprocess
import sys
from decimal import Decimal

from harness import machine as machine_module
from harness.machine import (
    EMAIL_POOL,
    FAULT_POOL,
    NAME_POOL,
    PAIRS,
    PRODUCT_NAME_POOL,
    SKU_POOL,
    SyncMachine,
)
from harness.users import api_writes

SEED, LENGTH = 20260302, 60
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ENGINE_REQUEST_ID = re.compile(r"hsqbo-[0-9a-f]{24}")


def draw_history(seed: int = SEED, length: int = LENGTH) -> tuple[dict, list[tuple[str, dict]]]:
    """A history of the machine's rules drawn from a fixed seed (the start, then ``length`` steps)."""
    rng = random.Random(seed)

    def price() -> str:
        return str(Decimal(rng.randrange(0, 100_001)).scaleb(-2))  # 0.00 .. 1000.00, two places, as PRICES

    def name_or_none() -> str | None:
        return rng.choice([None, *PRODUCT_NAME_POOL])

    def lines(product: bool = False) -> list[tuple]:  # as LINES and HUBSPOT_LINES draw them
        return [(rng.choice([None, rng.randrange(8)]) if product else rng.randrange(8), rng.randint(1, 4),
                 Decimal(price())) for _ in range(rng.randint(1, 3))]

    def part() -> int | None:
        return rng.choice([None, rng.randint(1, 100_000)])

    def due() -> int | None:
        return rng.choice([None, 0, 14, 30])

    args = {
        "create_contact": lambda: {"email": rng.choice(EMAIL_POOL), "first": rng.choice(NAME_POOL),
                                   "last": rng.choice(NAME_POOL)},
        "edit_contact": lambda: {"which": rng.randrange(8), "first": rng.choice(NAME_POOL)},
        "create_customer": lambda: {"email": rng.choice(EMAIL_POOL), "first": rng.choice(NAME_POOL)},
        "edit_customer": lambda: {"which": rng.randrange(8), "first": rng.choice(NAME_POOL)},
        "create_product": lambda: {"sku": rng.choice(SKU_POOL), "name": rng.choice(PRODUCT_NAME_POOL),
                                   "price": price()},
        "edit_product": lambda: {"which": rng.randrange(8), "price": price(), "name": name_or_none()},
        "create_item": lambda: {"sku": rng.choice(SKU_POOL), "name": rng.choice(PRODUCT_NAME_POOL), "price": price()},
        "edit_item": lambda: {"which": rng.randrange(8), "price": price(), "name": name_or_none()},
        "create_qbo_invoice": lambda: {"customer": rng.randrange(8), "lines": lines(), "due": due()},
        "edit_qbo_invoice": lambda: {"which": rng.randrange(8), "lines": rng.choice([None, lines()]), "due": due()},
        "void_qbo_invoice": lambda: {"which": rng.randrange(8)},
        "delete_qbo_invoice": lambda: {"which": rng.randrange(8)},
        "pay_qbo_invoice": lambda: {"which": rng.randrange(8), "part": part()},
        "split_qbo_payment": lambda: {"which": rng.randrange(8), "other": rng.randrange(8), "part": part(),
                                      "other_part": part()},
        "delete_qbo_payment": lambda: {"which": rng.randrange(8)},
        "create_hubspot_invoice": lambda: {"contact": rng.randrange(8), "lines": lines(product=True),
                                           "draft": rng.random() < 0.5},
        "finalize_hubspot_invoice": lambda: {"which": rng.randrange(8)},
        "record_hubspot_payment": lambda: {"which": rng.randrange(8), "part": part(), "ach": rng.random() < 0.5},
        "settle_ach_payment": lambda: {"which": rng.randrange(8), "succeeded": rng.random() < 0.5},
        "sync_pass": dict,
        "advance": lambda: {"seconds": rng.choice([1, 60, 600])},
        "fault_then_sync": lambda: {"fault": dict(rng.choice(FAULT_POOL))},
        "crash_and_restart": lambda: {"point": rng.choice(["quickbooks", "hubspot"])},
    }
    # the current generation, invoices both ways and a linked customer to begin with: every kind of write happens
    start = {"mode": "current", "conflict": rng.choice(["hubspot", "quickbooks"]),
             "direction": rng.choice(["two-way", "to-hubspot"]), "invoices": "two-way", "customer": True}
    names = sorted(args)
    return start, [(name, args[name]()) for name in (rng.choice(names) for _ in range(length))]


HISTORY = draw_history()


class _Recorded(SyncMachine):
    """The machine, keeping what the systems and the engine hold once it has settled (before the routes close)."""

    def _quiesce_and_check(self) -> None:
        super()._quiesce_and_check()
        self.end = end_state(self)


def end_state(m: SyncMachine) -> dict:
    """Both systems' records of every pair, and the engine's records and watermarks."""
    hubspot_props = {"contacts": ["email", "firstname", "lastname"],
                     "products": ["hs_sku", "name", "price", "quickbooks_item_id"],
                     "invoices": ["hs_invoice_status", "hs_amount_billed", "hs_amount_paid", "hs_number",
                                  "quickbooks_invoice_id"],
                     "commerce_payments": ["hs_initial_amount", "hs_latest_status", "quickbooks_payment_id"],
                     "line_items": ["name", "quantity", "price", "amount", "quickbooks_line_id"]}
    return {
        "quickbooks": {entity: sorted(m.qbo.query(f"SELECT * FROM {entity}" + (" WHERE Active IN (true, false)"
                                                                               if entity in ("Customer", "Item")
                                                                               else "")),
                                      key=lambda e: int(e["Id"])) for entity in ("Customer", "Item", "Invoice",
                                                                                  "Payment")},
        "hubspot": {otype: sorted(m.hs.list(otype, props), key=lambda r: int(r["id"]))
                    for otype, props in hubspot_props.items()},
        "engine": {pair: {"records": [dataclasses.asdict(r) for r in m.sync.engine.state.records(pair)],
                          "watermarks": [m.sync.engine.state.watermark(pair, s) for s in ("hubspot", "quickbooks")]}
                   for pair in PAIRS},
    }


def trace(start: dict, steps: list[tuple[str, dict]]) -> dict:
    """Replay a history on fresh simulators; the API writes it made (users' and the engine's) and the end state."""
    machine_module._shared.clear()  # fresh simulators: every id counter and the journal start from nothing
    m = _Recorded()
    m.start(**start)
    rules = {r.function.__name__: r for r in m.rules}
    ran = []
    for name, args in steps:
        if not all(holds(m) for holds in rules[name].preconditions):
            continue  # hypothesis would not have chosen it here either
        values = {k: Decimal(v) if k == "price" else v for k, v in args.items()}
        getattr(m, name)(**values)
        m.check_invariants_now()
        ran.append(name)
    m.teardown()  # settles, checks the end invariants, keeps the end state
    writes = [{k: e.get(k) for k in ("system", "method", "path", "query", "requestBody", "status", "responseBody")}
              for e in api_writes(m.sims)]
    doc = json.dumps({"ran": ran, "writes": writes, "end": m.end}, default=str, sort_keys=True)
    for secret, placeholder in ((m.company["realmId"], "<realm>"), (str(m.portal["portalId"]), "<portal>")):
        doc = doc.replace(secret, placeholder)
    doc = ENGINE_REQUEST_ID.sub("hsqbo-<request id>", UUID.sub("<uuid>", doc))
    return json.loads(doc)


def _first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"write {i}:\n  {x}\n  {y}"
    return f"{len(a)} writes against {len(b)}"


def test_the_same_history_makes_the_same_writes_and_end_state(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the machine saves each history it ran: not over the project's own
    first, second = trace(*HISTORY), trace(*HISTORY)
    assert len(first["ran"]) >= LENGTH // 2 and "sync_pass" in first["ran"]  # the history did something
    assert len(first["writes"]) > 20 and first["end"]["engine"]["products"]["records"]
    assert first["end"]["engine"]["invoices"]["records"] and first["end"]["engine"]["payments"]["records"]
    assert first["ran"] == second["ran"]
    assert first["writes"] == second["writes"], _first_difference(first["writes"], second["writes"])
    assert first["end"] == second["end"]


def test_another_process_with_another_hash_seed_makes_the_same_run(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    here = trace(*HISTORY)
    seed = "1" if os.environ.get("PYTHONHASHSEED") == "0" else "0"  # differs from this process's (random) one
    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=300, check=True,
                         env={**os.environ, "PYTHONHASHSEED": seed})
    there = json.loads(out.stdout)
    assert here["writes"] == there["writes"], _first_difference(here["writes"], there["writes"])
    assert here["end"] == there["end"]


if __name__ == "__main__":
    sys.stdout.write(json.dumps(trace(*HISTORY), sort_keys=True))
