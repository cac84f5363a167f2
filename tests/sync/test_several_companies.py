"""Rule A5 (legacy): several QuickBooks companies on one HubSpot account, driven through the command line as a
user would — one settings file listing both companies, `hsqbo sync`, the card's action, `hsqbo status`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sync_world import World, line, new_customer, new_invoice, new_item

from harness.cli import main
from harness.engine_settings import for_simulators
from harness.users import user_clients

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-03-02T09:00:00Z")


@pytest.fixture
def two(world: World, tmp_path: Path) -> tuple[World, World, Path]:
    """The world's company (Main Street) and East Coast, each with a customer, an item and an invoice made in the
    same order, so their ids coincide; a settings file connecting both (legacy, a SQLite state file)."""
    from dataclasses import replace

    east_company = world.sims.new_qbo_company(country="US", seed="empty", companyName="East Coast Supplies")
    east = replace(world, company=east_company, qbo=user_clients(world.sims, east_company, world.portal,
                                                                 world.clock)[0])
    for w, who, sku, price in ((world, "Ada Lovelace", "W-1", "12.50"), (east, "Bob Builder", "G-1", "40")):
        customer = new_customer(w, who, f"{who.split()[0].lower()}@example.com")
        item = new_item(w, f"Item {sku}", sku, price)
        new_invoice(w, customer, [line(item, 2, price)])
    settings = for_simulators(world.company, world.portal, other_companies=[east_company], mode="legacy",
                              setup_date="2026-03-02",
                              state=f"sqlite:///{tmp_path}/state.db")
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings.to_dict()), encoding="utf-8")
    return world, east, path


def invoices(w: World) -> list[dict]:
    return list(w.qbo.query("SELECT * FROM Invoice"))


def deal_for(w: World, email: str) -> str:
    contact = w.hs.create("contacts", {"email": email, "firstname": "Carol", "lastname": "Shop"})["id"]
    return w.hs.create("deals", {"dealname": "Order", "dealstage": "closedwon", "pipeline": "default"},
                       [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                           "associationTypeId": 3}]}])["id"]


def test_A5_both_companies_sync_into_one_account_without_taking_each_others_records(
        two: tuple[World, World, Path], capsys: pytest.CaptureFixture) -> None:
    main_street, east, path = two
    assert invoices(main_street)[0]["Id"] == invoices(east)[0]["Id"]
    assert main(["sync", "--settings", str(path), "--clock", "simulators"]) == 0
    out = capsys.readouterr().out
    assert f"QuickBooks company {east.company['realmId']}" in out
    in_hubspot = list(main_street.hs.list("invoices", ["hs_amount_billed", "quickbooks_invoice_id"]))
    assert sorted(i["properties"]["hs_amount_billed"] for i in in_hubspot) == ["25", "80"]
    first_id = invoices(main_street)[0]["Id"]
    assert sorted(i["properties"]["quickbooks_invoice_id"] for i in in_hubspot) == \
        sorted([first_id, f"{east.company['realmId']}/{first_id}"])  # the further company's ids namespaced
    emails = {c["properties"]["email"] for c in main_street.hs.list("contacts", ["email"])}
    assert emails == {"ada@example.com", "bob@example.com"}
    assert main(["sync", "--settings", str(path), "--clock", "simulators"]) == 0  # a second pass: nothing doubles
    assert len(list(main_street.hs.list("invoices", ["hs_amount_billed"]))) == 2
    capsys.readouterr()
    assert main(["status", "--settings", str(path), "--company", east.company["realmId"], "--json",
                 "--pair", "invoices", "--status", "synced"]) == 0
    rows = json.loads(capsys.readouterr().out)["records"]["synced"]["rows"]
    east_in_hubspot = next(i["id"] for i in in_hubspot if "/" in i["properties"]["quickbooks_invoice_id"])
    assert [(r["qbo_id"], r["hubspot_id"]) for r in rows] == [(first_id, east_in_hubspot)]  # East's own records
    assert main(["status", "--settings", str(path), "--company", "77"]) == 2
    assert "no connected QuickBooks company has this realm id" in capsys.readouterr().err


def test_A5_the_card_asks_which_company_then_makes_the_invoice_there(two: tuple[World, World, Path],
                                                                      capsys: pytest.CaptureFixture) -> None:
    main_street, east, path = two
    deal = deal_for(main_street, "carol@example.com")
    args = ["action", "invoice-from-deal", "--settings", str(path), "--deal", deal, "--line", "G-1:1"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "company_required, rule A5" in err and "East Coast Supplies" in err and east.company["realmId"] in err
    assert main([*args, "--company", "Nowhere Ltd"]) == 1
    assert "unknown_company, rule A5" in capsys.readouterr().err
    assert main([*args, "--company", "east coast supplies"]) == 0  # by name, any letter case
    assert len(invoices(east)) == 2 and len(invoices(main_street)) == 1
    assert main(["action", "invoice-from-deal", "--settings", str(path), "--deal", deal, "--line", "W-1:1",
                 "--company", main_street.company["realmId"]]) == 0  # by realm id
    assert len(invoices(main_street)) == 2


def test_A5_watch_syncs_one_company_and_says_so(two: tuple[World, World, Path], capsys: pytest.CaptureFixture) -> None:
    _, _, path = two
    assert main(["sync", "--settings", str(path), "--watch"]) == 2
    assert "--watch syncs one QuickBooks company" in capsys.readouterr().err
