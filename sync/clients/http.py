"""What both API clients share: the error type, client-side rate windows and one retrying request loop.

The loop is deliberately conservative about repeating requests: a 429 was refused before any work was done, so it is
always repeated; a 5xx or a lost connection may hide a write that did happen, so only requests that are safe to repeat
(reads, searches, writes carrying an idempotency key) are tried again.
"""

from __future__ import annotations

import json as jsonlib
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError

from ..clock import Clock, SystemClock

DEFAULT_MAX_RETRIES = 8
UNREACHABLE_RETRIES = 2  # a host that never answered and refuses connections: a wrong URL or nothing running
MAX_BACKOFF = 60.0
# Clocks round (datetimes keep microseconds, servers keep floats): wait a hair past a window's edge so the request
# lands in the next window on the server too.
PACER_MARGIN = 0.001
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ApiError(Exception):
    """A non-2xx answer: HTTP ``status``, the parsed ``body`` (JSON, or text) and which ``system`` sent it."""

    def __init__(self, status: int, body: object, system: str = "", message: str | None = None) -> None:
        self.status = status
        self.body = body
        self.system = system
        text = str(message if message is not None else (body if isinstance(body, str) else ""))[:500]
        super().__init__(f"{system or 'api'} answered {status}" + (f": {text}" if text else ""))


class Pacer:
    """Client-side sliding windows ``(max requests, seconds)`` on the injected clock.

    Waiting here costs time but no request; hitting the server's limit costs a 429 and then a longer wait.
    """

    def __init__(self, clock: Clock, windows: Sequence[tuple[int, float]]) -> None:
        self.clock = clock
        self.windows = [(int(limit), float(seconds)) for limit, seconds in windows]
        if any(limit < 1 or seconds <= 0 for limit, seconds in self.windows):
            raise ValueError("each pacer window needs limit >= 1 and seconds > 0")
        self._keep = max((limit for limit, _ in self.windows), default=0)
        self._hits: list[float] = []
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds slept, for benchmarks

    def delay(self, now: float) -> float:
        """Seconds until one more request fits every window (0 when it fits now)."""
        delay = 0.0
        for limit, seconds in self.windows:
            if len(self._hits) >= limit:
                # the limit-th most recent request must have left the window: hits count while t > now - seconds
                delay = max(delay, self._hits[-limit] + seconds - now)
        return delay

    def wait(self) -> float:
        """Sleep (on the clock) until a request fits every window, then count it. Returns the seconds slept."""
        if not self.windows:
            return 0.0
        slept = 0.0
        with self._lock:
            while True:
                now = self.clock.now().timestamp()
                delay = self.delay(now)
                if delay <= 0:
                    break
                self.clock.sleep(delay + PACER_MARGIN)
                slept += delay + PACER_MARGIN
            self._hits.append(now)
            if len(self._hits) > 2 * self._keep:
                del self._hits[: len(self._hits) - self._keep]
        self.waited += slept
        return slept

    def settle(self) -> None:
        """Move the latest request's mark to now, once its answer is in.

        The server counts a request somewhere between sending and answering; marking the answer's time keeps our
        windows from closing before the server's do (the first call of a connection can take a while).
        """
        if not self.windows:
            return
        with self._lock:
            if self._hits:
                self._hits[-1] = max(self._hits[-1], self.clock.now().timestamp())


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_body(resp: requests.Response) -> object:
    """The answer's JSON, else its text (QBO sends XML for some 401s), else None."""
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return resp.text


