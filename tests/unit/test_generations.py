"""The three generations as settings profiles (A1, B1-B4, C1-C3, D4): what each has, and a clear refusal
naming the generation for what it does not."""

from __future__ import annotations

import pytest

from sync.generations import GENERATIONS, MODES
from sync.settings import Settings, SettingsError


def problems(data: dict) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        Settings.from_dict(data)
    return refused.value.problems


def test_the_three_generations_and_2023_written_as_a_number() -> None:
    assert MODES == ("current", "2023", "legacy")
    assert Settings.from_dict({"mode": 2023}).mode == "2023"
    assert Settings.from_dict({"mode": "2023"}).generation is GENERATIONS["2023"]
    assert problems({"mode": "2025"}) == [
        "mode: must be one of current, 2023, legacy (the generation of HubSpot's integration to behave as), "
        "not '2025'"]


@pytest.mark.parametrize(("mode", "directions"), [
    ("current", {"contacts": "two-way", "products": "to-hubspot", "invoices": "to-hubspot"}),  # C1-C3
    ("2023", {"contacts": "two-way", "products": "two-way", "invoices": "to-hubspot"}),  # A1 (004)
    ("legacy", {"contacts": "to-hubspot", "products": "to-hubspot", "invoices": "to-hubspot"}),  # A1 (000-003)
])
def test_A1_each_generation_has_its_directions(mode: str, directions: dict) -> None:
    s = Settings.from_dict({"mode": mode})
    assert {name: p.direction for name, p in s.pairs.items()} == directions


def test_A1_B1_a_direction_the_generation_does_not_have_is_refused_by_name() -> None:
    assert problems({"mode": "legacy", "pairs": {"contacts": {"direction": "two-way"}}}) == [
        "pairs.contacts.direction: the legacy integration has no such setting (only current)"]
    s = Settings.from_dict({"mode": "current", "pairs": {"contacts": {"direction": "to-quickbooks"}}})
    assert s.pairs["contacts"].direction == "to-quickbooks"


@pytest.mark.parametrize(("mode", "block", "problem"), [
    ("current", {"on_delete": "deactivate"}, "pairs.contacts.on_delete: the current integration has no such setting "
                                              "(only legacy)"),
    ("2023", {"filters": {"to_hubspot": []}}, "pairs.contacts.filters: the 2023 integration has no such setting "
                                              "(only current)"),
    ("legacy", {"conflict": "quickbooks"}, "pairs.contacts.conflict: the legacy integration has no such setting "
                                           "(only current)"),
    ("2023", {"on_change": "ignore"}, "pairs.contacts.on_change: the 2023 integration has no such setting "
                                      "(only legacy)"),
])
def test_settings_of_another_generation_are_refused_naming_both(mode: str, block: dict, problem: str) -> None:
    assert problems({"mode": mode, "pairs": {"contacts": block}}) == [problem]


def test_C_recommended_filters_are_the_current_generations_only() -> None:
    current, legacy = Settings.from_dict({}), Settings.from_dict({"mode": "legacy"})
    assert current.pairs["contacts"].filters_to_quickbooks and current.pairs["contacts"].recommended_filters
    assert legacy.pairs["contacts"].filters_to_quickbooks == [] and not legacy.pairs["contacts"].recommended_filters


def test_pair_options_of_one_generation_read_as_their_default_elsewhere() -> None:
    legacy = Settings.from_dict({"mode": "legacy", "pairs": {"invoices": {"tax_code": "7"}}})
    assert legacy.pairs["invoices"].tax_code == "7" and legacy.pairs["invoices"].custom_fields == {}
    assert problems({"pairs": {"invoices": {"tax_code": "7"}}}) == [
        "pairs.invoices.tax_code: the current integration has no such setting (only legacy)"]
    assert problems({"mode": "legacy", "pairs": {"invoices": {"custom_fields": {"PO": "po"}}}}) == [
        "pairs.invoices.custom_fields: the legacy integration has no such setting (only current)"]


@pytest.mark.parametrize("mode", MODES)
def test_settings_round_trip_in_every_generation(mode: str) -> None:
    s = Settings.from_dict({"mode": mode, "setup_date": "2026-03-01"})
    assert Settings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(("mode", "refused"), [("current", False), ("2023", True), ("legacy", True)])
def test_A5_sandbox_companies_cannot_connect_to_2023_or_legacy(mode: str, refused: bool) -> None:
    data = {"mode": mode, "quickbooks": {"base_url": "https://sandbox-quickbooks.api.intuit.com"}}
    if refused:
        assert problems(data) == [f"quickbooks.base_url: QuickBooks sandbox companies cannot connect to the {mode} "
                                  "integration (A5)"]
    else:
        assert Settings.from_dict(data).quickbooks.token_url == \
            "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"


@pytest.mark.parametrize(("mode", "tier_words"), [("current", "Data Hub Starter"), ("2023", "Operations Hub Starter")])
def test_B3_custom_mappings_name_the_generations_tier(mode: str, tier_words: str) -> None:
    custom = {"hubspot": "jobtitle", "quickbooks": "Title", "type": "text"}
    mappings = {"mappings": {"custom": [custom]}}
    found = problems({"mode": mode, "hubspot": {"tier": "free"}, "pairs": {"contacts": mappings}})
    assert found == [f"pairs.contacts.mappings.custom: custom mappings are a paid-tier feature (B3: the {mode} "
                     f"integration needs {tier_words} or higher); hubspot.tier is 'free'"]
    one_way = {"mappings": {"custom": [{**custom, "direction": "to-hubspot"}]}}
    legacy = Settings.from_dict({"mode": "legacy", "hubspot": {"tier": "free"}, "pairs": {"contacts": one_way}})
    assert [m.id for m in legacy.pairs["contacts"].mappings][-1] == "jobtitle"  # legacy needs no tier (B3)
