"""``GET /account-info/v3/details``: the portal's id, kind, time zone and currencies. hubspot-api-client 12.0.0 has no
accessor for it, so apps call it through ``HubSpot.api_request`` (the SDK's generic call) or plain HTTP."""

from __future__ import annotations

import pytest
import requests
from hubspot import HubSpot
from hubspot_sdk import Raw, client, error_body

from simulators.sims import Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")
PATH = "/account-info/v3/details"
FIELDS = {"portalId", "accountType", "timeZone", "companyCurrency", "additionalCurrencies", "utcOffset",
          "utcOffsetMilliseconds", "uiDomain", "dataHostingLocation"}


def _details(hs: HubSpot) -> dict:
    r = hs.api_request({"method": "GET", "path": PATH})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    return r.json()


def test_details_through_the_sdk(hs: HubSpot, hubspot_portal: dict) -> None:
    assert _details(hs) == {
        "portalId": int(hubspot_portal["portalId"]), "accountType": "STANDARD", "timeZone": "America/New_York",
        "companyCurrency": "USD", "additionalCurrencies": [], "utcOffset": "-05:00",
        "utcOffsetMilliseconds": -18_000_000, "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"}


def test_the_offset_follows_the_virtual_clock_across_daylight_saving(sims: Simulators, hs: HubSpot) -> None:
    sims.runtime.clock.advance(180 * 86_400)  # late July: New York is on daylight time
    details = _details(hs)
    assert (details["utcOffset"], details["utcOffsetMilliseconds"]) == ("-04:00", -14_400_000)


@pytest.mark.parametrize(("options", "expected"), [
    ({"tier": "starter", "currency": "EUR", "timeZone": "Europe/Paris"},
     {"companyCurrency": "EUR", "timeZone": "Europe/Paris", "utcOffset": "+01:00", "utcOffsetMilliseconds": 3_600_000}),
    ({"tier": "enterprise", "currency": "gbp", "timeZone": "Asia/Kolkata"},
     {"companyCurrency": "GBP", "timeZone": "Asia/Kolkata", "utcOffset": "+05:30",
      "utcOffsetMilliseconds": 19_800_000}),
    ({"tier": "free", "currency": "AUD", "timeZone": "UTC"},
     {"companyCurrency": "AUD", "timeZone": "UTC", "utcOffset": "+00:00", "utcOffsetMilliseconds": 0}),
])
def test_the_portals_settings(sims: Simulators, options: dict, expected: dict) -> None:
    portal = sims.new_hubspot_portal(**options)
    details = _details(client(portal["accessToken"]))
    assert set(details) == FIELDS
    assert details["portalId"] == int(portal["portalId"]) and details["accountType"] == "STANDARD"
    assert {k: details[k] for k in expected} == expected
    assert details["additionalCurrencies"] == []


def test_an_oauth_token_reads_its_own_portal(sims: Simulators, hubspot_portal: dict) -> None:
    other = sims.new_hubspot_portal(currency="CAD")
    assert _details(client(hubspot_portal["oauthAccessToken"]))["portalId"] == int(hubspot_portal["portalId"])
    assert _details(client(other["oauthAccessToken"]))["companyCurrency"] == "CAD"
    sims.runtime.clock.advance(1801)  # OAuth access tokens live 30 minutes
    r = Raw(hubspot_portal["oauthAccessToken"]).get(PATH)
    error_body(r, 401, "EXPIRED_AUTHENTICATION")


@pytest.mark.parametrize("token", [None, "pat-na1-00000000-0000-0000-0000-000000000000"])
def test_unauthenticated_calls_are_refused_like_any_other(hubspot_portal: dict, token: str | None) -> None:
    r = Raw(token).get(PATH)
    body = error_body(r, 401, "INVALID_AUTHENTICATION")
    assert body == {**error_body(Raw(token).get("/crm/v3/objects/contacts"), 401, "INVALID_AUTHENTICATION"),
                    "correlationId": body["correlationId"]}


def test_calls_count_against_the_rate_limit(sims: Simulators, hubspot_portal: dict) -> None:
    r = Raw(hubspot_portal["accessToken"]).get(PATH)
    assert r.status_code == 200 and r.headers["X-HubSpot-RateLimit-Max"] == "190"


def test_an_unknown_time_zone_is_refused(sims: Simulators) -> None:
    r = requests.post(f"{sims.hubspot_url}/_sim/tenants", json={"seed": "empty", "timeZone": "Mars/Olympus"},
                      timeout=5)
    assert r.status_code == 400 and "timeZone" in r.json()["error"]
