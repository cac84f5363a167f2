"""The simulators' default store: a private SQLite database, the process's own like ``:memory:``, but paged.

Its memory bound is a benchmark figure (``make bench-scale``: peak RSS of a 100k sync); these tests check what
makes it hold: a file database with a bounded page cache, unlinked as it opens, rollbacks and snapshots intact."""

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


def _row(entity_id: int, name: str = "x") -> Row:
    return Row("t1", "Customer", entity_id, {"Id": str(entity_id), "DisplayName": name}, name_key=name.lower())


def test_default_store_is_a_paged_file_not_memory(private_tmp):
    store = Store()
    db = store._db
    files = [path for _, name, path in db.execute("PRAGMA database_list") if name == "main"]
    assert files and files[0], "the default store is a file database, so SQLite can page it (not :memory:)"
    assert db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB  # the pages it keeps in memory
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"  # no journal file beside it
    assert db.execute("PRAGMA locking_mode").fetchone()[0] == "exclusive"
    assert list(private_tmp.iterdir()) == [], "unlinked as soon as it is open: a killed process leaves nothing"


def test_private_store_rolls_back_and_restores(private_tmp):
    store = Store()
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    store.put(_row(1, "Kept"))
    snap = store.snapshot()
    with pytest.raises(RuntimeError), store.transaction():
        store.put(_row(2, "Rolled back"))
        raise RuntimeError("a rule refused the request")
    assert store.get("t1", "Customer", 2) is None  # the journal in memory still undoes a transaction
    store.put(_row(3, "After the snapshot"))
    store.restore(snap)
    assert store.get("t1", "Customer", 3) is None and store.get("t1", "Customer", 1).data["DisplayName"] == "Kept"
    store.restore(snap)  # a snapshot stays restorable
    assert store.get("t1", "Customer", 1) is not None
    assert list(private_tmp.iterdir()) == []  # the snapshot is a private database too


def test_two_stores_do_not_share_a_database(private_tmp):
    a, b = Store(), Store()
    a.create_tenant("t1", "quickbooks", {}, 0.0)
    a.put(_row(1))
    assert b.get("t1", "Customer", 1) is None and b.tenant("t1") is None


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


def test_no_writable_temporary_directory_keeps_the_store_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    store = Store()
    assert [path for _, name, path in store._db.execute("PRAGMA database_list") if name == "main"] == [""]
    store.create_tenant("t1", "quickbooks", {}, 0.0)
    store.put(_row(1))
    assert store.get("t1", "Customer", 1) is not None
