"""The engine's state: a mixed batch of new and known records saved at once; key look-ups search an index."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from sync.state import Activity, Record, State

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _statements(state: State, action) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    event.listen(state.engine, "before_cursor_execute", before)
    try:
        action()
    finally:
        event.remove(state.engine, "before_cursor_execute", before)
    return seen


def test_save_writes_a_mixed_batch_and_gives_new_records_their_ids_in_order():
    state = State("sqlite://")
    old = [Record(pair="contacts", hubspot_id=f"h{i}", match_key=f"k{i}@x") for i in range(3)]
    state.save(old, now=NOW)
    assert [r.id for r in old] == [1, 2, 3]
    for r in old:
        r.status, r.qbo_id = "synced", f"q{r.hubspot_id}"
    new = [Record(pair="contacts", hubspot_id=f"h{i}", match_key=f"k{i}@x") for i in range(3, 303)]
    mixed = [new[0], old[1], *new[1:150], old[0], *new[150:], old[2]]
    state.save(mixed, now=NOW)
    assert [r.id for r in new] == list(range(4, 304))
    for r in [*old, *new]:
        stored = state.get(r.id)
        assert stored is not None and (stored.hubspot_id, stored.qbo_id, stored.status) == (
            r.hubspot_id, r.qbo_id, r.status)


def test_folded_match_searches_its_index():
    state = State("sqlite://")
    state.save([Record(pair="contacts", hubspot_id=f"h{i}", match_key=f"k{i}@x") for i in range(500)], now=NOW)
    answers: list[bool] = []
    statements = _statements(state, lambda: answers.extend([state.folded_match("contacts", "K7@X", None),
                                                            state.folded_match("contacts", "k7@x", 8)]))
    assert answers == [True, False]
    with state.engine.connect() as conn:
        for sql, params in statements:
            plan = " / ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "ix_sync_records_match_folded (pair=? AND <expr>=?)" in plan, plan



def _fill(state: State) -> None:
    records = [Record(pair="contacts", hubspot_id=f"h{i}", qbo_id=f"q{i}" if i % 2 else None, match_key=f"k{i}@x",
                      label=f"Person {i}", hubspot_values={"email": f"k{i}@x", "n": i},
                      base={"n": i} if i % 3 else None, doc={"lines": [1, 2]} if i == 4 else None,
                      dirty=bool(i % 2), status="synced" if i % 2 else "pending") for i in range(12)]
    state.save(records, now=NOW)
    records[2].qbo_id, records[2].dirty, records[2].base = "q2", True, {"n": 2, "more": None}
    state.save([records[2], Record(pair="items", qbo_id="q9", match_key="sku-9")], now=NOW)
    state.log([Activity(3, "contacts", "linked", "quickbooks", detail={"id": "q2"}), Activity(3, "contacts", "x")],
              NOW)
    state.set_watermark("contacts", "hubspot", NOW)
    state.set_watermark("contacts", "quickbooks", NOW)
    state.set_watermark("contacts", "quickbooks", NOW + timedelta(seconds=1.5))
    ids = [state.add_intent("contacts", side, f"req-{n}", {"DisplayName": "Ada", "n": [n]}, NOW)
           for n, side in enumerate(("quickbooks", "hubspot", "quickbooks"), 1)]
    assert ids == [1, 2, 3]  # each intent's own id, as the planner drops it by
    state.drop_intent(2)
    with state.transaction() as conn:
        state.drop_intent(3, conn)
    state.notify("contacts", "hubspot", ["h3", "h1"])
    state.notify("items", "quickbooks", ["q9"])
    state.set_value("owner", {"realm": "1"})
    state.set_value("owner", {"realm": "2"})
    state.set_value("nothing", None)


def _answers(state: State) -> list:
    return [state.get(5), state.get(99), state.by_side_ids("contacts", "hubspot", ["h1", "h2", "nope"]),
            state.by_side_ids("contacts", "quickbooks", ["q1", "q2"]),
            state.by_match_keys("contacts", ["k3@x", "k4@x"]), state.dirty("contacts"), state.dirty("contacts", 5, 2),
            state.records("contacts"), state.records(), state.records("contacts", status="synced"),
            state.watermark("contacts", "hubspot"), state.watermark("contacts", "quickbooks"),
            state.watermark("items", "hubspot"), state.intents("contacts"), state.activity(3),
            state.notifications(), state.notifications("contacts"), state.notifications("contacts", "hubspot"),
            state.get_value("owner"), state.get_value("nothing"), state.get_value("absent")]


def test_an_in_memory_state_runs_past_sqlalchemy_and_stores_and_answers_as_a_file_state_does(tmp_path):
    memory, on_file = State("sqlite://"), State(f"sqlite:///{tmp_path / 'state.db'}")
    assert memory._raw is not None and on_file._raw is None
    for state in (memory, on_file):
        _fill(state)
    answers = _answers(memory)
    assert answers == _answers(on_file)
    assert answers[10] == NOW and answers[10].tzinfo is not None and answers[5][0].dirty is True
    assert answers[2]["h2"].qbo_id == "q2" and answers[2]["h2"].base == {"n": 2, "more": None}
    with sqlite3.connect(tmp_path / "state.db") as stored:  # the very same values are stored
        for table in ("sync_records", "sync_activity", "sync_watermarks", "sync_intents", "sync_notifications",
                      "sync_kv"):
            query = f"SELECT * FROM {table} ORDER BY 1, 2"
            assert memory._raw.rows(query) == stored.execute(query).fetchall(), table
    with memory.transaction() as conn:  # inside an open transaction: its writes are seen, and rolled back with it
        memory.save([Record(pair="contacts", hubspot_id="h-new", match_key="new@x")], conn, NOW)
        assert "h-new" in memory.by_side_ids("contacts", "hubspot", ["h-new"])
        conn.rollback()
    assert memory.by_side_ids("contacts", "hubspot", ["h-new"]) == {}