class HttpClient:
    """One ``requests.Session``, call counters and the retry loop; the vendor clients fill in the hooks."""

    system = "api"
    default_retry_after = 60.0  # seconds to wait on a 429 that says nothing
    # the OAuth state each vendor client sets up in its __init__ and :meth:`_take_tokens` keeps
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    on_tokens: Callable[[dict], None] | None

    def __init__(self, clock: Clock | None, timeout: float, max_retries: int = DEFAULT_MAX_RETRIES) -> None:
        self.clock: Clock = clock or SystemClock()
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = requests.Session()
        self.calls = 0  # every HTTP attempt, refused ones included
        self.calls_by_kind: Counter[str] = Counter()
        self.retries = 0  # attempts that were repeats (429, 5xx, lost connections)
        self.server_time: datetime | None = None
        self.answered = False  # any HTTP answer yet: until then a refused connection is a wrong URL, not a blip

    # -- hooks -----------------------------------------------------------------------------------
    def _error(self, status: int, body: object) -> ApiError:
        return ApiError(status, body, self.system)

    def _auth_headers(self) -> dict[str, str]:
        return {}

    def _ensure_token(self) -> None:
        """Get or renew the access token before a call when it is missing or about to expire."""

    def _should_refresh(self, resp: requests.Response, body: object) -> bool:
        """Whether this 401 means a fresh access token would help (then it is refreshed once)."""
        return False

    def _refresh(self) -> None:
        raise NotImplementedError

    def _take_tokens(self, body: object, default_lifetime: int) -> None:
        """Keep a token answer (both vendors answer the same OAuth shape) and hand it to ``on_tokens``."""
        if not isinstance(body, dict) or not body.get("access_token"):
            raise self._error(200, body)
        self.access_token = body["access_token"]
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        expires_in = int(body.get("expires_in") or default_lifetime)
        self.expires_at = self.clock.now() + timedelta(seconds=expires_in)
        if self.on_tokens is not None:
            self.on_tokens({"access_token": self.access_token, "refresh_token": self.refresh_token,
                            "expires_in": expires_in})

    def _rate_wait(self, resp: requests.Response, body: object, kind: str) -> float | None:
        """Seconds to wait before repeating a 429; None to give up at once (a daily cap)."""
        told = retry_after(resp.headers.get("Retry-After"), self.clock.now())
        return self.default_retry_after if told is None else told

    def _before(self, kind: str) -> None:
        """Client-side pacing before each attempt."""

    def _settle(self, kind: str) -> None:
        """The attempt is over (answered or failed): settle the pacers' marks."""

    def _after(self, resp: requests.Response, kind: str) -> None:
        """Read whatever the answer says about limits."""

    def _server_time(self, resp: requests.Response, body: object) -> datetime | None:
        return None

    # -- the loop --------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, kind: str, safe: bool, params: Mapping[str, Any] | None = None,
                json: object = None, data: dict | None = None, headers: dict | None = None,
                auth: tuple[str, str] | None = None, authenticated: bool = True,
                ok: Callable[[int], bool] | None = None) -> tuple[requests.Response, object]:
        """Send one logical request, repeating it as the rules above allow; returns (response, parsed body).

        ``safe``: the request may be repeated after a 5xx or a lost connection. ``ok`` widens what counts as
        success (a batch's 207).
        """
        attempt = 0  # repeats so far (429 and 5xx/connection alike), capped by max_retries
        failures = 0  # 5xx/connection failures in a row, for the back-off exponent
        refreshed = False
        while True:
            if authenticated:
                self._ensure_token()
            self._before(kind)
            self.calls += 1
            self.calls_by_kind[kind] += 1
            all_headers = {**(self._auth_headers() if authenticated else {}), **(headers or {})}
            payload: dict | bytes | None = data
            if json is not None:  # our own encoding: exact Decimals (requests' would refuse them)
                payload = dumps(json)
                if not any(k.lower() == "content-type" for k in all_headers):
                    all_headers["Content-Type"] = "application/json"
            try:
                resp = self._send(method, url, params, payload, all_headers, auth)
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._settle(kind)
                limit = self.max_retries if self.answered or not _unreachable(exc) else \
                    min(self.max_retries, UNREACHABLE_RETRIES)
                if not safe or attempt >= limit:
                    raise  # the write may have happened: the caller decides, we never repeat it blindly
                self._backoff(failures)
                failures += 1
                attempt += 1
                continue
            self._settle(kind)
            self.answered = True
            self._after(resp, kind)
            status = resp.status_code
            body = parse_body(resp)
            if 200 <= status < 300 or (ok is not None and ok(status)):
                when = self._server_time(resp, body)
                if when is not None:
                    self.server_time = when
                return resp, body
            if status == 401 and authenticated and not refreshed and self._should_refresh(resp, body):
                self._refresh()
                refreshed = True
                continue
            if status == 429:
                wait = self._rate_wait(resp, body, kind)
                if wait is None or attempt >= self.max_retries:
                    raise self._error(status, body)
                self.clock.sleep(wait)
                self.retries += 1
                attempt += 1
                continue
            if status >= 500 and safe and attempt < self.max_retries:
                self._backoff(failures)
                failures += 1
                attempt += 1
                continue
            raise self._error(status, body)

    def _send(self, method: str, url: str, params: Mapping[str, Any] | None, data: dict | bytes | None,
              headers: dict[str, str], auth: tuple[str, str] | None) -> requests.Response:
        """One attempt, handed straight to the session's transport for ``url``.

        ``Session.request`` would add what these APIs never use, at a third of an in-process call's cost: a cookie
        jar written and read on every call, redirects followed (a POST turned into a GET), and ~/.netrc
        credentials put in place of the bearer token. What it does that matters is kept: the session's default
        headers and mounted adapters, and the proxy and CA settings of the environment."""
        session = self.session
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method.upper(), url=url, params=params, data=data, auth=auth,
                         headers=merge_setting(headers, session.headers, dict_class=CaseInsensitiveDict))
        env = session.merge_environment_settings(prepared.url, {}, None, None, None)
        verify = True if env["verify"] is None else env["verify"]
        resp = session.get_adapter(prepared.url or url).send(prepared, stream=False, timeout=self.timeout,
                                                             verify=verify, cert=env["cert"], proxies=env["proxies"])
        resp.content  # noqa: B018 - read whole now, as Session.send does (the connection goes back to its pool)
        return resp

    def _backoff(self, failures: int) -> None:
        self.retries += 1
        self.clock.sleep(min(MAX_BACKOFF, float(2 ** failures)))

    def close(self) -> None:
        self.session.close()


