"""The people acting on each system in a test, scenario or random history: their own API clients, and
what the simulators' journal says everyone did.

The QBO user connects with a grant of their own: QBO rotates refresh tokens, so sharing the sync's
would revoke it the first time either side refreshed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.clients.hubspot import HubSpotClient
from sync.clients.quickbooks import QuickBooksClient

if TYPE_CHECKING:
    from simulators.sims import Simulators
    from sync.clock import Clock


def user_clients(sims: Simulators, company: dict, portal: dict, clock: Clock) -> tuple[QuickBooksClient,
                                                                                       HubSpotClient]:
    from simulators.quickbooks.system import LIFETIMES

    own = sims.runtime.credentials.issue(company["realmId"], company["clientId"], LIFETIMES)
    qbo = QuickBooksClient(sims.qbo_url, company["realmId"], client_id=company["clientId"],
                           client_secret=company["clientSecret"], refresh_token=own["refresh_token"],
                           access_token=own["access_token"], clock=clock, pace=False)
    hs = HubSpotClient(sims.hubspot_url, access_token=portal["accessToken"], clock=clock, pace=False)
    return qbo, hs


READS = ("/query", "/search", "/batch/read")  # POSTs that only read


def api_calls(sims: Simulators, since: int = 0) -> list[dict]:
    """Requests the simulators answered after journal sequence ``since``, admin (``/_sim``) calls left out."""
    return [e for e in sims.runtime.journal.find(since=since) if "/_sim" not in e.get("path", "")]


def api_writes(sims: Simulators, since: int = 0) -> list[dict]:
    """Of those, the ones that change data: not reads (GET, query, search, batch read), not token calls."""
    return [e for e in api_calls(sims, since) if e.get("method") in ("POST", "PATCH", "PUT", "DELETE")
            and not e.get("path", "").endswith(READS) and "/oauth" not in e.get("path", "")]
