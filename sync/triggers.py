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
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.serving import make_server

from .clock import Clock
from .pairs import PAIRS
from .state import HUBSPOT, QUICKBOOKS

if TYPE_CHECKING:
    from .engine import Engine, PassReport

MAX_BODY = 1024 * 1024  # bytes: a delivery larger than this is refused before it is read (HubSpot batches ≤ 100 events)



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


def _other_realm(realm: str | None, named: object) -> bool:
    """An event of another QBO company: Intuit batches one app's events across every company it is connected to,
    so a delivery may name companies this sync does not sync (an id of theirs is not one of ours)."""
    return realm is not None and named is not None and str(named) != realm


def quickbooks_events(payload: object, realm: str | None = None) -> list[tuple[str, str, bool]]:
    """(pair, id, deleted) of a QBO delivery, legacy or CloudEvents; ``realm``: only that company's."""
    out = []
    if isinstance(payload, dict):
        for note in payload.get("eventNotifications", []):
            if _other_realm(realm, note.get("realmId")):
                continue
            for e in (note.get("dataChangeEvent") or {}).get("entities", []):
                pair = pair_of_qbo_entity(e.get("name", ""))
                if pair:
                    out.append((pair, str(e.get("id")), e.get("operation") == "Delete"))
    elif isinstance(payload, list):
        for e in payload:
            if _other_realm(realm, e.get("intuitaccountid")):
                continue
            parts = str(e.get("type", "")).split(".")  # qbo.customer.updated.v1
            pair = pair_of_qbo_entity(parts[1].capitalize()) if len(parts) > 2 else None
            if pair:
                out.append((pair, str(e.get("intuitentityid")), parts[2] == "deleted"))
    return out


def merges(side: str, payload: object, realm: str | None = None) -> list[tuple[str, str, str]]:
    """(pair, merged-away id, surviving id) of a delivery: QBO's ``Merge`` operation names the survivor and
    its ``deletedId``; HubSpot's ``*.merge`` event its ``objectId`` and ``mergedObjectIds`` (edge cases 46, 47)."""
    out = []
    if side == QUICKBOOKS and isinstance(payload, dict):
        for note in payload.get("eventNotifications", []):
            if _other_realm(realm, note.get("realmId")):
                continue
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


class ServerClock:
    """The time of the server at ``url``, read from its answers' ``Date`` header (RFC 9110: the origin's clock).

    HubSpot signs a delivery's ``X-HubSpot-Request-Timestamp`` on its own clock: against the simulators that
    is their virtual clock, which a test may have moved days on, so the receiver checks the five-minute
    window on this clock. Against api.hubapi.com it is the wall clock give or take a second. The offset is
    read on first use and again (at most every ``refresh_seconds``) when a delivery falls outside the window.
    """

    def __init__(self, url: str, refresh_seconds: float = 5.0) -> None:
        self.url = url.rstrip("/") + "/"
        self.refresh_seconds = refresh_seconds
        self._offset: float | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._offset is None:
                self._read()
            return datetime.fromtimestamp(time.time() + (self._offset or 0.0), UTC)

    def refresh(self) -> bool:
        """Read the offset again unless it was read moments ago; whether it was read."""
        with self._lock:
            if time.monotonic() - self._read_at < self.refresh_seconds:
                return False
            self._read()
            return True

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def _read(self) -> None:
        import requests  # the receiver's own import: the engine's clients import it anyway

        self._read_at = time.monotonic()
        try:
            date = requests.get(self.url, timeout=5).headers.get("Date")
            self._offset = parsedate_to_datetime(date).timestamp() - time.time() if date else 0.0
        except (requests.RequestException, TypeError, ValueError):
            self._offset = self._offset or 0.0


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.response = Response(text, status=status, mimetype="text/plain")


def _bounded_body() -> bytes:
    """The request's body, refused (413) before reading when it is larger than :data:`MAX_BODY`."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise _Refused(413, f"payload larger than {MAX_BODY} bytes")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise _Refused(413, f"payload larger than {MAX_BODY} bytes")
    return body


def _payload(body: bytes, valid: object) -> object:
    """The signed body's JSON, or 400 when it is not JSON or not the shape the system sends."""
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, RecursionError) as exc:
        raise _Refused(400, "malformed payload: not JSON") from exc
    if not valid(payload):  # type: ignore[operator]
        raise _Refused(400, "malformed payload: not a delivery's shape")
    return payload


