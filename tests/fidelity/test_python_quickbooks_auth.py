"""OAuth 2.0 as intuit-oauth 1.2.6 and python-quickbooks 0.9.12 drive it (API notes §9, §10, §6 Auth)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, ValidationException
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from sdk_helpers import REDIRECT, connect, new_customer

from simulators.sims import Simulators


def test_construction_refreshes_the_token(qbo_company: dict) -> None:
    """QuickBooks(auth_client without access token) calls AuthClient.refresh(): a new access token; the refresh
    token keeps its value within 24 h of its issue (Intuit's OAuth FAQ, qbo-api-notes §9)."""
    qb = connect(qbo_company)
    auth = qb.auth_client
    assert auth.access_token and auth.access_token != qbo_company["accessToken"]
    assert auth.refresh_token == qbo_company["refreshToken"]
    assert qb.refresh_token == auth.refresh_token
    assert auth.expires_in == 3600
    assert auth.x_refresh_token_expires_in == 100 * 24 * 3600
    assert auth.token_endpoint == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert qb.sandbox is True
    info = CompanyInfo.get(qbo_company["realmId"], qb=qb)
    assert info.Country == "US"


def test_rotated_refresh_token_answers_invalid_grant(sims: Simulators, qbo_company: dict) -> None:
    sims.runtime.clock.advance(24 * 3600 + 1)  # a day after its issue, refreshing gives a new value
    qb = connect(qbo_company)  # uses (and rotates away) the company's refresh token
    assert qb.auth_client.refresh_token != qbo_company["refreshToken"]
    stale = AuthClient(qbo_company["clientId"], qbo_company["clientSecret"], REDIRECT, "sandbox")
    with pytest.raises(AuthClientError) as exc:
        stale.refresh(refresh_token=qbo_company["refreshToken"])
    assert exc.value.status_code == 400
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}
    assert stale.access_token is None
    # The latest refresh token still works, and rotates in turn.
    latest = qb.auth_client.refresh_token
    sims.runtime.clock.advance(24 * 3600 + 1)
    qb.auth_client.refresh()
    assert qb.auth_client.refresh_token != latest
    with pytest.raises(AuthClientError):
        connect({**qbo_company, "refreshToken": latest})


def test_wrong_client_secret_is_invalid_client(qbo_company: dict) -> None:
    auth = AuthClient(qbo_company["clientId"], "not-the-secret", REDIRECT, "sandbox")
    with pytest.raises(AuthClientError) as exc:
        auth.refresh(refresh_token=qbo_company["refreshToken"])
    assert exc.value.status_code == 401
    assert json.loads(exc.value.content) == {"error": "invalid_client"}


def test_revoked_refresh_token_is_refused(qbo_company: dict) -> None:
    qb = connect(qbo_company)
    assert qb.auth_client.revoke(token=qb.auth_client.refresh_token) is True
    with pytest.raises(AuthClientError) as exc:
        qb.auth_client.refresh()
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}


def test_access_token_expires_after_one_hour_of_virtual_time(sims: Simulators, qbo_company: dict) -> None:
    qb = connect(qbo_company)
    new_customer(qb, "Before Expiry")
    sims.runtime.clock.advance(3500)
    assert len(Customer.all(qb=qb)) == 1  # 58 min in: still valid
    sims.runtime.clock.advance(101)
    with pytest.raises(AuthorizationException) as exc:
        Customer.all(qb=qb)
    assert exc.value.error_code == 401
    body = json.loads(exc.value.detail)
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert body["fault"]["error"][0]["code"] == "3200"
    assert body["fault"]["error"][0]["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert body["fault"]["error"][0]["detail"].startswith("Token expired")
    # The SDK does not refresh on 401: the app refreshes and builds a new session.
    qb.auth_client.refresh()
    qb = QuickBooks(auth_client=qb.auth_client, refresh_token=qb.auth_client.refresh_token,
                    company_id=qbo_company["realmId"], minorversion=75)
    assert [c.DisplayName for c in Customer.all(qb=qb)] == ["Before Expiry"]


def test_authorization_code_flow(qbo_company: dict) -> None:
    auth = AuthClient(qbo_company["clientId"], qbo_company["clientSecret"], REDIRECT, "sandbox")
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="xyz")
    assert url.startswith("https://appcenter.intuit.com/connect/oauth2?")
    consent = requests.get(url, allow_redirects=False, timeout=5)
    assert consent.status_code == 302
    callback = urlsplit(consent.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(callback.query).items()}
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT
    assert params["state"] == "xyz" and params["realmId"] == qbo_company["realmId"]
    auth.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert auth.access_token and auth.refresh_token
    qb = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token, company_id=auth.realm_id, minorversion=75)
    assert CompanyInfo.get(auth.realm_id, qb=qb).Id == "1"
    # An authorization code is single use.
    with pytest.raises(AuthClientError) as exc:
        auth.get_bearer_token(params["code"])
    assert json.loads(exc.value.content) == {"error": "invalid_grant"}


def test_server_style_configuration(sims: Simulators, qbo_company: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented way to point the SDKs at a running simulator: discovery URL + api_url_v3."""
    monkeypatch.setattr(QuickBooks, "api_url_v3", f"{sims.qbo_url}/v3")  # restored by monkeypatch
    env = f"{sims.qbo_url}/.well-known/openid_sandbox_configuration/"
    auth = AuthClient(qbo_company["clientId"], qbo_company["clientSecret"], REDIRECT, env)
    assert auth.token_endpoint == f"{sims.qbo_url}/oauth2/v1/tokens/bearer"
    assert auth.revoke_endpoint == f"{sims.qbo_url}/v2/oauth2/tokens/revoke"
    qb = QuickBooks(auth_client=auth, refresh_token=qbo_company["refreshToken"],
                    company_id=qbo_company["realmId"], minorversion=75)
    assert qb.sandbox is False and qb.api_url == f"{sims.qbo_url}/v3"
    saved = new_customer(qb, "Server Style")
    assert Customer.get(saved.Id, qb=qb).DisplayName == "Server Style"
    journal = requests.get(f"{sims.qbo_url}/_sim/journal", timeout=5).json()["entries"]
    assert f"/v3/company/{qbo_company['realmId']}/customer" in [e["path"] for e in journal]


def test_throttling_answers_3001_and_recovers(sims: Simulators, qbo_company: dict) -> None:
    """10 requests a second per realm and app [D-lim]; the SDK maps the 429 Fault to ValidationException."""
    qb = connect(qbo_company)
    sims.runtime.clock.set_mode("frozen")
    r = requests.post(f"{sims.qbo_url}/_sim/ratelimits", json={"enabled": True}, timeout=5)
    assert r.json() == {"enabled": True}
    for _ in range(10):
        assert CompanyInfo.get(qbo_company["realmId"], qb=qb).Id == "1"
    with pytest.raises(ValidationException) as exc:
        CompanyInfo.get(qbo_company["realmId"], qb=qb)
    assert (exc.value.error_code, exc.value.message, exc.value.detail) == (
        3001, "message=ThrottleExceeded; errorCode=003001; statusCode=429", "The request limit was reached.")
    sims.runtime.clock.advance(1)
    assert CompanyInfo.get(qbo_company["realmId"], qb=qb).Id == "1"
