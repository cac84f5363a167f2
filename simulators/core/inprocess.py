"""In-process routing: HTTP calls to a simulator's URLs go straight into its WSGI app.

Same pipeline, same state as the threaded server, no sockets. While active, every ``requests.Session`` (those
made before as well as after) hands a call for a routed URL to :class:`WsgiTransport`, a transport adapter that
builds the WSGI environ from the prepared request, calls the app and wraps what it answers in a
``requests.Response``: no socket, no HTTP text, no mock library in between. Clients that speak ``urllib3``
directly (hubspot-api-client) are bridged onto the same transport.

A URL no route matches is refused with :class:`NotRouted`, which names it: inside ``in_process()`` nothing
reaches the real network by accident. Loopback addresses (a server of this machine, say ``sims.serve()``) always
pass, and so does anything ``allow`` names. ``responses`` patches the network adapter
(``requests.adapters.HTTPAdapter.send``), which routed calls never reach, so it mocks allowed hosts beside the
routing::

    with sims.in_process(allow=["https://api.example.com"]), responses.RequestsMock() as mock:
        mock.get("https://api.example.com/ping", json={"ok": True})
"""

from __future__ import annotations

import io
import re
import sys
import time
from collections.abc import Iterable, Iterator
from http.client import HTTPMessage
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .pipeline import DROP
from .runtime import Runtime

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"})  # urllib3's


class NotRouted(requests.exceptions.RequestException):
    """A call inside ``in_process()`` to a URL that no simulator answers and ``allow`` does not let through."""


class _Body(io.RawIOBase):
    """The answer's body as the response's ``raw``: read whole or in chunks (a streamed answer is read lazily)."""

    def __init__(self, chunks: Iterable[bytes], close: Any = None, original: Any = None) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._close = close
        self._buffer = b""
        self._original_response = original  # what requests reads Set-Cookie from

    def readable(self) -> bool:
        return True

    def read(self, amt: int | None = None, decode_content: bool = True, **_: object) -> bytes:  # type: ignore[override]
        if amt is None or amt < 0:
            data = self._buffer + b"".join(self._chunks)
            self._buffer = b""
            self.close()
            return data
        while len(self._buffer) < amt:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        if not data:
            self.close()
        return data

    def stream(self, amt: int = 65536, decode_content: bool = True) -> Iterator[bytes]:
        while data := self.read(amt):
            yield data

    def release_conn(self) -> None:
        self.close()

    def close(self) -> None:
        if self._close is not None:
            close, self._close = self._close, None
            close()
        super().close()


