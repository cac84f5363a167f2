"""Everything the simulators of one process share: one clock, one store, one fault plan,
one journal, one outbox, one set of credentials and rate limits."""

from __future__ import annotations

from typing import Protocol

from flask import Flask, Request, Response

from .clock import Clock
from .credentials import Credentials
from .faults import FaultPlan
from .journal import Journal
from .ratelimit import RateLimiter
from .storage import Store
from .webhooks import Outbox


class System(Protocol):
    """What a simulated vendor plugs into the shared core."""

    name: str

    def tenant_of(self, request: Request) -> str | None:
        """The tenant a request names in its path, if any (for fault rules and the journal)."""

    def guard(self, request: Request) -> Response | None:
        """Authenticate and rate-limit one API request; a response here refuses it."""

    def release(self, request: Request) -> None:
        """Undo what ``guard`` holds for the request's duration (concurrency slots)."""

    def error_response(self, status: int, body: object | None = None) -> Response:
        """The vendor's error body for an injected status code."""

    def create_tenant(self, options: dict) -> dict:
        """Create a tenant (a QBO realm, a HubSpot portal) and return its credentials."""

    def state(self, tenant_id: str) -> dict:
        """A readable summary of a tenant's state."""

    def subscribe(self, tenant_id: str, url: str, options: dict) -> dict:
        """Subscribe ``url`` to the tenant's webhooks."""


class Runtime:
    def __init__(self, db_url: str | None = None, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.store = Store(db_url)
        self.credentials = Credentials(self.store, self.clock)
        self.limits = RateLimiter(self.clock)
        self.faults = FaultPlan()
        self.journal = Journal()
        self.outbox = Outbox(self.clock, self.faults)
        self.systems: dict[str, System] = {}
        self.apps: dict[str, Flask] = {}
        # When set, every /_sim/ request must carry it (admin.ADMIN_TOKEN_HEADER or "Authorization: Bearer"):
        # on an interface others reach, the admin API hands out every tenant's tokens and client secrets.
        self.admin_token: str | None = None

    def reset(self) -> None:
        """Forget every tenant, record, token, fault rule, journal entry and pending webhook."""
        self.store.reset()
        self.journal.clear()
        self.faults.clear()
        self.limits.reset()
        self.outbox.clear()
