"""The sync as HubSpot's integration shows it (H1-H3), for the dashboard: counts per pair with their reasons,
the record view, a record's activity, the export, each pair's settings, Sync now and a pair's switch (A3, A4).
Everything here is :mod:`sync.status` and the engine; this module only gathers it for pages. No HTTP here.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from sync import status
from sync.engine import Engine, PassReport
from sync.generations import GENERATIONS
from sync.outcomes import REASONS
from sync.pairs import PAIRS, leader, with_followers
from sync.state import STATUSES, Record, State

from .systems import HUBSPOT, QUICKBOOKS

_NAMED_ID = re.compile(r"\bId=(\d+)")  # QBO's duplicate-name Fault: "... already exists. : Id=26"
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Link:
    """A record of one system, as a sync record's page links it."""

    tenant: str
    kind: str
    id: str
    note: str = ""


@dataclass
class Reasons:
    """How many records of a pair are in one status for one reason."""

    status: str
    reason: str
    rule: str
    text: str
    count: int


@dataclass
class Filters:
    """The record view's filters (H2), as the page's query string gives them."""

    pair: str | None = None
    status: str | None = None
    reason: str | None = None
    text: str | None = None

    def as_args(self) -> dict:
        return {k: v for k, v in (("pair", self.pair), ("status", self.status), ("reason", self.reason),
                                  ("q", self.text)) if v}


class SyncView:
    """One engine, shared by every page; a lock keeps a pass and the pages from reading the state at once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.RLock()

    @property
    def state(self) -> State:
        return self.engine.state

    @property
    def realm(self) -> str:
        return str(self.engine.settings.quickbooks.realm_id)

    @property
    def portal(self) -> str:
        return str(self.engine.settings.hubspot.portal_id)

    def pairs(self) -> list[str]:
        """Every pair the settings have, each followed by the pairs that sync under it (invoices, payments)."""
        return with_followers(self.engine.settings.pairs)

    def enabled(self, pair: str) -> bool:
        return self.engine.settings.pairs[leader(pair)].enabled

    # -- H1 --------------------------------------------------------------------------------------
    def counts(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return status.counts(self.state, self.pairs())

    def reasons(self, pair: str) -> list[Reasons]:
        """Why a pair's records are not synced: failed, excluded and pending, by reason, most frequent first."""
        tally: Counter[tuple[str, str, str]] = Counter()
        with self.lock:
            for wanted in STATUSES[1:]:
                for r in self.state.records(pair, wanted):
                    tally[(wanted, r.reason or "", r.rule or "")] += 1
        return [Reasons(s, reason, rule, REASONS[reason].text if reason in REASONS else "", n)
                for (s, reason, rule), n in tally.most_common()]

    # -- H2 --------------------------------------------------------------------------------------
    def records(self, filters: Filters, columns: list[str] | None, page: int, per_page: int = 25) -> dict:
        with self.lock:
            return status.records(self.state, pair=filters.pair, status=filters.status, reason=filters.reason,
                                  text=filters.text, columns=columns, page=page, per_page=per_page)

    def record(self, record_id: int) -> tuple[Record, dict, list[dict]] | None:
        with self.lock:
            record = self.state.get(record_id)
            if record is None:
                return None
            return record, status.row(record, status.COLUMNS), status.activity(self.state, record_id)

    def links(self, record: Record) -> dict[str, Link | None]:
        """Both records of a sync record, for links to their pages. A record QBO refused as a duplicate (D2, I1)
        has no QBO id; QBO's message names the record that holds the name (``Id=26``): that one is linked."""
        rules = PAIRS[record.pair]
        qbo = Link(self.realm, rules.qbo_entity, record.qbo_id) if record.qbo_id else None
        clash = _NAMED_ID.search(record.message or "") if qbo is None else None
        if clash:
            qbo = Link(self.realm, rules.qbo_entity, clash.group(1), "holds the name: QuickBooks refused a second one")
        return {QUICKBOOKS: qbo,
                HUBSPOT: Link(self.portal, rules.hubspot_type, record.hubspot_id) if record.hubspot_id else None}

    def find(self, side: str, kind: str, oid: str) -> list[Record]:
        """The sync's records of one system's record (a record page shows its sync status)."""
        found = []
        with self.lock:
            for pair in self.pairs():
                rules = PAIRS[pair]
                if (rules.qbo_entity if side == QUICKBOOKS else rules.hubspot_type) != kind:
                    continue
                record = self.state.by_side_ids(pair, side, [oid]).get(oid)
                if record is not None:
                    found.append(record)
        return found

    # -- H3 --------------------------------------------------------------------------------------
    def export(self, filters: Filters, columns: list[str] | None, fmt: str) -> tuple[bytes, int]:
        """The filtered records as a CSV or XLSX file (``hsqbo export``'s own code), and how many rows."""
        with tempfile.TemporaryDirectory() as folder, self.lock:
            path = Path(folder) / f"records.{fmt}"
            rows = status.export(self.state, path, fmt, pair=filters.pair, status=filters.status,
                                 reason=filters.reason, text=filters.text, columns=columns)
            return path.read_bytes(), rows

    # -- settings, Sync now, on / off ---------------------------------------------------------------
    def generation(self) -> tuple[str, str]:
        mode = self.engine.settings.mode
        return mode, GENERATIONS[mode].articles

    def settings_yaml(self, pair: str) -> str:
        return yaml.safe_dump(self.engine.settings.pairs[pair].to_dict(), sort_keys=False, allow_unicode=True,
                              width=100)

    def sync_now(self) -> PassReport:
        """A3: one pass of every enabled pair, with the webhook work waiting, as ``hsqbo sync`` runs it."""
        with self.lock:
            if self.engine.has_notifications():
                self.engine.run_notifications()
            return self.engine.run_pass()

    def switch(self, pair: str, on: bool) -> None:
        """A4: turn a pair (with the pairs that follow it) on or off."""
        settings = self.engine.settings
        if pair not in settings.pairs:
            raise KeyError(pair)
        with self.lock:
            pairs = {**settings.pairs, pair: replace(settings.pairs[pair], enabled=on)}
            self.engine.settings = replace(settings, pairs=pairs)
