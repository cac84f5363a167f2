"""QBO as a system plugged into the shared core: auth, throttling, OAuth, webhooks, tenants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import UTC, datetime

from flask import Request, Response

from ..core.credentials import Lifetimes
from ..core.ratelimit import Window
from ..core.runtime import Runtime
from ..core.webhooks import add_subscription, subscriptions
from . import errors
from .company import Company
from .tenant import create_company

NAME = "quickbooks"
# 1 h; 100 days, rolling; the same refresh-token value for 24 h after its issue, then a new one; 5 years at most
LIFETIMES = Lifetimes(access=3600, refresh=100 * 24 * 3600, rotate_after=24 * 3600, max_age=5 * 365 * 24 * 3600)
STRICT_ROTATION = "rotateRefreshTokenOnEveryRefresh"  # tenant option: a new refresh-token value on every refresh
REALM_PATH = re.compile(r"^/v3/company/([^/]+)(/.*)?$")
# Throttles as Intuit documents them (per realm, per realm+app, concurrency, batch).
PER_REALM = [Window("realm-minute", 500, 60)]
PER_APP = [Window("app-second", 10, 1)]
BATCH_PER_REALM = [Window("batch-realm-minute", 120, 60)]
BATCH_PER_APP = [Window("batch-app-minute", 40, 60)]
MAX_CONCURRENT = 10
WEBHOOK_RETRIES = (20 * 60, 30 * 60, 50 * 60)  # retry schedule UNCONFIRMED in public docs
CLOUDEVENT_OPS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided",
                  "Merge": "merged", "Emailed": "emailed"}


def json_response(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class QuickBooks:
    name = NAME

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    # -- the core's hooks ----------------------------------------------------------------------
    def tenant_of(self, request: Request) -> str | None:
        m = REALM_PATH.match(request.path)
        return m.group(1) if m else None

    def guard(self, request: Request) -> Response | None:
        realm = self.tenant_of(request)
        if realm is None:
            return None  # discovery and token endpoints: no bearer token needed
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        check = self.rt.credentials.check(token, system=NAME)
        if check.status != "ok":
            detail = {"missing": None, "malformed": "Malformed bearer token: too short or too long",
                      "expired": f"Token expired: {(token or '')[:12]}",
                      "revoked": "Token revoked", "unknown": "Token invalid"}[check.status]
            return json_response(errors.auth_failure_body(detail), 401)
        if check.tenant_id != realm:
            xml = errors.REALM_MISMATCH_XML.format(time=self._time(realm))
            return Response(xml, status=401, mimetype="application/xml")
        request.environ["hsqbo.client"] = check.client_id
        is_batch = request.path.rstrip("/").endswith("/batch")
        verdict = self.rt.limits.hit((NAME, realm), PER_REALM + (BATCH_PER_REALM if is_batch else []))
        if verdict.allowed:
            verdict = self.rt.limits.hit((NAME, realm, check.client_id), PER_APP + (BATCH_PER_APP if is_batch else []))
        if not verdict.allowed:
            return self._fault(errors.throttled(), realm)
        if not self.rt.limits.enter((NAME, realm, check.client_id), MAX_CONCURRENT):
            return self._fault(errors.throttled(), realm)
        request.environ["hsqbo.slot"] = (NAME, realm, check.client_id)
        return None

    def release(self, request: Request) -> None:
        slot = request.environ.pop("hsqbo.slot", None)
        if slot:
            self.rt.limits.leave(slot)

    def error_response(self, status: int, body: object | None = None) -> Response:
        if body is not None:
            return json_response(body, status)
        if status == 401:
            return json_response(errors.auth_failure_body("Token expired"), 401)
        if status == 429:
            return self._fault(errors.throttled(), None)
        err = errors.system_failure(status)
        return self._fault(err, None)

    # -- responses -----------------------------------------------------------------------------
    def _time(self, realm: str | None) -> str:
        if realm and self.rt.store.tenant(realm):
            return Company(self.rt, realm).envelope_time()
        return datetime.now(UTC).isoformat()

    def _fault(self, err: errors.QBOError, realm: str | None) -> Response:
        return json_response({"Fault": err.fault(), "time": self._time(realm)}, err.status)

    # -- tenants -------------------------------------------------------------------------------
    def create_tenant(self, options: dict) -> dict:
        seed = options.get("seed", "sample")
        if seed not in ("sample", "empty", "intuit-sample"):
            raise ValueError("seed must be 'sample', 'empty' or 'intuit-sample'")
        if seed == "intuit-sample" and str(options.get("country", "US")).upper() != "US":
            raise ValueError("the intuit-sample company is a US company")
        if seed == "intuit-sample":  # the sample company's sales forms carry the custom field "Crew #"
            options = {"customFields": ["Crew #"], **options}
        realm = create_company(self.rt, options)
        if seed == "sample":
            from .seed import seed_sample

            seed_sample(self.rt, realm, int(options.get("seedNumber", 0)))
        elif seed == "intuit-sample":
            from .sample_company import seed_intuit_sample

            seed_intuit_sample(self.rt, realm)
        client_id, secret = self.rt.credentials.register_app(realm, "AB", {"verifier": secrets.token_hex(16)})
        tokens = self.rt.credentials.issue(realm, client_id, LIFETIMES)
        verifier = self.rt.store.credential(client_id)["extra"]["verifier"]
        return {"realmId": realm, "clientId": client_id, "clientSecret": secret,
                "accessToken": tokens["access_token"], "refreshToken": tokens["refresh_token"],
                "verifierToken": verifier}

    def state(self, tenant_id: str) -> dict:
        t = self.rt.store.tenant(tenant_id)
        counts = {}
        from .entities import TYPES

        for name in TYPES:
            n = self.rt.store.count(tenant_id, name)
            if n:
                counts[name] = n
        return {"realmId": tenant_id, "settings": t["settings"], "counts": counts}

    # -- webhooks ------------------------------------------------------------------------------
    def subscribe(self, tenant_id: str, url: str, options: dict) -> dict:
        fmt = options.get("format", "legacy")
        if fmt not in ("legacy", "cloudevents"):
            raise ValueError("format must be 'legacy' or 'cloudevents'")
        sub = {"id": uuid.uuid4().hex[:8], "url": url, "format": fmt, "entities": options.get("entities")}
        return add_subscription(self.rt.store, tenant_id, sub)

    def publish(self, realm: str, events: list[dict]) -> None:
        """Queue one signed delivery per subscription for the events of one request."""
        if not events:
            return
        subs = subscriptions(self.rt.store, realm)
        if not subs:
            return
        verifier = self._verifier(realm)
        for sub in subs:
            chosen = [e for e in events if not sub.get("entities") or e["name"] in sub["entities"]]
            if not chosen:
                continue
            if sub["format"] == "cloudevents":
                payload = [self._cloudevent(realm, e) for e in chosen]
            else:
                payload = {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": chosen}}]}
            body = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json", "intuit-signature": sign(body, verifier)}
            self.rt.outbox.enqueue(NAME, realm, sub["url"], headers, body, WEBHOOK_RETRIES)

    def _cloudevent(self, realm: str, event: dict) -> dict:
        op = CLOUDEVENT_OPS.get(event["operation"], event["operation"].lower())
        return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": f"intuit.{realm}",
                "type": f"qbo.{event['name'].lower()}.{op}.v1", "datacontenttype": "application/json",
                "time": self.rt.clock.now().isoformat().replace("+00:00", "Z"),
                "intuitentityid": event["id"], "intuitaccountid": realm, "data": {}}

    def _verifier(self, realm: str) -> str:
        apps = self.rt.store.credentials_of(realm, "client")
        return apps[0]["extra"].get("verifier", "") if apps else ""


def sign(body: bytes, verifier_token: str) -> str:
    """``intuit-signature``: base64 HMAC-SHA256 of the raw body, keyed with the verifier token."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
