"""The engine's memory, on SQLAlchemy: SQLite by default, PostgreSQL by URL.

One ``records`` row per record pair: the link between a HubSpot id and a QBO id (either may be
missing while a record exists on one side only), the last values seen on each side, the merge
base (the values both sides held after the last sync), each side's version (to spot the engine's
own writes coming back), the record's status and a ``dirty`` flag. Observations are persisted
before the watermarks move, so a crash never loses a change: it stays dirty until applied.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool


class StateMismatch(Exception):
    """The state belongs to another QBO company or HubSpot portal than the settings name."""


class Status(StrEnum):
    """A record's sync status, as HubSpot's sync overview shows it (H1); stored as its text."""

    SYNCED = "synced"
    FAILED = "failed"
    EXCLUDED = "excluded"
    PENDING = "pending"


class Side(StrEnum):
    """One of the two systems; stored as its text."""

    HUBSPOT = "hubspot"
    QUICKBOOKS = "quickbooks"

    @property
    def other(self) -> Side:
        return Side.QUICKBOOKS if self is Side.HUBSPOT else Side.HUBSPOT


SYNCED, FAILED, EXCLUDED, PENDING = Status
STATUSES = tuple(Status)
HUBSPOT, QUICKBOOKS = Side

metadata = MetaData()
records_table = Table(
    "sync_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pair", String(32), nullable=False),
    Column("hubspot_id", String(64)),
    Column("qbo_id", String(64)),
    Column("match_key", String(255)),
    Column("label", String(255), nullable=False, default=""),
    Column("status", String(16), nullable=False, default=PENDING),
    Column("reason", String(64)),
    Column("rule", String(8)),
    Column("message", Text),
    Column("hubspot_values", JSON),
    Column("qbo_values", JSON),
    Column("base", JSON),
    Column("doc", JSON),  # a document's own state (invoices, payments): origin, F2 snapshot, lines, deals, status
    Column("hubspot_version", String(64)),
    Column("qbo_version", String(64)),
    Column("hubspot_extra", JSON),
    Column("qbo_extra", JSON),
    Column("dirty", Boolean, nullable=False, default=True),
    Column("deleted", String(16)),  # the side where the record was deleted: a tombstone, never recreated
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("pair", "hubspot_id", name="uq_sync_records_hubspot"),
    UniqueConstraint("pair", "qbo_id", name="uq_sync_records_qbo"),
    Index("ix_sync_records_match", "pair", "match_key"),
    Index("ix_sync_records_dirty", "pair", "dirty", "id"),
    Index("ix_sync_records_status", "pair", "status"),
)
activity_table = Table(
    "sync_activity", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, nullable=False, index=True),
    Column("pair", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),  # created, updated, linked, failed, excluded, conflict, …
    Column("side", String(16)),  # the side written or observed
    Column("reason", String(64)),
    Column("rule", String(8)),
    Column("detail", JSON),
)
watermarks_table = Table(
    "sync_watermarks", metadata,
    Column("pair", String(32), primary_key=True),
    Column("side", String(16), primary_key=True),
    Column("value", DateTime(timezone=True), nullable=False),
)
intents_table = Table(
    "sync_intents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pair", String(32), nullable=False),
    Column("target", String(16), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
notifications_table = Table(  # records named by webhooks, waiting to be re-read: one row each
    "sync_notifications", metadata,
    Column("pair", String(32), primary_key=True),
    Column("side", String(16), primary_key=True),
    Column("object_id", String(64), primary_key=True),
)
settings_table = Table(
    "sync_kv", metadata,
    Column("key", String(128), primary_key=True),
    Column("value", JSON),
)

RECORD_FIELDS = [c.name for c in records_table.columns]
_VALUE_FIELDS = [k for k in RECORD_FIELDS if k != "id"]
# State.save's two statements, built once (inserts return their ids in the records' order)
_INSERT_RECORDS = insert(records_table).returning(records_table.c.id, sort_by_parameter_order=True)
_UPDATE_RECORDS = (update(records_table).where(records_table.c.id == bindparam("record_id"))
                   .values({k: bindparam(k) for k in _VALUE_FIELDS}))
# folded_match looks records up by their key in any letter case
# The hottest reads, built once (building a statement costs several times running it on an in-memory state)
_WATERMARK = select(watermarks_table.c.value).where(watermarks_table.c.pair == bindparam("w_pair"),
                                                    watermarks_table.c.side == bindparam("w_side"))
_DIRTY = (select(records_table).where(records_table.c.pair == bindparam("d_pair"), records_table.c.dirty.is_(True),
                                      records_table.c.id > bindparam("d_after"))
          .order_by(records_table.c.id).limit(bindparam("d_limit")))
_INSERT_WATERMARK = insert(watermarks_table).values(pair=bindparam("w_pair"), side=bindparam("w_side"),
                                                    value=bindparam("w_value"))
_UPDATE_WATERMARK = (update(watermarks_table).where(watermarks_table.c.pair == bindparam("w_pair"),
                                                    watermarks_table.c.side == bindparam("w_side"))
                     .values(value=bindparam("w_value")))
_RECORDS_OF_PAIR = select(records_table).where(records_table.c.pair == bindparam("r_pair")).order_by(records_table.c.id)
_BY_MATCH_KEYS = (select(records_table).where(records_table.c.pair == bindparam("m_pair"),
                                               records_table.c.match_key.in_(bindparam("m_keys", expanding=True)))
                  .order_by(records_table.c.id))
_BY_HUBSPOT_IDS, _BY_QBO_IDS = (
    select(records_table).where(records_table.c.pair == bindparam("s_pair"), column.in_(bindparam("s_ids",
                                                                                                  expanding=True)))
    for column in (records_table.c.hubspot_id, records_table.c.qbo_id))
FOLDED_INDEX = "ix_sync_records_match_folded"
# (match_key too, so that it covers the query: else SQLite, without statistics, prefers ix_sync_records_match
# and walks every record of the pair)
Index(FOLDED_INDEX, records_table.c.pair, func.lower(records_table.c.match_key), records_table.c.match_key)

_JSON_FIELDS = frozenset(c.name for c in records_table.columns if isinstance(c.type, JSON))
_TIME_FIELDS = frozenset(c.name for c in records_table.columns if isinstance(c.type, DateTime))
_RECORD_COLUMNS = ", ".join(RECORD_FIELDS)


def _stored(name: str, value: Any) -> Any:
    """A column's value as SQLAlchemy hands it back from SQLite (JSON decoded, naive datetimes, booleans)."""
    if value is None:
        return None
    if name in _JSON_FIELDS:
        return json.loads(value)
    if name in _TIME_FIELDS:
        return datetime.fromisoformat(value)
    if name == "dirty":
        return bool(value)
    return value


