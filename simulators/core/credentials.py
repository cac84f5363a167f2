"""Apps, access tokens and refresh tokens, on the virtual clock (OAuth 2.0 as both vendors do it).

A token belongs to one tenant, and so to one system: every check names the system asking
(``system=``), and a token, app or code of another system's tenant is unknown there. Lifetimes are
per system: QBO access tokens live 1 h; HubSpot OAuth access tokens live 30 minutes.

QBO refresh tokens as Intuit documents them (``Lifetimes.rotate_after`` / ``max_age``): a refresh
within 24 h of the refresh token's issue answers the same value, a later one a new value (the old
one then dies); each refresh moves the 100-day expiry on, never past 5 years after the first token
of the chain. A tenant may ask for strict rotation (a new value on every refresh).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .clock import Clock
from .storage import Store


class InvalidGrant(Exception):
    """The refresh token (or client) is unknown, revoked, rotated away or expired."""


class InvalidClient(Exception):
    """The client id / secret pair is wrong."""


@dataclass(frozen=True)
class Lifetimes:
    access: float
    refresh: float | None  # rolling: each refresh moves the expiry this far on
    rotate_after: float | None = None  # a refresh this long after the token's issue gets a new value
    max_age: float | None = None  # no refresh token of a chain outlives its first one's issue + this


ISSUED = "issuedAt"  # a refresh token's extra: when this value was issued
CHAIN = "chainStart"  # … and when the first token of its chain was (for max_age)


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a bearer token: ``ok`` or why not."""

    status: str  # ok | missing | malformed | unknown | expired | revoked
    tenant_id: str | None = None
    client_id: str | None = None
    extra: dict | None = None


def new_token(prefix: str, nbytes: int = 24) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


