"""HubSpot's automated sales tax beta (rule F4, current generation, article 001) through hubspot-api-client 12.0.0:
a line item's ``hs_tax_amount`` is refused until a Super Admin opts the account in, and then counts in the invoice's
amount billed and balance due. The opt-in is the admin route ``POST /_sim/hubspot/<portalId>/automated-sales-tax``.
"""

from __future__ import annotations

import json

import pytest
import requests
from hubspot import HubSpot
from hubspot_sdk import client, refused

from simulators.sims import Simulators

TIMEOUT = 30


def _opt_in(sims: Simulators, portal: str, body: object) -> requests.Response:
    return requests.post(f"{sims.hubspot_url}/_sim/hubspot/{portal}/automated-sales-tax", json=body, timeout=TIMEOUT)


def _line(hs: HubSpot, **props: str) -> str:
    return hs.crm.line_items.basic_api.create({"properties": {"name": "Consulting", **props}}).id


def _invoice_with(hs: HubSpot, *line_ids: str) -> str:
    invoice = hs.crm.commerce.invoices.basic_api.create({"properties": {"hs_currency": "USD"}}).id
    for line_id in line_ids:
        hs.crm.associations.v4.basic_api.create_default("invoices", invoice, "line_items", line_id)
    return invoice


def _totals(hs: HubSpot, invoice: str) -> tuple[str, str]:
    props = hs.crm.commerce.invoices.basic_api.get_by_id(
        invoice, properties=["hs_amount_billed", "hs_balance_due"]).properties
    return props["hs_amount_billed"], props["hs_balance_due"]


def test_the_tax_amount_is_a_line_item_property(hs: HubSpot) -> None:
    prop = hs.crm.properties.core_api.get_by_name("line_items", "hs_tax_amount")
    assert (prop.label, prop.type, prop.group_name) == ("Tax amount", "number", "lineiteminformation")
    assert prop.modification_metadata.read_only_value is False


def test_a_tax_amount_is_refused_while_the_beta_is_off(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    body = refused(400, lambda: _line(hs, quantity="1", price="100", hs_tax_amount="8.25"))
    assert body["category"] == "VALIDATION_ERROR"
    assert "automated sales tax is not turned on" in body["message"]
    assert body["errors"] == [{"message": body["errors"][0]["message"], "code": "READ_ONLY_VALUE",
                               "context": {"propertyName": ["hs_tax_amount"]}}]
    assert "automated sales tax is not turned on for this account" in body["errors"][0]["message"]
    assert sims.runtime.store.count(hubspot_portal["portalId"], "line_items") == 0  # nothing was written
    line = _line(hs, quantity="1", price="100")
    refused(400, lambda: hs.crm.line_items.basic_api.update(line, {"properties": {"hs_tax_amount": "0"}}))
    # clearing it is no tax at all, so it stays allowed
    cleared = hs.crm.line_items.basic_api.update(line, {"properties": {"hs_tax_amount": ""}})
    assert cleared.properties.get("hs_tax_amount") is None


def test_after_opting_in_an_invoice_bills_its_lines_and_their_tax(sims: Simulators, hs: HubSpot,
                                                                   hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    r = _opt_in(sims, portal, {"enabled": True})
    assert (r.status_code, r.json()) == (200, {"portalId": portal, "automatedSalesTax": True})
    taxed = _line(hs, quantity="2", price="50.10", hs_tax_amount="8.27")
    untaxed = _line(hs, quantity="1", price="0.20")
    invoice = _invoice_with(hs, taxed, untaxed)
    assert hs.crm.line_items.basic_api.get_by_id(taxed, properties=["amount", "hs_tax_amount"]).properties[
        "hs_tax_amount"] == "8.27"
    assert _totals(hs, invoice) == ("108.67", "108.67")  # 100.20 + 0.20 of lines + 8.27 of tax, to the cent
    hs.crm.line_items.basic_api.update(untaxed, {"properties": {"hs_tax_amount": "0.1"}})
    assert _totals(hs, invoice) == ("108.77", "108.77")
    hs.crm.line_items.basic_api.update(taxed, {"properties": {"hs_tax_amount": ""}})  # the tax removed
    assert _totals(hs, invoice) == ("100.5", "100.5")


def test_a_portal_can_be_created_with_the_beta_on(sims: Simulators) -> None:
    portal = sims.new_hubspot_portal(automatedSalesTax=True)
    hs = client(portal["accessToken"])
    invoice = _invoice_with(hs, _line(hs, quantity="1", price="100", hs_tax_amount="7.25"))
    assert _totals(hs, invoice) == ("107.25", "107.25")
    state = requests.get(f"{sims.hubspot_url}/_sim/state", params={"realmId": portal["portalId"]},
                         timeout=TIMEOUT).json()
    assert state["settings"]["automatedSalesTax"] is True


def test_opting_out_refuses_new_tax_but_keeps_what_was_billed(sims: Simulators, hs: HubSpot,
                                                              hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    assert _opt_in(sims, portal, {"enabled": True}).status_code == 200
    line = _line(hs, quantity="1", price="100", hs_tax_amount="5")
    invoice = _invoice_with(hs, line)
    r = _opt_in(sims, portal, {"enabled": False})
    assert (r.status_code, r.json()) == (200, {"portalId": portal, "automatedSalesTax": False})
    refused(400, lambda: _line(hs, quantity="1", price="10", hs_tax_amount="1"))
    assert _totals(hs, invoice) == ("105", "105")


@pytest.mark.parametrize("body", [None, {}, {"enabled": "true"}, {"enabled": 1}, {"on": True}, [True]])
def test_the_admin_route_refuses_a_bad_body(sims: Simulators, hubspot_portal: dict, body: object) -> None:
    url = f"{sims.hubspot_url}/_sim/hubspot/{hubspot_portal['portalId']}/automated-sales-tax"
    r = requests.post(url, data=None if body is None else json.dumps(body),
                      headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"error": 'expected {"enabled": true} or {"enabled": false}'})


def test_the_admin_route_knows_only_hubspot_portals(sims: Simulators) -> None:
    r = _opt_in(sims, "12345", {"enabled": True})
    assert (r.status_code, r.json()) == (404, {"error": "no tenant 12345"})
    realm = sims.new_qbo_company(country="US")["realmId"]  # a QBO company is no HubSpot portal
    assert _opt_in(sims, realm, {"enabled": True}).status_code == 404


def test_the_tenant_option_must_be_a_boolean(sims: Simulators) -> None:
    r = requests.post(f"{sims.hubspot_url}/_sim/tenants", json={"seed": "empty", "automatedSalesTax": "yes"},
                      timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"error": "bad tenant options: automatedSalesTax must be true or false"})
