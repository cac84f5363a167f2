"""What the simulators do not simulate is refused plainly, never a silent 404 or a made-up answer."""

from __future__ import annotations

import pytest
import requests
from hubspot import HubSpot
from hubspot_sdk import refused
from quickbooks import QuickBooks
from quickbooks.exceptions import UnsupportedException
from quickbooks.objects.budget import Budget
from quickbooks.objects.invoice import Invoice
from sdk_helpers import item_line, new_customer

from simulators.sims import QBO_URL


def test_qbo_entities_not_simulated(qb: QuickBooks, qbo_company: dict) -> None:
    with pytest.raises(UnsupportedException) as exc:
        Budget.all(qb=qb)  # a query
    assert "not simulated" in exc.value.detail
    base, auth = f"{QBO_URL}/v3/company/{qbo_company['realmId']}", {
        "Authorization": f"Bearer {qb.auth_client.access_token}"}
    for answer in (requests.post(f"{base}/budget", json={"Name": "2026"}, headers=auth, timeout=5),
                   requests.get(f"{base}/cdc", params={"entities": "JournalCode", "changedSince": "2026-01-01"},
                                headers=auth, timeout=5)):
        error = answer.json()["Fault"]["Error"][0]
        assert answer.status_code == 400 and error["code"] == "500" and "not simulated" in error["Detail"]


def test_qbo_pdfs_not_simulated(qb: QuickBooks) -> None:
    inv = Invoice()
    inv.CustomerRef, inv.Line = new_customer(qb, "Pdf Co").to_ref(), [item_line(10)]
    inv = inv.save(qb=qb)
    with pytest.raises(UnsupportedException) as exc:
        inv.download_pdf(qb=qb)
    assert exc.value.detail == "Operation invoice PDF is not simulated by hsqbo yet."


def test_hubspot_objects_not_simulated(hs: HubSpot) -> None:
    body = refused(400, lambda: hs.crm.objects.basic_api.get_page("tickets"))
    assert body["message"] == "The object type tickets is not simulated by hsqbo yet"
    body = refused(400, lambda: hs.crm.objects.basic_api.get_page("widgets"))
    assert body["message"] == "Unable to infer object type from: widgets"  # HubSpot's own answer
