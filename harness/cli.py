"""The ``hsqbo`` command: serve the simulators, run the demo; run the sync engine (``sync``, ``status``,
``export``, ``action``: see :mod:`sync.cli`).

``rich`` and ``requests`` are imported where they are used, after the server is up: they are a
fair part of the start-up time otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from harness import dashboard
from simulators.sims import Simulators
from sync.cli import (
    EXIT_USAGE,
    UsageError,
    check_listen,
    database_problem,
    first_line,
    is_database_error,
    listen_problem,
    port,
)
from sync.state import StateMismatch

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import requests
    from flask import Flask
    from rich.console import Console

    from simulators.core.server import ServerThread
    from sync.engine import Engine


def _console() -> Console:
    from sync.cli import console

    return console()  # full values when stdout is not a terminal


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--quickbooks-port", type=port, default=8765, help="QBO simulator port (0 = any free port)")
    p.add_argument("--hubspot-port", type=port, default=8766, help="HubSpot simulator port (0 = any free port)")
    p.add_argument("--tier", default="professional", choices=["free", "starter", "professional", "enterprise"],
                   help="ready-made HubSpot portal's tier (sets its rate limits)")
    p.add_argument("--currency", default="USD", help="ready-made HubSpot portal's company currency")
    p.add_argument("--db", default=None, help="SQLAlchemy URL (default: a private SQLite database, gone with the "
                   "process), e.g. sqlite:///state.db or postgresql://127.0.0.1/test")
    p.add_argument("--country", default="US", choices=["US", "GB", "CA", "AU"], help="ready-made company's country")
    p.add_argument("--seed", default="sample", choices=["sample", "empty", "intuit-sample"],
                   help="ready-made company's data (intuit-sample: Intuit's sandbox sample company, README)")
    p.add_argument("--seed-number", type=int, default=0, help="faker seed: same number, same data")
    p.add_argument("--write-settings", metavar="FILE", help="write the sync engine's settings for these servers "
                   "and the ready-made company and portal to FILE (then: hsqbo sync --settings FILE)")
    p.add_argument("--admin-token", metavar="TOKEN", help="guard the admin API (/_sim/): every request to it must "
                   "send 'Authorization: Bearer TOKEN' or 'X-Hsqbo-Admin-Token: TOKEN' (default: $HSQBO_ADMIN_TOKEN, "
                   "else unguarded)")
    dashboard.add_argument(p)


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on one line (what is wrong, and where the help is) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hsqbo")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (0 ok; ``sync``: 1 when a pair stopped early; 2 for a user's
    mistake — an option, a file, a port, a database — said on one line of stderr, never a traceback)."""
    try:
        return _main(argv)
    except (UsageError, StateMismatch) as mistake:  # a state reused for another portal shows on the first pass
        print(f"hsqbo: {mistake}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str] | None) -> int:
    from sync.cli import add_commands

    parser = _Parser(prog="hsqbo", description="Offline HubSpot <-> QuickBooks Online test bed")
    parser.add_argument("--version", action="version", version=f"hsqbo {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the simulators until interrupted")
    _serve_args(serve)
    serve.add_argument("--json", action="store_true",
                       help="print the ports, URLs and credentials as one JSON document (then serve on)")
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
    run.add_argument("--json", action="store_true", help="print the results as one JSON document instead of a table")
    run.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML to FILE (for CI)")
    run.add_argument("--shard", type=shard, metavar="I/N", help="run only the I-th of N shares of the files (1 ≤ I ≤ "
                     "N; each machine of a CI matrix its own I): every file falls in exactly one share")
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
    for option, number in (("--quickbooks-port", args.quickbooks_port), ("--hubspot-port", args.hubspot_port)):
        check_listen(args.host, number, f"--host/{option}")
    if args.quickbooks_port and args.quickbooks_port == args.hubspot_port:
        raise UsageError(f"--quickbooks-port and --hubspot-port are both {args.quickbooks_port}: give them two ports")
    token = admin_token(args)
    if not is_loopback(args.host):
        print(exposure_warning(args.host, token), file=sys.stderr, flush=True)
    try:
        sims = Simulators(db=args.db, admin_token=token)
    except Exception as err:
        if args.db and is_database_error(err):
            raise database_problem(args.db, err, "--db") from err
        raise
    servers = sims.serve(args.host, args.quickbooks_port, args.hubspot_port)
    try:
        handles = servers.__enter__()
    except (OSError, ValueError) as err:  # taken between the check and now
        raise UsageError(listen_problem(args.host, 0, err, "--host/--quickbooks-port/--hubspot-port")) from err
    ready = time.perf_counter() - started
    company = _new_tenant(sims.quickbooks, {"country": args.country, "seed": args.seed,
                                            "seedNumber": args.seed_number}, sims.admin_headers())
    portal = _new_tenant(sims.hubspot, {"tier": args.tier, "currency": args.currency,
                                        "seed": args.seed.replace("intuit-", ""),  # HubSpot: the sample portal
                                        "seedNumber": args.seed_number}, sims.admin_headers())
    return sims, servers, {"servers": handles, "company": company, "portal": portal}, ready


def admin_token(args: argparse.Namespace) -> str | None:
    """The admin API's token: --admin-token, else $HSQBO_ADMIN_TOKEN, else none (unguarded)."""
    import os

    from simulators.core.admin import ADMIN_TOKEN_ENV

    return args.admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: another interface's, as far as we can tell


def exposure_warning(host: str, token: str | None) -> str:
    """The one line ``serve`` prints on stderr when it listens beyond loopback."""
    guard = ("guarded by --admin-token" if token else
             "unguarded: anyone who reaches it can read and change everything (set --admin-token or HSQBO_ADMIN_TOKEN)")
    return (f"hsqbo: warning: --host {host} is not loopback: other machines reach the simulators, their admin API "
            f"(/_sim/: tenants, state dumps, faults, clock) and every tenant's client secrets and tokens; the admin "
            f"API is {guard}")


def _new_tenant(app: Flask, options: dict, headers: dict[str, str]) -> dict:
    """A ready-made tenant, made through the admin API (so the journal shows it) but in-process."""
    body = json.dumps(options, allow_nan=False)  # as ``requests.post(json=options)`` sends it
    r = app.test_client().post("/_sim/tenants", data=body, content_type="application/json", headers=headers)
    if r.status_code >= 400:
        answer = (r.get_json(silent=True) or {}).get("error", r.status_code)
        raise UsageError(f"the simulator refused the ready-made tenant ({answer}): check --country, --currency, "
                         "--tier and --seed")
    return r.get_json()


def access(info: dict, ready: float) -> dict:
    """What ``serve`` tells a user: each simulator's URLs and port, and the ready-made tenant's credentials."""
    url, hs_url = info["servers"]["quickbooks"].url, info["servers"]["hubspot"].url
    return {
        "quickbooks": {"url": url, "port": int(info["servers"]["quickbooks"].port), "apiBase": f"{url}/v3",
                       "discoveryUrl": f"{url}/.well-known/openid_sandbox_configuration/",
                       "admin": f"{url}/_sim/health", "readyMs": round(ready * 1000),
                       "company": {k: info["company"][k] for k in QBO_KEYS}},
        "hubspot": {"url": hs_url, "port": int(info["servers"]["hubspot"].port), "apiBase": hs_url,
                    "admin": f"{hs_url}/_sim/health",
                    "portal": {k: info["portal"][k] for k in HUBSPOT_KEYS}},
    }


QBO_KEYS = ("realmId", "clientId", "clientSecret", "accessToken", "refreshToken", "verifierToken")
HUBSPOT_KEYS = ("portalId", "accessToken", "clientId", "clientSecret", "refreshToken", "clientSecretForWebhooks")


def quickbooks_snippet(doc: dict) -> str:
    """Python that points python-quickbooks at the simulator (pasteable: printed without markup or wrapping)."""
    q = doc["quickbooks"]
    c = q["company"]
    return (
        "import os\n"
        "os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = '1'  # the simulator speaks plain http\n"
        "from intuitlib.client import AuthClient\n"
        "from quickbooks import QuickBooks\n"
        "from quickbooks.objects.customer import Customer\n"
        f"QuickBooks.api_url_v3 = '{q['apiBase']}'\n"
        f"auth = AuthClient('{c['clientId']}', '{c['clientSecret']}', 'http://localhost/cb',\n"
        f"                  '{q['discoveryUrl']}')\n"
        f"qb = QuickBooks(auth_client=auth, refresh_token='{c['refreshToken']}', company_id='{c['realmId']}',\n"
        "                minorversion=75)\n"
        "print([c.DisplayName for c in Customer.all(qb=qb)])\n")


def hubspot_snippet(doc: dict) -> str:
    h = doc["hubspot"]
    return ("from hubspot import HubSpot\n"
            f"client = HubSpot(access_token='{h['portal']['accessToken']}', host='{h['url']}', "
            f"base_url='{h['url']}')\n"
            "print(client.crm.contacts.basic_api.get_page(limit=10))\n")


def _print_access(sims: Simulators, info: dict, ready: float) -> None:
    """The URLs and credentials as ``label  value`` lines and the snippets as plain text: nothing is cut,
    wrapped or read as markup, in a terminal, a pipe or a CI log alike (copying a value copies all of it)."""
    console = _console()
    doc = access(info, ready)
    q, h = doc["quickbooks"], doc["hubspot"]

    def block(title: str, rows: list[tuple[str, object]]) -> None:
        console.print(f"[bold]{title}[/bold]")
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            console.print(f"  {label:<{width}}  {value}", markup=False, highlight=False, soft_wrap=True)

    def code(title: str, text: str) -> None:
        console.print(f"\n[bold]{title}[/bold] (paste as is):")
        console.print(text, markup=False, highlight=False, soft_wrap=True)  # the code, then a blank line

    block(f"QuickBooks Online simulator — ready in {q['readyMs']} ms",
          [("API base", q["apiBase"]), ("Discovery (intuit-oauth environment=)", q["discoveryUrl"]),
           ("Admin API", q["admin"]), *q["company"].items()])
    code("point python-quickbooks at it", quickbooks_snippet(doc))
    console.print()
    block("HubSpot CRM simulator", [("API base (hubspot-api-client host=)", h["url"]), ("Admin API", h["admin"]),
                                    *h["portal"].items()])
    code("point hubspot-api-client at it", hubspot_snippet(doc))


def _write_settings(args: argparse.Namespace, info: dict, quiet: bool = False) -> None:
    if not args.write_settings:
        return
    from harness.engine_settings import write_simulator_settings

    try:
        path = write_simulator_settings(args.write_settings, info, args.tier)
    except OSError as err:
        raise UsageError(f"cannot write the settings to {args.write_settings}: {err.strerror or err}") from err
    if quiet:
        return
    _console().print(f"Sync engine settings written to [bold]{path}[/bold]\n"
                     f"  run: hsqbo sync --settings {args.write_settings}", highlight=False)


def run_serve(args: argparse.Namespace) -> None:
    sims, servers, info, ready = _start(args)
    try:
        if args.json:  # one JSON document on stdout (ports, URLs, credentials), then serve on
            _write_settings(args, info, quiet=True)
            doc = access(info, ready)
            board = dashboard.for_cli(args, sims, info, quiet=True)
            if board is not None:
                doc["dashboard"] = f"{board.url}/"
            if args.write_settings:
                doc["settings"] = str(Path(args.write_settings).resolve())
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            sys.stdout.flush()
        else:
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



def shard(text: str) -> tuple[int, int]:
    """``I/N`` (``--shard``) as ``(I, N)``, 1 ≤ I ≤ N."""
    index, sep, count = text.partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return int(index), int(count)


def run_scenarios(args: argparse.Namespace) -> int:
    """``hsqbo scenario run``: 0 when every scenario passes, 1 when one fails, 2 when a file is wrong or no
    scenario was found. Every file is run and reported, whatever happened to the others; a line on stderr as
    each one finishes."""
    from harness.scenario import ScenarioError, discover, run

    make_sync = None
    if args.sync_command:
        from harness.command_sync import CommandSync

        make_sync = CommandSync.factory(args.sync_command, args.sync_timeout)
    paths = []
    for target in args.targets:
        found = discover(target)
        if not found or not all(p.is_file() for p in found):
            missing = "no *.yaml scenario file in the folder" if Path(target).is_dir() else "no such file or folder"
            raise UsageError(f"{target}: {missing}; nothing was run")
        paths.extend(found)
    if args.shard:
        index, count = args.shard
        paths = [p for k, p in enumerate(sorted(set(paths), key=str)) if k % count == index - 1]
        print(f"shard {index}/{count}: {len(paths)} file(s)", file=sys.stderr, flush=True)
    results: list[dict] = []
    for number, path in enumerate(paths, 1):
        row: dict[str, Any] = {"file": str(path), "scenario": "", "rules": [], "steps": 0, "seconds": 0.0,
                               "failures": []}
        started = time.perf_counter()
        try:
            result = run(path, make_sync=make_sync)
        except ScenarioError as err:
            row.update(result="error", failures=[str(err)])
        except Exception as err:  # noqa: BLE001 - a crash is reported with its file and the run goes on
            row.update(result="error", failures=[f"crashed: {type(err).__name__}: {first_line(err)}"])
        else:
            row.update(scenario=result.scenario.name, rules=list(result.scenario.rules), steps=result.steps,
                       failures=list(result.failures), result="pass" if result.passed else "fail")
        row["seconds"] = round(time.perf_counter() - started, 3)
        results.append(row)
        why = f": {' '.join(row['failures'][0].split())}" if row["failures"] else ""
        print(f"[{number}/{len(paths)}] {row['result']:<5} {path} ({row['seconds']:.2f} s){why}", file=sys.stderr,
              flush=True)
    counts = {kind: sum(r["result"] == kind for r in results) for kind in ("pass", "fail", "error")}
    if args.junit:
        _write_junit(args.junit, results)
    if args.json:
        sys.stdout.write(json.dumps({"sync": args.sync_command or "reference engine", "passed": counts["pass"],
                                     "failed": counts["fail"], "errors": counts["error"], "scenarios": results},
                                    indent=2) + "\n")
    else:
        _print_scenario_table(args, results)
        _console().print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} could not run",
                         highlight=False)
    return EXIT_USAGE if counts["error"] else (1 if counts["fail"] else 0)


