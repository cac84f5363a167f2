"""Unit tests for the engine's settings (sync/settings.py): rules A3, A4, B1-B5, C1-C3, D1, D4, E1, edge case 49."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from harness.engine_settings import for_simulators
from sync.filters import OPERATORS, Filter, group_matches, groups_match, needs_invoices
from sync.mapping import TO_HUBSPOT, TO_QUICKBOOKS, TWO_WAY, FieldMap
from sync.pairs.contacts import CONTACT_MAPPINGS
from sync.pairs.products import PRODUCT_MAPPINGS
from sync.settings import PairSettings, Settings, SettingsError, load_settings, recommended_filters

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "settings-example.yaml"
SETUP = date(2026, 11, 21)


def problems_of(data: dict) -> list[str]:
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(data)
    return info.value.problems


def only_problem(data: dict) -> str:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


def contacts(**block: object) -> dict:
    return {"setup_date": "2026-11-21", "pairs": {"contacts": block}}


def custom(*maps: dict, tier: str = "professional", **block: object) -> dict:
    data = contacts(mappings={"custom": list(maps)}, **block)
    data["hubspot"] = {"tier": tier}
    return data


# ----------------------------------------------------------------------------------------------------------
# The example file, round trips, defaults
# ----------------------------------------------------------------------------------------------------------

def test_example_file_loads_without_error():
    s = load_settings(EXAMPLE)
    assert s.quickbooks.realm_id == "9341000000000001"
    assert s.quickbooks.token_url == "http://127.0.0.1:8765/oauth2/v1/tokens/bearer"
    assert s.hubspot.tier == "professional" and s.hubspot.portal_id == "12345678"
    assert s.setup_date == SETUP and s.interval_minutes == 10 and s.lookback_seconds == 120
    c = s.pairs["contacts"]
    assert "phone" not in [m.id for m in c.mappings]  # off: [phone] (the YAML key `off` is not read as False)
    jobtitle = next(m for m in c.mappings if m.id == "jobtitle")
    assert jobtitle == FieldMap("jobtitle", "Title", "text", TWO_WAY, custom=True)
    visits = next(m for m in c.mappings if m.id == "visits_to_notes")
    assert (visits.type, visits.direction, visits.custom) == ("text", TO_QUICKBOOKS, True)
    assert c.filters_to_quickbooks[0] == [Filter("lifecyclestage", "EQ", "customer"), Filter("email", "HAS_PROPERTY")]
    assert c.filters_to_hubspot == []
    p = s.pairs["products"]
    assert (p.direction, p.conflict, p.require_sku, p.income_account) == (
        TO_HUBSPOT, "quickbooks", True, "Sales of Product Income")
    assert p.filters_to_hubspot == [[Filter("Active", "EQ", True)]]


def test_round_trip_yaml_to_settings_to_dict_and_back(tmp_path):
    s = load_settings(EXAMPLE)
    d = s.to_dict()
    assert Settings.from_dict(d) == s
    out = tmp_path / "copy.yaml"
    out.write_text(yaml.safe_dump(d, sort_keys=False))
    again = load_settings(out)
    assert again == s and again.to_dict() == d
    assert d["pairs"]["contacts"]["mappings"]["off"] == ["phone"]
    assert d["setup_date"] == "2026-11-21"


def test_round_trip_of_the_defaults_and_of_a_dict_from_safe_load():
    s = Settings.from_dict({"setup_date": "2026-11-21"})
    assert Settings.from_dict(s.to_dict()) == s
    # yaml.safe_load (YAML 1.1) reads the key `off` as False; such a dict is still understood
    parsed = yaml.safe_load(EXAMPLE.read_text())
    assert False in parsed["pairs"]["contacts"]["mappings"]
    from_file = load_settings(EXAMPLE)  # a file's relative SQLite state is beside the file; a dict's is as written
    assert from_file.state == f"sqlite:///{EXAMPLE.parent.resolve() / 'hsqbo-sync.db'}"
    assert load_settings(parsed) == replace(from_file, state="sqlite:///hsqbo-sync.db")


def test_an_empty_settings_file_is_refused_and_an_empty_dict_gives_the_defaults(tmp_path):
    for text in ("", "# only a comment\n"):
        empty = tmp_path / "empty.yaml"
        empty.write_text(text)
        with pytest.raises(SettingsError, match="holds no settings"):
            load_settings(empty)
    s = load_settings({})
    assert s == Settings.from_dict({})
    # the real APIs by default; Intuit's token endpoint is on its own host (a simulator's is on base_url)
    assert s.quickbooks.base_url == "https://quickbooks.api.intuit.com"
    assert s.quickbooks.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert s.quickbooks.realm_id is None and s.quickbooks.access_token is None
    assert s.hubspot.base_url == "https://api.hubapi.com" and s.hubspot.tier == "professional"
    assert s.state == "sqlite:///hsqbo-sync.db"
    assert s.setup_date == datetime.now(UTC).date()
    assert (s.interval_minutes, s.lookback_seconds, s.quickbooks_webhook_verifier) == (10, 120, None)
    assert list(s.pairs) == ["contacts", "products", "invoices"]
    assert s.mode == "current" and not s.legacy
    i = s.pairs["invoices"]
    assert i.direction == "to-hubspot"  # C2
    assert (i.tax_code, i.custom_fields) == (None, {})
    assert "tax_code" not in s.to_dict()["pairs"]["invoices"]  # F4's tax code is legacy's (the F10 card's)
    assert not hasattr(i, "automated_tax")  # gone: no setting lets a non-US company take HubSpot invoices (F4)
    # B4: the outbound invoice filter is HubSpot's own: only invoices that are not drafts
    assert i.filters_to_quickbooks == [[Filter("hs_invoice_status", "NEQ", "draft")]]
    c, p = s.pairs["contacts"], s.pairs["products"]
    assert c.enabled and p.enabled
    assert c.conflict == "hubspot" and c.on_delete == "nothing" and c.recommended_filters
    assert c.mappings == CONTACT_MAPPINGS and p.mappings == PRODUCT_MAPPINGS
    assert c.options == {} and not hasattr(c, "require_sku")  # product options only (E1)
    assert (p.require_sku, p.income_account) == (True, "Sales of Product Income")


@pytest.mark.parametrize("mode, refused", [("current", False), ("2023", True), ("legacy", True)])
def test_A5_a_sandbox_company_is_refused_in_2023_and_legacy_and_accepted_in_current(mode, refused):
    data = {"mode": mode, "quickbooks": {"base_url": "https://sandbox-quickbooks.api.intuit.com"}}
    if refused:
        assert only_problem(data) == ("quickbooks.base_url: QuickBooks sandbox companies cannot connect to the "
                                      f"{mode} integration (A5)")
    else:
        assert Settings.from_dict(data).quickbooks.base_url == "https://sandbox-quickbooks.api.intuit.com"
    assert Settings.from_dict({"mode": mode}).quickbooks.base_url == "https://quickbooks.api.intuit.com"


def test_token_url_follows_base_url_and_trailing_slashes_go():
    s = Settings.from_dict({"quickbooks": {"base_url": "https://qbo.example/"}, "hubspot": {"base_url": "http://h/"}})
    assert s.quickbooks.base_url == "https://qbo.example"
    assert s.quickbooks.token_url == "https://qbo.example/oauth2/v1/tokens/bearer"
    assert s.hubspot.base_url == "http://h"
    explicit = Settings.from_dict({"quickbooks": {"token_url": "https://oauth.platform.intuit.com/t"}})
    assert explicit.quickbooks.token_url == "https://oauth.platform.intuit.com/t"


def test_yaml_ids_read_as_numbers_are_kept_as_text_and_yes_is_not_a_boolean(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("quickbooks:\n  realm_id: 9341000000000001\n"
                 "pairs:\n  contacts:\n    filters:\n      to_quickbooks:\n"
                 "        - - {property: opted_in, operator: EQ, value: yes}\n")
    s = load_settings(f)
    assert s.quickbooks.realm_id == "9341000000000001"
    assert s.pairs["contacts"].filters_to_quickbooks == [[Filter("opted_in", "EQ", "yes")]]


def test_invalid_yaml_is_a_settings_error_naming_the_file(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("pairs: [unclosed\n")
    with pytest.raises(SettingsError, match="broken.yaml: not valid YAML"):
        load_settings(f)


def test_A4_a_pair_switched_off_keeps_its_settings():
    s = Settings.from_dict(contacts(enabled=False, direction=TO_HUBSPOT, conflict="quickbooks"))
    c = s.pairs["contacts"]
    assert (c.enabled, c.direction, c.conflict) == (False, TO_HUBSPOT, "quickbooks")
    assert Settings.from_dict(s.to_dict()).pairs["contacts"].enabled is False


def test_pair_settings_from_dict_on_its_own():
    pair = PairSettings.from_dict("products", {"require_sku": False, "income_account": 79}, setup_date=SETUP)
    assert (pair.name, pair.require_sku, pair.income_account, pair.direction) == ("products", False, "79", TO_HUBSPOT)
    with pytest.raises(SettingsError, match=r"^pairs\.products\.conflict: must be one of hubspot, quickbooks"):
        PairSettings.from_dict("products", {"conflict": "newest"})


# ----------------------------------------------------------------------------------------------------------
# Recommended filters (C1-C3)
# ----------------------------------------------------------------------------------------------------------

def test_C1_recommended_contacts_filters():
    assert recommended_filters("contacts", SETUP) == {
        "direction": TWO_WAY,
        "filters": {
            "to_quickbooks": [[
                {"property": "invoice.hs_invoice_status", "operator": "NEQ", "value": "draft"},
                {"property": "invoice.hs_createdate", "operator": "GT", "value": "2026-11-21T00:00:00Z"},
                {"property": "invoice.hs_invoice_source", "operator": "EQ", "value": "hubspot"},
            ]],
            "to_hubspot": [],
        },
    }


def test_C1_contacts_reach_quickbooks_only_through_a_qualifying_hubspot_invoice():
    c = Settings.from_dict({"setup_date": "2026-11-21"}).pairs["contacts"]
    assert c.direction == TWO_WAY and c.needs_invoices(TO_QUICKBOOKS) and not c.needs_invoices(TO_HUBSPOT)
    good = {"hs_invoice_status": "open", "hs_createdate": "2026-11-22T09:00:00.000Z", "hs_invoice_source": "hubspot"}
    contact = {"email": "ada@example.com"}
    assert c.passes({**contact, "__invoices__": [good]}, TO_QUICKBOOKS)
    assert not c.passes(contact, TO_QUICKBOOKS)  # a marketing contact, no invoice
    assert not c.passes({**contact, "__invoices__": [{**good, "hs_invoice_status": "draft"}]}, TO_QUICKBOOKS)
    assert not c.passes({**contact, "__invoices__": [{**good, "hs_createdate": "2026-11-20T23:59:59Z"}]},
                        TO_QUICKBOOKS)
    assert not c.passes({**contact, "__invoices__": [{**good, "hs_invoice_source": "quickbooks"}]}, TO_QUICKBOOKS)
    # every customer goes to HubSpot
    assert c.passes({"DisplayName": "Anyone"}, TO_HUBSPOT)


def test_C1_filters_follow_the_setup_date():
    c = Settings.from_dict({"setup_date": date(2027, 1, 5)}).pairs["contacts"]
    created = next(f for f in c.filters_to_quickbooks[0] if f.property == "invoice.hs_createdate")
    assert created == Filter("invoice.hs_createdate", "GT", "2027-01-05T00:00:00Z")


def test_C2_recommended_invoice_filters_after_noon_of_the_setup_day():
    rec = recommended_filters("invoices", SETUP)
    assert rec == {"direction": TO_HUBSPOT, "filters": {"to_quickbooks": [], "to_hubspot": [[
        {"property": "MetaData.CreateTime", "operator": "GT", "value": "2026-11-21T12:00:00Z"}]]}}
    group = [Filter(**f) for f in rec["filters"]["to_hubspot"][0]]
    # QBO stamps CreateTime in the company's offset: 04:30-08:00 is 12:30 UTC, 03:00-08:00 is 11:00 UTC
    assert group_matches(group, {"MetaData": {"CreateTime": "2026-11-21T04:30:00-08:00"}})
    assert not group_matches(group, {"MetaData": {"CreateTime": "2026-11-21T03:00:00-08:00"}})


def test_C3_recommended_products_one_way_to_hubspot_all_products():
    assert recommended_filters("products", SETUP) == {
        "direction": TO_HUBSPOT, "filters": {"to_quickbooks": [], "to_hubspot": []}}
    p = Settings.from_dict({}).pairs["products"]
    assert p.direction == TO_HUBSPOT and p.filters_to_hubspot == [] and p.passes({"Name": "Any"}, TO_HUBSPOT)
    assert p.maps_towards(TO_QUICKBOOKS) == []


def test_recommended_filters_fill_only_what_a_pair_leaves_out():
    c = Settings.from_dict(contacts(direction=TO_QUICKBOOKS)).pairs["contacts"]
    assert c.direction == TO_QUICKBOOKS and needs_invoices(c.filters_to_quickbooks)  # C1 filter kept
    c = Settings.from_dict(contacts(filters={"to_quickbooks": []})).pairs["contacts"]
    assert c.direction == TWO_WAY and c.filters_to_quickbooks == []  # explicit [] = all records
    p = Settings.from_dict({"pairs": {"products": {"filters": {"to_hubspot": None}}}}).pairs["products"]
    assert p.direction == TO_HUBSPOT and p.filters_to_hubspot == []


def test_recommended_filters_false_gives_two_way_and_no_filters():
    s = Settings.from_dict({"pairs": {"contacts": {"recommended_filters": False},
                                      "products": {"recommended_filters": False}}})
    for pair in (s.pairs["contacts"], s.pairs["products"]):
        assert pair.direction == TWO_WAY and pair.filters_to_quickbooks == [] and pair.filters_to_hubspot == []
        assert pair.recommended_filters is False


def test_recommended_filters_of_an_unknown_pair():
    with pytest.raises(ValueError, match="no recommended filters for pair 'deals'"):
        recommended_filters("deals", SETUP)


# ----------------------------------------------------------------------------------------------------------
# Validation (B5): every problem named by its path, all reported at once
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (contacts(direction="both"),
     "pairs.contacts.direction: must be one of two-way, to-quickbooks, to-hubspot, not 'both'"),
    (contacts(conflict="newest"), "pairs.contacts.conflict: must be one of hubspot, quickbooks, not 'newest'"),
    ({"mode": "legacy", "pairs": {"contacts": {"on_delete": "delete"}}},
     "pairs.contacts.on_delete: must be one of nothing, deactivate, not 'delete'"),
    ({"mode": "legacy", "pairs": {"contacts": {"on_change": "merge"}}},
     "pairs.contacts.on_change: must be one of sync, ignore, not 'merge'"),
    (contacts(on_delete="deactivate"),
     "pairs.contacts.on_delete: the current integration has no such setting (only legacy)"),
    ({"pairs": {"invoices": {"tax_code": "1"}}},
     "pairs.invoices.tax_code: the current integration has no such setting (only legacy)"),
    ({"pairs": {"invoices": {"automated_tax": True}}}, "pairs.invoices.automated_tax: unknown setting; known: "),
    ({"mode": "legacy", "pairs": {"contacts": {"direction": "two-way"}}},
     "pairs.contacts.direction: the legacy integration has no such setting (only current)"),
    ({"mode": 2023, "pairs": {"invoices": {"recommended_filters": False}}},
     "pairs.invoices.recommended_filters: the 2023 integration has no such setting (only current)"),
    (contacts(enabled="yes"), "pairs.contacts.enabled: must be true or false, not 'yes'"),
    (contacts(recommended_filters=1), "pairs.contacts.recommended_filters: must be true or false, not 1"),
    (contacts(require_sku=True), "pairs.contacts.require_sku: not a setting of the contacts pair (only of: products)"),
    ({"pairs": {"products": {"require_sku": "no"}}}, "pairs.products.require_sku: must be true or false, not 'no'"),
    ({"interval_minutes": 0}, "interval_minutes: must be a whole number of at least 1, not 0"),
    ({"interval_minutes": "10"}, "interval_minutes: must be a whole number of at least 1, not '10'"),
    ({"interval_minutes": True}, "interval_minutes: must be a whole number of at least 1, not True"),
    ({"lookback_seconds": -1}, "lookback_seconds: must be a whole number of at least 0, not -1"),
    ({"setup_date": "21/11/2026"}, "setup_date: must be a date (YYYY-MM-DD), not '21/11/2026'"),
    ({"setup_date": "2026-02-30"}, "setup_date: must be a date (YYYY-MM-DD), not '2026-02-30'"),
    ({"state": "not a url"}, "state: not a database URL SQLAlchemy can read"),
    ({"state": 5}, "state: must be a SQLAlchemy database URL, not 5"),
    ({"hubspot": {"tier": "gold"}}, "hubspot.tier: must be one of free, starter, professional, enterprise, not 'gold'"),
    ({"hubspot": {"base_url": "ftp://h"}}, "hubspot.base_url: must be an http:// or https:// URL, not 'ftp://h'"),
    ({"quickbooks": {"realm_id": ["x"]}}, "quickbooks.realm_id: must be text, not ['x']"),
    ({"quickbooks": {"client_id": " "}}, "quickbooks.client_id: must not be blank"),
    ({"quickbooks_webhook_verifier": {"a": 1}}, "quickbooks_webhook_verifier: must be text, not {'a': 1}"),
    ({"hubspot": "token"}, "hubspot: must be a mapping of settings, not 'token'"),
    ({"pairs": ["contacts"]}, "pairs: must be a mapping of settings, not ['contacts']"),
    ({"pairs": {"contacts": "on"}}, "pairs.contacts: must be a mapping of settings, not 'on'"),
    ({"pairs": {"invoice": {}}}, "pairs.invoice: unknown object pair; known pairs: contacts, products, invoices"),
    ({"pairs": {"invoices": {"filters": {"to_quickbooks": []}}}},
     "pairs.invoices.filters.to_quickbooks: the outbound invoice filter is HubSpot's own and cannot be edited (B4)"),
    ({"pairs": {"invoices": {"custom_fields": {"a": "x", "b": "y", "c": "z", "d": "w"}}}},
     "pairs.invoices.custom_fields: QuickBooks shows at most three custom fields on sales forms (F12)"),
    ({"mode": "old"}, "mode: must be one of current, 2023, legacy (the generation of HubSpot's integration"),
    ({"interval_minute": 5}, "interval_minute: unknown setting; known: quickbooks, hubspot,"),
    ({"quickbooks": {"realmid": "1"}}, "quickbooks.realmid: unknown setting; known: base_url, token_url, realm_id"),
    (contacts(direciton=TWO_WAY),
     "pairs.contacts.direciton: unknown setting; known: enabled, mappings, direction, conflict, filters,"),
    (contacts(mappings={"of": []}), "pairs.contacts.mappings.of: unknown setting; known: off, custom"),
    (contacts(mappings={"off": ["phone", "phon"]}),
     "pairs.contacts.mappings.off[1]: 'phon' is not a default mapping of contacts; known: email, firstname,"),
    (contacts(mappings={"off": "phone"}), "pairs.contacts.mappings.off: must be a list of default mapping ids"),
    (contacts(mappings={"off": ["hs_sku"]}), "pairs.contacts.mappings.off[0]: 'hs_sku' is not a default mapping"),
    (contacts(filters={"to_qbo": []}), "pairs.contacts.filters.to_qbo: unknown setting; known: to_quickbooks"),
])
def test_B5_each_problem_names_its_setting(data, message):
    assert only_problem(data).startswith(message)


def test_B5_settings_that_are_not_a_mapping():
    assert only_problem(["a"]) == "settings: must be a mapping of settings, not ['a']"  # type: ignore[arg-type]


def test_B5_oauth_needs_client_id_and_secret_with_a_refresh_token():
    problems = problems_of({"quickbooks": {"refresh_token": "r"}, "hubspot": {"refresh_token": "r", "client_id": "c"}})
    assert problems == [
        "quickbooks.client_id: needed with quickbooks.refresh_token (OAuth refresh)",
        "quickbooks.client_secret: needed with quickbooks.refresh_token (OAuth refresh)",
        "hubspot.client_secret: needed with hubspot.refresh_token (OAuth refresh)",
    ]


def test_B5_several_problems_are_reported_together():
    data = {
        "intervall": 3,
        "state": "nope",
        "interval_minutes": 0,
        "hubspot": {"tier": "free"},
        "pairs": {
            "contacts": {"direction": "both", "mappings": {"off": ["phon"], "custom": [
                {"hubspot": "jobtitle", "quickbooks": "Title", "type": "text"}]}},
            "products": {"conflict": "latest", "filters": {"to_hubspot": [[{"property": "Active", "operator": "IS"}]]}},
            "deals": {},
        },
    }
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(data)
    err = info.value
    assert isinstance(err, ValueError)
    paths = [p.split(":")[0] for p in err.problems]
    assert paths == ["intervall", "state", "interval_minutes", "pairs.deals", "pairs.contacts.direction",
                     "pairs.contacts.mappings.off[0]", "pairs.contacts.mappings.custom",
                     "pairs.products.conflict", "pairs.products.filters.to_hubspot[0][0].operator"]
    text = str(err)
    assert text.startswith("9 problems in the settings:\n- intervall: unknown setting")
    assert all(problem in text for problem in err.problems)


def test_B5_a_single_problem_is_the_whole_message():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"interval_minutes": 0})
    assert str(info.value) == "interval_minutes: must be a whole number of at least 1, not 0"


# ----------------------------------------------------------------------------------------------------------
# Field mappings (B3, D1, edge case 49)
# ----------------------------------------------------------------------------------------------------------

JOBTITLE = {"hubspot": "jobtitle", "quickbooks": "Title", "type": "text"}


def test_B3_default_mappings_can_be_switched_off_D1_displayname_included():
    c = Settings.from_dict(contacts(mappings={"off": ["phone", "displayname"]})).pairs["contacts"]
    ids = [m.id for m in c.mappings]
    assert "phone" not in ids and "displayname" not in ids
    assert ids == [m.id for m in CONTACT_MAPPINGS if m.id not in ("phone", "displayname")]


def test_B3_custom_mappings_are_refused_on_the_free_tier():
    assert only_problem(custom(JOBTITLE, tier="free")) == (
        "pairs.contacts.mappings.custom: custom mappings are a paid-tier feature (B3: the current integration "
        "needs Data Hub Starter or higher); hubspot.tier is 'free'")


@pytest.mark.parametrize("tier", ["starter", "professional", "enterprise"])
def test_B3_custom_mappings_are_accepted_on_paid_tiers(tier):
    c = Settings.from_dict(custom(JOBTITLE, tier=tier)).pairs["contacts"]
    assert c.mappings[-1] == FieldMap("jobtitle", "Title", "text", TWO_WAY, custom=True)
    assert c.mappings[:-1] == CONTACT_MAPPINGS


def test_B3_custom_mapping_required_keys():
    problems = problems_of(custom({"hubspot": "jobtitle"}))
    assert problems == ["pairs.contacts.mappings.custom[0].quickbooks: required (a non-empty string), not None",
                        "pairs.contacts.mappings.custom[0].type: required (a non-empty string), not None"]
    assert only_problem(custom("jobtitle")).startswith(
        "pairs.contacts.mappings.custom[0]: a custom mapping must be a mapping with hubspot, quickbooks and type")
    assert only_problem(custom({**JOBTITLE, "dir": "x"})).startswith(
        "pairs.contacts.mappings.custom[0].dir: unknown setting; known: hubspot, quickbooks, type, direction, name")


def test_B3_custom_mapping_qbo_field_must_be_known_for_the_pair():
    assert only_problem(custom({**JOBTITLE, "quickbooks": "JobTitle"})).startswith(
        "pairs.contacts.mappings.custom[0].quickbooks: 'JobTitle' is not a QuickBooks field custom mappings of "
        "contacts may use; known: DisplayName, Title,")
    data = {"hubspot": {"tier": "professional"}, "pairs": {"products": {"mappings": {"custom": [
        {"hubspot": "x", "quickbooks": "Title", "type": "text", "direction": TO_HUBSPOT}]}}}}
    assert only_problem(data).startswith("pairs.products.mappings.custom[0].quickbooks: 'Title' is not a QuickBooks")


def test_B3_custom_mapping_type_and_direction_values():
    assert only_problem(custom({**JOBTITLE, "type": "string"})) == (
        "pairs.contacts.mappings.custom[0].type: must be one of text, email, number, bool, date, not 'string'")
    assert only_problem(custom({**JOBTITLE, "direction": "one-way"})) == (
        "pairs.contacts.mappings.custom[0].direction: must be one of two-way, to-quickbooks, to-hubspot, "
        "not 'one-way'")


def test_B3_custom_mapping_onto_a_qbo_field_already_mapped():
    taken = {"hubspot": "first_name_2", "quickbooks": "GivenName", "type": "text"}
    assert only_problem(custom(taken)) == (
        "pairs.contacts.mappings.custom[0].quickbooks: the QuickBooks field 'GivenName' is already mapped by the "
        "default mapping 'firstname' (switch it off with mappings.off)")
    c = Settings.from_dict(contacts(mappings={"off": ["firstname"], "custom": [taken]})).pairs["contacts"]
    assert c.mappings[-1].quickbooks == "GivenName" and "firstname" not in [m.id for m in c.mappings]
    second = {**JOBTITLE, "hubspot": "title2"}
    assert only_problem(custom(JOBTITLE, second)) == (
        "pairs.contacts.mappings.custom[1].quickbooks: the QuickBooks field 'Title' is already mapped by the "
        "custom mapping 'jobtitle'")


def test_B3_custom_mapping_ids_are_unique_and_names_disambiguate():
    to_mobile = {"hubspot": "phone", "quickbooks": "Mobile.FreeFormNumber", "type": "text",
                 "direction": TO_QUICKBOOKS}
    assert only_problem(custom(to_mobile)) == (
        "pairs.contacts.mappings.custom[0]: the id 'phone' is already used by the default mapping 'phone'; "
        "give this mapping a distinct name")
    c = Settings.from_dict(custom({**to_mobile, "name": "phone_to_mobile"})).pairs["contacts"]
    assert c.mappings[-1].id == "phone_to_mobile" and c.mappings[-1].hubspot == "phone"
    # both would write the HubSpot property `phone` (two-way)
    assert only_problem(custom({**to_mobile, "name": "m", "direction": TWO_WAY})) == (
        "pairs.contacts.mappings.custom[0].hubspot: the HubSpot property 'phone' already receives values from the "
        "default mapping 'phone'")


def test_B3_custom_direction_must_be_able_to_flow_in_the_pair():
    data = custom({**JOBTITLE, "direction": TO_HUBSPOT}, direction=TO_QUICKBOOKS)
    assert only_problem(data) == (
        "pairs.contacts.mappings.custom[0].direction: 'to-hubspot' never flows in a pair whose direction is "
        "'to-quickbooks'")


def test_edge_case_49_incompatible_types_are_refused_at_load():
    problem = only_problem(custom({"hubspot": "visits", "quickbooks": "Active", "type": "number"}))
    assert problem.startswith("pairs.contacts.mappings.custom[0].type: 'number' is incompatible with the "
                              "QuickBooks bool field 'Active' (edge case 49)")
    problem = only_problem(custom({"hubspot": "visits", "quickbooks": "Notes", "type": "number"}))
    assert problem == ("pairs.contacts.mappings.custom[0].direction: a number property can map onto the QuickBooks "
                       "text field 'Notes' only one-way (direction: to-quickbooks), not 'two-way'")
    data = {"hubspot": {"tier": "enterprise"}, "pairs": {"products": {"direction": TWO_WAY, "mappings": {
        "off": ["price"], "custom": [{"hubspot": "price_text", "quickbooks": "UnitPrice", "type": "text",
                                      "direction": TO_QUICKBOOKS}]}}}}
    assert only_problem(data) == (
        "pairs.products.mappings.custom[0].direction: the QuickBooks number field 'UnitPrice' can map into a text "
        "property only one-way (direction: to-hubspot), not 'to-quickbooks'")


def test_edge_case_49_one_way_to_or_from_text_is_allowed_and_compared_as_text():
    to_notes = {"hubspot": "visits", "quickbooks": "Notes", "type": "number", "direction": TO_QUICKBOOKS}
    from_active = {"hubspot": "qbo_active", "quickbooks": "Active", "type": "text", "direction": TO_HUBSPOT}
    c = Settings.from_dict(custom(to_notes, from_active)).pairs["contacts"]
    assert c.mappings[-2:] == [FieldMap("visits", "Notes", "text", TO_QUICKBOOKS, custom=True),
                               FieldMap("qbo_active", "Active", "text", TO_HUBSPOT, custom=True)]
    email_to_text = {"hubspot": "work_email", "quickbooks": "Notes", "type": "email", "direction": TO_QUICKBOOKS}
    assert Settings.from_dict(custom(email_to_text)).pairs["contacts"].mappings[-1].type == "text"
    same = {"hubspot": "is_taxable", "quickbooks": "Taxable", "type": "bool"}
    assert Settings.from_dict(custom(same)).pairs["contacts"].mappings[-1].type == "bool"


def test_maps_towards_each_direction():
    extra = {"hubspot": "jobtitle", "quickbooks": "Title", "type": "text", "direction": TO_HUBSPOT}
    two = Settings.from_dict(custom(extra)).pairs["contacts"]
    to_qbo = [m.id for m in two.maps_towards(TO_QUICKBOOKS)]
    to_hs = [m.id for m in two.maps_towards(TO_HUBSPOT)]
    assert to_qbo == [m.id for m in CONTACT_MAPPINGS]  # displayname (to-quickbooks) included, jobtitle not
    assert to_hs == [m.id for m in CONTACT_MAPPINGS if m.id != "displayname"] + ["jobtitle"]

    one = Settings.from_dict(contacts(direction=TO_QUICKBOOKS)).pairs["contacts"]
    assert one.maps_towards(TO_QUICKBOOKS) == CONTACT_MAPPINGS and one.maps_towards(TO_HUBSPOT) == []

    back = Settings.from_dict(contacts(direction=TO_HUBSPOT)).pairs["contacts"]
    assert back.maps_towards(TO_QUICKBOOKS) == []
    assert [m.id for m in back.maps_towards(TO_HUBSPOT)] == [m.id for m in CONTACT_MAPPINGS if m.id != "displayname"]

    with pytest.raises(ValueError, match="towards must be"):
        two.maps_towards(TWO_WAY)


# ----------------------------------------------------------------------------------------------------------
# Filters (B4)
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("operator, value, stored, expected", [
    ("EQ", "customer", "Customer", True),
    ("EQ", "customer", "lead", False),
    ("EQ", 10, "10.00", True),  # numbers compare as numbers
    ("EQ", "x", None, False),
    ("NEQ", "customer", "lead", True),
    ("NEQ", "customer", "CUSTOMER", False),
    ("NEQ", "customer", None, True),  # a record lacking the property satisfies a negative operator
    ("LT", 10, "9", True),  # numerically, though "9" > "10" as text
    ("LT", 10, "10", False),
    ("LT", 10, None, False),
    ("LTE", 10, "10", True),
    ("LTE", 10, "10.5", False),
    ("GT", 20, "100", True),
    ("GT", 20, "3", False),
    ("GTE", "2026-11-21", "2026-11-21", True),
    ("GTE", "2026-11-21", "2026-11-20", False),
    ("BETWEEN", [1, 10], "10", True),
    ("BETWEEN", [1, 10], "11", False),
    ("BETWEEN", ["2026-11-01", "2026-11-30"], "2026-11-21T10:00:00Z", True),
    ("BETWEEN", ["2026-11-01", "2026-11-30"], "2026-12-01", False),
    ("IN", ["open", "paid"], "Paid", True),
    ("IN", ["open", "paid"], "draft", False),
    ("IN", [1, 2], "2.0", True),
    ("NOT_IN", ["open", "paid"], "draft", True),
    ("NOT_IN", ["open", "paid"], "OPEN", False),
    ("NOT_IN", ["open", "paid"], None, True),
    ("HAS_PROPERTY", None, "x", True),
    ("HAS_PROPERTY", None, "   ", False),
    ("HAS_PROPERTY", None, None, False),
    ("HAS_PROPERTY", None, 0, True),
    ("NOT_HAS_PROPERTY", None, "", True),
    ("NOT_HAS_PROPERTY", None, "x", False),
    ("CONTAINS_TOKEN", "*@example.com", "Ada@Example.com", True),
    ("CONTAINS_TOKEN", "*@example.com", "ada@other.com", False),
    ("CONTAINS_TOKEN", "acme", "Acme, Inc.", True),
    ("CONTAINS_TOKEN", "acm", "Acme, Inc.", False),  # whole tokens only
    ("NOT_CONTAINS_TOKEN", "test", "Real Customer", True),
    ("NOT_CONTAINS_TOKEN", "test", "Test Customer", False),
    ("NOT_CONTAINS_TOKEN", "test", None, True),
])
def test_B4_every_filter_operator(operator, value, stored, expected):
    flt = Filter("prop", operator, value)
    assert flt.matches({"prop": stored}) is expected


def test_B4_the_operator_table_is_hubspot_search_s():
    assert set(OPERATORS) == {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                              "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}


def test_B4_dates_compare_as_instants_and_booleans_as_text():
    after = Filter("hs_createdate", "GT", "2026-11-21T00:00:00Z")
    assert after.matches({"hs_createdate": "2026-11-21T00:00:01.000Z"})
    assert not after.matches({"hs_createdate": "2026-11-20T23:00:00-00:30"})  # 23:30 UTC on the 20th
    assert after.matches({"hs_createdate": "2026-11-20T20:00:00-08:00"})  # 04:00 UTC on the 21st
    epoch = int(datetime(2026, 11, 22, tzinfo=UTC).timestamp() * 1000)
    assert after.matches({"hs_createdate": str(epoch)})  # epoch milliseconds against an ISO value
    assert Filter("Active", "EQ", True).matches({"Active": True})
    assert not Filter("Active", "EQ", True).matches({"Active": False})
    assert Filter("Active", "EQ", "TRUE").matches({"Active": True})


def test_B4_dotted_properties_read_qbo_field_paths():
    flt = Filter("PrimaryEmailAddr.Address", "CONTAINS_TOKEN", "*@example.com")
    assert flt.matches({"PrimaryEmailAddr": {"Address": "ada@example.com"}})
    assert not flt.matches({"PrimaryEmailAddr": None})
    assert Filter("a.b", "EQ", "flat").matches({"a.b": "flat"})  # a flat key with a dot wins


def test_B4_groups_and_inside_or_between_no_groups_all():
    groups = [[Filter("lifecyclestage", "EQ", "customer"), Filter("country", "EQ", "US")],
              [Filter("vip", "EQ", True)]]
    assert groups_match(groups, {"lifecyclestage": "customer", "country": "us"})
    assert not groups_match(groups, {"lifecyclestage": "customer", "country": "GB"})
    assert groups_match(groups, {"lifecyclestage": "lead", "vip": "true"})
    assert groups_match([], {})
    c = Settings.from_dict(contacts(filters={"to_quickbooks": [[{"property": "lifecyclestage", "operator": "eq",
                                                                 "value": "customer"}]]})).pairs["contacts"]
    assert c.filters_to_quickbooks == [[Filter("lifecyclestage", "EQ", "customer")]]  # operator read upper-cased
    assert c.passes({"lifecyclestage": "customer"}, TO_QUICKBOOKS)
    assert not c.passes({"lifecyclestage": "lead"}, TO_QUICKBOOKS)
    assert c.passes({}, TO_HUBSPOT)


def test_B4_invoice_filters_read_the_associated_invoices():
    flt = Filter("invoice.hs_invoice_status", "EQ", "paid")
    assert flt.on_invoice and flt.invoice_property == "hs_invoice_status"
    assert flt.matches({"__invoices__": [{"hs_invoice_status": "open"}, {"hs_invoice_status": "paid"}]})
    assert not flt.matches({"__invoices__": [{"hs_invoice_status": "open"}]})
    assert not flt.matches({})  # no invoices
    assert not Filter("invoice.hs_invoice_status", "NEQ", "draft").matches({"__invoices__": []})


def test_B4_one_and_the_same_invoice_must_satisfy_a_group():
    group = [Filter("email", "HAS_PROPERTY"), Filter("invoice.hs_invoice_status", "NEQ", "draft"),
             Filter("invoice.hs_invoice_source", "EQ", "hubspot")]
    split = {"email": "a@b.c", "__invoices__": [{"hs_invoice_status": "open", "hs_invoice_source": "quickbooks"},
                                                {"hs_invoice_status": "draft", "hs_invoice_source": "hubspot"}]}
    assert all(f.matches(split) for f in group)  # each filter alone holds for some invoice...
    assert not group_matches(group, split)  # ...but no one invoice satisfies them all
    both = {**split, "__invoices__": [*split["__invoices__"], {"hs_invoice_status": "paid",
                                                               "hs_invoice_source": "hubspot"}]}
    assert group_matches(group, both)
    assert not group_matches(group, {**both, "email": ""})  # the plain filter still applies


def test_B4_needs_invoices():
    assert needs_invoices([[Filter("email", "HAS_PROPERTY")], [Filter("invoice.hs_number", "HAS_PROPERTY")]])
    assert not needs_invoices([[Filter("email", "HAS_PROPERTY")]])
    assert not needs_invoices([])
    c = Settings.from_dict(contacts(recommended_filters=False)).pairs["contacts"]
    assert not c.needs_invoices(TO_QUICKBOOKS)


@pytest.mark.parametrize("flt, message", [
    ({"property": "amount", "operator": "BETWEEN", "value": 5},
     "value: BETWEEN needs a list of 2 values [low, high], not 5"),
    ({"property": "amount", "operator": "BETWEEN", "value": [1, 2, 3]},
     "value: BETWEEN needs a list of 2 values [low, high], not [1, 2, 3]"),
    ({"property": "status", "operator": "IN", "value": "open"}, "value: IN needs a non-empty list of values"),
    ({"property": "status", "operator": "NOT_IN", "value": []}, "value: NOT_IN needs a non-empty list of values"),
    ({"property": "status", "operator": "EQ"}, "value: EQ needs one value (text, number, true/false or a date)"),
    ({"property": "status", "operator": "GT", "value": ["a"]}, "value: GT needs one value"),
    ({"property": "status", "operator": "EQ", "value": "  "}, "value: EQ needs one value"),
    ({"property": "email", "operator": "HAS_PROPERTY", "value": "x"}, "value: HAS_PROPERTY takes no value"),
    ({"property": "status", "operator": "EQUALS", "value": "x"}, "operator: must be one of EQ, NEQ, LT,"),
    ({"property": "status", "operator": None, "value": "x"}, "operator: must be one of EQ,"),
    ({"property": "", "operator": "EQ", "value": "x"}, "property: must be a non-empty property name, not ''"),
    ({"property": 5, "operator": "EQ", "value": "x"}, "property: must be a non-empty property name, not 5"),
    ({"property": "invoice.", "operator": "HAS_PROPERTY"}, "property: 'invoice.' names no invoice property"),
    ({"property": "status", "operator": "EQ", "value": "x", "highValue": 3}, "highValue: unknown setting"),
])
def test_B4_filter_problems_name_the_filter(flt, message):
    problem = only_problem(contacts(filters={"to_quickbooks": [[{"property": "email", "operator": "HAS_PROPERTY"},
                                                                flt]]}))
    assert problem.startswith("pairs.contacts.filters.to_quickbooks[0][1]." + message)


def test_B4_filter_group_shapes():
    assert only_problem(contacts(filters={"to_hubspot": [{"property": "Active", "operator": "EQ", "value": True}]})
                        ).startswith("pairs.contacts.filters.to_hubspot[0]: a filter group must be a list of filters")
    assert only_problem(contacts(filters={"to_hubspot": [[]]})) == (
        "pairs.contacts.filters.to_hubspot[0]: an empty filter group lets every record through; remove it")
    assert only_problem(contacts(filters={"to_hubspot": "Active"})).startswith(
        "pairs.contacts.filters.to_hubspot: must be a list of filter groups")
    assert only_problem(contacts(filters={"to_hubspot": [["Active"]]})).startswith(
        "pairs.contacts.filters.to_hubspot[0][0]: a filter must be a mapping with property, operator and value")


def test_filter_values_from_yaml_dates_and_lists(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("pairs:\n  contacts:\n    filters:\n      to_quickbooks:\n"
                 "        - - {property: closedate, operator: BETWEEN, value: [2026-11-01, 2026-11-30]}\n")
    flt = load_settings(f).pairs["contacts"].filters_to_quickbooks[0][0]
    assert flt.value == ("2026-11-01", "2026-11-30")
    assert flt.to_dict() == {"property": "closedate", "operator": "BETWEEN", "value": ["2026-11-01", "2026-11-30"]}


def test_filter_built_directly_is_checked():
    with pytest.raises(ValueError, match="BETWEEN needs a list of 2 values"):
        Filter("amount", "BETWEEN", 3)
    with pytest.raises(ValueError, match="must be one of EQ"):
        Filter("amount", "SIMILAR", 3)
    with pytest.raises(ValueError, match="non-empty string"):
        Filter(" ", "HAS_PROPERTY")
    assert hash(Filter("s", "IN", ["a", "b"])) == hash(Filter("s", "IN", ("a", "b")))


# ----------------------------------------------------------------------------------------------------------
# Settings for the simulators
# ----------------------------------------------------------------------------------------------------------

QBO_CREDS = {"realmId": "9341123412341234", "clientId": "ABcid", "clientSecret": "qsecret", "accessToken": "qat",
             "refreshToken": "AB11rt", "verifierToken": "verif"}
HS_CREDS = {"portalId": "12345678", "accessToken": "pat-na1-x", "clientId": "hcid", "clientSecret": "hsecret",
            "refreshToken": "hrt", "oauthAccessToken": "oat", "clientSecretForWebhooks": "hsecret", "appId": 1}


def test_for_simulators_uses_in_process_urls_and_an_in_memory_state():
    s = for_simulators(QBO_CREDS, HS_CREDS)
    assert s.quickbooks.base_url == "http://quickbooks.sim"
    assert s.quickbooks.token_url == "http://quickbooks.sim/oauth2/v1/tokens/bearer"
    assert (s.quickbooks.realm_id, s.quickbooks.client_id, s.quickbooks.client_secret, s.quickbooks.access_token,
            s.quickbooks.refresh_token) == ("9341123412341234", "ABcid", "qsecret", "qat", "AB11rt")
    assert s.quickbooks_webhook_verifier == "verif"
    assert s.hubspot.base_url == "http://hubspot.sim"
    assert (s.hubspot.portal_id, s.hubspot.access_token, s.hubspot.client_id, s.hubspot.client_secret,
            s.hubspot.refresh_token, s.hubspot.client_secret_for_webhooks) == (
        "12345678", "pat-na1-x", "hcid", "hsecret", "hrt", "hsecret")
    assert s.state == "sqlite://" and s.hubspot.tier == "professional"


def test_for_simulators_overrides():
    s = for_simulators(QBO_CREDS, HS_CREDS, state="sqlite:////tmp/x.db", setup_date="2026-11-21",
                                hubspot={"tier": "free", "base_url": "http://127.0.0.1:9999"},
                                pairs={"products": {"enabled": False}})
    assert s.state == "sqlite:////tmp/x.db" and s.setup_date == SETUP
    assert s.hubspot.tier == "free" and s.hubspot.base_url == "http://127.0.0.1:9999"
    assert s.hubspot.access_token == "pat-na1-x"  # merged, not replaced
    assert s.pairs["products"].enabled is False
    with pytest.raises(SettingsError, match="pairs.contacts.mappings.custom: custom mappings are a paid-tier"):
        for_simulators(QBO_CREDS, {**HS_CREDS, "tier": "free"},
                                pairs={"contacts": {"mappings": {"custom": [JOBTITLE]}}})


def test_for_simulators_with_real_simulator_credentials():
    from simulators.sims import Simulators

    sims = Simulators()
    with sims.in_process():
        qbo = sims.new_qbo_company(seed="empty")
        hs = sims.new_hubspot_portal(seed="empty")
    s = for_simulators(qbo, hs)
    assert s.quickbooks.realm_id == qbo["realmId"] and s.quickbooks.refresh_token == qbo["refreshToken"]
    assert s.quickbooks_webhook_verifier == qbo["verifierToken"]
    assert s.hubspot.portal_id == hs["portalId"] and s.hubspot.access_token == hs["accessToken"]
    assert s.hubspot.client_secret_for_webhooks == hs["clientSecretForWebhooks"]
    assert Settings.from_dict(s.to_dict()) == s
