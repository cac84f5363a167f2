"""Storage for both simulators: tenants, entities, counters, credentials — and nothing about rules.

Entities are rows holding their JSON body plus the few indexed columns that queries and
uniqueness checks need (name key, document number, active flag, last-update time). A private
SQLite database by default, the process's own and gone with it: in memory, moved to a private file
once big (:func:`private_database`); a file or a PostgreSQL URL when asked.

Every multi-step operation runs inside ``store.transaction()``: one lock, one database
transaction, so a failing rule leaves nothing half-written.

The schema and the statements are plain, portable SQL (SQLite ≥ 3.24 and PostgreSQL both run them,
``?`` placeholders become ``%s`` for psycopg2) on the DBAPI connection: SQLAlchemy Core's
per-statement cost (~200 µs) was most of a simulated request's time, and importing it most of
``hsqbo serve``'s start-up time. SQLAlchemy is still what connects to a file or a PostgreSQL URL
(its pool, ``pool_pre_ping``), imported only then.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import sqlite3
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, create_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

DUMP_FORMAT = "hsqbo-state"
DUMP_VERSION = 1

metadata = MetaData()
# The schema is SQLAlchemy's (one definition, any dialect); the hot statements below are hand-written.
Table("tenants", metadata,
      Column("id", String(64), primary_key=True),
      Column("system", String(16), nullable=False, index=True),
      Column("settings", Text, nullable=False),
      Column("created_at", Float, nullable=False))
_entities = Table("entities", metadata,
                  Column("pk", Integer, primary_key=True, autoincrement=True),
                  Column("tenant_id", String(64), nullable=False),
                  Column("kind", String(48), nullable=False),
                  Column("entity_id", Integer, nullable=False),
                  Column("name_key", String(512)),
                  Column("doc_number", String(64)),
                  Column("active", Boolean, nullable=False),
                  Column("deleted", Boolean, nullable=False),
                  Column("updated_at", Float, nullable=False),
                  Column("data", Text, nullable=False))
_e = _entities.c
Index("ix_entities_key", _e.tenant_id, _e.kind, _e.entity_id, unique=True)
Index("ix_entities_updated", _e.tenant_id, _e.kind, _e.updated_at)
# The lookups filter on kind IN (...) too: with kind in these two indexes they always beat the key index
# (the planner could pick ix_entities_key and scan every row of those kinds: O(n) per create).
Index("ix_entities_doc", _e.tenant_id, _e.doc_number, _e.kind)
Index("ix_entities_name", _e.tenant_id, _e.name_key, _e.kind)
# Pages in Id order filter on deleted/active: with both in the index, the rows an OFFSET skips are never
# read from the table (a page at 99,000 out of 100k customers: ~45 ms before, ~12 ms with it). It ties with
# ix_entities_key, and SQLite takes the index made last: made by name (Store._create_schema), this one.
Index("ix_entities_page", _e.tenant_id, _e.kind, _e.entity_id, _e.deleted, _e.active)
Table("counters", metadata,
      Column("tenant_id", String(64), primary_key=True),
      Column("name", String(64), primary_key=True),
      Column("value", Integer, nullable=False))
Table("credentials", metadata,
      Column("token", String(128), primary_key=True),
      Column("kind", String(16), nullable=False),  # access | refresh | client | code
      Column("tenant_id", String(64), nullable=False, index=True),
      Column("client_id", String(64), nullable=False),
      Column("expires_at", Float),
      Column("revoked", Boolean, nullable=False),
      Column("extra", Text, nullable=False))
Table("replies", metadata,  # responses kept for idempotent replay (QBO requestid)
      Column("tenant_id", String(64), primary_key=True),
      Column("request_id", String(128), primary_key=True),
      Column("status", Integer, nullable=False),
      Column("body", Text, nullable=False),
      Column("created_at", Float, nullable=False))

TABLES = ("tenants", "entities", "counters", "credentials", "replies")
MEMO_SIZE = 16  # Store.memo entries
ROW_CACHE = 20_000  # entity rows kept in memory (their JSON text): a few tens of MB at most
# The private database starts in memory; once it outgrows SPILL_BYTES (looked at every SPILL_CHECK transactions or
# bulk-loaded rows) it moves to a private file (private_database), of which SQLite keeps PAGE_CACHE_KIB in memory
# and the OS's file cache the rest. 100,000 customers are about 500 MiB of pages: held in memory, they made a 100k
# sync's process 900 MiB. Below the threshold writes stay at memory speed (a file's commit writes its pages out:
# a few per cent of a POST).
SPILL_BYTES = 64 * 1024 * 1024
SPILL_CHECK = 256
PAGE_CACHE_KIB = 32 * 1024

ROW_COLUMNS = "tenant_id, kind, entity_id, name_key, doc_number, active, deleted, updated_at, data"
TENANT_COLUMNS = "id, system, settings, created_at"
CREDENTIAL_COLUMNS = "token, kind, tenant_id, client_id, expires_at, revoked, extra"


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


def private_database() -> sqlite3.Connection:
    """A database this process alone sees, gone with its connection, as ``:memory:`` is, but not all in memory.

    A SQLite file in the temporary directory, unlinked as soon as it is open and locked (the connection keeps it;
    a killed process leaves nothing behind), with a bounded page cache (``PAGE_CACHE_KIB``): SQLite pages the
    rest through the OS's file cache, which is not this process's memory. No journal file and no syncs (what a
    crash would save is a simulator's state that dies with the process anyway); the journal stays in memory, so
    a rolled-back transaction still leaves nothing. Each commit writes its pages to the file (a few per cent of
    a write request), so a store only moves here once big (``SPILL_BYTES``). SQLite's temporary database (``""``)
    does not write at commit, but walks its dirty pages at every commit instead: 0.13–2.4 ms a commit.
    Raises ``OSError`` when no temporary directory is writable."""
    fd, path = tempfile.mkstemp(prefix="hsqbo-store-", suffix=".db")  # in $TMPDIR, else the system's; OSError
    os.close(fd)
    db = sqlite3.connect(path, check_same_thread=False)
    for pragma in (f"cache_size = -{PAGE_CACHE_KIB}", "journal_mode = MEMORY", "synchronous = OFF",
                   "locking_mode = EXCLUSIVE"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN EXCLUSIVE")  # takes the lock, which EXCLUSIVE mode then keeps: no one else opens it
    db.commit()
    try:
        os.unlink(path)
    except OSError:  # a system that cannot unlink an open file (Windows): removed at exit instead
        atexit.register(_remove, path)
    return db


def memory_database() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", check_same_thread=False)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _is_file(db: sqlite3.Connection) -> bool:
    """Whether ``db`` is a file database (its main database has a path; ``:memory:`` has none)."""
    return any(name == "main" and path for _, name, path in db.execute("PRAGMA database_list"))


def _row(r: Sequence) -> Row:
    """A :class:`Row` from a tuple of ``ROW_COLUMNS``."""
    return Row(r[0], r[1], r[2], json.loads(r[8]), r[3], r[4], bool(r[5]), bool(r[6]), r[7])


def _values(row: Row) -> tuple:
    """``row`` as the parameters of an insert of ``ROW_COLUMNS``."""
    return (row.tenant_id, row.kind, row.entity_id, row.name_key, row.doc_number, row.active, row.deleted,
            row.updated_at, json.dumps(row.data, separators=(",", ":")))


def _marks(n: int) -> str:
    return ", ".join("?" * n)


_IDENT = re.compile(r"[a-z][a-z0-9_]*")  # a kind written into SQL as a literal (find_by_field)
_PATH = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")  # a JSON path written into SQL as a literal


def _field(data: dict, path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


INSERT_ROW = f"INSERT INTO entities ({ROW_COLUMNS}) VALUES ({_marks(9)})"
UPSERT_ROW = INSERT_ROW + (
    " ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET name_key = excluded.name_key,"
    " doc_number = excluded.doc_number, active = excluded.active, deleted = excluded.deleted,"
    " updated_at = excluded.updated_at, data = excluded.data"
)


def _index_name(index: Index) -> str:
    return str(index.name)


class Store:
    """All persistent state of one process's simulators."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or "sqlite://"
        self._private = self.url in ("sqlite://", "sqlite:///:memory:")
        self._sqlite = self.url.startswith("sqlite")
        self._db: Any = None  # the private database's one connection (None for other backends)
        self._spilled = False  # the private database is a file now (SPILL_BYTES), no longer in memory
        self._unchecked = 0  # transactions since its size was last looked at
        if self._private:
            # The private database lives and dies with its connection: the store opens it and holds it,
            # and SQLAlchemy's engine hands out that one connection.
            self._db = memory_database()
            self._engine = self._private_engine()
        elif self._sqlite:
            self._engine = create_engine(self.url, connect_args={"check_same_thread": False})
        else:
            self._engine = create_engine(self.url, pool_pre_ping=True)
        self._lock = threading.RLock()
        self._tx: Any = None  # the DBAPI connection of the open transaction (only read under the lock)
        self._snapshots: dict[str, Any] = {}
        self._sql: dict[str, str] = {}
        # Caches of what every request reads: tenants, credentials and entity rows (raw rows), counters.
        # Why: each SQLite call releases the GIL and waits on this store's lock, and under the threaded
        # server each of those costs thread switches (~100 µs here), far more than the query itself.
        # Only for the private database, which nothing outside this object can change.
        # - tenants, credentials, rows hold committed rows only: filled by reads made outside any
        #   transaction, their keys dropped by every write, so they are read without the lock;
        # - counters are read and written through, always under the lock, and dropped on rollback;
        # - reset, restore and load empty them all.
        self._cache = self._private
        self._tenants: dict[str, tuple] = {}
        self._credentials: dict[str, tuple] = {}
        # oldest first: a full cache drops its oldest row in O(1) (a plain dict's first key is found by skipping
        # the slots of every key deleted before it, which made each read at 100k rows cost microseconds)
        self._rows: OrderedDict[tuple[str, str, int], tuple] = OrderedDict()
        self._counters: dict[tuple[str, str], int] = {}
        self._field_indexes: set[str] = set()  # find_by_field's expression indexes known to exist
        # Bumped by every write (and reset, restore, load): a value memo() computed at an older version is stale.
        self.version = 0
        self._memo: dict[Any, tuple[int, Any]] = {}
        # memo_of: answers kept while no row of the kinds they read was written; writes counted per (tenant, kind)
        self._kind_writes: dict[tuple[str, str], int] = {}
        self._kind_memo: dict[Any, tuple[tuple[int, ...], Any]] = {}
        self._create_schema()

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine of this store's database."""
        return self._engine

    @staticmethod
    def _new_database(file: bool) -> sqlite3.Connection:
        """A new private database: a file (see private_database) when ``file``, else (or with no writable
        temporary directory) in memory."""
        if file:
            with contextlib.suppress(OSError):
                return private_database()
        return memory_database()

    def _private_engine(self) -> Any:
        return create_engine("sqlite://", poolclass=StaticPool, creator=lambda: self._db)

    def _create_schema(self) -> None:
        """The tables, then each one's indexes by name. ``create_all`` makes a table's indexes in the order of a set,
        which differs from one process to the next, and SQLite, without statistics, settles a tie between two indexes
        for the one made last: a page in id order went by ``ix_entities_key`` in some processes, reading every row
        the OFFSET skips from the table, and by ``ix_entities_page`` in others (50 against 12 ms at 99,000 of 100k
        customers)."""
        tables = metadata.sorted_tables
        with self._lock, self._engine.begin() as conn:
            for table in tables:
                conn.execute(CreateTable(table, if_not_exists=True))
            for table in tables:
                for index in sorted(table.indexes, key=_index_name):
                    conn.execute(CreateIndex(index, if_not_exists=True))

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """Serialise and atomically commit one operation; nested calls join the outer one.

        Yields the DBAPI connection the operation runs on.
        """
        with self._lock:
            if self._tx is not None:
                yield self._tx
                return
            conn = self._db if self._private else self._engine.raw_connection()
            self._tx = conn
            try:
                yield conn
                conn.commit()
            except BaseException:
                conn.rollback()
                self._counters.clear()  # they may hold what was just rolled back
                self._kind_memo.clear()
                self.version += 1  # memo() answers worked out inside the transaction saw what is now undone
                raise
            finally:
                self._tx = None
                if conn is not self._db:
                    conn.close()  # back to the pool
            if self._private and not self._spilled:
                self._unchecked += 1
                if self._unchecked >= SPILL_CHECK:
                    self._unchecked = 0
                    self._spill_when_big()

    def _spill_when_big(self) -> None:
        """Move the in-memory database to a private file once it holds more than ``SPILL_BYTES`` (between
        transactions, under the lock). Without a writable temporary directory it stays in memory."""
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        if pages * self._db.execute("PRAGMA page_size").fetchone()[0] < SPILL_BYTES:
            return
        try:
            target = private_database()
        except OSError:
            return
        try:
            self._db.backup(target)
        except sqlite3.Error:  # no room for the file: stay in memory
            target.close()
            return
        self._db.close()
        self._use(target)

    def _use(self, db: sqlite3.Connection) -> None:
        """Make ``db`` the live private database (the old one already closed)."""
        self._db, self._spilled = db, _is_file(db)
        self._engine.dispose()  # its pool's creator hands out the new connection from now on

    def _q(self, sql: str) -> str:
        """``sql`` in the driver's parameter style (``?`` for sqlite3, ``%s`` for psycopg2)."""
        if self._sqlite:
            return sql
        out = self._sql.get(sql)
        if out is None:
            out = self._sql[sql] = sql.replace("?", "%s")
        return out

    def _execute(self, sql: str, params: Sequence = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self.transaction() as conn:
            self.version += 1
            cur = conn.cursor()
            cur.execute(self._q(sql), params)
            return cur.rowcount

    def _one(self, sql: str, params: Sequence = ()) -> Any:
        with self.transaction() as conn:
            cur = conn.cursor()
            cur.execute(self._q(sql), params)
            return cur.fetchone()

    def _all(self, sql: str, params: Sequence = ()) -> list:
        with self.transaction() as conn:
            cur = conn.cursor()
            cur.execute(self._q(sql), params)
            return cur.fetchall()

    def _many(self, sql: str, rows: Sequence[Sequence]) -> None:
        with self.transaction() as conn:
            self.version += 1
            self._unchecked += len(rows)  # a bulk load counts by its rows towards the next size check (SPILL_CHECK)
            conn.cursor().executemany(self._q(sql), rows)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, or what it returned for ``key`` when nothing was written since (a few keys are kept).

        For answers derived from many rows that callers ask for again unchanged: the pages of one search.
        """
        hit = self._memo.get(key)
        version = self.version
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        # Entries from before the last write are never hit again: dropped now, not when MEMO_SIZE pushes them out (at
        # 100k records each holds lists of 100k that every full garbage collection would walk).
        for k, (made, _) in list(self._memo.items()):  # a copy: another thread may memo meanwhile
            if made != version:
                self._memo.pop(k, None)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.pop(next(iter(self._memo), None), None)  # the oldest entry
        self._memo[key] = (version, value)  # stamped with the version it was computed from
        return value

    def memo_of(self, tenant_id: str, kinds: Sequence[str], key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, or what it returned for ``key`` while no row of ``kinds`` of the tenant was written since:
        for small answers read on every request of a busy store (a portal's property definitions), which
        :meth:`memo` would compute again after any write. Kept for the private database alone."""
        # stamped before computing: a write meanwhile makes the answer stale, never a stale answer look fresh
        stamp = tuple(self._kind_writes.get((tenant_id, kind), 0) for kind in kinds)
        hit = self._kind_memo.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = compute()
        if self._cache:
            self._kind_memo[key] = (stamp, value)
        return value

    def _wrote(self, tenant_id: str, kind: str) -> None:
        key = (tenant_id, kind)
        self._kind_writes[key] = self._kind_writes.get(key, 0) + 1

    def _clear_caches(self) -> None:
        self.version += 1
        self._memo.clear()
        self._kind_memo.clear()
        self._field_indexes.clear()  # a restored or loaded database may lack them: made again on first use
        self._tenants.clear()
        self._credentials.clear()
        self._counters.clear()
        self._rows.clear()

    def _cached(self, cache: dict, key: Any, sql: str, params: Sequence, limit: int | None = None) -> Any:
        """``cache[key]``, else the row ``sql`` reads (then cached, if it is committed state)."""
        r = cache.get(key)  # without the lock: these caches only ever hold committed rows
        if r is None:
            with self._lock:
                committed = self._tx is None  # no transaction open: ours is the only one the lock allows
                r = self._one(sql, params)
                if r is not None and committed and self._cache:
                    if limit is not None and len(cache) >= limit:
                        cache.popitem(last=False)  # the oldest entry (a cache with a limit is an OrderedDict)
                    cache[key] = r = tuple(r)
        return r

    # -- tenants ---------------------------------------------------------------------------
    def create_tenant(self, tenant_id: str, system: str, settings: dict, now: float) -> None:
        with self._lock:
            self._tenants.pop(tenant_id, None)
            self._execute(f"INSERT INTO tenants ({TENANT_COLUMNS}) VALUES (?, ?, ?, ?)",
                          (tenant_id, system, json.dumps(settings), now))

    def _tenant_row(self, tenant_id: str) -> Any:
        return self._cached(self._tenants, tenant_id, f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ?",
                            (tenant_id,))

    def tenant(self, tenant_id: str) -> dict | None:
        r = self._tenant_row(tenant_id)
        if r is None:
            return None
        return {"id": r[0], "system": r[1], "settings": json.loads(r[2]), "created_at": r[3]}

    def tenant_system(self, tenant_id: str) -> str | None:
        """The system a tenant belongs to (None: no such tenant), without decoding its settings."""
        r = self._tenant_row(tenant_id)
        return None if r is None else r[1]

    def tenant_ids(self, system: str | None = None) -> list[str]:
        if system:
            rows = self._all("SELECT id FROM tenants WHERE system = ? ORDER BY created_at", (system,))
        else:
            rows = self._all("SELECT id FROM tenants ORDER BY created_at")
        return [r[0] for r in rows]

    def save_tenant_settings(self, tenant_id: str, settings: dict) -> None:
        with self._lock:
            self._tenants.pop(tenant_id, None)
            self._execute("UPDATE tenants SET settings = ? WHERE id = ?", (json.dumps(settings), tenant_id))

    # -- counters --------------------------------------------------------------------------
    def next_value(self, tenant_id: str, name: str, start: int = 1) -> int:
        """The next value of a per-tenant sequence (entity Ids, document numbers)."""
        with self.transaction():
            cur = self.peek_value(tenant_id, name)
            value = start if cur is None else cur + 1
            self._put_value(tenant_id, name, value, cur is None)
            return value

    def raise_value(self, tenant_id: str, name: str, at_least: int) -> None:
        """Move a sequence up to ``at_least`` (never down): the next value follows it."""
        with self.transaction():
            cur = self.peek_value(tenant_id, name)
            if cur is None or cur < at_least:
                self._put_value(tenant_id, name, at_least, cur is None)

    def peek_value(self, tenant_id: str, name: str) -> int | None:
        with self._lock:
            value = self._counters.get((tenant_id, name))
            if value is None:
                r = self._one("SELECT value FROM counters WHERE tenant_id = ? AND name = ?", (tenant_id, name))
                if r is None:
                    return None
                value = r[0]
                if self._cache:
                    self._counters[(tenant_id, name)] = value
            return value

    def set_value(self, tenant_id: str, name: str, value: int) -> None:
        with self.transaction():
            self._put_value(tenant_id, name, value, self.peek_value(tenant_id, name) is None)

    def _put_value(self, tenant_id: str, name: str, value: int, new: bool) -> None:
        if self._cache:
            self._counters[(tenant_id, name)] = value
        if new:
            self._execute("INSERT INTO counters (tenant_id, name, value) VALUES (?, ?, ?)", (tenant_id, name, value))
        else:
            self._execute("UPDATE counters SET value = ? WHERE tenant_id = ? AND name = ?", (value, tenant_id, name))

    # -- entities --------------------------------------------------------------------------
    def get(self, tenant_id: str, kind: str, entity_id: int) -> Row | None:
        key = (tenant_id, kind, int(entity_id))
        r = self._cached(self._rows, key,
                         f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? AND kind = ? AND entity_id = ?",
                         key, ROW_CACHE)
        return _row(r) if r else None

    def put(self, row: Row) -> None:
        """Insert or replace one entity (one upsert on the unique key)."""
        with self._lock:
            self._rows.pop((row.tenant_id, row.kind, int(row.entity_id)), None)
            self._wrote(row.tenant_id, row.kind)
            self._execute(UPSERT_ROW, _values(row))

    def put_many(self, rows: Sequence[Row]) -> None:
        """Bulk insert of new rows (seeding, benchmarks, loading a dump)."""
        if rows:
            with self._lock:
                if self._rows:
                    for r in rows:
                        self._rows.pop((r.tenant_id, r.kind, int(r.entity_id)), None)
                for tenant_kind in {(r.tenant_id, r.kind) for r in rows}:
                    self._wrote(*tenant_kind)
                self._many(INSERT_ROW, [_values(r) for r in rows])

    def find_name(self, tenant_id: str, kinds: Sequence[str], name_key: str) -> Row | None:
        """A live entity of one of ``kinds`` holding ``name_key`` (uniqueness checks)."""
        return self._find("name_key", tenant_id, kinds, name_key)

    def find_doc_number(self, tenant_id: str, kinds: Sequence[str], doc_number: str) -> Row | None:
        return self._find("doc_number", tenant_id, kinds, doc_number)

    def last_doc_number(self, tenant_id: str, kinds: Sequence[str]) -> str | None:
        """The document number of the live row of ``kinds`` created last among those holding one (creation order:
        the table's insertion order, which updates keep)."""
        if not kinds:
            return None
        r = self._one(f"SELECT doc_number FROM entities WHERE tenant_id = ? AND kind IN ({_marks(len(kinds))})"
                      " AND doc_number IS NOT NULL AND deleted = ? ORDER BY pk DESC LIMIT 1",
                      (tenant_id, *kinds, False))
        return r[0] if r else None

    def find_all(self, tenant_id: str, kind: str, name_key: str) -> list[Row]:
        """Every live entity of ``kind`` holding ``name_key``, in Id order (e.g. one record's associations)."""
        # ORDER BY +entity_id: sorting the few rows found beats walking the (tenant, kind, entity_id) index in
        # order, which SQLite otherwise picks and which visits every row of the kind (every association).
        rows = self._all(f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? AND name_key = ? AND kind = ?"
                         " AND deleted = ? ORDER BY +entity_id", (tenant_id, name_key, kind, False))
        return [_row(r) for r in rows]

    def find_in_data(self, tenant_id: str, kind: str, fragment: str) -> list[Row]:
        """Live rows of ``kind`` whose stored JSON holds ``fragment``, case-insensitively: a pre-filter in SQL
        (``%`` and ``_`` match loosely), so callers check the real match on what comes back."""
        pattern = f"%{fragment.lower()}%"
        rows = self._all(f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? AND kind = ? AND deleted = ?"
                         " AND lower(data) LIKE ? ORDER BY entity_id", (tenant_id, kind, False, pattern))
        return [_row(r) for r in rows]

    def find_by_field(self, tenant_id: str, kind: str, field: str, value: str) -> list[Row]:
        """Live rows of ``kind`` whose stored JSON's ``field`` (a dotted path, ``properties.sku``) equals ``value``
        case-insensitively, in Id order.

        SQLite: through an index on that expression, made the first time a (kind, field) is looked up, so a look-up
        reads the rows it returns and no others. Other databases: :meth:`find_in_data`'s pre-filter, then the match.
        """
        if not (self._sqlite and _IDENT.fullmatch(kind) and _PATH.fullmatch(field)):
            fragment = json.dumps({field.rsplit(".", 1)[-1]: value}, separators=(",", ":"))[1:-1]
            wanted = value.lower()
            return [r for r in self.find_in_data(tenant_id, kind, fragment)
                    if str(_field(r.data, field) or "").lower() == wanted]
        expression = f"lower(json_extract(data, '$.{field}'))"
        name = f"ix_field_{kind}_{field.replace('.', '_')}"
        if name not in self._field_indexes:
            with self.transaction():
                self._execute(f"CREATE INDEX IF NOT EXISTS {name} ON entities (tenant_id, {expression})"
                              f" WHERE kind = '{kind}' AND deleted = 0")
            self._field_indexes.add(name)
        rows = self._all(f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? AND {expression} = ?"
                         f" AND kind = '{kind}' AND deleted = 0 ORDER BY +entity_id", (tenant_id, value.lower()))
        return [_row(r) for r in rows]

    def _find(self, column: str, tenant_id: str, kinds: Sequence[str], value: str) -> Row | None:
        if not kinds:
            return None
        r = self._one(f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? AND {column} = ?"
                      f" AND kind IN ({_marks(len(kinds))}) AND deleted = ? LIMIT 1",
                      (tenant_id, value, *kinds, False))
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
        where, params = self._filters(tenant_id, kind, ids, active, include_deleted, changed_since)
        if where is None:
            return []
        sql = f"SELECT {ROW_COLUMNS} FROM entities WHERE {where}"
        if order_by_id:
            sql += " ORDER BY entity_id"
        if limit is not None or offset:
            # SQLite wants a LIMIT before any OFFSET (-1: none); PostgreSQL reads LIMIT NULL as none.
            sql += " LIMIT ?"
            params.append(limit if limit is not None else (-1 if self._sqlite else None))
        if offset:
            sql += " OFFSET ?"
            params.append(offset)
        return [_row(r) for r in self._all(sql, params)]

    def stream(self, tenant_id: str, kind: str, *, include_deleted: bool = False, batch: int = 500) -> Iterator[Row]:
        """Every row of one kind, in id order, decoded ``batch`` at a time: for a pass over all of them (a search)
        that keeps little of each, so 100,000 rows never sit in memory at once. One transaction: a consistent
        view; the caller may read the store meanwhile (same thread)."""
        where, params = self._filters(tenant_id, kind, None, None, include_deleted, None)
        if where is None:
            return
        with self.transaction() as conn:
            cur = conn.cursor()
            cur.execute(self._q(f"SELECT {ROW_COLUMNS} FROM entities WHERE {where} ORDER BY entity_id"), params)
            while chunk := cur.fetchmany(batch):
                yield from map(_row, chunk)

    def count(
        self,
        tenant_id: str,
        kind: str,
        *,
        active: bool | None = None,
        include_deleted: bool = False,
    ) -> int:
        where, params = self._filters(tenant_id, kind, None, active, include_deleted, None)
        return int(self._one(f"SELECT COUNT(*) FROM entities WHERE {where}", params)[0] or 0)

    @staticmethod
    def _filters(tenant_id: str, kind: str, ids: Any, active: Any, include_deleted: bool,
                 changed_since: Any) -> tuple[str | None, list]:
        """The WHERE clause and its parameters; ``None`` when no row can match (an empty ``ids``)."""
        where, params = ["tenant_id = ?", "kind = ?"], [tenant_id, kind]
        if ids is not None:
            ids = list(ids)
            if not ids:
                return None, []
            where.append(f"entity_id IN ({_marks(len(ids))})")
            params += ids
        if active is not None:
            where.append("active = ?")
            params.append(bool(active))
        if not include_deleted:
            where.append("deleted = ?")
            params.append(False)
        if changed_since is not None:
            where.append("updated_at >= ?")
            params.append(changed_since)
        return " AND ".join(where), params

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
        with self._lock:
            self._credentials.pop(token, None)
            self._execute(f"INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES ({_marks(7)})",
                          (token, kind, tenant_id, client_id, expires_at, False, json.dumps(extra or {})))

    def credential(self, token: str) -> dict | None:
        r = self._cached(self._credentials, token, f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE token = ?",
                         (token,))
        if r is None:
            return None
        return {
            "token": r[0],
            "kind": r[1],
            "tenant_id": r[2],
            "client_id": r[3],
            "expires_at": r[4],
            "revoked": bool(r[5]),
            "extra": json.loads(r[6]),
        }

    def credentials_of(self, tenant_id: str, kind: str) -> list[dict]:
        with self.transaction():
            rows = self._all("SELECT token FROM credentials WHERE tenant_id = ? AND kind = ?", (tenant_id, kind))
            return [self.credential(r[0]) for r in rows]

    def set_credential_expiry(self, token: str, expires_at: float | None) -> None:
        with self._lock:
            self._credentials.pop(token, None)
            self._execute("UPDATE credentials SET expires_at = ? WHERE token = ?", (expires_at, token))

    def revoke_credential(self, token: str) -> None:
        with self._lock:
            self._credentials.pop(token, None)
            self._execute("UPDATE credentials SET revoked = ? WHERE token = ?", (True, token))

    # -- idempotent replies ------------------------------------------------------------------
    def reply(self, tenant_id: str, request_id: str) -> tuple[int, str] | None:
        r = self._one("SELECT status, body FROM replies WHERE tenant_id = ? AND request_id = ?",
                      (tenant_id, request_id))
        return (r[0], r[1]) if r else None

    def reserve_reply(self, tenant_id: str, request_id: str, now: float) -> tuple[int, str] | None:
        """Inside an open transaction: the reply saved for ``request_id``, else ``None`` once the id is reserved
        for this transaction (a pending row that :meth:`save_reply` completes before the commit).

        ``ON CONFLICT DO NOTHING`` makes a second database transaction reserving the same id wait until the
        first one ends (PostgreSQL; SQLite serialises writers): then it reads the first one's reply, or
        reserves the id itself if the first one rolled back."""
        if self._tx is None:
            raise RuntimeError("reserve_reply runs inside store.transaction()")
        inserted = self._execute("INSERT INTO replies (tenant_id, request_id, status, body, created_at)"
                                 " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, request_id) DO NOTHING",
                                 (tenant_id, request_id, 0, "", now))
        if inserted == 1:
            return None
        return self.reply(tenant_id, request_id)

    def save_reply(self, tenant_id: str, request_id: str, status: int, body: str, now: float) -> None:
        """Complete the reply :meth:`reserve_reply` reserved (or save one outright)."""
        self._execute("INSERT INTO replies (tenant_id, request_id, status, body, created_at) VALUES (?, ?, ?, ?, ?)"
                      " ON CONFLICT (tenant_id, request_id) DO UPDATE SET status = excluded.status,"
                      " body = excluded.body", (tenant_id, request_id, status, body, now))

    # -- whole-state operations --------------------------------------------------------------
    def fingerprint(self) -> tuple:
        """A cheap digest of the whole state (row counts, sizes, latest changes): equal before and after a
        request that changed nothing (the fuzz suite's check that refused requests write nothing)."""
        with self.transaction():
            return (tuple(self._one("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0), COALESCE(MAX(updated_at), 0),"
                                    " COALESCE(SUM(entity_id), 0) FROM entities")),
                    tuple(self._one("SELECT COUNT(*), COALESCE(SUM(value), 0) FROM counters")),
                    tuple(self._one("SELECT COUNT(*), COALESCE(SUM(CASE WHEN revoked THEN 1 ELSE 0 END), 0),"
                                    " COALESCE(SUM(expires_at), 0) FROM credentials")),
                    tuple(self._one("SELECT COUNT(*), COALESCE(SUM(LENGTH(settings)), 0) FROM tenants")),
                    tuple(self._one("SELECT COUNT(*) FROM replies")))

    def reset(self) -> None:
        with self.transaction():
            self._clear_caches()
            for table in TABLES:
                self._execute(f"DELETE FROM {table}")

    def snapshot(self) -> str:
        """Copy the whole state aside; returns the snapshot's id."""
        snap_id = uuid.uuid4().hex[:12]
        with self._lock:
            if self._private:
                # SQLite's backup API copies pages, not rows: milliseconds even for large states.
                target = self._new_database(self._spilled)
                self._db.backup(target)
                self._snapshots[snap_id] = target
            else:
                self._snapshots[snap_id] = self._rows_by_table()
        return snap_id

    def restore(self, snap_id: str) -> None:
        with self._lock:
            snap = self._snapshots.get(snap_id)
            if snap is None:
                raise KeyError(snap_id)
            self._clear_caches()
            if self._private:
                if self._tx is not None:  # inside a transaction: overwrite the live database in place
                    snap.backup(self._db)
                    return
                # Copy the snapshot into a fresh database of its kind (memory or file) that becomes the live one
                # (the snapshot stays restorable). The old one is closed first so that the copy reuses its
                # memory: on this machine first-touched memory costs ~4 ms/MB, the copy itself ~0.5 ms/MB.
                self._db.close()
                self._use(self._new_database(_is_file(snap)))  # in memory when no temporary directory is writable
                try:
                    snap.backup(self._db)
                except BaseException:
                    self._create_schema()  # left empty but usable; the snapshot is intact
                    raise
                return
            with self.transaction():
                for table in TABLES:
                    self._execute(f"DELETE FROM {table}")
                for table in TABLES:
                    columns, rows = snap[table]
                    if rows:
                        self._many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))})", rows)

    def snapshot_ids(self) -> list[str]:
        return list(self._snapshots)

    def _rows_by_table(self) -> dict[str, tuple[list[str], list[tuple]]]:
        out = {}
        with self.transaction() as conn:
            for table in TABLES:
                cur = conn.cursor()
                cur.execute(f"SELECT * FROM {table}")
                out[table] = ([d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()])
        return out

    def dump(self, tenant_id: str | None = None) -> dict:
        """The state as readable, versioned JSON (one tenant or all)."""
        ids = [tenant_id] if tenant_id else self.tenant_ids()
        out = []
        for tid in ids:
            with self.transaction():
                t = self.tenant(tid)
                if t is None:
                    continue
                rows = self._all(f"SELECT {ROW_COLUMNS} FROM entities WHERE tenant_id = ? ORDER BY kind, entity_id",
                                 (tid,))
                seqs = self._all("SELECT name, value FROM counters WHERE tenant_id = ?", (tid,))
            by_kind: dict[str, list[dict]] = {}
            for r in map(_row, rows):
                entry = {"id": r.entity_id, "active": r.active, "deleted": r.deleted}
                entry["updatedAt"] = r.updated_at
                entry["nameKey"] = r.name_key
                entry["docNumber"] = r.doc_number
                entry["data"] = r.data
                by_kind.setdefault(r.kind, []).append(entry)
            out.append(
                {
                    "id": tid,
                    "system": t["system"],
                    "settings": t["settings"],
                    "createdAt": t["created_at"],
                    "counters": {name: value for name, value in seqs},
                    "entities": by_kind,
                }
            )
        return {"format": DUMP_FORMAT, "version": DUMP_VERSION, "tenants": out}

    def load(self, dump: dict) -> None:
        """Load a dump made by :meth:`dump`, replacing the tenants it names."""
        if dump.get("format") != DUMP_FORMAT or dump.get("version") != DUMP_VERSION:
            raise ValueError(f"not a {DUMP_FORMAT} v{DUMP_VERSION} dump")
        with self.transaction():
            self._clear_caches()
            for t in dump["tenants"]:
                tid = t["id"]
                for table in ("entities", "counters", "replies"):
                    self._execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tid,))
                self._execute("DELETE FROM tenants WHERE id = ?", (tid,))
                self.create_tenant(tid, t["system"], t["settings"], t["createdAt"])
                for name, value in t["counters"].items():
                    self._put_value(tid, name, value, True)
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
