"""Contacts ⇄ customers end to end, against both simulators (rules D1-D4, A3, B1, B2, B4; edge cases 1-17)."""

from __future__ import annotations

import pytest
from sync_world import World, contacts, customers, journal_mark, journal_writes, new_contact, new_customer

from harness.engine_settings import for_simulators
from sync.state import EXCLUDED, FAILED, HUBSPOT, SYNCED

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


def by_email(w: World) -> dict[str, dict]:
    return {(c.get("PrimaryEmailAddr") or {}).get("Address", "").lower(): c for c in customers(w)}


def record(engine: object, hubspot_id: str | None = None, qbo_id: str | None = None) -> object:
    state = engine.state  # type: ignore[attr-defined]
    if hubspot_id:
        return state.by_side_ids("contacts", HUBSPOT, [hubspot_id])[hubspot_id]
    return state.by_side_ids("contacts", "quickbooks", [qbo_id])[qbo_id]


def test_D1_D3_initial_sync_creates_customers_named_after_the_primary_company(world: World) -> None:
    acme = new_contact(world, "ada@acme.example", "Ada", "Byron", company="Acme Ltd")
    solo = new_contact(world, "bea@solo.example", "Bea", "Solo")
    engine = world.engine()
    report = engine.run_pass()
    assert report.complete and report.pairs["contacts"].created["quickbooks"] == 2
    made = by_email(world)
    assert made["ada@acme.example"]["DisplayName"] == "Acme Ltd"  # D1: the primary company's name
    assert made["bea@solo.example"]["DisplayName"] == "Bea Solo"  # D1: no company → "First Last"
    assert made["ada@acme.example"]["GivenName"] == "Ada" and made["ada@acme.example"]["FamilyName"] == "Byron"
    assert record(engine, acme).status == SYNCED and record(engine, solo).qbo_id == made["bea@solo.example"]["Id"]
    assert engine.state.counts("contacts")[SYNCED] == 2


def test_D1_the_display_name_mapping_can_be_switched_off(world: World) -> None:
    new_contact(world, "cy@acme.example", "Cy", "Twombly", company="Acme Ltd")
    world.engine(contacts={"mappings": {"off": ["displayname"]}}).run_pass()
    assert by_email(world)["cy@acme.example"]["DisplayName"] == "Cy Twombly"  # QBO builds it from the names


def test_D2_edge_1_the_second_contact_of_a_company_fails_and_is_not_retried(world: World) -> None:
    first = new_contact(world, "one@acme.example", "One", "A", company="Acme Ltd")
    second = new_contact(world, "two@acme.example", "Two", "B")
    world.hs.create("companies", {"name": "ignored"})
    # the second contact's primary company is also called "Acme Ltd"
    company = world.hs.create("companies", {"name": "Acme Ltd"})["id"]
    world.hs.create("contacts", {"email": "three@acme.example", "firstname": "Three"},
                    [{"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": 1}]}])
    engine = world.engine()
    engine.run_pass()
    failed = engine.state.records("contacts", status=FAILED)
    assert [(r.label, r.reason, r.rule) for r in failed] == [("Three", "duplicate_display_name", "D2")]
    assert "Duplicate Name Exists" in (failed[0].message or "")  # QBO's own error is attached
    assert sorted(c["DisplayName"] for c in customers(world)) == ["Acme Ltd", "Two B"]
    assert record(engine, first).status == SYNCED and record(engine, second).status == SYNCED

    mark = journal_mark(world)
    world.clock.sleep(600)
    again = engine.run_pass()
    assert again.writes == 0 and journal_writes(world, mark) == []  # no retry storm
    assert engine.state.records("contacts", status=FAILED)[0].reason == "duplicate_display_name"


def test_D2_edge_2_a_display_name_taken_by_a_vendor_fails_the_same_way(world: World) -> None:
    world.qbo.create("Vendor", {"DisplayName": "Dana Scully"}, request_id="vendor-1")
    new_contact(world, "dana@fbi.example", "Dana", "Scully")
    engine = world.engine()
    engine.run_pass()
    [failed] = engine.state.records("contacts", status=FAILED)
    assert failed.reason == "duplicate_display_name" and customers(world) == []


