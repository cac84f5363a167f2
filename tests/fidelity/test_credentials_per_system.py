"""Credentials per system and per app (issue 13), and QBO refresh tokens as Intuit documents them (issue 16),
driven by intuit-oauth / python-quickbooks and hubspot-api-client.

- a HubSpot token means nothing to QBO and a QBO token nothing to HubSpot (one store holds both);
- HubSpot's unauthenticated refresh-token routes cannot read or revoke a QBO refresh token;
- QBO's revoke needs the app's Basic auth, and revokes that app's tokens only;
- a Webhooks v3 developer key configures its own app only;
- a QBO refresh token keeps its value for 24 h after its issue, then a refresh gives a new one and the
  old one dies; 100-day rolling expiry, 5 years at most; ``rotateRefreshTokenOnEveryRefresh`` is strict.
"""

from __future__ import annotations

import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.webhooks import SettingsChangeRequest, SubscriptionCreateRequest
from hubspot.webhooks.exceptions import ApiException as WebhooksApiException
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.objects.customer import Customer
from sdk_helpers import REDIRECT, connect, new_customer

from simulators.sims import Simulators

DAY = 24 * 3600
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


def _qbo_get(sims: Simulators, realm: str, token: str) -> requests.Response:
    return requests.get(f"{sims.qbo_url}/v3/company/{realm}/companyinfo/{realm}",
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=10)


