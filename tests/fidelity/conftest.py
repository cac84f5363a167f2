"""Fixtures for driving the simulators through the real SDKs (python-quickbooks / intuit-oauth, hubspot-api-client).

Everything runs in-process: the ``sims`` fixture routes Intuit's real hosts (and
``http://quickbooks.sim``) into the Flask app, so the SDKs run unchanged without sockets.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import requests
from hubspot import HubSpot
from hubspot_sdk import client
from quickbooks import QuickBooks
from sdk_helpers import connect

from simulators.sims import Simulators

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # only needed for the http:// targets


@pytest.fixture(autouse=True)
def _no_throttle(sims: Simulators) -> None:
    """The SDK suite fires well over 10 requests a second; throttling has its own tests."""
    r = requests.post(f"{sims.qbo_url}/_sim/ratelimits", json={"enabled": False}, timeout=5)
    assert r.json() == {"enabled": False}


@pytest.fixture
def qb(qbo_company: dict) -> QuickBooks:
    return connect(qbo_company)


@pytest.fixture
def company(sims: Simulators) -> Callable[..., tuple[dict, QuickBooks]]:
    """Factory: a new company with options (country, closingDate, customFields, …) and its SDK client."""

    def make(**options: object) -> tuple[dict, QuickBooks]:
        options.setdefault("country", "US")
        options.setdefault("seed", "empty")
        creds = sims.new_qbo_company(**options)
        return creds, connect(creds)

    return make


@pytest.fixture
def count(sims: Simulators) -> Callable[[str, str], int]:
    """Live (not deleted) records of one kind in a realm, read straight from the store."""

    def n(realm: str, kind: str) -> int:
        return sims.runtime.store.count(realm, kind)

    return n


@pytest.fixture
def hs(hubspot_portal: dict) -> HubSpot:
    """hubspot-api-client for the test's portal, with HubSpot's own host (routed in-process by ``sims``)."""
    return client(hubspot_portal["accessToken"])
