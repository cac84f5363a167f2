"""The CRM owners API (``/crm/v3/owners``): the portal's users who can own records. Knows nothing of HTTP.

HubSpot makes owners from the account's users; no public API creates them. Every portal has two, made from its id
(so a seeded portal stays as it was): its super admin and a sales rep. More, and deactivated ones (``archived``),
come from the admin route ``POST /_sim/hubspot/<portalId>/owners``, as a person adds users in HubSpot's settings.
"""

from __future__ import annotations

import copy

from ..core.storage import Row
from . import errors
from .context import PortalContext

KIND = "owner"
CREATED = "2019-10-30T03:30:17.883Z"
BUILT_IN = (("Sandbox", "Admin", "admin"), ("Sales", "Rep", "sales"))  # first name, last name, e-mail local part
MAX_LIMIT = 500


def _ids(portal: str, n: int) -> tuple[str, int]:
    base = int(portal) % 1_000_000 if portal.isdigit() else 0
    return str(40_000_000 + base * 10 + n), 9_000_000 + base * 10 + n


class Owners:
    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx

    def _built_in(self) -> list[dict]:
        out = []
        for n, (first, last, local) in enumerate(BUILT_IN, start=1):
            owner_id, user_id = _ids(self.ctx.portal, n)
            out.append(_owner(owner_id, user_id, f"{local}@portal{self.ctx.portal}.hsqbo.example", first, last,
                              CREATED, archived=False))
        return out

    def all(self) -> list[dict]:
        stored = {r.data["id"]: r.data for r in self.ctx.store.select(self.ctx.portal, KIND)}
        return [stored.pop(o["id"], o) for o in self._built_in()] + sorted(stored.values(), key=lambda o: int(o["id"]))

    def page(self, email: str | None, limit: int, after: str | None, archived: bool) -> dict:
        if not 1 <= limit <= MAX_LIMIT:
            raise errors.bad_request(f"limit must be between 1 and {MAX_LIMIT}")
        found = [o for o in self.all() if o["archived"] == archived
                 and (not email or o["email"].lower() == email.lower())]
        start = int(after) if after and after.isdigit() else 0
        chunk = found[start:start + limit]
        out: dict = {"results": chunk}
        if start + limit < len(found):
            out["paging"] = {"next": {"after": str(start + limit),
                                      "link": f"?after={start + limit}&limit={limit}"}}
        return out

    def get(self, owner_id: str, id_property: str, archived: bool) -> dict:
        if id_property not in ("id", "userId"):
            raise errors.bad_request("idProperty must be id or userId")
        for o in self.all():
            key = str(o["userIdIncludingInactive"]) if id_property == "userId" else o["id"]
            if key == owner_id and o["archived"] == archived:
                return o
        raise errors.error(404, "OBJECT_NOT_FOUND", f"Owner with {id_property} {owner_id} not found",
                           context={"id": [owner_id]})

    def add(self, body: object) -> dict:
        """A user added to the portal (the admin route)."""
        if not isinstance(body, dict) or not isinstance(body.get("email"), str) or "@" not in body["email"]:
            raise errors.bad_request("email is required")
        if any(o["email"].lower() == body["email"].lower() for o in self.all()):
            raise errors.error(409, "CONFLICT", f"An owner with email {body['email']} already exists.")
        with self.ctx.store.transaction():
            n = self.ctx.store.next_value(self.ctx.portal, f"id:{KIND}", len(BUILT_IN) + 1)
            owner_id, user_id = _ids(self.ctx.portal, n)
            owner = _owner(owner_id, user_id, body["email"], str(body.get("firstName", "")),
                           str(body.get("lastName", "")), self.ctx.now(), archived=bool(body.get("archived")))
            owner["teams"] = [dict(t) for t in body.get("teams") or [] if isinstance(t, dict)]
            self.ctx.store.put(Row(self.ctx.portal, KIND, int(owner_id), owner,
                                   updated_at=self.ctx.rt.clock.timestamp()))
        return owner

    def set_archived(self, owner_id: str, archived: bool) -> dict:
        """A user deactivated (archived) or reactivated (the admin route)."""
        owner = next((o for o in self.all() if o["id"] == owner_id), None)
        if owner is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", f"Owner with id {owner_id} not found")
        owner = copy.deepcopy(owner)
        owner.update(archived=archived, updatedAt=self.ctx.now())
        owner["userId"] = None if archived else owner["userIdIncludingInactive"]
        self.ctx.store.put(Row(self.ctx.portal, KIND, int(owner_id), owner, updated_at=self.ctx.rt.clock.timestamp()))
        return owner


def _owner(owner_id: str, user_id: int, email: str, first: str, last: str, stamp: str, archived: bool) -> dict:
    return {"id": owner_id, "email": email, "type": "PERSON", "firstName": first, "lastName": last,
            "userId": None if archived else user_id, "userIdIncludingInactive": user_id, "createdAt": stamp,
            "updatedAt": stamp, "archived": archived, "teams": []}
