"""pytest fixtures: in-process simulators, fresh for each test (registered as a pytest11 plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.sims import Simulators


@pytest.fixture
def sims() -> Iterator[Simulators]:
    """Both simulators in-process (``requests`` is routed into the Flask apps; no sockets)."""
    s = Simulators()
    with s.in_process():
        yield s


@pytest.fixture
def qbo_company(sims: Simulators) -> dict:
    """A fresh, empty US QBO company: ``realmId``, ``clientId``, ``accessToken``, … ."""
    return sims.new_qbo_company(country="US", seed="empty")
