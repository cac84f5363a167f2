"""The three-way merge (B1, B2; edge cases 11-13): each field against the last synced value."""

from __future__ import annotations

from sync.mapping import TO_HUBSPOT, TO_QUICKBOOKS, TWO_WAY, FieldMap
from sync.merge import merge

NAME = FieldMap("firstname", "GivenName")
PHONE = FieldMap("phone", "PrimaryPhone.FreeFormNumber")
DISPLAY = FieldMap("displayname", "DisplayName", direction=TO_QUICKBOOKS, create_only=True)
MAPS = [NAME, PHONE, DISPLAY]


def test_a_change_on_one_side_flows_to_the_other() -> None:
    base = {"firstname": "Ada", "phone": "1"}
    m = merge(MAPS, TWO_WAY, "hubspot", base, {"firstname": "Ada L", "phone": "1"}, {"firstname": "Ada", "phone": "2"})
    assert m.to_quickbooks == {"firstname": "Ada L"} and m.to_hubspot == {"phone": "2"}
    assert m.base == {"firstname": "Ada L", "phone": "2"} and m.conflicts == []


def test_B2_edge_11_both_sides_changed_the_conflict_rule_decides_and_logs() -> None:
    base = {"firstname": "Ada"}
    hub, qbo = {"firstname": "Hub"}, {"firstname": "Qbo"}
    hs_wins = merge([NAME], TWO_WAY, "hubspot", base, hub, qbo)
    assert hs_wins.to_quickbooks == {"firstname": "Hub"} and hs_wins.to_hubspot == {}
    assert hs_wins.conflicts == [{"field": "firstname", "hubspot": "Hub", "quickbooks": "Qbo", "base": "Ada",
                                  "winner": "hubspot", "value": "Hub"}]
    qbo_wins = merge([NAME], TWO_WAY, "quickbooks", base, hub, qbo)
    assert qbo_wins.to_hubspot == {"firstname": "Qbo"} and qbo_wins.to_quickbooks == {}


def test_B2_edge_12_a_blank_winner_never_erases_the_other_side() -> None:
    m = merge([PHONE], TWO_WAY, "hubspot", None, {"phone": ""}, {"phone": "555"})
    assert m.to_hubspot == {"phone": "555"} and m.to_quickbooks == {} and m.base == {"phone": "555"}


def test_first_meeting_without_a_base_uses_the_conflict_rule() -> None:
    m = merge([NAME], TWO_WAY, "quickbooks", None, {"firstname": "A"}, {"firstname": "B"})
    assert m.to_hubspot == {"firstname": "B"} and len(m.conflicts) == 1


def test_B1_edge_13_one_way_fields_take_the_source_and_never_flow_back() -> None:
    base = {"firstname": "Ada"}
    # the target (QBO) was edited: overwritten by the source on the next pass
    m = merge([NAME], TO_QUICKBOOKS, "quickbooks", base, {"firstname": "Ada"}, {"firstname": "Edited"})
    assert m.to_quickbooks == {"firstname": "Ada"} and m.to_hubspot == {}
    m = merge([NAME], TO_HUBSPOT, "hubspot", base, {"firstname": "Edited"}, {"firstname": "Ada"})
    assert m.to_hubspot == {"firstname": "Ada"} and m.to_quickbooks == {}


def test_one_way_never_clears_the_target_at_a_first_meeting_but_a_cleared_source_clears_it_later() -> None:
    assert merge([PHONE], TO_QUICKBOOKS, "hubspot", None, {"phone": ""}, {"phone": "9"}).to_quickbooks == {}
    cleared = merge([PHONE], TO_QUICKBOOKS, "hubspot", {"phone": "9"}, {"phone": ""}, {"phone": "9"})
    assert cleared.to_quickbooks == {"phone": ""}


def test_create_only_fields_are_never_merged_and_equal_values_write_nothing() -> None:
    m = merge(MAPS, TWO_WAY, "hubspot", {"firstname": "A"}, {"firstname": "A", "displayname": "X"},
              {"firstname": "A", "displayname": "Y"})
    assert (m.to_quickbooks, m.to_hubspot, m.conflicts) == ({}, {}, [])


def test_a_field_mapped_against_the_pair_direction_flows_nowhere() -> None:
    m = merge([FieldMap("phone", "P", direction=TO_HUBSPOT)], TO_QUICKBOOKS, "hubspot", {"phone": "1"},
              {"phone": "2"}, {"phone": "3"})
    assert (m.to_quickbooks, m.to_hubspot, m.base) == ({}, {}, {"phone": "1"})
