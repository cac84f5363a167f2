"""End-to-end fixtures: both simulators in-process, a fresh QBO company and HubSpot portal, and the
engine between them, with its state in SQLite and, where PostgreSQL runs, in PostgreSQL too.

``world`` hands a test the engine factory and "user" clients that act on each system the way a
person would (their calls are not the engine's).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.users import api_writes, user_clients
from simulators.sims import Simulators
from sync.clients.hubspot import HubSpotClient
from sync.clients.quickbooks import QuickBooksClient
from sync.clock import VirtualClock
from sync.engine import Engine
from sync.settings import Settings
from sync.state import State

PG_URL = os.environ.get("HSQBO_TEST_POSTGRES", "postgresql+psycopg2://127.0.0.1:5432/test")


def _postgres_up() -> bool:
    try:
        import psycopg2

        psycopg2.connect(PG_URL.replace("postgresql+psycopg2", "postgresql"), connect_timeout=2).close()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_up() -> bool:
    return _postgres_up()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, postgres_up: bool) -> Iterator[str]:
    """The engine's state: in-memory SQLite, and a fresh PostgreSQL schema per test."""
    if request.param == "sqlite":
        yield "sqlite://"
        return
    if not postgres_up:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the PostgreSQL leg, but {PG_URL} does not answer")
        pytest.skip(f"PostgreSQL is not running at {PG_URL}")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@dataclass
class World:
    sims: Simulators
    company: dict
    portal: dict
    state_url: str
    clock: VirtualClock
    qbo: QuickBooksClient  # a QBO user
    hs: HubSpotClient  # a HubSpot user
    engines: list[Engine]

    def settings(self, **pairs: dict) -> Settings:
        """Settings for this company and portal; ``pairs`` override pair blocks (e.g. contacts={...})."""
        base = {name: {"recommended_filters": False, "direction": "two-way"} for name in ("contacts", "products")}
        for name, block in pairs.items():
            base[name] = {**base.get(name, {}), **block}
        return Settings.for_simulators(self.company, self.portal, state=self.state_url, pairs=base)

    def engine(self, settings: Settings | None = None, state: State | None = None, **pairs: dict) -> Engine:
        """An engine as a process would start it: a new one shares the state (a restart)."""
        settings = settings or self.settings(**pairs)
        engine = Engine(settings, clock=self.clock, state=state or (self.engines[0].state if self.engines else None))
        self.engines.append(engine)
        return engine


@pytest.fixture
def world(sims: Simulators, state_url: str) -> Iterator[World]:
    company = sims.new_qbo_company(country="US", seed="empty")
    portal = sims.new_hubspot_portal(seed="empty")
    clock = VirtualClock(sims.runtime.clock)
    qbo, hs = user_clients(sims, company, portal, clock)
    w = World(sims, company, portal, state_url, clock, qbo, hs, [])
    yield w
    for e in w.engines:
        e.state.engine.dispose()



# -- user actions, as a person would take them in either system ------------------------------------

def new_contact(w: World, email: str | None, first: str = "", last: str = "", company: str | None = None,
                **props: str) -> str:
    """A HubSpot contact (with ``company``: a new company made its primary company); returns its id."""
    properties = {k: v for k, v in {"email": email, "firstname": first, "lastname": last, **props}.items() if v}
    associations = None
    if company is not None:
        company_id = w.hs.create("companies", {"name": company})["id"]
        associations = [{"to": {"id": company_id},
                         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]
    return str(w.hs.create("contacts", properties, associations)["id"])


def new_customer(w: World, display_name: str, email: str | None = None, **fields: object) -> dict:
    body: dict = {"DisplayName": display_name, **fields}
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    return w.qbo.create("Customer", body, request_id=uuid.uuid4().hex)


def customers(w: World) -> list[dict]:
    return list(w.qbo.query("SELECT * FROM Customer WHERE Active IN (true, false)"))


def contacts(w: World) -> list[dict]:
    return list(w.hs.list("contacts", ["email", "firstname", "lastname", "phone"]))


def journal_writes(w: World, since: int = 0) -> list[dict]:
    """Write requests the simulators answered after journal sequence ``since`` (queries are reads)."""
    return api_writes(w.sims, since)


def journal_mark(w: World) -> int:
    return w.sims.runtime.journal.last_seq()
