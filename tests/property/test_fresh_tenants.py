"""Each history starts on a new company and portal restored from a snapshot (harness/machine.py ``_tenants``): the
store is exactly as the admin API left it when it made them, whatever the history before did, and the users'
first records get the ids a brand-new company and portal give."""

from __future__ import annotations

from harness import machine as machine_module
from harness.machine import SyncMachine


def _first_ids(m: SyncMachine) -> tuple[str, str]:
    contact = m.hs.create("contacts", {"email": "z@x.example", "firstname": "Z"})["id"]
    customer = m.qbo.create("Customer", {"DisplayName": "Z 1"}, request_id="fresh-1")["Id"]
    return contact, customer


def test_every_history_starts_on_the_same_new_tenants(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    machine_module._shared.clear()
    runs = []
    for customer in (True, False, True, False):  # the first one makes the tenants; the others restore them
        m = SyncMachine()
        m.start(mode="current", conflict="hubspot", direction="two-way", customer=customer)
        store = m.sims.runtime.store
        if not customer:
            runs.append((store.fingerprint(), m.company["realmId"], m.portal["portalId"], _first_ids(m)))
        m.create_contact("b@x.example", "Ben", "Cy")
        m.sync_pass()
        m.teardown()
    fresh = machine_module._shared[0]
    machine_module._shared.clear()  # a process's first history: tenants made through the admin API
    m = SyncMachine()
    m.start(mode="current", conflict="hubspot", direction="two-way")
    made = (m.sims.runtime.store.fingerprint(), _first_ids(m))
    m.teardown()
    assert m.sims is not fresh
    assert len(runs) == 2 and runs[0] == runs[1]
    assert runs[0][0] == made[0] and runs[0][3] == made[1]  # the same store, the same first ids
