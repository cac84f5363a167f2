"""The request pipeline every simulated API shares: faults → auth and limits → handler → journal.

Installed on each system's Flask app. Admin routes (``/_sim/``) skip faults, auth and limits; when the runtime has
an admin token, they need it.
"""

from __future__ import annotations

import socket
import time

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date

from .admin import token_refusal
from .jsonlimits import LimitedJSONProvider
from .runtime import Runtime, System

DROP = "hsqbo.drop"  # WSGI environ key: "drop" or "timeout" — the connection must die, no response
SOCKET = "hsqbo.socket"  # WSGI environ key: the client's socket, set by our server (see server.py)
RESPONSE_HEADERS = "hsqbo.headers"  # WSGI environ key: headers a system's guard wants on the response
DROP_HEADER = "X-Hsqbo-Drop"  # the same verdict, for in-process routing (which never sees a socket)


def client_socket(environ: dict) -> socket.socket | None:
    """The client's socket when served over the network (our waitress server, or werkzeug's), else None."""
    return environ.get(SOCKET) or environ.get("werkzeug.socket")


class DropMiddleware:
    """Kills the socket for requests the fault plan drops (server mode).

    In-process routing reads the same environ flag and raises the matching ``requests`` error.
    """

    def __init__(self, app: object) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: object) -> object:
        result = self.app(environ, start_response)
        if environ.get(DROP):
            sock = client_socket(environ)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return result


def install(app: Flask, runtime: Runtime, system: System) -> None:
    app.extensions["hsqbo.runtime"] = runtime
    app.extensions["hsqbo.system"] = system
    app.json = LimitedJSONProvider(app)  # request.get_json with limits: hostile bodies are 400s, not 500s
    runtime.systems[system.name] = system
    runtime.apps[system.name] = app
    app.wsgi_app = DropMiddleware(app.wsgi_app)

    # The hooks bind the request and ``g`` once: each access through Flask's proxies costs a lookup.
    @app.before_request
    def _before() -> Response | None:
        req, ctx = request._get_current_object(), g._get_current_object()
        ctx.started = time.perf_counter()
        ctx.tenant = system.tenant_of(req)
        ctx.guarded = False
        path = req.path
        if path.startswith("/_sim"):
            return token_refusal(req, runtime.admin_token)  # None unless an admin token is set and missing
        # Auth and throttling first: a request the vendor would refuse never reaches the fault plan, and a
        # delayed one holds its concurrency slot the way a slow real request does.
        refused = system.guard(req)
        ctx.guarded = True
        if refused is not None:
            return refused
        fired = runtime.faults.match("request", system=system.name, tenant=ctx.tenant, method=req.method, path=path)
        ctx.fault = fired.rule["id"] if fired else None
        if fired:
            rule = fired.rule
            if fired.action == "call":
                rule["call"]()  # runs before this request is applied; the request then goes on as usual
            elif fired.action == "status":
                return system.error_response(rule["status"], rule.get("body"))
            if fired.action == "delay":
                time.sleep(float(rule["seconds"]))
            elif fired.action == "timeout":
                req.environ[DROP] = "timeout"
                if client_socket(req.environ) is not None:
                    time.sleep(float(rule.get("seconds", 30)))
                return Response(status=504)
            elif fired.action == "drop":
                if rule.get("phase", "before") == "before":
                    req.environ[DROP] = "drop"
                    return Response(status=502)
                ctx.drop_after = True
        return None

    @app.after_request
    def _after(response: Response) -> Response:
        req, ctx = request._get_current_object(), g._get_current_object()
        environ = req.environ
        if ctx.get("drop_after"):
            environ[DROP] = "drop"
        if environ.get(DROP):
            response.headers[DROP_HEADER] = environ[DROP]
        for key, value in environ.get(RESPONSE_HEADERS, {}).items():
            response.headers.setdefault(key, value)
        # the server's time is the virtual clock's: clients that read Date (for watermarks) see what the
        # records' timestamps say, not the host's wall clock
        response.headers["Date"] = _http_date(runtime.clock.timestamp())
        runtime.journal.record(
            {
                "at": runtime.clock.now().isoformat(),
                "system": system.name,
                "tenant": ctx.get("tenant"),
                "method": req.method,
                "path": req.path,
                "query": req.query_string.decode(errors="replace"),
                "requestHeaders": req.headers,  # the journal keeps them with every credential redacted
                "requestBody": _request_text(req),
                "status": response.status_code,
                "responseBody": _text(response.get_data()) if not response.direct_passthrough else None,
                "durationMs": round((time.perf_counter() - ctx.get("started", time.perf_counter())) * 1000, 3),
                "fault": ctx.get("fault"),
                "dropped": environ.get(DROP),
            }
        )
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        if g.get("guarded"):
            system.release(request)


# the last timestamp formatted and its text, as one tuple (read and replaced whole: threads see a matching pair);
# a frozen or slow clock asks for the same one again and again
_DATE: list[tuple[float, str]] = [(float("nan"), "")]


def _http_date(timestamp: float) -> str:
    last = _DATE[0]
    if last[0] != timestamp:
        last = _DATE[0] = (timestamp, http_date(timestamp))
    return last[1]


def _request_text(req: Request) -> str | None:
    if not req.content_length and not req.environ.get("wsgi.input_terminated"):
        return None  # no body to read (reading would build an empty stream, then find nothing)
    try:
        return _text(req.get_data())
    except RequestEntityTooLarge:
        return None  # refused unread: the journal keeps no body


def _text(raw: bytes) -> str | None:
    return raw.decode(errors="replace") if raw else None
