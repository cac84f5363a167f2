"""``hsqbo serve`` / ``demo`` start the dashboard on its own port and print its URL (no browser needed here)."""

from __future__ import annotations

import argparse
import re

import requests

from harness import dashboard
from simulators.sims import Simulators
from sync.state import State


def _args(port: int, settings: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(host="127.0.0.1", dashboard_port=port, write_settings=settings)


def test_the_dashboard_is_served_and_its_url_printed(capsys, tmp_path):
    from harness.engine_settings import write_simulator_settings

    sims = Simulators()
    with sims.serve() as servers:
        info = {"servers": servers, "company": sims.new_qbo_company(), "portal": sims.new_hubspot_portal()}
        settings = tmp_path / "hsqbo-sync.yaml"
        write_simulator_settings(settings, info, "professional")
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("sqlite:///hsqbo-sync.db", f"sqlite:///{tmp_path / 'state.db'}"),
                            encoding="utf-8")
        board = dashboard.for_cli(_args(0, str(settings)), sims, info, demo=True)
        try:
            out = capsys.readouterr().out
            assert f"Dashboard: {board.url}/" in out
            failed = re.search(r"(http://\S+/sync/records\?status=failed)", out).group(1)
            assert board.host == "127.0.0.1"  # loopback, as the simulators
            page = requests.get(failed, timeout=10)
            assert page.status_code == 200 and "No record matches." in page.text
            home = requests.get(f"{board.url}/", timeout=10).text
            assert info["company"]["realmId"] in home and str(info["portal"]["portalId"]) in home
            # the engine is the written settings' one: its state is that file, and Sync now runs it on the servers
            assert (tmp_path / "state.db").exists()
            session = requests.Session()
            token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{board.url}/", timeout=10).text)
            done = session.post(f"{board.url}/sync/now", data={"csrf_token": token.group(1)}, timeout=60)
            assert done.status_code == 200 and "Sync now:" in done.text and "complete" in done.text, done.text
            assert State(f"sqlite:///{tmp_path / 'state.db'}").watermark("contacts", "hubspot") is not None
        finally:
            board.stop()

        assert dashboard.for_cli(_args(-1), sims, info) is None  # -1: no dashboard
        assert capsys.readouterr().out == ""
        taken = dashboard.for_cli(_args(int(servers["quickbooks"].port)), sims, info)
        assert taken is None and "Dashboard not started" in capsys.readouterr().out
