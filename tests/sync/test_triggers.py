"""What starts a pass (A3): the interval on the shared clock, Sync now, and both systems' signed
webhooks, delivered by the simulators to the engine's receiver over a real socket (edge cases 17, 18)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sync_world import World, customers, new_contact

from simulators.core.server import ServerThread
from sync.engine import Engine
from sync.state import QUICKBOOKS
from sync.triggers import Scheduler, create_receiver, merges, quickbooks_events, verify_hubspot, verify_quickbooks

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


@pytest.fixture
def receiver(world: World) -> Iterator[tuple[Engine, str]]:
    engine = world.engine()
    with ServerThread(create_receiver(engine)) as server:
        yield engine, server.url


def subscribe(world: World, url: str) -> None:
    r = requests.post(f"{world.sims.hubspot_url}/_sim/webhooks", timeout=5,
                      json={"portalId": world.portal["portalId"], "url": f"{url}/webhooks/hubspot",
                            "eventTypes": ["contact.creation", "contact.propertyChange", "contact.deletion"]})
    assert r.status_code in (200, 201), r.text
    r = requests.post(f"{world.sims.qbo_url}/_sim/webhooks", timeout=5,
                      json={"realmId": world.company["realmId"], "url": f"{url}/webhooks/quickbooks"})
    assert r.status_code in (200, 201), r.text


def deliver(world: World) -> list[dict]:
    return requests.post(f"{world.sims.hubspot_url}/_sim/webhooks/deliver", timeout=5).json().get("deliveries", [])


def test_A3_the_interval_runs_a_pass_every_ten_minutes_on_the_shared_clock(world: World) -> None:
    engine = world.engine()
    scheduler = Scheduler(engine)
    assert scheduler.tick() is not None  # the first tick runs the initial sync
    new_contact(world, "later@example.com", "La", "Ter")
    world.clock.sleep(5 * 60)
    assert scheduler.tick() is None and customers(world) == []
    world.clock.sleep(5 * 60)
    report = scheduler.tick()
    assert report is not None and report.pairs["contacts"].created["quickbooks"] == 1


def test_A3_signed_webhooks_schedule_the_records_they_name(world: World, receiver: tuple[Engine, str]) -> None:
    engine, url = receiver
    scheduler = Scheduler(engine)
    scheduler.tick()
    subscribe(world, url)
    contact = new_contact(world, "hooked@example.com", "Hoo", "Ked")
    deliver(world)
    assert engine.has_notifications()
    report = scheduler.tick()  # not yet due by the interval: the webhook's work runs now
    assert report is not None and report.pairs["contacts"].created["quickbooks"] == 1
    assert customers(world)[0]["PrimaryEmailAddr"]["Address"] == "hooked@example.com"
    # QBO's webhook for the engine's own write comes back: it is recognised as an echo
    [customer] = customers(world)
    world.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "GivenName": "Q"},
                     request_id="hook-edit")
    deliver(world)
    report = scheduler.tick()
    assert report is not None and report.pairs["contacts"].updated["hubspot"] == 1
    assert world.hs.get("contacts", contact, ["firstname"])["properties"]["firstname"] == "Q"


def test_edge_18_a_dropped_webhook_is_caught_by_the_next_interval_pass(world: World,
                                                                     receiver: tuple[Engine, str]) -> None:
    engine, url = receiver
    scheduler = Scheduler(engine)
    scheduler.tick()
    subscribe(world, url)
    world.sims.runtime.faults.add([{"target": "webhook", "action": "drop"}])
    new_contact(world, "dropped@example.com", "Dro", "Pped")
    deliver(world)
    assert not engine.has_notifications() and scheduler.tick() is None
    world.clock.sleep(600)
    report = scheduler.tick()
    assert report is not None and len(customers(world)) == 1


def test_unsigned_or_forged_webhooks_are_refused(world: World, receiver: tuple[Engine, str]) -> None:
    engine, url = receiver
    body = b'[{"objectId": 1, "subscriptionType": "contact.creation"}]'
    r = requests.post(f"{url}/webhooks/hubspot", data=body, timeout=5,
                      headers={"X-HubSpot-Signature-v3": "forged", "X-HubSpot-Request-Timestamp": "1"})
    assert r.status_code == 401
    r = requests.post(f"{url}/webhooks/quickbooks", data=b"{}", headers={"intuit-signature": "forged"}, timeout=5)
    assert r.status_code == 401
    assert not engine.has_notifications()


def test_signature_checks() -> None:
    import base64
    import hashlib
    import hmac

    body = b'{"a":1}'
    good = base64.b64encode(hmac.new(b"verifier", body, hashlib.sha256).digest()).decode()
    assert verify_quickbooks(body, good, "verifier") and not verify_quickbooks(body, good, "other")
    message = b"POSThttp://x/hook" + body + b"1000"
    sig = base64.b64encode(hmac.new(b"secret", message, hashlib.sha256).digest()).decode()
    assert verify_hubspot("POST", "http://x/hook", body, "1000", sig, "secret", now_ms=1000 + 60_000)
    assert not verify_hubspot("POST", "http://x/hook", body, "1000", sig, "secret", now_ms=1000 + 301_000)


def test_A3_an_event_arriving_while_webhook_work_is_reread_is_synced_in_the_same_watch_loop(world: World) -> None:
    """Notifications are rows: a re-read deletes exactly the ids it read, so an event delivered meanwhile (the
    receiver runs on another thread) still waits, and the loop's next tick syncs it."""
    engine = world.engine()
    scheduler = Scheduler(engine)
    scheduler.tick()  # the initial sync
    first = new_contact(world, "first@example.com", "Fir", "St")
    second = new_contact(world, "second@example.com", "Sec", "Ond")
    engine.notify("hubspot", [("contacts", first, False)])
    read = engine.hubspot.batch_read

    def read_while_an_event_arrives(*args: object, **kwargs: object) -> list[dict]:
        engine.hubspot.batch_read = read  # once
        engine.notify("hubspot", [("contacts", second, False)])
        return read(*args, **kwargs)  # type: ignore[arg-type]

    engine.hubspot.batch_read = read_while_an_event_arrives  # type: ignore[method-assign]
    scheduler.tick()
    assert [c["PrimaryEmailAddr"]["Address"] for c in customers(world)] == ["first@example.com"]
    assert engine.has_notifications()  # the second event was not wiped by the first re-read
    scheduler.tick()  # the next turn of the watch loop, still before the interval is due
    assert sorted(c["PrimaryEmailAddr"]["Address"] for c in customers(world)) == ["first@example.com",
                                                                                   "second@example.com"]


