"""What every part of one portal shares: the store, the portal's settings, the virtual clock in HubSpot's format,
and the webhook events raised so far (the API layer publishes them once its request is done).

The bottom of the portal's modules: it imports none of them, so records, associations and amounts can all use it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ..core.runtime import Runtime


def iso(ts: float) -> str:
    """HubSpot's timestamps: ISO 8601, milliseconds, Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def new_event(object_id: object, subscription_type: str, clock_ms: int, **fields: object) -> dict:
    """One webhook event as HubSpot sends it (the subscription and portal ids are added when it is delivered)."""
    return {"eventId": int(uuid.uuid4().int % 10**10), "objectId": int(object_id), "occurredAt": clock_ms,
            "subscriptionType": subscription_type, "changeSource": "INTEGRATION", **fields}


class PortalContext:
    """One portal of the shared runtime; a ``KeyError`` when no such portal exists."""

    def __init__(self, runtime: Runtime, portal_id: str) -> None:
        self.rt = runtime
        self.store = runtime.store
        self.portal = portal_id
        tenant = self.store.tenant(portal_id)
        if tenant is None:
            raise KeyError(portal_id)
        self.settings: dict = tenant["settings"]
        self.events: list[dict] = []

    def now(self) -> str:
        return iso(self.rt.clock.timestamp())

    def now_ms(self) -> int:
        return int(self.rt.clock.timestamp() * 1000)

    def emit(self, object_id: object, subscription_type: str, **fields: object) -> None:
        """Record a webhook event, stamped with the virtual clock."""
        self.events.append(new_event(object_id, subscription_type, self.now_ms(), **fields))
