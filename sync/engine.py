"""One sync pass: read changes → plan → apply → record, for each object pair.

- **Read.** Each side's records changed since its watermark (minus a look-back for late or
  same-timestamp changes) are observed into the state, page by page. A record whose version equals
  the one the engine last saw or wrote is skipped: that is how the engine's own writes coming back
  are recognised (no echo, no ping-pong). Observations are saved before the watermark moves.
- **Plan.** Every dirty record is matched, filtered and three-way merged against its base.
- **Apply.** Writes go out in batches (QBO ≤ 30, HubSpot ≤ 100). Creates are recorded as intents
  first and carry a requestid (QBO) or are upserts by a unique property (HubSpot), so a crash or a
  lost answer replays the same write instead of duplicating it.
- **Record.** Links, bases, versions, statuses and the activity log, in one transaction per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import requests

from .clients.http import ApiError
from .clients.hubspot import BatchResult, HubSpotClient
from .clients.quickbooks import QuickBooksClient
from .clock import Clock, SystemClock
from .mapping import TO_HUBSPOT, TO_QUICKBOOKS, snapshot_hubspot, snapshot_qbo
from .merge import merge
from .outcomes import reason, status_of
from .rules import contacts, invoices, products
from .rules.pair import PairRules, hubspot_version
from .settings import PairSettings, Settings
from .state import EXCLUDED, FAILED, HUBSPOT, QUICKBOOKS, SYNCED, Activity, Observation, Record, State, chunks

RULES: dict[str, PairRules] = {r.name: r for r in (contacts.RULES, products.RULES, invoices.INVOICES,
                                                    invoices.PAYMENTS)}
FOLLOWERS = {"invoices": "payments"}  # payments sync with their invoices, under the invoice pair's settings


def with_followers(names: Iterable[str]) -> list[str]:
    """Pair names, each followed by the pair that syncs under its settings (invoices, then payments)."""
    return [n for name in names for n in (name, FOLLOWERS.get(name)) if n]
QBO_BATCH = 30
HUBSPOT_BATCH = 100
PLAN_CHUNK = 990  # dirty records planned together: 33 QBO batches, one round of look-ups

Progress = Callable[[str, str, int], None]  # (pair, phase, records done)


@dataclass
class PairReport:
    observed: dict[str, int] = field(default_factory=lambda: {HUBSPOT: 0, QUICKBOOKS: 0})
    created: dict[str, int] = field(default_factory=lambda: {HUBSPOT: 0, QUICKBOOKS: 0})
    updated: dict[str, int] = field(default_factory=lambda: {HUBSPOT: 0, QUICKBOOKS: 0})
    failed: int = 0
    excluded: int = 0
    conflicts: int = 0
    complete: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


@dataclass
class PassReport:
    pairs: dict[str, PairReport] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return sum(p.writes for p in self.pairs.values())

    @property
    def complete(self) -> bool:
        return all(p.complete for p in self.pairs.values())


class Incomplete(Exception):
    """A pair's pass stopped on a transient failure; its dirty records wait for the next pass."""


