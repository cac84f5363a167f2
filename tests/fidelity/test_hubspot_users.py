"""The Settings users API v3 (user provisioning: users, roles, teams) through hubspot-api-client 12.0.0's
``client.settings.users``, and its refusals through plain ``requests`` (the v3 user provisioning spec)."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.settings.users import PublicUserUpdate, UserProvisionRequest
from hubspot_sdk import Raw, client, error_body, refused, route_sdk

from simulators.sims import HUBSPOT_API, Simulators

pytestmark = pytest.mark.hsqbo(clock="frozen", start="2026-01-31T12:00:00Z")

USER_FIELDS = {"id", "email", "firstName", "lastName", "roleId", "roleIds", "primaryTeamId", "secondaryTeamIds",
               "superAdmin", "sendWelcomeEmail"}
ADMIN, SALES, MARKETING = "100001", "100002", "100003"  # the built-in roles
SALES_TEAM, MARKETING_TEAM = "200001", "200002"


def _users(hs: HubSpot) -> list:
    return hs.settings.users.users_api.get_page().results


def test_every_portal_has_its_owner_and_three_users(hs: HubSpot, hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    with route_sdk() as calls:
        users = _users(hs)
    assert calls == [("GET", f"{HUBSPOT_API}/settings/v3/users/")]
    assert [type(u).__name__ for u in users] == ["PublicUser"] * 4
    owner, rep, admin, marketer = users
    assert (owner.email, owner.super_admin, owner.role_ids) == (f"admin@portal{portal}.hsqbo.example", True, [])
    assert [u.super_admin for u in users] == [True, False, False, False]
    assert [u.role_id for u in users] == [None, SALES, ADMIN, MARKETING]
    assert [u.role_ids for u in users] == [[], [SALES], [ADMIN], [MARKETING]]
    assert (rep.primary_team_id, marketer.primary_team_id) == (SALES_TEAM, MARKETING_TEAM)
    assert not any(u.send_welcome_email for u in users)
    # the owner and the sales rep are the owners API's two owners: the same user ids and emails
    owners = hs.crm.owners.owners_api.get_page().results
    assert [(str(o.user_id), o.email) for o in owners] == [(owner.id, owner.email), (rep.id, rep.email)]
    # the same people in every new portal with this id, nothing of the simulator's own in the answer
    body = Raw(hubspot_portal["accessToken"]).get("/settings/v3/users/").json()
    assert all(set(u) <= USER_FIELDS for u in body["results"]) and "paging" not in body


def test_paging_and_get_by_id_or_email(hs: HubSpot) -> None:
    api = hs.settings.users.users_api
    everyone = [u.id for u in _users(hs)]
    first = api.get_page(limit=3)
    assert [u.id for u in first.results] == everyone[:3]
    assert first.paging.next.after == everyone[3]
    last = api.get_page(limit=3, after=first.paging.next.after)
    assert [u.id for u in last.results] == everyone[3:] and last.paging is None

    owner = api.get_by_id(everyone[0])
    assert type(owner).__name__ == "PublicUser" and owner.super_admin is True
    with route_sdk() as calls:
        by_email = api.get_by_id(owner.email.upper(), id_property="EMAIL")
    assert by_email.id == owner.id
    assert calls[0][1].endswith(f"/settings/v3/users/{owner.email.upper().replace('@', '%40')}?idProperty=EMAIL")


def test_roles_and_teams(hs: HubSpot, hubspot_portal: dict) -> None:
    roles = hs.settings.users.roles_api.get_all().results
    assert [(r.id, r.name, r.requires_billing_write) for r in roles] == [
        (ADMIN, "Admin", False), (SALES, "Sales", False), (MARKETING, "Marketing", False)]
    # which permission a role holds stays inside the simulator (PublicPermissionSet has three fields)
    raw = Raw(hubspot_portal["accessToken"]).get("/settings/v3/users/roles").json()
    assert [set(r) for r in raw["results"]] == [{"id", "name", "requiresBillingWrite"}] * 3

    _, rep, _, marketer = _users(hs)
    teams = hs.settings.users.teams_api.get_all().results
    assert [(t.id, t.name, t.user_ids, t.secondary_user_ids) for t in teams] == [
        (SALES_TEAM, "Sales", [rep.id], []), (MARKETING_TEAM, "Marketing", [marketer.id], [])]


def test_provision_modify_and_remove(hs: HubSpot) -> None:
    api = hs.settings.users.users_api
    with route_sdk() as calls:
        made = api.create(UserProvisionRequest(email="newuser@example.com", role_id=SALES,
                                               primary_team_id=SALES_TEAM, send_welcome_email=True))
    assert calls == [("POST", f"{HUBSPOT_API}/settings/v3/users/")]
    assert type(made).__name__ == "PublicUser"
    assert (made.email, made.role_id, made.role_ids, made.super_admin) == ("newuser@example.com", SALES, [SALES],
                                                                           False)
    assert made.send_welcome_email is True  # only in the provisioning answer
    got = api.get_by_id(made.id)
    assert got.send_welcome_email is False and got.primary_team_id == SALES_TEAM
    assert made.id in [u.id for u in _users(hs)]
    assert made.id in hs.settings.users.teams_api.get_all().results[0].user_ids

    # a bare provisioning request: no role (minimal permissions), not a Super Admin
    bare = api.create(UserProvisionRequest(email="bare@example.com"))
    assert (bare.role_id, bare.role_ids, bare.super_admin, bare.send_welcome_email) == (None, [], False, False)

    changed = api.replace(made.id, PublicUserUpdate(role_id=MARKETING, secondary_team_ids=[MARKETING_TEAM]))
    assert (changed.role_id, changed.role_ids, changed.secondary_team_ids) == (MARKETING, [MARKETING], [MARKETING_TEAM])
    assert api.get_by_id(made.id).role_id == MARKETING
    # firstName and lastName: in the current spec, not in the 12.0.0 models (a dict body carries them)
    named = api.replace("newuser@example.com", {"firstName": "Nia", "lastName": "Ode"}, id_property="EMAIL")
    assert named.id == made.id
    raw = Raw(hs.access_token).get(f"/settings/v3/users/{made.id}").json()
    assert (raw["firstName"], raw["lastName"], raw["roleId"]) == ("Nia", "Ode", MARKETING)

    assert api.archive(made.id) is None
    body = refused(404, lambda: api.get_by_id(made.id), "NotFoundException")
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert made.id not in [u.id for u in _users(hs)]
    refused(404, lambda: api.archive(made.id), "NotFoundException")
    # a built-in user goes the same way, by email; a removed email may be provisioned again, as a new user
    marketer = _users(hs)[3]
    assert api.archive(marketer.email, id_property="EMAIL") is None
    again = api.create(UserProvisionRequest(email=marketer.email))
    assert again.id not in (marketer.id, made.id) and len(_users(hs)) == 5


def test_refusals(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    api = hs.settings.users.users_api
    raw = Raw(hubspot_portal["accessToken"])
    before = sims.runtime.store.fingerprint()
    owner = _users(hs)[0]
    body = refused(409, lambda: api.create(UserProvisionRequest(email=owner.email.upper())))
    assert body["category"] == "CONFLICT" and owner.email.upper() in body["message"]
    body = refused(404, lambda: api.get_by_id("123"), "NotFoundException")
    assert body["category"] == "OBJECT_NOT_FOUND" and body["correlationId"]
    refused(404, lambda: api.get_by_id("nobody@example.com", id_property="EMAIL"), "NotFoundException")
    refused(404, lambda: api.replace("123", PublicUserUpdate(role_id=SALES)), "NotFoundException")

    error_body(raw.post("/settings/v3/users/", {"email": "not-an-email"}), 400, "VALIDATION_ERROR")
    error_body(raw.post("/settings/v3/users/", {"roleId": SALES}), 400, "VALIDATION_ERROR")
    error_body(raw.post("/settings/v3/users/", {"email": "x@example.com", "roleId": "999"}), 400, "VALIDATION_ERROR")
    error_body(raw.post("/settings/v3/users/", {"email": "x@example.com", "primaryTeamId": "999"}), 400,
               "VALIDATION_ERROR")
    error_body(raw.post("/settings/v3/users/", [{"email": "x@example.com"}]), 400, "VALIDATION_ERROR")
    # superAdmin is not in PublicUserUpdate: a Super Admin is made in HubSpot's settings
    body = error_body(raw.put(f"/settings/v3/users/{_users(hs)[1].id}", {"superAdmin": True}), 400,
                      "VALIDATION_ERROR")
    assert "superAdmin" in body["message"]
    error_body(raw.get(f"/settings/v3/users/{owner.id}?idProperty=NAME"), 400, "VALIDATION_ERROR")
    error_body(raw.get("/settings/v3/users/?limit=0"), 400, "VALIDATION_ERROR")
    error_body(raw.get("/settings/v3/users/?after=abc"), 400, "VALIDATION_ERROR")
    assert sims.runtime.store.fingerprint() == before  # nothing refused was written


def test_scopes(sims: Simulators, hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    token = "pat-na1-12121212-3434-5656-7878-909090909090"
    sims.runtime.store.put_credential(token, "access", portal, f"private-app-{portal}-users", None,
                                      {"kind": "private", "scopes": ["crm.objects.users.read"]})
    reader = client(token).settings.users
    assert len(reader.users_api.get_page().results) == 4
    assert len(reader.roles_api.get_all().results) == 3
    body = refused(403, lambda: reader.users_api.create(UserProvisionRequest(email="w@example.com")),
                   "ForbiddenException")
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["settings.users.write",
                                                                      "crm.objects.users.write"]
    body = refused(403, lambda: reader.teams_api.get_all(), "ForbiddenException")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["settings.users.teams.read"]
    error_body(Raw(token).delete(f"/settings/v3/users/{reader.users_api.get_page().results[1].id}"), 403,
               "MISSING_SCOPES")
    assert len(reader.users_api.get_page().results) == 4
