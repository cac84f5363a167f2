"""Values HubSpot computes: line-item amounts and product defaults, invoice and quote totals (rules E1, F8)."""

from __future__ import annotations

import pytest
import requests

API = "https://api.hubapi.com/crm"


@pytest.fixture
def hs(sims, hubspot_portal):
    auth = {"Authorization": f"Bearer {hubspot_portal['accessToken']}"}

    def call(method: str, path: str, body: object = None) -> requests.Response:
        return requests.request(method, f"{API}{path}", json=body, headers=auth)

    return call


def test_line_item_amount_and_product_defaults(hs):
    product = hs("POST", "/v3/objects/products", {"properties": {"name": "Pump", "price": "120.50",
                                                                  "hs_sku": "PUMP-1"}}).json()
    item = hs("POST", "/v3/objects/line_items", {"properties": {"hs_product_id": product["id"], "quantity": "3",
                                                                 "hs_discount_percentage": "10"}}).json()
    props = hs("GET", f"/v3/objects/line_items/{item['id']}?properties=name,price,hs_sku,amount").json()["properties"]
    assert props == {"name": "Pump", "price": "120.5", "hs_sku": "PUMP-1", "amount": "325.35"}
    bad = hs("POST", "/v3/objects/line_items", {"properties": {"hs_product_id": "999999", "quantity": "1"}})
    assert bad.status_code == 400 and bad.json()["category"] == "VALIDATION_ERROR"


def test_invoice_totals_follow_its_line_items(hs):
    invoice = hs("POST", "/v3/objects/invoices", {"properties": {"hs_currency": "USD"}}).json()
    ids = [hs("POST", "/v3/objects/line_items", {"properties": {"name": n, "quantity": q, "price": p}}).json()["id"]
           for n, q, p in (("A", "2", "50"), ("B", "1", "25.25"))]
    for item_id in ids:
        assert hs("PUT", f"/v4/objects/invoices/{invoice['id']}/associations/default/line_items/{item_id}"
                  ).status_code == 200

    def totals() -> tuple[str, str]:
        p = hs("GET", f"/v3/objects/invoices/{invoice['id']}?properties=hs_amount_billed,hs_balance_due"
               ).json()["properties"]
        return p["hs_amount_billed"], p["hs_balance_due"]

    assert totals() == ("125.25", "125.25")
    hs("PATCH", f"/v3/objects/line_items/{ids[0]}", {"properties": {"quantity": "3"}})
    assert totals() == ("175.25", "175.25")
    hs("DELETE", f"/v4/objects/invoices/{invoice['id']}/associations/line_items/{ids[1]}")
    assert totals() == ("150", "150")
