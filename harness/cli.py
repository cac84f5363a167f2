"""The ``hsqbo`` command: serve the simulators, run the demo; run the sync engine (``sync``, ``status``,
``export``, ``action``: see :mod:`sync.cli`).

``rich`` and ``requests`` are imported where they are used, after the server is up: they are a
fair part of the start-up time otherwise.
"""

from __future__ import annotations

import argparse
import functools
import json
import threading
import time
from typing import TYPE_CHECKING

from harness import dashboard
from simulators.sims import Simulators

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import requests
    from flask import Flask
    from rich.console import Console

    from simulators.core.server import ServerThread
    from sync.engine import Engine


@functools.cache
def _console() -> Console:
    from rich.console import Console

    return Console()


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--quickbooks-port", type=int, default=8765, help="QBO simulator port (0 = any free port)")
    p.add_argument("--hubspot-port", type=int, default=8766, help="HubSpot simulator port (0 = any free port)")
    p.add_argument("--tier", default="professional", choices=["free", "starter", "professional", "enterprise"],
                   help="ready-made HubSpot portal's tier (sets its rate limits)")
    p.add_argument("--currency", default="USD", help="ready-made HubSpot portal's company currency")
    p.add_argument("--db", default=None, help="SQLAlchemy URL (default: in-memory SQLite), e.g. "
                   "sqlite:///state.db or postgresql://127.0.0.1/test")
    p.add_argument("--country", default="US", choices=["US", "GB", "CA", "AU"], help="ready-made company's country")
    p.add_argument("--seed", default="sample", choices=["sample", "empty", "intuit-sample"],
                   help="ready-made company's data (intuit-sample: Intuit's sandbox sample company, README)")
    p.add_argument("--seed-number", type=int, default=0, help="faker seed: same number, same data")
    p.add_argument("--write-settings", metavar="FILE", help="write the sync engine's settings for these servers "
                   "and the ready-made company and portal to FILE (then: hsqbo sync --settings FILE)")
    dashboard.add_argument(p)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (0 ok; ``sync``: 1 when a pair stopped early, 2 bad settings)."""
    from sync.cli import add_commands

    parser = argparse.ArgumentParser(prog="hsqbo", description="Offline HubSpot <-> QuickBooks Online test bed")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the simulators until interrupted")
    _serve_args(serve)
    serve.set_defaults(run=run_serve)
    demo = sub.add_parser("demo", help="serve the simulators seeded and show what they do")
    _serve_args(demo)
    demo.add_argument("--exit", action="store_true", help="stop after the walkthrough instead of serving on")
    demo.set_defaults(run=run_demo)
    add_commands(sub)
    scenario = sub.add_parser("scenario", help="run scenario files (given / when / then) against the simulators")
    scenario_sub = scenario.add_subparsers(dest="scenario_command", required=True)
    run = scenario_sub.add_parser("run", help="run scenario files and print a pass/fail report")
    run.add_argument("targets", nargs="+", metavar="FILE|DIR", help="scenario files, or folders of *.yaml")
    run.add_argument("--sync-command", metavar="CMD", help="the sync under test is this shell command, run once a "
                     "pass with the simulators served on loopback and their URLs and credentials in its environment "
                     "(HSQBO_SETTINGS, HSQBO_QUICKBOOKS_URL, ...: see harness/command_sync.py); default: the "
                     "reference engine in-process")
    run.add_argument("--sync-timeout", type=float, default=300.0, metavar="SECONDS",
                     help="with --sync-command: seconds one pass may take (default 300)")
    run.set_defaults(run=run_scenarios)
    saved = scenario_sub.add_parser("from-failure", help="turn the last history the property tests ran (after a "
                                    "failure: the shrunk failing one) into a scenario file")
    saved.add_argument("--out", metavar="FILE", help="where to write it (default: print it)")
    saved.add_argument("--name", help="the scenario's name")
    saved.set_defaults(run=scenario_from_failure)
    args = parser.parse_args(argv)
    return args.run(args) or 0


def _start(args: argparse.Namespace) -> tuple[Simulators, AbstractContextManager[dict[str, ServerThread]], dict, float]:
    started = time.perf_counter()
    sims = Simulators(db=args.db)
    servers = sims.serve(args.host, args.quickbooks_port, args.hubspot_port)
    handles = servers.__enter__()
    ready = time.perf_counter() - started
    company = _new_tenant(sims.quickbooks, {"country": args.country, "seed": args.seed,
                                            "seedNumber": args.seed_number})
    portal = _new_tenant(sims.hubspot, {"tier": args.tier, "currency": args.currency,
                                        "seed": args.seed.replace("intuit-", ""),  # HubSpot: the sample portal
                                        "seedNumber": args.seed_number})
    return sims, servers, {"servers": handles, "company": company, "portal": portal}, ready


def _new_tenant(app: Flask, options: dict) -> dict:
    """A ready-made tenant, made through the admin API (so the journal shows it) but in-process."""
    body = json.dumps(options, allow_nan=False)  # as ``requests.post(json=options)`` sends it
    r = app.test_client().post("/_sim/tenants", data=body, content_type="application/json")
    if r.status_code >= 400:
        raise SystemExit(f"hsqbo: cannot create the tenant: {r.get_json().get('error', r.status_code)}")
    return r.get_json()


def _print_access(sims: Simulators, info: dict, ready: float) -> None:
    from rich.panel import Panel
    from rich.table import Table

    console = _console()
    url = info["servers"]["quickbooks"].url
    c = info["company"]
    table = Table(title=f"QuickBooks Online simulator — ready in {ready * 1000:.0f} ms", show_header=False)
    table.add_row("API base", f"{url}/v3")
    table.add_row("Discovery (intuit-oauth environment=)", f"{url}/.well-known/openid_sandbox_configuration/")
    table.add_row("Admin API", f"{url}/_sim/health")
    for key in ("realmId", "clientId", "clientSecret", "accessToken", "refreshToken", "verifierToken"):
        table.add_row(key, c[key])
    console.print(table)
    console.print(Panel(
        "from intuitlib.client import AuthClient\nfrom quickbooks import QuickBooks\n"
        "from quickbooks.objects.customer import Customer\n"
        "import os; os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = '1'  # the simulator speaks plain http\n"
        f"QuickBooks.api_url_v3 = '{url}/v3'\n"
        f"auth = AuthClient('{c['clientId']}', '{c['clientSecret']}', 'http://localhost/cb',\n"
        f"                  '{url}/.well-known/openid_sandbox_configuration/')\n"
        f"qb = QuickBooks(auth_client=auth, refresh_token='{c['refreshToken']}', company_id='{c['realmId']}')\n"
        "print([c.DisplayName for c in Customer.all(qb=qb)])",
        title="point python-quickbooks at it"))
    hs_url = info["servers"]["hubspot"].url
    portal = info["portal"]
    table = Table(title="HubSpot CRM simulator", show_header=False)
    table.add_row("API base (hubspot-api-client host=)", hs_url)
    table.add_row("Admin API", f"{hs_url}/_sim/health")
    for key in ("portalId", "accessToken", "clientId", "clientSecret", "refreshToken", "clientSecretForWebhooks"):
        table.add_row(key, str(portal[key]))
    console.print(table)
    console.print(Panel(
        "from hubspot import HubSpot\n"
        f"client = HubSpot(access_token='{portal['accessToken']}', host='{hs_url}', base_url='{hs_url}')\n"
        "print(client.crm.contacts.basic_api.get_page(limit=10))",
        title="point hubspot-api-client at it"))


def _write_settings(args: argparse.Namespace, info: dict) -> None:
    if not args.write_settings:
        return
    from harness.engine_settings import write_simulator_settings

    try:
        path = write_simulator_settings(args.write_settings, info, args.tier)
    except OSError as err:
        raise SystemExit(f"hsqbo: cannot write the settings to {args.write_settings}: {err}") from err
    _console().print(f"Sync engine settings written to [bold]{path}[/bold]\n"
                     f"  run: hsqbo sync --settings {args.write_settings}", highlight=False)


def run_serve(args: argparse.Namespace) -> None:
    sims, servers, info, ready = _start(args)
    try:
        _print_access(sims, info, ready)
        _write_settings(args, info)
        dashboard.for_cli(args, sims, info)
        _console().print("[dim]Ctrl-C to stop.[/dim]")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        servers.__exit__(None, None, None)


def run_demo(args: argparse.Namespace) -> None:
    sims, servers, info, ready = _start(args)
    try:
        _print_access(sims, info, ready)
        _write_settings(args, info)
        _walkthrough(info)
        engine = _sync_walkthrough(sims, info)
        if not args.exit:  # the dashboard shows the walkthrough's engine: its failures and exclusions are there
            dashboard.for_cli(args, sims, info, engine, demo=True)
            _console().print("[dim]Serving on. Ctrl-C to stop.[/dim]")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        servers.__exit__(None, None, None)


def _walkthrough(info: dict) -> None:
    """A few calls that show QBO's rules biting, exactly as a client would meet them."""
    import requests

    console = _console()
    url = info["servers"]["quickbooks"].url
    c = info["company"]
    base = f"{url}/v3/company/{c['realmId']}"
    auth = {"Authorization": f"Bearer {c['accessToken']}", "Accept": "application/json"}

    def post(path: str, body: object, content_type: str = "application/json") -> requests.Response:
        data = body if isinstance(body, str) else json.dumps(body)
        return requests.post(f"{base}/{path}", data=data, headers={**auth, "Content-Type": content_type},
                             timeout=10)

    def show(title: str, r: requests.Response) -> None:
        body = r.json()
        fault = body.get("Fault")
        line = f"HTTP {r.status_code} " + (
            f"Fault {fault['Error'][0]['code']}: {fault['Error'][0]['Message']} — {fault['Error'][0]['Detail']}"
            if fault else "ok")
        console.print(f"[bold]{title}[/bold]\n  {line}")

    count = post("query", "select count(*) from Customer", "application/text").json()
    console.print(f"\nThe company holds {count['QueryResponse'].get('totalCount', 0)} active customers.")
    first = post("customer", {"DisplayName": "Demo Widgets Ltd", "PrimaryEmailAddr": {"Address": "ap@demo.test"}})
    show("Create customer 'Demo Widgets Ltd'", first)
    show("Create a second customer with the same DisplayName (rule I1 / D2)",
         post("customer", {"DisplayName": "Demo Widgets Ltd"}))
    cust = first.json().get("Customer", {})
    if cust:
        show("Update it with a stale SyncToken (rule I5)",
             post("customer", {"Id": cust["Id"], "SyncToken": "7", "sparse": True, "Notes": "x"}))
    show("A query QBO's parser rejects", post("query", "select * from Customer where Foo = 'x'", "application/text"))



