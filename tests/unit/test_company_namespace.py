"""Rule A5 (legacy): several QuickBooks companies on one HubSpot account — the settings that connect them, the
namespace that keeps their QBO ids apart in HubSpot, and the choice of company an action must make."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.clients.namespace import Namespace
from sync.settings import Settings, SettingsError, load_settings

EAST = {"realm_id": "9130", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
MAIN = {"realm_id": "4620", "client_id": "c", "client_secret": "s", "refresh_token": "r"}


def problems_of(data: dict) -> list[str]:
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(data)
    return info.value.problems


def test_A5_legacy_connects_several_companies_each_with_its_own_state_and_namespace():
    settings = Settings.from_dict({"mode": "legacy", "state": "sqlite:///sync.db", "quickbooks": [MAIN, EAST]})
    assert settings.quickbooks.realm_id == "4620" and [c.realm_id for c in settings.other_companies] == ["9130"]
    first, east = settings.per_company()
    assert (first.quickbooks.realm_id, first.state, first.hubspot_namespace) == ("4620", "sqlite:///sync.db", "")
    assert (east.quickbooks.realm_id, east.state, east.hubspot_namespace) == ("9130", "sqlite:///sync-9130.db", "9130")
    assert first.other_companies == () == east.other_companies
    assert Settings.from_dict(settings.to_dict()) == settings  # the list round-trips


def test_A5_one_company_has_no_namespace_whether_written_as_a_mapping_or_a_list_of_one():
    for written in (MAIN, [MAIN]):
        settings = Settings.from_dict({"mode": "legacy", "quickbooks": written})
        assert settings.per_company() == [settings] and settings.hubspot_namespace is None


def test_A5_an_in_memory_state_gives_each_company_a_database_of_its_own():
    east = Settings.from_dict({"mode": "legacy", "state": "sqlite://", "quickbooks": [MAIN, EAST]}).per_company()[1]
    assert east.state == "sqlite://"


@pytest.mark.parametrize("mode", ["current", "2023"])
def test_A5_several_companies_are_refused_outside_legacy_naming_the_generation(mode):
    assert problems_of({"mode": mode, "quickbooks": [MAIN, EAST]}) == [
        f"quickbooks: the {mode} integration connects one QuickBooks company; several companies per HubSpot "
        "account are legacy only (A5)"]


def test_A5_a_company_listed_twice_an_empty_list_and_a_state_that_cannot_be_derived_are_refused():
    assert problems_of({"mode": "legacy", "quickbooks": [MAIN, dict(MAIN)]}) == [
        "quickbooks: company 4620 is listed twice; each QuickBooks company connects once (A5)"]
    assert problems_of({"mode": "legacy", "quickbooks": []}) == [
        "quickbooks: an empty list; give the QuickBooks company's connection"]
    assert problems_of({"mode": "legacy", "state": "postgresql://db/sync", "quickbooks": [MAIN, EAST]}) == [
        "quickbooks[1].state: needed: the settings' state is not a SQLite database, so each further company "
        "names a database of its own"]
    named = Settings.from_dict({"mode": "legacy", "state": "postgresql://db/sync",
                                "quickbooks": [MAIN, {**EAST, "state": "postgresql://db/east"}]})
    assert named.per_company()[1].state == "postgresql://db/east"


def test_A5_the_first_company_takes_no_state_of_its_own():  # its state is the settings' own
    problems = problems_of({"mode": "legacy", "quickbooks": [{**MAIN, "state": "sqlite://"}, EAST]})
    assert len(problems) == 1 and problems[0].startswith("quickbooks[0]") and "state" in problems[0]


def test_A5_a_further_company_state_in_a_settings_file_is_relative_to_the_file(tmp_path: Path):
    (tmp_path / "s.yaml").write_text("mode: legacy\nstate: sqlite:///main.db\nquickbooks:\n"
                                     "  - {realm_id: '4620'}\n  - {realm_id: '9130', state: 'sqlite:///east.db'}\n",
                                     encoding="utf-8")
    settings = load_settings(tmp_path / "s.yaml")
    assert settings.per_company()[0].state == f"sqlite:///{tmp_path / 'main.db'}"
    assert settings.per_company()[1].state == f"sqlite:///{tmp_path / 'east.db'}"


# -- the namespace ---------------------------------------------------------------------------------

def test_A5_a_further_company_writes_its_ids_namespaced_and_reads_them_back_plain():
    east = Namespace("9130", ["quickbooks_invoice_id", "quickbooks_line_id"])
    body = {"inputs": [{"id": "1", "idProperty": "quickbooks_invoice_id",
                        "properties": {"quickbooks_invoice_id": "1", "hs_currency": "USD"}}]}
    sent = east.outgoing(body)
    assert sent["inputs"][0]["id"] == "9130/1"
    assert sent["inputs"][0]["properties"] == {"quickbooks_invoice_id": "9130/1", "hs_currency": "USD"}
    assert body["inputs"][0]["id"] == "1"  # the caller's body is left as it was
    search = east.outgoing({"filterGroups": [{"filters": [
        {"propertyName": "quickbooks_invoice_id", "operator": "IN", "values": ["1", "2"]},
        {"propertyName": "hs_currency", "operator": "EQ", "value": "USD"}]}]})
    assert search["filterGroups"][0]["filters"][0]["values"] == ["9130/1", "9130/2"]
    assert search["filterGroups"][0]["filters"][1]["value"] == "USD"
    answer = east.incoming({"results": [{"id": "7", "properties": {"quickbooks_invoice_id": "9130/1"}},
                                        {"id": "8", "properties": {"quickbooks_invoice_id": "1"}},
                                        {"id": "9", "properties": {"quickbooks_line_id": "5511/1:2"}},
                                        {"id": "10", "properties": {"hs_currency": "USD"}}]})
    ids = [r["properties"].get("quickbooks_invoice_id") or r["properties"].get("quickbooks_line_id")
           for r in answer["results"]]
    assert ids == ["1", "/1", "5511/1:2", None]
    assert [east.foreign(r) for r in answer["results"]] == [False, True, True, False]


def test_A5_the_first_company_keeps_its_ids_plain_and_sees_the_others_as_foreign():
    first = Namespace("", ["quickbooks_item_id"])
    assert first.outgoing({"properties": {"quickbooks_item_id": "3"}}) == {"properties": {"quickbooks_item_id": "3"}}
    answer = first.incoming({"id": "1", "properties": {"quickbooks_item_id": "9130/3"}})
    assert first.foreign(answer) and not first.foreign(first.incoming({"properties": {"quickbooks_item_id": "3"}}))
