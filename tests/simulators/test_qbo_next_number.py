"""The number QBO's form offers with custom transaction numbers on (rule F6): ``GET /_sim/quickbooks/<realm>/next-number
?entity=Invoice`` answers the number last used in the form's sequence, incremented with its prefix and zero-padding
kept. That is how invoices made in QBO come to take HubSpot's prefix and clash with HubSpot's numbers (article 001).

The clock is frozen: "last used" follows the order in which forms were created, not their timestamps.
"""

from __future__ import annotations

import pytest
import requests

from simulators.quickbooks.transactions import next_doc_number
from simulators.sims import QBO_URL, Simulators

pytestmark = pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-02-02T15:00:00Z")
TIMEOUT = 10


class Books:
    """One US company through plain requests: its v3 API and the form's suggested number."""

    def __init__(self, sims: Simulators, **options: object) -> None:
        creds = sims.new_qbo_company(country="US", seed="empty", **options)
        self.realm = creds["realmId"]
        self.base = f"{QBO_URL}/v3/company/{self.realm}"
        self.auth = {"Authorization": f"Bearer {creds['accessToken']}", "Accept": "application/json"}
        self.customer = self.post("customer", {"DisplayName": "Acme Ltd"})["Customer"]["Id"]

    def post(self, name: str, body: dict, **params: str) -> dict:
        return requests.post(f"{self.base}/{name}", json=body, headers=self.auth, params=params,
                             timeout=TIMEOUT).json()

    def form(self, kind: str, number: str | None = None) -> dict:
        body: dict = {"CustomerRef": {"value": self.customer}, "Line": [{
            "Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}
        if number is not None:
            body["DocNumber"] = number
        return self.post(kind.lower(), body)

    def suggested(self, entity: str = "Invoice") -> str | None:
        r = requests.get(f"{QBO_URL}/_sim/quickbooks/{self.realm}/next-number", params={"entity": entity},
                         timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"realmId", "entity", "DocNumber"} and body["realmId"] == self.realm
        return body["DocNumber"]


@pytest.fixture
def books(sims: Simulators) -> Books:
    return Books(sims, customTxnNumbers=True)


@pytest.mark.parametrize("last, offered", [
    ("INV-0099", "INV-0100"), ("A7", "A8"), ("1007", "1008"), ("INV-1007", "INV-1008"), ("9", "10"),
    ("INV-999", "INV-1000"), ("0", "1"), ("2026-INV-0001", "2026-INV-0002"), ("INV-A", "INV-A1"),
    ("X" * 20 + "9", None), ("X" * 21, None), ("X" * 19 + "9", "X" * 19 + "10"),
])
def test_the_last_number_incremented(last: str, offered: str | None) -> None:
    assert next_doc_number(last) == offered


def test_none_used_yet_offers_1001(books: Books) -> None:
    assert books.suggested("Invoice") == "1001"
    assert books.suggested("Estimate") == "1001"


def test_hubspot_prefix_is_offered_to_the_next_qbo_invoice(books: Books) -> None:
    books.form("Invoice", "INV-1007")  # written by the integration from HubSpot
    assert books.suggested("Invoice") == "INV-1008"
    # sales receipts and credit memos share the invoices' sequence; estimates have their own
    assert books.suggested("SalesReceipt") == books.suggested("CreditMemo") == "INV-1008"
    assert books.suggested("Estimate") == "1001"
    assert books.suggested("invoice") == "INV-1008"  # the entity name as in a URL works too


def test_the_last_used_not_the_highest(books: Books) -> None:
    books.form("Invoice", "INV-1007")
    books.form("Invoice", "A7")
    assert books.suggested() == "A8"
    books.form("SalesReceipt", "INV-0099")
    assert books.suggested() == "INV-0100"
    books.form("Estimate", "E-41")
    assert books.suggested() == "INV-0100" and books.suggested("Estimate") == "E-42"


def test_forms_without_a_number_and_edits_do_not_move_it(books: Books) -> None:
    first = books.form("Invoice", "INV-1007")["Invoice"]
    books.form("Invoice", "INV-2000")
    unnumbered = books.form("Invoice")["Invoice"]  # custom numbers on, none given: QBO leaves it empty
    assert "DocNumber" not in unnumbered
    assert books.suggested() == "INV-2001"
    books.post("invoice", {"Id": first["Id"], "SyncToken": first["SyncToken"], "sparse": True,
                           "PrivateNote": "edited later"})
    assert books.suggested() == "INV-2001"  # creation order, not the last write


def test_a_deleted_form_no_longer_counts(books: Books) -> None:
    books.form("Invoice", "INV-1007")
    last = books.form("Invoice", "INV-1008")["Invoice"]
    books.post("invoice", {"Id": last["Id"], "SyncToken": last["SyncToken"]}, operation="delete")
    assert books.suggested() == "INV-1008"


def test_the_offered_number_is_not_checked_and_can_clash(books: Books) -> None:
    """Article 001's warning: with custom numbers on, QBO invoices take HubSpot's prefix and numbers may clash."""
    books.form("Invoice", "INV-1007")  # from HubSpot
    offered = books.suggested()
    assert offered == "INV-1008"
    assert books.form("Invoice", offered)["Invoice"]["DocNumber"] == "INV-1008"  # a QBO user takes it
    clash = books.form("Invoice", "INV-1008")  # HubSpot's next invoice
    assert clash["Fault"]["Error"][0]["code"] == "6140"


def test_with_custom_numbers_off_it_follows_qbo_numbering(sims: Simulators) -> None:
    books = Books(sims)
    books.form("Invoice")
    books.form("CreditMemo")
    assert books.suggested() == "1003"


@pytest.mark.parametrize("entity", ["Customer", "Payment", "Item", "Widget", "Bill", ""])
def test_an_unknown_or_unnumbered_entity_is_refused(books: Books, entity: str) -> None:
    r = requests.get(f"{QBO_URL}/_sim/quickbooks/{books.realm}/next-number", params={"entity": entity},
                     timeout=TIMEOUT)
    assert r.status_code == 400
    assert r.json()["error"].startswith(
        "entity must be a numbered form (Invoice, SalesReceipt, CreditMemo, Estimate, RefundReceipt)")


def test_the_entity_is_required(books: Books) -> None:
    r = requests.get(f"{QBO_URL}/_sim/quickbooks/{books.realm}/next-number", timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"].endswith("not missing")


def test_an_unknown_realm_is_404(sims: Simulators) -> None:
    r = requests.get(f"{QBO_URL}/_sim/quickbooks/999/next-number", params={"entity": "Invoice"}, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (404, {"error": "no tenant 999"})
    portal = sims.new_hubspot_portal()["portalId"]  # a HubSpot portal is no QBO company
    r = requests.get(f"{QBO_URL}/_sim/quickbooks/{portal}/next-number", params={"entity": "Invoice"},
                     timeout=TIMEOUT)
    assert r.status_code == 404