def run_scenarios(args: argparse.Namespace) -> int:
    """``hsqbo scenario run``: 0 when every scenario passes, 1 when one fails, 2 when a file is wrong."""
    from rich.table import Table

    from harness.scenario import ScenarioError, discover, run

    console = _console()
    make_sync = None
    if args.sync_command:
        from harness.command_sync import CommandSync

        make_sync = CommandSync.factory(args.sync_command, args.sync_timeout)
    table = Table(title="Scenarios" + (f" — sync: {args.sync_command}" if args.sync_command else ""))
    for column in ("file", "scenario", "rules", "steps", "time", "result"):
        table.add_column(column)
    failed = broken = 0
    for target in args.targets:
        for path in discover(target):
            try:
                result = run(path, make_sync=make_sync)
            except ScenarioError as err:
                broken += 1
                table.add_row(path.name, "", "", "", "", f"[red]error[/red]\n{err}")
                continue
            failed += not result.passed
            verdict = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]\n" + "\n".join(result.failures)
            table.add_row(path.name, result.scenario.name, " ".join(result.scenario.rules), str(result.steps),
                          f"{result.seconds:.2f} s", verdict)
    console.print(table)
    console.print(f"{table.row_count - failed - broken} passed, {failed} failed, {broken} could not run")
    return 2 if broken else (1 if failed else 0)


