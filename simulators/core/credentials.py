"""Apps, access tokens and refresh tokens, on the virtual clock (OAuth 2.0 as both vendors do it).

A token belongs to one tenant. Lifetimes are per system: QBO access tokens live 1 h and
refresh tokens 100 days (rolling); HubSpot OAuth access tokens live 30 minutes.
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
    refresh: float | None


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

    def check_client(self, client_id: str, secret: str) -> dict:
        app = self.store.credential(client_id)
        if app is None or app["kind"] != "client" or not secrets.compare_digest(app["extra"]["secret"], secret):
            raise InvalidClient(client_id)
        return app

    def issue(self, tenant_id: str, client_id: str, life: Lifetimes, extra: dict | None = None) -> dict:
        """A new access + refresh token pair."""
        now = self.clock.timestamp()
        access = new_token("eyJ", 90)
        refresh = new_token("RT1-", 30)
        self.store.put_credential(access, "access", tenant_id, client_id, now + life.access, extra)
        refresh_expiry = now + life.refresh if life.refresh else None
        self.store.put_credential(refresh, "refresh", tenant_id, client_id, refresh_expiry, extra)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(life.access),
            "x_refresh_token_expires_in": int(life.refresh) if life.refresh else None,
        }

    def issue_access(self, tenant_id: str, client_id: str, seconds: float | None, extra: dict | None = None,
                     prefix: str = "eyJ") -> str:
        """A lone access token (HubSpot private-app tokens never expire: ``seconds=None``)."""
        token = new_token(prefix, 40)
        expiry = self.clock.timestamp() + seconds if seconds else None
        self.store.put_credential(token, "access", tenant_id, client_id, expiry, extra)
        return token

    def issue_code(self, client_id: str, redirect_uri: str, extra: dict | None = None, prefix: str = "AB") -> dict:
        """An authorization code for the app's tenant: what the consent screen redirects back with.

        Raises InvalidClient for an unknown app. The code lives ten minutes and is good once.
        """
        app = self.store.credential(client_id)
        if app is None or app["kind"] != "client":
            raise InvalidClient(client_id)
        code = new_token(prefix, 30)
        self.store.put_credential(code, "code", app["tenant_id"], client_id, self.clock.timestamp() + 600,
                                  {"redirect_uri": redirect_uri, **(extra or {})})
        return {"code": code, "tenant_id": app["tenant_id"]}

    def redeem_code(self, client_id: str, code: str, redirect_uri: str | None, life: Lifetimes) -> dict:
        """Exchange a code for a token pair; a used, expired or foreign code raises InvalidGrant.

        ``redirect_uri`` None skips the check (QBO does not enforce it here; HubSpot does).
        """
        with self.store.transaction():
            cred = self.store.credential(code)
            if cred is None or cred["kind"] != "code" or cred["revoked"] or cred["client_id"] != client_id \
                    or (cred["expires_at"] or 0) <= self.clock.timestamp():
                raise InvalidGrant(code)
            extra = dict(cred["extra"] or {})
            if redirect_uri is not None and extra.pop("redirect_uri", None) != redirect_uri:
                raise InvalidGrant(code)
            extra.pop("redirect_uri", None)
            self.store.revoke_credential(code)
            return self.issue(cred["tenant_id"], client_id, life, extra or None)

    def refresh(self, client_id: str, refresh_token: str, life: Lifetimes, rotate: bool = True) -> dict:
        """Exchange a refresh token for a new access token.

        ``rotate`` (QBO): the refresh token is replaced and the old one answers invalid_grant after.
        Without it (HubSpot) the same long-lived refresh token comes back.
        """
        with self.store.transaction():
            cred = self.store.credential(refresh_token)
            if cred is None or cred["kind"] != "refresh" or cred["client_id"] != client_id or cred["revoked"]:
                raise InvalidGrant(refresh_token)
            if cred["expires_at"] is not None and cred["expires_at"] <= self.clock.timestamp():
                raise InvalidGrant(refresh_token)
            if not rotate:
                access = self.issue_access(cred["tenant_id"], client_id, life.access, cred["extra"])
                return {"access_token": access, "refresh_token": refresh_token, "expires_in": int(life.access)}
            self.store.revoke_credential(refresh_token)
            return self.issue(cred["tenant_id"], client_id, life, cred["extra"])

    def revoke(self, token: str) -> bool:
        cred = self.store.credential(token)
        if cred is None:
            return False
        self.store.revoke_credential(token)
        return True

    def check(self, token: str | None) -> TokenCheck:
        if not token:
            return TokenCheck("missing")
        if len(token) < 16 or len(token) > 4096:
            return TokenCheck("malformed")
        cred = self.store.credential(token)
        if cred is None or cred["kind"] != "access":
            return TokenCheck("unknown")
        base = {"tenant_id": cred["tenant_id"], "client_id": cred["client_id"], "extra": cred["extra"]}
        if cred["revoked"]:
            return TokenCheck("revoked", **base)
        if cred["expires_at"] is not None and cred["expires_at"] <= self.clock.timestamp():
            return TokenCheck("expired", **base)
        return TokenCheck("ok", **base)