class Credentials:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def register_app(self, tenant_id: str, prefix: str = "AB", extra: dict | None = None) -> tuple[str, str]:
        """Create an app (client id + secret) installed on ``tenant_id``."""
        client_id = new_token(prefix, 18)
        secret = secrets.token_urlsafe(30)
        self.store.put_credential(client_id, "client", tenant_id, client_id, None, {"secret": secret, **(extra or {})})
        return client_id, secret

    def _of(self, cred: dict | None, system: str | None) -> dict | None:
        """``cred`` if it belongs to a tenant of ``system`` (any system when None), else None."""
        if cred is None or system is None:
            return cred
        return cred if self.store.tenant_system(cred["tenant_id"]) == system else None

    def check_client(self, client_id: str, secret: str, *, system: str | None = None) -> dict:
        app = self._of(self.store.credential(client_id), system)
        if app is None or app["kind"] != "client" or not isinstance(secret, str) \
                or not secrets.compare_digest(app["extra"]["secret"].encode(), secret.encode("utf-8", "replace")):
            raise InvalidClient(client_id)
        return app

    def issue(self, tenant_id: str, client_id: str, life: Lifetimes, extra: dict | None = None,
              chain_start: float | None = None) -> dict:
        """A new access + refresh token pair (``chain_start``: when the refresh token's chain began)."""
        now = self.clock.timestamp()
        access = new_token("eyJ", 90)
        refresh = new_token("RT1-", 30)
        extra = _without_chain(extra)
        self.store.put_credential(access, "access", tenant_id, client_id, now + life.access, extra)
        start = now if chain_start is None else chain_start
        refresh_expiry = _refresh_expiry(life, now, start)
        self.store.put_credential(refresh, "refresh", tenant_id, client_id, refresh_expiry,
                                  {**(extra or {}), ISSUED: now, CHAIN: start})
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(life.access),
            "x_refresh_token_expires_in": int(refresh_expiry - now) if refresh_expiry is not None else None,
        }

    def issue_access(self, tenant_id: str, client_id: str, seconds: float | None, extra: dict | None = None,
                     prefix: str = "eyJ") -> str:
        """A lone access token (HubSpot private-app tokens never expire: ``seconds=None``)."""
        token = new_token(prefix, 40)
        expiry = self.clock.timestamp() + seconds if seconds else None
        self.store.put_credential(token, "access", tenant_id, client_id, expiry, extra)
        return token

    def issue_code(self, client_id: str, redirect_uri: str, extra: dict | None = None, prefix: str = "AB", *,
                   system: str | None = None) -> dict:
        """An authorization code for the app's tenant: what the consent screen redirects back with.

        Raises InvalidClient for an unknown app. The code lives ten minutes and is good once.
        """
        app = self._of(self.store.credential(client_id), system)
        if app is None or app["kind"] != "client":
            raise InvalidClient(client_id)
        code = new_token(prefix, 30)
        self.store.put_credential(code, "code", app["tenant_id"], client_id, self.clock.timestamp() + 600,
                                  {"redirect_uri": redirect_uri, **(extra or {})})
        return {"code": code, "tenant_id": app["tenant_id"]}

    def redeem_code(self, client_id: str, code: str, redirect_uri: str | None, life: Lifetimes, *,
                    system: str | None = None) -> dict:
        """Exchange a code for a token pair; a used, expired or foreign code raises InvalidGrant.

        ``redirect_uri`` None skips the check (QBO does not enforce it here; HubSpot does).
        """
        with self.store.transaction():
            cred = self._of(self.store.credential(code), system)
            if cred is None or cred["kind"] != "code" or cred["revoked"] or cred["client_id"] != client_id \
                    or (cred["expires_at"] or 0) <= self.clock.timestamp():
                raise InvalidGrant(code)
            extra = dict(cred["extra"] or {})
            if redirect_uri is not None and extra.pop("redirect_uri", None) != redirect_uri:
                raise InvalidGrant(code)
            extra.pop("redirect_uri", None)
            self.store.revoke_credential(code)
            return self.issue(cred["tenant_id"], client_id, life, extra or None)

    def refresh_token(self, token: str, *, system: str | None = None) -> dict | None:
        """The live refresh token ``token`` of ``system`` (None: unknown there, revoked or expired)."""
        cred = self._of(self.store.credential(token), system)
        if cred is None or cred["kind"] != "refresh" or cred["revoked"]:
            return None
        if cred["expires_at"] is not None and cred["expires_at"] <= self.clock.timestamp():
            return None
        return cred

    def refresh(self, client_id: str, refresh_token: str, life: Lifetimes, rotate: bool = True, *,
                system: str | None = None, rotate_every: bool = False) -> dict:
        """Exchange a refresh token for a new access token.

        ``rotate`` (QBO): the refresh token gets a new value once ``life.rotate_after`` has passed since its
        issue (every time with ``rotate_every``), and the old one answers invalid_grant after; before that the
        same value comes back with its expiry moved on. Without it (HubSpot) the same long-lived refresh
        token comes back.
        """
        with self.store.transaction():
            cred = self.refresh_token(refresh_token, system=system)
            if cred is None or cred["client_id"] != client_id:
                raise InvalidGrant(refresh_token)
            extra = cred["extra"] or {}
            if not rotate:
                access = self.issue_access(cred["tenant_id"], client_id, life.access, _without_chain(extra))
                return {"access_token": access, "refresh_token": refresh_token, "expires_in": int(life.access)}
            now = self.clock.timestamp()
            issued = float(extra.get(ISSUED, 0.0))
            start = float(extra.get(CHAIN, issued))
            if not rotate_every and life.rotate_after is not None and now - issued < life.rotate_after:
                expiry = _refresh_expiry(life, now, start)
                self.store.set_credential_expiry(refresh_token, expiry)
                access = self.issue_access(cred["tenant_id"], client_id, life.access, _without_chain(extra))
                return {"access_token": access, "refresh_token": refresh_token, "expires_in": int(life.access),
                        "x_refresh_token_expires_in": int(expiry - now) if expiry is not None else None}
            self.store.revoke_credential(refresh_token)
            return self.issue(cred["tenant_id"], client_id, life, extra, chain_start=start)

    def revoke(self, token: str, *, system: str | None = None, client_id: str | None = None) -> bool:
        """Revoke ``token`` if it is ``system``'s (and, given ``client_id``, that app's); whether it was."""
        cred = self._of(self.store.credential(token), system)
        if cred is None or cred["kind"] not in ("access", "refresh") \
                or (client_id is not None and cred["client_id"] != client_id):
            return False
        self.store.revoke_credential(token)
        return True

    def check(self, token: str | None, *, system: str | None = None) -> TokenCheck:
        if not token:
            return TokenCheck("missing")
        if len(token) < 16 or len(token) > 4096:
            return TokenCheck("malformed")
        cred = self._of(self.store.credential(token), system)
        if cred is None or cred["kind"] != "access":
            return TokenCheck("unknown")
        base = {"tenant_id": cred["tenant_id"], "client_id": cred["client_id"], "extra": cred["extra"]}
        if cred["revoked"]:
            return TokenCheck("revoked", **base)
        if cred["expires_at"] is not None and cred["expires_at"] <= self.clock.timestamp():
            return TokenCheck("expired", **base)
        return TokenCheck("ok", **base)


def _without_chain(extra: dict | None) -> dict | None:
    """``extra`` without a refresh token's own bookkeeping (what an access token carries)."""
    if not extra or (ISSUED not in extra and CHAIN not in extra):
        return extra
    rest = {k: v for k, v in extra.items() if k not in (ISSUED, CHAIN)}
    return rest or None


def _refresh_expiry(life: Lifetimes, now: float, chain_start: float) -> float | None:
    """When a refresh token issued or refreshed at ``now`` expires: rolling, capped by the chain's max age."""
    if not life.refresh:
        return None
    expiry = now + life.refresh
    if life.max_age is not None:
        expiry = min(expiry, chain_start + life.max_age)
    return expiry