class Engine:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, state: State | None = None,
                 quickbooks: QuickBooksClient | None = None, hubspot: HubSpotClient | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.state = state or State(settings.state)
        self.quickbooks = quickbooks or self._quickbooks_client()
        self.hubspot = hubspot or self._hubspot_client()
        self.progress = progress
        self._income_accounts: dict[str, dict] = {}
        self._company: dict | None = None  # read once a pass (QBO settings can change between passes)
        self._currency: str | None = None
        self._ensured: set[str] = set()
        # A seam for crash tests: called with the side after a batch write was answered, before it is recorded.
        self.before_record: Callable[[str], None] | None = None

    # -- clients, with the rotated QBO refresh token kept in the state -----------------------------
    def _quickbooks_client(self) -> QuickBooksClient:
        c = self.settings.quickbooks
        saved = self.state.get_value("quickbooks_tokens") or {}

        def keep(tokens: dict) -> None:
            self.state.set_value("quickbooks_tokens", {**tokens, "original": c.refresh_token})

        refresh = saved.get("refresh_token") if saved.get("original") == c.refresh_token else None
        return QuickBooksClient(c.base_url, c.realm_id, client_id=c.client_id, client_secret=c.client_secret,
                                refresh_token=refresh or c.refresh_token,
                                access_token=saved.get("access_token") if refresh else c.access_token,
                                token_url=c.token_url, clock=self.clock, on_tokens=keep)

    def _hubspot_client(self) -> HubSpotClient:
        c = self.settings.hubspot
        return HubSpotClient(c.base_url, access_token=c.access_token, client_id=c.client_id,
                             client_secret=c.client_secret, refresh_token=c.refresh_token, clock=self.clock)

    # -- the pass ----------------------------------------------------------------------------------
    def run_pass(self, pairs: Iterable[str] | None = None) -> PassReport:
        """Sync now (A3): every enabled pair, or the ones named."""
        report = PassReport()
        self._company = None
        before = {QUICKBOOKS: self.quickbooks.calls, HUBSPOT: self.hubspot.calls}
        for name in self._runs(pairs or self.settings.pairs):
            settings = self.pair_settings(name)
            pair_report = report.pairs.setdefault(name, PairReport())
            try:
                self._sync_pair(RULES[name], settings, pair_report)
            except (Incomplete, ApiError, requests.RequestException) as stop:
                pair_report.complete = False  # what was applied is recorded; the rest waits for the next pass
                pair_report.problems.append(str(stop))
        report.calls = {QUICKBOOKS: self.quickbooks.calls - before[QUICKBOOKS],
                        HUBSPOT: self.hubspot.calls - before[HUBSPOT]}
        return report

    def _runs(self, names: Iterable[str]) -> list[str]:
        """The enabled pairs among ``names``, each followed by the pair that syncs under its settings."""
        pairs = self.settings.pairs
        return with_followers(n for n in names if n in pairs and pairs[n].enabled)  # A4: off keeps the state

    def pair_settings(self, name: str) -> PairSettings:
        """A pair's settings; a follower (payments) runs under its leader's (invoices)."""
        if name in self.settings.pairs:
            return self.settings.pairs[name]
        leader = next(k for k, v in FOLLOWERS.items() if v == name)
        return replace(self.settings.pairs[leader], name=name, mappings=[], filters_to_hubspot=[],
                       filters_to_quickbooks=[])

    def _sync_pair(self, rules: PairRules, settings: PairSettings, report: PairReport) -> None:
        self._replay_intents(rules, settings, report)
        self._observe_quickbooks(rules, settings, report)
        self._observe_hubspot(rules, settings, report)
        report.problems += rules.before_apply(self, settings)
        self._apply(rules, settings, report)

    def checkpoint(self, side: str) -> None:
        """A batch written to ``side`` was answered and is about to be recorded (crash tests stop here)."""
        if self.before_record is not None:
            self.before_record(side)

    def _tell(self, pair: str, phase: str, done: int) -> None:
        if self.progress is not None:
            self.progress(pair, phase, done)

    # -- read --------------------------------------------------------------------------------------
    def _since(self, pair: str, side: str) -> datetime | None:
        mark = self.state.watermark(pair, side)
        return mark - timedelta(seconds=self.settings.lookback_seconds) if mark else None

    def _observe_quickbooks(self, rules: PairRules, settings: PairSettings, report: PairReport) -> None:
        pages = self.quickbooks.query_pages(rules.qbo_statement(self._since(rules.name, QUICKBOOKS)))
        self._read(rules, QUICKBOOKS, pages, lambda e: rules.observe_qbo(e, settings), report)

    def _observe_hubspot(self, rules: PairRules, settings: PairSettings, report: PairReport) -> None:
        records = self.hubspot.search_modified_since(rules.hubspot_type, rules.hubspot_modified,
                                                     self._since(rules.name, HUBSPOT),
                                                     rules.hubspot_properties(settings))
        self._read(rules, HUBSPOT, _pages(records, 200), lambda r: rules.observe_hubspot(r, settings), report)

    def _read(self, rules: PairRules, side: str, pages: Iterable[list[dict]], make: Callable[[dict], Observation],
              report: PairReport) -> None:
        """Observe a side's changes page by page; then move its watermark to the server's time of the first answer."""
        client = self.quickbooks if side == QUICKBOOKS else self.hubspot
        name = "QuickBooks" if side == QUICKBOOKS else "HubSpot"
        started: datetime | None = None
        try:
            for page in pages:
                started = started or client.server_time or self.clock.now()
                self._observe(rules.name, [make(item) for item in page])
                report.observed[side] += len(page)
                self._tell(rules.name, f"read {name}", report.observed[side])
        except (ApiError, requests.RequestException) as exc:
            raise Incomplete(f"reading {name}: {exc}") from exc
        self.state.set_watermark(rules.name, side, started or client.server_time or self.clock.now())

    def observe(self, pair: str, side: str, items: list[dict], force: bool = False) -> None:
        """Observe records read outside a pass (a webhook's re-read); ``force`` plans them even if unchanged."""
        rules, settings = RULES[pair], self.pair_settings(pair)
        make = rules.observe_hubspot if side == HUBSPOT else rules.observe_qbo
        self._observe(pair, [make(item, settings) for item in items], force)

    def _observe(self, pair: str, observations: list[Observation], force: bool = False) -> None:
        """Save what was read; link a new record to the other side's record with its match key (D3, E1)."""
        if not observations:
            return
        side = observations[0].side
        other = QUICKBOOKS if side == HUBSPOT else HUBSPOT
        now = self.clock.now()
        with self.state.transaction() as conn:
            known = self.state.by_side_ids(pair, side, [o.id for o in observations], conn)
            fresh = [o.match_key for o in observations if o.id not in known and o.match_key]
            candidates = self.state.by_match_keys(pair, fresh, conn)
            changed: list[Record] = []
            log: list[Activity] = []
            for o in observations:
                record = known.get(o.id)
                if record is not None and not force and \
                        (record.hubspot_version if side == HUBSPOT else record.qbo_version) == o.version:
                    continue  # unchanged since the engine last saw or wrote it
                if record is None:
                    record = self._match(candidates.get(o.match_key or "", []), side, other)
                    if record is None:
                        record = Record(pair=pair)
                        candidates.setdefault(o.match_key or "", []).append(record)
                    elif record.id is not None:
                        log.append(Activity(record.id, pair, "matched", side, detail={"key": o.match_key}))
                    known[o.id] = record
                self._take(record, o)
                changed.append(record)
            self.state.save(changed, conn, now)
            self.state.log(log, now, conn)

    @staticmethod
    def _match(candidates: list[Record], side: str, other: str) -> Record | None:
        """The oldest record of the other side with this key and no partner yet (edge case 6)."""
        free = [c for c in candidates if c.side_id(side) is None and c.side_id(other) and c.deleted is None]
        return min(free, key=lambda c: _numeric(c.side_id(other))) if free else None

    @staticmethod
    def _take(record: Record, o: Observation) -> None:
        if o.side == HUBSPOT:
            record.hubspot_id, record.hubspot_version = o.id, o.version
            record.hubspot_values, record.hubspot_extra = o.values, o.extra
        else:
            record.qbo_id, record.qbo_version = o.id, o.version
            record.qbo_values, record.qbo_extra = o.values, o.extra
        if o.match_key:
            record.match_key = o.match_key
        record.label = o.label or record.label
        record.dirty = True

    # -- plan and apply ----------------------------------------------------------------------------
    def _apply(self, rules: PairRules, settings: PairSettings, report: PairReport) -> None:
        after, done = 0, 0
        while True:
            records = self.state.dirty(rules.name, after, PLAN_CHUNK)
            if not records:
                return
            after = records[-1].id or after
            self.batch(rules, settings, report, records).run()
            done += len(records)
            self._tell(rules.name, "write", done)

    # -- webhooks: records named by an event are re-read by id ---------------------------------------
    def notify(self, side: str, events: list[tuple[str, str, bool]]) -> None:
        """Schedule (pair, id, deleted) events of one system; a deletion leaves a tombstone at once."""
        enabled = self._runs(self.settings.pairs)
        for pair, object_id, deleted in events:
            if pair not in enabled:
                continue
            if deleted:
                record = self.state.by_side_ids(pair, side, [object_id]).get(object_id)
                if record is not None and record.deleted is None:
                    record.deleted, record.dirty = side, True
                    self.state.save([record], now=self.clock.now())
                continue
            key = f"pending:{pair}:{side}"
            pending = set(self.state.get_value(key) or [])
            if object_id not in pending:
                self.state.set_value(key, sorted(pending | {object_id}))

    def repoint(self, side: str, merged: list[tuple[str, str, str]]) -> None:
        """Records merged on one side (edge cases 46, 47): the merged-away record's link moves to the survivor when
        the survivor has none, so it is never created a second time; the other side is never merged."""
        for pair, old, new in merged:
            found = self.state.by_side_ids(pair, side, [old, new])
            gone, survivor = found.get(old), found.get(new)
            if gone is None or survivor is gone:
                continue
            other = QUICKBOOKS if side == HUBSPOT else HUBSPOT
            if not gone.side_id(other) or (survivor is not None and survivor.side_id(other)):
                continue  # nothing to move, or both linked: the merged-away one is tombstoned by its delete event
            now = self.clock.now()
            if survivor is not None:  # the survivor's own unlinked record gives way
                setattr(survivor, "hubspot_id" if side == HUBSPOT else "qbo_id", None)
                survivor.deleted, survivor.status, survivor.reason, survivor.dirty = side, EXCLUDED, "merged", False
                self.state.save([survivor], now=now)
            setattr(gone, "hubspot_id" if side == HUBSPOT else "qbo_id", new)
            setattr(gone, "hubspot_version" if side == HUBSPOT else "qbo_version", None)
            gone.dirty = True
            self.state.save([gone], now=now)
            self.state.log([Activity(gone.id or 0, pair, "repointed", side, detail={"from": old, "to": new})], now)

    def has_notifications(self) -> bool:
        """Whether webhooks named records (or left a tombstone) that wait to be applied."""
        return any(self.state.get_value(f"pending:{pair}:{side}")
                   or any(r.deleted for r in self.state.dirty(pair, 0, 50))
                   for pair in self._runs(self.settings.pairs) for side in (HUBSPOT, QUICKBOOKS))

    def run_notifications(self) -> PassReport:
        """Re-read the records webhooks named, and apply what changed (watermarks stay where they are)."""
        report = PassReport()
        before = {QUICKBOOKS: self.quickbooks.calls, HUBSPOT: self.hubspot.calls}
        self._company = None
        for name in self._runs(self.settings.pairs):
            settings = self.pair_settings(name)
            rules, pair_report = RULES[name], report.pairs.setdefault(name, PairReport())
            try:
                self._replay_intents(rules, settings, pair_report)
                for side in (QUICKBOOKS, HUBSPOT):
                    key = f"pending:{name}:{side}"
                    ids = self.state.get_value(key) or []
                    if ids:
                        pair_report.observed[side] += self._reread(rules, settings, side, ids)
                        self.state.set_value(key, [])
                self._apply(rules, settings, pair_report)
            except (Incomplete, ApiError, requests.RequestException) as stop:
                pair_report.complete = False
                pair_report.problems.append(str(stop))
        report.calls = {QUICKBOOKS: self.quickbooks.calls - before[QUICKBOOKS],
                        HUBSPOT: self.hubspot.calls - before[HUBSPOT]}
        return report

    def _reread(self, rules: PairRules, settings: PairSettings, side: str, ids: list[str]) -> int:
        try:
            if side == HUBSPOT:
                items = self.hubspot.batch_read(rules.hubspot_type, ids, rules.hubspot_properties(settings))
            else:
                items = []
                for chunk in chunks(ids, 500):
                    quoted = ", ".join(f"'{i}'" for i in chunk)
                    active = " AND Active IN (true, false)" if rules.qbo_has_active else ""
                    items += self.quickbooks.query(f"SELECT * FROM {rules.qbo_entity} WHERE Id IN ({quoted}){active}")
        except (ApiError, requests.RequestException) as exc:
            raise Incomplete(f"re-reading records named by webhooks: {exc}") from exc
        self.observe(rules.name, side, list(items))
        return len(items)

    # -- intents: creates whose answers may have been lost -----------------------------------------
    def _replay_intents(self, rules: PairRules, settings: PairSettings, report: PairReport) -> None:
        for intent in self.state.intents(rules.name):
            payload = intent["payload"]
            records = self._records(payload["record_ids"])
            batch = self.batch(rules, settings, report, records)
            batch.pending_base = {int(k): v for k, v in payload.get("bases", {}).items()}
            by_id = {r.id: r for r in records}
            batch.hubspot_updates = [(by_id[int(k)], values, batch.pending_base.get(int(k), by_id[int(k)].base))
                                     for k, values in payload.get("hubspot", {}).items() if int(k) in by_id]
            try:
                if intent["target"] == QUICKBOOKS:
                    answers = self.quickbooks.batch(payload["items"], request_id=intent["request_id"])
                    batch.record_quickbooks(payload["items"], answers, intent["id"])
                    batch.after_replay()
                else:
                    result = self.hubspot.batch_upsert(rules.hubspot_type, payload["inputs"],
                                                       rules.hubspot_id_property)
                    batch.record_hubspot_creates(payload["inputs"], records, result, intent["id"])
            except (ApiError, requests.RequestException) as exc:
                raise Incomplete(f"replaying an unfinished write: {exc}") from exc

    def batch(self, rules: PairRules, settings: PairSettings, report: PairReport, records: list[Record]) -> _Batch:
        """The planner of one chunk: the generic one, or a pair's own (invoices, payments: sync/transactions.py)."""
        from .transactions import BATCHES

        return BATCHES.get(rules.name, _Batch)(self, rules, settings, report, records)

    def _records(self, ids: list[int]) -> list[Record]:
        """The records of ``ids``, in that order (a missing one would be a bug: fail loudly)."""
        return [self.state.get(i) for i in ids]  # type: ignore[misc]

    # -- look-ups shared by the pairs ---------------------------------------------------------------
    def company(self, fresh: bool = False) -> dict:
        """What invoice rules need of the QBO company, read once a pass (``fresh``: now): country (F4), custom
        transaction numbers (F6), home currency (I8) and its sales-form custom fields, name → DefinitionId (F12)."""
        if self._company is None or fresh:
            info = next(iter(self.quickbooks.query("SELECT * FROM CompanyInfo")), {})
            prefs = next(iter(self.quickbooks.query("SELECT * FROM Preferences")), {})
            sales = prefs.get("SalesFormsPrefs") or {}
            flags, names = {}, {}
            for group in sales.get("CustomField") or []:
                for f in group.get("CustomField") or []:
                    name = str(f.get("Name", ""))
                    if name.startswith("SalesFormsPrefs.UseSalesCustom"):
                        flags[name[-1]] = f.get("BooleanValue") is True
                    elif name.startswith("SalesFormsPrefs.SalesCustomName"):
                        names[name[-1]] = str(f.get("StringValue") or "")
            self._company = {
                "country": info.get("Country") or "US",
                "custom_numbers": bool(sales.get("CustomTxnNumbers")),
                "currency": ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value") or "USD",
                "custom_fields": {names.get(slot, ""): slot for slot in ("1", "2", "3") if flags.get(slot)},
            }
        return self._company

    def company_currency(self) -> str:
        """The HubSpot account's company currency (F7), read once."""
        if self._currency is None:
            try:
                self._currency = str(self.hubspot.account_details().get("companyCurrency") or "USD")
            except ApiError:
                self._currency = "USD"
        return self._currency

    def income_account(self, wanted: str) -> dict:
        """The QBO income account (by Id or name) items created from HubSpot are booked on."""
        if wanted not in self._income_accounts:
            accounts = list(self.quickbooks.query("SELECT * FROM Account WHERE AccountType = 'Income'"))
            found = next((a for a in accounts if wanted in (a["Id"], a.get("Name"))), None) or \
                (accounts[0] if accounts else None)
            if found is None:
                raise Incomplete("QuickBooks has no income account to book items on")
            self._income_accounts[wanted] = {"value": found["Id"], "name": found.get("Name")}
        return self._income_accounts[wanted]

    def ensure_hubspot_property(self, object_type: str, definition: dict) -> None:
        key = f"{object_type}:{definition['name']}"
        if key in self._ensured or self.state.get_value(f"property:{key}"):
            self._ensured.add(key)
            return
        names = {p["name"] for p in self.hubspot.properties(object_type)}
        if definition["name"] not in names:
            self.hubspot.create_property(object_type, definition)
        self.state.set_value(f"property:{key}", True)
        self._ensured.add(key)


