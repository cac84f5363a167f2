"""A hypothesis state machine of random histories on both systems, with faults, against the sync
(sync-engine notes §6). ``tests/property`` runs it; ``make bench`` times it.

Rules are user actions on either simulator, sync passes, clock advances, API faults (429, 5xx, a
lost answer) and crashes with restarts; a fault is a drawn value, so a failure shrinks to a minimal
schedule. The oracle checks the safety invariants after every step and, at the end, lets the system
quiesce and checks convergence and the fixpoint.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.scenario import EngineSync
from harness.users import api_writes, user_clients
from simulators.sims import Simulators
from sync.clock import VirtualClock
from sync.mapping import canonical
from sync.settings import Settings
from sync.state import STATUSES, SYNCED

NAMES = st.sampled_from(["Ada", "Ben", "Cy", "Dee", "Eve"])
EMAILS = st.sampled_from(["a@x.example", "b@x.example", "c@x.example", "d@x.example"])
FAULTS = st.sampled_from([
    {"path": "*/batch", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch", "nth": 1, "action": "status", "status": 503},
    {"path": "*/batch", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/search", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch/upsert", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/query", "nth": 1, "action": "status", "status": 500},
])
QUIESCE = 2  # passes allowed to settle at the end (the engine needs one, plus one for its own echo)


_shared: list[Simulators] = []
LAST_HISTORY = Path(".hypothesis") / "hsqbo-last-history.yaml"


def save_history(steps: list[object], conflict: str, direction: str = "two-way", path: Path = LAST_HISTORY) -> None:
    """The history just run, as a scenario file whose expectations are the oracle's end checks."""
    scenario = {
        "version": 1,
        "name": "A history the property tests found (hsqbo scenario from-failure)",
        "rules": ["A3", "B2", "D3"],
        "given": {"settings": {"pairs": {
            "contacts": {"direction": direction, "conflict": conflict, "recommended_filters": False},
            "products": {"enabled": False}}}},
        "when": [*steps, *([{"advance": 600}, "sync"] * QUIESCE), {"advance": 600}, "sync"],
        # the oracle's end checks: the fixpoint (a settled pass writes nothing) and convergence
        "then": {"last_pass": {"writes": 0}, "converged": ["contacts"]},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(scenario, sort_keys=False, width=120), encoding="utf-8")


def _simulators() -> Simulators:
    """One pair of simulators for every history of a process: each history gets a fresh company and portal
    (tenants are isolated), so building the apps again each time (a third of a history's cost) is waste."""
    if not _shared:
        _shared.append(Simulators())
    sims = _shared[0]
    sims.runtime.faults.clear()
    return sims