def test_D1_edge_3_a_name_qbo_forbids_fails_cleanly_and_writes_nothing(world: World) -> None:
    new_contact(world, "colon@example.com", "Ac:me", "Corp")
    engine = world.engine()
    engine.run_pass()
    [failed] = engine.state.records("contacts", status=FAILED)
    assert failed.reason == "invalid_name" and failed.rule == "D1"
    assert customers(world) == []


def test_D3_edge_4_a_contact_without_email_is_excluded_not_failed(world: World) -> None:
    new_contact(world, None, "No", "Email")
    engine = world.engine()
    engine.run_pass()
    counts = engine.state.counts("contacts")
    assert counts[EXCLUDED] == 1 and counts[FAILED] == 0
    assert engine.state.records("contacts", status=EXCLUDED)[0].reason == "no_email"
    assert customers(world) == []


def test_D3_edge_5_email_case_and_whitespace_still_match(world: World) -> None:
    existing = new_customer(world, "Existing Co", "Mixed.Case@Example.com")
    contact = new_contact(world, "mixed.case@example.com", "Mixed", "Case")
    engine = world.engine()
    engine.run_pass()
    assert [c["Id"] for c in customers(world)] == [existing["Id"]]  # linked, no duplicate
    assert record(engine, contact).qbo_id == existing["Id"]


def test_D3_edge_6_two_customers_sharing_an_email_link_the_oldest_and_never_make_a_third(world: World) -> None:
    older = new_customer(world, "Older", "shared@example.com")
    newer = new_customer(world, "Newer", "shared@example.com")
    contact = new_contact(world, "shared@example.com", "Sha", "Red")
    engine = world.engine()
    engine.run_pass()
    assert record(engine, contact).qbo_id == older["Id"]
    other = record(engine, qbo_id=newer["Id"])
    assert (other.status, other.reason) == (EXCLUDED, "duplicate_email")
    assert len(customers(world)) == 2 and len(contacts(world)) == 1


def test_D3_edge_7_an_email_changed_after_linking_keeps_the_link(world: World) -> None:
    contact = new_contact(world, "old@example.com", "Em", "Ail")
    engine = world.engine()
    engine.run_pass()
    linked = record(engine, contact).qbo_id
    world.hs.update("contacts", contact, {"email": "new@example.com"})
    world.clock.sleep(60)
    engine.run_pass()
    [customer] = customers(world)
    assert customer["Id"] == linked and customer["PrimaryEmailAddr"]["Address"] == "new@example.com"


def test_B4_edge_8_a_record_that_stops_matching_the_filter_is_excluded_and_nothing_is_deleted(world: World) -> None:
    contact = new_contact(world, "lead@example.com", "Lee", "D", lifecyclestage="customer")
    filters = {"to_quickbooks": [[{"property": "lifecyclestage", "operator": "EQ", "value": "customer"}]],
               "to_hubspot": [[{"property": "Active", "operator": "EQ", "value": "false"}]]}
    engine = world.engine(contacts={"filters": filters})
    engine.run_pass()
    assert record(engine, contact).status == SYNCED
    world.hs.update("contacts", contact, {"lifecyclestage": "lead", "firstname": "Changed"})
    world.clock.sleep(60)
    engine.run_pass()
    r = record(engine, contact)
    assert (r.status, r.reason, r.rule) == (EXCLUDED, "filtered_out", "B4")
    [customer] = customers(world)
    assert customer["Active"] is True and customer["GivenName"] == "Lee"  # untouched, not deleted


def test_D4_edge_9_a_contact_deleted_in_hubspot_leaves_the_customer_and_is_never_recreated(world: World) -> None:
    contact = new_contact(world, "gone@example.com", "Gone", "Soon")
    engine = world.engine()
    engine.run_pass()
    world.hs.archive("contacts", contact)
    engine.notify(HUBSPOT, [("contacts", contact, True)])  # HubSpot's contact.deletion webhook
    [customer] = customers(world)
    world.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "edited"},
                     request_id="edit-1")
    world.clock.sleep(60)
    engine.run_pass()
    r = record(engine, contact)
    assert (r.status, r.reason, r.deleted) == (EXCLUDED, "deleted", HUBSPOT)
    assert contacts(world) == [] and customers(world)[0]["Active"] is True


