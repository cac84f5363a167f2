"""The request journal: every request and its response, queryable by tests.

``find()`` lists entries; ``assert_called()`` / ``assert_not_called()`` check them the way ``unittest.mock``
does, with a message listing the calls seen. Request headers are kept with their secrets redacted.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping

BODY_LIMIT = 16_384  # characters kept of each body; enough to assert on, bounded in memory
BODY_BUDGET = 32 * 1024 * 1024  # characters of bodies kept in all: past it the oldest entries go first
REDACTED = "[redacted]"
# Headers whose value is a credential: kept by name, never by value.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                            "x-hubspot-signature", "x-hubspot-signature-v3", "intuit-signature"})
_SECRET_NAME = re.compile(r"token|secret|password|hapikey|api[-_]?key|session", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"(?i)((?:^|&)(?:hapikey|api_?key|access_token|refresh_token|client_secret|code|token)=)"
                           r"[^&]*")
SHOWN = 20  # calls an assertion message lists


class Journal:
    def __init__(self, capacity: int = 20_000, budget: int = BODY_BUDGET) -> None:
        """Keeps the last ``capacity`` entries, fewer when their bodies hold more than ``budget`` characters
        (each body is cut at ``BODY_LIMIT``): batches and search pages at 100k records stay bounded."""
        self._entries: deque[dict] = deque()
        self._sizes: deque[int] = deque()  # body characters of each entry, in step with _entries
        self._capacity = capacity
        self._budget = budget
        self._chars = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: dict) -> dict:
        if entry.get("requestHeaders") is not None:
            entry["requestHeaders"] = redact_headers(entry["requestHeaders"])
        if entry.get("query"):
            entry["query"] = redact_query(str(entry["query"]))
        size = 0
        for key in ("requestBody", "responseBody"):
            body = entry.get(key)
            if isinstance(body, str):
                if len(body) > BODY_LIMIT:
                    body = entry[key] = body[:BODY_LIMIT] + "…[truncated]"
                size += len(body)
        with self._lock:
            entry["seq"] = next(self._seq)
            self._entries.append(entry)
            self._sizes.append(size)
            self._chars += size
            while len(self._entries) > 1 and (len(self._entries) > self._capacity or self._chars > self._budget):
                self._entries.popleft()
                self._chars -= self._sizes.popleft()
        return entry

    def last_seq(self) -> int:
        """The sequence number of the newest entry (0 when empty): a cheap mark for ``find(since=…)``."""
        with self._lock:
            return self._entries[-1]["seq"] if self._entries else 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._chars = 0

    def size(self) -> tuple[int, int]:
        """Entries kept and the characters of their bodies."""
        with self._lock:
            return len(self._entries), self._chars

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

    # -- verification --------------------------------------------------------------------------------
    def assert_called(self, method: str | None = None, path: str | None = None, times: int | None = None, *,
                      system: str | None = None, tenant: str | None = None, status: int | None = None,
                      since: int = 0) -> list[dict]:
        """Assert requests matching ``method`` and ``path`` (a glob: ``/v3/company/*/invoice``) were made —
        ``times`` exactly, or at least once — and return them. The AssertionError lists the calls seen."""
        if times is not None and times < 0:
            raise ValueError(f"times must be 0 or more, not {times}")
        found = self.find(system=system, tenant=tenant, method=method, path=path, status=status, since=since)
        if (len(found) == times) if times is not None else bool(found):
            return found
        wanted = " ".join(p for p in (method.upper() if method else "any method", path or "any path"))
        extra = ", ".join(f"{k}={v!r}" for k, v in (("system", system), ("tenant", tenant), ("status", status))
                          if v is not None)
        expected = f"{times} time(s)" if times is not None else "at least once"
        raise AssertionError(f"expected {wanted}{f' ({extra})' if extra else ''} {expected}, it was made "
                             f"{len(found)} time(s).\n{self.describe(since=since)}")

    def assert_not_called(self, method: str | None = None, path: str | None = None, *, system: str | None = None,
                          tenant: str | None = None, status: int | None = None, since: int = 0) -> None:
        """Assert no request matching ``method`` and ``path`` was made (same filters as :meth:`assert_called`)."""
        self.assert_called(method, path, 0, system=system, tenant=tenant, status=status, since=since)

    def describe(self, since: int = 0, limit: int = SHOWN) -> str:
        """The calls seen, one a line (the last ``limit``): what an assertion's message shows."""
        entries = self.find(since=since)
        if not entries:
            return "No call was made."
        lines = [f"  {e.get('method', '?')} {e.get('path', '?')}{'?' + e['query'] if e.get('query') else ''} "
                 f"-> {e.get('status', '?')}" + (f" [{e['system']}]" if e.get("system") else "")
                 for e in entries[-limit:]]
        head = f"Calls seen ({len(entries)}" + (f", the last {limit}" if len(entries) > limit else "") + "):"
        return "\n".join([head, *lines])


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """The request's headers with every credential's value replaced (the name kept, so a test can see it
    was sent): Authorization, cookies, API keys, signatures, anything named like a token or secret."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = str(name)
        secret = _secret_name(key)
        if secret and key.lower() == "authorization" and " " in str(value):
            out[key] = f"{str(value).split(' ', 1)[0]} {REDACTED}"  # the scheme (Bearer, Basic) is no secret
        else:
            out[key] = REDACTED if secret else str(value)
    return out


_SECRET_NAMES: dict[str, bool] = {}  # header name -> whether it holds a credential (names recur: decided once)


def _secret_name(key: str) -> bool:
    secret = _SECRET_NAMES.get(key)
    if secret is None:
        secret = key.lower() in SECRET_HEADERS or _SECRET_NAME.search(key) is not None
        if len(_SECRET_NAMES) < 4096:  # bounded: a client inventing header names does not grow it for ever
            _SECRET_NAMES[key] = secret
    return secret


def redact_query(query: str) -> str:
    """A query string with credential parameters' values replaced (``hapikey=…``, ``access_token=…``)."""
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, query)
