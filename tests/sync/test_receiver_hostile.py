"""The engine's webhook receiver under hostile input (issue 13): validly signed but malformed deliveries are
400 and schedule nothing, a body over the limit is refused before it is read, and HubSpot's signature window
is checked on the clock the deliveries are signed on (the simulators' virtual clock, moved days on)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
from werkzeug.serving import make_server

from simulators.core.server import ServerThread
from simulators.hubspot.system import sign_v3
from simulators.sims import Simulators
from sync.clock import SystemClock
from sync.triggers import MAX_BODY, ReceiverServer, create_receiver

VERIFIER = "verifier-token-0123456789"
SECRET = "hubspot-webhook-secret"


class StubEngine:
    """What the receiver uses of an engine: its settings and clock, ``repoint`` and ``notify``."""

    def __init__(self, hubspot_url: str = "https://api.hubapi.com", secret: str = SECRET,
                 verifier: str = VERIFIER) -> None:
        self.settings = SimpleNamespace(quickbooks_webhook_verifier=verifier, hubspot=SimpleNamespace(
            base_url=hubspot_url, client_secret_for_webhooks=secret, client_secret=secret),
            quickbooks=SimpleNamespace(realm_id=None))
        self.clock = SystemClock()
        self.notified: list[tuple[str, list]] = []

    def repoint(self, side: str, merges: list) -> None:
        if merges:
            self.notified.append((side, merges))

    def notify(self, side: str, events: list) -> None:
        if events:
            self.notified.append((side, events))


@pytest.fixture
def served() -> Iterator[tuple[StubEngine, str]]:
    engine = StubEngine()
    with ServerThread(create_receiver(engine)) as server:  # type: ignore[arg-type]
        yield engine, server.url


def _post_qbo(url: str, body: bytes) -> requests.Response:
    signature = base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()
    return requests.post(f"{url}/webhooks/quickbooks", data=body, timeout=10,
                         headers={"intuit-signature": signature, "Content-Type": "application/json"})


def _post_hubspot(url: str, body: bytes) -> requests.Response:
    stamp = str(int(datetime.now(UTC).timestamp() * 1000))
    target = f"{url}/webhooks/hubspot"
    return requests.post(target, data=body, timeout=10, headers={
        "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", target, body, stamp),
        "X-HubSpot-Request-Timestamp": stamp, "Content-Type": "application/json"})


MALFORMED_QBO = [b"{", b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000, b"[1, 2]", b'{"eventNotifications": 5}',
                 b'{"eventNotifications": [7]}', b'{"eventNotifications": [{"dataChangeEvent": []}]}',
                 b'{"eventNotifications": [{"dataChangeEvent": {"entities": [{"name": "Customer", "id": {}}]}}]}',
                 b'{"eventNotifications": [{"dataChangeEvent": {"entities": [{"name": 5, "id": "1"}]}}]}',
                 b'[{"type": "qbo.customer.updated.v1", "intuitentityid": [1]}]', b'"text"', b"1e100000"]
MALFORMED_HUBSPOT = [b"{", b"\xff", b"{" * 3000, b'{"a": 1}', b"[1]", b'[{"subscriptionType": 5}]',
                     b'[{"subscriptionType": "contact.creation", "objectId": {"x": 1}}]',
                     b'[{"subscriptionType": "contact.merge", "objectId": 1, "mergedObjectIds": "2"}]',
                     b'[{"subscriptionType": "contact.merge", "objectId": 1, "mergedObjectIds": [null]}]']


def test_validly_signed_malformed_deliveries_are_400_and_schedule_nothing(served: tuple[StubEngine, str]) -> None:
    engine, url = served
    statuses = [_post_qbo(url, body).status_code for body in MALFORMED_QBO]
    statuses += [_post_hubspot(url, body).status_code for body in MALFORMED_HUBSPOT]
    assert statuses == [400] * len(statuses)
    assert engine.notified == []
    # well-formed ones still go through
    ok = {"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [
        {"name": "Customer", "id": "7", "operation": "Update"}]}}]}
    assert _post_qbo(url, json.dumps(ok).encode()).status_code == 200
    event = [{"subscriptionType": "contact.creation", "objectId": 9, "portalId": 1}]
    assert _post_hubspot(url, json.dumps(event).encode()).status_code == 200
    assert [side for side, _ in engine.notified] == ["quickbooks", "hubspot"]


def test_a_body_over_the_limit_is_refused_before_it_is_read() -> None:
    # werkzeug's server, as ReceiverServer (hsqbo sync --watch) serves it: the app sees the request before its body
    server = make_server("127.0.0.1", 0, create_receiver(StubEngine()), threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _refuse_big_bodies(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()


def _refuse_big_bodies(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    for path in ("/webhooks/quickbooks", "/webhooks/hubspot"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            # announce far more than the limit and send none of it: a receiver that reads first would wait
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {MAX_BODY * 50}\r\n\r\n".encode())
            answer = sock.recv(4096).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 413"), answer
    big = b"[" + b"1," * (MAX_BODY // 2) + b"1]"
    assert _post_qbo(url, big).status_code == 413


def test_the_signature_window_is_the_simulators_clock_when_they_send() -> None:
    """``hsqbo sync --watch`` against simulators whose clock moved three days on: their deliveries are signed on
    the virtual clock; the receiver of ``--watch`` (ReceiverServer) checks the window on that clock."""
    sims = Simulators()
    with sims.serve():
        sims.runtime.clock.advance(3 * 24 * 3600)
        results = {}
        for name in ("engine clock", "delivery clock"):
            portal = sims.new_hubspot_portal()
            engine = StubEngine(sims.hubspot_url, portal["clientSecretForWebhooks"])
            if name == "engine clock":
                server = ServerThread(create_receiver(engine))  # type: ignore[arg-type]
                server.start()
                url, stop = server.url, server.stop
            else:
                receiver = ReceiverServer(engine).start()  # type: ignore[arg-type]
                url, stop = receiver.url, receiver.stop
            try:
                requests.post(f"{sims.hubspot_url}/_sim/webhooks", timeout=10, json={
                    "portalId": portal["portalId"], "url": f"{url}/webhooks/hubspot",
                    "eventTypes": ["contact.creation"]}).raise_for_status()
                requests.post(f"{sims.hubspot_url}/crm/v3/objects/contacts", timeout=10,
                              json={"properties": {"email": f"{name.split()[0]}@example.com"}},
                              headers={"Authorization": f"Bearer {portal['accessToken']}"}).raise_for_status()
                delivered = requests.post(f"{sims.hubspot_url}/_sim/webhooks/deliver", timeout=30).json()
                results[name] = ([d.get("status") for d in delivered.get("deliveries", [])], len(engine.notified))
            finally:
                stop()
    assert results["engine clock"][1] == 0  # the wall clock is three days behind: refused
    assert results["delivery clock"][1] == 1, results
