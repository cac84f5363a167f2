"""Records merged on one side (edge cases 46, 47): the link follows the survivor, the other side is
never merged, and no second customer or contact is created."""

from __future__ import annotations

import uuid

import pytest
import requests
from sync_world import World, customers, new_contact, new_customer

from sync.engine import Engine
from sync.state import EXCLUDED, HUBSPOT, QUICKBOOKS
from sync.triggers import merges

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def two_way(w: World) -> Engine:
    return w.engine(contacts={"direction": "two-way"})


def test_edge47_contacts_merged_in_hubspot_move_the_link_to_the_survivor(world: World) -> None:
    engine = two_way(world)
    linked = new_contact(world, "old@example.com", "Ola", "Old")
    engine.run_pass()
    [customer] = customers(world)
    survivor = new_contact(world, "new@example.com", "Nia", "New")  # not synced yet
    requests.post(f"{world.sims.hubspot_url}/crm/v3/objects/contacts/merge", timeout=5,
                  headers={"Authorization": f"Bearer {world.portal['accessToken']}"},
                  json={"primaryObjectId": survivor, "objectIdToMerge": linked}).raise_for_status()
    event = [{"subscriptionType": "contact.merge", "objectId": int(survivor), "mergedObjectIds": [int(linked)]}]
    assert merges(HUBSPOT, event) == [("contacts", linked, survivor)]
    engine.repoint(HUBSPOT, merges(HUBSPOT, event))
    world.clock.sleep(60)
    engine.run_pass()
    record = engine.state.by_side_ids("contacts", HUBSPOT, [survivor])[survivor]
    assert record.qbo_id == customer["Id"]  # repointed
    assert [c["Id"] for c in customers(world)] == [customer["Id"]]  # no duplicate customer
    assert customers(world)[0]["PrimaryEmailAddr"]["Address"] == "new@example.com"  # the survivor's email wins


def test_edge46_customers_merged_in_quickbooks_move_the_link_and_create_nothing(world: World) -> None:
    engine = two_way(world)
    contact = new_contact(world, "ada@example.com", "Ada", "L")
    engine.run_pass()
    [gone] = customers(world)
    survivor = new_customer(world, "Ada Lovelace Ltd")  # no email: never synced on its own (D3)
    engine.run_pass()
    # QBO's merge: the merged-away customer goes inactive, its webhook names the survivor and deletedId
    fresh = world.qbo.get("Customer", gone["Id"])
    world.qbo.update("Customer", {"Id": fresh["Id"], "SyncToken": fresh["SyncToken"], "Active": False},
                     request_id=uuid.uuid4().hex)
    payload = {"eventNotifications": [{"realmId": world.company["realmId"], "dataChangeEvent": {"entities": [
        {"name": "Customer", "id": survivor["Id"], "operation": "Merge", "deletedId": gone["Id"],
         "lastUpdated": "2026-03-02T09:01:00Z"}]}}]}
    engine.repoint(QUICKBOOKS, merges(QUICKBOOKS, payload))
    world.clock.sleep(60)
    engine.run_pass()
    record = engine.state.by_side_ids("contacts", QUICKBOOKS, [survivor["Id"]])[survivor["Id"]]
    assert record.hubspot_id == contact
    assert len(list(world.hs.list("contacts", ["email"]))) == 1  # HubSpot is not merged, nothing created
    leftover = [r for r in engine.state.records("contacts") if r.reason == "merged"]
    assert all(r.status == EXCLUDED for r in leftover)
