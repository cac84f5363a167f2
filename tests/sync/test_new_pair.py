"""Adding an object pair is one module and one registry line: a pair declared here (HubSpot companies →
QBO vendors, an option of its own) is read by the settings, the webhook receiver and the engine with no
other change anywhere."""

from __future__ import annotations

from typing import ClassVar

import pytest
from sync_world import World

from sync import pairs as registry
from sync.mapping import TO_QUICKBOOKS, FieldMap
from sync.pairs.base import Option, Pair
from sync.settings import SettingsError
from sync.state import SYNCED
from sync.triggers import hubspot_events, quickbooks_events

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


class Vendors(Pair):
    """The whole declaration of a new pair: where its records live, how they match, its mappings."""

    name = "vendors"
    hubspot_type = "companies"
    hubspot_webhook = "company"
    qbo_entity = "Vendor"
    key_field = "name"
    duplicate_reason = "duplicate_name"
    mappings: ClassVar[list[FieldMap]] = [FieldMap("name", "DisplayName"),
                                          FieldMap("phone", "PrimaryPhone.FreeFormNumber")]
    qbo_fields: ClassVar[dict[str, str]] = {"CompanyName": "text"}
    options: ClassVar[dict[str, Option]] = {"vendor_note": Option("from HubSpot")}

    def qbo_body(self, record, values, maps, creating, context, settings) -> dict:  # noqa: ANN001
        body = super().qbo_body(record, values, maps, creating, context, settings)
        if creating:
            body["Notes"] = settings.vendor_note  # its own option, read like any setting
        return body


@pytest.fixture
def with_vendors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.PAIRS, "vendors", Vendors())  # the one registry line


def test_a_pair_declared_in_one_module_syncs_end_to_end(world: World, with_vendors: None) -> None:
    world.hs.create("companies", {"name": "Acme Supplies", "phone": "555-0100"})
    engine = world.engine(vendors={"direction": TO_QUICKBOOKS, "vendor_note": "supplier"})
    assert engine.settings.pairs["vendors"].vendor_note == "supplier"
    report = engine.run_pass()
    assert report.pairs["vendors"].created["quickbooks"] == 1
    [vendor] = list(world.qbo.query("SELECT * FROM Vendor WHERE DisplayName = 'Acme Supplies'"))
    assert vendor["PrimaryPhone"]["FreeFormNumber"] == "555-0100" and vendor["Notes"] == "supplier"
    assert engine.state.counts("vendors")[SYNCED] == 1
    assert hubspot_events([{"subscriptionType": "company.propertyChange", "objectId": 7}]) == [("vendors", "7", False)]
    note = {"eventNotifications": [{"dataChangeEvent": {"entities": [{"name": "Vendor", "id": "9",
                                                                      "operation": "Delete"}]}}]}
    assert quickbooks_events(note) == [("vendors", "9", True)]


def test_the_settings_check_a_new_pairs_options_and_mappings(world: World, with_vendors: None) -> None:
    with pytest.raises(SettingsError) as refused:
        world.settings(vendors={"require_sku": True, "mappings": {"off": ["email"]}})
    problems = "\n".join(refused.value.problems)
    assert "pairs.vendors.require_sku: not a setting of the vendors pair (only of: products)" in problems
    assert "pairs.vendors.mappings.off[0]: 'email' is not a default mapping of vendors; known: name, phone" in problems
