"""The request journal: every request and its response, queryable by tests."""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections import deque

BODY_LIMIT = 16_384  # characters kept of each body; enough to assert on, bounded in memory


class Journal:
    def __init__(self, capacity: int = 20_000) -> None:
        self._entries: deque[dict] = deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: dict) -> dict:
        for key in ("requestBody", "responseBody"):
            body = entry.get(key)
            if isinstance(body, str) and len(body) > BODY_LIMIT:
                entry[key] = body[:BODY_LIMIT] + "…[truncated]"
        with self._lock:
            entry["seq"] = next(self._seq)
            self._entries.append(entry)
        return entry

    def last_seq(self) -> int:
        """The sequence number of the newest entry (0 when empty): a cheap mark for ``find(since=…)``."""
        with self._lock:
            return self._entries[-1]["seq"] if self._entries else 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(self, *, system: str | None = None, tenant: str | None = None, method: str | None = None,
             path: str | None = None, status: int | None = None, since: int = 0,
             limit: int | None = None) -> list[dict]:
        """Entries in order; ``path`` is a glob on the request path, ``since`` a sequence number."""
        with self._lock:
            entries = list(self._entries)
        out = [
            e for e in entries
            if e["seq"] > since
            and (system is None or e.get("system") == system)
            and (tenant is None or e.get("tenant") == tenant)
            and (method is None or e.get("method", "").upper() == method.upper())
            and (path is None or fnmatch.fnmatchcase(e.get("path", "").lower(), path.lower()))
            and (status is None or e.get("status") == status)
        ]
        return out[-limit:] if limit else out
