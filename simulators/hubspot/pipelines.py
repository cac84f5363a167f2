"""The CRM pipelines API (``/crm/v3/pipelines/{objectType}``) and the deal stages it defines. Knows nothing of HTTP.

Every portal has HubSpot's default deal pipeline ("default", "Sales Pipeline", seven stages). It lives in code until
the portal changes its pipelines: the first write stores every pipeline of the object type as rows (kind
``pipeline:<type>``), so a portal nobody touched stays as it was seeded. A deal's ``pipeline`` must name a live
pipeline and its ``dealstage`` one of that pipeline's live stages, refused in HubSpot's ``INVALID_OPTION`` words.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace

from ..core.storage import Row
from . import catalog, errors
from .catalog import ObjectType, PropertyDef
from .context import PortalContext

CREATED = "2019-10-30T03:30:17.883Z"  # when HubSpot's default pipeline was made (any fixed instant will do)
# objectType → its default pipelines: (id, label, [(stage id, label, metadata)])
DEFAULTS = {
    "deals": [("default", "Sales Pipeline", [
        ("appointmentscheduled", "Appointment Scheduled", {"isClosed": "false", "probability": "0.2"}),
        ("qualifiedtobuy", "Qualified To Buy", {"isClosed": "false", "probability": "0.4"}),
        ("presentationscheduled", "Presentation Scheduled", {"isClosed": "false", "probability": "0.6"}),
        ("decisionmakerboughtin", "Decision Maker Bought-In", {"isClosed": "false", "probability": "0.8"}),
        ("contractsent", "Contract Sent", {"isClosed": "false", "probability": "0.9"}),
        ("closedwon", "Closed Won", {"isClosed": "true", "probability": "1.0"}),
        ("closedlost", "Closed Lost", {"isClosed": "true", "probability": "0.0"}),
    ])],
    "tickets": [("0", "Support Pipeline", [
        ("1", "New", {"ticketState": "OPEN"}), ("2", "Waiting on contact", {"ticketState": "OPEN"}),
        ("3", "Waiting on us", {"ticketState": "OPEN"}), ("4", "Closed", {"ticketState": "CLOSED"}),
    ])],
}
TICKETS = "tickets"  # not a CRM object of this simulator, but its pipelines are readable and writable


def object_type_name(name: str) -> str:
    """The object type a pipelines path names; HubSpot's 400 for one without pipelines."""
    if name.lower() in (TICKETS, "0-5", "ticket"):
        return TICKETS
    otype = catalog.resolve_type(name)
    if otype is None or otype.name not in DEFAULTS:
        raise errors.bad_request(f"Unable to infer object type from: {name}" if otype is None
                                 else f"Object type {otype.name} does not support pipelines")
    return otype.name