def scenario_from_failure(args: argparse.Namespace) -> int:
    """``hsqbo scenario from-failure``: every bug the state machine finds becomes a regression scenario."""
    from pathlib import Path

    from harness.machine import LAST_HISTORY
    from harness.scenario import ScenarioError, load

    if not LAST_HISTORY.exists():
        print(f"hsqbo: no history at {LAST_HISTORY}: run the property tests (pytest tests/property) first")
        return 1
    text = LAST_HISTORY.read_text(encoding="utf-8")
    if args.name:
        import yaml

        doc = yaml.safe_load(text)
        doc["name"] = args.name
        text = yaml.safe_dump(doc, sort_keys=False, width=120)
    if not args.out:
        print(text, end="")
        return 0
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    try:
        load(out)
    except ScenarioError as err:  # a history the format cannot hold is a bug of ours: say so plainly
        print(f"hsqbo: the saved history is not a valid scenario: {err}")
        return 2
    print(f"wrote {out}: run it with hsqbo scenario run {out}")
    return 0


def _sync_walkthrough(sims: Simulators, info: dict) -> Engine:
    """The reference engine syncs the sample company and portal: D2 failures and D3 exclusions show up by themselves."""
    from rich.table import Table

    from harness.engine_settings import simulator_settings
    from sync import status
    from sync.cli import first_pass
    from sync.clock import VirtualClock
    from sync.engine import Engine
    from sync.settings import Settings

    console = _console()
    doc = simulator_settings(info["company"], info["portal"], quickbooks_url=info["servers"]["quickbooks"].url,
                             hubspot_url=info["servers"]["hubspot"].url, state="sqlite://")
    # every contact both ways (the recommended C1 filter would send only contacts on HubSpot invoices to QBO)
    doc["pairs"]["contacts"].update(direction="two-way", filters={"to_quickbooks": [], "to_hubspot": []})
    engine = Engine(Settings.from_dict(doc), clock=VirtualClock(sims.runtime.clock))
    console.print("\n[bold]The reference sync engine: the initial sync of this company and portal[/bold]")
    first_pass(engine, list(engine.settings.pairs))
    table = Table(title="Records that did not sync, and why (rule-book IDs)")
    for column in ("pair", "record", "status", "reason", "rule"):
        table.add_column(column, no_wrap=column != "record")
    for state_name in ("failed", "excluded"):
        columns = ["pair", "label", "status", "reason", "rule"]
        page = status.records(engine.state, status=state_name, columns=columns, per_page=8)
        for row in page["rows"]:
            table.add_row(*(str(row[c] or "") for c in columns))
        if page["total"] > len(page["rows"]):
            table.add_row("…", f"{page['total'] - len(page['rows'])} more {state_name}", "", "", "")
    console.print(table)
    console.print("Then: hsqbo serve --write-settings hsqbo-sync.yaml, and hsqbo sync / status / export "
                  "--settings hsqbo-sync.yaml from another terminal.", highlight=False)
    return engine


if __name__ == "__main__":
    raise SystemExit(main())