def test_D4_legacy_deactivate_setting_makes_the_customer_inactive(world: World) -> None:
    """Legacy: contacts come from QBO only (A1); the delete drop-down set to deactivate makes the customer of a
    contact deleted in HubSpot inactive."""
    engine = world.engine(settings=world.settings_in("legacy", contacts={"on_delete": "deactivate"}))
    customer = new_customer(world, "Leg Acy", "legacy@example.com", GivenName="Leg")
    engine.run_pass()
    contact = record(engine, qbo_id=customer["Id"]).hubspot_id
    assert contact and contacts(world)[0]["properties"]["email"] == "legacy@example.com"
    world.hs.archive("contacts", contact)
    engine.notify(HUBSPOT, [("contacts", contact, True)])
    engine.run_notifications()
    assert customers(world)[0]["Active"] is False
    assert [a["action"] for a in engine.state.activity(record(engine, contact).id)][-2:] == ["deactivated",
                                                                                            "excluded"]


def test_edge_10_an_inactive_customer_is_still_read_and_its_contact_kept(world: World) -> None:
    customer = new_customer(world, "Ina Active", "ina@example.com", GivenName="Ina")
    engine = world.engine()
    engine.run_pass()
    [contact] = contacts(world)
    world.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": "0", "Active": False, "GivenName": "Ina2"},
                     request_id="deactivate-1")
    world.clock.sleep(60)
    engine.run_pass()
    [kept] = contacts(world)
    assert kept["id"] == contact["id"] and kept["properties"]["firstname"] == "Ina2"


def test_B2_edge_11_both_sides_edited_the_conflict_rule_wins_and_it_is_logged(world: World) -> None:
    contact = new_contact(world, "both@example.com", "Base", "Name")
    engine = world.engine(contacts={"conflict": "quickbooks"})
    engine.run_pass()
    [customer] = customers(world)
    world.hs.update("contacts", contact, {"firstname": "FromHubSpot"})
    world.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "GivenName": "FromQBO"},
                     request_id="both-1")
    world.clock.sleep(60)
    report = engine.run_pass()
    assert report.pairs["contacts"].conflicts == 1
    assert customers(world)[0]["GivenName"] == "FromQBO"
    assert contacts(world)[0]["properties"]["firstname"] == "FromQBO"
    log = [a for a in engine.state.activity(record(engine, contact).id) if a["action"] == "conflict"]
    assert log[0]["rule"] == "B2" and log[0]["detail"]["winner"] == "quickbooks"


def test_B1_one_way_to_hubspot_creates_contacts_and_excludes_hubspot_only_ones(world: World) -> None:
    new_customer(world, "Qbo Only", "qbo.only@example.com", GivenName="Qbo", FamilyName="Only")
    hs_only = new_contact(world, "hs.only@example.com", "Hs", "Only")
    engine = world.engine(contacts={"direction": "to-hubspot"})
    engine.run_pass()
    made = {c["properties"]["email"]: c for c in contacts(world)}
    assert made["qbo.only@example.com"]["properties"]["firstname"] == "Qbo"
    r = record(engine, hs_only)
    assert (r.status, r.reason) == (EXCLUDED, "direction") and len(customers(world)) == 1


def test_A3_edge_14_15_no_echo_and_a_pass_without_changes_writes_nothing(world: World) -> None:
    for i in range(5):
        new_contact(world, f"p{i}@example.com", f"P{i}", "Person")
    new_customer(world, "From Qbo", "from.qbo@example.com", GivenName="From")
    engine = world.engine()
    first = engine.run_pass()
    assert first.writes == 6
    world.clock.sleep(600)
    mark = journal_mark(world)
    echo = engine.run_pass()  # reads the engine's own writes back: recognised, nothing written
    assert echo.writes == 0 and journal_writes(world, mark) == []
    world.clock.sleep(600)
    quiet = engine.run_pass(["contacts"])
    assert quiet.writes == 0 and quiet.calls == {"quickbooks": 1, "hubspot": 1}  # one read a side