def _stage(stage_id: str, label: str, order: int, metadata: dict, stamp: str) -> dict:
    return {"id": stage_id, "label": label, "displayOrder": order, "metadata": dict(metadata), "createdAt": stamp,
            "updatedAt": stamp, "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


def row_kind(kind: str) -> str:
    """The store kind of an object type's pipelines, once the portal has changed them."""
    return f"pipeline:{kind}"


def _defaults(kind: str) -> list[dict]:
    return [{"id": pid, "label": label, "displayOrder": n, "createdAt": CREATED, "updatedAt": CREATED,
             "archived": False, "stages": [_stage(sid, slabel, i, meta, CREATED)
                                           for i, (sid, slabel, meta) in enumerate(stages)]}
            for n, (pid, label, stages) in enumerate(DEFAULTS[kind])]


class Pipelines:
    def __init__(self, ctx: PortalContext, kind: str) -> None:
        self.ctx = ctx
        self.kind = kind
        self.row_kind = row_kind(kind)

    # -- reading ---------------------------------------------------------------------------------
    def _stored(self) -> list[Row]:
        return self.ctx.store.select(self.ctx.portal, self.row_kind, include_deleted=True)

    def all(self, archived: bool = False) -> list[dict]:
        rows = self._stored()
        found = [r.data for r in sorted(rows, key=lambda r: r.entity_id)] if rows else _defaults(self.kind)
        return sorted((p if archived else _live(p) for p in found if p["archived"] == archived),
                      key=lambda p: (p["displayOrder"], p["label"]))

    def get(self, pipeline_id: str) -> dict:
        for p in self.all():
            if p["id"] == pipeline_id:
                return p
        raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find pipeline {pipeline_id}")

    def stage(self, pipeline_id: str, stage_id: str) -> dict:
        for s in self.get(pipeline_id)["stages"]:
            if s["id"] == stage_id:
                return s
        raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find stage {stage_id} in pipeline {pipeline_id}")

    # -- writing ---------------------------------------------------------------------------------
    def _materialise(self) -> list[Row]:
        """The pipelines as rows (the defaults stored on the first write)."""
        rows = self._stored()
        if rows:
            return rows
        out = []
        for n, pipeline in enumerate(_defaults(self.kind)):
            row = Row(self.ctx.portal, self.row_kind, n, pipeline, updated_at=self.ctx.rt.clock.timestamp())
            self.ctx.store.put(row)
            out.append(row)
        return out

    def _row(self, pipeline_id: str) -> Row:
        for row in self._materialise():
            if row.data["id"] == pipeline_id and not row.data["archived"]:
                return row
        raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find pipeline {pipeline_id}")

    def _stage_row(self, pipeline_id: str, stage_id: str) -> tuple[Row, dict, dict]:
        """The pipeline's row, a copy of its data to change, and the live stage in that copy."""
        row = self._row(pipeline_id)
        data = copy.deepcopy(row.data)
        stage = next((s for s in data["stages"] if s["id"] == stage_id and not s["archived"]), None)
        if stage is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        return row, data, stage

    def _save(self, row: Row, data: dict) -> dict:
        data["updatedAt"] = self.ctx.now()
        self.ctx.store.put(Row(self.ctx.portal, self.row_kind, row.entity_id, data,
                               updated_at=self.ctx.rt.clock.timestamp()))
        return _live(data)

    def create(self, body: object) -> dict:
        label, order, stages = self._input(body, creating=True)
        with self.ctx.store.transaction():
            rows = self._materialise()
            self._unique_label(label, None)
            eid = max(r.entity_id for r in rows) + 1 if rows else 0
            pid = str(self.ctx.store.next_value(self.ctx.portal, f"id:{self.row_kind}", 1000000))
            now = self.ctx.now()
            data = {"id": pid, "label": label, "displayOrder": order, "createdAt": now, "updatedAt": now,
                    "archived": False, "stages": [self._new_stage(s, i) for i, s in enumerate(stages)]}
            self.ctx.store.put(Row(self.ctx.portal, self.row_kind, eid, data,
                                   updated_at=self.ctx.rt.clock.timestamp()))
        return data

    def update(self, pipeline_id: str, body: object, replace: bool = False) -> dict:
        label, order, stages = self._input(body, creating=replace)
        with self.ctx.store.transaction():
            row = self._row(pipeline_id)
            data = copy.deepcopy(row.data)
            if label is not None:
                self._unique_label(label, pipeline_id)
                data["label"] = label
            if order is not None:
                data["displayOrder"] = order
            if replace:
                data["stages"] = [self._new_stage(s, i) for i, s in enumerate(stages)]
            elif isinstance(body, dict) and body.get("archived") is False:
                data["archived"] = False
            return self._save(row, data)

    def archive(self, pipeline_id: str) -> None:
        with self.ctx.store.transaction():
            row = self._row(pipeline_id)
            if len([p for p in self.all() if not p["archived"]]) <= 1:
                raise errors.bad_request("A portal must have at least one pipeline.")
            data = copy.deepcopy(row.data)
            data.update(archived=True, archivedAt=self.ctx.now())
            self._save(row, data)

    def create_stage(self, pipeline_id: str, body: object) -> dict:
        with self.ctx.store.transaction():
            row = self._row(pipeline_id)
            data = copy.deepcopy(row.data)
            stage = self._new_stage(self._stage_input(body, creating=True), len(data["stages"]))
            data["stages"].append(stage)
            self._save(row, data)
        return stage

    def update_stage(self, pipeline_id: str, stage_id: str, body: object, replace: bool = False) -> dict:
        label, order, metadata = self._stage_input(body, creating=replace)
        with self.ctx.store.transaction():
            row, data, stage = self._stage_row(pipeline_id, stage_id)
            if label is not None:
                stage["label"] = label
            if order is not None:
                stage["displayOrder"] = order
            if metadata is not None:
                stage["metadata"] = self._metadata(metadata) if replace else {**stage["metadata"],
                                                                               **self._metadata(metadata)}
            stage["updatedAt"] = self.ctx.now()
            self._save(row, data)
        return stage

    def archive_stage(self, pipeline_id: str, stage_id: str) -> None:
        with self.ctx.store.transaction():
            row, data, stage = self._stage_row(pipeline_id, stage_id)
            stage.update(archived=True, archivedAt=self.ctx.now(), updatedAt=self.ctx.now())
            self._save(row, data)

    # -- input -----------------------------------------------------------------------------------
    def _input(self, body: object, creating: bool) -> tuple[str | None, int | None, list]:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        label, order, stages = body.get("label"), body.get("displayOrder"), body.get("stages")
        if creating:
            missing = [f for f, v in (("label", label), ("displayOrder", order), ("stages", stages)) if v is None]
            if missing:
                raise errors.bad_request(f"Missing required fields: {', '.join(missing)}")
            if not isinstance(stages, list) or not stages:
                raise errors.bad_request("A pipeline needs at least one stage.")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise errors.bad_request("label must be a non-empty string")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            raise errors.bad_request("displayOrder must be an integer")
        return label, order, [self._stage_input(s, creating=True) for s in stages or []]

    def _stage_input(self, body: object, creating: bool) -> tuple[str | None, int | None, dict | None]:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: a stage must be an object")
        label, order, metadata = body.get("label"), body.get("displayOrder"), body.get("metadata")
        if creating:
            missing = [f for f, v in (("label", label), ("displayOrder", order), ("metadata", metadata))
                       if v is None]
            if missing:
                raise errors.bad_request(f"Missing required fields: {', '.join(missing)}")
        if metadata is not None and not isinstance(metadata, dict):
            raise errors.bad_request("metadata must be an object")
        if creating and self.kind == "deals" and "probability" not in (metadata or {}):
            raise errors.bad_request("Deal stages require a probability in their metadata (0.0 to 1.0).")
        return label, order, metadata

    def _metadata(self, metadata: dict) -> dict:
        out = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in metadata.items()}
        if self.kind == "deals" and "probability" in out:
            try:
                chance = float(out["probability"])
            except ValueError as exc:
                raise errors.bad_request("probability must be a number from 0.0 to 1.0") from exc
            if not 0 <= chance <= 1:
                raise errors.bad_request("probability must be a number from 0.0 to 1.0")
            out.setdefault("isClosed", "true" if chance in (0, 1) else "false")
        return out

    def _new_stage(self, stage: tuple[str | None, int | None, dict | None], order: int) -> dict:
        label, display, metadata = stage
        sid = str(self.ctx.store.next_value(self.ctx.portal, f"id:{self.row_kind}:stage", 1000000))
        return _stage(sid, str(label), display if display is not None else order, self._metadata(metadata or {}),
                      self.ctx.now())

    def _unique_label(self, label: str, own_id: str | None) -> None:
        for p in self.all():
            if p["label"].strip().lower() == label.strip().lower() and p["id"] != own_id:
                raise errors.error(409, "CONFLICT", f"A pipeline with label {label} already exists.")


