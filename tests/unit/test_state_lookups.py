"""The engine's state: a mixed batch of new and known records saved at once; key look-ups search an index."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from sync.state import Record, State

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
