"""The oracle reads both systems without HTTP (harness/machine.py ``DirectReads``): at every step of a busy history
it must get exactly what the users' HTTP clients get for the same reads, so the invariants still check what a
client of the APIs sees."""

from __future__ import annotations

from decimal import Decimal

from test_determinism import HISTORY

from harness import machine as machine_module
from harness.machine import INVOICE_PROPS, LINE_PROPS, PAYMENT_PROPS, SyncMachine

LISTS = {"contacts": ["email", "firstname", "lastname"], "products": ["hs_sku", "name", "price"],
         "invoices": INVOICE_PROPS, "commerce_payments": PAYMENT_PROPS, "line_items": LINE_PROPS,
         "companies": []}
QUERIES = ["SELECT * FROM Customer WHERE Active IN (true, false)", "SELECT * FROM Item WHERE Active IN (true, false)",
           "SELECT * FROM Customer", "SELECT * FROM Invoice", "SELECT * FROM Payment",
           "SELECT * FROM Account WHERE AccountType = 'Income';"]


def assert_same_reads(m: SyncMachine) -> int:
    """Every read the oracle makes, both ways; returns how many records were compared."""
    compared = 0
    for otype, props in LISTS.items():
        direct, http = m.read.list(otype, props), list(m.hs.list(otype, props))
        assert direct == http, otype
        compared += len(http)
    for statement in QUERIES:
        direct, http = m.read.query(statement), list(m.qbo.query(statement))
        assert direct == http, statement
        compared += len(http)
    invoices = sorted(r["id"] for r in m.hs.list("invoices", []))
    payments = sorted(r["id"] for r in m.hs.list("commerce_payments", []))
    for source, target, ids in (("invoices", "line_items", invoices), ("commerce_payments", "invoices", payments),
                                ("invoices", "contacts", [*invoices, "999999"])):
        assert m.read.associations(source, target, ids) == m.hs.associations(source, target, ids), (source, target)
    lines = sorted({str(t["toObjectId"]) for ts in m.hs.associations("invoices", "line_items", invoices).values()
                    for t in ts})
    for otype, ids, props in (("line_items", [*lines, "999999"], LINE_PROPS), ("invoices", invoices, INVOICE_PROPS)):
        assert m.read.batch_read(otype, ids, props) == m.hs.batch_read(otype, ids, props), otype
    return compared


class Compared(SyncMachine):
    compared = 0

    def check_invariants_now(self) -> None:
        Compared.compared += assert_same_reads(self)
        super().check_invariants_now()


def test_direct_reads_answer_what_the_clients_get_at_every_step(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the machine saves each history it ran: not over the project's own
    machine_module._shared.clear()
    start, steps = HISTORY
    m = Compared()
    m.start(**start)
    rules = {r.function.__name__: r for r in m.rules}
    for name, args in steps:
        if not all(holds(m) for holds in rules[name].preconditions):
            continue
        getattr(m, name)(**{k: Decimal(v) if k == "price" else v for k, v in args.items()})
        m.check_invariants_now()
    m.teardown()
    assert Compared.compared > 500  # the history held records of every kind


def test_direct_reads_page_as_the_clients_do(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    m = SyncMachine()
    m.start(mode="current", conflict="hubspot", direction="two-way")
    try:
        for i in range(230):  # three pages of HubSpot's list (100 a page)
            m.hs.create("contacts", {"email": f"p{i}@x.example", "firstname": f"P{i}"})
        assert len(m.read.list("contacts", ["email"])) == 230
        assert m.read.list("contacts", ["email"]) == list(m.hs.list("contacts", ["email"]))
        assert m.read.list("contacts", []) == list(m.hs.list("contacts", []))
    finally:
        m.routing.__exit__(None, None, None)