def _sqlite_time(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite ``DateTime`` stores it (naive, microseconds always written)."""
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond:06d}")


def _bound(name: str, value: Any) -> Any:
    """A records column's value as SQLAlchemy's types write it to SQLite (JSON ``None`` is ``'null'``)."""
    if name in _JSON_FIELDS:
        return json.dumps(value)
    if value is None:
        return None
    if name in _TIME_FIELDS:
        return _sqlite_time(value)
    if name == "dirty":
        return int(bool(value))
    return value


_INSERT_SQL = (f"INSERT INTO {records_table.name} ({', '.join(_VALUE_FIELDS)}) "
               f"VALUES ({', '.join('?' * len(_VALUE_FIELDS))})")
_UPDATE_SQL = f"UPDATE {records_table.name} SET {', '.join(f'{k} = ?' for k in _VALUE_FIELDS)} WHERE id = ?"


class _RawReads:
    """The hot statements of an in-memory state on its one ``sqlite3`` connection, past SQLAlchemy.

    An in-memory state has a single DBAPI connection (``StaticPool``), so these statements see and write
    exactly what SQLAlchemy's would, inside the same transactions; running a statement through SQLAlchemy costs
    several times running it (a history of the property state machine makes about 500 of them). Values are
    stored and answered as SQLAlchemy's types do (checked by ``tests/unit/test_state_lookups.py`` against a
    file state, which stays on SQLAlchemy)."""

    def __init__(self, engine: Engine) -> None:
        fairy = engine.raw_connection()
        self.db: Any = fairy.driver_connection
        fairy.close()  # back to the pool; the static pool keeps the connection open

    @contextmanager
    def writing(self, conn: Connection | None) -> Iterator[Any]:
        """The connection to write on: inside the caller's transaction (``conn``: it commits or rolls back the
        one DBAPI connection) or in a transaction of its own, as ``engine.begin()`` would."""
        if conn is not None:
            yield self.db
            return
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def records(self, where: str, params: Sequence[Any], tail: str = " ORDER BY id") -> list[Record]:
        rows = self.rows(f"SELECT {_RECORD_COLUMNS} FROM {records_table.name} WHERE {where}{tail}", params)
        return [Record(**{k: _stored(k, v) for k, v in zip(RECORD_FIELDS, row, strict=True)}) for row in rows]


@dataclass
class Record:
    """One record pair as the engine sees it (a plain object; ``State.save`` writes it back)."""

    pair: str
    id: int | None = None
    hubspot_id: str | None = None
    qbo_id: str | None = None
    match_key: str | None = None
    label: str = ""
    status: str = PENDING
    reason: str | None = None
    rule: str | None = None
    message: str | None = None
    hubspot_values: dict | None = None
    qbo_values: dict | None = None
    base: dict | None = None
    doc: dict | None = None
    hubspot_version: str | None = None
    qbo_version: str | None = None
    hubspot_extra: dict | None = None
    qbo_extra: dict | None = None
    dirty: bool = True
    deleted: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def side_id(self, side: str) -> str | None:
        return self.hubspot_id if side == HUBSPOT else self.qbo_id

    def values(self, side: str) -> dict:
        return (self.hubspot_values if side == HUBSPOT else self.qbo_values) or {}

    def extra(self, side: str) -> dict:
        return (self.hubspot_extra if side == HUBSPOT else self.qbo_extra) or {}


@dataclass
class Observation:
    """A record read from one side: its id, version, canonical mapped values and match key."""

    side: str
    id: str
    version: str
    values: dict
    match_key: str | None
    label: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Activity:
    record_id: int
    pair: str
    action: str
    side: str | None = None
    reason: str | None = None
    rule: str | None = None
    detail: dict | None = None


def _engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        # one shared connection, or every checkout would see a new empty database
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    return create_engine(url, pool_pre_ping=True)


def _schema_statements(if_not_exists: bool = False) -> tuple[list[Any], list[Any]]:
    """The schema as every state is made: its tables (dependencies first), and then each one's indexes by name.
    ``create_all`` makes a table's indexes in the order of a set, which differs from one process to the next, and
    SQLite settles a tie between two indexes for the one made last: the same state would be read by other plans in
    another process."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    tables = metadata.sorted_tables
    return ([CreateTable(table, if_not_exists=if_not_exists) for table in tables],
            [CreateIndex(index, if_not_exists=if_not_exists)
             for table in tables for index in sorted(table.indexes, key=_index_name)])


