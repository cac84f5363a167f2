"""Rule A5: installing the app takes a HubSpot Super Admin or a user holding App Marketplace Access.

The install screen (``/oauth/authorize``, the link hubspot-api-client's ``get_auth_url`` builds) is answered for the
user the simulated browser is signed in as (``/_sim/hubspot/<portalId>/signed-in-user``, the account owner until
set); the permission is granted and revoked through the admin routes, as a Super Admin does in HubSpot's settings.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hubspot import HubSpot
from hubspot.utils.oauth import get_auth_url

from simulators.sims import HUBSPOT_URL, Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")

REDIRECT = "https://app.example.com/oauth/callback"
TIMEOUT = 5
MESSAGE = "To install apps, you need to be a <strong>Super Admin</strong> or have\n<strong>App Marketplace Access"


def _sim(portal: dict, path: str, body: object = None) -> requests.Response:
    url = f"{HUBSPOT_URL}/_sim/hubspot/{portal['portalId']}{path}"
    if body is None:
        return requests.get(url, timeout=TIMEOUT)
    return requests.post(url, json=body, timeout=TIMEOUT)


def _install(portal: dict) -> requests.Response:
    """The app's install link, followed as a browser does (no redirect followed)."""
    url = get_auth_url(portal["clientId"], REDIRECT, scope=("crm.objects.contacts.read",), state="st")
    return requests.get(url, allow_redirects=False, timeout=TIMEOUT)


def _codes(sims: Simulators, portal: dict) -> int:
    return len(sims.runtime.store.credentials_of(portal["portalId"], "code"))


def _installed(hs: HubSpot, portal: dict, answer: requests.Response) -> str:
    """A redirect back to the app with a code that the token endpoint takes; the access token."""
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(REDIRECT) and query["state"] == ["st"]
    token = hs.oauth.tokens_api.create(grant_type="authorization_code", code=query["code"][0], redirect_uri=REDIRECT,
                                       client_id=portal["clientId"], client_secret=portal["clientSecret"])
    assert token.access_token and token.refresh_token
    return str(token.access_token)


def _refused(sims: Simulators, portal: dict, email: str) -> None:
    """HubSpot's own error page, in the browser: no redirect, no code issued."""
    codes = _codes(sims, portal)
    answer = _install(portal)
    assert answer.status_code == 403, answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Location" not in answer.headers and "code=" not in answer.text
    assert MESSAGE in answer.text and email in answer.text and 'data-rule="A5"' in answer.text
    assert _codes(sims, portal) == codes


def _users(hs: HubSpot) -> list:
    owner, rep, admin, marketer = hs.settings.users.users_api.get_page().results
    return [owner, rep, admin, marketer]


def test_the_account_owner_installs_by_default(hs: HubSpot, hubspot_portal: dict) -> None:
    owner = _users(hs)[0]
    signed_in = _sim(hubspot_portal, "/signed-in-user").json()
    assert signed_in == {"id": owner.id, "email": owner.email, "superAdmin": True, "roleIds": [],
                         "appMarketplaceAccess": False, "appMarketplaceAccessOnUser": None, "mayInstallApps": True}
    _installed(hs, hubspot_portal, _install(hubspot_portal))


def test_a_user_whose_role_holds_app_marketplace_access_installs(hs: HubSpot, hubspot_portal: dict) -> None:
    admin = _users(hs)[2]
    r = _sim(hubspot_portal, "/signed-in-user", {"userId": admin.id})
    assert r.status_code == 200 and r.json()["appMarketplaceAccess"] is True and r.json()["superAdmin"] is False
    _installed(hs, hubspot_portal, _install(hubspot_portal))


def test_a_user_without_the_permission_gets_the_error_page(sims: Simulators, hs: HubSpot,
                                                            hubspot_portal: dict) -> None:
    rep = _users(hs)[1]
    r = _sim(hubspot_portal, "/signed-in-user", {"email": rep.email.upper()})  # by email
    assert r.status_code == 200 and r.json()["id"] == rep.id and r.json()["mayInstallApps"] is False
    _refused(sims, hubspot_portal, rep.email)


def test_granting_the_permission_to_the_role_lets_the_same_user_install(sims: Simulators, hs: HubSpot,
                                                                        hubspot_portal: dict) -> None:
    marketer = _users(hs)[3]
    _sim(hubspot_portal, "/signed-in-user", {"userId": marketer.id})
    _refused(sims, hubspot_portal, marketer.email)
    r = _sim(hubspot_portal, f"/roles/{marketer.role_id}/permissions", {"appMarketplaceAccess": True})
    assert r.status_code == 200 and r.json() == {"id": marketer.role_id, "name": "Marketing",
                                                 "requiresBillingWrite": False, "appMarketplaceAccess": True}
    _installed(hs, hubspot_portal, _install(hubspot_portal))
    # revoked from the role: refused again; the Admin role's grant is untouched
    _sim(hubspot_portal, f"/roles/{marketer.role_id}/permissions", {"appMarketplaceAccess": False})
    _refused(sims, hubspot_portal, marketer.email)
    roles = _sim(hubspot_portal, "/roles").json()["results"]
    assert [(r["name"], r["appMarketplaceAccess"]) for r in roles] == [("Admin", True), ("Sales", False),
                                                                      ("Marketing", False)]


