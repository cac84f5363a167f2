"""Rate limits counted on the virtual clock: sliding windows and a concurrency gauge."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests in any ``seconds``-long window."""

    name: str
    limit: int
    seconds: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    window: Window | None = None  # the window that refused, if any
    remaining: int | None = None  # what is left in the tightest window
    retry_after: float = 0.0


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.enabled = True
        self._hits: dict[tuple, deque] = defaultdict(deque)
        self._in_flight: dict[tuple, int] = defaultdict(int)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def hit(self, key: tuple, windows: list[Window]) -> Verdict:
        """Count one request against every window, or refuse it without counting."""
        if not self.enabled:
            return Verdict(True)
        now = self.clock.timestamp()
        with self._lock:
            tightest: tuple[int, Window] | None = None
            for w in windows:
                q = self._hits[key + (w.name,)]
                while q and q[0] <= now - w.seconds:
                    q.popleft()
                if len(q) >= w.limit:
                    return Verdict(False, w, 0, max(0.0, q[0] + w.seconds - now))
                left = w.limit - len(q) - 1
                if tightest is None or left < tightest[0]:
                    tightest = (left, w)
            for w in windows:
                self._hits[key + (w.name,)].append(now)
        return Verdict(True, tightest[1] if tightest else None, tightest[0] if tightest else None)

    def used(self, key: tuple, windows: list[Window]) -> list[int]:
        """How many requests each window holds now (for the vendors' remaining-calls headers)."""
        now = self.clock.timestamp()
        with self._lock:
            return [sum(1 for t in self._hits[key + (w.name,)] if t > now - w.seconds) for w in windows]

    def enter(self, key: tuple, limit: int) -> bool:
        """Take a concurrency slot; False when ``limit`` requests are already in flight."""
        with self._lock:
            if self.enabled and self._in_flight[key] >= limit:
                return False
            self._in_flight[key] += 1
            return True

    def leave(self, key: tuple) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight[key] - 1)