def test_edge_17_webhooks_twice_or_out_of_order_apply_once(world: World) -> None:
    contact = new_contact(world, "hook@example.com", "Hook", "One")
    engine = world.engine()
    engine.run_pass()
    world.hs.update("contacts", contact, {"firstname": "Hook2"})
    world.hs.update("contacts", contact, {"firstname": "Hook3"})
    events = [("contacts", contact, False)] * 3
    engine.notify(HUBSPOT, events)
    first = engine.run_notifications()
    engine.notify(HUBSPOT, events)
    second = engine.run_notifications()
    assert first.pairs["contacts"].updated["quickbooks"] == 1 and second.writes == 0
    assert customers(world)[0]["GivenName"] == "Hook3"


def test_B3_a_custom_mapping_syncs_on_a_paid_tier_and_is_refused_on_a_free_one(world: World) -> None:
    from sync.settings import SettingsError

    custom = {"mappings": {"custom": [{"hubspot": "jobtitle", "quickbooks": "Title", "type": "text"}]}}
    contact = new_contact(world, "boss@example.com", "Bo", "Ss", jobtitle="CEO")
    engine = world.engine(contacts=custom)
    engine.run_pass()
    assert customers(world)[0]["Title"] == "CEO"
    world.hs.update("contacts", contact, {"jobtitle": "CFO"})
    world.clock.sleep(60)
    engine.run_pass()
    assert customers(world)[0]["Title"] == "CFO"
    with pytest.raises(SettingsError) as refused:
        for_simulators(world.company, world.portal, hubspot={"tier": "free"},
                                pairs={"contacts": {**custom, "recommended_filters": False}})
    assert "pairs.contacts.mappings.custom" in str(refused.value)


def test_B2_edge_12_a_blank_winning_value_never_erases_the_other_side(world: World) -> None:
    new_customer(world, "Phone Owner", "phone@example.com", PrimaryPhone={"FreeFormNumber": "555-0100"})
    contact = new_contact(world, "phone@example.com", "Pho", "Ne")  # HubSpot wins, but has no phone
    world.engine(contacts={"conflict": "hubspot"}).run_pass()
    assert customers(world)[0]["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert world.hs.get("contacts", contact, ["phone"])["properties"]["phone"] == "555-0100"


def test_B1_edge_13_a_one_way_field_edited_on_the_target_is_overwritten_not_sent_back(world: World) -> None:
    contact = new_contact(world, "oneway@example.com", "Source", "Side")
    engine = world.engine(contacts={"direction": "to-quickbooks"})
    engine.run_pass()
    [c] = customers(world)
    world.qbo.update("Customer", {"Id": c["Id"], "SyncToken": c["SyncToken"], "GivenName": "TargetEdit"},
                     request_id="one-way-edit")
    world.clock.sleep(60)
    engine.run_pass()
    assert customers(world)[0]["GivenName"] == "Source"
    assert world.hs.get("contacts", contact, ["firstname"])["properties"]["firstname"] == "Source"


def test_D3_edge_6_customers_sharing_an_email_make_one_contact_from_the_oldest(world: World) -> None:
    """The sample company has such customers: the oldest becomes the contact, the others are excluded."""
    made = [new_customer(world, f"Smith {n}", "kaitlyn@smithandsons.com", GivenName=f"K{n}") for n in range(3)]
    engine = world.engine()
    engine.run_pass()
    [contact] = contacts(world)
    assert contact["properties"]["firstname"] == "K0"
    assert record(engine, qbo_id=made[0]["Id"]).hubspot_id == contact["id"]
    for later in made[1:]:
        r = record(engine, qbo_id=later["Id"])
        assert (r.status, r.reason, r.hubspot_id) == (EXCLUDED, "duplicate_email", None)
    world.clock.sleep(600)
    assert engine.run_pass().writes == 0
