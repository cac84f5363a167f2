"""A new in-memory state runs the schema statements compiled once (sync/state.py ``_create_in_memory``): the very
schema, in the same order, that every other state is made with (its tables, then each one's indexes by name)."""

from __future__ import annotations

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
    through_sqlalchemy = State("sqlite://", engine=engine)  # a given engine: create_all and the upgrade
    assert _schema(State("sqlite://")) == _schema(through_sqlalchemy)
    assert _schema(State("sqlite:///:memory:")) == _schema(through_sqlalchemy)
    assert len(_schema(through_sqlalchemy)) > 10


def test_a_new_in_memory_state_works_and_states_are_apart() -> None:
    first, second = State("sqlite://"), State("sqlite://")
    first.save([Record(pair="contacts", hubspot_id="1", match_key="a@x.example")], now=datetime(2026, 3, 2, tzinfo=UTC))
    assert [r.hubspot_id for r in first.records("contacts")] == ["1"]
    assert second.records("contacts") == []
