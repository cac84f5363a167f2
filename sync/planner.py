"""The chunk planner: one chunk of a pair's dirty records decided, written in batches and recorded.

Every pair plans through it: the generic :class:`ChunkPlanner` serves name lists (contacts, products);
a pair with documents (invoices, payments) subclasses it in its own module and reuses its QBO batch
with intents and requestid, its statuses and its activity records. Planners see the engine only
through :class:`SyncContext`, the few services they need.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import requests

from .clients.http import ApiError, dumps
from .clients.hubspot import BatchResult, HubSpotClient
from .clients.quickbooks import QuickBooksClient
from .clock import Clock
from .mapping import TO_HUBSPOT, TO_QUICKBOOKS, TWO_WAY, hubspot_version, snapshot_hubspot, snapshot_qbo
from .merge import merge
from .outcomes import reason, status_of
from .state import EXCLUDED, FAILED, HUBSPOT, QUICKBOOKS, SYNCED, Activity, Record, State, chunks

if TYPE_CHECKING:
    from .pairs.base import Pair
    from .settings import PairSettings, Settings

QBO_BATCH = 30
HUBSPOT_BATCH = 100
PLAN_CHUNK = 990  # dirty records planned together: 33 QBO batches, one round of look-ups


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


class SyncContext(Protocol):
    """What planners and pair rules may use of the engine running them."""

    settings: Settings
    clock: Clock
    state: State
    quickbooks: QuickBooksClient
    hubspot: HubSpotClient

    def company(self, fresh: bool = False) -> dict:
        """The QBO company's country, custom transaction numbers, home currency and sales-form custom fields."""

    def company_currency(self) -> str:
        """The HubSpot account's company currency."""

    def income_account(self, wanted: str) -> dict:
        """A QBO income account reference, by Id or name."""

    def ensure_hubspot_property(self, object_type: str, definition: dict) -> None:
        """Create a HubSpot property the sync needs, once."""

    def observe(self, pair: str, side: str, items: list[dict], force: bool = False) -> None:
        """Save records read outside a pass's incremental read."""

    def checkpoint(self, side: str) -> None:
        """A batch written to ``side`` was answered and is about to be recorded."""


