"""Time for the engine: ``now`` for schedules and ``sleep`` for back-off.

The engine never reads the wall clock directly, so tests drive it on the simulators' virtual
clock (where sleeping advances virtual time) and production runs it on the system clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import requests


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Advancing(Protocol):
    """A clock that only moves when told to (the simulators' virtual clock)."""

    def timestamp(self) -> float:
        """Seconds since the epoch, on its time line."""
        ...

    def advance(self, seconds: float) -> None: ...


class VirtualClock:
    """Any clock with ``timestamp()`` and ``advance()`` (the simulators' one): sleeping moves it on.

    Duck-typed (:class:`Advancing`) so the engine never imports a simulator.
    """

    def __init__(self, clock: Advancing) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.timestamp(), UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._clock.advance(seconds)


class SimulatorsClock:
    """The simulators' clock read and moved over their admin API (``{url}`` is ``…/_sim/clock``).

    ``now()`` is the simulators' time; ``sleep()`` advances it instead of waiting, so quota pacing, ``Retry-After``
    and back-off cost no real time against the simulators (``hsqbo sync --clock simulators``). Real systems have no
    such endpoint: against them the engine keeps the :class:`SystemClock`.
    """

    def __init__(self, url: str, timeout: float = 10.0, admin_token: str | None = None) -> None:
        import os

        import requests  # here: the engine's other clocks need no HTTP

        self.url = url
        self.timeout = timeout
        self.session = requests.Session()
        # the simulators' admin API may be guarded (hsqbo serve --admin-token / HSQBO_ADMIN_TOKEN)
        token = admin_token or os.environ.get("HSQBO_ADMIN_TOKEN")
        if token:
            self.session.headers["X-Hsqbo-Admin-Token"] = token
        self.slept = 0.0  # virtual seconds advanced, for reports and benchmarks

    def _answer(self, response: requests.Response) -> datetime:
        response.raise_for_status()
        return datetime.fromisoformat(str(response.json()["now"]).replace("Z", "+00:00"))

    def now(self) -> datetime:
        return self._answer(self.session.get(self.url, timeout=self.timeout))

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._answer(self.session.post(self.url, json={"advance": seconds}, timeout=self.timeout))
            self.slept += seconds