def _print_scenario_table(args: argparse.Namespace, results: list[dict]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Scenarios" + (f" — sync: {escape(args.sync_command)}" if args.sync_command else ""))
    for column in ("file", "scenario", "rules", "steps", "time", "result"):
        table.add_column(column, overflow="fold")
    for r in results:
        detail = "\n".join(escape(f) for f in r["failures"])
        verdict = {"pass": "[green]pass[/green]", "fail": "[red]FAIL[/red]", "error": "[red]error[/red]"}[r["result"]]
        table.add_row(escape(Path(r["file"]).name), escape(r["scenario"]), " ".join(r["rules"]),
                      str(r["steps"]) if r["result"] != "error" else "", f"{r['seconds']:.2f} s",
                      verdict + (f"\n{detail}" if detail else ""))
    _console().print(table)


def _write_junit(path: str, results: list[dict]) -> None:
    """JUnit XML, as CI systems read it: one testcase a scenario file, failures and errors with their text."""
    from xml.etree import ElementTree as ET

    suite = ET.Element("testsuite", name="hsqbo scenarios", tests=str(len(results)),
                       failures=str(sum(r["result"] == "fail" for r in results)),
                       errors=str(sum(r["result"] == "error" for r in results)),
                       time=f"{sum(r['seconds'] for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="scenarios." + Path(r["file"]).stem,
                             name=r["scenario"] or Path(r["file"]).name, file=r["file"], time=f"{r['seconds']:.3f}")
        if r["result"] != "pass":
            text = "\n".join(r["failures"])
            tag = "failure" if r["result"] == "fail" else "error"
            ET.SubElement(case, tag, message=(r["failures"] or [""])[0][:500]).text = text
    try:
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as err:
        raise UsageError(f"cannot write --junit {path}: {err.strerror or err}") from err


def scenario_from_failure(args: argparse.Namespace) -> int:
    """``hsqbo scenario from-failure``: every bug the state machine finds becomes a regression scenario."""
    from pathlib import Path

    from harness.machine import LAST_HISTORY
    from harness.scenario import ScenarioError, load

    if not LAST_HISTORY.exists():
        raise UsageError(f"no history at {LAST_HISTORY}: run the property tests (pytest tests/property) first")
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
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write --out {args.out}: {err.strerror or err}") from err
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