class _Original:
    """Enough of ``http.client.HTTPResponse`` for requests' cookie extraction: ``msg`` holds the headers."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.msg = HTTPMessage()
        for name, value in headers:
            self.msg[name] = value


def _read_timeout(timeout: object) -> float | None:
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else None
    return float(timeout) if isinstance(timeout, int | float) else None


class WsgiTransport(BaseAdapter):
    """A ``requests`` transport adapter that answers from a WSGI app in this process."""

    def __init__(self, app: Flask, on_answer: Any = None) -> None:
        super().__init__()
        self.app = app
        self.on_answer = on_answer  # called after each answer (webhook deliveries that fell due)

    def call(self, method: str, url: str, headers: Iterable[tuple[str, Any]], body: object,
             timeout: float | None = None) -> tuple[int, str, list[tuple[str, str]], Iterable[bytes], Any]:
        """Run one request through the app: (status, reason, headers, body chunks, close)."""
        scheme, netloc, path, query, _ = urlsplit(url)
        host, _, port = netloc.rpartition(":") if netloc.rpartition(":")[2].isdigit() else (netloc, "", "")
        if isinstance(body, str):
            body = body.encode()
        elif body is not None and not isinstance(body, bytes | bytearray):
            body = body.read() if hasattr(body, "read") else b"".join(  # a file, or chunks (sent chunked)
                c.encode() if isinstance(c, str) else c for c in body)  # type: ignore[union-attr]
        # The environ a WSGI server builds (waitress: PATH_INFO percent-decoded to latin-1 text, each header once).
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path or "/").decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": host.strip("[]"),
            "SERVER_PORT": port or _DEFAULT_PORTS.get(scheme, "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": netloc,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        chunked = False
        for name, value in headers:
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
                environ[key] = value
            elif key == "TRANSFER_ENCODING":
                chunked = value.lower() == "chunked"
            else:
                key = "HTTP_" + key
                environ[key] = f"{environ[key]}, {value}" if key in environ and key != "HTTP_HOST" else value
        if chunked:  # the server reassembles a chunked body and says the input ends where the data does
            environ["wsgi.input_terminated"] = True
            environ.pop("CONTENT_LENGTH", None)
        started = time.perf_counter() if timeout is not None else 0.0
        answer: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: object = None) -> None:
            answer[:] = [status, response_headers]

        app_iter = self.app(environ, start_response)
        dropped = environ.get(DROP)
        if dropped or (timeout is not None and time.perf_counter() - started > timeout):
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
            if self.on_answer is not None:
                self.on_answer()
            if dropped == "drop":
                raise requests.exceptions.ConnectionError(f"hsqbo fault plan: connection dropped on {method} {url}")
            raise requests.exceptions.ReadTimeout(f"hsqbo fault plan: {method} {url} timed out" if dropped else
                                                  f"{method} {url}: no answer within the read timeout ({timeout} s)")
        if not answer:  # an app that answers only when its iterable is first read
            app_iter = iter(app_iter)
            first = next(app_iter, b"")
            app_iter = [first, *app_iter]
        if self.on_answer is not None:
            self.on_answer()
        status, response_headers = answer
        code, _, reason = status.partition(" ")
        return int(code), reason, response_headers, app_iter, getattr(app_iter, "close", None)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: object = None,
             verify: object = True, cert: object = None, proxies: object = None) -> requests.Response:
        url = request.url or ""
        status, reason, headers, chunks, close = self.call(request.method or "GET", url, request.headers.items(),
                                                           request.body, _read_timeout(timeout))
        resp = requests.Response()
        resp.status_code = status
        resp.reason = reason
        resp.headers = CaseInsensitiveDict(_joined(headers))
        resp.encoding = get_encoding_from_headers(resp.headers)
        resp.url = url
        resp.request = request
        resp.connection = self
        original = _Original(headers) if "set-cookie" in resp.headers else None
        if stream:
            resp.raw = _Body(chunks, close, original)
        else:
            try:
                content = chunks[0] if isinstance(chunks, list) and len(chunks) == 1 else b"".join(chunks)
            finally:
                if close is not None:
                    close()
            resp.raw = _Body((content,), None, original)
            resp._content = content  # read already: no second copy through raw
            resp._content_consumed = True
        return resp

    def close(self) -> None:
        pass


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers as a client library sees them: a name sent twice is one value, comma-joined (urllib3's way)."""
    out: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in lower:
            first = lower[key]
            out[first] = f"{out[first]}, {value}"
        else:
            lower[key] = name
            out[name] = value
    return out


class InProcess:
    """Context manager: route each ``prefix → app`` pair in-process while active; refuse what nothing routes.

    ``allow``: URL prefixes (``"https://api.example.com"``) or compiled patterns of URLs that may pass to the
    network adapter (where ``responses`` can answer them); loopback addresses always pass.
    """

    def __init__(self, runtime: Runtime, routes: dict[str, Flask], deliver_webhooks: bool = True,
                 allow: Iterable[str | re.Pattern[str]] = ()) -> None:
        self.runtime = runtime
        self.routes = routes
        self.deliver_webhooks = deliver_webhooks
        self.allow = tuple(allow)
        on_answer = runtime.outbox.deliver_due if deliver_webhooks else None
        transports: dict[int, WsgiTransport] = {}
        # origin -> [(path prefix, transport)], longest prefix first
        self._table: dict[str, list[tuple[str, WsgiTransport]]] = {}
        for prefix, app in routes.items():
            transport = transports.setdefault(id(app), WsgiTransport(app, on_answer))
            scheme, netloc, path, _, _ = urlsplit(prefix)
            self._table.setdefault(f"{scheme.lower()}://{netloc.lower()}", []).append((path.rstrip("/"), transport))
        for entries in self._table.values():
            entries.sort(key=lambda e: -len(e[0]))

    # -- routing ------------------------------------------------------------------------------------
    def transport_for(self, url: str) -> WsgiTransport | None:
        """The transport answering ``url``, or None when no route matches."""
        scheme, sep, rest = url.partition("://")
        if not sep:
            return None
        cut = len(rest)
        for i, ch in enumerate(rest):
            if ch in "/?#":
                cut = i
                break
        entries = self._table.get(f"{scheme.lower()}://{rest[:cut].lower()}")
        if entries is None:
            return None
        tail = rest[cut:]
        for path, transport in entries:
            if not path or (tail.startswith(path) and (len(tail) == len(path) or tail[len(path)] in "/?#")):
                return transport
        return None

    def allowed(self, url: str) -> bool:
        """Whether an unrouted ``url`` may go on to the network adapter."""
        host = urlsplit(url).hostname or ""
        if host in LOOPBACK_HOSTS or host.startswith("127."):
            return True
        for rule in self.allow:
            if isinstance(rule, str):
                if url.startswith(rule.rstrip("/")) and url[len(rule.rstrip("/")):][:1] in ("", "/", "?", "#", ":"):
                    return True
            elif rule.match(url):
                return True
        return False

    # -- the context ------------------------------------------------------------------------------------
    def __enter__(self) -> InProcess:
        if not _ACTIVE:
            _install()
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.remove(self)
        if not _ACTIVE:
            _uninstall()


