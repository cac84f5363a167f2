"""One virtual clock that every timestamp, expiry, due date and rate-limit window reads.

Modes:
- ``real``: wall-clock time plus an offset (``advance``/``set`` move the offset).
- ``frozen``: time stands still until ``advance`` or ``set`` moves it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

MODES = ("real", "frozen")


class Clock:
    def __init__(self, mode: str = "real", start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        self.set_mode(mode)
        if start is not None:
            self.set(start)

    @property
    def mode(self) -> str:
        return "real" if self._frozen_at is None else "frozen"

    def timestamp(self) -> float:
        """Seconds since the epoch, on the virtual time line."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {', '.join(MODES)}, not {mode!r}")
        with self._lock:
            if mode == "frozen" and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif mode == "real" and self._frozen_at is not None:
                # Resume from the frozen instant so virtual time never jumps.
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward: advance needs seconds >= 0")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        target = when.timestamp()
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - time.time()

    def describe(self) -> dict:
        return {"now": self.now().isoformat(), "mode": self.mode}


def parse_iso(value: str) -> datetime:
    """Parse an ISO-8601 timestamp; a value without offset is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


__all__ = ["Clock", "MODES", "parse_iso"]
