"""In-process routing: ``requests`` calls to a simulator's URLs go straight into its Flask app.

Same pipeline, same state as the threaded server, no sockets. Built on ``responses``; every
other URL passes through untouched.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
import responses
from flask import Flask

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
        for prefix, app in self.routes.items():
            pattern = re.compile(re.escape(prefix.rstrip("/")) + r"(?:[/?].*)?$")
            client = app.test_client()
            for method in METHODS:
                self.mock.add_callback(method, pattern, callback=self._handler(client))
        self.mock.add_passthru(re.compile(".*"))
        self.mock.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.mock is not None
        self.mock.stop()
        self.mock.reset()

    def _handler(self, client: object) -> object:
        def call(req: requests.PreparedRequest) -> tuple[int, dict, bytes]:
            url = urlsplit(req.url)
            body = req.body.encode() if isinstance(req.body, str) else req.body
            resp = client.open(
                path=url.path,
                query_string=url.query,
                method=req.method,
                headers=list(req.headers.items()),
                data=body,
                base_url=f"{url.scheme}://{url.netloc}",
            )
            dropped = resp.headers.get(DROP_HEADER)
            data = resp.get_data()
            if self.deliver_webhooks:
                self.runtime.outbox.deliver_due()
            if dropped == "timeout":
                raise requests.exceptions.ReadTimeout(f"hsqbo fault plan: {req.method} {req.url} timed out")
            if dropped:
                raise requests.exceptions.ConnectionError(
                    f"hsqbo fault plan: connection dropped on {req.method} {req.url}"
                )
            headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-length"}
            return resp.status_code, headers, data

        return call
