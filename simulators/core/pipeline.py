"""The request pipeline every simulated API shares: faults → auth and limits → handler → journal.

Installed on each system's Flask app. Admin routes (``/_sim/``) skip faults, auth and limits.
"""

from __future__ import annotations

import socket
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from .runtime import Runtime, System

DROP = "hsqbo.drop"  # WSGI environ key: "drop" or "timeout" — the connection must die, no response
DROP_HEADER = "X-Hsqbo-Drop"  # the same verdict, for in-process routing (which never sees a socket)


class DropMiddleware:
    """Kills the socket for requests the fault plan drops (server mode).

    In-process routing reads the same environ flag and raises the matching ``requests`` error.
    """

    def __init__(self, app: object) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: object) -> object:
        result = self.app(environ, start_response)
        if environ.get(DROP):
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return result


def install(app: Flask, runtime: Runtime, system: System) -> None:
    app.extensions["hsqbo.runtime"] = runtime
    app.extensions["hsqbo.system"] = system
    runtime.systems[system.name] = system
    runtime.apps[system.name] = app
    app.wsgi_app = DropMiddleware(app.wsgi_app)

    @app.before_request
    def _before() -> Response | None:
        g.started = time.perf_counter()
        g.tenant = system.tenant_of(request)
        g.guarded = False
        if request.path.startswith("/_sim"):
            return None
        fired = runtime.faults.match(
            "request", system=system.name, tenant=g.tenant, method=request.method, path=request.path
        )
        g.fault = fired.rule["id"] if fired else None
        if fired:
            rule = fired.rule
            if fired.action == "status":
                return system.error_response(rule["status"], rule.get("body"))
            if fired.action == "delay":
                time.sleep(float(rule["seconds"]))
            elif fired.action == "timeout":
                request.environ[DROP] = "timeout"
                if request.environ.get("werkzeug.socket") is not None:
                    time.sleep(float(rule.get("seconds", 30)))
                return Response(status=504)
            elif fired.action == "drop":
                if rule.get("phase", "before") == "before":
                    request.environ[DROP] = "drop"
                    return Response(status=502)
                g.drop_after = True
        refused = system.guard(request)
        g.guarded = True
        return refused

    @app.after_request
    def _after(response: Response) -> Response:
        if g.get("drop_after"):
            request.environ[DROP] = "drop"
        if request.environ.get(DROP):
            response.headers[DROP_HEADER] = request.environ[DROP]
        runtime.journal.record(
            {
                "at": runtime.clock.now().isoformat(),
                "system": system.name,
                "tenant": g.get("tenant"),
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode(errors="replace"),
                "requestBody": _request_text(),
                "status": response.status_code,
                "responseBody": _text(response.get_data()) if not response.direct_passthrough else None,
                "durationMs": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
                "fault": g.get("fault"),
                "dropped": request.environ.get(DROP),
            }
        )
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        if g.get("guarded"):
            system.release(request)


def _request_text() -> str | None:
    try:
        return _text(request.get_data())
    except RequestEntityTooLarge:
        return None  # refused unread: the journal keeps no body


def _text(raw: bytes) -> str | None:
    return raw.decode(errors="replace") if raw else None
