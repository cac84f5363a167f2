"""Look-ups read the rows they return: their query plans search an index, and their answers stay right."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

from simulators.core import storage
from simulators.core.storage import Row, Store
from simulators.sims import Simulators


def _plans(store: Store, action: Callable[[], object], about: str = "") -> list[str]:
    """The query plan of every SELECT ``action`` runs on the store's in-memory database (those whose SQL holds
    ``about``)."""
    db = store.engine.raw_connection().driver_connection
    seen: list[str] = []
    db.set_trace_callback(seen.append)
    try:
        action()
    finally:
        db.set_trace_callback(None)
    plans = []
    for sql in seen:
        if sql.lstrip().upper().startswith("SELECT") and about in sql:
            plans.append(" / ".join(str(step[-1]) for step in db.execute(f"EXPLAIN QUERY PLAN {sql}")))
    return plans


def _store() -> Store:
    store = Store()
    rows = [Row("p1", "association", i, {"toId": str(i)}, name_key=f"contacts:{i // 4}:companies")
            for i in range(1, 4001)]
    rows += [Row("p1", "products", i, {"id": str(i), "properties": {"sku_id": f"S-{i}", "name": f"P {i}"}})
             for i in range(1, 2001)]
    rows += [Row("p2", "products", i, {"id": str(i), "properties": {"sku_id": f"S-{i}"}}) for i in range(1, 50)]
    store.put_many(rows)
    return store


def test_find_all_searches_the_name_index_not_the_kind_in_id_order():
    store = _store()
    found: list[list[int]] = []
    plans = _plans(store, lambda: found.append([r.entity_id for r in store.find_all("p1", "association",
                                                                                   "contacts:7:companies")]))
    assert found == [[28, 29, 30, 31]]
    assert plans and all("ix_entities_name" in p for p in plans), plans


def test_a_page_in_id_order_skips_by_the_page_index_in_every_store():
    """Without statistics SQLite settles a tie between two indexes for the one made last: every store makes its
    indexes in the same order (by name), so a page in id order skips the rows before it in ix_entities_page, never
    reading them from the table (the key index, made last in about half the processes, read each one)."""
    def page_of(store: Store) -> tuple[list[int], list[str]]:
        page: list[int] = []
        plans = _plans(store, lambda: page.extend(
            r.entity_id for r in store.select("p1", "products", active=True, offset=1000, limit=10)))
        return page, plans

    for store in (_store() for _ in range(3)):
        made = [r[0] for r in store._all("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'")]
        assert made == sorted(made)
        page, plans = page_of(store)
        assert page == list(range(1001, 1011))
        assert plans and all("ix_entities_page" in p for p in plans), plans


def test_find_by_field_uses_an_index_and_matches_case_insensitively_live_rows_only():
    store = _store()
    found: list[list[int]] = []
    plans = _plans(store, lambda: found.append(
        [r.entity_id for r in store.find_by_field("p1", "products", "properties.sku_id", "s-77")]))
    assert found == [[77]]
    assert plans and all("ix_field_products_properties_sku_id" in p and "SCAN" not in p for p in plans), plans
    store.put(Row("p1", "products", 78, {"id": "78", "properties": {"sku_id": "S-77"}}))  # a second holder
    store.put(Row("p1", "products", 77, {"id": "77", "properties": {"sku_id": "S-77"}}, deleted=True))
    assert [r.entity_id for r in store.find_by_field("p1", "products", "properties.sku_id", "S-77")] == [78]
    assert [r.tenant_id for r in store.find_by_field("p2", "products", "properties.sku_id", "S-7")] == ["p2"]
    # a restored database lacks the index at first: the look-up makes it again and answers the same
    snap = store.snapshot()
    store.restore(snap)
    plans = _plans(store, lambda: found.append(
        [r.entity_id for r in store.find_by_field("p1", "products", "properties.sku_id", "s-77")]))
    assert found[-1] == [78] and all("ix_field_" in p for p in plans), plans


def _counted_products(store: Store) -> tuple[list[int], Callable[[], int]]:
    """A memo's computation (the products of p1, counted) and the list of its runs."""
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(store.select("p1", "products"))

    return calls, compute


def test_memo_answers_again_until_something_is_written():
    store = _store()
    calls, compute = _counted_products(store)
    assert store.memo("k", compute) == 2000 and store.memo("k", compute) == 2000 and len(calls) == 1
    store.put(Row("p1", "products", 5000, {"id": "5000", "properties": {}}))
    assert store.memo("k", compute) == 2001 and len(calls) == 2
    store.restore(store.snapshot())
    store.memo("k", compute)
    assert len(calls) == 3
    # an answer worked out inside a transaction that is rolled back is not served after it
    with contextlib.suppress(RuntimeError), store.transaction():
        store.put(Row("p1", "products", 5001, {"id": "5001", "properties": {}}))
        assert store.memo("k", compute) == 2002
        raise RuntimeError("rolled back")
    assert store.memo("k", compute) == 2001 and len(calls) == 5


def test_memo_keeps_no_answer_from_before_a_write():
    # a stale answer is never hit again: kept until MEMO_SIZE pushed it out, each held lists of 100k ids that every
    # full garbage collection walked
    store = _store()
    store.memo("a", lambda: ["a"])
    store.memo("b", lambda: ["b"])
    store.put(Row("p1", "products", 5000, {"id": "5000", "properties": {}}))
    store.memo("c", lambda: ["c"])
    assert list(store._memo) == ["c"]


