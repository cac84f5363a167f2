"""Storage for both simulators: tenants, entities, counters, credentials — and nothing about rules.

Entities are rows holding their JSON body plus the few indexed columns that queries and
uniqueness checks need (name key, document number, active flag, last-update time). In-memory
SQLite by default; a file or a PostgreSQL URL when asked.

Every multi-step operation runs inside ``store.transaction()``: one lock, one database
transaction, so a failing rule leaves nothing half-written.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import StaticPool

DUMP_FORMAT = "hsqbo-state"
DUMP_VERSION = 1

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("system", String(16), nullable=False, index=True),
    Column("settings", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

entities = Table(
    "entities",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("kind", String(48), nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("name_key", String(512), index=True),
    Column("doc_number", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("updated_at", Float, nullable=False),
    Column("data", Text, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("token", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),  # access | refresh | client
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("expires_at", Float),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("extra", Text, nullable=False, default="{}"),
)


replies = Table(
    "replies",  # responses kept for idempotent replay (QBO requestid)
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

Index("ix_entities_key", entities.c.tenant_id, entities.c.kind, entities.c.entity_id, unique=True)
Index("ix_entities_updated", entities.c.tenant_id, entities.c.kind, entities.c.updated_at)
Index("ix_entities_doc", entities.c.tenant_id, entities.c.doc_number)
Index("ix_entities_name", entities.c.tenant_id, entities.c.name_key)

TABLES = (tenants, entities, counters, credentials, replies)


@dataclass
class Row:
    """One stored entity: its JSON body and the indexed columns beside it."""

    tenant_id: str
    kind: str
    entity_id: int
    data: dict
    name_key: str | None = None
    doc_number: str | None = None
    active: bool = True
    deleted: bool = False
    updated_at: float = 0.0


def _row(r: Any) -> Row:
    return Row(
        tenant_id=r.tenant_id,
        kind=r.kind,
        entity_id=r.entity_id,
        data=json.loads(r.data),
        name_key=r.name_key,
        doc_number=r.doc_number,
        active=bool(r.active),
        deleted=bool(r.deleted),
        updated_at=r.updated_at,
    )


class Store:
    """All persistent state of one process's simulators."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or "sqlite://"
        self._memory_sqlite = self.url in ("sqlite://", "sqlite:///:memory:")
        if self._memory_sqlite:
            # One shared connection: an in-memory database lives and dies with its connection.
            self.engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        elif self.url.startswith("sqlite"):
            self.engine = create_engine(self.url, connect_args={"check_same_thread": False})
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._snapshots: dict[str, Any] = {}
        metadata.create_all(self.engine)

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Serialise and atomically commit one operation; nested calls join the outer one."""
        with self._lock:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                yield conn
                return
            with self.engine.begin() as conn:
                self._local.conn = conn
                try:
                    yield conn
                finally:
                    self._local.conn = None

    # -- tenants ---------------------------------------------------------------------------
    def create_tenant(self, tenant_id: str, system: str, settings: dict, now: float) -> None:
        with self.transaction() as c:
            c.execute(
                insert(tenants).values(
                    id=tenant_id, system=system, settings=json.dumps(settings), created_at=now
                )
            )

    def tenant(self, tenant_id: str) -> dict | None:
        with self.transaction() as c:
            r = c.execute(select(tenants).where(tenants.c.id == tenant_id)).first()
        if r is None:
            return None
        return {"id": r.id, "system": r.system, "settings": json.loads(r.settings), "created_at": r.created_at}

    def tenant_ids(self, system: str | None = None) -> list[str]:
        q = select(tenants.c.id).order_by(tenants.c.created_at)
        if system:
            q = q.where(tenants.c.system == system)
        with self.transaction() as c:
            return [r.id for r in c.execute(q)]

    def save_tenant_settings(self, tenant_id: str, settings: dict) -> None:
        with self.transaction() as c:
            c.execute(update(tenants).where(tenants.c.id == tenant_id).values(settings=json.dumps(settings)))

    # -- counters --------------------------------------------------------------------------
    def next_value(self, tenant_id: str, name: str, start: int = 1) -> int:
        """The next value of a per-tenant sequence (entity Ids, document numbers)."""
        with self.transaction() as c:
            cur = c.execute(
                select(counters.c.value).where(counters.c.tenant_id == tenant_id, counters.c.name == name)
            ).scalar()
            if cur is None:
                value = start
                c.execute(insert(counters).values(tenant_id=tenant_id, name=name, value=value))
            else:
                value = cur + 1
                c.execute(
                    update(counters)
                    .where(counters.c.tenant_id == tenant_id, counters.c.name == name)
                    .values(value=value)
                )
            return value

    def peek_value(self, tenant_id: str, name: str) -> int | None:
        with self.transaction() as c:
            return c.execute(
                select(counters.c.value).where(counters.c.tenant_id == tenant_id, counters.c.name == name)
            ).scalar()

    def set_value(self, tenant_id: str, name: str, value: int) -> None:
        with self.transaction() as c:
            if self.peek_value(tenant_id, name) is None:
                c.execute(insert(counters).values(tenant_id=tenant_id, name=name, value=value))
            else:
                c.execute(
                    update(counters)
                    .where(counters.c.tenant_id == tenant_id, counters.c.name == name)
                    .values(value=value)
                )

    # -- entities --------------------------------------------------------------------------
    def get(self, tenant_id: str, kind: str, entity_id: int) -> Row | None:
        with self.transaction() as c:
            r = c.execute(
                select(entities).where(
                    entities.c.tenant_id == tenant_id,
                    entities.c.kind == kind,
                    entities.c.entity_id == entity_id,
                )
            ).first()
        return _row(r) if r else None

    def put(self, row: Row) -> None:
        """Insert or replace one entity."""
        values = {
            "tenant_id": row.tenant_id,
            "kind": row.kind,
            "entity_id": row.entity_id,
            "name_key": row.name_key,
            "doc_number": row.doc_number,
            "active": row.active,
            "deleted": row.deleted,
            "updated_at": row.updated_at,
            "data": json.dumps(row.data, separators=(",", ":")),
        }
        key = and_(
            entities.c.tenant_id == row.tenant_id,
            entities.c.kind == row.kind,
            entities.c.entity_id == row.entity_id,
        )
        with self.transaction() as c:
            if c.execute(update(entities).where(key).values(**values)).rowcount == 0:
                c.execute(insert(entities).values(**values))

    def put_many(self, rows: Sequence[Row]) -> None:
        """Bulk insert of new rows (seeding, benchmarks, loading a dump)."""
        if not rows:
            return
        with self.transaction() as c:
            c.execute(
                insert(entities),
                [
                    {
                        "tenant_id": r.tenant_id,
                        "kind": r.kind,
                        "entity_id": r.entity_id,
                        "name_key": r.name_key,
                        "doc_number": r.doc_number,
                        "active": r.active,
                        "deleted": r.deleted,
                        "updated_at": r.updated_at,
                        "data": json.dumps(r.data, separators=(",", ":")),
                    }
                    for r in rows
                ],
            )

    def find_name(self, tenant_id: str, kinds: Sequence[str], name_key: str) -> Row | None:
        """A live entity of one of ``kinds`` holding ``name_key`` (uniqueness checks)."""
        with self.transaction() as c:
            r = c.execute(
                select(entities).where(
                    entities.c.tenant_id == tenant_id,
                    entities.c.name_key == name_key,
                    entities.c.kind.in_(kinds),
                    entities.c.deleted.is_(False),
                )
            ).first()
        return _row(r) if r else None

    def find_doc_number(self, tenant_id: str, kinds: Sequence[str], doc_number: str) -> Row | None:
        with self.transaction() as c:
            r = c.execute(
                select(entities).where(
                    entities.c.tenant_id == tenant_id,
                    entities.c.doc_number == doc_number,
                    entities.c.kind.in_(kinds),
                    entities.c.deleted.is_(False),
                )
            ).first()
        return _row(r) if r else None

    def select(
        self,
        tenant_id: str,
        kind: str,
        *,
        ids: Sequence[int] | None = None,
        active: bool | None = None,
        include_deleted: bool = False,
        changed_since: float | None = None,
        offset: int = 0,
        limit: int | None = None,
        order_by_id: bool = True,
    ) -> list[Row]:
        """Rows of one kind filtered on indexed columns; the rest of a query runs in Python."""
        q = select(entities).where(entities.c.tenant_id == tenant_id, entities.c.kind == kind)
        q = self._filters(q, ids, active, include_deleted, changed_since)
        if order_by_id:
            q = q.order_by(entities.c.entity_id)
        if offset:
            q = q.offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.transaction() as c:
            return [_row(r) for r in c.execute(q)]

    def count(
        self,
        tenant_id: str,
        kind: str,
        *,
        active: bool | None = None,
        include_deleted: bool = False,
    ) -> int:
        q = select(func.count()).select_from(entities)
        q = q.where(entities.c.tenant_id == tenant_id, entities.c.kind == kind)
        q = self._filters(q, None, active, include_deleted, None)
        with self.transaction() as c:
            return int(c.execute(q).scalar() or 0)

    @staticmethod
    def _filters(q: Any, ids: Any, active: Any, include_deleted: bool, changed_since: Any) -> Any:
        if ids is not None:
            q = q.where(entities.c.entity_id.in_(list(ids)))
        if active is not None:
            q = q.where(entities.c.active.is_(active))
        if not include_deleted:
            q = q.where(entities.c.deleted.is_(False))
        if changed_since is not None:
            q = q.where(entities.c.updated_at >= changed_since)
        return q

    # -- credentials -----------------------------------------------------------------------
    def put_credential(
        self,
        token: str,
        kind: str,
        tenant_id: str,
        client_id: str,
        expires_at: float | None,
        extra: dict | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                insert(credentials).values(
                    token=token,
                    kind=kind,
                    tenant_id=tenant_id,
                    client_id=client_id,
                    expires_at=expires_at,
                    revoked=False,
                    extra=json.dumps(extra or {}),
                )
            )

    def credential(self, token: str) -> dict | None:
        with self.transaction() as c:
            r = c.execute(select(credentials).where(credentials.c.token == token)).first()
        if r is None:
            return None
        return {
            "token": r.token,
            "kind": r.kind,
            "tenant_id": r.tenant_id,
            "client_id": r.client_id,
            "expires_at": r.expires_at,
            "revoked": bool(r.revoked),
            "extra": json.loads(r.extra),
        }

    def credentials_of(self, tenant_id: str, kind: str) -> list[dict]:
        with self.transaction() as c:
            rows = c.execute(
                select(credentials.c.token).where(
                    credentials.c.tenant_id == tenant_id, credentials.c.kind == kind
                )
            ).all()
        return [self.credential(r.token) for r in rows]

    def revoke_credential(self, token: str) -> None:
        with self.transaction() as c:
            c.execute(update(credentials).where(credentials.c.token == token).values(revoked=True))

    # -- idempotent replies ------------------------------------------------------------------
    def reply(self, tenant_id: str, request_id: str) -> tuple[int, str] | None:
        with self.transaction() as c:
            r = c.execute(
                select(replies).where(replies.c.tenant_id == tenant_id, replies.c.request_id == request_id)
            ).first()
        return (r.status, r.body) if r else None

    def save_reply(self, tenant_id: str, request_id: str, status: int, body: str, now: float) -> None:
        with self.transaction() as c:
            c.execute(
                insert(replies).values(
                    tenant_id=tenant_id, request_id=request_id, status=status, body=body, created_at=now
                )
            )

    # -- whole-state operations --------------------------------------------------------------
    def reset(self) -> None:
        with self.transaction() as c:
            for table in TABLES:
                c.execute(delete(table))

    def snapshot(self) -> str:
        """Copy the whole state aside; returns the snapshot's id."""
        snap_id = uuid.uuid4().hex[:12]
        with self._lock:
            if self._memory_sqlite:
                # SQLite's backup API copies pages, not rows: milliseconds even for large states.
                target = sqlite3.connect(":memory:", check_same_thread=False)
                self._raw_sqlite().backup(target)
                self._snapshots[snap_id] = target
            else:
                self._snapshots[snap_id] = self._rows_by_table()
        return snap_id

    def restore(self, snap_id: str) -> None:
        with self._lock:
            snap = self._snapshots.get(snap_id)
            if snap is None:
                raise KeyError(snap_id)
            if self._memory_sqlite:
                snap.backup(self._raw_sqlite())
                return
            with self.transaction() as c:
                for table in TABLES:
                    c.execute(delete(table))
                for table in TABLES:
                    if snap[table.name]:
                        c.execute(insert(table), snap[table.name])

    def snapshot_ids(self) -> list[str]:
        return list(self._snapshots)

    def _raw_sqlite(self) -> sqlite3.Connection:
        return self.engine.raw_connection().driver_connection

    def _rows_by_table(self) -> dict[str, list[dict]]:
        with self.transaction() as c:
            return {t.name: [dict(r._mapping) for r in c.execute(select(t))] for t in TABLES}

    def dump(self, tenant_id: str | None = None) -> dict:
        """The state as readable, versioned JSON (one tenant or all)."""
        ids = [tenant_id] if tenant_id else self.tenant_ids()
        out = []
        for tid in ids:
            t = self.tenant(tid)
            if t is None:
                continue
            with self.transaction() as c:
                rows = c.execute(
                    select(entities)
                    .where(entities.c.tenant_id == tid)
                    .order_by(entities.c.kind, entities.c.entity_id)
                ).all()
                seqs = c.execute(select(counters).where(counters.c.tenant_id == tid)).all()
            by_kind: dict[str, list[dict]] = {}
            for r in rows:
                entry = {"id": r.entity_id, "active": bool(r.active), "deleted": bool(r.deleted)}
                entry["updatedAt"] = r.updated_at
                entry["nameKey"] = r.name_key
                entry["docNumber"] = r.doc_number
                entry["data"] = json.loads(r.data)
                by_kind.setdefault(r.kind, []).append(entry)
            out.append(
                {
                    "id": tid,
                    "system": t["system"],
                    "settings": t["settings"],
                    "createdAt": t["created_at"],
                    "counters": {s.name: s.value for s in seqs},
                    "entities": by_kind,
                }
            )
        return {"format": DUMP_FORMAT, "version": DUMP_VERSION, "tenants": out}

    def load(self, dump: dict) -> None:
        """Load a dump made by :meth:`dump`, replacing the tenants it names."""
        if dump.get("format") != DUMP_FORMAT or dump.get("version") != DUMP_VERSION:
            raise ValueError(f"not a {DUMP_FORMAT} v{DUMP_VERSION} dump")
        with self.transaction() as c:
            for t in dump["tenants"]:
                tid = t["id"]
                for table in (entities, counters, replies):
                    c.execute(delete(table).where(table.c.tenant_id == tid))
                c.execute(delete(tenants).where(tenants.c.id == tid))
                self.create_tenant(tid, t["system"], t["settings"], t["createdAt"])
                for name, value in t["counters"].items():
                    c.execute(insert(counters).values(tenant_id=tid, name=name, value=value))
                self.put_many(
                    [
                        Row(
                            tenant_id=tid,
                            kind=kind,
                            entity_id=e["id"],
                            data=e["data"],
                            name_key=e["nameKey"],
                            doc_number=e["docNumber"],
                            active=e["active"],
                            deleted=e["deleted"],
                            updated_at=e["updatedAt"],
                        )
                        for kind, items in t["entities"].items()
                        for e in items
                    ]
                )
