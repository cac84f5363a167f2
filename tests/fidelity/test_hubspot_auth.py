"""Authentication and authorisation: OAuth v1 through hubspot-api-client 12.0.0 (tokens on the virtual clock),
and the exact 401 / 403 answers through plain ``requests`` (API notes §5, §8)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hubspot import HubSpot
from hubspot.utils.oauth import get_auth_url
from hubspot_sdk import Raw, client, counter, error_body, refused, route_sdk

from simulators.sims import Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")

INVALID_AUTH = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
REDIRECT = "https://app.example.com/oauth/callback"
MISSING_SCOPES = ("This app hasn't been granted all required scopes to make this call. Read more about required "
                  "scopes here: https://developers.hubspot.com/scopes.")


def _refresh(hs: HubSpot, portal: dict, **overrides: str) -> object:
    args = {"grant_type": "refresh_token", "refresh_token": portal["refreshToken"], "client_id": portal["clientId"],
            "client_secret": portal["clientSecret"], **overrides}
    return hs.oauth.tokens_api.create(**args)


def test_refresh_and_token_info(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    token = _refresh(hs, hubspot_portal)
    assert type(token).__name__ == "TokenResponseIF"
    assert token.token_type == "bearer" and token.expires_in == 1800
    assert token.access_token and token.refresh_token

    info = hs.oauth.access_tokens_api.get(token.access_token)
    assert type(info).__name__ == "AccessTokenInfoResponse"
    assert info.hub_id == int(hubspot_portal["portalId"]) and info.expires_in == 1800
    assert info.token == token.access_token and "crm.objects.contacts.write" in info.scopes

    sims.runtime.clock.advance(600)
    assert hs.oauth.access_tokens_api.get(token.access_token).expires_in == 1200

    oauth_client = client(token.access_token)
    made = oauth_client.crm.contacts.basic_api.create({"properties": {"email": "oauth@example.com"}})
    assert made.properties["email"] == "oauth@example.com"


def test_access_token_expires_after_30_minutes(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    token = _refresh(hs, hubspot_portal)
    oauth_client = client(token.access_token)
    sims.runtime.clock.advance(1799)
    assert oauth_client.crm.contacts.basic_api.get_page().results == []

    sims.runtime.clock.advance(2)  # 1801 s after issue
    body = refused(401, lambda: oauth_client.crm.contacts.basic_api.get_page(), "UnauthorizedException")
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert body["message"] == "The OAuth token used to make this call expired 1 second(s) ago."
    body = refused(401, lambda: hs.oauth.access_tokens_api.get(token.access_token), "UnauthorizedException")
    assert body["category"] == "EXPIRED_AUTHENTICATION"

    fresh = _refresh(hs, hubspot_portal, refresh_token=token.refresh_token)
    assert client(fresh.access_token).crm.contacts.basic_api.get_page().results == []
    # the private-app token never expires
    assert hs.crm.contacts.basic_api.get_page().results == []


def _install(portal: dict, scope: tuple, **extra: str) -> str:
    """The app's install link (built by the SDK), followed as a browser would: returns the redirect."""
    url = get_auth_url(portal["clientId"], REDIRECT, scope=scope, **extra)
    assert url.startswith("https://app.hubspot.com/oauth/authorize?")
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_authorization_code_grant(hs: HubSpot, hubspot_portal: dict) -> None:
    location = _install(hubspot_portal, ("crm.objects.contacts.read",), optional_scope=("e-commerce",), state="s1")
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and query["state"] == ["s1"]
    code = query["code"][0]
    args = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": hubspot_portal["clientId"], "client_secret": hubspot_portal["clientSecret"]}
    token = hs.oauth.tokens_api.create(**args)
    assert type(token).__name__ == "TokenResponseIF" and token.expires_in == 1800 and token.refresh_token

    info = hs.oauth.access_tokens_api.get(token.access_token)
    assert info.hub_id == int(hubspot_portal["portalId"])
    assert sorted(info.scopes) == ["crm.objects.contacts.read", "e-commerce"]
    installed = client(token.access_token)
    assert installed.crm.contacts.basic_api.get_page().results == []
    body = refused(403, lambda: installed.crm.contacts.basic_api.create({"properties": {"email": "a@b.co"}}))
    assert body["category"] == "MISSING_SCOPES"
    # the refresh token keeps the scopes granted at install
    again = _refresh(hs, hubspot_portal, refresh_token=token.refresh_token)
    assert sorted(hs.oauth.access_tokens_api.get(again.access_token).scopes) == sorted(info.scopes)

    body = refused(400, lambda: hs.oauth.tokens_api.create(**args))  # a code is good once
    assert body["status"] == "BAD_AUTH_CODE"


def test_bad_authorization_code_requests(hs: HubSpot, hubspot_portal: dict) -> None:
    code = parse_qs(urlsplit(_install(hubspot_portal, ("crm.objects.deals.read",))).query)["code"][0]
    args = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://elsewhere.example/cb",
            "client_id": hubspot_portal["clientId"], "client_secret": hubspot_portal["clientSecret"]}
    assert refused(400, lambda: hs.oauth.tokens_api.create(**args))["status"] == "BAD_REDIRECT_URI"
    body = refused(400, lambda: hs.oauth.tokens_api.create(**{**args, "code": "na1-unknown-code"}))
    assert body["status"] == "BAD_AUTH_CODE"
    body = refused(400, lambda: hs.oauth.tokens_api.create(**{**args, "grant_type": "password"}))
    assert body["status"] == "BAD_GRANT_TYPE"

    unknown = requests.get(get_auth_url(hubspot_portal["clientId"], REDIRECT, scope=("crm.objects.nothing",)),
                           allow_redirects=False, timeout=5)
    assert unknown.status_code == 400 and unknown.json()["message"] == "Unknown scopes: crm.objects.nothing"
    stranger = requests.get(get_auth_url("not-an-app", REDIRECT, scope=("e-commerce",)), allow_redirects=False,
                            timeout=5)
    assert stranger.status_code == 400 and stranger.json()["status"] == "BAD_CLIENT_ID"