def _is_id(value: object) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= 64) or (isinstance(value, int) and not isinstance(value, bool))


def valid_quickbooks_payload(payload: object) -> bool:
    """Intuit's legacy ``eventNotifications`` object or a CloudEvents array (``qbo-api-notes.md`` §8)."""
    if isinstance(payload, list):
        return all(isinstance(e, dict) and isinstance(e.get("type", ""), str) and _is_id(e.get("intuitentityid", "0"))
                   for e in payload)
    if not isinstance(payload, dict) or not isinstance(payload.get("eventNotifications", []), list):
        return False
    for note in payload.get("eventNotifications", []):
        change = note.get("dataChangeEvent", {}) if isinstance(note, dict) else None
        if not isinstance(change, dict):
            return False
        entities = change.get("entities", [])
        if not isinstance(entities, list):
            return False
        for e in entities:
            if not isinstance(e, dict) or not isinstance(e.get("name", ""), str) or not _is_id(e.get("id", "0")) \
                    or not isinstance(e.get("operation", ""), str) or ("deletedId" in e and not _is_id(e["deletedId"])):
                return False
    return True


def valid_hubspot_payload(payload: object) -> bool:
    """HubSpot's array of events (Webhooks v3)."""
    if not isinstance(payload, list):
        return False
    for e in payload:
        if not isinstance(e, dict) or not isinstance(e.get("subscriptionType", ""), str) \
                or not _is_id(e.get("objectId", 0)):
            return False
        merged = e.get("mergedObjectIds")
        if merged is not None and not (isinstance(merged, list) and all(_is_id(m) for m in merged)):
            return False
    return True


def create_receiver(engine: Engine, delivery_clock: Clock | None = None) -> Flask:
    """A Flask app with ``POST /webhooks/quickbooks`` and ``POST /webhooks/hubspot``.

    ``delivery_clock``: the clock HubSpot's signature timestamps are checked on (default: the engine's); a
    :class:`ServerClock` on the HubSpot API is re-read once when a delivery falls outside the window.
    Bodies over :data:`MAX_BODY` are refused unread (413); a validly signed body that is not a delivery 400.
    """
    app = Flask("hsqbo.sync.webhooks")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    settings = engine.settings
    clock = delivery_clock or engine.clock
    realm = str(settings.quickbooks.realm_id) if settings.quickbooks.realm_id else None  # its events only

    @app.errorhandler(_Refused)
    def _refused(exc: _Refused) -> Response:
        return exc.response

    @app.post("/webhooks/quickbooks")
    def quickbooks() -> Response:
        body = _bounded_body()
        verifier = settings.quickbooks_webhook_verifier or ""
        if not verify_quickbooks(body, request.headers.get("intuit-signature", ""), verifier):
            return Response("bad signature", status=401)
        payload = _payload(body, valid_quickbooks_payload)
        engine.repoint(QUICKBOOKS, merges(QUICKBOOKS, payload, realm))
        engine.notify(QUICKBOOKS, quickbooks_events(payload, realm))
        return Response(status=200)

    @app.post("/webhooks/hubspot")
    def hubspot() -> Response:
        body = _bounded_body()
        secret = settings.hubspot.client_secret_for_webhooks or settings.hubspot.client_secret or ""
        stamp = request.headers.get("X-HubSpot-Request-Timestamp", "")
        signature = request.headers.get("X-HubSpot-Signature-v3", "")

        def verified() -> bool:
            now_ms = int(clock.now().timestamp() * 1000)
            return verify_hubspot(request.method, request.url, body, stamp, signature, secret, now_ms)

        if not verified() and not (isinstance(clock, ServerClock) and clock.refresh() and verified()):
            return Response("bad signature", status=401)
        payload = _payload(body, valid_hubspot_payload)
        engine.repoint(HUBSPOT, merges(HUBSPOT, payload))
        engine.notify(HUBSPOT, hubspot_events(payload))
        return Response(status=200)

    return app


class ReceiverServer:
    """The receiver served on ``host:port`` from a thread (port 0 picks a free one), for ``hsqbo sync --watch``."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 0) -> None:
        # HubSpot signs on its own clock (the simulators' virtual one when they are the target): see ServerClock
        clock = ServerClock(engine.settings.hubspot.base_url)
        self.server = make_server(host, port, create_receiver(engine, clock), threaded=True)
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
