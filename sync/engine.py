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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import requests

from .clients import qbo_query as q
from .clients.http import ApiError, loads
from .clients.hubspot import HubSpotClient
from .clients.namespace import Namespace
from .clients.quickbooks import QuickBooksClient
from .clock import Clock, SystemClock
from .pairs import PAIRS, Pair, leader, with_followers
from .planner import PLAN_CHUNK, ChunkPlanner, Incomplete, PairReport, PassReport, numeric_order, pages
from .settings import PairSettings, Settings
from .state import EXCLUDED, HUBSPOT, QUICKBOOKS, Activity, Observation, Record, State, chunks

__all__ = ["Engine", "Incomplete", "PairReport", "PassReport", "with_followers"]

Progress = Callable[[str, str, int], None]  # (pair, phase, records done)
CDC_DAYS = 29  # QBO's change data capture looks 30 days back at most; a day's margin for clocks that disagree
CDC_MAX_OBJECTS = 1000  # QBO's change data capture answers at most this many objects: a full answer may be cut


@dataclass(frozen=True)
class QboChanges:
    """A pass's one change-data-capture read: each entity's changed objects (deleted ones as ``status: Deleted``),
    whether the answer holds them all (below QBO's cap), and the server's time of the answer (the watermark)."""

    entities: dict[str, list[dict]]
    complete: bool
    read_at: datetime


def owner(settings: Settings) -> dict[str, str]:
    """Which accounts a state belongs to: the QBO company and HubSpot portal, each at its base URL."""
    q, h = settings.quickbooks, settings.hubspot
    out = {"quickbooks_realm": str(q.realm_id), "quickbooks_url": q.base_url.rstrip("/"),
           "hubspot_url": h.base_url.rstrip("/")}
    if h.portal_id:
        out["hubspot_portal"] = str(h.portal_id)
    return out


