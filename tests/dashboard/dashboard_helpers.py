"""The dashboard served for real (simulators on loopback, the sync engine, the dashboard on its own port) and a
headless Chromium driving it: Debian's ``chromium`` through Playwright (``make install`` installs both)."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
START = "2026-03-02T09:00:00Z"
FAILING_SCENARIO = """\
    version: 1
    name: Ada reaches QuickBooks (this file expects one customer too many)
    rules: [D3]
    generation: current
    given:
      settings:
        pairs:
          contacts: {direction: two-way, recommended_filters: false}
          products: {enabled: false}
          invoices: {enabled: false}
      records:
        hubspot:
          - {ref: ada, type: contacts,
             properties: {email: ada@engines.example, firstname: Ada, lastname: Lovelace}}
    when:
      - sync
    then:
      quickbooks:
        Customer: {count: 2}
      counts:
        contacts: {synced: 1}
"""


@dataclass
class Site:
    url: str
    sims: object
    engine: object
    company: dict
    portal: dict
    qbo_url: str
    hubspot_url: str

    def qbo(self, method: str, path: str, body: object = None) -> requests.Response:
        """A QBO API call with a token valid now (another test may have moved the clock past an hour)."""
        realm = self.company["realmId"]
        token = self.sims.runtime.credentials.issue_access(realm, self.company["clientId"], 3600)
        return requests.request(method, f"{self.qbo_url}/v3/company/{realm}/{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def hubspot(self, method: str, path: str, body: object = None) -> requests.Response:
        return requests.request(method, f"{self.hubspot_url}{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {self.portal['accessToken']}"})


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: `make install` installs Debian's chromium package")
    return found


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 860}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def make_site(tmp: Path, extra: callable = None, seed: str = "sample"):
    """Both simulators seeded as ``hsqbo demo`` seeds them, the demo's engine after its first pass, the dashboard."""
    from harness import dashboard
    from harness.engine_settings import simulator_settings
    from simulators.core.clock import parse_iso
    from simulators.sims import Simulators
    from sync.clock import VirtualClock
    from sync.engine import Engine
    from sync.settings import Settings

    folder = tmp / "scenarios"
    folder.mkdir()
    (folder / "failing.yaml").write_text(textwrap.dedent(FAILING_SCENARIO), encoding="utf-8")
    sims = Simulators()
    sims.runtime.limits.enabled = False
    sims.runtime.clock.set_mode("frozen")
    sims.runtime.clock.set(parse_iso(START))
    servers = sims.serve()
    handles = servers.__enter__()
    company = sims.new_qbo_company(seed=seed)
    portal = sims.new_hubspot_portal(seed=seed)
    qbo_url, hubspot_url = handles["quickbooks"].url, handles["hubspot"].url
    doc = simulator_settings(company, portal, quickbooks_url=qbo_url, hubspot_url=hubspot_url, state="sqlite://")
    doc["pairs"]["contacts"].update(direction="two-way", filters={"to_quickbooks": [], "to_hubspot": []})
    engine = Engine(Settings.from_dict(doc), clock=VirtualClock(sims.runtime.clock))
    site = Site("", sims, engine, company, portal, qbo_url, hubspot_url)
    if extra is not None:
        extra(site, folder)
    engine.run_pass()
    board = dashboard.start(sims, engine, "127.0.0.1", 0, scenario_dirs=[folder])
    site.url = board.url
    return site, lambda: (board.stop(), servers.__exit__(None, None, None), engine.state.engine.dispose())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    made, stop = make_site(tmp_path_factory.mktemp("dashboard"))
    yield made
    stop()


def shoot(page, name: str, full_page: bool = True) -> None:
    """A screenshot of the page: the README's (docs/screenshots/NAME.png) with ``HSQBO_SCREENSHOTS=1`` (``make
    screenshots``), else a throwaway one — ids and times differ every run, so the tracked pictures change only
    when asked."""
    folder = SCREENSHOTS if os.environ.get("HSQBO_SCREENSHOTS") == "1" else Path(tempfile.gettempdir()) / "hsqbo-shots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
