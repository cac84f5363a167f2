"""What starts a sync: an interval on the clock, Sync now, and webhooks from either system (A3).

The receiver verifies each system's signature, answers at once, and only *schedules* the records
an event names; the next pass re-reads them by id. Re-reading (instead of trusting the event's
payload) is what makes duplicated, reordered or delayed deliveries harmless (edge case 17), and the
interval pass catches any delivery that never comes (edge case 18).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.serving import make_server

from .pairs import PAIRS
from .state import HUBSPOT, QUICKBOOKS

if TYPE_CHECKING:
    from .engine import Engine, PassReport



def pair_of_qbo_entity(entity: str) -> str | None:
    """The pair a QBO webhook entity name ("Customer") belongs to."""
    return next((name for name, p in PAIRS.items() if p.qbo_entity == entity), None)


def pair_of_hubspot_object(kind: str) -> str | None:
    """The pair a HubSpot subscription's object ("contact" of "contact.creation") belongs to."""
    return next((name for name, p in PAIRS.items() if p.hubspot_webhook == kind), None)

HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000  # HubSpot: reject v3 signatures older than five minutes


class Scheduler:
    """Runs a pass when the interval is due, and work scheduled by webhooks at once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.interval = timedelta(minutes=engine.settings.interval_minutes)
        self.next_run = engine.clock.now()

    def tick(self) -> PassReport | None:
        """Call often; runs what is due and returns its report, else None."""
        now = self.engine.clock.now()
        if now >= self.next_run:
            self.next_run = now + self.interval
            return self.engine.run_pass()
        if self.engine.has_notifications():
            return self.engine.run_notifications()
        return None


def verify_quickbooks(body: bytes, signature: str, verifier: str) -> bool:
    """``intuit-signature``: base64 HMAC-SHA256 of the raw body keyed by the app's verifier token."""
    expected = base64.b64encode(hmac.new(verifier.encode(), body, hashlib.sha256).digest()).decode()
    return bool(signature) and hmac.compare_digest(expected, signature)


def verify_hubspot(method: str, uri: str, body: bytes, timestamp: str, signature: str, secret: str,
                   now_ms: int) -> bool:
    """``X-HubSpot-Signature-v3``: base64 HMAC-SHA256 of method + URI + body + timestamp, recent enough."""
    if not timestamp.isdigit() or abs(now_ms - int(timestamp)) > HUBSPOT_MAX_AGE_MS:
        return False
    message = method.encode() + uri.encode() + body + timestamp.encode()
    expected = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    return bool(signature) and hmac.compare_digest(expected, signature)


def quickbooks_events(payload: object) -> list[tuple[str, str, bool]]:
    """(pair, id, deleted) of a QBO delivery, legacy or CloudEvents."""
    out = []
    if isinstance(payload, dict):
        for note in payload.get("eventNotifications", []):
            for e in (note.get("dataChangeEvent") or {}).get("entities", []):
                pair = pair_of_qbo_entity(e.get("name", ""))
                if pair:
                    out.append((pair, str(e.get("id")), e.get("operation") == "Delete"))
    elif isinstance(payload, list):
        for e in payload:
            parts = str(e.get("type", "")).split(".")  # qbo.customer.updated.v1
            pair = pair_of_qbo_entity(parts[1].capitalize()) if len(parts) > 2 else None
            if pair:
                out.append((pair, str(e.get("intuitentityid")), parts[2] == "deleted"))
    return out


def merges(side: str, payload: object) -> list[tuple[str, str, str]]:
    """(pair, merged-away id, surviving id) of a delivery: QBO's ``Merge`` operation names the survivor and
    its ``deletedId``; HubSpot's ``*.merge`` event its ``objectId`` and ``mergedObjectIds`` (edge cases 46, 47)."""
    out = []
    if side == QUICKBOOKS and isinstance(payload, dict):
        for note in payload.get("eventNotifications", []):
            for e in (note.get("dataChangeEvent") or {}).get("entities", []):
                pair = pair_of_qbo_entity(e.get("name", ""))
                if pair and e.get("operation") == "Merge" and e.get("deletedId"):
                    out.append((pair, str(e["deletedId"]), str(e.get("id"))))
    elif side == HUBSPOT and isinstance(payload, list):
        for e in payload:
            kind, _, change = str(e.get("subscriptionType", "")).partition(".")
            pair = pair_of_hubspot_object(kind)
            if pair and change == "merge":
                out += [(pair, str(m), str(e.get("objectId"))) for m in e.get("mergedObjectIds") or []]
    return out


def hubspot_events(payload: object) -> list[tuple[str, str, bool]]:
    """(pair, id, deleted) of a HubSpot delivery (an array of events)."""
    out = []
    for e in payload if isinstance(payload, list) else []:
        kind, _, change = str(e.get("subscriptionType", "")).partition(".")
        pair = pair_of_hubspot_object(kind)
        if pair:
            out.append((pair, str(e.get("objectId")), change in ("deletion", "privacyDeletion")))
            for merged in e.get("mergedObjectIds") or []:  # the merged-away record is archived
                out.append((pair, str(merged), True))
    return out


def create_receiver(engine: Engine) -> Flask:
    """A Flask app with ``POST /webhooks/quickbooks`` and ``POST /webhooks/hubspot``."""
    app = Flask("hsqbo.sync.webhooks")
    settings = engine.settings

    @app.post("/webhooks/quickbooks")
    def quickbooks() -> Response:
        body = request.get_data()
        verifier = settings.quickbooks_webhook_verifier or ""
        if not verify_quickbooks(body, request.headers.get("intuit-signature", ""), verifier):
            return Response("bad signature", status=401)
        payload = json.loads(body or b"null")
        engine.repoint(QUICKBOOKS, merges(QUICKBOOKS, payload))
        engine.notify(QUICKBOOKS, quickbooks_events(payload))
        return Response(status=200)

    @app.post("/webhooks/hubspot")
    def hubspot() -> Response:
        body = request.get_data()
        secret = settings.hubspot.client_secret_for_webhooks or settings.hubspot.client_secret or ""
        now_ms = int(engine.clock.now().timestamp() * 1000)
        if not verify_hubspot(request.method, request.url, body, request.headers.get("X-HubSpot-Request-Timestamp", ""),
                              request.headers.get("X-HubSpot-Signature-v3", ""), secret, now_ms):
            return Response("bad signature", status=401)
        payload = json.loads(body or b"null")
        engine.repoint(HUBSPOT, merges(HUBSPOT, payload))
        engine.notify(HUBSPOT, hubspot_events(payload))
        return Response(status=200)

    return app


class ReceiverServer:
    """The receiver served on ``host:port`` from a thread (port 0 picks a free one), for ``hsqbo sync --watch``."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = make_server(host, port, create_receiver(engine), threaded=True)
        self.host, self.port = host, self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="hsqbo-receiver", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ReceiverServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()  # returns once serve_forever has stopped
        self.server.server_close()
        self._thread.join(timeout=5)