class _Batch:
    """One chunk of dirty records: decide each, write in batches, record the outcome."""

    def __init__(self, engine: Engine, rules: PairRules, settings: PairSettings, report: PairReport,
                 records: list[Record]) -> None:
        self.engine, self.rules, self.settings, self.report = engine, rules, settings, report
        self.pair = rules.name
        self.records = records
        self.by_id = {r.id: r for r in records}
        self.log: list[Activity] = []
        self.done: list[Record] = []
        self.qbo_items: list[dict] = []
        self.hubspot_creates: list[tuple[Record, dict]] = []
        self.hubspot_updates: list[tuple[Record, dict, dict]] = []  # record, values, new base
        self.pending_base: dict[int, dict] = {}
        self.invoices: dict[str, list[dict]] | None = None

    # -- decide ------------------------------------------------------------------------------------
    def run(self) -> None:
        s = self.settings
        creates_to_qbo = []
        for r in self.records:
            if r.deleted or self._deactivated_in_quickbooks(r):
                self._tombstone(r)
            elif bool(r.hubspot_id) != bool(r.qbo_id):  # on one side only: create it on the other?
                source, towards = (HUBSPOT, TO_QUICKBOOKS) if r.hubspot_id else (QUICKBOOKS, TO_HUBSPOT)
                code = self._why_not_create(r, source, towards)
                if code:
                    self._end(r, status_of(code), code)
                elif source == HUBSPOT:
                    creates_to_qbo.append(r)
                else:
                    self.hubspot_creates.append((r, r.values(QUICKBOOKS)))
            else:
                self._plan_linked(r)
        context = self.rules.prepare(self.engine, creates_to_qbo, s) if creates_to_qbo else {}
        maps = s.maps_towards(TO_QUICKBOOKS)
        for r in creates_to_qbo:
            body = self.rules.qbo_body(r, r.values(HUBSPOT), maps, True, context, s)
            self.qbo_items.append({"bId": str(r.id), "operation": "create", self.rules.qbo_entity: body})
            self.pending_base[r.id or 0] = {m.id: r.values(HUBSPOT).get(m.id, "") for m in s.mappings
                                            if not m.create_only}
        self._write_quickbooks()
        self._write_hubspot()
        self._save()

    def _deactivated_in_quickbooks(self, r: Record) -> bool:
        """QBO never deletes a customer or item: it makes it inactive. Only D4's legacy setting reads that as a delete
        (edge case 10: otherwise inactive records go on syncing)."""
        return self.settings.on_delete == "deactivate" and bool(r.qbo_id and r.hubspot_id) \
            and r.extra(QUICKBOOKS).get("active") is False

    def after_replay(self) -> None:
        """After an unfinished QBO write is replayed: the HubSpot half of its merges."""
        if self.hubspot_updates:
            self._write_hubspot()
        self._save()

    def _tombstone(self, r: Record) -> None:
        """Deleted on one side: never recreated; with D4's legacy setting the other side is deactivated too."""
        side = r.deleted or QUICKBOOKS
        if self.settings.on_delete == "deactivate" and r.deleted != "both":
            try:
                if side == HUBSPOT and r.qbo_id:
                    body = {"Id": r.qbo_id, "SyncToken": r.qbo_version, "sparse": True, "Active": False}
                    entity = self.engine.quickbooks.update(self.rules.qbo_entity, body,
                                                           request_id=f"hsqbo-off-{self.pair}-{r.qbo_id}")
                    r.qbo_version = str(entity.get("SyncToken", ""))
                    self.log.append(Activity(r.id or 0, self.pair, "deactivated", QUICKBOOKS, rule="D4"))
                elif side == QUICKBOOKS and r.hubspot_id:
                    self.engine.hubspot.archive(self.rules.hubspot_type, r.hubspot_id)
                    self.log.append(Activity(r.id or 0, self.pair, "archived", HUBSPOT, rule="D4"))
            except ApiError as exc:
                self._end(r, FAILED, "rejected_by_quickbooks" if side == HUBSPOT else "rejected_by_hubspot", str(exc))
                return
            r.deleted = "both"
        r.deleted = r.deleted or side
        self._end(r, EXCLUDED, "deleted")

    def _why_not_create(self, r: Record, source: str, towards: str) -> str | None:
        s = self.settings
        if s.direction not in ("two-way", towards):
            return "direction"
        code = self.rules.exclusion(r, source, s)
        if code:
            return code
        if not s.passes(self._filter_props(r, source), towards):
            return "filtered_out"
        if r.match_key:
            others = [o for o in self.engine.state.by_match_keys(self.pair, [r.match_key]).get(r.match_key, [])
                      if o.id != r.id and o.deleted is None]
            mine = _numeric(r.side_id(source))
            # edge case 6: of several records sharing a key, only the oldest is created; never a third record
            if any((o.hubspot_id and o.qbo_id) or (o.side_id(source) and _numeric(o.side_id(source)) < mine)
                   for o in others):
                return "duplicate_email" if self.pair == "contacts" else "duplicate_sku"
            if self.pair == "products" and self.engine.state.folded_match(self.pair, r.match_key, r.id):
                return "sku_case_mismatch"  # edge case 32: reported, never created as a near-twin
        return None

    def _filter_props(self, r: Record, side: str) -> dict:
        props = dict(r.extra(side).get("props", {}))
        if side == HUBSPOT and self.settings.needs_invoices(TO_QUICKBOOKS):
            props["__invoices__"] = self._invoices().get(r.hubspot_id or "", [])
        return props

    def _invoices(self) -> dict[str, list[dict]]:
        """C1: the HubSpot invoices associated with this chunk's records, read once per chunk."""
        if self.invoices is None:
            ids = [r.hubspot_id for r in self.records if r.hubspot_id]
            links = self.engine.hubspot.associations(self.rules.hubspot_type, "invoices", ids) if ids else {}
            invoice_ids = sorted({str(t["toObjectId"]) for targets in links.values() for t in targets})
            wanted = sorted({f.invoice_property for g in self.settings.filters_to_quickbooks for f in g
                             if f.on_invoice})
            found = {i["id"]: i.get("properties") or {}
                     for i in (self.engine.hubspot.batch_read("invoices", invoice_ids, wanted) if invoice_ids else [])}
            self.invoices = {str(k): [found[str(t["toObjectId"])] for t in v if str(t["toObjectId"]) in found]
                             for k, v in links.items()}
        return self.invoices

    def _plan_linked(self, r: Record) -> None:
        s = self.settings
        to_q = s.direction in ("two-way", TO_QUICKBOOKS) and s.passes(self._filter_props(r, HUBSPOT), TO_QUICKBOOKS)
        to_h = s.direction in ("two-way", TO_HUBSPOT) and s.passes(self._filter_props(r, QUICKBOOKS), TO_HUBSPOT)
        if not (to_q or to_h):
            self._end(r, EXCLUDED, "filtered_out")  # B4: stops syncing; nothing is deleted on either side
            return
        direction = "two-way" if to_q and to_h else (TO_QUICKBOOKS if to_q else TO_HUBSPOT)
        m = merge(s.mappings, direction, s.conflict, r.base, r.values(HUBSPOT), r.values(QUICKBOOKS))
        for c in m.conflicts:
            self.report.conflicts += 1
            self.log.append(Activity(r.id or 0, self.pair, "conflict", rule="B2", detail=c))
        if m.to_quickbooks:
            body = self.rules.qbo_body(r, m.to_quickbooks, s.mappings, False, {}, s)
            body.update(Id=r.qbo_id, SyncToken=r.qbo_version, sparse=True)
            self.qbo_items.append({"bId": str(r.id), "operation": "update", self.rules.qbo_entity: body})
        if m.to_hubspot:
            self.hubspot_updates.append((r, m.to_hubspot, m.base))
        self.pending_base[r.id or 0] = m.base
        if not m.to_quickbooks and not m.to_hubspot:
            r.base = m.base
            self._end(r, SYNCED)

    # -- QuickBooks writes -------------------------------------------------------------------------
    def _write_quickbooks(self) -> None:
        for chunk in chunks(self.qbo_items, QBO_BATCH):
            request_id = f"hsqbo-{uuid.uuid4().hex[:24]}"  # ≤ 36 characters for a batch
            ids = [int(i["bId"]) for i in chunk]
            intent = None
            if any(i["operation"] == "create" for i in chunk):
                # with what the merge still sends to HubSpot: a replay must not lose that half (a crash after QBO)
                payload = {"items": chunk, "record_ids": ids, "bases": self._bases(ids),
                           "hubspot": {str(r.id): values for r, values, _ in self.hubspot_updates if r.id in ids}}
                intent = self.engine.state.add_intent(self.pair, QUICKBOOKS, request_id, payload,
                                                      self.engine.clock.now())
            try:
                answers = self.engine.quickbooks.batch(chunk, request_id=request_id)
            except (ApiError, requests.RequestException) as exc:
                self._save()
                raise Incomplete(f"writing to QuickBooks: {exc}") from exc
            self.engine.checkpoint(QUICKBOOKS)
            self.record_quickbooks(chunk, answers, intent)

    def record_quickbooks(self, items: list[dict], answers: list[dict], intent: int | None) -> None:
        stale = []
        for item, answer in zip(items, answers, strict=True):
            r = self.by_id.get(int(item["bId"]))
            if r is None:
                continue
            creating = item["operation"] == "create"
            error = QuickBooksClient.fault_of(answer)
            if error is None:
                entity = answer[self.rules.qbo_entity]
                r.qbo_id, r.qbo_version = str(entity["Id"]), str(entity.get("SyncToken", ""))
                r.qbo_values = snapshot_qbo(entity, self.settings.mappings)
                r.qbo_extra = self.rules.observe_qbo(entity, self.settings).extra
                r.base = self.pending_base.get(r.id or 0, r.base)
                self.report.created[QUICKBOOKS] += creating
                self.report.updated[QUICKBOOKS] += not creating
                self.log.append(Activity(r.id or 0, self.pair, "created" if creating else "updated", QUICKBOOKS,
                                         detail={"id": r.qbo_id}))
                if not any(u[0] is r for u in self.hubspot_updates):
                    self._end(r, SYNCED)
            elif error.code == "5010" and not creating:
                stale.append(r)  # edge case 24: someone edited it meanwhile; re-read and merge again
            else:
                code = self.rules.qbo_failure(error, creating)
                self._end(r, FAILED, code, f"{error.message}: {error.detail}".strip(": "))
                self.hubspot_updates = [u for u in self.hubspot_updates if u[0] is not r]
        self._save(intent)
        if stale:
            self._retry_stale(stale)

    def _retry_stale(self, stale: list[Record]) -> None:
        ids = ", ".join(f"'{r.qbo_id}'" for r in stale)
        active = " AND Active IN (true, false)" if self.rules.qbo_has_active else ""
        fresh = list(self.engine.quickbooks.query(f"SELECT * FROM {self.rules.qbo_entity} WHERE Id IN ({ids}){active}"))
        self.engine.observe(self.pair, QUICKBOOKS, fresh)
        for r in stale:  # still dirty: the next chunk of this pass or the next pass merges them again
            self.log.append(Activity(r.id or 0, self.pair, "stale", QUICKBOOKS, rule="I5"))

    # -- HubSpot writes ----------------------------------------------------------------------------
    def _write_hubspot(self) -> None:
        rules, hubspot = self.rules, self.engine.hubspot
        if self.hubspot_creates and rules.hubspot_id_definition:
            self.engine.ensure_hubspot_property(rules.hubspot_type, rules.hubspot_id_definition)
        maps = self.settings.maps_towards(TO_HUBSPOT)
        for chunk in chunks(self.hubspot_creates, HUBSPOT_BATCH):
            inputs = []
            for r, values in chunk:
                key, props = rules.hubspot_create(r, values, maps)
                inputs.append({"id": key, "idProperty": rules.hubspot_id_property, "properties": props})
                self.pending_base[r.id or 0] = {m.id: values.get(m.id, "") for m in self.settings.mappings
                                                if not m.create_only}
            ids = [r.id or 0 for r, _ in chunk]
            payload = {"inputs": inputs, "record_ids": ids, "bases": self._bases(ids)}
            intent = self.engine.state.add_intent(self.pair, HUBSPOT, "", payload, self.engine.clock.now())
            try:
                result = hubspot.batch_upsert(rules.hubspot_type, inputs, rules.hubspot_id_property)
            except ApiError as exc:
                if exc.status != 400:
                    self._save()
                    raise Incomplete(f"writing to HubSpot: {exc}") from exc
                result = self._one_by_one(chunk, inputs)  # a batch fails whole: find the bad input
            except requests.RequestException as exc:
                self._save()
                raise Incomplete(f"writing to HubSpot: {exc}") from exc
            self.engine.checkpoint(HUBSPOT)
            self.record_hubspot_creates(inputs, [r for r, _ in chunk], result, intent)
        for chunk in chunks(self.hubspot_updates, HUBSPOT_BATCH):
            self._update_hubspot(chunk)

    def _one_by_one(self, chunk: list, inputs: list[dict]) -> object:
        results, errors = [], []
        for inp in inputs:
            try:
                results += self.engine.hubspot.batch_upsert(self.rules.hubspot_type, [inp],
                                                            self.rules.hubspot_id_property).results
            except ApiError as exc:
                body = exc.body if isinstance(exc.body, dict) else {"message": str(exc.body)}
                errors.append({**body, "context": {"id": [inp["id"]]}})
        return BatchResult(results=results, errors=errors)

    def _bases(self, ids: list[int]) -> dict[str, dict]:
        return {str(i): self.pending_base[i] for i in ids if i in self.pending_base}

    def record_hubspot_creates(self, inputs: list[dict], records: list[Record], result: object,
                               intent: int | None) -> None:
        key_prop = self.rules.hubspot_id_property
        by_key = {}
        for made in result.results:  # type: ignore[attr-defined]
            props = made.get("properties") or {}
            by_key[str(props.get(key_prop, "")).lower()] = made
        failed = {str(i).lower() for e in result.errors for i in (e.get("context") or {}).get("id", [])}  # type: ignore[attr-defined]
        taken = self.engine.state.by_side_ids(self.pair, HUBSPOT, [str(m["id"]) for m in by_key.values()])
        for inp, r in zip(inputs, records, strict=True):
            made = by_key.get(str(inp["id"]).lower())
            holder = taken.get(str(made["id"])) if made is not None else None
            if holder is not None and holder.id != r.id:
                # the upsert met a HubSpot record another record is already linked with: never link it twice
                self._end(r, EXCLUDED, "duplicate_email" if self.pair == "contacts" else "duplicate_sku")
            elif made is not None:
                r.hubspot_id = str(made["id"])
                r.hubspot_values = snapshot_hubspot({"properties": {**inp["properties"],
                                                                    **(made.get("properties") or {})}},
                                                    self.settings.mappings)
                r.hubspot_version = hubspot_version(str(made.get("updatedAt")), r.hubspot_values)
                r.base = self.pending_base.get(r.id or 0, r.base)
                self.report.created[HUBSPOT] += 1
                self.log.append(Activity(r.id or 0, self.pair, "created", HUBSPOT, detail={"id": r.hubspot_id}))
                self._end(r, SYNCED)
            else:
                error = next((e for e in result.errors  # type: ignore[attr-defined]
                              if str(inp["id"]).lower() in failed), {})
                self._end(r, FAILED, self.rules.hubspot_failure(error), error.get("message"))
        self._save(intent)

    def _update_hubspot(self, chunk: list[tuple[Record, dict, dict]]) -> None:
        maps = self.settings.mappings
        inputs = [{"id": r.hubspot_id, "properties": self.rules.hubspot_properties_for(values, maps)}
                  for r, values, _ in chunk]
        try:
            results = {str(x["id"]): x for x in self.engine.hubspot.batch_update(self.rules.hubspot_type,
                                                                                   inputs).results}
            errors: dict[str, dict] = {}
        except ApiError as exc:
            if exc.status not in (400, 404):
                self._save()
                raise Incomplete(f"writing to HubSpot: {exc}") from exc
            results, errors = {}, {}
            for inp in inputs:  # one bad value fails a whole batch: write one by one to find it
                try:
                    results[str(inp["id"])] = self.engine.hubspot.update(self.rules.hubspot_type, inp["id"],
                                                                         inp["properties"])
                except ApiError as single:
                    errors[str(inp["id"])] = single.body if isinstance(single.body, dict) else {}
                    errors[str(inp["id"])]["status"] = single.status
        for r, values, base in chunk:
            made = results.get(str(r.hubspot_id))
            if made is not None:
                r.hubspot_values = {**r.values(HUBSPOT), **values}
                r.hubspot_version = hubspot_version(str(made.get("updatedAt")), r.hubspot_values)
                r.base = base
                self.report.updated[HUBSPOT] += 1
                self.log.append(Activity(r.id or 0, self.pair, "updated", HUBSPOT, detail=values))
                self._end(r, SYNCED)
            elif errors.get(str(r.hubspot_id), {}).get("status") == 404:
                r.deleted = HUBSPOT  # archived in HubSpot meanwhile: a tombstone, never recreated (edge 9)
                self._end(r, EXCLUDED, "deleted")
            else:
                error = errors.get(str(r.hubspot_id), {})
                self._end(r, FAILED, self.rules.hubspot_failure(error), error.get("message"))
        self._save()

    # -- record ------------------------------------------------------------------------------------
    def _end(self, r: Record, status: str, code: str | None = None, message: str | None = None) -> None:
        why = reason(code) if code else None
        changed = (r.status, r.reason) != (status, code)
        r.status, r.reason, r.rule = status, code, why.rule if why else None
        r.message = message or (why.text if why else None)
        r.dirty = bool(why and why.waits)  # a pending record is planned again every pass
        if status == FAILED:
            self.report.failed += 1
        elif status == EXCLUDED:
            self.report.excluded += 1
        if changed and status != SYNCED:
            self.log.append(Activity(r.id or 0, self.pair, status, reason=code, rule=r.rule,
                                     detail={"message": r.message}))
        if r not in self.done:
            self.done.append(r)

    def _save(self, intent: int | None = None) -> None:
        state, now = self.engine.state, self.engine.clock.now()
        with state.transaction() as conn:
            state.save(self.done, conn, now)
            state.log(self.log, now, conn)
            if intent is not None:
                state.drop_intent(intent, conn)
        self.done, self.log = [], []




def _pages(items: Iterable, size: int) -> Iterator[list]:
    page: list = []
    for item in items:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def _numeric(value: str | None) -> tuple[int, str]:
    text = value or ""
    return (int(text), text) if text.isdigit() else (1 << 62, text)
