"""The account's users, roles and teams: the Settings users API (``/settings/v3/users``) and who may install an app
(rule A5). Knows nothing of HTTP.

Every portal has four users, made from its id (so a portal made before users existed, or loaded from a dump, has
them too): its account owner, a Super Admin (the owners API's admin, same user id and email); the owners API's sales
rep (role "Sales"); a user of role "Admin", which holds the App Marketplace Access permission; and a marketer (role
"Marketing"). The last two are named by Faker, seeded with the portal id. They live in code until changed: a change
or a removal stores the user as a row (kind ``user``), as users provisioned through the API are stored.

Roles ("permission sets") and teams are made in HubSpot's settings, not through the API, so every portal has the same
three roles and two teams. Which permission a role holds is the simulator's own (the roles API answers only ``id``,
``name`` and ``requiresBillingWrite``): a role granted or denied App Marketplace Access is stored as a row (kind
``user-role``); a user may also hold or be denied it on their own, whatever their role says, and a user may be made
a Super Admin, both through the admin routes (HubSpot's settings).

Who may install an app (A5, the OAuth docs): a Super Admin, or a user holding App Marketplace Access. The simulated
browser's signed-in user is a portal setting (``signedInUser``, a user id), the account owner when none is set.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from ..core.storage import Row
from . import errors
from .context import PortalContext

KIND = "user"
ROLE_KIND = "user-role"
MAX_LIMIT = 100  # "Results will display maximum 100 users per page" (the users API reference)
SIGNED_IN = "signedInUser"  # the portal setting: the user id the simulated browser is signed in as
APP_MARKETPLACE = "appMarketplaceAccess"  # the permission, as the admin routes name it
# (id, name, holds App Marketplace Access)
ROLES = (("100001", "Admin", True), ("100002", "Sales", False), ("100003", "Marketing", False))
TEAMS = (("200001", "Sales"), ("200002", "Marketing"))
PROVISION_FIELDS = {"email", "firstName", "lastName", "roleId", "primaryTeamId", "secondaryTeamIds",
                    "sendWelcomeEmail"}
UPDATE_FIELDS = {"firstName", "lastName", "roleId", "primaryTeamId", "secondaryTeamIds"}  # PublicUserUpdate
ID_PROPERTIES = ("USER_ID", "EMAIL")
FIRST_OWN_USER = 5  # users 1-4 are built in; provisioned users are numbered from 5


def owner_user_id(portal: str, n: int) -> int:
    """The user id of the owners API's built-in owner ``n`` (owners.py's numbering)."""
    base = int(portal) % 1_000_000 if portal.isdigit() else 0
    return 9_000_000 + base * 10 + n


def _user_id(portal: str, n: int) -> int:
    """Users that are not owners: a range of their own, so no owner added later takes their id."""
    base = int(portal) % 1_000_000 if portal.isdigit() else 0
    return 70_000_000 + base * 10 + n


@lru_cache(maxsize=256)
def _built_in(portal: str) -> tuple[dict, ...]:
    from faker import Faker  # loaded on first use, as seed.py does

    fake = Faker("en_US")
    fake.seed_instance(int(portal) if portal.isdigit() else 0)
    domain = f"portal{portal}.hsqbo.example"
    people = []
    for first, last, local, role, team, super_admin, user_id in (
            ("Sandbox", "Admin", "admin", None, None, True, owner_user_id(portal, 1)),
            ("Sales", "Rep", "sales", "100002", "200001", False, owner_user_id(portal, 2)),
            (fake.first_name(), fake.last_name(), None, "100001", None, False, _user_id(portal, 3)),
            (fake.first_name(), fake.last_name(), None, "100003", "200002", False, _user_id(portal, 4))):
        local = local or re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower())
        people.append(_user(str(user_id), f"{local}@{domain}", first, last, role, team, [], super_admin))
    return tuple(people)


def _user(user_id: str, email: str, first: str, last: str, role: str | None, team: str | None,
          secondary: list[str], super_admin: bool) -> dict:
    """A user as stored: the API's fields, and ``sim`` (the simulator's own: App Marketplace Access held or denied
    on the user themself, None when their roles decide)."""
    user: dict = {"id": user_id, "email": email, **({"firstName": first} if first else {}),
                  **({"lastName": last} if last else {}), "roleIds": [role] if role else [],
                  "secondaryTeamIds": list(secondary), "superAdmin": super_admin, "sim": {APP_MARKETPLACE: None}}
    if role:
        user["roleId"] = role
    if team:
        user["primaryTeamId"] = team
    return user


def public(user: dict, welcome: bool = False) -> dict:
    """A user as the API answers it (``PublicUser``); ``sendWelcomeEmail`` is only true in a provisioning answer
    (the reference: "Subsequent queries will be false")."""
    out = {k: copy.deepcopy(v) for k, v in user.items() if k != "sim"}
    out["sendWelcomeEmail"] = welcome
    return out


class Users:
    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------------------------------
    def all(self) -> list[dict]:
        """The live users, in id order."""
        stored = {r.data["id"]: r for r in self.ctx.store.select(self.ctx.portal, KIND, include_deleted=True)}
        people = [copy.deepcopy(u) for u in _built_in(self.ctx.portal) if u["id"] not in stored]
        people += [r.data for r in stored.values() if not r.deleted]
        return sorted(people, key=lambda u: int(u["id"]))

    def page(self, limit: int, after: str | None) -> dict:
        if limit < 1:
            raise errors.bad_request("limit must be a positive number")
        limit = min(limit, MAX_LIMIT)
        if after is not None and not after.isdigit():
            raise errors.bad_request(f"Invalid paging cursor: {after}")
        people = [u for u in self.all() if after is None or int(u["id"]) >= int(after)]
        out: dict = {"results": [public(u) for u in people[:limit]]}
        if len(people) > limit:
            nxt = people[limit]["id"]
            out["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}&limit={limit}"}}
        return out

    def find(self, key: str, id_property: str | None = None) -> dict | None:
        """The live user whose id (or email, with ``idProperty=EMAIL``) is ``key``; None when there is none."""
        prop = (id_property or "USER_ID").upper()
        if prop not in ID_PROPERTIES:
            raise errors.bad_request(f"idProperty must be one of {', '.join(ID_PROPERTIES)}, not {id_property}")
        if prop == "USER_ID" and not key.isdigit():
            raise errors.bad_request(f"{key} is not a user id: use idProperty=EMAIL to name a user by email")
        field = "id" if prop == "USER_ID" else "email"
        return next((u for u in self.all() if u[field].lower() == key.lower()), None)

    def get(self, key: str, id_property: str | None = None) -> dict:
        user = self.find(key, id_property)
        if user is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", f"No user found with {(id_property or 'USER_ID').upper()} "
                               f"{key}", context={"userId": [key]})
        return user

    def roles(self) -> list[dict]:
        """The roles with the permission each holds (the admin view; the API answers :func:`public_role`)."""
        stored = {r.data["id"]: r.data for r in self.ctx.store.select(self.ctx.portal, ROLE_KIND)}
        return [{"id": rid, "name": name, "requiresBillingWrite": False,
                 APP_MARKETPLACE: stored.get(rid, {}).get(APP_MARKETPLACE, grants)} for rid, name, grants in ROLES]

    def role(self, role_id: str) -> dict:
        found = next((r for r in self.roles() if r["id"] == role_id), None)
        if found is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", f"No role found with id {role_id}")
        return found

    def teams(self) -> list[dict]:
        people = self.all()
        return [{"id": tid, "name": name, "userIds": [u["id"] for u in people if u.get("primaryTeamId") == tid],
                 "secondaryUserIds": [u["id"] for u in people if tid in u["secondaryTeamIds"]]}
                for tid, name in TEAMS]

    # -- the permission --------------------------------------------------------------------------
    def holds_app_marketplace(self, user: dict) -> bool:
        own = user["sim"][APP_MARKETPLACE]
        if own is not None:
            return bool(own)
        granted = {r["id"] for r in self.roles() if r[APP_MARKETPLACE]}
        return any(role in granted for role in user["roleIds"])

    def may_install(self, user: dict) -> bool:
        """Rule A5: a Super Admin, or a user holding App Marketplace Access."""
        return bool(user["superAdmin"]) or self.holds_app_marketplace(user)

    def permissions(self, user: dict) -> dict:
        """A user's permissions as the admin routes show them."""
        return {"id": user["id"], "email": user["email"], "superAdmin": user["superAdmin"],
                "roleIds": list(user["roleIds"]), APP_MARKETPLACE: self.holds_app_marketplace(user),
                "appMarketplaceAccessOnUser": user["sim"][APP_MARKETPLACE], "mayInstallApps": self.may_install(user)}

    def signed_in(self) -> tuple[str, dict | None]:
        """The user id the simulated browser is signed in as, and that user (None when no longer a user)."""
        user_id = str(self.ctx.settings.get(SIGNED_IN) or _built_in(self.ctx.portal)[0]["id"])
        return user_id, self.find(user_id)

    # -- writing (the API) ------------------------------------------------------------------------
    def create(self, body: object) -> dict:
        """``POST /settings/v3/users/``: the new user, without a role unless one is given (the reference: "New
        users will only have minimal permissions")."""
        body = self._checked(body, PROVISION_FIELDS)
        email = body.get("email")
        if not isinstance(email, str) or not _valid_email(email):
            raise errors.bad_request(f"Invalid email: {email!r}" if email is not None else "email is required")
        welcome = body.get("sendWelcomeEmail", False)
        if not isinstance(welcome, bool):
            raise errors.bad_request("sendWelcomeEmail must be true or false")
        with self.ctx.store.transaction():
            if self.find(email, "EMAIL") is not None:
                raise errors.error(409, "CONFLICT", f"A user with email {email} already exists in this account.")
            n = self.ctx.store.next_value(self.ctx.portal, f"id:{KIND}", FIRST_OWN_USER)
            user = _user(str(_user_id(self.ctx.portal, n)), email, "", "", None, None, [], False)
            self._apply(user, body)
            self._save(user)
        return public(user, welcome)

    def update(self, key: str, body: object, id_property: str | None = None) -> dict:
        """``PUT /settings/v3/users/{userId}``: first and last name, role and teams (``PublicUserUpdate``); a Super
        Admin is made in HubSpot's settings only."""
        body = self._checked(body, UPDATE_FIELDS)
        with self.ctx.store.transaction():
            user = self.get(key, id_property)
            self._apply(user, body)
            self._save(user)
        return public(user)

    def remove(self, key: str, id_property: str | None = None) -> None:
        """``DELETE /settings/v3/users/{userId}``: the user is gone; their email may be provisioned again."""
        with self.ctx.store.transaction():
            self._save(self.get(key, id_property), deleted=True)

    def _checked(self, body: object, allowed: set[str]) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            why = " (a Super Admin is made in HubSpot's settings, not through this API)" if "superAdmin" in unknown \
                else ""
            raise errors.bad_request(f"Unrecognized field(s): {', '.join(unknown)}; allowed: "
                                     f"{', '.join(sorted(allowed))}{why}")
        for name in ("firstName", "lastName", "roleId", "primaryTeamId"):
            if name in body and body[name] is not None and not isinstance(body[name], str):
                raise errors.bad_request(f"{name} must be a string")
        role = body.get("roleId")
        if role and role not in {rid for rid, _, _ in ROLES}:
            raise errors.bad_request(f"Invalid roleId: {role} is not a role of this account (GET /settings/v3/users"
                                     "/roles lists them)")
        teams = {tid for tid, _ in TEAMS}
        secondary = body.get("secondaryTeamIds")
        if secondary is not None and not (isinstance(secondary, list) and all(isinstance(t, str) for t in secondary)):
            raise errors.bad_request("secondaryTeamIds must be a list of team ids")
        for team in [body.get("primaryTeamId")] + list(secondary or []):
            if team and team not in teams:
                raise errors.bad_request(f"Invalid team id: {team} is not a team of this account (GET /settings/v3/"
                                         "users/teams lists them)")
        return body

    @staticmethod
    def _apply(user: dict, body: dict) -> None:
        for name in ("firstName", "lastName"):
            if body.get(name) is not None:
                user[name] = body[name]
        if "roleId" in body:
            user.pop("roleId", None)
            user["roleIds"] = [body["roleId"]] if body["roleId"] else []
            if body["roleId"]:
                user["roleId"] = body["roleId"]
        if "primaryTeamId" in body:
            user.pop("primaryTeamId", None)
            if body["primaryTeamId"]:
                user["primaryTeamId"] = body["primaryTeamId"]
        if body.get("secondaryTeamIds") is not None:
            user["secondaryTeamIds"] = list(body["secondaryTeamIds"])

    def _save(self, user: dict, deleted: bool = False) -> None:
        self.ctx.store.put(Row(self.ctx.portal, KIND, int(user["id"]), user,
                               name_key=None if deleted else user["email"].lower(), active=not deleted,
                               deleted=deleted, updated_at=self.ctx.rt.clock.timestamp()))

    # -- writing (the admin routes: HubSpot's settings) --------------------------------------------
    def set_role_permission(self, role_id: str, granted: bool) -> dict:
        with self.ctx.store.transaction():
            role = self.role(role_id)
            role[APP_MARKETPLACE] = granted
            self.ctx.store.put(Row(self.ctx.portal, ROLE_KIND, int(role_id), {"id": role_id, APP_MARKETPLACE: granted},
                                   updated_at=self.ctx.rt.clock.timestamp()))
        return role

    def set_user_permissions(self, key: str, changes: dict) -> dict:
        """``changes``: ``appMarketplaceAccess`` (true, false, or null: as the user's roles say) and ``superAdmin``."""
        with self.ctx.store.transaction():
            user = self.get(key, "EMAIL" if "@" in key else None)
            if APP_MARKETPLACE in changes:
                user["sim"][APP_MARKETPLACE] = changes[APP_MARKETPLACE]
            if "superAdmin" in changes:
                user["superAdmin"] = changes["superAdmin"]
            self._save(user)
        return self.permissions(user)

    def sign_in(self, key: str) -> dict:
        """The simulated browser signs in as this user (an id, or an email); the user's permissions."""
        with self.ctx.store.transaction():
            user = self.get(key, "EMAIL" if "@" in key else None)
            tenant = self.ctx.store.tenant(self.ctx.portal)
            settings = dict(tenant["settings"]) if tenant else {}
            settings[SIGNED_IN] = user["id"]
            self.ctx.store.save_tenant_settings(self.ctx.portal, settings)
            self.ctx.settings = settings
        return self.permissions(user)


def public_role(role: dict) -> dict:
    """A role as the roles API answers it (``PublicPermissionSet``): no permissions."""
    return {"id": role["id"], "name": role["name"], "requiresBillingWrite": role["requiresBillingWrite"]}


def _valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return bool(local and at and "." in domain and not domain.startswith(".") and not domain.endswith(".")
                and " " not in email and "@" not in domain)
