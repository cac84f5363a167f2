"""Time for the engine: ``now`` for schedules and ``sleep`` for back-off.

The engine never reads the wall clock directly, so tests drive it on the simulators' virtual
clock (where sleeping advances virtual time) and production runs it on the system clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


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
