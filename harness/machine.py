"""A hypothesis state machine of random histories on both systems, with faults, against the sync
(sync-engine notes §6). ``tests/property`` runs it; ``make bench`` times it.

Each history runs under one generation of the integration (``sync.generations.MODES``), with pair settings
that generation accepts. Rules are user actions on either simulator — contacts and customers, products and
items, invoices and payments — sync passes, clock advances, API faults (429, 5xx, a lost answer) and crashes
with restarts; a fault is a drawn value, so a failure shrinks to a minimal schedule. The oracle checks the
safety invariants after every step (the money ones after every pass that ran without a fault) and, at the
end, lets the system quiesce and checks convergence, the fixpoint and that every record settled.

User actions are the scenario steps they are saved as: HubSpot ones run through the scenario's own steps,
QBO bodies are built by the scenario builders (harness/scenario/builders.py), so a saved history replays the
same calls. Every history starts on the same virtual instant and names its own QBO request ids, so one list of
steps replays to the same API calls (``tests/property/test_determinism.py``).
"""

from __future__ import annotations

import builtins
import json
import sys
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.engine_settings import for_simulators
from harness.scenario import STEPS, EngineSync, Scenario, World
from harness.scenario.builders import qbo_body
from harness.scenario.pairs import counterpart, pairs_of
from harness.users import api_writes, user_clients
from simulators.core.clock import parse_iso
from simulators.hubspot.catalog import ObjectType, resolve_type
from simulators.hubspot.portal import Portal
from simulators.quickbooks.company import Company
from simulators.sims import Simulators
from sync.clients.hubspot import LIST_PAGE, MAX_BATCH, read_associations
from sync.clients.quickbooks import MAX_PAGE
from sync.clock import VirtualClock
from sync.generations import ANY_DIRECTION, GENERATIONS, MODES
from sync.mapping import TO_QUICKBOOKS, TWO_WAY, canonical
from sync.outcomes import REASONS, status_of
from sync.pairs import PAIRS as REGISTRY
from sync.pairs import configurable, with_followers
from sync.pairs.documents import INVOICE_ID_PROPERTY, LINE_ID_PROPERTY, PAYMENT_ID_PROPERTY
from sync.state import EXCLUDED, FAILED, PENDING, STATUSES, SYNCED, Record

DRIVEN = ("contacts", "products", "invoices")  # the pairs with settings the machine drives; any other is off
PAIRS = tuple(with_followers(DRIVEN))  # contacts, products, invoices, payments (payments follow invoices)
KEYED = tuple(p for p in DRIVEN if REGISTRY[p].qbo_has_active)  # matched by a key people see: `converged`
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
QUANTITIES = st.integers(min_value=1, max_value=4)
# a document's lines: (which item or product, quantity, unit price); a HubSpot line may name no product
LINES = st.lists(st.tuples(PICK, QUANTITIES, PRICES), min_size=1, max_size=3)
HUBSPOT_LINES = st.lists(st.tuples(st.none() | PICK, QUANTITIES, PRICES), min_size=1, max_size=3)
PART = st.none() | st.integers(min_value=1, max_value=100_000)  # None: in full; else cents, modulo what is open
DUE_IN = st.none() | st.sampled_from([0, 14, 30])  # a due date so many days from today (None: QBO's own)
FAULT_POOL = [
    {"path": "*/batch", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch", "nth": 1, "action": "status", "status": 503},
    {"path": "*/batch", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/search", "nth": 1, "action": "status", "status": 429},
    {"path": "*/batch/upsert", "nth": 1, "action": "drop", "phase": "after"},
    {"path": "*/query", "nth": 1, "action": "status", "status": 500},
]
FAULTS = st.sampled_from(FAULT_POOL)
# what a history starts with: its generation, the current generation's settings, and whether it begins with a
# linked customer (SyncMachine.start)
START_DRAWS: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.sampled_from(MODES), "conflict": st.sampled_from(["hubspot", "quickbooks"]),
    "direction": st.sampled_from(["two-way", "two-way", "to-quickbooks", "to-hubspot"]),
    "invoices": st.sampled_from(ANY_DIRECTION), "customer": st.booleans()}
QUIESCE = 2  # passes allowed to settle at the end (the engine needs one, plus one for its own echo)
# the rules a saved history is about, those of them its generation has (docs/integration-rules.md)
HISTORY_RULES = {"current": ["A1", "A2", "A3", "B2", "B4", "D3", "E1", "F2", "G1", "G2"], "2023": ["A1", "A2", "A3"],
                 "legacy": ["A1", "A2", "A6"]}

INVOICE_PROPS = ["hs_invoice_status", "hs_amount_billed", "hs_amount_paid", "hs_balance_due", INVOICE_ID_PROPERTY]
PAYMENT_PROPS = ["hs_initial_amount", "hs_latest_status", PAYMENT_ID_PROPERTY]
LINE_PROPS = ["quantity", "price", LINE_ID_PROPERTY]

T = TypeVar("T")
_shared: list[Simulators] = []
# per simulators: the store's snapshot holding a new company and portal, and their credentials (see _tenants)
_made: weakref.WeakKeyDictionary[Simulators, tuple[str, dict, dict]] = weakref.WeakKeyDictionary()
LAST_HISTORY = Path(".hypothesis") / "hsqbo-last-history.yaml"
# libyaml's safe dumper when PyYAML has it: the same text as yaml.safe_dump (tests/unit/test_history_dump.py),
# a sixth of the time (every history is saved)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def machine_pairs(mode: str, conflict: str = "hubspot", direction: str = TWO_WAY, invoices: str = TWO_WAY,
                  driven: tuple[str, ...] = DRIVEN) -> dict:
    """The pair settings of a history, as its generation accepts them (any other is a SettingsError).

    current: contacts in the drawn direction, products two-way, invoices (and the payments following them) in
    their own drawn direction, all with the drawn conflict rule and no recommended filters. 2023 and legacy
    have fixed directions (A1) and no direction, conflict or filter settings: every driven pair is on with the
    generation's own defaults. Any pair the machine does not drive is switched off."""
    pairs: dict = {name: {"enabled": False} for name in configurable() if name not in driven}
    if "direction" not in GENERATIONS[mode].pair_settings:
        return pairs
    for name, way in (("contacts", direction), ("products", TWO_WAY), ("invoices", invoices)):
        if name in driven:
            pairs[name] = {"direction": way, "conflict": conflict, "recommended_filters": False}
    return pairs


def qbo_number(value: Decimal) -> int | float:
    """A price as QBO's JSON carries it (two decimal places survive a float exactly in canonical form)."""
    return int(value) if value == value.to_integral_value() else float(value)


def amount(value: object) -> Decimal:
    """The oracle's own exact reading of an amount (QBO sends JSON numbers, HubSpot text): never the engine's."""
    return Decimal(str(value).strip()) if value not in (None, "") else Decimal(0)


