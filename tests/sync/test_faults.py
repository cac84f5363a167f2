"""Crashes, lost answers, 429s, concurrent edits and long absences lose nothing and duplicate nothing
(edge cases 16, 19, 21, 24, 26; invariants 2, 8, 12, 15)."""

from __future__ import annotations

import pytest
from sync_world import World, contacts, customers, new_contact, new_customer

from sync.state import HUBSPOT, QUICKBOOKS, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


class Crash(Exception):
    """The process dies here."""


def test_edge_16_a_crash_after_the_create_before_the_link_is_saved_replays_without_a_duplicate(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        new_contact(world, f"c{i}@example.com", f"C{i}", "Crash")

    def die(side: str) -> None:
        if side == QUICKBOOKS:
            raise Crash

    engine = world.engine()
    engine.before_record = die
    with pytest.raises(Crash):
        engine.run_pass()
    assert len(customers(world)) == 3  # QBO made them; the engine never learnt their ids

    restarted = world.engine()  # a new process on the same state
    assert len(restarted.state.intents("contacts")) == 1
    report = restarted.run_pass()
    assert report.complete and len(customers(world)) == 3  # the requestid replayed the same customers
    assert restarted.state.counts("contacts")[SYNCED] == 3 and restarted.state.intents("contacts") == []
    linked = {r.qbo_id for r in restarted.state.records("contacts")}
    assert linked == {c["Id"] for c in customers(world)}


def test_edge_16_a_crash_after_hubspot_creates_replays_as_upserts(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        new_customer(world, f"Q{i}", f"q{i}@example.com")

    def die(side: str) -> None:
        if side == HUBSPOT:
            raise Crash

    engine = world.engine(contacts={"direction": "to-hubspot"})
    engine.before_record = die
    with pytest.raises(Crash):
        engine.run_pass()
    restarted = world.engine(contacts={"direction": "to-hubspot"})
    restarted.run_pass()
    assert len(contacts(world)) == 3 and restarted.state.counts("contacts")[SYNCED] == 3


def test_edge_16_lost_answers_are_retried_with_the_same_requestid(world: World) -> None:
    for i in range(4):
        new_contact(world, f"lost{i}@example.com", f"L{i}", "Ost")
    world.sims.runtime.faults.add([{"path": "*/batch", "nth": 1, "action": "drop", "phase": "after"},
                                   {"path": "*/batch/upsert", "nth": 1, "action": "drop", "phase": "after"}])
    engine = world.engine()
    report = engine.run_pass()
    assert report.complete and len(customers(world)) == 4
    assert engine.state.counts("contacts")[SYNCED] == 4


def test_edge_26_429s_from_both_systems_are_waited_out_and_the_pass_completes(world: World) -> None:
    for i in range(4):
        new_contact(world, f"busy{i}@example.com", f"B{i}", "Usy")
    new_customer(world, "Busy Customer", "busy.customer@example.com")
    world.sims.runtime.faults.add([
        {"path": "*/batch", "nth": 1, "action": "status", "status": 429},
        {"path": "*/query", "nth": 1, "action": "status", "status": 429},
        {"path": "*/search", "nth": 1, "action": "status", "status": 429},
        {"path": "*/batch/upsert", "nth": 1, "action": "status", "status": 429},
    ])
    engine = world.engine()
    started = world.clock.now()
    report = engine.run_pass()
    assert report.complete and len(customers(world)) == 5 and len(contacts(world)) == 5
    assert (world.clock.now() - started).total_seconds() >= 60  # QBO asks for a minute (virtual)
    assert engine.quickbooks.calls_by_kind and engine.hubspot.calls > 0


def test_edge_24_a_stale_synctoken_is_reread_merged_and_nothing_is_lost(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    contact = new_contact(world, "stale@example.com", "Stale", "Token")
    engine = world.engine()
    engine.run_pass()
    world.hs.update("contacts", contact, {"firstname": "FromHubSpot"})
    world.clock.sleep(60)
    send = engine.quickbooks.batch

    def edit_meanwhile(*args: object, **kwargs: object) -> list[dict]:
        [c] = customers(world)  # a QBO user saves between the engine's read and its write
        world.qbo.update("Customer", {"Id": c["Id"], "SyncToken": c["SyncToken"], "Notes": "kept"}, request_id="u1")
        monkeypatch.setattr(engine.quickbooks, "batch", send)
        return send(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.quickbooks, "batch", edit_meanwhile)
    engine.run_pass()
    world.clock.sleep(60)
    engine.run_pass()
    [c] = customers(world)
    assert c["GivenName"] == "FromHubSpot" and c["Notes"] == "kept"
    r = engine.state.by_side_ids("contacts", HUBSPOT, [contact])[contact]
    assert r.status == SYNCED
    assert "stale" in [a["action"] for a in engine.state.activity(r.id)]


def test_edge_19_an_engine_offline_for_forty_days_misses_nothing(world: World) -> None:
    engine = world.engine()
    engine.run_pass()
    world.clock.sleep(40 * 86400)
    new_customer(world, "Late Comer", "late@example.com")
    new_contact(world, "later@example.com", "Lat", "Er")
    engine.run_pass()
    assert len(customers(world)) == 2 and len(contacts(world)) == 2


def test_edge_21_records_sharing_the_watermark_timestamp_are_neither_skipped_nor_doubled(world: World) -> None:
    engine = world.engine()
    for i in range(3):
        new_contact(world, f"same{i}@example.com", f"S{i}", "Ame")
    engine.run_pass()
    for i in range(3, 6):  # the clock has not moved: same timestamps as the watermark
        new_contact(world, f"same{i}@example.com", f"S{i}", "Ame")
    report = engine.run_pass()
    assert report.pairs["contacts"].created[QUICKBOOKS] == 3
    assert len(customers(world)) == 6 and engine.state.counts("contacts")[SYNCED] == 6


def test_invariant_8_watermarks_never_move_backwards(world: World) -> None:
    engine = world.engine()
    engine.run_pass()
    marks = {side: engine.state.watermark("contacts", side) for side in (HUBSPOT, QUICKBOOKS)}
    engine.state.set_watermark("contacts", HUBSPOT, marks[HUBSPOT].replace(year=2000))
    assert engine.state.watermark("contacts", HUBSPOT) == marks[HUBSPOT]


def test_the_rotated_quickbooks_refresh_token_survives_a_restart(world: World) -> None:
    """QBO rotates the refresh token on every refresh; the engine keeps the new one in its state."""
    new_contact(world, "token@example.com", "To", "Ken")
    world.engine().run_pass()
    world.clock.sleep(2 * 3600)  # the access token expired: the next call refreshes (and rotates)
    new_contact(world, "token2@example.com", "To", "Ken2")
    assert world.engine().run_pass().complete
    world.clock.sleep(2 * 3600)
    new_contact(world, "token3@example.com", "To", "Ken3")
    restarted = world.engine()  # started from the settings' original (now revoked) refresh token
    assert restarted.run_pass().complete and len(customers(world)) == 3