# The routings active now, innermost last: a URL goes to the innermost route that matches it; one no route matches
# passes when any of them allows it. The classes are patched while at least one is active.
_ACTIVE: list[InProcess] = []
_UNDO: list[Any] = []


def _transport_for(url: str) -> WsgiTransport | None:
    for routing in reversed(_ACTIVE):
        transport = routing.transport_for(url)
        if transport is not None:
            return transport
    return None


def _check_allowed(url: str) -> None:
    if not any(routing.allowed(url) for routing in _ACTIVE):
        raise NotRouted(f"in_process(): no simulator answers {url} and it is not allowed to reach the network; "
                        f"route it (extra=) or let it through (allow=[...])")


def _install() -> None:
    session_cls = requests.Session
    get_adapter = session_cls.get_adapter
    merge_environment = session_cls.merge_environment_settings

    def routed_adapter(session: requests.Session, url: str) -> BaseAdapter:
        transport = _transport_for(url)
        if transport is not None:
            return transport
        _check_allowed(url)
        return get_adapter(session, url)

    def merge_environment_settings(session: requests.Session, url: str, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        if _transport_for(url) is None:
            return merge_environment(session, url, proxies, stream, verify, cert)
        # no proxy and no CA bundle apply to a call that never leaves the process: the environment is not read
        return {"proxies": {}, "stream": session.stream if stream is None else stream,
                "verify": session.verify if verify is None else verify,
                "cert": session.cert if cert is None else cert}

    session_cls.get_adapter = routed_adapter  # type: ignore[method-assign]
    session_cls.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign]
    _UNDO.append(lambda: setattr(session_cls, "get_adapter", get_adapter))
    _UNDO.append(lambda: setattr(session_cls, "merge_environment_settings", merge_environment))
    netrc_auth = requests.sessions.get_netrc_auth

    def get_netrc_auth(url: str, raise_errors: bool = False) -> Any:
        # a ~/.netrc entry holds credentials for the real host: they are not sent to a simulator (nor looked up)
        return None if _transport_for(url) is not None else netrc_auth(url, raise_errors)

    _swap(requests.sessions, "get_netrc_auth", get_netrc_auth)
    prepared = requests.models.PreparedRequest
    _swap(prepared, "prepare_url", _prepare_url_kept(prepared.prepare_url))
    # requests checks "has .items()" / "has .read()" with runtime Protocols, which Python 3.11 answers by walking
    # the protocol's attributes on every call (a tenth of an in-process call): the same test, answered directly.
    _swap(requests.utils, "_SupportsItems", _has_attribute("items"))
    _swap(requests.models, "_SupportsRead", _has_attribute("read"))
    _bridge_urllib3()


def _swap(module: Any, name: str, value: object) -> None:
    if not hasattr(module, name):  # another requests version: leave it be
        return
    before = getattr(module, name)
    setattr(module, name, value)
    _UNDO.append(lambda: setattr(module, name, before))


