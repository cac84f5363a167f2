"""In-process routing: HTTP calls to a simulator's URLs go straight into its Flask app.

Same pipeline, same state as the threaded server, no sockets. Built on ``responses`` for
``requests``; clients that speak ``urllib3`` directly (hubspot-api-client) are bridged onto the
same route. Every other URL passes through untouched.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import requests
import responses
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .pipeline import DROP_HEADER
from .runtime import Runtime

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class InProcess:
    """Context manager: route each ``prefix → app`` pair in-process while active."""

    def __init__(self, runtime: Runtime, routes: dict[str, Flask], deliver_webhooks: bool = True) -> None:
        self.runtime = runtime
        self.routes = routes
        self.deliver_webhooks = deliver_webhooks
        self.mock: responses.RequestsMock | None = None

    def __enter__(self) -> InProcess:
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        # One pattern for every prefix (group n matches the n-th route) and one callback per method:
        # ``responses`` tries every registered callback on each request, 40 of them before.
        apps = list(self.routes.values())
        pattern = re.compile("(?:" + "|".join(f"({re.escape(prefix.rstrip('/'))})" for prefix in self.routes)
                             + r")(?:[/?].*)?$")
        bases = [app.test_client().environ_base for app in apps]  # what the Flask test client adds to environs
        for method in METHODS:
            self.mock.add_callback(method, pattern, callback=self._handler(pattern, apps, bases))
        self.mock.add_passthru(re.compile(".*"))
        self.mock.start()
        self._bridge_urllib3()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.mock is not None
        self._unbridge()
        self.mock.stop()
        self.mock.reset()

    def _bridge_urllib3(self) -> None:
        """Replay ``urllib3.PoolManager`` requests for our prefixes through ``requests`` (and so through the route)."""
        import urllib3
        from urllib3.exceptions import ProtocolError, ReadTimeoutError

        original = urllib3.PoolManager.urlopen
        prefixes = tuple(prefix.rstrip("/") for prefix in self.routes)

        def urlopen(manager: urllib3.PoolManager, method: str, url: str, redirect: bool = True,
                    **kw: object) -> urllib3.BaseHTTPResponse:
            if not url.startswith(prefixes):
                return original(manager, method, url, redirect=redirect, **kw)
            try:
                r = requests.request(method, url, data=kw.get("body"), headers=dict(kw.get("headers") or {}),
                                     allow_redirects=False, timeout=30)
            except requests.exceptions.ReadTimeout as exc:
                raise ReadTimeoutError(None, url, str(exc)) from exc
            except requests.exceptions.ConnectionError as exc:
                raise ProtocolError(str(exc)) from exc
            # a file object, as from a socket: an empty body must read back as b"", not None
            return urllib3.HTTPResponse(body=io.BytesIO(r.content), headers=dict(r.headers), status=r.status_code,
                                        reason=r.reason, preload_content=True, decode_content=False)

        # patching the class is the point: every PoolManager (the vendors' SDKs make their own) routes through it
        urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign, assignment]
        self._unbridge = lambda: setattr(urllib3.PoolManager, "urlopen", original)

    def _handler(self, pattern: re.Pattern, apps: list[Flask], bases: list[dict]) -> object:
        def call(req: requests.PreparedRequest) -> tuple[int, dict, bytes]:
            route = pattern.match(req.url).lastindex - 1
            url = urlsplit(req.url)
            body = req.body.encode() if isinstance(req.body, str) else req.body
            # The environ the Flask test client builds, run without the client's cookie jar and response
            # wrappers (a third of an in-process call's own cost).
            builder = EnvironBuilder(path=url.path, query_string=url.query, method=req.method,
                                     headers=list(req.headers.items()), data=body,
                                     base_url=f"{url.scheme}://{url.netloc}", environ_base=dict(bases[route]))
            try:
                environ = builder.get_environ()
            finally:
                builder.close()
            app_iter, status, headers = run_wsgi_app(apps[route], environ, buffered=True)
            data = b"".join(app_iter)
            dropped = headers.get(DROP_HEADER)
            if self.deliver_webhooks:
                self.runtime.outbox.deliver_due()
            if dropped == "timeout":
                raise requests.exceptions.ReadTimeout(f"hsqbo fault plan: {req.method} {req.url} timed out")
            if dropped:
                raise requests.exceptions.ConnectionError(
                    f"hsqbo fault plan: connection dropped on {req.method} {req.url}"
                )
            out = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            return int(status.split(None, 1)[0]), out, data

        return call