class ChunkPlanner:
    """One chunk of dirty records: decide each, write in batches, record the outcome."""

    def __init__(self, ctx: SyncContext, rules: Pair, settings: PairSettings, report: PairReport,
                 records: list[Record]) -> None:
        self.ctx, self.rules, self.settings, self.report = ctx, rules, settings, report
        self.pair = rules.name
        self.records = records
        self.by_id = {r.id: r for r in records}
        self.log: list[Activity] = []
        self.done: list[Record] = []
        self.qbo_items: list[dict] = []
        self.hubspot_creates: list[tuple[Record, dict]] = []
        self.hubspot_updates: list[tuple[Record, dict, dict | None]] = []  # record, values, new base
        self.pending_base: dict[int, dict] = {}  # record id -> its merge base once the write lands
        self.pending_doc: dict[int, dict] = {}  # record id -> its document state once the write lands
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
        context = self.rules.prepare(self.ctx, creates_to_qbo, s) if creates_to_qbo else {}
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
                    entity = self.ctx.quickbooks.update(self.rules.qbo_entity, body,
                                                           request_id=f"hsqbo-off-{self.pair}-{r.qbo_id}")
                    r.qbo_version = str(entity.get("SyncToken", ""))
                    self.log.append(Activity(r.id or 0, self.pair, "deactivated", QUICKBOOKS, rule="D4"))
                elif side == QUICKBOOKS and r.hubspot_id:
                    self.ctx.hubspot.archive(self.rules.hubspot_type, r.hubspot_id)
                    self.log.append(Activity(r.id or 0, self.pair, "archived", HUBSPOT, rule="D4"))
            except ApiError as exc:
                self._end(r, FAILED, "rejected_by_quickbooks" if side == HUBSPOT else "rejected_by_hubspot", str(exc))
                return
            r.deleted = "both"
        r.deleted = r.deleted or side
        self._end(r, EXCLUDED, "deleted")

    def _why_not_create(self, r: Record, source: str, towards: str) -> str | None:
        s = self.settings
        if s.direction not in (TWO_WAY, towards):
            return "direction"
        if source == QUICKBOOKS and s.on_change == "ignore":
            return "change_ignored"  # D4 (legacy): the create-and-update drop-down says ignore
        code = self.rules.exclusion(r, source, s)
        if code:
            return code
        if not s.passes(self._filter_props(r, source), towards):
            return "filtered_out"
        if r.match_key:
            others = [o for o in self.ctx.state.by_match_keys(self.pair, [r.match_key]).get(r.match_key, [])
                      if o.id != r.id and o.deleted is None]
            mine = numeric_order(r.side_id(source))
            # edge case 6: of several records sharing a key, only the oldest is created; never a third record
            if any((o.hubspot_id and o.qbo_id) or (o.side_id(source) and numeric_order(o.side_id(source)) < mine)
                   for o in others):
                return self.rules.duplicate_reason
            if self.rules.key_is_case_sensitive and self.ctx.state.folded_match(self.pair, r.match_key, r.id):
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
            links = self.ctx.hubspot.associations(self.rules.hubspot_type, "invoices", ids) if ids else {}
            invoice_ids = sorted({str(t["toObjectId"]) for targets in links.values() for t in targets})
            wanted = sorted({f.invoice_property for g in self.settings.filters_to_quickbooks for f in g
                             if f.on_invoice})
            found = {i["id"]: i.get("properties") or {}
                     for i in (self.ctx.hubspot.batch_read("invoices", invoice_ids, wanted) if invoice_ids else [])}
            self.invoices = {str(k): [found[str(t["toObjectId"])] for t in v if str(t["toObjectId"]) in found]
                             for k, v in links.items()}
        return self.invoices

    def _plan_linked(self, r: Record) -> None:
        s = self.settings
        to_q = s.direction in (TWO_WAY, TO_QUICKBOOKS) and s.passes(self._filter_props(r, HUBSPOT), TO_QUICKBOOKS)
        to_h = s.direction in (TWO_WAY, TO_HUBSPOT) and s.passes(self._filter_props(r, QUICKBOOKS), TO_HUBSPOT)
        if s.on_change == "ignore" and to_h and not to_q:
            self._end(r, EXCLUDED, "change_ignored")  # D4 (legacy)
            return
        if not (to_q or to_h):
            self._end(r, EXCLUDED, "filtered_out")  # B4: stops syncing; nothing is deleted on either side
            return
        direction = TWO_WAY if to_q and to_h else (TO_QUICKBOOKS if to_q else TO_HUBSPOT)
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
                # the items as JSON text: their amounts are Decimals, which the state's JSON columns cannot hold
                payload = {"items_json": dumps(chunk).decode(), "record_ids": ids, "bases": self._bases(ids),
                           "docs": self._docs(ids),
                           "hubspot": {str(r.id): values for r, values, _ in self.hubspot_updates if r.id in ids}}
                intent = self.ctx.state.add_intent(self.pair, QUICKBOOKS, request_id, payload,
                                                      self.ctx.clock.now())
            try:
                answers = self.ctx.quickbooks.batch(chunk, request_id=request_id)
            except (ApiError, requests.RequestException) as exc:
                self._save()
                raise Incomplete(f"writing to QuickBooks: {exc}") from exc
            self.ctx.checkpoint(QUICKBOOKS)
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
                self._settle(r)
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
        fresh = list(self.ctx.quickbooks.query(self.rules.qbo_by_ids([r.qbo_id or "" for r in stale])))
        self.ctx.observe(self.pair, QUICKBOOKS, fresh)
        for r in stale:  # still dirty: the next chunk of this pass or the next pass merges them again
            self.log.append(Activity(r.id or 0, self.pair, "stale", QUICKBOOKS, rule="I5"))

    # -- HubSpot writes ----------------------------------------------------------------------------
    def _write_hubspot(self) -> None:
        rules, hubspot = self.rules, self.ctx.hubspot
        if self.hubspot_creates and rules.hubspot_id_definition:
            self.ctx.ensure_hubspot_property(rules.hubspot_type, rules.hubspot_id_definition)
        maps = self.settings.maps_towards(TO_HUBSPOT)
        for chunk in chunks(self.hubspot_creates, HUBSPOT_BATCH):
            inputs = []
            for r, values in chunk:
                key, props = rules.hubspot_create(r, values, maps)
                inputs.append({"id": key, "idProperty": rules.hubspot_id_property, "properties": props})
                self.pending_base[r.id or 0] = {m.id: values.get(m.id, "") for m in self.settings.mappings
                                                if not m.create_only}
            ids = [r.id or 0 for r, _ in chunk]
            payload = {"inputs": inputs, "record_ids": ids, "bases": self._bases(ids), "docs": self._docs(ids)}
            intent = self.ctx.state.add_intent(self.pair, HUBSPOT, "", payload, self.ctx.clock.now())
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
            self.ctx.checkpoint(HUBSPOT)
            self.record_hubspot_creates(inputs, [r for r, _ in chunk], result, intent)
        for chunk in chunks(self.hubspot_updates, HUBSPOT_BATCH):
            self._update_hubspot(chunk)

    def _one_by_one(self, chunk: list, inputs: list[dict]) -> BatchResult:
        results, errors = [], []
        for inp in inputs:
            try:
                results += self.ctx.hubspot.batch_upsert(self.rules.hubspot_type, [inp],
                                                            self.rules.hubspot_id_property).results
            except ApiError as exc:
                body = exc.body if isinstance(exc.body, dict) else {"message": str(exc.body)}
                errors.append({**body, "context": {"id": [inp["id"]]}})
        return BatchResult(results=results, errors=errors)

    def _bases(self, ids: list[int]) -> dict[str, dict]:
        return {str(i): self.pending_base[i] for i in ids if i in self.pending_base}

    def _docs(self, ids: list[int]) -> dict[str, dict]:
        return {str(i): self.pending_doc[i] for i in ids if i in self.pending_doc}

    def _settle(self, r: Record) -> None:
        """A write landed: the record takes the merge base and document state planned with it."""
        r.base = self.pending_base.get(r.id or 0, r.base)
        r.doc = self.pending_doc.get(r.id or 0, r.doc)

    def record_hubspot_creates(self, inputs: list[dict], records: list[Record], result: BatchResult,
                               intent: int | None) -> None:
        key_prop = self.rules.hubspot_id_property
        by_key: dict[str, dict] = {}
        for written in result.results:
            props = written.get("properties") or {}
            by_key[str(props.get(key_prop, "")).lower()] = written
        failed = {str(i).lower() for e in result.errors for i in (e.get("context") or {}).get("id", [])}
        taken = self.ctx.state.by_side_ids(self.pair, HUBSPOT, [str(m["id"]) for m in by_key.values()])
        for inp, r in zip(inputs, records, strict=True):
            made = by_key.get(str(inp["id"]).lower())
            holder = taken.get(str(made["id"])) if made is not None else None
            if holder is not None and holder.id != r.id:
                # the upsert met a HubSpot record another record is already linked with: never link it twice
                self._end(r, EXCLUDED, self.rules.duplicate_reason)
            elif made is not None:
                r.hubspot_id = str(made["id"])
                r.hubspot_values = snapshot_hubspot({"properties": {**inp["properties"],
                                                                    **(made.get("properties") or {})}},
                                                    self.settings.mappings)
                r.hubspot_version = hubspot_version(str(made.get("updatedAt")), r.hubspot_values)
                self._settle(r)
                self.report.created[HUBSPOT] += 1
                self.log.append(Activity(r.id or 0, self.pair, "created", HUBSPOT, detail={"id": r.hubspot_id}))
                self._end(r, SYNCED)
            else:
                error: dict = next((e for e in result.errors if str(inp["id"]).lower() in failed), {})
                self._end(r, FAILED, self.rules.hubspot_failure(error), error.get("message"))
        self._save(intent)

    def _update_hubspot(self, chunk: list[tuple[Record, dict, dict | None]]) -> None:
        maps = self.settings.mappings
        inputs: list[dict] = [{"id": r.hubspot_id, "properties": self.rules.hubspot_properties_for(values, maps)}
                  for r, values, _ in chunk]
        try:
            results = {str(x["id"]): x for x in self.ctx.hubspot.batch_update(self.rules.hubspot_type,
                                                                                   inputs).results}
            errors: dict[str, dict] = {}
        except ApiError as exc:
            if exc.status not in (400, 404):
                self._save()
                raise Incomplete(f"writing to HubSpot: {exc}") from exc
            results, errors = {}, {}
            for inp in inputs:  # one bad value fails a whole batch: write one by one to find it
                try:
                    results[str(inp["id"])] = self.ctx.hubspot.update(self.rules.hubspot_type, inp["id"],
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
        state, now = self.ctx.state, self.ctx.clock.now()
        with state.transaction() as conn:
            state.save(self.done, conn, now)
            state.log(self.log, now, conn)
            if intent is not None:
                state.drop_intent(intent, conn)
        self.done, self.log = [], []


def pages(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one shorter), without reading ahead."""
    page: list = []
    for item in items:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def numeric_order(value: str | None) -> tuple[int, str]:
    """Sort key of system ids: numerically where they are numbers (QBO's and HubSpot's are), oldest first."""
    text = value or ""
    return (int(text), text) if text.isdigit() else (1 << 62, text)