def test_a_hubspot_token_means_nothing_to_quickbooks(sims: Simulators, qbo_company: dict,
                                                     hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    for token in (hubspot_portal["accessToken"], hubspot_portal["oauthAccessToken"]):
        # the portal id used as a realm id: the token's tenant, but not a QBO tenant
        assert _qbo_get(sims, str(portal), token).status_code == 401
        r = requests.post(f"{sims.qbo_url}/v3/company/{portal}/customer", json={"DisplayName": "Leak"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 401
        assert requests.get(f"{sims.qbo_url}/v1/openid_connect/userinfo",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    assert sims.runtime.store.count(str(portal), "Customer") == 0
    assert _qbo_get(sims, qbo_company["realmId"], qbo_company["accessToken"]).status_code == 200


def test_a_quickbooks_token_means_nothing_to_hubspot(sims: Simulators, qbo_company: dict,
                                                     hubspot_portal: dict) -> None:
    from hubspot.crm.contacts.exceptions import ApiException

    with pytest.raises(ApiException) as exc:
        HubSpot(access_token=qbo_company["accessToken"]).crm.contacts.basic_api.get_page(limit=1)
    assert exc.value.status == 401
    info = requests.get(f"{sims.hubspot_url}/oauth/v1/access-tokens/{qbo_company['accessToken']}", timeout=10)
    assert info.status_code == 401
    # a QBO app's client id and secret get no HubSpot token either
    r = requests.post(f"{sims.hubspot_url}/oauth/v1/token", timeout=10, data={
        "grant_type": "refresh_token", "client_id": qbo_company["clientId"],
        "client_secret": qbo_company["clientSecret"], "refresh_token": qbo_company["refreshToken"]})
    assert r.status_code == 400 and r.json()["status"] == "BAD_CLIENT_ID"
    assert HubSpot(access_token=hubspot_portal["accessToken"]).crm.contacts.basic_api.get_page(limit=1) is not None


def test_hubspot_refresh_token_routes_cannot_touch_quickbooks_tokens(sims: Simulators, qbo_company: dict,
                                                                     hubspot_portal: dict) -> None:
    url = f"{sims.hubspot_url}/oauth/v1/refresh-tokens/{qbo_company['refreshToken']}"
    assert requests.get(url, timeout=10).status_code == 404
    assert requests.delete(url, timeout=10).status_code == 404
    assert connect(qbo_company).auth_client.access_token  # the QBO refresh token still works
    own = f"{sims.hubspot_url}/oauth/v1/refresh-tokens/{hubspot_portal['refreshToken']}"
    assert requests.get(own, timeout=10).json()["hub_id"] == int(hubspot_portal["portalId"])


def test_quickbooks_revoke_needs_the_apps_basic_auth(sims: Simulators, qbo_company: dict) -> None:
    other = sims.new_qbo_company(country="US")
    token = qbo_company["refreshToken"]
    assert requests.post(REVOKE_URL, json={"token": token}, timeout=10).status_code == 401
    wrong = requests.post(REVOKE_URL, json={"token": token}, auth=(qbo_company["clientId"], "nope"), timeout=10)
    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    # another app's credentials authenticate, but that app cannot revoke this app's token
    assert requests.post(REVOKE_URL, json={"token": token}, auth=(other["clientId"], other["clientSecret"]),
                         timeout=10).status_code == 200
    qb = connect(qbo_company)  # still good
    assert new_customer(qb, "Still Connected").Id
    # the app itself, through intuit-oauth
    assert qb.auth_client.revoke(token=token) is True
    with pytest.raises(AuthClientError) as exc:
        AuthClient(qbo_company["clientId"], qbo_company["clientSecret"], REDIRECT, "sandbox").refresh(
            refresh_token=token)
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}


def test_a_developer_key_configures_its_own_app_only(sims: Simulators, hubspot_portal: dict) -> None:
    other = sims.new_hubspot_portal()
    mine = HubSpot(api_key=hubspot_portal["developerApiKey"])
    theirs = HubSpot(api_key=other["developerApiKey"])
    app_id = hubspot_portal["appId"]
    mine.webhooks.settings_api.configure(app_id, SettingsChangeRequest(target_url="https://mine.example.com/h"))
    mine.webhooks.subscriptions_api.create(app_id, SubscriptionCreateRequest(event_type="contact.creation",
                                                                             active=True))
    attempts = [
        lambda: theirs.webhooks.settings_api.get_all(app_id),
        lambda: theirs.webhooks.settings_api.configure(app_id, SettingsChangeRequest(
            target_url="https://attacker.example.com/h")),
        lambda: theirs.webhooks.subscriptions_api.get_all(app_id),
        lambda: theirs.webhooks.subscriptions_api.create(app_id, SubscriptionCreateRequest(
            event_type="contact.deletion", active=True)),
        lambda: theirs.webhooks.settings_api.clear(app_id),
    ]
    for attempt in attempts:
        with pytest.raises(WebhooksApiException) as exc:
            attempt()
        assert exc.value.status == 401
    assert mine.webhooks.settings_api.get_all(app_id).target_url == "https://mine.example.com/h"
    assert [s.event_type for s in mine.webhooks.subscriptions_api.get_all(app_id).results] == ["contact.creation"]
    # the other key still configures its own app
    assert theirs.webhooks.settings_api.configure(other["appId"], SettingsChangeRequest(
        target_url="https://theirs.example.com/h")).target_url == "https://theirs.example.com/h"


# -- QBO refresh tokens -----------------------------------------------------------------------------

def test_one_stored_refresh_token_refreshes_all_day(sims: Simulators, qbo_company: dict) -> None:
    """An app that keeps the refresh token it stored (and ignores the one returned), as many do: 20 refreshes in
    an hour all work, the same value comes back, and each access token reads the company."""
    stored = qbo_company["refreshToken"]
    for _ in range(20):
        sims.runtime.clock.advance(180)
        qb = connect({**qbo_company, "refreshToken": stored})
        assert qb.auth_client.refresh_token == stored
        assert qb.auth_client.x_refresh_token_expires_in == 100 * DAY  # rolling: moved on by each refresh
        assert Customer.all(qb=qb) == []


def test_after_a_day_the_refresh_token_gets_a_new_value_and_the_old_one_dies(sims: Simulators,
                                                                             qbo_company: dict) -> None:
    stored = qbo_company["refreshToken"]
    sims.runtime.clock.advance(DAY - 60)
    assert connect(qbo_company).auth_client.refresh_token == stored
    sims.runtime.clock.advance(61)
    qb = connect(qbo_company)
    fresh = qb.auth_client.refresh_token
    assert fresh != stored
    with pytest.raises(AuthClientError) as exc:
        connect(qbo_company)
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}
    # the new value, in turn, is the same for its first 24 h
    sims.runtime.clock.advance(3600)
    assert connect({**qbo_company, "refreshToken": fresh}).auth_client.refresh_token == fresh


@pytest.mark.hsqbo(clock="frozen")
def test_refresh_tokens_expire_after_100_days_unused_and_5_years_in_all(sims: Simulators,
                                                                        qbo_company: dict) -> None:
    unused = sims.new_qbo_company(country="US")
    sims.runtime.clock.advance(100 * DAY + 1)
    with pytest.raises(AuthClientError):
        connect(unused)
    # refreshed every 90 days (each time a new value, as more than 24 h passed): alive until 5 years are up
    company = sims.new_qbo_company(country="US")
    token, days, left = company["refreshToken"], 0, None
    while True:
        sims.runtime.clock.advance(90 * DAY)
        days += 90
        try:
            auth = connect({**company, "refreshToken": token}).auth_client
        except AuthClientError as exc:
            assert json.loads(exc.content) == {"error": "invalid_grant"}
            break
        token, left = auth.refresh_token, auth.x_refresh_token_expires_in
    assert days == 1890  # 21 refreshes; the 22nd, past 5 years (1825 days), is refused
    assert left == (5 * 365 - 1800) * DAY  # the last one was capped at the 5 years, not 100 days on


def test_strict_rotation_option(sims: Simulators) -> None:
    company = sims.new_qbo_company(country="US", rotateRefreshTokenOnEveryRefresh=True)
    stored = company["refreshToken"]
    qb = connect(company)
    assert qb.auth_client.refresh_token != stored
    with pytest.raises(AuthClientError) as exc:
        connect(company)  # the second refresh with the stored value
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}
    latest = qb.auth_client.refresh_token
    qb.auth_client.refresh()
    assert qb.auth_client.refresh_token not in (latest, stored)
