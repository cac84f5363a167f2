"""A pass reads QuickBooks' changes with one change-data-capture call for every pair (A3), and falls back to
queries where that answer may be cut short (QBO caps it at 1000 objects) or cannot reach (a first pass)."""

from __future__ import annotations

import pytest
from sync_world import World, contacts, journal_mark, new_customer

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def qbo_reads(w: World, since: int) -> list[str]:
    return [e["path"].rsplit("/", 1)[-1] for e in w.sims.runtime.journal.find(since=since)
            if "/v3/company/" in e.get("path", "") and e.get("method") == "GET"]


def test_A3_a_later_pass_reads_every_pair_s_quickbooks_changes_in_one_call(world: World) -> None:
    engine = world.engine(contacts={"direction": "to-hubspot"})
    ada = new_customer(world, "Ada Lovelace", "ada@example.com")
    mark = journal_mark(world)
    engine.run_pass()
    assert "query" in qbo_reads(world, mark)  # a first pass queries: it has no watermark for CDC to start from
    world.qbo.update("Customer", {"Id": ada["Id"], "SyncToken": world.qbo.get("Customer", ada["Id"])["SyncToken"],
                                  "GivenName": "Augusta", "sparse": True}, request_id="edit-ada")
    world.clock.sleep(60)
    mark = journal_mark(world)
    engine.run_pass()
    assert qbo_reads(world, mark) == ["cdc"]  # contacts, products, invoices and payments: one read
    assert [c["properties"].get("firstname") for c in contacts(world)] == ["Augusta"]


def test_A3_a_cdc_answer_at_qbo_s_cap_may_be_cut_so_the_pass_queries_and_loses_nothing(world: World) -> None:
    engine = world.engine(contacts={"direction": "to-hubspot"})
    engine.run_pass()
    world.clock.sleep(60)
    for n in range(1001):  # more than one CDC answer holds
        new_customer(world, f"Customer {n:04}", f"c{n}@example.com")
    mark = journal_mark(world)
    engine.run_pass()
    assert "cdc" in qbo_reads(world, mark) and "query" in qbo_reads(world, mark)
    assert len(contacts(world)) == 1001
    assert engine.state.counts("contacts")["synced"] == 1001
