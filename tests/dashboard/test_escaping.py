"""Records whose names hold markup and quotes, in both systems, the sync, the journal, the fault plan and a
scenario: every page shows them as text and runs none of them."""

from __future__ import annotations

import textwrap
from urllib.parse import quote

import pytest
from dashboard_helpers import make_site

PAYLOAD = """<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"'"""
IMG = '<img src=x onerror="window.__xss=5">'
SCENARIO = """\
    version: 1
    name: "<script>window.__xss=3</script> a scenario named with markup"
    rules: [D3]
    generation: current
    given:
      settings:
        pairs:
          contacts: {direction: two-way, recommended_filters: false}
          products: {enabled: false}
          invoices: {enabled: false}
      records:
        hubspot:
          - {ref: ada, type: contacts, properties: {email: ada@engines.example, firstname: Ada, lastname: Lovelace}}
    when:
      - sync
    then:
      quickbooks:
        Customer:
          contains: [{DisplayName: "<img src=x onerror=\\"window.__xss=4\\">"}]
"""


def _nasty(site, folder) -> None:
    """Before the first pass: a QBO customer holding the name the HubSpot contact will ask for (so it fails D2 with
    markup in its label), a fault rule and a scenario file with markup in them."""
    clash = site.qbo("POST", "customer", {"DisplayName": f"{PAYLOAD} O'Hara",
                                          "PrimaryEmailAddr": {"Address": "qbo@evil.example"}})
    assert clash.status_code == 200, clash.text
    contact = site.hubspot("POST", "/crm/v3/objects/contacts", {"properties": {
        "firstname": PAYLOAD, "lastname": "O'Hara", "email": "hubspot@evil.example"}})
    assert contact.status_code == 201, contact.text
    site.sims.runtime.faults.add([{"path": f"*/{PAYLOAD}", "action": "status", "status": 503}])
    (folder / "markup.yaml").write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    site.nasty = {"customer": clash.json()["Customer"]["Id"], "contact": contact.json()["id"]}


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory):
    made, stop = make_site(tmp_path_factory.mktemp("escaping"), _nasty, seed="empty")
    yield made
    stop()


def test_markup_in_user_data_is_shown_as_text_on_every_page(nasty_site, page):
    site = nasty_site
    realm, portal = site.company["realmId"], site.portal["portalId"]
    failed = site.engine.state.records("contacts", "failed", text="o'hara")
    assert len(failed) == 1 and PAYLOAD in failed[0].label  # the contact failed D2 against the customer
    seq = site.sims.runtime.journal.find(path="*/customer", method="POST")[0]["seq"]
    q = quote(PAYLOAD)
    page.goto(site.url + "/scenarios")
    page.locator("#files tr:has-text('markup.yaml') button").click()
    report = page.url
    shown_on = {  # page → whether the markup must show as text there
        "/": False,
        "/sync": False,
        f"/sync/records?q={quote('hara')}": True,
        f"/sync/records?q={q}": True,
        f"/sync/records/{failed[0].id}": True,
        f"/systems/quickbooks/{realm}/Customer": True,
        f"/systems/quickbooks/{realm}/Customer?q={q}": True,
        f"/systems/quickbooks/{realm}/Customer/{site.nasty['customer']}": True,
        f"/systems/hubspot/{portal}/contacts?q=hara": True,
        f"/systems/hubspot/{portal}/contacts/{site.nasty['contact']}": True,
        f"/systems/quickbooks/{quote(IMG, safe='')}/Customer": True,  # the 404 page names what it did not find
        f"/journal?path={q}": False,  # in the filter's field
        f"/journal/{seq}": True,
        "/harness": True,
        "/scenarios": True,
        report: True,
    }
    for path, shown in shown_on.items():
        page.goto(path if path.startswith("http") else site.url + path)
        assert page.evaluate("window.__xss") is None, f"markup ran on {path}"
        html = page.content()
        assert "<script>window.__xss" not in html and "<img src=\"x\" onerror" not in html, path
        if shown:
            text = page.evaluate("document.body.innerText")
            assert "<script>window.__xss" in text or "<img src=x onerror" in text, f"{path} does not show the markup"
    assert "<img src=x onerror" in page.locator("#failures").inner_text()  # the report's expected value, as text
