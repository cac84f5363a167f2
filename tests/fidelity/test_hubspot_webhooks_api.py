"""HubSpot's Webhooks v3 API (settings + subscriptions, developer key) driven by hubspot-api-client."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature
from hubspot.webhooks import SettingsChangeRequest, SubscriptionCreateRequest, SubscriptionPatchRequest

TARGET = "https://receiver.example.com/hubspot"


@pytest.fixture
def deliveries(sims) -> list[dict]:
    received: list[dict] = []

    def sender(url: str, headers: dict, body: bytes) -> int:
        received.append({"url": url, "headers": headers, "raw": body, "events": json.loads(body)})
        return 200

    sims.runtime.outbox.sender = sender
    return received


def test_app_subscriptions_receive_signed_events(sims, hubspot_portal, deliveries):
    dev = HubSpot(api_key=hubspot_portal["developerApiKey"])
    app_id = hubspot_portal["appId"]
    settings = dev.webhooks.settings_api.configure(app_id, SettingsChangeRequest(target_url=TARGET))
    assert settings.target_url == TARGET
    created = dev.webhooks.subscriptions_api.create(app_id, SubscriptionCreateRequest(event_type="contact.creation",
                                                                                      active=True))
    change = dev.webhooks.subscriptions_api.create(app_id, SubscriptionCreateRequest(
        event_type="contact.propertyChange", property_name="lifecyclestage", active=True))
    assert [s.event_type for s in dev.webhooks.subscriptions_api.get_all(app_id).results] == [
        "contact.creation", "contact.propertyChange"]

    crm = HubSpot(access_token=hubspot_portal["accessToken"])
    contact = crm.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "w@x.io"}))
    crm.crm.contacts.basic_api.update(contact.id, SimplePublicObjectInput(properties={"firstname": "Not watched"}))
    crm.crm.contacts.basic_api.update(contact.id, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))

    assert [d["url"] for d in deliveries] == [TARGET, TARGET]
    first, second = deliveries[0]["events"][0], deliveries[1]["events"][0]
    assert (first["subscriptionType"], first["subscriptionId"], first["objectId"]) == (
        "contact.creation", int(created.id), int(contact.id))
    assert (second["propertyName"], second["propertyValue"], second["subscriptionId"]) == (
        "lifecyclestage", "lead", int(change.id))
    assert first["portalId"] == int(hubspot_portal["portalId"]) and first["appId"] == app_id
    for d in deliveries:
        assert Signature.is_valid(signature=d["headers"]["X-HubSpot-Signature-v3"],
                                  client_secret=hubspot_portal["clientSecretForWebhooks"],
                                  request_body=d["raw"].decode(), http_uri=d["url"], http_method="POST",
                                  signature_version="v3", timestamp=d["headers"]["X-HubSpot-Request-Timestamp"])


def test_paused_and_deleted_subscriptions_stop_deliveries(sims, hubspot_portal, deliveries):
    dev = HubSpot(api_key=hubspot_portal["developerApiKey"])
    app_id = hubspot_portal["appId"]
    dev.webhooks.settings_api.configure(app_id, SettingsChangeRequest(target_url=TARGET))
    sub = dev.webhooks.subscriptions_api.create(app_id, SubscriptionCreateRequest(event_type="contact.creation",
                                                                                  active=True))
    paused = dev.webhooks.subscriptions_api.update(sub.id, app_id, SubscriptionPatchRequest(active=False))
    assert paused.active is False
    crm = HubSpot(access_token=hubspot_portal["accessToken"])
    crm.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": "a@x.io"}))
    assert deliveries == []
    dev.webhooks.subscriptions_api.archive(sub.id, app_id)
    assert dev.webhooks.subscriptions_api.get_all(app_id).results == []


def test_the_webhooks_api_wants_the_developer_key(sims, hubspot_portal):
    from hubspot.webhooks.exceptions import ApiException

    with pytest.raises(ApiException) as bad_key:
        HubSpot(api_key="nope").webhooks.subscriptions_api.get_all(hubspot_portal["appId"])
    assert bad_key.value.status == 401
    with pytest.raises(ApiException) as bad_type:
        HubSpot(api_key=hubspot_portal["developerApiKey"]).webhooks.subscriptions_api.create(
            hubspot_portal["appId"], SubscriptionCreateRequest(event_type="contact.explosion", active=True))
    assert bad_type.value.status == 400 and json.loads(bad_type.value.body)["category"] == "VALIDATION_ERROR"
