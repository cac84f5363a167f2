"""The journal's verification API (``sims.journal.assert_called``) and its headers, credentials redacted."""

from __future__ import annotations

import re

import pytest
import requests

from simulators.core.journal import REDACTED, Journal, redact_headers, redact_query


def qbo(sims, company: dict, path: str, body: dict | None = None) -> requests.Response:
    url = f"http://quickbooks.sim/v3/company/{company['realmId']}/{path}"
    headers = {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json",
               "Cookie": "qbn.session=s3cr3t-cookie", "X-Trace": "kept"}
    if body is None:
        return requests.get(url, headers=headers)
    return requests.post(url, json=body, headers=headers)


@pytest.mark.hsqbo(rate_limits=False)
def test_assert_called_counts_matching_calls_and_returns_them(sims, qbo_company):
    qbo(sims, qbo_company, "customer", {"DisplayName": "Ada"})
    qbo(sims, qbo_company, "customer", {"DisplayName": "Grace"})
    qbo(sims, qbo_company, f"companyinfo/{qbo_company['realmId']}")
    made = sims.journal.assert_called("POST", "/v3/company/*/customer", times=2)
    assert [e["status"] for e in made] == [200, 200]
    sims.journal.assert_called("post", "/v3/company/*/customer")  # at least once; method in any case
    sims.journal.assert_called("GET", "/v3/company/*/companyinfo/*", times=1, system="quickbooks",
                               tenant=qbo_company["realmId"], status=200)
    sims.journal.assert_not_called("POST", "/v3/company/*/invoice")
    sims.journal.assert_not_called("DELETE")


@pytest.mark.hsqbo(rate_limits=False)
def test_a_failed_assertion_says_what_was_expected_and_lists_the_calls_seen(sims, qbo_company):
    qbo(sims, qbo_company, "customer", {"DisplayName": "Ada"})
    mark = sims.journal.last_seq()
    qbo(sims, qbo_company, "customer", {"DisplayName": "Ada"})  # 6240: a duplicate name
    with pytest.raises(AssertionError) as wrong_count:
        sims.journal.assert_called("POST", "/v3/company/*/invoice", times=1)
    message = str(wrong_count.value)
    assert message.startswith("expected POST /v3/company/*/invoice 1 time(s), it was made 0 time(s).")
    assert re.search(r"POST /v3/company/\d+/customer -> 200 \[quickbooks\]", message)
    assert re.search(r"POST /v3/company/\d+/customer -> 400 \[quickbooks\]", message)
    with pytest.raises(AssertionError, match=r"expected POST /v3/company/\*/customer \(status=200\) 1 time\(s\), "
                                             r"it was made 0 time\(s\)"):
        sims.journal.assert_called("POST", "/v3/company/*/customer", times=1, status=200, since=mark)
    with pytest.raises(AssertionError, match=r"0 time\(s\), it was made 2 time\(s\)"):
        sims.journal.assert_not_called("POST", "/v3/company/*/customer")


def test_an_empty_journal_says_so():
    with pytest.raises(AssertionError, match="No call was made"):
        Journal().assert_called("GET", "/anything")
    with pytest.raises(ValueError):
        Journal().assert_called("GET", times=-1)


def test_the_message_lists_the_last_calls_only():
    journal = Journal()
    for n in range(30):
        journal.record({"method": "GET", "path": f"/x/{n}", "status": 200})
    message = str(pytest.raises(AssertionError, journal.assert_called, "POST").value)
    assert "Calls seen (30, the last 20):" in message and "/x/29" in message and "/x/9 " not in message



def test_the_journal_is_bounded_in_bodies_and_in_entries():
    from simulators.core.journal import BODY_LIMIT

    cut = BODY_LIMIT + len("…[truncated]")
    journal = Journal(capacity=50, budget=10 * cut)
    for n in range(40):  # each entry holds a body cut at BODY_LIMIT: the budget keeps the last ten
        journal.record({"method": "POST", "path": f"/big/{n}", "status": 200, "requestBody": "x" * (3 * BODY_LIMIT)})
    kept = journal.find()
    assert [e["path"] for e in kept] == [f"/big/{n}" for n in range(30, 40)]
    assert all(e["requestBody"].endswith("…[truncated]") for e in kept)
    entries, chars = journal.size()
    assert entries == 10 and chars == 10 * cut
    journal.assert_called("POST", "/big/*", times=10)
    for n in range(100):  # small entries: the capacity bounds them
        journal.record({"method": "GET", "path": f"/small/{n}", "status": 200, "responseBody": "{}"})
    assert len(journal.find()) == 50 and journal.find()[0]["path"] == "/small/50"
    assert journal.find()[-1]["seq"] == journal.last_seq() == 140
    journal.clear()
    assert journal.size() == (0, 0)
    big = "y" * (journal._budget + 1)  # one entry above the budget on its own is still kept (cut at BODY_LIMIT)
    journal.record({"method": "GET", "path": "/one", "status": 200, "responseBody": big})
    assert journal.size()[0] == 1

@pytest.mark.hsqbo(rate_limits=False)
def test_request_headers_are_kept_with_credentials_redacted(sims, qbo_company, hubspot_portal):
    qbo(sims, qbo_company, "customer", {"DisplayName": "Ada"})
    entry = sims.journal.assert_called("POST", "/v3/company/*/customer", times=1)[0]
    headers = entry["requestHeaders"]
    assert headers["Authorization"] == f"Bearer {REDACTED}" and headers["Cookie"] == REDACTED
    assert headers["X-Trace"] == "kept" and headers["Content-Type"] == "application/json"
    requests.get("http://hubspot.sim/crm/v3/objects/contacts", params={"hapikey": "the-key", "limit": 5},
                 headers={"Authorization": f"Bearer {hubspot_portal['accessToken']}"})
    entry = sims.journal.assert_called("GET", "/crm/v3/objects/contacts", times=1)[0]
    assert entry["query"] == f"hapikey={REDACTED}&limit=5"
    text = repr([(e.get("requestHeaders"), e.get("query")) for e in sims.journal.find()])  # bodies are as sent
    for secret in (qbo_company["accessToken"], hubspot_portal["accessToken"], "s3cr3t-cookie", "the-key"):
        assert secret not in text


def test_redaction_rules():
    assert redact_headers({"Authorization": "Basic dXNlcjpwdw==", "X-HubSpot-Signature-v3": "sig",
                           "intuit-signature": "sig", "X-Api-Key": "k", "X-Refresh-Token": "t",
                           "Accept": "application/json"}) == {
        "Authorization": f"Basic {REDACTED}", "X-HubSpot-Signature-v3": REDACTED, "intuit-signature": REDACTED,
        "X-Api-Key": REDACTED, "X-Refresh-Token": REDACTED, "Accept": "application/json"}
    assert redact_headers([("Cookie", "a=b")]) == {"Cookie": REDACTED}
    assert redact_query("code=abc&countrycode=US&access_token=t") == f"code={REDACTED}&countrycode=US&" \
                                                                      f"access_token={REDACTED}"