def save_history(steps: list[object], mode: str = "current", conflict: str = "hubspot", direction: str = TWO_WAY,
                 invoices: str = TWO_WAY, path: Path = LAST_HISTORY, driven: tuple[str, ...] = DRIVEN) -> None:
    """The history just run, as a scenario file whose expectations are the oracle's end checks."""
    scenario = {
        "version": 1,
        "name": "A history the property tests found (hsqbo scenario from-failure)",
        "rules": HISTORY_RULES[mode],
        "generation": mode,  # the sync runs as this generation (the engine's mode)
        "given": {"start": START, "settings": {"pairs": machine_pairs(mode, conflict, direction, invoices, driven)}},
        "when": [*steps, *([{"advance": 600}, "sync"] * QUIESCE), {"advance": 600}, "sync"],
        # the oracle's end checks: the fixpoint (a settled pass writes nothing) and convergence
        "then": {"last_pass": {"writes": 0}, "converged": [p for p in KEYED if p in driven]},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(scenario, Dumper=SAFE_DUMPER, sort_keys=False, width=120), encoding="utf-8")


def _simulators() -> Simulators:
    """One pair of simulators for every history of a process: each history gets a fresh company and portal
    (tenants are isolated), so building the apps again each time (a third of a history's cost) is waste."""
    if not _shared:
        _shared.append(Simulators())
    sims = _shared[0]
    sims.runtime.faults.clear()
    sims.runtime.journal.clear()  # the last history's calls: every look-up would copy them (marks stay valid)
    return sims


def _tenants(sims: Simulators) -> tuple[dict, dict]:
    """An empty company and portal, made on the START instant: the first history of a process makes them through
    the admin API and snapshots the simulators' store; each later one restores that snapshot (0.2 ms instead of
    3.4 ms), so it starts on the very same tenants, ids and credentials, as new — the whole store goes back, and
    nothing an earlier history did is left (nor kept in memory). Their credentials, as the admin API answered."""
    made = _made.get(sims)
    if made is None:
        company, portal = sims.new_qbo_company(seed="empty"), sims.new_hubspot_portal(seed="empty")
        made = _made[sims] = (sims.runtime.store.snapshot(), company, portal)
    else:
        sims.runtime.store.restore(made[0])
    return dict(made[1]), dict(made[2])


def _pick(ids: list[T], which: int) -> tuple[int, T]:
    index = which % len(ids)
    return index, ids[index]


def _voided(entity: dict) -> bool:
    return str(entity.get("PrivateNote") or "").startswith("Voided")


def _paid_in(entity: dict) -> bool:
    return any(link.get("TxnType") == "Payment" for link in entity.get("LinkedTxn") or [])


class DirectReads:
    """The oracle's reads of both systems without HTTP: the users' clients' ``query`` (QBO) and ``list``,
    ``batch_read``, ``associations`` (HubSpot), with the same arguments and the same answers, taken from the
    functions the simulators' HTTP handlers call (``Company.query``, ``Records.page`` and ``batch``,
    ``Associations.batch``) with the parameters those handlers would parse from the clients' requests, and
    passed through JSON as the wire passes them. So the invariants still check what a client of the APIs sees
    (tests/property/test_direct_reads.py compares both ways on busy histories), at a tenth of the cost: the
    requests, the WSGI layers and the journal are left out, and the journal keeps only the users' and the
    sync's calls."""

    def __init__(self, sims: Simulators, realm: str, portal: str) -> None:
        self.runtime, self.realm, self.portal = sims.runtime, realm, portal

    @staticmethod
    def _wire(body: object) -> Any:
        return json.loads(json.dumps(body))  # the simulators answer json.dumps(body); requests reads json.loads

    @staticmethod
    def _type(name: str) -> ObjectType:
        otype = resolve_type(name)
        if otype is None:
            raise ValueError(f"no HubSpot object type {name!r}")
        return otype

    def query(self, statement: str) -> builtins.list[dict]:
        """``QuickBooksClient.query``: every entity the statement selects, paged as the client pages it."""
        statement = statement.strip().rstrip(";").strip()
        out: builtins.list[dict] = []
        start = 1
        while True:
            answer = self._wire(Company(self.runtime, self.realm).query(
                f"{statement} STARTPOSITION {start} MAXRESULTS {MAX_PAGE}"))
            page = next((value for value in answer.values() if isinstance(value, list)), [])
            out += page
            if len(page) < MAX_PAGE:
                return out
            start += MAX_PAGE

    def list(self, object_type: str, properties: builtins.list[str], archived: bool = False) -> builtins.list[dict]:
        """``HubSpotClient.list``: every record of a type, a page at a time."""
        otype = self._type(object_type)
        wanted = [p for p in ",".join(properties).split(",") if p] or None  # the handler's reading of the param
        out: builtins.list[dict] = []
        after: str | None = None
        while True:
            body = self._wire(Portal(self.runtime, self.portal).records.page(otype, LIST_PAGE, after, wanted, None,
                                                                             archived, None))
            out += body.get("results") or []
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out

    def batch_read(self, object_type: str, ids: builtins.list[str],
                   properties: builtins.list[str]) -> builtins.list[dict]:
        """``HubSpotClient.batch_read``: the records found among ``ids``."""
        otype = self._type(object_type)
        out: builtins.list[dict] = []
        ids = [str(i) for i in ids]
        for start in range(0, len(ids), MAX_BATCH):
            _, body = Portal(self.runtime, self.portal).records.batch(otype, "read", {
                "inputs": [{"id": i} for i in ids[start:start + MAX_BATCH]], "properties": properties})
            out += self._wire(body or {}).get("results") or []
        return out

    def associations(self, from_type: str, to_type: str, ids: builtins.list[str]) -> dict[str, builtins.list[dict]]:
        """``HubSpotClient.associations``: ``{from id: [{"toObjectId", "associationTypes"}, ...]}``."""
        source, target = self._type(from_type), self._type(to_type)
        links = Portal(self.runtime, self.portal).associations
        return read_associations(ids, lambda chunk: self._wire(links.batch(source, target, "read",
                                                                           {"inputs": chunk})[1] or {}))


@dataclass
class UserPayment:
    """A commerce payment a user recorded on a HubSpot invoice."""

    invoice: str  # the HubSpot invoice it pays
    amount: Decimal
    status: str  # what the user last set: succeeded, processing (ACH, G2), failed
    succeeded: bool  # it was succeeded at some point


@dataclass
class Documents:
    """Invoices and payments on both sides, read once after a pass for the money invariants."""

    qbo_invoices: dict[str, dict]
    qbo_payments: dict[str, dict]
    invoices: dict[str, dict]  # HubSpot invoice id -> its properties
    payments: dict[str, dict]  # HubSpot payment id -> its properties
    lines: dict[str, dict[str, dict]]  # HubSpot invoice id -> its line items' ids and properties
    payments_of: dict[str, list[str]]  # HubSpot invoice id -> the payments associated with it

    def applied(self, payment: str) -> dict[str, Decimal]:
        """What a QBO payment applies to each invoice."""
        out: dict[str, Decimal] = {}
        for line in self.qbo_payments[payment].get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "Invoice":
                    key = str(link["TxnId"])
                    out[key] = out.get(key, Decimal(0)) + amount(line.get("Amount"))
        return out