URLS_KEPT = 4096  # prepared URLs kept while the routing is active (a client sends the same ones again and again)


def _prepare_url_kept(prepare_url: Any) -> Any:
    """``PreparedRequest.prepare_url`` remembering what it made of a URL and its parameters.

    Preparing a URL is a pure function of the two: parsed by urllib3, percent-encoded character by character, the
    parameters encoded and appended (a QBO query URL: ~0.1 ms, an eighth of an in-process call). Only plain keys are
    kept: a URL as text, with no parameters or a dict of text and integers; anything else, and any URL that fails,
    is prepared as usual every time."""
    kept: dict[tuple, str] = {}

    def prepare_url_kept(request: requests.PreparedRequest, url: Any, params: Any) -> None:
        key = _url_key(url, params)
        if key is None:
            return prepare_url(request, url, params)
        done = kept.get(key)
        if done is None:
            prepare_url(request, url, params)
            if len(kept) >= URLS_KEPT:
                kept.clear()
            done = kept[key] = request.url  # type: ignore[assignment]
        request.url = done
        return None

    return prepare_url_kept


def _url_key(url: object, params: object) -> tuple | None:
    if type(url) is not str:
        return None
    if not params:
        return (url, params is None)  # None and {} / "" prepare alike today; kept apart all the same
    if type(params) is not dict:
        return None
    items = tuple(params.items())
    for name, value in items:
        if type(name) is not str or (type(value) is not str and type(value) is not int):
            return None
    return (url, items)


def _has_attribute(attribute: str) -> type:
    """A class whose isinstance() is a runtime Protocol's with one method: the attribute is there and not None."""

    class HasAttribute(type):
        def __instancecheck__(cls, instance: object) -> bool:
            return getattr(instance, attribute, None) is not None

    return HasAttribute(f"Has_{attribute}", (), {})


def _uninstall() -> None:
    while _UNDO:
        _UNDO.pop()()


def _bridge_urllib3() -> None:
    """Answer ``urllib3.PoolManager`` requests for routed URLs from the same transport."""
    import urllib3
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    original = urllib3.PoolManager.urlopen

    def urlopen(manager: urllib3.PoolManager, method: str, url: str, redirect: bool = True,
                **kw: Any) -> urllib3.BaseHTTPResponse:
        transport = _transport_for(url)
        if transport is None:
            _check_allowed(url)
            return original(manager, method, url, redirect=redirect, **kw)
        timeout = kw.get("timeout")
        read_timeout = getattr(timeout, "read_timeout", timeout)
        body = kw.get("body")
        if isinstance(body, str):
            body = body.encode()
        sent = dict(kw.get("headers") or {})
        # what urllib3's connection adds on the wire (Host comes from the URL)
        names = {name.lower() for name in sent}
        if "content-length" not in names and "transfer-encoding" not in names:
            if isinstance(body, bytes | bytearray):
                sent["Content-Length"] = str(len(body))
            elif body is None and method.upper() not in _NO_BODY_METHODS:
                sent["Content-Length"] = "0"
        if "accept-encoding" not in names:
            sent["Accept-Encoding"] = "identity"
        if "user-agent" not in names:
            sent["User-Agent"] = f"python-urllib3/{urllib3.__version__}"
        try:
            status, reason, headers, chunks, close = transport.call(method, url, sent.items(), body,
                                                                    _read_timeout(read_timeout))
        except requests.exceptions.ReadTimeout as exc:
            raise ReadTimeoutError(None, url, str(exc)) from exc  # type: ignore[arg-type]
        except requests.exceptions.ConnectionError as exc:
            raise ProtocolError(str(exc)) from exc
        try:
            data = b"".join(chunks)
        finally:
            if close is not None:
                close()
        # a file object, as from a socket: an empty body must read back as b"", not None
        return urllib3.HTTPResponse(body=io.BytesIO(data), headers=headers, status=status, reason=reason,
                                    preload_content=kw.get("preload_content", True),
                                    decode_content=kw.get("decode_content", True), request_url=url)

    # patching the class is the point: every PoolManager (the vendors' SDKs make their own) routes through it
    urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]
    _UNDO.append(lambda: setattr(urllib3.PoolManager, "urlopen", original))
