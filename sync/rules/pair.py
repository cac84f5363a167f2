"""What every object pair tells the engine: where its records live, how they match, how they are built.

The engine is generic; a pair's module (contacts, products, …) subclasses ``PairRules`` and states
its rules, each citing its rule-book ID.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..mapping import DEFAULT_MAPPINGS, FieldMap, canonical, read_qbo, snapshot_hubspot, snapshot_qbo, write_qbo
from ..state import HUBSPOT, QUICKBOOKS, Observation, Record

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..engine import Engine
    from ..settings import PairSettings


def hubspot_version(updated_at: str, values: dict) -> str:
    """A HubSpot record's version: its update time plus a digest of the mapped values.

    Two edits within one timestamp (HubSpot stamps to the millisecond) still differ in their values.
    """
    digest = hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
    return f"{updated_at}#{digest}"


class Outcome:
    """A record's end state when it is not synced: excluded or failed, with a reason code."""

    def __init__(self, status: str, code: str, message: str | None = None) -> None:
        self.status, self.code, self.message = status, code, message


class PairRules:
    name = ""
    hubspot_type = ""  # CRM object type
    hubspot_modified = "hs_lastmodifieddate"  # the property incremental reads follow
    qbo_entity = ""
    qbo_has_active = True  # names (customers, items) are made inactive, never deleted; transactions have no flag
    key_field = ""  # the mapping id holding the match key
    hubspot_id_property = ""  # a unique HubSpot property: creates are upserts keyed by it (idempotent)
    hubspot_id_definition: dict | None = None  # its definition when the engine must create it (not HubSpot's own)

    # -- reading -------------------------------------------------------------------------------
    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        props = {m.hubspot for m in settings.mappings if not m.create_only}
        props.update((self.hubspot_modified, self.key_map.hubspot))
        for groups in (settings.filters_to_quickbooks, settings.filters_to_hubspot):
            props.update(f.property for group in groups for f in group if "." not in f.property)
        return sorted(props)

    def qbo_statement(self, since: datetime | None) -> str:
        """Every record changed since ``since`` (all when None), inactive ones included (edge case 10)."""
        where = ["Active IN (true, false)"] if self.qbo_has_active else []  # transactions have no Active flag
        if since is not None:
            stamp = (since - timedelta(microseconds=since.microsecond)).strftime("%Y-%m-%dT%H:%M:%S%z")
            stamp = stamp[:-2] + ":" + stamp[-2:]
            where.append(f"MetaData.LastUpdatedTime >= '{stamp}'")
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT * FROM {self.qbo_entity}{condition} ORDERBY MetaData.LastUpdatedTime"

    def match_key(self, value: str) -> str | None:
        return value or None

    @property
    def key_map(self) -> FieldMap:
        """Matching happens apart from the mappings: the key is read even when its mapping is off."""
        return next(m for m in DEFAULT_MAPPINGS[self.name] if m.id == self.key_field)

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

    def before_apply(self, engine: Engine, settings: PairSettings) -> list[str]:
        """Mark records dirty that must be planned again though neither side changed (e.g. overdue invoices);
        returns problems to report with the pair."""
        return []

    def prepare(self, engine: Engine, creates: list[Record], settings: PairSettings) -> dict:
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
        return "rejected_by_quickbooks"

    def hubspot_failure(self, error: dict) -> str:
        return "rejected_by_hubspot"
