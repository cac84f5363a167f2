"""A hypothesis state machine of random histories on both systems, with faults, against the sync
(sync-engine notes §6). ``tests/property`` runs it; ``make bench`` times it.

Rules are user actions on either simulator — contacts and customers, products and items — sync passes,
clock advances, API faults (429, 5xx, a lost answer) and crashes with restarts; a fault is a drawn value,
so a failure shrinks to a minimal schedule. The oracle checks the safety invariants after every step and,
at the end, lets the system quiesce and checks convergence, the fixpoint and that every record settled.

Every history starts on the same virtual instant and names its own QBO request ids, so one list of steps
replays to the same API calls (``tests/property/test_determinism.py``).
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.engine_settings import for_simulators
from harness.scenario import EngineSync
from harness.users import api_writes, user_clients
from simulators.core.clock import parse_iso
from simulators.sims import Simulators
from sync.clock import VirtualClock
from sync.mapping import canonical
from sync.outcomes import REASONS, status_of
from sync.pairs import configurable
from sync.state import EXCLUDED, FAILED, PENDING, STATUSES, SYNCED

PAIRS = ("contacts", "products")  # the pairs the machine drives; any other pair is switched off
START = "2026-03-02T09:00:00Z"  # scenario files' default start: a saved history replays on the same dates
NAME_POOL = ["Ada", "Ben", "Cy", "Dee", "Eve"]
EMAIL_POOL = ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
# "p-1" is "P-1" in another case: E1 matches exactly and reports the twin; "" is a record without a SKU
SKU_POOL = ["P-1", "P-2", "p-1", ""]
PRODUCT_NAME_POOL = ["Bolt", "Nut", "Cable", "Hours"]  # "Hours": an item every QBO company has (6240)
NAMES = st.sampled_from(NAME_POOL)
EMAILS = st.sampled_from(EMAIL_POOL)
SKUS = st.sampled_from(SKU_POOL)
PRODUCT_NAMES = st.sampled_from(PRODUCT_NAME_POOL)
# cents, drawn as integers: exact, and they shrink in a few steps (st.decimals shrinks slowly)
PRICES = st.integers(min_value=0, max_value=100_000).map(lambda cents: Decimal(cents).scaleb(-2))
PICK = st.integers(min_value=0, max_value=7)  # which record made so far, modulo their number (shrinks to the first)
FAULT_POOL = [
    {"path": "*/batch", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch", "nth": 1, "action": "status", "status": 503},
    {"path": "*/batch", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/search", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch/upsert", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/query", "nth": 1, "action": "status", "status": 500},
]
FAULTS = st.sampled_from(FAULT_POOL)
QUIESCE = 2  # passes allowed to settle at the end (the engine needs one, plus one for its own echo)


_shared: list[Simulators] = []
LAST_HISTORY = Path(".hypothesis") / "hsqbo-last-history.yaml"


def machine_pairs(conflict: str, direction: str) -> dict:
    """The pair settings of a history: contacts in the drawn direction, products two-way, any other pair off."""
    pairs: dict = {name: {"enabled": False} for name in configurable() if name not in PAIRS}
    pairs["contacts"] = {"direction": direction, "conflict": conflict, "recommended_filters": False}
    pairs["products"] = {"direction": "two-way", "conflict": conflict, "recommended_filters": False}
    return pairs


def qbo_number(value: Decimal) -> int | float:
    """A price as QBO's JSON carries it (two decimal places survive a float exactly in canonical form)."""
    return int(value) if value == value.to_integral_value() else float(value)


