"""A new in-memory state runs the schema statements compiled once (sync/state.py ``_create_in_memory``): the very
schema, in the same order, that every other state is made with (the tables, then each one's indexes by name)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sync.state import Record, State


def _schema(state: State) -> list[tuple]:
    """The schema as made, in the order made (SQLite settles a tie between two indexes for the one made last)."""
    fairy = state.engine.raw_connection()
    try:
        return list(fairy.driver_connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                                    "ORDER BY rowid"))
    finally:
        fairy.close()


def test_every_state_is_made_with_the_same_schema_in_the_same_order() -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    through_sqlalchemy = State("sqlite://", engine=engine)  # a given engine: made where missing, as a file state
    made = _schema(through_sqlalchemy)
    assert _schema(State("sqlite://")) == made
    assert _schema(State("sqlite:///:memory:")) == made
    assert len(made) > 10
    # each table's indexes by name, whatever order the process's sets hold them in
    indexes = [(table, name) for kind, name, table, sql in made if kind == "index" and sql]
    for table in {table for table, _ in indexes}:
        names = [name for of, name in indexes if of == table]
        assert names == sorted(names), table


def test_a_new_in_memory_state_works_and_states_are_apart() -> None:
    first, second = State("sqlite://"), State("sqlite://")
    first.save([Record(pair="contacts", hubspot_id="1", match_key="a@x.example")], now=datetime(2026, 3, 2, tzinfo=UTC))
    assert [r.hubspot_id for r in first.records("contacts")] == ["1"]
    assert second.records("contacts") == []


def test_a_state_written_by_an_older_version_gains_the_columns_and_indexes_added_since(tmp_path) -> None:
    path = tmp_path / "old-state.db"
    with sqlite3.connect(path) as old:  # the records table before match keys, documents and failure rules
        old.execute("CREATE TABLE sync_records (id INTEGER PRIMARY KEY AUTOINCREMENT, pair VARCHAR(32) NOT NULL, "
                    "hubspot_id VARCHAR(64), qbo_id VARCHAR(64), label VARCHAR(255) NOT NULL, "
                    "status VARCHAR(16) NOT NULL, dirty BOOLEAN NOT NULL, created_at DATETIME NOT NULL, "
                    "updated_at DATETIME NOT NULL)")
        old.execute("INSERT INTO sync_records (pair, hubspot_id, qbo_id, label, status, dirty, created_at, updated_at) "
                    "VALUES ('contacts', '1', '7', 'Ada', 'synced', 0, '2026-03-02 09:00:00.000000', "
                    "'2026-03-02 09:00:00.000000')")
    state = State(f"sqlite:///{path}")
    [record] = state.records("contacts")
    assert (record.hubspot_id, record.qbo_id, record.match_key, record.doc) == ("1", "7", None, None)
    state.save([Record(pair="contacts", hubspot_id="2", match_key="b@x.example")], now=datetime(2026, 3, 3, tzinfo=UTC))
    assert list(state.by_match_keys("contacts", ["b@x.example"])) == ["b@x.example"]
    made = {name for kind, name, _, _ in _schema(state) if kind == "index"}
    assert {"ix_sync_records_match", "ix_sync_records_dirty", "ix_sync_records_status",
            "ix_sync_records_match_folded"} <= made