class SyncMachine(RuleBasedStateMachine):
    # the pairs a history syncs: a narrower machine (tests/property/test_planted_bugs.py) may switch some off
    driven: tuple[str, ...] = DRIVEN

    @initialize(mode=START_DRAWS["mode"], conflict=START_DRAWS["conflict"], direction=START_DRAWS["direction"],
                invoices=START_DRAWS["invoices"], customer=START_DRAWS["customer"])
    def start(self, mode: str, conflict: str, direction: str, invoices: str = TWO_WAY, customer: bool = False) -> None:
        """A fresh company and portal under one generation; with ``customer``, the history begins with a contact and
        a customer of one email and a pass that links them (D3), so invoices and payments come within a few steps
        (the first steps of the history, saved with it)."""
        # an exception already being handled around us is not a failure of this history (see teardown)
        self._outer_error = sys.exc_info()[1]
        self.sims = _simulators()
        self.sims.runtime.limits.enabled = False
        self.sims.runtime.clock.set_mode("frozen")
        self.sims.runtime.clock.set(parse_iso(START))  # every history on the same dates: replays are exact
        self.routing = self.sims.in_process()
        self.routing.__enter__()
        self.company, self.portal = _tenants(self.sims)
        self.clock = VirtualClock(self.sims.runtime.clock)
        self.qbo, self.hs = user_clients(self.sims, self.company, self.portal, self.clock)
        self.read = DirectReads(self.sims, self.company["realmId"], self.portal["portalId"])  # the oracle's reads
        self.settings = for_simulators(self.company, self.portal, state="sqlite://", mode=mode,
                                       pairs=machine_pairs(mode, conflict, direction, invoices, self.driven))
        self.pairs = tuple(with_followers(self.driven))
        self.mode, self.conflict, self.drawn = mode, conflict, (direction, invoices)
        self.generation = GENERATIONS[mode]
        self.direction = {name: self.settings.pairs[name].direction for name in DRIVEN}  # the effective ones
        self.documents = "invoices" in self.driven  # the money invariants look at invoices and payments
        # what users last wrote, per record: a side the sync may not write to must still hold it (direction)
        self.user_firstnames: dict[tuple[str, str], str] = {}
        self.marks: dict[tuple[str, str], datetime | None] = {}  # watermarks seen: they never move backwards
        self.holders: dict[tuple[str, str, str], int | None] = {}  # (pair, side, id) -> the state record linking it
        self.sync = EngineSync(self.settings, self.clock)
        # the refs users' records are named by, where the scenario builders and steps look them up
        self.world = World(Scenario(Path("<state machine>"), "a random history", [], {}, [], {}), None)
        self.world.sims, self.world.sync, self.world.qbo, self.world.hs = self.sims, self.sync, self.qbo, self.hs
        self.names: dict[tuple[str, str], str] = {}  # (kind, id) -> the ref a user made it with
        # the history as scenario steps: written out at teardown, so the last one hypothesis replays (the
        # shrunk failing history) can become a scenario file (hsqbo scenario from-failure)
        self.history: list[object] = []
        self.user_customers: dict[str, int] = {}  # email -> customers a user made with it
        self.user_products: Counter[str] = Counter()  # SKU -> HubSpot products a user made with it
        self.user_items: Counter[str] = Counter()  # SKU -> QBO items a user made with it
        self.contacts: list[str] = []
        self.customers: list[str] = []
        self.products: list[str] = []
        self.items: list[str] = []
        # invoices and payments users made, and what they did to them
        self.qbo_invoices: list[str] = []
        self.qbo_payments: dict[str, dict[str, Decimal]] = {}  # QBO payment -> what it applied to each invoice
        self.hubspot_invoices: list[str] = []
        self.drafts: set[str] = set()  # HubSpot invoices not finalized yet (B4: never sent to QBO)
        self.hubspot_payments: dict[str, UserPayment] = {}
        self.deleted: set[tuple[str, str]] = set()  # (entity, id) a user deleted in QBO
        self.voided: set[str] = set()  # QBO invoices a user voided
        self.seen: dict[str, set[str]] = {}  # kind -> ids either system held at a check: they never go
        self.linked: dict[str, list[tuple[str, str]]] = {}  # pair -> (HubSpot id, QBO id) linked, after each pass
        self.requests = 0
        self._income: dict | None = None
        self._seen: tuple[int, dict] | None = None  # (journal mark, what both systems held then)
        self._documents_read: tuple[int, Documents] | None = None  # (passes, invoices and payments then)
        self._records: dict[str, list[Record]] = {}  # pair -> the engine's records, read after the last pass
        self.passes = 0
        self.first_pass_at: datetime | None = None  # A6 (legacy): when the pairs were switched on
        self.clean = True  # the last pass ran without a fault or a crash
        self._looked: dict[str, int] = {}  # invariant -> the passes it had seen when it last looked
        if customer:  # the users' own steps (a narrower machine may not draw these rules)
            SyncMachine.create_contact(self, EMAIL_POOL[0], NAME_POOL[0], NAME_POOL[0])
            SyncMachine.create_customer(self, EMAIL_POOL[0], NAME_POOL[0])
            SyncMachine.sync_pass(self)

    def teardown(self) -> None:
        if hasattr(self, "routing"):
            try:
                save_history(self.history, self.mode, self.conflict, *self.drawn, driven=self.driven)
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

    def _run_pass(self, clean: bool = True) -> None:
        self.passes += 1
        self.clean = clean
        if self.first_pass_at is None:
            self.first_pass_at = self.clock.now()
        self.sync.run_pass()
        state = self.sync.engine.state
        # the engine's state changes only in passes (and a restart): read once for the invariants that look at it
        self._records = {pair: state.records(pair) for pair in self.pairs}
        self.linked = {pair: [(r.hubspot_id, r.qbo_id) for r in self._records[pair]
                              if r.hubspot_id and r.qbo_id and r.deleted is None] for pair in self.pairs}

    def _pair_records(self, pair: str) -> list[Record]:
        """The engine's records of a pair as the last pass left them (the invariants only read them)."""
        if pair not in self._records:
            self._records[pair] = self.sync.engine.state.records(pair)
        return self._records[pair]

    def _after_a_pass(self, check: str) -> bool:
        """Whether a pass ran since ``check`` last looked: the engine's state changes only in passes."""
        if not hasattr(self, "sync") or not self.passes or self._looked.get(check) == self.passes:
            return False
        self._looked[check] = self.passes
        return True

    def _after_a_clean_pass(self, check: str) -> bool:
        """Likewise, when that pass ran without a fault or a crash: a pass cut short leaves what it did not read
        for the next one, so the two systems may still differ where a user changed something."""
        return self._after_a_pass(check) and self.clean

    def _request_id(self) -> str:
        """The users' own QBO request ids: counted, not random, so a replayed history sends the same calls."""
        self.requests += 1
        return f"user-{self.requests}"

    def _name(self, ref: str, side: str, kind: str, record_id: object) -> str:
        self.world.refs[ref] = (side, kind, str(record_id))
        self.names[(kind, str(record_id))] = ref
        return str(record_id)

    def _ref(self, side: str, kind: str, record_id: str) -> str | dict | None:
        """How a history names a record: the ref a user made it with, else ``{of: ref}`` — the record the sync
        linked with a user's record. None for a record neither (a QBO company's own items)."""
        own = self.names.get((kind, record_id))
        if own is not None:
            return own
        other = "quickbooks" if side == "hubspot" else "hubspot"
        for pair in pairs_of(kind):
            record = self.sync.engine.state.by_side_ids(pair, side, [record_id]).get(record_id)
            linked = record.side_id(other) if record is not None else None
            theirs = self.names.get((counterpart(kind, other), linked)) if linked else None
            if theirs is not None:
                return {"of": theirs}
        return None

    def _naming(self, side: str, kind: str, record_id: str) -> dict:
        """A step's ``ref`` or ``of`` key for a record."""
        ref = self._ref(side, kind, record_id)
        return ref if isinstance(ref, dict) else {"ref": ref}

    def _today(self, days: int = 0) -> str:
        return (self.clock.now().date() + timedelta(days=days)).isoformat()

    # -- user actions: contacts and customers -----------------------------------------------------
    @rule(email=EMAILS, first=NAMES, last=NAMES)
    def create_contact(self, email: str, first: str, last: str) -> None:
        if any(c["properties"].get("email") == email for c in self.hs.list("contacts", ["email"])):
            return  # HubSpot refuses a second contact with an email (409): a user would not get this far
        properties = {"email": email, "firstname": first, "lastname": last}
        ref = f"c{len(self.contacts) + 1}"
        self.contacts.append(self._name(ref, "hubspot", "contacts", self.hs.create("contacts", properties)["id"]))
        self.user_firstnames[("hubspot", self.contacts[-1])] = first
        self.history.append({"hubspot.create": {"ref": ref, "type": "contacts", "properties": properties}})

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
        ref = f"q{len(self.customers) + 1}"
        self.customers.append(self._name(ref, "quickbooks", "Customer", made["Id"]))
        self.user_firstnames[("quickbooks", self.customers[-1])] = first
        self.history.append({"quickbooks.create": {"ref": ref, "entity": "Customer", "body": body}})
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
        ref = f"p{len(self.products) + 1}"
        self.products.append(self._name(ref, "hubspot", "products", self.hs.create("products", properties)["id"]))
        self.user_products[sku] += bool(sku)
        self.history.append({"hubspot.create": {"ref": ref, "type": "products", "properties": properties}})

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
        ref = f"i{len(self.items) + 1}"
        self.items.append(self._name(ref, "quickbooks", "Item", made["Id"]))
        self.user_items[sku] += bool(sku)
        # the scenario runner adds the income account itself
        self.history.append({"quickbooks.create": {"ref": ref, "entity": "Item", "body": body}})

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

    # -- user actions: QBO invoices and payments (A2, F2, G1, I7) ---------------------------------
    def _qbo_invoice_ids(self) -> list[str]:
        """QBO invoices a user can work on: their own, and those the sync made of their HubSpot invoices."""
        mine = set(self.hubspot_invoices)
        found = set(self.qbo_invoices) | {q for h, q in self.linked.get("invoices", []) if h in mine}
        return sorted((i for i in found if ("Invoice", i) not in self.deleted), key=int)

    def _lines(self, lines: list[tuple[int, int, Decimal]]) -> list[dict]:
        """QBO lines (the builders' shorthand) on existing items: the company's own, the users', the sync's."""
        items = sorted(self._systems()["items"], key=int)
        out = []
        for which, qty, price in lines:
            item = str(items[which % len(items)])
            out.append({"item": self._ref("quickbooks", "Item", item) or item, "qty": qty, "price": str(price)})
        return out

    @precondition(lambda self: self.linked.get("contacts"))
    @rule(customer=PICK, lines=LINES, due=DUE_IN)
    def create_qbo_invoice(self, customer: int, lines: list[tuple[int, int, Decimal]], due: int | None) -> None:
        """An invoice for a customer the sync has linked, with exact-cent prices on existing items."""
        _, (_, customer_id) = _pick(self.linked["contacts"], customer)
        ref = f"qi{len(self.qbo_invoices) + 1}"
        spec: dict = {"ref": ref, "entity": "Invoice", "customer": self._ref("quickbooks", "Customer", customer_id),
                      "lines": self._lines(lines)}
        if due is not None:
            spec["body"] = {"DueDate": self._today(due)}
        made = self.qbo.create("Invoice", qbo_body(self.world, spec, None), request_id=self._request_id())
        self.qbo_invoices.append(self._name(ref, "quickbooks", "Invoice", made["Id"]))
        self.history.append({"quickbooks.create": spec})

    @precondition(lambda self: self._qbo_invoice_ids())
    @rule(which=PICK, lines=st.none() | LINES, due=DUE_IN)
    def edit_qbo_invoice(self, which: int, lines: list[tuple[int, int, Decimal]] | None, due: int | None) -> None:
        """New lines, a new due date, or both (F2: on an invoice made in HubSpot, new lines stop its sync)."""
        _, invoice_id = _pick(self._qbo_invoice_ids(), which)
        invoice = self.qbo.get("Invoice", invoice_id)
        if _voided(invoice):
            return  # QBO keeps a voided invoice as it is: a user would not get this far
        spec: dict = {**self._naming("quickbooks", "Invoice", invoice_id), "entity": "Invoice",
                      "body": {"sparse": True, **({"DueDate": self._today(due or 0)} if due is not None or not lines
                                                  else {})}}
        if lines:
            spec["lines"] = self._lines(lines)
            paid = amount(invoice.get("TotalAmt")) - amount(invoice.get("Balance"))
            if sum(qty * price for _, qty, price in lines) < paid:
                return  # QBO refuses a total below what was paid (I7): a user would not get this far
        body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], **qbo_body(self.world, spec, None)}
        self.qbo.update("Invoice", body, request_id=self._request_id())
        self.history.append({"quickbooks.update": spec})

    @precondition(lambda self: self._qbo_invoice_ids())
    @rule(which=PICK)
    def void_qbo_invoice(self, which: int) -> None:
        _, invoice_id = _pick(self._qbo_invoice_ids(), which)
        invoice = self.qbo.get("Invoice", invoice_id)
        if _voided(invoice) or _paid_in(invoice):
            return  # QBO voids an invoice once, and only without payments: a user would not get this far
        self.qbo.void("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                      request_id=self._request_id())
        self.voided.add(invoice_id)
        self.history.append({"quickbooks.void": {**self._naming("quickbooks", "Invoice", invoice_id),
                                                 "entity": "Invoice"}})

    @precondition(lambda self: self._qbo_invoice_ids())
    @rule(which=PICK)
    def delete_qbo_invoice(self, which: int) -> None:
        _, invoice_id = _pick(self._qbo_invoice_ids(), which)
        invoice = self.qbo.get("Invoice", invoice_id)
        if _paid_in(invoice):
            return  # QBO deletes an invoice only without payments: a user would not get this far
        naming = self._naming("quickbooks", "Invoice", invoice_id)  # before it goes: `of` asks the sync
        self.qbo.delete("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                        request_id=self._request_id())
        self.deleted.add(("Invoice", invoice_id))
        self.history.append({"quickbooks.delete": {**naming, "entity": "Invoice"}})

    @precondition(lambda self: self._qbo_invoice_ids())
    @rule(which=PICK, part=PART)
    def pay_qbo_invoice(self, which: int, part: int | None) -> None:
        """A payment on one invoice, in full or in part (A2)."""
        _, invoice_id = _pick(self._qbo_invoice_ids(), which)
        self._pay([(self.qbo.get("Invoice", invoice_id), part)])

    @precondition(lambda self: len(self._qbo_invoice_ids()) > 1)
    @rule(which=PICK, other=PICK, part=PART, other_part=PART)
    def split_qbo_payment(self, which: int, other: int, part: int | None, other_part: int | None) -> None:
        """One payment over two invoices of a customer (G1: HubSpot cannot split a payment; it stays out)."""
        open_ = [i for i in self.qbo.query("SELECT * FROM Invoice") if str(i["Id"]) in self._qbo_invoice_ids()
                 and amount(i.get("Balance")) > 0]
        if not open_:
            return
        _, first = _pick(sorted(open_, key=lambda i: int(i["Id"])), which)
        customer = first["CustomerRef"]["value"]
        same = [i for i in open_ if i["CustomerRef"]["value"] == customer and i["Id"] != first["Id"]]
        if not same:
            return  # no second open invoice of that customer: a user would not get this far
        _, second = _pick(sorted(same, key=lambda i: int(i["Id"])), other)
        self._pay([(first, part), (second, other_part)])

    def _pay(self, parts: list[tuple[dict, int | None]]) -> None:
        applied, invoices = [], {}
        for invoice, part in parts:
            balance = amount(invoice.get("Balance"))
            if balance <= 0:
                return  # nothing open: a user would not get this far
            cents = int(balance * 100)
            paid = balance if part is None else Decimal(1 + (part - 1) % cents).scaleb(-2)
            applied.append({"to": self._ref("quickbooks", "Invoice", str(invoice["Id"])), "amount": str(paid)})
            invoices[str(invoice["Id"])] = paid
        customer = str(parts[0][0]["CustomerRef"]["value"])
        ref = f"qp{len(self.qbo_payments) + 1}"
        spec = {"ref": ref, "entity": "Payment", "customer": self._ref("quickbooks", "Customer", customer),
                "applied": applied}
        made = self.qbo.create("Payment", qbo_body(self.world, spec, None), request_id=self._request_id())
        self.qbo_payments[self._name(ref, "quickbooks", "Payment", made["Id"])] = invoices
        self.history.append({"quickbooks.create": spec})

    def _live_qbo_payments(self) -> list[str]:
        return sorted((p for p in self.qbo_payments if ("Payment", p) not in self.deleted), key=int)

    @precondition(lambda self: self._live_qbo_payments())
    @rule(which=PICK)
    def delete_qbo_payment(self, which: int) -> None:
        """A user deletes one of their payments (F2: from an invoice made in HubSpot, that stops its sync)."""
        _, payment_id = _pick(self._live_qbo_payments(), which)
        payment = self.qbo.get("Payment", payment_id)
        self.qbo.delete("Payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]},
                        request_id=self._request_id())
        self.deleted.add(("Payment", payment_id))
        self.history.append({"quickbooks.delete": {"ref": self.names[("Payment", payment_id)],
                                                   "entity": "Payment"}})

    # -- user actions: HubSpot invoices and payments (B4, G2) -------------------------------------
    def _step(self, kind: str, args: dict) -> None:
        """A user's HubSpot action, run as the scenario step it is saved as."""
        STEPS[kind].run(self.world, args, None)
        self.history.append({kind: args})

    @precondition(lambda self: self.linked.get("contacts"))
    @rule(contact=PICK, lines=HUBSPOT_LINES, draft=st.booleans())
    def create_hubspot_invoice(self, contact: int, lines: list[tuple[int | None, int, Decimal]], draft: bool) -> None:
        """An invoice with line items (on a product, or none), associated with a contact the sync has linked, made
        as HubSpot's guide orders it (a draft, its lines, its contact); then finalized, or left a draft for a later
        step (B4: a draft never goes to QBO)."""
        _, (contact_id, _) = _pick(self.linked["contacts"], contact)
        products = [p for p in sorted(self._systems()["products"], key=int) if self._ref("hubspot", "products", p)]
        items = []
        for which, qty, price in lines:
            line: dict = {"quantity": str(qty), "price": str(price)}
            if which is not None and products:
                line["product"] = self._ref("hubspot", "products", products[which % len(products)])
            else:
                line["name"] = "Work"
            items.append(line)
        ref = f"hi{len(self.hubspot_invoices) + 1}"
        self._step("hubspot.create", {"ref": ref, "type": "invoices", "line_items": items,
                                      "properties": {"hs_currency": "USD", "hs_invoice_status": "draft"}})
        self.hubspot_invoices.append(self._name(ref, "hubspot", "invoices", self.world.refs[ref][2]))
        self.drafts.add(self.hubspot_invoices[-1])
        self._step("hubspot.associate", {"from": ref, "to": [self._ref("hubspot", "contacts", contact_id)]})
        if not draft:
            self._finalize(self.hubspot_invoices[-1])

    @precondition(lambda self: self.drafts)
    @rule(which=PICK)
    def finalize_hubspot_invoice(self, which: int) -> None:
        """Status open: from now on the invoice may go to QBO (B4: drafts never do)."""
        self._finalize(_pick(sorted(self.drafts, key=int), which)[1])

    def _finalize(self, invoice: str) -> None:
        self.drafts.discard(invoice)
        self._step("hubspot.update", {"ref": self.names[("invoices", invoice)],
                                      "properties": {"hs_invoice_status": "open"}})

    def _payable(self) -> list[str]:
        """HubSpot invoices a user can pay: their own once finalized, and those the sync made of QBO invoices."""
        mine = set(self.qbo_invoices)
        found = {i for i in self.hubspot_invoices if i not in self.drafts}
        found |= {h for h, q in self.linked.get("invoices", []) if q in mine}
        return sorted(found, key=int)

    @precondition(lambda self: self._payable())
    @rule(which=PICK, part=PART, ach=st.booleans())
    def record_hubspot_payment(self, which: int, part: int | None, ach: bool) -> None:
        """A commerce payment on an open invoice, in full or in part: succeeded, or an ACH payment processing
        (G2: HubSpot shows it paid at once; QBO books it once it succeeded)."""
        _, invoice_id = _pick(self._payable(), which)
        invoice = self.hs.get("invoices", invoice_id, ["hs_invoice_status", "hs_balance_due"])["properties"]
        balance = amount(invoice.get("hs_balance_due"))
        if invoice.get("hs_invoice_status") != "open" or balance <= 0:
            return  # nothing to pay: a user would not get this far
        cents = int(balance * 100)
        paid = balance if part is None else Decimal(1 + (part - 1) % cents).scaleb(-2)
        status = "processing" if ach else "succeeded"
        ref = f"hp{len(self.hubspot_payments) + 1}"
        self._step("hubspot.create", {"ref": ref, "type": "commerce_payments", "properties": {
            "hs_initial_amount": str(paid), "hs_initiated_date": self._today(), "hs_currency_code": "USD",
            "hs_latest_status": status, "hs_payment_method_type": "ach" if ach else "card"}})
        payment = self._name(ref, "hubspot", "commerce_payments", self.world.refs[ref][2])
        self.hubspot_payments[payment] = UserPayment(invoice_id, paid, status, not ach)
        self._step("hubspot.associate", {"from": ref, "to": [self._ref("hubspot", "invoices", invoice_id)]})

    def _processing(self) -> list[str]:
        return sorted((p for p, u in self.hubspot_payments.items() if u.status == "processing"), key=int)

    @precondition(lambda self: self._processing())
    @rule(which=PICK, succeeded=st.booleans())
    def settle_ach_payment(self, which: int, succeeded: bool) -> None:
        """An ACH payment goes through, or fails (then HubSpot no longer counts it)."""
        _, payment = _pick(self._processing(), which)
        user = self.hubspot_payments[payment]
        user.status = "succeeded" if succeeded else "failed"
        user.succeeded |= succeeded
        self._step("hubspot.update", {"ref": self.names[("commerce_payments", payment)],
                                      "properties": {"hs_latest_status": user.status}})

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
        self._run_pass(clean=False)
        self.sims.runtime.faults.clear()
        self.history += [{"fault": {"rules": [dict(fault)]}}, "sync"]

    @rule(point=st.sampled_from(["quickbooks", "hubspot"]))
    def crash_and_restart(self, point: str) -> None:
        self.sync.crash(point)
        self._run_pass(clean=False)
        self.sync.restart()
        self._records = {}  # read again, in case the new engine wrote to the state
        self.history += [{"crash": {"after": point}}, "sync", "restart"]

    # -- the oracle: after every step -------------------------------------------------------------
    @invariant()
    def links_are_a_partial_bijection_that_never_changes(self) -> None:
        if not self._after_a_pass("links"):
            return
        for pair in self.pairs:
            records = self._pair_records(pair)
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
        for pair in self.pairs:
            for r in self._pair_records(pair):
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
        for pair in self.pairs:
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
        protected = {"to-quickbooks": "hubspot", "to-hubspot": "quickbooks"}.get(self.direction["contacts"])
        for (side, record_id), first in self.user_firstnames.items():
            if side != protected:
                continue  # two-way, or the side the sync writes to
            found = contacts[record_id].get("firstname") if side == "hubspot" else customers[record_id]["GivenName"]
            assert found == first, \
                f"the sync wrote {found!r} over {first!r} on the {side} side ({self.direction['contacts']})"

    def _systems(self) -> dict[str, dict]:
        """What both systems hold, read again only when the journal shows a write since the last read, and then
        only the system written to (a round of invariants reads once; a step that only read, or only moved the
        clock, reads nothing; a pass that wrote to HubSpot alone leaves QuickBooks as it was read)."""
        journal = self.sims.runtime.journal
        systems: set[str | None] = {"hubspot", "quickbooks"}
        if self._seen is None:
            stale = systems
        else:
            stale = {e.get("system") for e in api_writes(self.sims, self._seen[0])}
            if not stale <= systems:
                stale = systems  # a write of no known system: read both again
        if stale:
            seen = dict(self._seen[1]) if self._seen is not None else {}
            if "hubspot" in stale:
                seen["contacts"] = {c["id"]: c["properties"]
                                    for c in self.read.list("contacts", ["email", "firstname"])}
                seen["products"] = {p["id"]: p["properties"]
                                    for p in self.read.list("products", ["hs_sku", "name", "price"])}
            if "quickbooks" in stale:
                for name, entity in (("customers", "Customer"), ("items", "Item")):
                    statement = f"SELECT * FROM {entity} WHERE Active IN (true, false)"
                    seen[name] = {e["Id"]: e for e in self.read.query(statement)}
            self._seen = (journal.last_seq(), seen)
        assert self._seen is not None
        return self._seen[1]

    # -- the oracle: money, after every pass --------------------------------------------------------
    def _money(self) -> bool:
        """Whether the money invariants have anything to look at: invoices and payments are driven, and a user
        made one (the sync makes them only of the users')."""
        return self.documents and bool(self.qbo_invoices or self.hubspot_invoices or self.qbo_payments
                                       or self.hubspot_payments)

    def _documents(self) -> Documents:
        """Invoices, payments and line items on both sides, read once a pass."""
        if self._documents_read is None or self._documents_read[0] != self.passes:
            invoices = {str(r["id"]): r["properties"] for r in self.read.list("invoices", INVOICE_PROPS)}
            payments = {str(r["id"]): r["properties"] for r in self.read.list("commerce_payments", PAYMENT_PROPS)}
            line_links = self.read.associations("invoices", "line_items", sorted(invoices)) if invoices else {}
            line_ids = sorted({str(t["toObjectId"]) for targets in line_links.values() for t in targets})
            line_items = {str(li["id"]): li["properties"] for li in self.read.batch_read("line_items", line_ids,
                                                                                        LINE_PROPS)} if line_ids else {}
            paying = self.read.associations("commerce_payments", "invoices", sorted(payments)) if payments else {}
            payments_of: dict[str, list[str]] = {}
            for payment, targets in paying.items():
                for t in targets:
                    payments_of.setdefault(str(t["toObjectId"]), []).append(payment)
            docs = Documents(
                qbo_invoices={str(e["Id"]): e for e in self.read.query("SELECT * FROM Invoice")},
                qbo_payments={str(e["Id"]): e for e in self.read.query("SELECT * FROM Payment")},
                invoices=invoices, payments=payments,
                lines={h: {str(t["toObjectId"]): line_items[str(t["toObjectId"])] for t in targets
                           if str(t["toObjectId"]) in line_items} for h, targets in line_links.items()},
                payments_of=payments_of)
            self._documents_read = (self.passes, docs)
        return self._documents_read[1]

    def _settled_invoices(self, docs: Documents) -> list[tuple[str, str]]:
        """Linked invoices the sync reports synced, on both sides still, voided on neither: (HubSpot, QBO)."""
        out = []
        for r in self.sync.engine.state.records("invoices", status=SYNCED):
            h, q = r.hubspot_id or "", r.qbo_id or ""
            if r.deleted is None and h in docs.invoices and q in docs.qbo_invoices and \
                    not _voided(docs.qbo_invoices[q]) and docs.invoices[h].get("hs_invoice_status") != "voided":
                out.append((h, q))
        return out

    @invariant()
    def linked_invoices_agree_to_the_cent(self) -> None:
        """For every linked invoice the sync reports synced (F2's failures are reported: left out), in whichever
        direction the generation and the pair's settings carried it (QBO's lines into HubSpot, HubSpot's line
        items into QBO), once a pass ran without a fault: both sides have as many lines, the same quantity ×
        price on each (as multisets: each system orders lines its own way), and the same total. HubSpot has no
        invoice tax: a QBO tax becomes a line item "Tax" (sync/pairs/invoices.py), which must carry QBO's
        TotalTax and is counted in hs_amount_billed, as the tax is in TotalAmt. Exact decimals, to the cent."""
        if not self._money() or not self._after_a_clean_pass("lines"):
            return
        docs = self._documents()
        for h, q in self._settled_invoices(docs):
            invoice = docs.qbo_invoices[q]
            books = sorted(_line_value(line) for line in invoice.get("Line") or []
                           if line.get("DetailType") in ("SalesItemLineDetail", "DiscountLineDetail"))
            items = list(docs.lines.get(h, {}).values())
            tax = [i for i in items if str(i.get(LINE_ID_PROPERTY) or "").endswith(":tax")]
            crm = sorted(amount(i.get("quantity") or 1) * amount(i.get("price")) for i in items if i not in tax)
            where = f"invoice QBO {q} / HubSpot {h}"
            assert len(crm) == len(books), f"{where}: {len(books)} lines in QuickBooks, {len(crm)} in HubSpot"
            assert crm == books, f"{where}: quantity × price {books} in QuickBooks but {crm} in HubSpot"
            total_tax = amount((invoice.get("TxnTaxDetail") or {}).get("TotalTax"))
            hubspot_tax = sum((amount(i.get("quantity") or 1) * amount(i.get("price")) for i in tax), Decimal(0))
            assert hubspot_tax == total_tax, f"{where}: tax {total_tax} in QuickBooks, a Tax line of {hubspot_tax}"
            billed, total = amount(docs.invoices[h].get("hs_amount_billed")), amount(invoice.get("TotalAmt"))
            assert billed == total, f"{where}: TotalAmt {total} in QuickBooks but hs_amount_billed {billed} in HubSpot"

    @invariant()
    def hubspot_shows_paid_what_quickbooks_applied(self) -> None:
        """Payments (A2, G1, G2): for every linked invoice as above, once a pass ran without a fault,

            hs_amount_paid − processing − unsent − failed_h  ==  applied − failed_q

        - hs_amount_paid: HubSpot's own sum of the invoice's payments that succeeded or are processing (the
          engine's mirrors of QBO payments included; the ones it withdrew are canceled and not counted);
        - processing: the users' HubSpot payments on it still processing (G2: HubSpot shows the invoice paid,
          QBO books the payment once it succeeded);
        - unsent: the users' HubSpot payments on it that succeeded while the invoice pair's direction does not go
          to QuickBooks (2023, legacy, current to-hubspot: the sync excludes them, direction);
        - failed_h: the users' succeeded HubSpot payments the sync reports failed with a reason (QBO refused it,
          say more than the invoice's open balance: a QBO payment HubSpot did not show yet);
        - applied: the sum of the QBO payments' lines applied to the invoice;
        - failed_q: what the QBO payments the sync reports failed (HubSpot refused the mirror) applied to it.
        Left out: an invoice touched by a QBO payment applied to several invoices (G1 keeps such a payment out of
        HubSpot altogether: excluded, split_payment). A QBO payment a user deleted applies nothing: the pass after
        it learns of the deletion (change data capture; no webhook is delivered here) and cancels its HubSpot
        payment."""
        if not self._money() or not self._after_a_clean_pass("paid"):
            return
        docs = self._documents()
        state = self.sync.engine.state
        to_books = self.direction["invoices"] in (TWO_WAY, TO_QUICKBOOKS) and \
            self.generation.allows("invoices", self.direction["invoices"])
        applying = {p: docs.applied(p) for p in docs.qbo_payments}
        failed_q = {p for p, r in state.by_side_ids("payments", "quickbooks", sorted(applying)).items()
                    if r.status == FAILED}
        for h, q in self._settled_invoices(docs):
            if any(q in a and len(a) > 1 for a in applying.values()):
                continue  # G1
            applied = sum((a[q] for p, a in applying.items() if q in a and p not in failed_q), Decimal(0))
            paid = amount(docs.invoices[h].get("hs_amount_paid"))
            mine = {p: u for p, u in self.hubspot_payments.items() if u.invoice == h}
            failed_h = {p for p, r in state.by_side_ids("payments", "hubspot", sorted(mine)).items()
                        if r.status == FAILED}
            for p, user in mine.items():
                status = str(docs.payments.get(p, {}).get("hs_latest_status") or "").lower()
                if status == "processing" or (status == "succeeded" and (not to_books or p in failed_h)):
                    paid -= user.amount
            assert paid == applied, (f"invoice QBO {q} / HubSpot {h}: HubSpot counts {paid} paid (its own payments "
                                     f"left out as above) but QuickBooks applied {applied}")

    @invariant()
    def one_record_stands_for_one_record(self) -> None:
        """No QBO payment is represented by two HubSpot payments, nor a HubSpot payment by two QBO payments;
        likewise invoices. What the sync made on one side (not a user) carries the id of what it stands for
        (HubSpot) or must be matched by what users made on the other side (QBO), per linked invoice:
        - HubSpot payments and invoices with one QBO id: at most one each, and never one for a QBO payment the
          sync itself made of a HubSpot payment (that one is represented by the user's payment already);
        - the amounts of the HubSpot payments the sync made on an invoice are among those the users' QBO payments
          applied to its QBO invoice (each used once); the amounts of the QBO payments the sync made on an
          invoice are among those of the users' HubSpot payments on it that succeeded (each used once);
        - no more invoices the sync made on a side than users made (finalized, in HubSpot) on the other."""
        if not self._money() or not self._after_a_pass("counterparts"):
            return
        docs = self._documents()
        for what, records, prop in (("invoice", docs.invoices, INVOICE_ID_PROPERTY),
                                    ("payment", docs.payments, PAYMENT_ID_PROPERTY)):
            per_id = Counter(str(p[prop]) for p in records.values() if p.get(prop))
            twice = sorted(k for k, n in per_id.items() if n > 1)
            assert not twice, f"QBO {what}(s) {', '.join(twice)} represented by two HubSpot {what}s"
        mirrored = {str(p[PAYMENT_ID_PROPERTY]) for p in docs.payments.values() if p.get(PAYMENT_ID_PROPERTY)}
        made_in_qbo = set(docs.qbo_payments) - set(self.qbo_payments)
        assert not mirrored & made_in_qbo, \
            f"QBO payment(s) {sorted(mirrored & made_in_qbo)} made of a HubSpot payment came back as another one"
        for h, q in self.linked.get("invoices", []):
            made_in_hubspot = Counter(amount(docs.payments[p].get("hs_initial_amount"))
                                      for p in docs.payments_of.get(h, []) if p in docs.payments
                                      and p not in self.hubspot_payments)
            sources = Counter(a[q] for a in self.qbo_payments.values() if list(a) == [q])
            assert not made_in_hubspot - sources, \
                f"HubSpot invoice {h}: payments {sorted(made_in_hubspot - sources)} the sync made match no QBO payment"
            books = Counter(docs.applied(p)[q] for p in made_in_qbo if q in docs.applied(p))
            paid = Counter(u.amount for u in self.hubspot_payments.values() if u.invoice == h and u.succeeded)
            assert not books - paid, \
                f"QBO invoice {q}: payments {sorted(books - paid)} the sync made match no HubSpot payment"
        users_hubspot = len([i for i in self.hubspot_invoices if i not in self.drafts])
        assert len(set(docs.qbo_invoices) - set(self.qbo_invoices)) <= users_hubspot, \
            "more QBO invoices made by the sync than HubSpot invoices users finalized"
        assert len(set(docs.invoices) - set(self.hubspot_invoices)) <= len(self.qbo_invoices), \
            "more HubSpot invoices made by the sync than QBO invoices users made"

    @invariant()
    def the_sync_deletes_no_invoice_or_payment(self) -> None:
        """Nothing is deleted across systems: an invoice or payment either system held stays there (QBO: unless
        a user deleted it; the sync voids nothing either), HubSpot archives none of them nor the line items of
        the users' invoices, and the users' HubSpot payments keep the status they gave them."""
        if not self._money() or not self._after_a_pass("deletes"):
            return
        docs = self._documents()
        # the line items of the users' invoices (those of invoices the sync made follow QBO's lines, edge 25)
        lines = {li for h in self.hubspot_invoices for li in docs.lines.get(h, {})}
        now = {"Invoice": set(docs.qbo_invoices), "Payment": set(docs.qbo_payments), "invoices": set(docs.invoices),
               "commerce_payments": set(docs.payments), "line_items": lines}
        for kind, ids in now.items():
            gone = sorted(i for i in self.seen.get(kind, set()) - ids if (kind, i) not in self.deleted)
            assert not gone, f"{kind} {', '.join(gone)} deleted, and not by a user"
            self.seen.setdefault(kind, set()).update(ids)
        voided = sorted(i for i, e in docs.qbo_invoices.items() if _voided(e) and i not in self.voided)
        assert not voided, f"QBO invoice(s) {', '.join(voided)} voided, and not by a user"
        voided = sorted(p for p, e in docs.qbo_payments.items() if _voided(e))
        assert not voided, f"QBO payment(s) {', '.join(voided)} voided by the sync"
        for payment, user in self.hubspot_payments.items():
            found = str(docs.payments.get(payment, {}).get("hs_latest_status") or "").lower()
            assert found == user.status, f"HubSpot payment {payment}: the sync made it {found!r}, not {user.status!r}"

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
        contacts = {c["id"]: c["properties"] for c in self.read.list("contacts", ["email", "firstname", "lastname"])}
        customers = {c["Id"]: c for c in self.read.query("SELECT * FROM Customer WHERE Active IN (true, false)")}
        for r in state.records("contacts", status=SYNCED):
            hub, qbo = contacts[r.hubspot_id], customers[r.qbo_id]
            assert canonical(hub.get("firstname")) == canonical(qbo.get("GivenName")), "firstname diverged"
            assert canonical(hub.get("email"), "email") == \
                canonical((qbo.get("PrimaryEmailAddr") or {}).get("Address"), "email"), "email diverged"
        products = {p["id"]: p["properties"] for p in self.read.list("products", ["hs_sku", "name", "price"])}
        items = {i["Id"]: i for i in self.read.query("SELECT * FROM Item WHERE Active IN (true, false)")}
        for r in state.records("products", status=SYNCED):
            hub, qbo = products[r.hubspot_id], items[r.qbo_id]
            for prop, field, kind in (("hs_sku", "Sku", "text"), ("name", "Name", "text"),
                                      ("price", "UnitPrice", "number")):
                h, q = canonical(hub.get(prop), kind), canonical(qbo.get(field), kind)
                assert h == q, f"{prop} diverged: {h!r} in HubSpot, {q!r} in QuickBooks (SKU {hub.get('hs_sku')})"
        # liveness: every record of either system was read and settled (synced, failed or excluded); A6 (legacy)
        # leaves QBO records nobody touched since the switch went on unread
        sides = [("contacts", contacts, customers), ("products", products, items)]
        if self._money():
            docs = self._documents()
            sides += [("invoices", docs.invoices, docs.qbo_invoices), ("payments", docs.payments, docs.qbo_payments)]
        for pair, hubspot_ids, qbo_ids in sides:
            if pair not in self.pairs:
                continue
            known = {(side, getattr(r, f"{side}_id")): r for r in state.records(pair) for side in ("hubspot", "qbo")}
            for side, ids in (("hubspot", hubspot_ids), ("qbo", qbo_ids)):
                for record_id, record in ids.items():
                    found = known.get((side, str(record_id)))
                    if found is None and side == "qbo" and self._before_the_switch(pair, record):
                        continue
                    assert found is not None, f"{pair}: {side} {record_id} was never read"
                    if pair in KEYED:
                        assert found.status != PENDING, f"{pair}: {side} {record_id} never settled ({found.reason})"
                    else:  # documents may wait, saying why: an ACH payment processing (G2), an invoice left out
                        assert found.status != PENDING or found.reason, f"{pair}: {side} {record_id} pending, no reason"

    def _before_the_switch(self, pair: str, entity: dict) -> bool:
        """A6 (legacy): a QBO record last changed before the pair's first pass (QBO stamps seconds)."""
        if pair not in self.generation.recent_records_only or self.first_pass_at is None:
            return False
        changed = parse_iso(str((entity.get("MetaData") or {}).get("LastUpdatedTime")))
        return changed < self.first_pass_at.replace(microsecond=0)

    def _mark(self) -> int:
        return self.sims.runtime.journal.last_seq()


def _line_value(line: dict) -> Decimal:
    """A QBO line's quantity × unit price (QBO keeps Amount equal to it); a discount line counts negative."""
    if line.get("DetailType") == "DiscountLineDetail":
        return -amount(line.get("Amount"))
    detail = line.get("SalesItemLineDetail") or {}
    if detail.get("UnitPrice") in (None, "") or detail.get("Qty") in (None, ""):
        return amount(line.get("Amount"))  # QBO drops a zero price or quantity
    return amount(detail["Qty"]) * amount(detail["UnitPrice"])