class Engine:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, state: State | None = None,
                 quickbooks: QuickBooksClient | None = None, hubspot: HubSpotClient | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.state = state or State(settings.state)
        self.state.claim(owner(settings))  # a state reused against other accounts would link strangers
        self.quickbooks = quickbooks or self._quickbooks_client()
        self.hubspot = hubspot or self._hubspot_client()
        if settings.hubspot_namespace is not None:  # A5: one of several QBO companies on this HubSpot account
            self.hubspot.namespace = Namespace(settings.hubspot_namespace,
                                               {p for pair in PAIRS.values() for p in pair.qbo_id_properties})
        self.progress = progress
        self._income_accounts: dict[str, dict] = {}
        self._company: dict | None = None  # read once a pass (QBO settings can change between passes)
        self._currency: str | None = None
        self._portal_claimed = False  # the state knows the HubSpot portal (read once when settings do not say)
        self._qbo_pairs: list[Pair] = []  # a pass's pairs, whose QBO changes one change-data-capture read serves
        self._changes: QboChanges | None = None
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
        # settings may leave the app's ids out (then no QBO call can succeed); str() is what the client and requests
        # made of a missing one before: "None"
        return QuickBooksClient(c.base_url, str(c.realm_id), client_id=str(c.client_id),
                                client_secret=str(c.client_secret),
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
        self._claim_portal()
        before = {QUICKBOOKS: self.quickbooks.calls, HUBSPOT: self.hubspot.calls}
        runs = self._runs(pairs or self.settings.pairs)
        self._qbo_pairs = [PAIRS[n] for n in runs]
        self._changes = None  # one read of QBO's changes serves every pair of the pass
        for name in runs:
            settings = self.pair_settings(name)
            pair_report = report.pairs.setdefault(name, PairReport())
            try:
                self._sync_pair(PAIRS[name], settings, pair_report)
            except (Incomplete, ApiError, requests.RequestException) as stop:
                pair_report.complete = False  # what was applied is recorded; the rest waits for the next pass
                pair_report.problems.append(str(stop))
        report.calls = {QUICKBOOKS: self.quickbooks.calls - before[QUICKBOOKS],
                        HUBSPOT: self.hubspot.calls - before[HUBSPOT]}
        return report

    def _runs(self, names: Iterable[str]) -> list[str]:
        """The enabled pairs among ``names``, each followed by the pair that syncs under its settings."""
        pairs, always = self.settings.pairs, self.settings.generation.runs_when_off
        return with_followers(n for n in names if n in pairs and (pairs[n].enabled or n in always))  # A4

    def pair_settings(self, name: str) -> PairSettings:
        """A pair's settings; a follower (payments) runs under its leader's (invoices)."""
        if name in self.settings.pairs:
            return self.settings.pairs[name]
        return replace(self.settings.pairs[leader(name)], name=name, mappings=[], filters_to_hubspot=[],
                       filters_to_quickbooks=[])

    def _sync_pair(self, rules: Pair, settings: PairSettings, report: PairReport) -> None:
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
        if mark is None and side == QUICKBOOKS and pair in self.settings.generation.recent_records_only:
            return self._switched_on(pair)  # A6: no initial sync; what changes from now on comes across
        return mark - timedelta(seconds=self.settings.lookback_seconds) if mark else None

    def _switched_on(self, pair: str) -> datetime:
        """When the pair's switch was turned on: its first pass (kept, so a crash before the watermark moves
        does not move it)."""
        key = f"switched_on:{pair}"
        stamp = self.state.get_value(key)
        if stamp is None:
            stamp = self.clock.now().isoformat()
            self.state.set_value(key, stamp)
        return datetime.fromisoformat(stamp)

    def _observe_quickbooks(self, rules: Pair, settings: PairSettings, report: PairReport) -> None:
        """A pair's QBO changes since its watermark. A first pass (or a watermark older than QBO's 30 days of change
        data capture) queries the entity; later passes take the pair's share of the pass's one CDC read, unless
        that answer was full (QBO caps it at 1000 objects: it may have left changes out), when they query too."""
        since = self._since(rules.name, QUICKBOOKS)
        changes = self._qbo_changes() if since is not None else None
        entities = changes.entities.get(rules.qbo_entity) if changes is not None else None
        if changes is not None and entities is not None:
            gone = [str(e.get("Id")) for e in entities if str(e.get("status", "")).lower() == "deleted"]
            if gone and not rules.qbo_has_active:  # A2, edge 45: a deleted transaction, which no query returns
                self.notify(QUICKBOOKS, [(rules.name, object_id, True) for object_id in gone])
            if changes.complete:
                changed = [e for e in entities if str(e.get("status", "")).lower() != "deleted"]
                self._read(rules, QUICKBOOKS, [changed] if changed else [], lambda e: rules.observe_qbo(e, settings),
                           report, read_at=changes.read_at)
                return
        pages = self.quickbooks.query_pages(rules.qbo_statement(since))
        self._read(rules, QUICKBOOKS, pages, lambda e: rules.observe_qbo(e, settings), report)

    def _qbo_changes(self) -> QboChanges | None:
        """The pass's one change-data-capture read, from the earliest watermark of its pairs that CDC reaches (30
        days; a day's margin). It lists deleted transactions too, which a query never returns (A2): a pass that
        only polled would keep, say, a deleted payment counted as paid in HubSpot. None: no pair has such a mark."""
        if self._changes is None:
            now = self.clock.now()
            marks = {p.qbo_entity: self._since(p.name, QUICKBOOKS) for p in self._qbo_pairs}
            recent = {e: m for e, m in marks.items() if m is not None and m >= now - timedelta(days=CDC_DAYS)}
            if not recent:
                return None
            try:
                entities = self.quickbooks.cdc(sorted(recent), min(recent.values()))
            except (ApiError, requests.RequestException) as exc:
                raise Incomplete(f"reading QuickBooks changes: {exc}") from exc
            read_at = self.quickbooks.server_time or now
            complete = sum(map(len, entities.values())) < CDC_MAX_OBJECTS
            self._changes = QboChanges({e: entities.get(e, []) for e in recent}, complete, read_at)
        return self._changes

    def _observe_hubspot(self, rules: Pair, settings: PairSettings, report: PairReport) -> None:
        records = self.hubspot.search_modified_since(rules.hubspot_type, rules.hubspot_modified,
                                                     self._since(rules.name, HUBSPOT),
                                                     rules.hubspot_properties(settings))
        self._read(rules, HUBSPOT, pages(records, 200), lambda r: rules.observe_hubspot(r, settings), report)

    def _read(self, rules: Pair, side: str, pages: Iterable[list[dict]], make: Callable[[dict], Observation],
              report: PairReport, read_at: datetime | None = None) -> None:
        """Observe a side's changes page by page; then move its watermark to the server's time of the first answer
        (``read_at``: of pages read earlier)."""
        client = self.quickbooks if side == QUICKBOOKS else self.hubspot
        name = "QuickBooks" if side == QUICKBOOKS else "HubSpot"
        started: datetime | None = read_at
        try:
            for page in pages:
                started = started or client.server_time or self.clock.now()
                self._observe(rules.name, [make(item) for item in self._own(side, page)])
                report.observed[side] += len(page)
                self._tell(rules.name, f"read {name}", report.observed[side])
        except (ApiError, requests.RequestException) as exc:
            raise Incomplete(f"reading {name}: {exc}") from exc
        self.state.set_watermark(rules.name, side, started or client.server_time or self.clock.now())

    def observe(self, pair: str, side: str, items: list[dict], force: bool = False) -> None:
        """Observe records read outside a pass (a webhook's re-read); ``force`` plans them even if unchanged."""
        rules, settings = PAIRS[pair], self.pair_settings(pair)
        make = rules.observe_hubspot if side == HUBSPOT else rules.observe_qbo
        self._observe(pair, [make(item, settings) for item in self._own(side, items)], force)

    def _own(self, side: str, items: list[dict]) -> list[dict]:
        """A5: of HubSpot records, those this company's sync may see (not another connected company's)."""
        namespace = self.hubspot.namespace
        if side == QUICKBOOKS or namespace is None:
            return items
        return [item for item in items if not namespace.foreign(item)]

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
        return min(free, key=lambda c: numeric_order(c.side_id(other))) if free else None

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
    def _apply(self, rules: Pair, settings: PairSettings, report: PairReport) -> None:
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
            self.state.notify(pair, side, [object_id])

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
        return any(self.state.notifications(pair) or any(r.deleted for r in self.state.dirty(pair, 0, 50))
                   for pair in self._runs(self.settings.pairs))

    def run_notifications(self) -> PassReport:
        """Re-read the records webhooks named, and apply what changed (watermarks stay where they are)."""
        report = PassReport()
        before = {QUICKBOOKS: self.quickbooks.calls, HUBSPOT: self.hubspot.calls}
        self._company = None
        for name in self._runs(self.settings.pairs):
            settings = self.pair_settings(name)
            rules, pair_report = PAIRS[name], report.pairs.setdefault(name, PairReport())
            try:
                self._replay_intents(rules, settings, pair_report)
                for side in (QUICKBOOKS, HUBSPOT):
                    ids = self.state.notifications(name, side)
                    if ids:
                        pair_report.observed[side] += self._reread(rules, settings, side, ids)
                        self.state.drop_notifications(name, side, ids)  # exactly these: newer ones wait
                self._apply(rules, settings, pair_report)
            except (Incomplete, ApiError, requests.RequestException) as stop:
                pair_report.complete = False
                pair_report.problems.append(str(stop))
        report.calls = {QUICKBOOKS: self.quickbooks.calls - before[QUICKBOOKS],
                        HUBSPOT: self.hubspot.calls - before[HUBSPOT]}
        return report

    def _reread(self, rules: Pair, settings: PairSettings, side: str, ids: list[str]) -> int:
        try:
            if side == HUBSPOT:
                items = self.hubspot.batch_read(rules.hubspot_type, ids, rules.hubspot_properties(settings))
            else:
                items = []
                for chunk in chunks(ids, 500):
                    items += self.quickbooks.query(rules.qbo_by_ids(chunk))
        except (ApiError, requests.RequestException) as exc:
            raise Incomplete(f"re-reading records named by webhooks: {exc}") from exc
        self.observe(rules.name, side, list(items))
        return len(items)

    # -- intents: creates whose answers may have been lost -----------------------------------------
    def _replay_intents(self, rules: Pair, settings: PairSettings, report: PairReport) -> None:
        for intent in self.state.intents(rules.name):
            payload = intent["payload"]
            records = self._records(payload["record_ids"])
            batch = self.batch(rules, settings, report, records)
            batch.pending_base = {int(k): v for k, v in payload.get("bases", {}).items()}
            batch.pending_doc = {int(k): v for k, v in payload.get("docs", {}).items()}
            by_id = {r.id: r for r in records}
            batch.hubspot_updates = [(by_id[int(k)], values, batch.pending_base.get(int(k), by_id[int(k)].base))
                                     for k, values in payload.get("hubspot", {}).items() if int(k) in by_id]
            try:
                if intent["target"] == QUICKBOOKS:
                    items = loads(payload["items_json"]) if "items_json" in payload else payload["items"]
                    answers = self.quickbooks.batch(items, request_id=intent["request_id"])
                    batch.record_quickbooks(items, answers, intent["id"])
                    batch.after_replay()
                else:
                    result = self.hubspot.batch_upsert(rules.hubspot_type, payload["inputs"],
                                                       rules.hubspot_id_property)
                    batch.record_hubspot_creates(payload["inputs"], records, result, intent["id"])
            except (ApiError, requests.RequestException) as exc:
                raise Incomplete(f"replaying an unfinished write: {exc}") from exc

    def batch(self, rules: Pair, settings: PairSettings, report: PairReport, records: list[Record]) -> ChunkPlanner:
        """The planner of one chunk: the generic one, or the pair's own."""
        return rules.planner(self, rules, settings, report, records)

    def _records(self, ids: list[int]) -> list[Record]:
        """The records of ``ids``, in that order (a missing one would be a bug: fail loudly)."""
        records = []
        for i in ids:
            record = self.state.get(i)
            if record is None:
                raise LookupError(f"record {i} of an unfinished write is not in the state")
            records.append(record)
        return records

    # -- look-ups shared by the pairs ---------------------------------------------------------------
    def company(self, fresh: bool = False) -> dict:
        """What invoice rules need of the QBO company, read once a pass (``fresh``: now): country (F4), custom
        transaction numbers (F6), home currency (I8) and its sales-form custom fields, name → DefinitionId (F12)."""
        if self._company is None or fresh:
            info = next(iter(self.quickbooks.query(q.select("CompanyInfo"))), {})
            prefs = next(iter(self.quickbooks.query(q.select("Preferences"))), {})
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
                "name": info.get("CompanyName") or "",
                "country": info.get("Country") or "US",
                "custom_numbers": bool(sales.get("CustomTxnNumbers")),
                "currency": ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value") or "USD",
                "custom_fields": {names.get(slot, ""): slot for slot in ("1", "2", "3") if flags.get(slot)},
            }
        return self._company

    def _claim_portal(self) -> None:
        """Settings that do not name the HubSpot portal: the state learns it from HubSpot on the first pass (one
        call), so a state reused against another portal is refused like one with portal_id set (StateMismatch)."""
        if self.settings.hubspot.portal_id or self._portal_claimed:
            return
        try:
            details = self.hubspot.account_details()
        except (ApiError, requests.RequestException):
            return  # the pass's own reads will say what is wrong with HubSpot
        self._portal_claimed = True
        self._currency = self._currency or str(details.get("companyCurrency") or "USD")
        if details.get("portalId") is not None:
            self.state.claim({"hubspot_portal": str(details["portalId"])})

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
            accounts = list(self.quickbooks.query(q.select("Account", q.equals("AccountType", "Income"))))
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
