"""The simulators' default store: a private SQLite database, the process's own, in memory until it grows big, then
a private file SQLite pages (so 100k records do not all sit in the process's memory).

Its memory bound is a benchmark figure (``make bench-scale``: peak RSS of a 100k sync); these tests check what
makes it hold: the move past the threshold with every row, a file with a bounded page cache unlinked as it
opens, rollbacks and snapshots intact on both sides of the move."""

from __future__ import annotations

import tempfile

import pytest

from simulators.core import storage
from simulators.core.storage import PAGE_CACHE_KIB, Row, Store


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The temporary directory the store's file is made in, ours alone (xdist workers make theirs elsewhere)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def small_spill(monkeypatch):
    """A store that moves to its file past 64 KiB, looked at after every transaction."""
    monkeypatch.setattr(storage, "SPILL_BYTES", 64 * 1024)
    monkeypatch.setattr(storage, "SPILL_CHECK", 1)


def _row(entity_id: int, name: str = "x") -> Row:
    return Row("t1", "Customer", entity_id, {"Id": str(entity_id), "DisplayName": name, "Notes": "n" * 500},
               name_key=name.lower())


def _main_file(store: Store) -> str:
    return next(path for _, name, path in store._db.execute("PRAGMA database_list") if name == "main")


def _fill(store: Store, start: int = 1, count: int = 300) -> None:
    for i in range(start, start + count):
        store.put(_row(i, f"Customer {i}"))


def test_a_small_store_stays_in_memory(private_tmp):
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    _fill(store, count=400)  # past SPILL_CHECK transactions, far below SPILL_BYTES
    assert _main_file(store) == "" and not store._spilled


def test_a_big_store_moves_to_a_paged_private_file_with_every_row(private_tmp, small_spill):
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    _fill(store)
    assert store._spilled and _main_file(store), "past SPILL_BYTES the store is a file SQLite can page"
    db = store._db
    assert db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB  # the pages it keeps in memory
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"  # no journal file beside it
    assert db.execute("PRAGMA locking_mode").fetchone()[0] == "exclusive"
    assert list(private_tmp.iterdir()) == [], "unlinked as soon as it is open: a killed process leaves nothing"
    assert store.count("t1", "Customer") == 300 and store.get("t1", "Customer", 1).data["DisplayName"] == "Customer 1"
    store.put(_row(1, "Renamed"))  # and it goes on working as the live database
    assert store.get("t1", "Customer", 1).data["DisplayName"] == "Renamed"


def test_a_bulk_load_in_one_transaction_moves_too(private_tmp, monkeypatch):
    monkeypatch.setattr(storage, "SPILL_BYTES", 64 * 1024)  # looked at every SPILL_CHECK (256) transactions or rows
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    store.put_many([_row(i, f"Customer {i}") for i in range(1, 301)])  # one transaction, 300 rows
    assert store._spilled and store.count("t1", "Customer") == 300


def test_the_file_rolls_back_and_restores(private_tmp, small_spill):
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    _fill(store)
    snap = store.snapshot()
    assert store._spilled and storage._is_file(store._snapshots[snap])  # a big snapshot is a file too
    with pytest.raises(RuntimeError), store.transaction():
        store.put(_row(1000, "Rolled back"))
        raise RuntimeError("a rule refused the request")
    assert store.get("t1", "Customer", 1000) is None  # the journal in memory still undoes a transaction
    store.put(_row(1001, "After the snapshot"))
    store.restore(snap)
    assert store.get("t1", "Customer", 1001) is None and store.count("t1", "Customer") == 300
    store.restore(snap)  # a snapshot stays restorable
    assert store.count("t1", "Customer") == 300 and store._spilled
    assert list(private_tmp.iterdir()) == []


def test_restoring_a_small_snapshot_brings_the_store_back_into_memory(private_tmp, monkeypatch):
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    snap = store.snapshot()
    monkeypatch.setattr(storage, "SPILL_BYTES", 64 * 1024)
    monkeypatch.setattr(storage, "SPILL_CHECK", 1)
    _fill(store)
    assert store._spilled
    store.restore(snap)
    assert not store._spilled and _main_file(store) == "" and store.count("t1", "Customer") == 0


def test_two_stores_do_not_share_a_database(private_tmp, small_spill):
    a, b = Store(), Store()
    a.create_tenant("t1", "quickbooks", {}, 0.0)
    _fill(a)
    b.create_tenant("t2", "quickbooks", {}, 0.0)
    _fill(b, count=300)
    assert a._spilled and b._spilled and a.tenant("t2") is None and b.tenant("t1") is None


def test_no_writable_temporary_directory_keeps_the_store_in_memory(tmp_path, monkeypatch, small_spill):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    _fill(store)
    assert not store._spilled and _main_file(store) == "" and store.count("t1", "Customer") == 300


def test_a_system_that_cannot_unlink_an_open_file_removes_it_at_exit(private_tmp, monkeypatch):
    kept: list = []
    monkeypatch.setattr(storage.os, "unlink", lambda path: (_ for _ in ()).throw(PermissionError(path)))
    monkeypatch.setattr(storage.atexit, "register", lambda fn, *args: kept.append((fn, args)))
    db = storage.private_database()
    assert len(kept) == 1 and kept[0][1][0].startswith(str(private_tmp))
    db.close()
    monkeypatch.undo()
    kept[0][0](*kept[0][1])
    assert list(private_tmp.iterdir()) == []
