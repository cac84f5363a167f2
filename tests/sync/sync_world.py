"""End-to-end fixtures and helpers of tests/sync: both simulators in-process, a fresh QBO company and HubSpot
portal, and the engine between them, with its state in SQLite and, where PostgreSQL runs, in PostgreSQL too.

``world`` hands a test the engine factory and "user" clients that act on each system the way a
person would (their calls are not the engine's).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from harness.engine_settings import for_simulators
from harness.users import api_writes, user_clients
from simulators.sims import Simulators
from sync.clients.hubspot import HubSpotClient
from sync.clients.quickbooks import QuickBooksClient
from sync.clock import VirtualClock
from sync.engine import Engine
from sync.pairs.documents import INVOICE_ID_PROPERTY, INVOICE_STATUS_PROPERTY, LINE_ID_PROPERTY
from sync.settings import Settings
from sync.state import HUBSPOT, State

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
        return for_simulators(self.company, self.portal, state=self.state_url, pairs=base)

    def settings_in(self, mode: str, **pairs: dict) -> Settings:
        """Settings of a generation (``current``, ``2023``, ``legacy``): its own defaults, ``pairs`` as given —
        only the settings that generation has (sync/generations.py)."""
        return for_simulators(self.company, self.portal, state=self.state_url, mode=mode, pairs=pairs)

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


# -- invoices and payments (tests/sync/test_invoices.py, test_payments.py) --------------------------------

INVOICE_PROPS = ["hs_number", "hs_invoice_date", "hs_due_date", "hs_currency", "hs_invoice_status",
                 "hs_invoice_source", "hs_amount_billed", "hs_amount_paid", "hs_balance_due", INVOICE_ID_PROPERTY,
                 INVOICE_STATUS_PROPERTY]


def engine_for(w: World, direction: str = "to-hubspot", **invoices: object) -> Engine:
    return w.engine(settings=w.settings(invoices={"recommended_filters": False, "direction": direction, **invoices},
                                        products={"direction": "two-way"}))


def income_account(w: World) -> dict:
    return {"value": next(iter(w.qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))["Id"]}


def new_item(w: World, name: str, sku: str, price: str) -> dict:
    return w.qbo.create("Item", {"Name": name, "Sku": sku, "Type": "Service", "UnitPrice": float(price),
                                 "IncomeAccountRef": income_account(w)}, request_id=uuid.uuid4().hex)


def line(item: dict, qty: int, price: str) -> dict:
    return {"DetailType": "SalesItemLineDetail", "Amount": float(Decimal(price) * qty),
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": float(price)}}


def new_invoice(w: World, customer: dict, lines: list[dict], **fields: object) -> dict:
    return w.qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": lines, **fields},
                        request_id=uuid.uuid4().hex)


def pay(w: World, customer: dict, amounts: dict[str, str], total: str | None = None, **fields: object) -> dict:
    body = {"CustomerRef": {"value": customer["Id"]},
            "TotalAmt": float(Decimal(total) if total else sum(Decimal(a) for a in amounts.values())),
            "Line": [{"Amount": float(Decimal(a)), "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]}
                     for i, a in amounts.items()], **fields}
    return w.qbo.create("Payment", body, request_id=uuid.uuid4().hex)


def hubspot_invoice(w: World, qbo_id: str) -> dict:
    return w.hs.get("invoices", qbo_id, INVOICE_PROPS, id_property=INVOICE_ID_PROPERTY)


def line_items(w: World, invoice_id: str) -> list[dict]:
    links = w.hs.associations("invoices", "line_items", [invoice_id]).get(invoice_id, [])
    ids = [str(t["toObjectId"]) for t in links]
    return sorted(w.hs.batch_read("line_items", ids, ["name", "quantity", "price", "amount", "hs_product_id",
                                                      LINE_ID_PROPERTY]),
                  key=lambda li: li["properties"][LINE_ID_PROPERTY])


def linked(w: World, from_type: str, object_id: str, to_type: str) -> set[str]:
    return {str(t["toObjectId"]) for t in w.hs.associations(from_type, to_type, [object_id]).get(object_id, [])}


@pytest.fixture
def books(world: World) -> dict:
    """A customer whose contact has a primary company, two items with SKUs."""
    contact = new_contact(world, "ada@example.com", "Ada", "Lovelace", company="Analytical Engines")
    customer = new_customer(world, "Ada Lovelace", "ada@example.com")
    return {"contact": contact, "customer": customer, "widget": new_item(world, "Widget", "W-1", "12.50"),
            "gadget": new_item(world, "Gadget", "G-1", "3.33")}


def hubspot_invoice_with_lines(w: World, contact: str, lines: list[dict], status: str = "open", **props: str) -> str:
    invoice = w.hs.create("invoices", {"hs_currency": "USD", "hs_invoice_status": "draft", **props},
                          [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                              "associationTypeId": 177}]}])
    for item in lines:
        w.hs.create("line_items", item, [{"to": {"id": invoice["id"]},
                                          "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                     "associationTypeId": 410}]}])
    if status != "draft":
        w.hs.update("invoices", invoice["id"], {"hs_invoice_status": status})
    return str(invoice["id"])


def synced_contact(w: World, engine: Engine) -> tuple[str, str]:
    contact = new_contact(w, "bob@example.com", "Bob", "Builder")
    engine.run_pass(["contacts"])
    record = engine.state.by_side_ids("contacts", HUBSPOT, [contact])[contact]
    assert record.qbo_id
    return contact, record.qbo_id




def company_with(w: World, **options: object) -> World:
    """The same world with another QBO company (country, customTxnNumbers, closingDate, …); the portal stays."""
    from dataclasses import replace

    company = w.sims.new_qbo_company(**{"country": "US", "seed": "empty", **options})
    qbo, _ = user_clients(w.sims, company, w.portal, w.clock)
    return replace(w, company=company, qbo=qbo)


def credit_memo(w: World, customer: dict, item: dict, amount: str, number: str) -> dict:
    return w.qbo.create("CreditMemo", {"CustomerRef": {"value": customer["Id"]}, "DocNumber": number,
                                       "Line": [line(item, 1, amount)]}, request_id=uuid.uuid4().hex)
