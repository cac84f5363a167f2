"""The sims fixture alone routes hubspot-api-client (urllib3, not requests) into the simulator."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate


def test_sdk_with_default_host_reaches_the_simulator(sims, hubspot_portal):
    client = HubSpot(access_token=hubspot_portal["accessToken"])  # host: https://api.hubapi.com
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "inproc@example.com", "firstname": "In"}))
    assert created.properties["email"] == "inproc@example.com"
    page = client.crm.contacts.basic_api.get_page(limit=10)
    assert [c.id for c in page.results] == [created.id] and page.paging is None


def test_hubspot_refresh_keeps_the_same_refresh_token(sims, hubspot_portal):
    client = HubSpot()
    first = client.oauth.tokens_api.create(grant_type="refresh_token", client_id=hubspot_portal["clientId"],
                                           client_secret=hubspot_portal["clientSecret"],
                                           refresh_token=hubspot_portal["refreshToken"])
    second = client.oauth.tokens_api.create(grant_type="refresh_token", client_id=hubspot_portal["clientId"],
                                            client_secret=hubspot_portal["clientSecret"],
                                            refresh_token=hubspot_portal["refreshToken"])
    assert first.refresh_token == second.refresh_token == hubspot_portal["refreshToken"]
    assert first.access_token != second.access_token and first.expires_in == 1800


@pytest.mark.hsqbo(rate_limits=False)
def test_dropped_connection_reaches_the_sdk_as_a_urllib3_error(sims, hubspot_portal):
    import requests
    from urllib3.exceptions import ProtocolError

    requests.post("http://hubspot.sim/_sim/faults", json={"path": "/crm/v3/objects/contacts", "nth": 1,
                                                          "action": "drop"})
    client = HubSpot(access_token=hubspot_portal["accessToken"])
    with pytest.raises(ProtocolError):
        client.crm.contacts.basic_api.get_page(limit=10)
    assert client.crm.contacts.basic_api.get_page(limit=10).results == []