class SyncMachine(RuleBasedStateMachine):
    @initialize(conflict=st.sampled_from(["hubspot", "quickbooks"]),
                direction=st.sampled_from(["two-way", "two-way", "to-quickbooks", "to-hubspot"]))
    def start(self, conflict: str, direction: str) -> None:
        self.sims = _simulators()
        self.sims.runtime.limits.enabled = False
        self.sims.runtime.clock.set_mode("frozen")
        self.routing = self.sims.in_process()
        self.routing.__enter__()
        self.company = self.sims.new_qbo_company(seed="empty")
        self.portal = self.sims.new_hubspot_portal(seed="empty")
        self.clock = VirtualClock(self.sims.runtime.clock)
        self.qbo, self.hs = user_clients(self.sims, self.company, self.portal, self.clock)
        settings = Settings.for_simulators(self.company, self.portal, state="sqlite://", pairs={
            "contacts": {"direction": direction, "conflict": conflict, "recommended_filters": False},
            "products": {"enabled": False}})
        self.direction = direction
        # what users last wrote, per record: a side the sync may not write to must still hold it (direction)
        self.user_firstnames: dict[tuple[str, str], str] = {}
        self.marks: dict[tuple[str, str], object] = {}  # watermarks seen: they never move backwards
        self.sync = EngineSync(settings, self.clock)
        # the history as scenario steps: written out at teardown, so the last one hypothesis replays (the
        # shrunk failing history) can become a scenario file (hsqbo scenario from-failure)
        self.conflict = conflict
        self.history: list[object] = []
        self.user_customers: dict[str, int] = {}  # email -> customers a user made with it
        self.contacts: list[str] = []
        self.customers: list[str] = []

    def teardown(self) -> None:
        if hasattr(self, "routing"):
            try:
                save_history(self.history, self.conflict, self.direction)
                self._quiesce_and_check()
            finally:
                self.routing.__exit__(None, None, None)
                self.sync.engine.state.engine.dispose()

    # -- user actions ---------------------------------------------------------------------------
    @rule(email=EMAILS, first=NAMES, last=NAMES)
    def create_contact(self, email: str, first: str, last: str) -> None:
        if any(c["properties"].get("email") == email for c in self.hs.list("contacts", ["email"])):
            return  # HubSpot refuses a second contact with an email (409): a user would not get this far
        properties = {"email": email, "firstname": first, "lastname": last}
        self.contacts.append(str(self.hs.create("contacts", properties)["id"]))
        self.user_firstnames[("hubspot", self.contacts[-1])] = first
        self.history.append({"hubspot.create": {"ref": f"c{len(self.contacts)}", "type": "contacts",
                                                "properties": properties}})

    @precondition(lambda self: self.contacts)
    @rule(data=st.data(), first=NAMES)
    def edit_contact(self, data: st.DataObject, first: str) -> None:
        contact = data.draw(st.sampled_from(self.contacts))
        self.hs.update("contacts", contact, {"firstname": first})
        self.user_firstnames[("hubspot", contact)] = first
        self.history.append({"hubspot.update": {"ref": f"c{self.contacts.index(contact) + 1}",
                                                "properties": {"firstname": first}}})

    @rule(email=EMAILS, first=NAMES)
    def create_customer(self, email: str, first: str) -> None:
        body = {"DisplayName": f"{first} {len(self.customers) + 1}", "GivenName": first,
                "PrimaryEmailAddr": {"Address": email}}
        made = self.qbo.create("Customer", body, request_id=uuid.uuid4().hex)
        self.customers.append(str(made["Id"]))
        self.user_firstnames[("quickbooks", self.customers[-1])] = first
        self.history.append({"quickbooks.create": {"ref": f"q{len(self.customers)}", "entity": "Customer",
                                                   "body": body}})
        self.user_customers[email] = self.user_customers.get(email, 0) + 1

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), first=NAMES)
    def edit_customer(self, data: st.DataObject, first: str) -> None:
        customer = self.qbo.get("Customer", data.draw(st.sampled_from(self.customers)))
        self.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "GivenName": first},
                        request_id=uuid.uuid4().hex)
        self.user_firstnames[("quickbooks", str(customer["Id"]))] = first
        self.history.append({"quickbooks.update": {"ref": f"q{self.customers.index(str(customer['Id'])) + 1}",
                                                   "body": {"GivenName": first}}})

    # -- the sync, time and faults --------------------------------------------------------------
    @rule()
    def sync_pass(self) -> None:
        self.sync.run_pass()
        self.history.append("sync")

    @rule(seconds=st.sampled_from([1, 60, 600]))
    def advance(self, seconds: int) -> None:
        self.clock.sleep(seconds)
        self.history.append({"advance": seconds})

    @rule(fault=FAULTS)
    def fault_then_sync(self, fault: dict) -> None:
        self.sims.runtime.faults.add([dict(fault)])
        self.sync.run_pass()
        self.sims.runtime.faults.clear()
        self.history += [{"fault": {"rules": [dict(fault)]}}, "sync"]

    @rule(point=st.sampled_from(["quickbooks", "hubspot"]))
    def crash_and_restart(self, point: str) -> None:
        self.sync.crash(point)
        self.sync.run_pass()
        self.sync.restart()
        self.history += [{"crash": {"after": point}}, "sync", "restart"]

    # -- the oracle: after every step -------------------------------------------------------------
    @invariant()
    def mapping_is_a_partial_bijection(self) -> None:
        if not hasattr(self, "sync"):
            return
        records = self.sync.engine.state.records("contacts")
        for side in ("hubspot_id", "qbo_id"):
            ids = [getattr(r, side) for r in records if getattr(r, side)]
            assert len(ids) == len(set(ids)), f"a {side} linked twice"
        assert all(r.status in STATUSES for r in records)

    @invariant()
    def the_sync_never_makes_a_second_customer_for_an_email(self) -> None:
        if not hasattr(self, "sync"):
            return
        per_email: dict[str, int] = {}
        for c in self.qbo.query("SELECT * FROM Customer WHERE Active IN (true, false)"):
            email = canonical((c.get("PrimaryEmailAddr") or {}).get("Address"), "email")
            per_email[email] = per_email.get(email, 0) + 1
        for email, n in per_email.items():
            # the users' own, plus at most one the sync made
            assert n <= self.user_customers.get(email, 0) + 1, f"{n} customers for {email}"

    @invariant()
    def watermarks_never_move_backwards(self) -> None:
        if not hasattr(self, "sync"):
            return
        for side in ("hubspot", "quickbooks"):
            mark = self.sync.engine.state.watermark("contacts", side)
            before = self.marks.get(("contacts", side))
            assert before is None or (mark is not None and mark >= before), f"the {side} watermark moved back"
            self.marks[("contacts", side)] = mark

    @invariant()
    def nothing_is_deleted_and_one_way_targets_keep_their_source(self) -> None:
        if not hasattr(self, "sync"):
            return
        contacts = {c["id"]: c["properties"] for c in self.hs.list("contacts", ["firstname"])}
        customers = {c["Id"]: c for c in self.qbo.query("SELECT * FROM Customer WHERE Active IN (true, false)")}
        assert set(self.contacts) <= set(contacts), "a contact was deleted"
        assert all(c.get("Active", True) for c in customers.values()), "a customer was made inactive"
        protected = {"to-quickbooks": "hubspot", "to-hubspot": "quickbooks"}.get(self.direction)
        for (side, record_id), first in self.user_firstnames.items():
            if side != protected:
                continue  # two-way, or the side the sync writes to
            found = contacts[record_id].get("firstname") if side == "hubspot" else customers[record_id]["GivenName"]
            assert found == first, f"the sync wrote {found!r} over {first!r} on the {side} side ({self.direction})"

    # -- the oracle: at quiescence ----------------------------------------------------------------
    def _quiesce_and_check(self) -> None:
        self.sims.runtime.faults.clear()
        for _ in range(QUIESCE):
            self.clock.sleep(600)
            self.sync.run_pass()
        mark = self._mark()
        self.clock.sleep(600)
        self.sync.run_pass()
        writes = api_writes(self.sims, mark)
        assert writes == [], f"a further pass still writes: {[e['path'] for e in writes]}"  # fixpoint
        contacts = {c["id"]: c["properties"] for c in self.hs.list("contacts", ["email", "firstname", "lastname"])}
        customers = {c["Id"]: c for c in self.qbo.query("SELECT * FROM Customer WHERE Active IN (true, false)")}
        for r in self.sync.engine.state.records("contacts", status=SYNCED):
            if not (r.hubspot_id and r.qbo_id):
                continue
            hub, qbo = contacts[r.hubspot_id], customers[r.qbo_id]
            assert canonical(hub.get("firstname")) == canonical(qbo.get("GivenName")), "firstname diverged"
            assert canonical(hub.get("email"), "email") == \
                canonical((qbo.get("PrimaryEmailAddr") or {}).get("Address"), "email"), "email diverged"

    def _mark(self) -> int:
        return self.sims.runtime.journal.last_seq()


