"""Webhooks v3: deliveries signed so that hubspot-api-client 12.0.0's ``Signature.is_valid`` accepts them
(API notes §7). The SDK checks the timestamp against real time, so these tests run on the real clock."""

from __future__ import annotations

import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.utils.signature import Signature
from hubspot_sdk import refused

from simulators.sims import Simulators

HOOK = "https://receiver.example/hubspot/webhooks?source=hsqbo"


@pytest.fixture
def deliveries(sims: Simulators) -> list[tuple[str, dict, bytes]]:
    """Every webhook the simulator sends, as (url, headers, body); the receiver answers 200."""
    sent: list[tuple[str, dict, bytes]] = []

    def sender(url: str, headers: dict, body: bytes) -> int:
        sent.append((url, headers, body))
        return 200

    sims.runtime.outbox.sender = sender
    return sent


def _subscribe(sims: Simulators, portal: dict, *event_types: str) -> dict:
    r = requests.post(f"{sims.hubspot_url}/_sim/webhooks", timeout=5,
                      json={"portalId": portal["portalId"], "url": HOOK, "eventTypes": list(event_types)})
    assert r.status_code == 201
    return r.json()


def _valid(portal: dict, headers: dict, body: bytes, url: str = HOOK) -> bool:
    return Signature.is_valid(signature=headers["X-HubSpot-Signature-v3"], client_secret=portal["clientSecret"],
                              request_body=body.decode(), http_uri=url, http_method="POST", signature_version="v3",
                              timestamp=headers["X-HubSpot-Request-Timestamp"])


def test_contact_creation_delivery_is_signed_v3(sims: Simulators, hs: HubSpot, hubspot_portal: dict,
                                                deliveries: list) -> None:
    sub = _subscribe(sims, hubspot_portal, "contact.creation")
    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "hook@example.com"}})

    [(url, headers, body)] = deliveries
    assert url == HOOK and headers["Content-Type"] == "application/json"
    assert headers["X-HubSpot-Request-Timestamp"].isdigit() and len(headers["X-HubSpot-Request-Timestamp"]) == 13
    assert _valid(hubspot_portal, headers, body)

    [event] = json.loads(body)
    assert event["subscriptionType"] == "contact.creation" and event["objectId"] == int(contact.id)
    assert event["portalId"] == int(hubspot_portal["portalId"]) and event["subscriptionId"] == sub["id"]
    assert event["attemptNumber"] == 0 and isinstance(event["eventId"], int)
    assert abs(event["occurredAt"] - int(headers["X-HubSpot-Request-Timestamp"])) < 5_000


def test_tampering_breaks_the_signature(sims: Simulators, hs: HubSpot, hubspot_portal: dict,
                                        deliveries: list) -> None:
    _subscribe(sims, hubspot_portal, "contact.creation")
    hs.crm.contacts.basic_api.create({"properties": {"email": "hook@example.com"}})
    [(_, headers, body)] = deliveries
    assert not _valid(hubspot_portal, headers, body.replace(b"contact.creation", b"contact.deletion"))
    assert not _valid(hubspot_portal, headers, body, url="https://receiver.example/elsewhere")
    assert not _valid(dict(hubspot_portal, clientSecret="not-the-secret"), headers, body)


def test_only_subscribed_events_are_delivered(sims: Simulators, hs: HubSpot, hubspot_portal: dict,
                                              deliveries: list) -> None:
    _subscribe(sims, hubspot_portal, "contact.creation")
    contact = hs.crm.contacts.basic_api.create({"properties": {"email": "hook@example.com"}})
    hs.crm.contacts.basic_api.update(contact.id, {"properties": {"firstname": "Changed"}})
    hs.crm.companies.basic_api.create({"properties": {"name": "Not subscribed"}})
    hs.crm.contacts.basic_api.archive(contact.id)
    assert [e["subscriptionType"] for _, _, b in deliveries for e in json.loads(b)] == ["contact.creation"]


def test_batch_create_events_arrive_in_one_signed_delivery(sims: Simulators, hs: HubSpot, hubspot_portal: dict,
                                                           deliveries: list) -> None:
    _subscribe(sims, hubspot_portal, "contact.creation", "contact.propertyChange")
    created = hs.crm.contacts.batch_api.create({"inputs": [{"properties": {"email": f"b{i}@example.com"}}
                                                           for i in range(3)]})
    [(_, headers, body)] = deliveries
    assert _valid(hubspot_portal, headers, body)
    assert sorted(e["objectId"] for e in json.loads(body)) == sorted(int(r.id) for r in created.results)

    hs.crm.contacts.basic_api.update(created.results[0].id, {"properties": {"firstname": "New"}})
    [event] = json.loads(deliveries[-1][2])
    assert (event["subscriptionType"], event["propertyName"], event["propertyValue"]) == (
        "contact.propertyChange", "firstname", "New")


def test_a_refused_write_sends_nothing(sims: Simulators, hs: HubSpot, hubspot_portal: dict,
                                       deliveries: list) -> None:
    """D3: the whole-batch 409 for a known email leaves no creation event behind."""
    hs.crm.contacts.basic_api.create({"properties": {"email": "taken@example.com"}})
    _subscribe(sims, hubspot_portal, "contact.creation")
    body = refused(409, lambda: hs.crm.contacts.batch_api.create({"inputs": [
        {"properties": {"email": "new@example.com"}}, {"properties": {"email": "taken@example.com"}}]}))
    assert body["category"] == "CONFLICT"
    assert deliveries == [] and sims.runtime.outbox.pending() == []
