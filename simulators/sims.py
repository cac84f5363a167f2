"""The simulators of one process, one shared runtime: run them in-process or on real ports.

    sims = Simulators()
    with sims.in_process():                  # requests to the simulators' URLs never touch a socket
        creds = sims.new_qbo_company(country="GB", seed="empty")
        ...
    with sims.serve(quickbooks_port=0) as servers:   # or real threaded servers on loopback
        print(servers["quickbooks"].url)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from .core.runtime import Runtime
from .core.server import ServerThread
from .quickbooks.api import create_app as create_quickbooks_app

if TYPE_CHECKING:
    from .core.inprocess import InProcess

QBO_URL = "http://quickbooks.sim"
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
    def __init__(self, db: str | None = None, runtime: Runtime | None = None) -> None:
        self.runtime = runtime or Runtime(db)
        self.quickbooks = create_quickbooks_app(self.runtime)
        self.qbo_url = QBO_URL

    def in_process(self, deliver_webhooks: bool = True) -> InProcess:
        from .core.inprocess import InProcess  # imported here: `responses` and `requests` take ~0.1 s to import

        routes = {QBO_URL: self.quickbooks, **{u: self.quickbooks for u in INTUIT_URLS}}
        return InProcess(self.runtime, routes, deliver_webhooks=deliver_webhooks)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", quickbooks_port: int = 0) -> Iterator[dict[str, ServerThread]]:
        with ExitStack() as stack:
            servers = {"quickbooks": stack.enter_context(ServerThread(self.quickbooks, host, quickbooks_port))}
            self.qbo_url = servers["quickbooks"].url
            self.runtime.outbox.start()
            stack.callback(self.runtime.outbox.stop)
            yield servers

    def new_qbo_company(self, **options: object) -> dict:
        """Create a QBO company through the admin API; returns its credentials."""
        import requests  # imported here, like InProcess: `hsqbo serve` starts without it

        options.setdefault("seed", "empty")
        r = requests.post(f"{self.qbo_url}/_sim/tenants", json=options, timeout=30)
        r.raise_for_status()
        return r.json()
