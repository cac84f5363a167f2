"""The pipeline's small memos (simulators/core/pipeline.py ``_http_date``, journal.py ``_secret_name``): the Date
header follows the simulators' clock wherever it goes, and each header name is redacted as the rules say, the
first time and after."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import requests

from simulators.core.clock import parse_iso
from simulators.core.journal import REDACTED, redact_headers
from simulators.sims import Simulators


def test_the_date_header_follows_the_clock() -> None:
    sims = Simulators()
    clock = sims.runtime.clock
    clock.set_mode("frozen")
    with sims.in_process():
        for when in ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T09:00:01Z", "2031-12-31T23:59:59Z",
                     "2026-03-02T09:00:00Z"):
            clock.set(parse_iso(when))
            answer = requests.get(f"{sims.qbo_url}/v3/company/nope/query", params={"query": "SELECT * FROM Item"})
            assert parsedate_to_datetime(answer.headers["Date"]) == parse_iso(when)


def test_secret_headers_are_redacted_each_time() -> None:
    headers = {"Authorization": "Bearer abc", "X-Api-Key": "k", "X-My-Token": "t", "Accept": "application/json",
               "Cookie": "a=b", "X-Session-Id": "s", "User-Agent": "ua", "authorization": "Basic xyz"}
    expected = {"Authorization": f"Bearer {REDACTED}", "X-Api-Key": REDACTED, "X-My-Token": REDACTED,
                "Accept": "application/json", "Cookie": REDACTED, "X-Session-Id": REDACTED, "User-Agent": "ua",
                "authorization": f"Basic {REDACTED}"}
    for _ in range(3):
        assert redact_headers(headers) == expected
        assert redact_headers(list(headers.items())) == expected


def test_a_token_counts_only_for_its_own_system() -> None:
    sims = Simulators()
    with sims.in_process():
        company, portal = sims.new_qbo_company(seed="empty"), sims.new_hubspot_portal(seed="empty")
    store, credentials = sims.runtime.store, sims.runtime.credentials
    for tenant, system in ((company["realmId"], "quickbooks"), (str(portal["portalId"]), "hubspot")):
        assert store.tenant_system(tenant) == store.tenant(tenant)["system"] == system
    assert store.tenant_system("nope") is None
    assert credentials.check(company["accessToken"], system="quickbooks").status == "ok"
    assert credentials.check(company["accessToken"], system="hubspot").status == "unknown"
    assert credentials.check(portal["accessToken"], system="hubspot").status == "ok"
    assert credentials.check(portal["accessToken"], system="quickbooks").status == "unknown"