def _live(pipeline: dict) -> dict:
    """A pipeline as a read shows it: archived stages left out."""
    return {**pipeline, "stages": sorted((s for s in pipeline["stages"] if not s["archived"]),
                                         key=lambda s: (s["displayOrder"], s["label"]))}


# -- deals: their pipeline and stage ---------------------------------------------------------------

def with_options(ctx: PortalContext, otype: ObjectType, defs: dict[str, PropertyDef]) -> dict[str, PropertyDef]:
    """Deals' ``pipeline`` and ``dealstage`` properties list the portal's pipelines and their stages."""
    if otype.name != "deals" or "pipeline" not in defs or "dealstage" not in defs:
        return defs
    found = Pipelines(ctx, "deals").all()
    pipeline_options = _options((p["id"], p["label"]) for p in found)
    stage_options = _options((s["id"], s["label"]) for p in found for s in p["stages"])
    return {**defs, "pipeline": replace(defs["pipeline"], options=pipeline_options),
            "dealstage": replace(defs["dealstage"], options=stage_options)}


def _options(pairs: Iterable[tuple[str, str]]) -> tuple[dict, ...]:
    return tuple({"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
                 for i, (value, label) in enumerate(pairs))


def check_deal(ctx: PortalContext, properties: dict[str, str], changed: dict[str, str]) -> None:
    """A deal's stage must be one of its pipeline's (``properties``: the deal as it will be)."""
    if "dealstage" not in changed and "pipeline" not in changed:
        return
    stage = properties.get("dealstage")
    if not stage:
        return
    pipeline_id = properties.get("pipeline") or "default"
    pipeline = next((p for p in Pipelines(ctx, "deals").all() if p["id"] == pipeline_id), None)
    allowed = [s["id"] for s in pipeline["stages"]] if pipeline else []
    if stage not in allowed:
        message = f"{stage} was not one of the allowed options: [{', '.join(allowed)}]"
        item = catalog.problem("INVALID_OPTION", "dealstage", message, int(ctx.portal))
        raise errors.HubSpotError(400, catalog.validation_error_body([item], errors.correlation_id()))