@functools.cache
def _sqlite_schema() -> tuple[str, ...]:
    """:func:`_schema_statements` compiled for SQLite, once per process."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    tables, indexes = _schema_statements()
    return tuple(str(statement.compile(dialect=dialect)) for statement in tables + indexes)


def _index_name(index: Index) -> str:
    return str(index.name)


class State:
    def __init__(self, url: str = "sqlite://", engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or _engine(url)
        if engine is None and url in ("sqlite://", "sqlite:///:memory:"):
            self._create_in_memory()  # a new, empty database: nothing to check first, no older columns
        else:
            self._create_schema()
        in_memory = (self.engine.dialect.name == "sqlite" and isinstance(self.engine.pool, StaticPool)
                     and self.engine.url.database in (None, "", ":memory:"))
        self._raw = _RawReads(self.engine) if in_memory else None

    def _create_in_memory(self) -> None:
        """The schema of a new in-memory state, compiled once per process (compiling it again for each state was
        most of a new state's cost; tests/unit/test_state_schema.py checks that both ways make the same schema)."""
        fairy = self.engine.raw_connection()
        try:
            cursor = fairy.cursor()
            for statement in _sqlite_schema():
                cursor.execute(statement)
            fairy.commit()
        finally:
            fairy.close()  # back to the static pool, which keeps the database open

    def _create_schema(self) -> None:
        """:func:`_schema_statements`, each made where it is missing: the tables, then the columns added since (a
        state written by an older version; all nullable), then the indexes, which may name those columns."""
        from sqlalchemy import inspect, text

        tables, indexes = _schema_statements(if_not_exists=True)
        with self.engine.begin() as conn:
            for statement in tables:
                conn.execute(statement)
            have = {c["name"] for c in inspect(conn).get_columns(records_table.name)}
            for column in records_table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(text(f"ALTER TABLE {records_table.name} ADD COLUMN {column.name} {kind}"))
            for statement in indexes:
                conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- records ---------------------------------------------------------------------------------
    @staticmethod
    def _record(row: Any) -> Record:
        return Record(**{k: row._mapping[k] for k in RECORD_FIELDS})

    def get(self, record_id: int) -> Record | None:
        if self._raw:
            found = self._raw.records("id = ?", (record_id,), "")
            return found[0] if found else None
        with self.engine.connect() as conn:
            row = conn.execute(select(records_table).where(records_table.c.id == record_id)).first()
        return self._record(row) if row else None

    def by_side_ids(self, pair: str, side: str, ids: Sequence[str],
                    conn: Connection | None = None) -> dict[str, Record]:
        out: dict[str, Record] = {}
        if self._raw:
            column = "hubspot_id" if side == HUBSPOT else "qbo_id"
            for chunk in chunks(list(ids), 500):
                marks = ", ".join("?" * len(chunk))
                for record in self._raw.records(f"pair = ? AND {column} IN ({marks})", (pair, *chunk), ""):
                    out[str(record.side_id(side))] = record
            return out
        with self._conn(conn) as c:
            statement = _BY_HUBSPOT_IDS if side == HUBSPOT else _BY_QBO_IDS
            for chunk in chunks(list(ids), 500):
                rows = c.execute(statement, {"s_pair": pair, "s_ids": chunk})
                for row in rows:
                    record = self._record(row)
                    out[str(record.side_id(side))] = record
        return out

    def by_match_keys(self, pair: str, keys: Sequence[str], conn: Connection | None = None) -> dict[str, list[Record]]:
        """Records holding each match key, oldest first."""
        out: dict[str, list[Record]] = {}
        if self._raw:
            for chunk in chunks(sorted(set(keys)), 500):
                marks = ", ".join("?" * len(chunk))
                for record in self._raw.records(f"pair = ? AND match_key IN ({marks})", (pair, *chunk)):
                    out.setdefault(record.match_key or "", []).append(record)
            return out
        with self._conn(conn) as c:
            for chunk in chunks(sorted(set(keys)), 500):
                rows = c.execute(_BY_MATCH_KEYS, {"m_pair": pair, "m_keys": chunk})
                for row in rows:
                    record = self._record(row)
                    out.setdefault(record.match_key or "", []).append(record)
        return out

    def folded_match(self, pair: str, key: str, own_id: int | None) -> bool:
        """Whether another record holds ``key`` in another letter case."""
        query = select(records_table.c.id).where(records_table.c.pair == pair,
                                                 func.lower(records_table.c.match_key) == key.lower(),
                                                 records_table.c.match_key != key)
        if own_id is not None:
            query = query.where(records_table.c.id != own_id)
        with self.engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def dirty(self, pair: str, after_id: int = 0, limit: int = 990) -> list[Record]:
        """The next dirty records of a pair, in id order (a cursor, so one pass meets each once)."""
        if self._raw:
            return self._raw.records("pair = ? AND dirty = 1 AND id > ?", (pair, after_id, limit),
                                     " ORDER BY id LIMIT ?")
        with self.engine.connect() as conn:
            rows = conn.execute(_DIRTY, {"d_pair": pair, "d_after": after_id, "d_limit": limit})
            return [self._record(r) for r in rows]

    def save(self, records: Sequence[Record], conn: Connection | None = None, now: datetime | None = None) -> None:
        """Insert new records (``id`` None: assigned here, in order) and update the others, with two statements
        built once for all saves (building one per record was most of a save's cost)."""
        new: list[Record] = []
        inserts: list[dict] = []
        updates: list[dict] = []
        for record in records:
            if now is not None:
                record.updated_at = now
                record.created_at = record.created_at or now
            values = {k: getattr(record, k) for k in _VALUE_FIELDS}
            if record.id is None:
                new.append(record)
                inserts.append(values)
            else:
                values["record_id"] = record.id
                updates.append(values)
        if self._raw:
            with self._raw.writing(conn) as db:
                for record, values in zip(new, inserts, strict=True):
                    record.id = db.execute(_INSERT_SQL, [_bound(k, values[k]) for k in _VALUE_FIELDS]).lastrowid
                if updates:
                    db.executemany(_UPDATE_SQL, [[*(_bound(k, values[k]) for k in _VALUE_FIELDS), values["record_id"]]
                                                 for values in updates])
            return
        with self._conn(conn, write=True) as c:
            if inserts:
                ids = c.execute(_INSERT_RECORDS, inserts).scalars().all()
                for record, record_id in zip(new, ids, strict=True):
                    record.id = record_id
            if updates:
                c.execute(_UPDATE_RECORDS, updates)

    def records(self, pair: str | None = None, status: str | None = None, reason: str | None = None,
                text: str | None = None, offset: int = 0, limit: int | None = None) -> list[Record]:
        """Records filtered for the status view (H2), newest change last."""
        if self._raw and pair and status and not (reason or text or offset) and limit is None:
            return self._raw.records("pair = ? AND status = ?", (pair, status))  # a pair's records of one status
        if pair and not (status or reason or text or offset) and limit is None:  # a pair's records: built once
            if self._raw:
                return self._raw.records("pair = ?", (pair,))
            with self.engine.connect() as conn:
                return [self._record(r) for r in conn.execute(_RECORDS_OF_PAIR, {"r_pair": pair})]
        query = select(records_table).where(*self._filters(pair, status, reason, text)).order_by(records_table.c.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self.engine.connect() as conn:
            return [self._record(r) for r in conn.execute(query)]

    def count_records(self, pair: str | None = None, status: str | None = None, reason: str | None = None,
                      text: str | None = None) -> int:
        query = select(func.count()).select_from(records_table).where(*self._filters(pair, status, reason, text))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    @staticmethod
    def _filters(pair: str | None, status: str | None, reason: str | None, text: str | None) -> list:
        c = records_table.c
        where = []
        if pair:
            where.append(c.pair == pair)
        if status:
            where.append(c.status == status)
        if reason:
            where.append(c.reason == reason)
        if text:
            like = f"%{text.lower()}%"
            where.append(func.lower(c.label).like(like) | func.lower(func.coalesce(c.match_key, "")).like(like))
        return where

    def counts(self, pair: str) -> dict[str, int]:
        """Synced / failed / excluded / pending counts of a pair (H1)."""
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        query = (select(records_table.c.status, func.count()).where(records_table.c.pair == pair)
                 .group_by(records_table.c.status))
        with self.engine.connect() as conn:
            for status, n in conn.execute(query):
                out[status] = int(n)
        return out

    # -- activity --------------------------------------------------------------------------------
    def log(self, entries: Sequence[Activity], now: datetime, conn: Connection | None = None) -> None:
        if not entries:
            return
        if self._raw:
            at = _sqlite_time(now)
            with self._raw.writing(conn) as db:
                db.executemany(f"INSERT INTO {activity_table.name} (record_id, pair, at, action, side, reason, rule, "
                               "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               [(e.record_id, e.pair, at, e.action, e.side, e.reason, e.rule, json.dumps(e.detail))
                                for e in entries])
            return
        rows = [{"record_id": e.record_id, "pair": e.pair, "at": now, "action": e.action, "side": e.side,
                 "reason": e.reason, "rule": e.rule, "detail": e.detail} for e in entries]
        with self._conn(conn, write=True) as c:
            c.execute(insert(activity_table), rows)

    def activity(self, record_id: int) -> list[dict]:
        query = select(activity_table).where(activity_table.c.record_id == record_id).order_by(activity_table.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- watermarks ------------------------------------------------------------------------------
    def watermark(self, pair: str, side: str) -> datetime | None:
        if self._raw:
            rows = self._raw.rows(f"SELECT value FROM {watermarks_table.name} WHERE pair = ? AND side = ?",
                                  (pair, side))
            return _aware(datetime.fromisoformat(rows[0][0])) if rows else None
        with self.engine.connect() as conn:
            value = conn.execute(_WATERMARK, {"w_pair": pair, "w_side": side}).scalar_one_or_none()
        return _aware(value)

    def set_watermark(self, pair: str, side: str, value: datetime, conn: Connection | None = None) -> None:
        """Watermarks only move forward (invariant 8)."""
        current = self.watermark(pair, side)
        if current is not None and value <= current:
            return
        if self._raw:
            with self._raw.writing(conn) as db:
                t = watermarks_table.name
                db.execute(f"INSERT INTO {t} (value, pair, side) VALUES (?, ?, ?)" if current is None else
                           f"UPDATE {t} SET value = ? WHERE pair = ? AND side = ?", (_sqlite_time(value), pair, side))
            return
        with self._conn(conn, write=True) as c:
            values = {"w_pair": pair, "w_side": side, "w_value": value}
            c.execute(_INSERT_WATERMARK if current is None else _UPDATE_WATERMARK, values)

    # -- intents: writes sent but not yet recorded ----------------------------------------------
    def add_intent(self, pair: str, target: str, request_id: str, payload: dict, now: datetime) -> int:
        if self._raw:  # one per batch written: a statement built and compiled each time cost more than the insert
            with self._raw.writing(None) as db:
                return int(db.execute(f"INSERT INTO {intents_table.name} (pair, target, request_id, payload, "
                                      "created_at) VALUES (?, ?, ?, ?, ?)",
                                      (pair, target, request_id, json.dumps(payload), _sqlite_time(now))).lastrowid)
        with self.transaction() as conn:
            return conn.execute(insert(intents_table).values(pair=pair, target=target, request_id=request_id,
                                                             payload=payload, created_at=now)).inserted_primary_key[0]

    def intents(self, pair: str) -> list[dict]:
        if self._raw:
            names = [c.name for c in intents_table.columns]
            rows = self._raw.rows(f"SELECT {', '.join(names)} FROM {intents_table.name} WHERE pair = ? ORDER BY id",
                                  (pair,))
            return [{**dict(zip(names, row, strict=True)), "payload": json.loads(row[names.index("payload")]),
                     "created_at": datetime.fromisoformat(row[names.index("created_at")])} for row in rows]
        query = select(intents_table).where(intents_table.c.pair == pair).order_by(intents_table.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def drop_intent(self, intent_id: int, conn: Connection | None = None) -> None:
        if self._raw:
            with self._raw.writing(conn) as db:
                db.execute(f"DELETE FROM {intents_table.name} WHERE id = ?", (intent_id,))
            return
        with self._conn(conn, write=True) as c:
            c.execute(intents_table.delete().where(intents_table.c.id == intent_id))

    # -- notifications: records webhooks named, waiting to be re-read ----------------------------
    def notify(self, pair: str, side: str, ids: Sequence[str]) -> None:
        """Add ids to re-read; one row each, inserted on its own: a notification arriving while a re-read
        runs is a new row that the re-read's :meth:`drop_notifications` leaves alone."""
        t = notifications_table
        with self.transaction() as conn:
            have = set(conn.execute(select(t.c.object_id).where(t.c.pair == pair, t.c.side == side,
                                                                  t.c.object_id.in_(list(ids)))).scalars())
            new = sorted(set(ids) - have)
            if new:
                conn.execute(insert(t), [{"pair": pair, "side": side, "object_id": i} for i in new])

    def notifications(self, pair: str | None = None, side: str | None = None) -> list[str]:
        t = notifications_table
        if self._raw:
            given = [(name, v) for name, v in (("pair", pair), ("side", side)) if v is not None]
            clause = " AND ".join(f"{name} = ?" for name, _ in given) or "1"
            return [r[0] for r in self._raw.rows(f"SELECT object_id FROM {t.name} WHERE {clause} ORDER BY object_id",
                                                 [v for _, v in given])]
        where = [c == v for c, v in ((t.c.pair, pair), (t.c.side, side)) if v is not None]
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.object_id).where(*where).order_by(t.c.object_id)).scalars())

    def drop_notifications(self, pair: str, side: str, ids: Sequence[str]) -> None:
        """Forget exactly the ids that were re-read."""
        t = notifications_table
        with self.transaction() as conn:
            for chunk in chunks(list(ids), 500):
                conn.execute(t.delete().where(t.c.pair == pair, t.c.side == side, t.c.object_id.in_(chunk)))

    # -- whose state this is ------------------------------------------------------------------------
    def claim(self, owner: dict[str, str]) -> None:
        """Bind this state to one QBO company and one HubSpot portal (``owner``: realm, portal, base URLs): the
        first engine on it records them, any later one must name the same. Ids repeat across simulator runs, so
        a state reused against other accounts would link records that never met; :class:`StateMismatch` then.
        Keys missing from the record (a state written before this check) are adopted."""
        held = self.get_value("owner") or {}
        clash = [k for k in sorted(owner) if k in held and str(held[k]) != str(owner[k])]
        if clash:
            said = "; ".join(f"{k} {held[k]} (now {owner[k]})" for k in clash)
            raise StateMismatch(f"the state database {self.url} belongs to {said}: point state: at a new database "
                                "for these accounts, or delete it to start over")
        if any(k not in held for k in owner):
            self.set_value("owner", {**held, **owner})

    # -- small values (rotated tokens, ensured properties) --------------------------------------
    def get_value(self, key: str) -> Any:
        if self._raw:
            rows = self._raw.rows(f"SELECT value FROM {settings_table.name} WHERE key = ?", (key,))
            return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None
        with self.engine.connect() as conn:
            return conn.execute(select(settings_table.c.value).where(settings_table.c.key == key)).scalar_one_or_none()

    def set_value(self, key: str, value: Any) -> None:
        if self._raw:
            with self._raw.writing(None) as db:
                db.execute(f"INSERT INTO {settings_table.name} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                           "SET value = excluded.value", (key, json.dumps(value)))
            return
        with self.transaction() as conn:
            if conn.execute(select(settings_table.c.key).where(settings_table.c.key == key)).first():
                conn.execute(update(settings_table).where(settings_table.c.key == key).values(value=value))
            else:
                conn.execute(insert(settings_table).values(key=key, value=value))

    # -- helpers ---------------------------------------------------------------------------------
    @contextmanager
    def _conn(self, conn: Connection | None, write: bool = False) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        elif write:
            with self.engine.begin() as c:
                yield c
        else:
            with self.engine.connect() as c:
                yield c

    def dump(self) -> str:
        """Every record as JSON lines (debugging and scenario traces)."""
        return "\n".join(json.dumps({k: getattr(r, k) for k in RECORD_FIELDS}, default=str)
                         for r in self.records())


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the engine's are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
