"""The simulators of one process, one shared runtime: run them in-process or on real ports.

    sims = Simulators()
    with sims.in_process():                  # requests to the simulators' URLs never touch a socket
        creds = sims.new_qbo_company(country="GB", seed="empty")
        ...
    with sims.serve(quickbooks_port=0, hubspot_port=0) as servers:   # or real servers on loopback
        print(servers["quickbooks"].url, servers["hubspot"].url)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from .core.admin import admin_headers
from .core.runtime import Runtime
from .core.server import ServerThread
from .hubspot.api import create_app as create_hubspot_app
from .quickbooks.api import create_app as create_quickbooks_app

if TYPE_CHECKING:
    from flask import Flask

    from .core.inprocess import InProcess

QBO_URL = "http://quickbooks.sim"
HUBSPOT_URL = "http://hubspot.sim"
HUBSPOT_API = "https://api.hubapi.com"  # intercepted in-process, like Intuit's URLs
HUBSPOT_APP = "https://app.hubspot.com"  # the install (authorize) screen
# In-process mode also answers Intuit's own URLs, so code using the production/sandbox
# defaults of python-quickbooks and intuit-oauth runs unchanged.
INTUIT_URLS = (
    "https://developer.intuit.com/.well-known",
    "https://oauth.platform.intuit.com",
    "https://developer.api.intuit.com/v2/oauth2",
    "https://sandbox-quickbooks.api.intuit.com",
    "https://quickbooks.api.intuit.com",
    "https://sandbox-accounts.platform.intuit.com",
    "https://appcenter.intuit.com",
)


class Simulators:
    def __init__(self, db: str | None = None, runtime: Runtime | None = None, admin_token: str | None = None) -> None:
        self.runtime = runtime or Runtime(db)
        if admin_token:  # every /_sim/ request then needs it; this object's own calls send it (admin_headers)
            self.runtime.admin_token = admin_token
        self.quickbooks = create_quickbooks_app(self.runtime)
        self.hubspot = create_hubspot_app(self.runtime)
        self.journal = self.runtime.journal  # both simulators' requests: sims.journal.assert_called("POST", ...)
        self.qbo_url = QBO_URL
        self.hubspot_url = HUBSPOT_URL

    def in_process(self, deliver_webhooks: bool = True, extra: dict[str, Flask] | None = None,
                   allow: Iterable[str | re.Pattern[str]] = ()) -> InProcess:
        """Route the simulators' URLs in-process; ``extra`` adds apps of your own (a webhook receiver).

        Any other URL is refused with ``NotRouted`` naming it, unless it is on loopback or ``allow`` names it (URL
        prefixes or compiled patterns): those go to the network adapter, where ``responses`` may answer them.
        """
        from .core.inprocess import InProcess  # imported here: `requests` takes ~0.1 s to import

        routes = {QBO_URL: self.quickbooks, **{u: self.quickbooks for u in INTUIT_URLS},
                  HUBSPOT_URL: self.hubspot, HUBSPOT_API: self.hubspot, HUBSPOT_APP: self.hubspot, **(extra or {})}
        return InProcess(self.runtime, routes, deliver_webhooks=deliver_webhooks, allow=allow)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", quickbooks_port: int = 0,
              hubspot_port: int = 0) -> Iterator[dict[str, ServerThread]]:
        with ExitStack() as stack:
            servers = {"quickbooks": stack.enter_context(ServerThread(self.quickbooks, host, quickbooks_port)),
                       "hubspot": stack.enter_context(ServerThread(self.hubspot, host, hubspot_port))}
            self.qbo_url = servers["quickbooks"].url
            self.hubspot_url = servers["hubspot"].url
            self.runtime.outbox.start()
            stack.callback(self.runtime.outbox.stop)
            yield servers

    def admin_headers(self) -> dict[str, str]:
        """The header the admin API (``/_sim/``) needs when an admin token guards it; ``{}`` when none does."""
        return admin_headers(self.runtime.admin_token)

    def new_qbo_company(self, **options: object) -> dict:
        """Create a QBO company through the admin API; returns its credentials."""
        return self._new_tenant(self.qbo_url, options)

    def new_hubspot_portal(self, **options: object) -> dict:
        """Create a HubSpot portal through the admin API; returns its credentials."""
        return self._new_tenant(self.hubspot_url, options)

    def _new_tenant(self, url: str, options: dict) -> dict:
        import requests  # imported here, like InProcess: `hsqbo serve` starts without it

        options.setdefault("seed", "empty")
        r = requests.post(f"{url}/_sim/tenants", json=options, headers=self.admin_headers(), timeout=30)
        r.raise_for_status()
        return r.json()