def test_A3_a_delivery_batched_across_companies_schedules_only_this_company_s_records(
        world: World, receiver: tuple[Engine, str]) -> None:
    """Intuit batches an app's events across every company it is connected to: another company's invoice 5 is
    not this company's invoice 5 (deleting it here would tombstone the wrong invoice)."""
    import base64
    import hashlib
    import hmac
    import json

    engine, url = receiver
    ours, theirs = world.company["realmId"], "4620816365"
    note = {"eventNotifications": [
        {"realmId": theirs, "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "5", "operation": "Delete"},
            {"name": "Customer", "id": "9", "operation": "Merge", "deletedId": "8"}]}},
        {"realmId": ours, "dataChangeEvent": {"entities": [{"name": "Customer", "id": "7", "operation": "Update"}]}}]}
    body = json.dumps(note).encode()
    verifier = engine.settings.quickbooks_webhook_verifier or ""
    signature = base64.b64encode(hmac.new(verifier.encode(), body, hashlib.sha256).digest()).decode()
    r = requests.post(f"{url}/webhooks/quickbooks", data=body, headers={"intuit-signature": signature}, timeout=5)
    assert r.status_code == 200
    assert engine.state.notifications("contacts", QUICKBOOKS) == ["7"]
    assert engine.state.notifications("invoices") == []
    assert engine.state.by_side_ids("invoices", QUICKBOOKS, ["5"]) == {}  # no tombstone for their invoice 5
    cloud = [{"type": "qbo.invoice.deleted.v1", "intuitentityid": "5", "intuitaccountid": theirs},
             {"type": "qbo.customer.updated.v1", "intuitentityid": "7", "intuitaccountid": ours}]
    assert quickbooks_events(cloud, ours) == [("contacts", "7", False)]
    assert len(quickbooks_events(cloud)) == 2  # no company named: every event (a delivery of one company)
    assert merges(QUICKBOOKS, note, ours) == [] and merges(QUICKBOOKS, note) == [("contacts", "8", "9")]
