"""Helpers for driving the HubSpot simulator through hubspot-api-client 12.0.0 and plain ``requests``.

The SDK talks through ``urllib3.PoolManager`` directly; the ``sims`` fixture's in-process routing bridges those
calls into the Flask app (simulators/core/inprocess.py). :func:`route_sdk` only records which calls the SDK made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3
from hubspot import HubSpot

from simulators.sims import HUBSPOT_API, HUBSPOT_URL, Simulators

API = HUBSPOT_API
PREFIXES = (HUBSPOT_API, HUBSPOT_URL)
TIMEOUT = 30


@contextmanager
def route_sdk(prefixes: tuple[str, ...] = PREFIXES) -> Iterator[list[tuple[str, str]]]:
    """Record the SDK's urllib3 requests to ``prefixes`` as (method, url) while they go through the bridge."""
    bridged = urllib3.PoolManager.urlopen
    calls: list[tuple[str, str]] = []

    def urlopen(self: urllib3.PoolManager, method: str, url: str, redirect: bool = True,
                **kw: Any) -> urllib3.BaseHTTPResponse:
        if url.startswith(prefixes):
            calls.append((method, url))
        return bridged(self, method, url, redirect=redirect, **kw)

    urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        urllib3.PoolManager.urlopen = bridged  # type: ignore[method-assign]


def refused(status: int, call: Callable[[], object], exception: str | None = None) -> dict:
    """Run an SDK call that must fail with HTTP ``status``; returns HubSpot's JSON error body.

    Each SDK package has its own ``ApiException`` classes, so they are told apart by name (``exception``:
    e.g. "NotFoundException").
    """
    try:
        call()
    except Exception as exc:
        if getattr(exc, "status", None) != status:
            raise
        if exception is not None:
            assert type(exc).__name__ == exception
        return json.loads(exc.body)
    raise AssertionError(f"expected HTTP {status}, the call succeeded")


def client(token: str, **kwargs: Any) -> HubSpot:
    """An SDK client as an app builds it, pointed at HubSpot's own host (intercepted in-process)."""
    return HubSpot(access_token=token, host=API, base_url=API, **kwargs)


class Raw:
    """A bare HTTP client for one portal: exact statuses, headers and bodies."""

    def __init__(self, token: str | None, base: str = API) -> None:
        self.base = base
        self.headers = {"Content-Type": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: object = None, raw: str | bytes | None = None,
             headers: dict | None = None, **kw: Any) -> requests.Response:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return requests.request(method, f"{self.base}{path}", data=data, headers={**self.headers, **(headers or {})},
                                timeout=TIMEOUT, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: object = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: object = None, **kw: Any) -> requests.Response:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: object = None, **kw: Any) -> requests.Response:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)


def error_body(r: requests.Response, status: int, category: str | None) -> dict:
    """Check a HubSpot error response's status and common shape; returns the body."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    assert len(body["correlationId"]) == 36
    if category is None:
        assert "category" not in body
    else:
        assert body["category"] == category
    return body


def counter(sims: Simulators, portal_id: str) -> Callable[[], dict[str, int]]:
    """A snapshot function: live record counts per object type (and association rows) of one portal."""
    from simulators.hubspot import catalog
    from simulators.hubspot.rows import ASSOCIATION

    def counts() -> dict[str, int]:
        store = sims.runtime.store
        out = {name: store.count(portal_id, name) for name in catalog.OBJECT_TYPES}
        out[ASSOCIATION] = store.count(portal_id, ASSOCIATION)
        return out

    return counts


def snapshot(sims: Simulators, portal_id: str) -> Callable[[], dict]:
    """A function returning the portal's whole stored state (records, associations, counters, settings)."""

    def dump() -> dict:
        return sims.runtime.store.dump(portal_id)

    return dump
