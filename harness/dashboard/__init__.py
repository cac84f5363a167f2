"""The web dashboard (``hsqbo serve`` / ``hsqbo demo``, its own port, loopback by default): both simulated
systems side by side, the sync as HubSpot's integration shows it (H1-H3), the harness (clock, faults, snapshots,
journal) and scenario runs as reports. Server-rendered Flask and Jinja, no front-end build.

One concern a module: ``systems`` (records of both simulators), ``syncing`` (the engine's status and actions),
``report`` (scenario runs), ``app`` (routes, forms, CSRF; the only one that speaks HTTP).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ``hsqbo``'s start-up reads this module for its options
    from flask import Flask

    from simulators.core.server import ServerThread
    from simulators.sims import Simulators
    from sync.engine import Engine

DEFAULT_PORT = 8767
SCENARIO_DIRS = ("scenarios",)  # listed on the Scenarios page when they exist (relative to the working directory)

__all__ = ["DEFAULT_PORT", "add_argument", "engine_for", "for_cli", "start", "web_app"]


def web_app(sims: Simulators, engine: Engine, scenario_dirs: Iterable[str | Path] = SCENARIO_DIRS) -> Flask:
    """The dashboard as a Flask app (serve it with any WSGI server, or ``web_app(...).test_client()``)."""
    from harness.dashboard.app import Dashboard, create_app

    return create_app(Dashboard(sims, engine, scenario_dirs))


def start(sims: Simulators, engine: Engine, host: str = "127.0.0.1", port: int = 0,
          scenario_dirs: Iterable[str | Path] = SCENARIO_DIRS) -> ServerThread:
    """Serve the dashboard of ``sims`` and ``engine`` on ``host:port`` (0: any free port) from a daemon thread."""
    from simulators.core.server import ServerThread

    return ServerThread(web_app(sims, engine, scenario_dirs), host, port).start()


def engine_for(sims: Simulators, info: Mapping, settings_file: str | None = None) -> Engine:
    """The sync engine the dashboard drives for ``hsqbo serve``: the settings file it wrote (so ``hsqbo sync`` and
    the dashboard share one state), else the same settings with an in-memory state; on the simulators' clock."""
    from harness.engine_settings import simulator_settings
    from sync.clock import VirtualClock
    from sync.engine import Engine
    from sync.settings import Settings, load_settings

    if settings_file:
        settings = load_settings(settings_file)
    else:
        settings = Settings.from_dict(simulator_settings(
            info["company"], info["portal"], quickbooks_url=info["servers"]["quickbooks"].url,
            hubspot_url=info["servers"]["hubspot"].url, state="sqlite://"))
    return Engine(settings, clock=VirtualClock(sims.runtime.clock))


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dashboard-port", type=int, default=DEFAULT_PORT,
                        help=f"the web dashboard's port (default {DEFAULT_PORT}; 0 = any free port, -1 = none)")


def for_cli(args: argparse.Namespace, sims: Simulators, info: Mapping, engine: Engine | None = None,
            demo: bool = False, quiet: bool = False) -> ServerThread | None:
    """``hsqbo serve`` and ``demo``: start the dashboard on ``--dashboard-port`` and print its URL (for the demo,
    with links to its edge cases; ``quiet``: print nothing). None when turned off (-1) or the port is taken."""
    port = getattr(args, "dashboard_port", DEFAULT_PORT)
    if port < 0:
        return None
    engine = engine or engine_for(sims, info, getattr(args, "write_settings", None))
    try:
        server = start(sims, engine, args.host, port)
    except OSError as err:
        if not quiet:
            print(f"Dashboard not started: port {port}: {err.strerror or err} (choose another: --dashboard-port)")
        return None
    url = server.url
    lines = [f"Dashboard: {url}/  (both systems, the sync, the clock, faults, snapshots, the journal, scenarios)"]
    if demo:
        lines += [f"  the contacts that failed to sync (D2), and why:  {url}/sync/records?status=failed",
                  f"  the contacts left out (D3):                      {url}/sync/records?status=excluded",
                  f"  the requests QBO refused in the walkthrough:     {url}/journal?system=quickbooks&status=400"]
    if not quiet:
        print("\n".join(lines), flush=True)
    return server
