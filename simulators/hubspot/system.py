"""HubSpot as a system plugged into the shared core: auth with scopes, tiered limits, webhooks v3.

The top of the package with api.py: it may import any module below it (tenant.py to make portals, webhooks.py for
the app's subscriptions), and none of them imports it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from flask import Request, Response

from ..core.credentials import TokenCheck
from ..core.pipeline import RESPONSE_HEADERS
from ..core.ratelimit import Window
from ..core.runtime import Runtime
from ..core.webhooks import add_subscription, subscriptions
from . import errors
from .account import TIERS
from .catalog import OBJECT_TYPES, resolve_type
from .tenant import create_portal
from .webhooks import app_deliveries

NAME = "hubspot"
OAUTH_BURST = 100  # OAuth apps: 100 per 10 s, no daily cap (private apps: per tier, account.TIERS)
SEARCH_PER_SECOND = 5
OPEN_PATHS = ("/oauth/", "/_sim")
DEVELOPER_PATHS = ("/webhooks/v3/",)
OBJECT_PATH = re.compile(r"^/crm/v[34]/(?:objects|properties|associations)/([^/]+)")
USERS_PATH = "/settings/v3/users"
PIPELINE_PATH = re.compile(r"^/crm/v3/pipelines/([^/]+)")
READ_SUFFIXES = ("/search", "/batch/read")
WEBHOOK_RETRIES = (60, 300, 900, 3600)  # HubSpot retries up to 10 times over 24 h (schedule unpublished)


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def required_scope(request: Request) -> list[str] | None:
    """The scopes a request needs: any one of them is enough (None: no scope check)."""
    if request.path.startswith("/crm/v3/owners"):
        return ["crm.objects.owners.read"]
    if request.path.startswith(USERS_PATH):  # the user provisioning spec's security lists
        if request.path.startswith(f"{USERS_PATH}/teams"):
            return ["settings.users.teams.read"]
        if request.method == "GET":
            return ["settings.users.read", "crm.objects.users.read"]
        return ["settings.users.write", "crm.objects.users.write"]
    piped = PIPELINE_PATH.match(request.path)
    if piped:  # a pipeline is read and written with its object type's scopes; tickets have one scope
        kind = resolve_type(piped.group(1))
        action = "read" if request.method == "GET" else "write"
        if piped.group(1).lower() in ("tickets", "0-5"):
            return ["tickets"]
        return [f"{kind.scope}.{action}"] if kind is not None else None
    m = OBJECT_PATH.match(request.path)
    if not m:
        return None
    otype = resolve_type(m.group(1))
    if otype is None:
        return None
    reading = request.method == "GET" or request.path.endswith(READ_SUFFIXES)
    action = "read" if reading else "write"
    if request.path.startswith("/crm/v3/properties"):
        return [f"crm.schemas.{otype.name}.{action}", f"{otype.scope}.{action}"]
    scopes = [f"{otype.scope}.{action}"]
    if otype.name in ("products", "line_items", "quotes"):
        scopes.append("e-commerce")
    return scopes


CHECKED = "hsqbo.hubspot.token"  # WSGI environ key: (bearer token, its check), once per request


class HubSpot:
    name = NAME

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    # -- the core's hooks ----------------------------------------------------------------------
    def tenant_of(self, request: Request) -> str | None:
        return self._check(request).tenant_id  # None without a token (a "missing" check)

    def _check(self, request: Request) -> TokenCheck:
        """The request's bearer token checked once: the pipeline asks for its tenant, then guards it."""
        token = _bearer(request)
        kept = request.environ.get(CHECKED)
        if kept is None or kept[0] != token:
            kept = request.environ[CHECKED] = (token, self.rt.credentials.check(token, system=NAME))
        return kept[1]

    def guard(self, request: Request) -> Response | None:
        if request.path.startswith(OPEN_PATHS):
            return None
        if request.path.startswith(DEVELOPER_PATHS):
            return self._developer(request)
        check = self._check(request)
        if check.status == "expired":
            cred = self.rt.store.credential(_bearer(request) or "")
            ago = int(self.rt.clock.timestamp() - (cred or {}).get("expires_at", 0))
            return _refuse(errors.expired(max(ago, 0)))
        if check.status != "ok":
            return _refuse(errors.unauthenticated())
        needed = required_scope(request)
        granted = set((check.extra or {}).get("scopes", []))
        if needed and not granted.intersection(needed):
            return _refuse(errors.missing_scopes(needed))
        request.environ["hsqbo.portal"] = check.tenant_id
        return self._throttle(request, check.tenant_id, check.client_id, (check.extra or {}).get("kind"))

    def _developer(self, request: Request) -> Response | None:
        """App-level APIs authenticate with the developer account's key (``?hapikey=``), not a portal token: the
        key of the app named in the path (``/webhooks/v3/<appId>/…``), not another developer's."""
        key = request.args.get("hapikey", "")
        app_id = request.path[len(DEVELOPER_PATHS[0]):].split("/", 1)[0]
        for portal in self.rt.store.tenant_ids(NAME):
            app = self.rt.store.tenant(portal)["settings"].get("app", {})
            if key and app.get("developerApiKey") == key and str(app.get("appId")) == app_id:
                request.environ["hsqbo.portal"] = portal
                return None
        return _refuse(errors.unauthenticated())

    def _throttle(self, request: Request, portal: str, client: str, kind: str | None) -> Response | None:
        limits = self.rt.limits
        if request.path.endswith("/search"):
            verdict = limits.hit((NAME, portal, "search"), [Window("SECONDLY", SEARCH_PER_SECOND, 1)])
            if not verdict.allowed:
                return _refuse(errors.rate_limited("SECONDLY", "You have reached your secondly limit."))
            return None  # search is exempt from the ten-secondly limit and carries no limit headers
        settings = self.rt.store.tenant(portal)["settings"]
        burst, daily = TIERS.get(settings.get("tier", "starter"), TIERS["starter"])
        if kind == "oauth":
            windows = [Window("TEN_SECONDLY_ROLLING", OAUTH_BURST, 10)]
        else:
            windows = [Window("TEN_SECONDLY_ROLLING", burst, 10), Window("DAILY", daily, 86_400)]
        verdict = limits.hit((NAME, portal, client), windows)
        if not verdict.allowed:
            policy = verdict.window.name
            message = ("You have reached your daily limit." if policy == "DAILY"
                       else "You have reached your ten_secondly_rolling limit.")
            return _refuse(errors.rate_limited(policy, message))
        used = limits.used((NAME, portal, client), windows)
        headers = {"X-HubSpot-RateLimit-Max": str(windows[0].limit),
                   "X-HubSpot-RateLimit-Remaining": str(max(0, windows[0].limit - used[0])),
                   "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
        if kind != "oauth":
            headers["X-HubSpot-RateLimit-Daily"] = str(daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, daily - used[1]))
        request.environ[RESPONSE_HEADERS] = headers
        return None

    def release(self, request: Request) -> None:
        return None

    def error_response(self, status: int, body: object | None = None) -> Response:
        if body is not None:
            return json_response(body, status)
        if status == 429:
            err = errors.rate_limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")
        elif status == 401:
            err = errors.unauthenticated()
        else:
            err = errors.internal(status)
        return _refuse(err, status)

    # -- tenants -------------------------------------------------------------------------------
    def create_tenant(self, options: dict) -> dict:
        return create_portal(self.rt, options)

    def state(self, tenant_id: str) -> dict:
        t = self.rt.store.tenant(tenant_id)
        counts = {name: n for name in OBJECT_TYPES if (n := self.rt.store.count(tenant_id, name))}
        return {"portalId": tenant_id, "settings": t["settings"], "counts": counts}

    # -- webhooks v3 -----------------------------------------------------------------------------
    def subscribe(self, tenant_id: str, url: str, options: dict) -> dict:
        events = options.get("eventTypes") or options.get("subscriptions")
        if events is not None and not (isinstance(events, list) and all(isinstance(e, str) for e in events)):
            raise ValueError("eventTypes must be a list of subscription types such as 'contact.creation'")
        sub = {"id": len(subscriptions(self.rt.store, tenant_id)) + 1, "url": url, "eventTypes": events}
        return add_subscription(self.rt.store, tenant_id, sub)

    def publish(self, portal: str, events: list[dict]) -> None:
        """Queue signed deliveries (arrays of at most 100 events) for the events of one request.

        Two kinds of subscriber: URLs subscribed through the admin API (every listed event type), and the app's own
        Webhooks v3 subscriptions, delivered to its target URL.
        """
        t = self.rt.store.tenant(portal) if events else None
        if t is None:
            return
        app = t["settings"].get("app", {})
        deliveries = [(sub["url"], [dict(e, subscriptionId=sub["id"]) for e in events
                                    if not sub.get("eventTypes") or e["subscriptionType"] in sub["eventTypes"]])
                      for sub in subscriptions(self.rt.store, portal)]
        own = app_deliveries(app, events)
        if own is not None:
            deliveries.append(own)
        for url, chosen in deliveries:
            chosen = [dict(e, portalId=int(portal), appId=int(app.get("appId", 0)), attemptNumber=0) for e in chosen]
            for start in range(0, len(chosen), 100):
                body = json.dumps(chosen[start:start + 100]).encode()
                timestamp = str(int(self.rt.clock.timestamp() * 1000))
                headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
                           "X-HubSpot-Signature-v3": sign_v3(app.get("clientSecret", ""), "POST", url, body,
                                                             timestamp),
                           "X-HubSpot-Signature-Version": "v3"}
                self.rt.outbox.enqueue(NAME, portal, url, headers, body, WEBHOOK_RETRIES)


def sign_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """``X-HubSpot-Signature-v3``: base64 HMAC-SHA256 of method + URI + body + timestamp, keyed by the app secret."""
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _refuse(err: errors.HubSpotError, status: int | None = None) -> Response:
    return json_response(err.body, status or err.status, err.headers)