def test_permission_on_the_user_and_super_admin(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    owner, rep, admin, _ = _users(hs)
    _sim(hubspot_portal, "/signed-in-user", {"userId": rep.id})
    r = _sim(hubspot_portal, f"/users/{rep.id}/permissions", {"appMarketplaceAccess": True})
    assert r.json()["appMarketplaceAccessOnUser"] is True and r.json()["mayInstallApps"] is True
    _installed(hs, hubspot_portal, _install(hubspot_portal))
    _sim(hubspot_portal, f"/users/{rep.email}/permissions", {"appMarketplaceAccess": None})  # back to the role's
    _refused(sims, hubspot_portal, rep.email)
    r = _sim(hubspot_portal, f"/users/{rep.id}/permissions", {"superAdmin": True})
    assert r.json()["superAdmin"] is True
    assert hs.settings.users.users_api.get_by_id(rep.id).super_admin is True  # the users API says so too
    _installed(hs, hubspot_portal, _install(hubspot_portal))

    # denied on the user: their Admin role's grant no longer counts
    _sim(hubspot_portal, f"/users/{admin.id}/permissions", {"appMarketplaceAccess": False})
    _sim(hubspot_portal, "/signed-in-user", {"userId": admin.id})
    _refused(sims, hubspot_portal, admin.email)
    # the account owner stripped of Super Admin holds nothing else
    _sim(hubspot_portal, f"/users/{owner.id}/permissions", {"superAdmin": False})
    _sim(hubspot_portal, "/signed-in-user", {"userId": owner.id})
    _refused(sims, hubspot_portal, owner.email)


def test_a_removed_user_cannot_install(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    admin = _users(hs)[2]
    _sim(hubspot_portal, "/signed-in-user", {"userId": admin.id})
    hs.settings.users.users_api.archive(admin.id)
    codes = _codes(sims, hubspot_portal)
    answer = _install(hubspot_portal)
    assert answer.status_code == 403 and "no longer a user" in answer.text
    assert _codes(sims, hubspot_portal) == codes
    assert _sim(hubspot_portal, "/signed-in-user").status_code == 404


def test_admin_route_refusals(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    before = sims.runtime.store.fingerprint()
    for path, body, status in [("/signed-in-user", {"userId": "123"}, 404),
                               ("/signed-in-user", {"email": "nobody@example.com"}, 404),
                               ("/signed-in-user", {"who": "me"}, 400),
                               ("/signed-in-user", ["x"], 400),
                               ("/roles/999/permissions", {"appMarketplaceAccess": True}, 404),
                               ("/roles/100002/permissions", {"appMarketplaceAccess": "yes"}, 400),
                               ("/users/123/permissions", {"superAdmin": True}, 404),
                               (f"/users/{_users(hs)[1].id}/permissions", {"superAdmin": "yes"}, 400),
                               (f"/users/{_users(hs)[1].id}/permissions", {"roleId": "100001"}, 400)]:
        r = _sim(hubspot_portal, path, body)
        assert r.status_code == status, (path, body, r.text)
        assert set(r.json()) == {"error"}
    r = requests.get(f"{HUBSPOT_URL}/_sim/hubspot/424242/signed-in-user", timeout=TIMEOUT)
    assert r.status_code == 404 and r.json() == {"error": "no tenant 424242"}
    assert sims.runtime.store.fingerprint() == before
    _installed(hs, hubspot_portal, _install(hubspot_portal))  # still the owner


def test_the_token_names_the_user_who_installed(hs: HubSpot, hubspot_portal: dict) -> None:
    """HubSpot's access-token info answers the installing user's email and id (``user``, ``user_id``)."""
    owner, _, admin, _ = _users(hs)
    info = hs.oauth.access_tokens_api.get(hubspot_portal["accessToken"])
    assert (info.user, info.user_id) == (owner.email, int(owner.id))  # the seeded grant: the owner's install
    _sim(hubspot_portal, "/signed-in-user", {"userId": admin.id})
    info = hs.oauth.access_tokens_api.get(_installed(hs, hubspot_portal, _install(hubspot_portal)))
    assert (info.user, info.user_id, info.hub_id) == (admin.email, int(admin.id), int(hubspot_portal["portalId"]))
