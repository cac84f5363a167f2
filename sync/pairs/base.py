"""What one object pair declares: everything the engine, the settings, the webhook receiver, the status
views and the harness need to know about it, in one place.

A pair's module subclasses :class:`Pair`, states its facts as class attributes and overrides the
hooks whose default does not fit, each citing its rule-book ID; ``sync/pairs/__init__.py`` lists it
in the registry. The engine is generic: it names no pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from ..clients import qbo_query as q
from ..mapping import (
    FieldMap,
    canonical,
    hubspot_version,
    read_qbo,
    snapshot_hubspot,
    snapshot_qbo,
    write_qbo,
)
from ..outcomes import qbo_field_reason
from ..planner import ChunkPlanner
from ..state import HUBSPOT, QUICKBOOKS, Observation, Record

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..planner import SyncContext
    from ..settings import PairSettings


@dataclass(frozen=True)
class Option:
    """A setting only some pairs have. ``kind``: bool, text (may be empty: ``default``) or custom (``check``
    reads and validates the raw value: ``check(raw, path, problems) -> value``). ``generations``: the
    integration generations that have it (None: all)."""

    default: object
    kind: str = "text"
    check: Callable[[object, str, list[str]], object] | None = None
    generations: tuple[str, ...] | None = None

    def available_in(self, generation: str) -> bool:
        return self.generations is None or generation in self.generations


class Pair:
    # -- where its records live -------------------------------------------------------------------
    name = ""
    hubspot_type = ""  # CRM object type
    hubspot_webhook = ""  # the object name in HubSpot webhook subscription types ("contact.creation")
    hubspot_modified = "hs_lastmodifieddate"  # the property incremental reads follow
    qbo_entity = ""  # also its name in QBO webhook notifications
    qbo_has_active = True  # names (customers, items) are made inactive, never deleted; transactions have no flag

    # -- how records match and are created ---------------------------------------------------------
    key_field = ""  # the mapping id holding the match key
    key_is_case_sensitive = False  # a key differing only in case is reported, never created as a near-twin
    duplicate_reason = ""  # the reason a second record with a linked key is excluded with
    hubspot_id_property = ""  # a unique HubSpot property: creates are upserts keyed by it (idempotent)
    hubspot_id_definition: dict | None = None  # its definition when the engine must create it (not HubSpot's own)
    qbo_id_properties: tuple[str, ...] = ()  # HubSpot properties holding QBO ids (namespaced per company, A5)
    planner: ClassVar[type[ChunkPlanner]] = ChunkPlanner  # plans one chunk of dirty records

    # -- settings ----------------------------------------------------------------------------------
    mappings: ClassVar[list[FieldMap]] = []  # the default field mappings (B3: each can be switched off)
    qbo_fields: ClassVar[dict[str, str]] = {}  # QBO fields custom mappings may name, with their types
    options: ClassVar[dict[str, Option]] = {}  # settings only this pair has
    fixed_filters_to_quickbooks: ClassVar[list | None] = None  # a filter that is the system's own, not a setting
    follows = ""  # a pair with no settings of its own syncs after, and under the settings of, this one

    def recommended(self, setup_date: date) -> dict | None:
        """C1-C3: the recommended direction and filters in the YAML shape of a pair's block (None: none)."""
        return None

    # -- reading -------------------------------------------------------------------------------
    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        props = {m.hubspot for m in settings.mappings if not m.create_only}
        props.update((self.hubspot_modified, self.key_map.hubspot))
        for groups in (settings.filters_to_quickbooks, settings.filters_to_hubspot):
            props.update(f.property for group in groups for f in group if "." not in f.property)
        return sorted(props)

    def qbo_statement(self, since: datetime | None) -> str:
        """Every record changed since ``since`` (all when None), inactive ones included (edge case 10)."""
        where = [q.ANY_ACTIVE] if self.qbo_has_active else []  # transactions have no Active flag
        if since is not None:
            stamp = (since - timedelta(microseconds=since.microsecond)).strftime("%Y-%m-%dT%H:%M:%S%z")
            where.append(f"MetaData.LastUpdatedTime >= {q.quote(stamp[:-2] + ':' + stamp[-2:])}")
        return q.select(self.qbo_entity, *where, order_by="MetaData.LastUpdatedTime")

    def qbo_by_ids(self, ids: list[str]) -> str:
        """These records by id, inactive ones included."""
        return q.select(self.qbo_entity, q.one_of("Id", ids), *([q.ANY_ACTIVE] if self.qbo_has_active else []))

    def match_key(self, value: str) -> str | None:
        return value or None

    @property
    def key_map(self) -> FieldMap:
        """Matching happens apart from the mappings: the key is read even when its mapping is off."""
        return next(m for m in self.mappings if m.id == self.key_field)

    def observe_hubspot(self, record: dict, settings: PairSettings) -> Observation:
        values = snapshot_hubspot(record, settings.mappings)
        props = record.get("properties") or {}
        filters = {p: props.get(p) for p in self.hubspot_properties(settings)}
        key = self.match_key(canonical(props.get(self.key_map.hubspot), self.key_map.type))
        stamp = str(record.get("updatedAt") or props.get(self.hubspot_modified))
        return Observation(HUBSPOT, str(record["id"]), hubspot_version(stamp, values), values, key,
                           self.hubspot_label(props), {"props": filters})

    def observe_qbo(self, entity: dict, settings: PairSettings) -> Observation:
        values = snapshot_qbo(entity, settings.mappings)
        paths = {m.quickbooks for m in settings.mappings}
        paths.update(f.property for group in settings.filters_to_hubspot for f in group)
        extra = {"active": entity.get("Active", True), "props": {p: read_qbo(entity, p) for p in sorted(paths)}}
        extra.update(self.qbo_extra(entity))
        key = self.match_key(canonical(read_qbo(entity, self.key_map.quickbooks), self.key_map.type))
        return Observation(QUICKBOOKS, str(entity["Id"]), str(entity.get("SyncToken", "")), values, key,
                           self.qbo_label(entity), extra)

    def hubspot_label(self, props: dict) -> str:
        return ""

    def qbo_label(self, entity: dict) -> str:
        return ""

    def qbo_extra(self, entity: dict) -> dict:
        return {}

    # -- deciding ------------------------------------------------------------------------------
    def exclusion(self, record: Record, source: str, settings: PairSettings) -> str | None:
        """A reason code when the record must not be created on the other side."""
        return None

    def before_apply(self, ctx: SyncContext, settings: PairSettings) -> list[str]:
        """Mark records dirty that must be planned again though neither side changed (e.g. overdue invoices);
        returns problems to report with the pair."""
        return []

    def prepare(self, ctx: SyncContext, creates: list[Record], settings: PairSettings) -> dict:
        """Look up what creating these records in QBO needs (one round of batched reads)."""
        return {}

    # -- writing -------------------------------------------------------------------------------
    def qbo_body(self, record: Record, values: dict[str, str], maps: list[FieldMap], creating: bool,
                 context: dict, settings: PairSettings) -> dict:
        body: dict = {}
        for m in maps:
            if m.id in values and not m.create_only:
                write_qbo(body, m.quickbooks, values[m.id], m.type)
        return body

    def hubspot_properties_for(self, values: dict[str, str], maps: list[FieldMap]) -> dict[str, str]:
        by_id = {m.id: m for m in maps}
        return {by_id[k].hubspot: v for k, v in values.items() if k in by_id and not by_id[k].create_only}

    def hubspot_create(self, record: Record, values: dict[str, str], maps: list[FieldMap]) -> tuple[str, dict]:
        """(the upsert key's value, properties) of a HubSpot record created from QBO."""
        return record.match_key or "", self.hubspot_properties_for(values, maps)

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        """The reason for QBO's refusal of a write: the field it names when it refused one field's value (its
        reason and rule, outcomes.QBO_FIELD_REASONS), else rejected_by_quickbooks."""
        return qbo_field_reason(error.code, error.element) or "rejected_by_quickbooks"

    def hubspot_failure(self, error: dict) -> str:
        return "rejected_by_hubspot"