def save_history(steps: list[object], conflict: str, direction: str = "two-way", path: Path = LAST_HISTORY) -> None:
    """The history just run, as a scenario file whose expectations are the oracle's end checks."""
    scenario = {
        "version": 1,
        "name": "A history the property tests found (hsqbo scenario from-failure)",
        "rules": ["A3", "B2", "D3", "E1"],
        "given": {"start": START, "settings": {"pairs": machine_pairs(conflict, direction)}},
        "when": [*steps, *([{"advance": 600}, "sync"] * QUIESCE), {"advance": 600}, "sync"],
        # the oracle's end checks: the fixpoint (a settled pass writes nothing) and convergence
        "then": {"last_pass": {"writes": 0}, "converged": list(PAIRS)},
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
    sims.runtime.journal.clear()  # the last history's calls: every look-up would copy them (marks stay valid)
    return sims


def _pick(ids: list[str], which: int) -> tuple[int, str]:
    index = which % len(ids)
    return index, ids[index]


class SyncMachine(RuleBasedStateMachine):
    @initialize(conflict=st.sampled_from(["hubspot", "quickbooks"]),
                direction=st.sampled_from(["two-way", "two-way", "to-quickbooks", "to-hubspot"]))
    def start(self, conflict: str, direction: str) -> None:
        # an exception already being handled around us is not a failure of this history (see teardown)
        self._outer_error = sys.exc_info()[1]
        self.sims = _simulators()
        self.sims.runtime.limits.enabled = False
        self.sims.runtime.clock.set_mode("frozen")
        self.sims.runtime.clock.set(parse_iso(START))  # every history on the same dates: replays are exact
        self.routing = self.sims.in_process()
        self.routing.__enter__()
        self.company = self.sims.new_qbo_company(seed="empty")
        self.portal = self.sims.new_hubspot_portal(seed="empty")
        self.clock = VirtualClock(self.sims.runtime.clock)
        self.qbo, self.hs = user_clients(self.sims, self.company, self.portal, self.clock)
        settings = for_simulators(self.company, self.portal, state="sqlite://",
                                           pairs=machine_pairs(conflict, direction))
        self.direction = direction
        # what users last wrote, per record: a side the sync may not write to must still hold it (direction)
        self.user_firstnames: dict[tuple[str, str], str] = {}
        self.marks: dict[tuple[str, str], datetime | None] = {}  # watermarks seen: they never move backwards
        self.holders: dict[tuple[str, str, str], int | None] = {}  # (pair, side, id) -> the state record linking it
        self.sync = EngineSync(settings, self.clock)
        # the history as scenario steps: written out at teardown, so the last one hypothesis replays (the
        # shrunk failing history) can become a scenario file (hsqbo scenario from-failure)
        self.conflict = conflict
        self.history: list[object] = []
        self.user_customers: dict[str, int] = {}  # email -> customers a user made with it
        self.user_products: Counter[str] = Counter()  # SKU -> HubSpot products a user made with it
        self.user_items: Counter[str] = Counter()  # SKU -> QBO items a user made with it
        self.contacts: list[str] = []
        self.customers: list[str] = []
        self.products: list[str] = []
        self.items: list[str] = []
        self.requests = 0
        self._income: dict | None = None
        self._seen: tuple[int, dict] | None = None  # (journal mark, what both systems held then)
        self.passes = 0
        self._looked: dict[str, int] = {}  # invariant -> the passes it had seen when it last looked

    def teardown(self) -> None:
        if hasattr(self, "routing"):
            try:
                save_history(self.history, self.conflict, self.direction)
                error = sys.exc_info()[1]
                if error is None or error is self._outer_error:
                    self._quiesce_and_check()
                # else a step or an invariant failed: report that, not what follows from it at quiescence
            finally:
                self.routing.__exit__(None, None, None)
                self.sync.engine.state.engine.dispose()

    def check_invariants_now(self) -> None:
        """Every safety invariant, outside hypothesis's own calls: while settling at the end, and in replays."""
        for check in self.invariants:
            check.function(self)

    def _run_pass(self) -> None:
        self.passes += 1
        self.sync.run_pass()

    def _after_a_pass(self, check: str) -> bool:
        """Whether a pass ran since ``check`` last looked: the engine's state changes only in passes."""
        if not hasattr(self, "sync") or self._looked.get(check) == self.passes:
            return False
        self._looked[check] = self.passes
        return True

    def _request_id(self) -> str:
        """The users' own QBO request ids: counted, not random, so a replayed history sends the same calls."""
        self.requests += 1
        return f"user-{self.requests}"

    # -- user actions: contacts and customers -----------------------------------------------------
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
    @rule(which=PICK, first=NAMES)
    def edit_contact(self, which: int, first: str) -> None:
        index, contact = _pick(self.contacts, which)
        self.hs.update("contacts", contact, {"firstname": first})
        self.user_firstnames[("hubspot", contact)] = first
        self.history.append({"hubspot.update": {"ref": f"c{index + 1}", "properties": {"firstname": first}}})

    @rule(email=EMAILS, first=NAMES)
    def create_customer(self, email: str, first: str) -> None:
        body = {"DisplayName": f"{first} {len(self.customers) + 1}", "GivenName": first,
                "PrimaryEmailAddr": {"Address": email}}
        made = self.qbo.create("Customer", body, request_id=self._request_id())
        self.customers.append(str(made["Id"]))
        self.user_firstnames[("quickbooks", self.customers[-1])] = first
        self.history.append({"quickbooks.create": {"ref": f"q{len(self.customers)}", "entity": "Customer",
                                                   "body": body}})
        self.user_customers[email] = self.user_customers.get(email, 0) + 1

    @precondition(lambda self: self.customers)
    @rule(which=PICK, first=NAMES)
    def edit_customer(self, which: int, first: str) -> None:
        index, customer_id = _pick(self.customers, which)
        customer = self.qbo.get("Customer", customer_id)
        self.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "GivenName": first},
                        request_id=self._request_id())
        self.user_firstnames[("quickbooks", customer_id)] = first
        self.history.append({"quickbooks.update": {"ref": f"q{index + 1}", "body": {"GivenName": first}}})

    # -- user actions: products and items (E1: matched by exact SKU) -------------------------------
    @rule(sku=SKUS, name=PRODUCT_NAMES, price=PRICES)
    def create_product(self, sku: str, name: str, price: Decimal) -> None:
        properties = {"name": name, "price": str(price), **({"hs_sku": sku} if sku else {})}
        self.products.append(str(self.hs.create("products", properties)["id"]))
        self.user_products[sku] += bool(sku)
        self.history.append({"hubspot.create": {"ref": f"p{len(self.products)}", "type": "products",
                                                "properties": properties}})

    @precondition(lambda self: self.products)
    @rule(which=PICK, price=PRICES, name=st.none() | PRODUCT_NAMES)
    def edit_product(self, which: int, price: Decimal, name: str | None) -> None:
        index, product = _pick(self.products, which)
        properties = {"price": str(price), **({"name": name} if name else {})}
        self.hs.update("products", product, properties)
        self.history.append({"hubspot.update": {"ref": f"p{index + 1}", "properties": properties}})

    @rule(sku=SKUS, name=PRODUCT_NAMES, price=PRICES)
    def create_item(self, sku: str, name: str, price: Decimal) -> None:
        if name.lower() in self._item_names():
            return  # QBO refuses a second item of a name (6240): a user would not get this far
        body = {"Name": name, "Type": "Service", "UnitPrice": qbo_number(price), **({"Sku": sku} if sku else {})}
        made = self.qbo.create("Item", {**body, "IncomeAccountRef": self._income_account()},
                               request_id=self._request_id())
        self.items.append(str(made["Id"]))
        self.user_items[sku] += bool(sku)
        # the scenario runner adds the income account itself
        self.history.append({"quickbooks.create": {"ref": f"i{len(self.items)}", "entity": "Item", "body": body}})

    @precondition(lambda self: self.items)
    @rule(which=PICK, price=PRICES, name=st.none() | PRODUCT_NAMES)
    def edit_item(self, which: int, price: Decimal, name: str | None) -> None:
        index, item_id = _pick(self.items, which)
        item = self.qbo.get("Item", item_id)
        change: dict = {"UnitPrice": qbo_number(price), "sparse": True}
        if name and name.lower() not in self._item_names(but=item_id):
            change["Name"] = name  # a name another item holds is refused (6240): the user keeps the old one
        self.qbo.update("Item", {"Id": item["Id"], "SyncToken": item["SyncToken"], **change},
                        request_id=self._request_id())
        self.history.append({"quickbooks.update": {"ref": f"i{index + 1}", "body": change}})

    def _item_names(self, but: str | None = None) -> set[str]:
        items = self.qbo.query("SELECT * FROM Item WHERE Active IN (true, false)")
        return {str(i.get("Name", "")).lower() for i in items if str(i["Id"]) != but}

    def _income_account(self) -> dict:
        if self._income is None:
            account = next(iter(self.qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))
            self._income = {"value": account["Id"]}
        return self._income

    # -- the sync, time and faults --------------------------------------------------------------
    @rule()
    def sync_pass(self) -> None:
        self._run_pass()
        self.history.append("sync")

    @rule(seconds=st.sampled_from([1, 60, 600]))
    def advance(self, seconds: int) -> None:
        self.clock.sleep(seconds)
        self.history.append({"advance": seconds})

    @rule(fault=FAULTS)
    def fault_then_sync(self, fault: dict) -> None:
        self.sims.runtime.faults.add([dict(fault)])
        self._run_pass()
        self.sims.runtime.faults.clear()
        self.history += [{"fault": {"rules": [dict(fault)]}}, "sync"]

    @rule(point=st.sampled_from(["quickbooks", "hubspot"]))
    def crash_and_restart(self, point: str) -> None:
        self.sync.crash(point)
        self._run_pass()
        self.sync.restart()
        self.history += [{"crash": {"after": point}}, "sync", "restart"]

    # -- the oracle: after every step -------------------------------------------------------------
    @invariant()
    def links_are_a_partial_bijection_that_never_changes(self) -> None:
        if not self._after_a_pass("links"):
            return
        for pair in PAIRS:
            records = self.sync.engine.state.records(pair)
            present = set()
            for side in ("hubspot_id", "qbo_id"):
                ids = [getattr(r, side) for r in records if getattr(r, side)]
                assert len(ids) == len(set(ids)), f"{pair}: a {side} linked twice"
                for r in records:
                    if getattr(r, side):
                        key = (pair, side, getattr(r, side))
                        present.add(key)
                        before = self.holders.setdefault(key, r.id)
                        assert before == r.id, f"{pair}: {side} {key[2]} moved from record {before} to record {r.id}"
            # a record the sync forgets comes back as new: a second link, a duplicate, or a lost edit
            lost = sorted(k for k in self.holders if k[0] == pair and k not in present)
            assert not lost, f"{pair}: the sync forgot the link of {', '.join(f'{s} {i}' for _, s, i in lost)}"

    @invariant()
    def every_record_has_a_status_and_every_failure_a_reason(self) -> None:
        if not self._after_a_pass("statuses"):
            return
        for pair in PAIRS:
            for r in self.sync.engine.state.records(pair):
                assert r.status in STATUSES, f"{pair} record {r.id}: unknown status {r.status!r}"
                if r.status in (FAILED, EXCLUDED):
                    assert r.reason in REASONS, f"{pair} record {r.id} is {r.status}, reason {r.reason!r} unknown"
                    assert (status_of(r.reason), r.rule) == (r.status, REASONS[r.reason].rule), \
                        f"{pair} record {r.id}: {r.status} / {r.rule} does not fit its reason {r.reason}"
                elif r.status == SYNCED:
                    assert r.hubspot_id and r.qbo_id and r.reason is None, \
                        f"{pair} record {r.id} is synced but not linked, or with a reason ({r.reason!r})"

    @invariant()
    def the_sync_never_makes_a_second_record_for_a_key(self) -> None:
        if not hasattr(self, "sync"):
            return
        seen = self._systems()
        per_email = Counter(canonical((c.get("PrimaryEmailAddr") or {}).get("Address"), "email")
                            for c in seen["customers"].values())
        for email, n in per_email.items():
            # the users' own, plus at most one the sync made
            assert n <= self.user_customers.get(email, 0) + 1, f"{n} customers for {email}"
        per_sku = Counter(str(i["Sku"]) for i in seen["items"].values() if i.get("Sku"))
        for sku, n in per_sku.items():
            assert n <= self.user_items[sku] + 1, f"{n} items with SKU {sku}"
        per_sku = Counter(str(p["hs_sku"]) for p in seen["products"].values() if p.get("hs_sku"))
        for sku, n in per_sku.items():
            assert n <= self.user_products[sku] + 1, f"{n} products with SKU {sku}"

    @invariant()
    def watermarks_never_move_backwards(self) -> None:
        if not self._after_a_pass("watermarks"):
            return
        for pair in PAIRS:
            for side in ("hubspot", "quickbooks"):
                mark = self.sync.engine.state.watermark(pair, side)
                before = self.marks.get((pair, side))
                assert before is None or (mark is not None and mark >= before), f"the {pair} {side} watermark went back"
                self.marks[(pair, side)] = mark

    @invariant()
    def nothing_is_deleted_and_one_way_targets_keep_their_source(self) -> None:
        if not hasattr(self, "sync"):
            return
        seen = self._systems()
        contacts, customers = seen["contacts"], seen["customers"]
        assert set(self.contacts) <= set(contacts), "a contact was deleted"
        assert all(c.get("Active", True) for c in customers.values()), "a customer was made inactive"
        assert set(self.products) <= set(seen["products"]), "a product was deleted"
        assert all(i.get("Active", True) for i in seen["items"].values()), "an item was made inactive"
        protected = {"to-quickbooks": "hubspot", "to-hubspot": "quickbooks"}.get(self.direction)
        for (side, record_id), first in self.user_firstnames.items():
            if side != protected:
                continue  # two-way, or the side the sync writes to
            found = contacts[record_id].get("firstname") if side == "hubspot" else customers[record_id]["GivenName"]
            assert found == first, f"the sync wrote {found!r} over {first!r} on the {side} side ({self.direction})"

    def _systems(self) -> dict[str, dict]:
        """What both systems hold, read again only when the journal shows a write since the last read (a round
        of invariants reads once; a step that only read, or only moved the clock, reads nothing)."""
        journal = self.sims.runtime.journal
        if self._seen is None or api_writes(self.sims, self._seen[0]):
            seen = {
                "contacts": {c["id"]: c["properties"] for c in self.hs.list("contacts", ["email", "firstname"])},
                "products": {p["id"]: p["properties"] for p in self.hs.list("products", ["hs_sku", "name", "price"])},
                **{name: {e["Id"]: e for e in self.qbo.query(f"SELECT * FROM {entity} WHERE Active IN (true, false)")}
                   for name, entity in (("customers", "Customer"), ("items", "Item"))},
            }
            self._seen = (journal.last_seq(), seen)
        return self._seen[1]

    # -- the oracle: at quiescence ----------------------------------------------------------------
    def _quiesce_and_check(self) -> None:
        self.sims.runtime.faults.clear()
        for _ in range(QUIESCE):
            self.clock.sleep(600)
            self._run_pass()
            self.check_invariants_now()  # safety holds while settling too
        mark = self._mark()
        self.clock.sleep(600)
        self._run_pass()
        self.check_invariants_now()
        writes = api_writes(self.sims, mark)
        assert writes == [], f"a further pass still writes: {[e['path'] for e in writes]}"  # fixpoint
        state = self.sync.engine.state
        contacts = {c["id"]: c["properties"] for c in self.hs.list("contacts", ["email", "firstname", "lastname"])}
        customers = {c["Id"]: c for c in self.qbo.query("SELECT * FROM Customer WHERE Active IN (true, false)")}
        for r in state.records("contacts", status=SYNCED):
            hub, qbo = contacts[r.hubspot_id], customers[r.qbo_id]
            assert canonical(hub.get("firstname")) == canonical(qbo.get("GivenName")), "firstname diverged"
            assert canonical(hub.get("email"), "email") == \
                canonical((qbo.get("PrimaryEmailAddr") or {}).get("Address"), "email"), "email diverged"
        products = {p["id"]: p["properties"] for p in self.hs.list("products", ["hs_sku", "name", "price"])}
        items = {i["Id"]: i for i in self.qbo.query("SELECT * FROM Item WHERE Active IN (true, false)")}
        for r in state.records("products", status=SYNCED):
            hub, qbo = products[r.hubspot_id], items[r.qbo_id]
            for prop, field, kind in (("hs_sku", "Sku", "text"), ("name", "Name", "text"),
                                      ("price", "UnitPrice", "number")):
                h, q = canonical(hub.get(prop), kind), canonical(qbo.get(field), kind)
                assert h == q, f"{prop} diverged: {h!r} in HubSpot, {q!r} in QuickBooks (SKU {hub.get('hs_sku')})"
        # liveness: every record of either system was read and settled (synced, failed or excluded)
        for pair, hubspot_ids, qbo_ids in (("contacts", contacts, customers), ("products", products, items)):
            known = {(side, getattr(r, f"{side}_id")): r.status for r in state.records(pair)
                     for side in ("hubspot", "qbo")}
            for side, ids in (("hubspot", hubspot_ids), ("qbo", qbo_ids)):
                for record_id in ids:
                    status = known.get((side, str(record_id)))
                    assert status not in (None, PENDING), f"{pair}: {side} {record_id} never settled ({status})"

    def _mark(self) -> int:
        return self.sims.runtime.journal.last_seq()