def _unreachable(exc: BaseException) -> bool:
    """Nothing listens there, or the name does not resolve — as opposed to a connection lost or a slow answer."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ConnectionRefusedError, socket.gaierror, NewConnectionError)):
            return True  # urllib3's NewConnectionError covers a name that does not resolve too
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = nested or getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False


def dumps(value: object) -> bytes:
    """``value`` as JSON, a Decimal written as the exact number it is: an amount is never a float on the wire
    (``float("99999999999999999999.99")`` is ``1e+20``).

    A value of plain JSON types (dicts keyed by ``str``, lists, tuples and leaves that are no Decimal) is written
    by ``json.dumps`` in one go: :func:`_json_text` writes it the very same way (same separators, each leaf by
    ``json.dumps``), a node at a time. Anything else goes through :func:`_json_text`."""
    if _plain(value):
        try:
            return jsonlib.dumps(value, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError):
            pass  # a leaf json cannot write: _json_text says so in its own words
    return _json_text(value).encode("utf-8")


def _plain(value: object) -> bool:
    """No Decimal anywhere, and every mapping a dict keyed by ``str`` (json.dumps writes other keys its own way)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())  # type: ignore[attr-defined]
    if kind is list or kind is tuple:
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    return kind is str or kind is int or kind is bool or value is None or kind is float


def _json_text(value: object) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value}")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{jsonlib.dumps(str(k))}: {_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return jsonlib.dumps(value, allow_nan=False)


def loads(text: str | bytes) -> Any:
    """JSON with its non-integer numbers as Decimals (the inverse of :func:`dumps`)."""
    return jsonlib.loads(text, parse_float=Decimal)


def ms_epoch(when: datetime) -> int:
    """Milliseconds since the epoch (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // timedelta(milliseconds=1)  # exact and rounded down (floats would drift)


def parse_when(value: Any) -> datetime | None:
    """A timestamp as the vendors write them: ISO-8601 text (``Z`` or offset) or epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        return EPOCH + timedelta(milliseconds=int(value))
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