def test_bad_refresh_requests(hs: HubSpot, hubspot_portal: dict) -> None:
    body = refused(400, lambda: _refresh(hs, hubspot_portal, refresh_token="RT1-not-a-token"))
    assert body["status"] == "BAD_REFRESH_TOKEN"
    body = refused(400, lambda: _refresh(hs, hubspot_portal, client_secret="wrong"))
    assert body["status"] == "BAD_CLIENT_ID"


def test_refresh_token_info_and_delete(hs: HubSpot, hubspot_portal: dict) -> None:
    token = _refresh(hs, hubspot_portal)
    info = hs.oauth.refresh_tokens_api.get(token.refresh_token)
    assert type(info).__name__ == "RefreshTokenInfoResponse"
    assert (info.token, info.hub_id, info.client_id, info.token_type) == (
        token.refresh_token, int(hubspot_portal["portalId"]), hubspot_portal["clientId"], "refresh")
    assert hs.oauth.refresh_tokens_api.archive(token.refresh_token) is None
    refused(404, lambda: hs.oauth.refresh_tokens_api.get(token.refresh_token), "NotFoundException")
    body = refused(400, lambda: _refresh(hs, hubspot_portal, refresh_token=token.refresh_token))
    assert body["status"] == "BAD_REFRESH_TOKEN"


@pytest.mark.parametrize("token", [None, "pat-na1-00000000-0000-0000-0000-000000000000", "short"])
def test_invalid_authentication(sims: Simulators, hubspot_portal: dict, token: str | None) -> None:
    r = Raw(token).get("/crm/v3/objects/contacts")
    body = error_body(r, 401, "INVALID_AUTHENTICATION")
    assert set(body) == {"status", "message", "correlationId", "category"}
    assert body["message"] == INVALID_AUTH
    assert not any(h.lower().startswith("x-hubspot-ratelimit") for h in r.headers)
    r = Raw(token).post("/crm/v3/objects/contacts", {"properties": {"email": "x@example.com"}})
    error_body(r, 401, "INVALID_AUTHENTICATION")
    assert counter(sims, hubspot_portal["portalId"])()["contacts"] == 0


def test_missing_scopes(sims: Simulators, hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    token = "pat-na1-11111111-2222-3333-4444-555555555555"
    sims.runtime.store.put_credential(token, "access", portal, f"private-app-{portal}-readonly", None,
                                      {"kind": "private", "scopes": ["crm.objects.contacts.read"]})
    raw = Raw(token)
    assert raw.get("/crm/v3/objects/contacts").status_code == 200

    r = raw.post("/crm/v3/objects/contacts", {"properties": {"email": "x@example.com"}})
    body = error_body(r, 403, "MISSING_SCOPES")
    assert body["message"] == MISSING_SCOPES
    assert body["errors"] == [{"message": "One or more of the following scopes are required.",
                               "context": {"requiredGranularScopes": ["crm.objects.contacts.write"]}}]
    assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}

    body = error_body(raw.get("/crm/v3/objects/deals"), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.deals.read"]
    body = error_body(raw.get("/crm/v3/objects/products"), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.products.read", "e-commerce"]
    # search and batch/read are reads
    assert raw.post("/crm/v3/objects/contacts/search", {}).status_code == 200
    assert raw.post("/crm/v3/objects/contacts/batch/read", {"inputs": []}).status_code == 200
    error_body(raw.post("/crm/v3/objects/contacts/batch/update", {"inputs": []}), 403, "MISSING_SCOPES")
    assert counter(sims, portal)()["contacts"] == 0

    with route_sdk():
        body = refused(403, lambda: client(token).crm.contacts.basic_api.create(
            {"properties": {"email": "x@example.com"}}), "ForbiddenException")
    assert body["category"] == "MISSING_SCOPES"

    bare = "pat-na1-99999999-8888-7777-6666-555555555555"
    sims.runtime.store.put_credential(bare, "access", portal, f"private-app-{portal}-bare", None,
                                      {"kind": "private", "scopes": []})
    body = error_body(Raw(bare).get("/crm/v3/properties/contacts"), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.schemas.contacts.read", "crm.objects.contacts.read"]
    error_body(Raw(bare).get("/crm/v4/objects/contacts/1/associations/companies"), 403, "MISSING_SCOPES")


def test_a_token_only_reaches_its_own_portal(sims: Simulators, hubspot_portal: dict) -> None:
    other = sims.new_hubspot_portal(seed="empty")
    made = Raw(other["accessToken"]).post("/crm/v3/objects/contacts", {"properties": {"email": "o@example.com"}})
    assert made.status_code == 201
    error_body(Raw(hubspot_portal["accessToken"]).get(f"/crm/v3/objects/contacts/{made.json()['id']}"), 404,
               "OBJECT_NOT_FOUND")