def test_memo_of_kinds_answers_again_until_a_row_of_its_kinds_is_written():
    store = _store()
    calls, compute = _counted_products(store)

    def ask() -> int:
        return store.memo_of("p1", ["products"], "k", compute)

    assert ask() == 2000 and ask() == 2000 and len(calls) == 1
    store.put(Row("p1", "association", 9000, {}))  # another kind
    store.put(Row("p2", "products", 9000, {}))  # another tenant
    assert ask() == 2000 and len(calls) == 1
    store.put(Row("p1", "products", 9000, {"id": "9000", "properties": {}}))
    assert ask() == 2001 and len(calls) == 2
    store.put_many([Row("p1", "products", 9001, {"id": "9001", "properties": {}})])
    assert ask() == 2002 and len(calls) == 3
    # an answer computed inside a transaction that is rolled back is not kept
    try:
        with store.transaction():
            store.put(Row("p1", "products", 9002, {"id": "9002", "properties": {}}))
            assert ask() == 2003
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert ask() == 2002 and len(calls) == 5
    store.restore(store.snapshot())
    assert ask() == 2002 and len(calls) == 6

def test_row_cache_at_its_limit_drops_its_oldest_row(monkeypatch):
    monkeypatch.setattr(storage, "ROW_CACHE", 3)
    store = _store()
    store._rows.clear()
    for entity_id in (1, 2, 3, 4):
        store.get("p1", "products", entity_id)
    assert [key[2] for key in store._rows] == [2, 3, 4]


@contextmanager
def _routed() -> Iterator[Simulators]:
    """Simulators with their limits off, reached in-process at their own hosts (hubspot.sim, quickbooks.sim)."""
    sims = Simulators()
    sims.runtime.limits.enabled = False
    with sims.in_process():
        yield sims


def test_hubspot_search_pages_read_their_own_rows_and_see_writes_between_pages():
    with _routed() as sims:
        store = sims.runtime.store
        portal = sims.new_hubspot_portal(seed="empty")

        auth = {"Authorization": f"Bearer {portal['accessToken']}"}
        url = "http://hubspot.sim/crm/v3/objects/contacts"
        for start in range(0, 300, 100):
            requests.post(f"{url}/batch/create", headers=auth, json={"inputs": [
                {"properties": {"email": f"c{i:03d}@x.example", "firstname": f"F{i}"}}
                for i in range(start, start + 100)]}).raise_for_status()
        body = {"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": "HAS_PROPERTY"}]}],
                "sorts": [{"propertyName": "email", "direction": "DESCENDING"}], "limit": 100,
                "properties": ["email"]}
        first = requests.post(f"{url}/search", headers=auth, json=body).json()
        plans = _plans(store, lambda: requests.post(f"{url}/search", headers=auth, json={**body, "after": "100"}),
                       about="kind = 'contacts'")
        second = requests.post(f"{url}/search", headers=auth, json={**body, "after": "100"}).json()
        assert first["total"] == second["total"] == 300
        assert [r["properties"]["email"] for r in first["results"]][:2] == ["c299@x.example", "c298@x.example"]
        assert second["results"][0]["properties"]["email"] == "c199@x.example"
        # the second page read no whole kind of contacts: their rows by key only
        whole_kind = [p for p in plans if "SCAN" in p or "(tenant_id=? AND kind=?)" in p]
        assert plans and whole_kind == [], plans
        # a write between pages is seen by the next page
        requests.post(f"{url}/batch/archive", headers=auth, json={"inputs": [{"id": r["id"]} for r in
                                                                             second["results"][:10]]})
        again = requests.post(f"{url}/search", headers=auth, json={**body, "after": "100"}).json()
        assert again["total"] == 290 and again["results"][0]["properties"]["email"] == "c189@x.example"


def test_qbo_query_pages_read_their_own_rows_and_see_writes_between_pages():
    with _routed() as sims:
        store = sims.runtime.store
        company = sims.new_qbo_company(seed="empty")

        base = f"http://quickbooks.sim/v3/company/{company['realmId']}"
        auth = {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"}
        for i in range(30):
            requests.post(f"{base}/customer", headers=auth, json={"DisplayName": f"C{i:02d}"}).raise_for_status()

        def page(start: int, size: int = 10) -> list[str]:
            statement = (f"SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY DisplayName DESC "
                         f"STARTPOSITION {start} MAXRESULTS {size}")
            answer = requests.get(f"{base}/query", headers=auth, params={"query": statement}).json()
            return [c["DisplayName"] for c in answer["QueryResponse"].get("Customer", [])]

        assert page(1) == [f"C{i:02d}" for i in range(29, 19, -1)]
        plans = _plans(store, lambda: page(11), about="kind = 'Customer'")
        assert page(11) == [f"C{i:02d}" for i in range(19, 9, -1)]
        # the second page read its own rows by id, not every customer of the company again
        whole_kind = [p for p in plans if "SCAN" in p or "entity_id=?" not in p]
        assert plans and whole_kind == [], plans
        assert page(1, 1000) == [f"C{i:02d}" for i in range(29, -1, -1)]
        # a write between pages is seen by the next page
        found = requests.get(f"{base}/customer/1", headers=auth).json()["Customer"]
        requests.post(f"{base}/customer", headers=auth, json={"Id": "1", "SyncToken": found["SyncToken"],
                                                              "sparse": True, "DisplayName": "C99"}).raise_for_status()
        assert page(1, 3) == ["C99", "C29", "C28"]
        count = requests.get(f"{base}/query", headers=auth, params={
            "query": "SELECT COUNT(*) FROM Customer WHERE Active IN (true, false)"}).json()
        assert count["QueryResponse"]["totalCount"] == 30
