"""Fixtures every test folder may use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new, empty database on this machine's PostgreSQL (127.0.0.1:5432), dropped afterwards: its URL. The
    server is one of the machine's services, so its absence is a failure, not a skip."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", dbname="test", user="postgres", connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is part of this machine's services: {exc}")
    admin.autocommit = True
    name = f"hsqbo_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1/{name}"
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
