"""The sync engine's commands of ``hsqbo``: ``sync``, ``status``, ``export`` and ``action``.

They work against the real APIs or the simulators alike: nothing here loads a simulator.

The engine's modules (and ``rich``) are imported where they are used, so ``hsqbo serve`` starts as fast as before.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from sync.engine import Engine, PairReport, PassReport
    from sync.settings import Settings
    from sync.state import State
    from sync.triggers import ReceiverServer, Scheduler

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
HUBSPOT, QUICKBOOKS = "hubspot", "quickbooks"  # as sync.state names the sides
WATCH_TICK_SECONDS = 1.0


WIDE = 100_000  # a pipe's or CI log's width: no value cut to "…", no line folded (a table is as wide as it needs)


@functools.cache
def console() -> Console:
    """rich's console; when stdout is not a terminal (a pipe, a file, a CI log) nothing is truncated or wrapped."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=WIDE, highlight=False)


_console = console


def _err(message: str) -> None:
    print(f"hsqbo: {message}", file=sys.stderr)


class UsageError(Exception):
    """A user's mistake (an option, a file, a database URL, a port): ``hsqbo`` prints its one line, exit 2."""


def first_line(err: BaseException) -> str:
    """An exception as one line: SQLAlchemy's and the OS's messages run over several."""
    text = str(err).strip().splitlines()
    line = text[0] if text else type(err).__name__
    orig = getattr(err, "orig", None)  # sqlalchemy.exc.DBAPIError: the driver's own message is the useful part
    if orig is not None and str(orig).strip():
        line = str(orig).strip().splitlines()[0]
    return line


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 0 to 65535, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 (any free port) to 65535, not {value}")
    return value


def listen_problem(host: str, port: int, err: BaseException, options: str) -> str:
    """Why a server cannot listen on ``host:port``, and what to change."""
    import errno

    code = getattr(err, "errno", None)
    if code == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use: choose another {options.split('/')[-1]} (0 = any free port)"
    if code == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose another {options.split('/')[0]} (e.g. 127.0.0.1)"
    if code == errno.EACCES:
        return f"not allowed to listen on port {port}: choose a port above 1023 with {options.split('/')[-1]}"
    return f"cannot listen on {host}:{port} ({first_line(err)}): check {options}"


def check_listen(host: str, port: int, options: str) -> None:
    """Raise :class:`UsageError` unless a server could listen on ``host:port`` now (port 0: any free port)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as err:
        raise UsageError(f"cannot listen on {host!r}: not a host name or address of this machine "
                         f"({first_line(err)}); check {options.split('/')[0]}") from err
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            sock.bind(address)
        except OSError as err:
            raise UsageError(listen_problem(host, port, err, options)) from err


def database_problem(url: str, err: BaseException, what: str) -> UsageError:
    """A database URL that cannot be used (unknown dialect, missing driver, unreachable server, bad path)."""
    shown = url
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - the URL itself is the mistake: show it as given
        pass
    return UsageError(f"cannot use the database {shown} ({what}): {first_line(err)}")


def is_database_error(err: BaseException) -> bool:
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    return isinstance(err, SQLAlchemyError | ArgumentError | ModuleNotFoundError)


# ----------------------------------------------------------------------------------------------------------
# serve --write-settings
# ----------------------------------------------------------------------------------------------------------

# ----------------------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------------------

def add_commands(sub: argparse._SubParsersAction) -> None:
    from sync.status import FORMATS

    sync = sub.add_parser("sync", help="run the sync engine: one pass, or --watch to keep syncing",
                          description="Run one sync pass with the given settings and print what it did. Exit code "
                                      "0 when every pair completed, 1 when a pair stopped early (a transient "
                                      "failure: its records wait for the next pass), 2 for unusable settings.")
    _settings_arg(sync)
    sync.add_argument("--pair", action="append", metavar="NAME", help="sync only this pair (repeatable)")
    sync.add_argument("--watch", action="store_true",
                      help="keep running: a pass every interval_minutes, and at once for webhooks; Ctrl-C stops")
    sync.add_argument("--webhooks-port", type=port, metavar="N",
                      help="with --watch: serve POST /webhooks/quickbooks and /webhooks/hubspot on this port "
                           "(0 = any free port)")
    sync.add_argument("--webhooks-host", default="127.0.0.1", metavar="HOST",
                      help="interface the webhook receiver binds (default 127.0.0.1)")
    sync.add_argument("--clock", choices=("system", "simulators"), default=os.environ.get("HSQBO_CLOCK") or "system",
                      help="simulators: read the simulators' clock (GET /_sim/clock on the QuickBooks URL, or "
                           "$HSQBO_CLOCK_URL) and turn each wait (quota pacing, Retry-After, back-off) into an advance "
                           "of it instead of a sleep; system (default; $HSQBO_CLOCK): wait in real time, as against "
                           "the real systems")
    sync.set_defaults(run=run_sync)

    status = sub.add_parser("status", help="sync status from the engine's state: counts, records, activity",
                            description="Counts per pair, then the matching records (failed and excluded unless "
                                        "--status is given), or one record's activity (--record). Reads only the "
                                        "state database named in the settings; makes no API call.")
    _settings_arg(status)
    status.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    _filter_args(status)
    status.add_argument("--page", type=_positive, default=1, metavar="N", help="page of records (default 1)")
    status.add_argument("--per-page", type=_positive, default=50, metavar="N", help="records a page (default 50)")
    status.add_argument("--record", type=int, metavar="ID", help="show this record's activity log (H2)")
    status.set_defaults(run=run_status)

    export = sub.add_parser("export", help="export records from the engine's state as CSV or XLSX (H3)",
                            description="Write the matching records (all of them unless filtered) to a CSV or "
                                        "XLSX file. Reads only the state database named in the settings.")
    _settings_arg(export)
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    export.add_argument("--format", choices=FORMATS, help="default: from the --out suffix, else csv")
    _filter_args(export)
    export.set_defaults(run=run_export)


    action = sub.add_parser("action", help="take an integration action: invoice from a deal, add an invoice, "
                                           "workflow actions (F10, F11, D5, G4)",
                            description="Run one action of the integration against the systems in the settings and "
                                        "print its result as JSON. Exit code 1 when the integration refuses it "
                                        "(the reason and its rule are printed).")
    kinds = action.add_subparsers(dest="action", required=True, metavar="ACTION")
    from_deal = kinds.add_parser("invoice-from-deal", help="F10 (legacy): create a QBO invoice from a deal")
    workflow = kinds.add_parser("workflow-invoice", help="D5: the workflow action Create QuickBooks invoice, on a deal")
    for p in (from_deal, workflow):
        _settings_arg(p)
        p.add_argument("--deal", required=True, metavar="ID")
        p.add_argument("--quote", metavar="ID", help="from this quote (published, unexpired) instead of --line")
        p.add_argument("--line", action="append", type=_line_arg, default=[], metavar="SKU:QTY[:PRICE]",
                       help="a line for the QBO item with this SKU (repeatable)")
    from_deal.add_argument("--customer", metavar="ID", help="bill this QBO customer (default: the deal's contact's)")
    from_deal.add_argument("--terms", metavar="NAME", help="QBO payment terms, e.g. 'Net 30'")
    from_deal.add_argument("--invoice-date", metavar="YYYY-MM-DD")
    from_deal.add_argument("--due-date", metavar="YYYY-MM-DD")
    from_deal.add_argument("--message", metavar="TEXT", help="the message to the customer")
    add = kinds.add_parser("add-invoice", help="F11: add an existing QBO invoice to a contact, company or deal")
    _settings_arg(add)
    add.add_argument("--invoice", required=True, metavar="ID", help="the QBO invoice's Id")
    add.add_argument("--to", required=True, metavar="TYPE:ID", help="contacts:ID, companies:ID or deals:ID")
    paid = kinds.add_parser("paid-invoice", help="G4: the workflow action Create paid invoice (or sales receipt)")
    _settings_arg(paid)
    paid.add_argument("--payment", required=True, metavar="ID", help="the HubSpot payment")
    paid.add_argument("--sales-receipt", action="store_true", help="Create paid sales receipt instead")
    paid.add_argument("--skip-invoice-payments", action="store_true",
                      help="the recommended workflow filter: leave out payments whose source is an invoice")
    for p in (from_deal, workflow, add, paid):
        p.add_argument("--company", metavar="REALM_OR_NAME",
                       help="legacy, several QuickBooks companies connected (A5): the company, by realm id or name")
    action.set_defaults(run=run_action)


def _line_arg(text: str) -> dict:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise argparse.ArgumentTypeError(f"a line is SKU:QTY or SKU:QTY:PRICE, not {text!r}")
    for what, value in zip(("quantity", "price"), parts[1:], strict=False):
        if not _is_number(value):
            raise argparse.ArgumentTypeError(f"the {what} in {text!r} is not a number: {value!r} "
                                             "(a line is SKU:QTY or SKU:QTY:PRICE, e.g. W-1:2:12.50)")
    return {"sku": parts[0], "quantity": parts[1], **({"price": parts[2]} if len(parts) == 3 else {})}


def _is_number(text: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return False


def _system_name(system: str) -> str:
    return {"hubspot": "HubSpot", "quickbooks": "QuickBooks"}.get(system, system or "the API")


def run_action(args: argparse.Namespace) -> int:
    import requests

    from sync import actions
    from sync.clients.http import ApiError
    from sync.companies import Companies
    from sync.engine import Engine

    settings = _load(args.settings)
    if settings is None:
        return EXIT_USAGE
    companies = Companies(settings, lambda s: _engine(Engine, s, args.settings))
    try:
        engine = companies.choose(args.company)
        if args.action == "invoice-from-deal":
            result = actions.create_invoice_from_deal(
                engine, args.deal, quote_id=args.quote, lines=args.line, customer_id=args.customer, terms=args.terms,
                invoice_date=args.invoice_date, due_date=args.due_date, message=args.message)
        elif args.action == "workflow-invoice":
            result = actions.workflow_create_invoice(engine, args.deal, lines=args.line, quote_id=args.quote)
        elif args.action == "add-invoice":
            kind, _, target = args.to.partition(":")
            result = actions.add_invoice_to(engine, args.invoice, kind, target)
        else:
            result = actions.workflow_paid_invoice(engine, args.payment, sales_receipt=args.sales_receipt,
                                                   skip_invoice_payments=args.skip_invoice_payments)
    except actions.ActionError as refused:
        _err(f"refused ({refused.code}, rule {refused.rule}): {refused}")
        return EXIT_INCOMPLETE
    except ValueError as bad:
        _err(str(bad))
        return EXIT_USAGE
    except ApiError as answer:  # e.g. a deal, quote, invoice or payment id that does not exist
        for code, what in _PERMANENT_AUTH.items():
            if code in str(answer):
                raise UsageError(f"{_system_name(answer.system)} refused {what} ({code}): fix the credentials in "
                                 f"{args.settings}") from answer
        _err(f"the action stopped: {answer}")
        return EXIT_INCOMPLETE
    except requests.RequestException as lost:  # the system did not answer (after the client's retries)
        _err(f"the action stopped: no answer: {first_line(lost)}")
        return EXIT_INCOMPLETE
    finally:
        for each in companies.engines:
            each.state.engine.dispose()
    _print_json({k: v for k, v in result.items() if not k.startswith("__")})
    return EXIT_OK


def _settings_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings", required=True, metavar="FILE",
                   help="the engine's settings (YAML; `hsqbo serve --write-settings FILE` writes one)")


def _filter_args(p: argparse.ArgumentParser) -> None:
    from sync.state import STATUSES

    p.add_argument("--pair", metavar="P", help="only this pair's records")
    p.add_argument("--status", choices=STATUSES, help="only records with this status")
    p.add_argument("--reason", metavar="CODE", help="only records with this reason code (e.g. duplicate_display_name)")
    p.add_argument("--search", metavar="TEXT", help="only records whose label or match key contains TEXT")
    p.add_argument("--columns", type=_column_list, metavar="a,b,c", help="columns to show, comma-separated")
    p.add_argument("--company", metavar="REALM", help="legacy, several QuickBooks companies connected (A5): this "
                                                      "company's records (default: the first company's)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _column_list(text: str) -> list[str]:
    from sync.status import COLUMNS

    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in COLUMNS]
    if not chosen or unknown:
        named = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown column(s) {named}; choose from {', '.join(COLUMNS)}")
    return chosen


def _load(path: str) -> Settings | None:
    """The settings, or None after printing why they cannot be used (each problem on a line)."""
    from sync.settings import SettingsError, load_settings

    try:
        return load_settings(path)
    except SettingsError as err:
        if len(err.problems) == 1:
            problem = err.problems[0].removeprefix(f"{Path(path)}: ")
            _err(f"the settings in {path} cannot be used: {problem}")
        else:
            lines = "\n".join(f"  {p}" for p in err.problems)
            _err(f"the settings in {path} cannot be used:\n{lines}")
    except OSError as err:
        _err(f"cannot read the settings: {err}")
    return None


def _engine(make: Callable[[Settings], Engine], settings: Settings, path: str) -> Engine:
    """The engine on the state the settings name; a database that cannot be used, or a state that belongs to
    another company or portal, is the user's to fix (:class:`UsageError`)."""
    from sync.state import StateMismatch

    try:
        return make(settings)
    except StateMismatch as err:
        raise UsageError(f"{err} (state: in {path})") from err
    except Exception as err:
        if is_database_error(err):
            raise database_problem(settings.state, err, f"state: in {path}") from err
        raise


def _unknown_pair(settings: Settings, names: list[str]) -> str | None:
    from sync.pairs import with_followers

    known = with_followers(settings.pairs)  # payments follow invoices: every table shows them
    unknown = [n for n in names if n not in known]
    if unknown:
        return f"unknown pair {', '.join(unknown)}; the pairs are {', '.join(known)}"
    return None


# ----------------------------------------------------------------------------------------------------------
# sync
# ----------------------------------------------------------------------------------------------------------

def run_sync(args: argparse.Namespace) -> int:
    import dataclasses

    settings = _load(args.settings)
    if settings is None:
        return EXIT_USAGE
    if args.webhooks_port is not None and not args.watch:
        _err("--webhooks-port needs --watch (webhooks only trigger syncs while the engine keeps running)")
        return EXIT_USAGE
    if args.webhooks_port:  # before the first pass, which may take minutes
        check_listen(args.webhooks_host, args.webhooks_port, "--webhooks-host/--webhooks-port")
    chosen = args.pair or [n for n, p in settings.pairs.items() if p.enabled]
    problem = _unknown_pair(settings, chosen)
    if problem:
        _err(problem)
        return EXIT_USAGE
    from sync.pairs import leader

    chosen = list(dict.fromkeys(leader(n) for n in chosen))  # payments sync with their invoices, under its settings
    off = [n for n in chosen if not settings.pairs[n].enabled]
    if off:
        _err(f"pair {', '.join(off)} is switched off in the settings (enabled: false): nothing to sync for it")
        chosen = [n for n in chosen if n not in off]
    # the pairs not chosen are switched off for this run, so interval and webhook passes leave them alone too
    settings = dataclasses.replace(settings, pairs={
        name: pair if name in chosen else dataclasses.replace(pair, enabled=False)
        for name, pair in settings.pairs.items()})

    from sync.engine import Engine

    clock = None  # the system clock
    if getattr(args, "clock", "system") == "simulators":
        from sync.clock import SimulatorsClock

        url = os.environ.get("HSQBO_CLOCK_URL") or settings.quickbooks.base_url.rstrip("/") + "/_sim/clock"
        clock = SimulatorsClock(url)
        try:
            clock.now()
        except Exception as err:  # noqa: BLE001 - any failure: this is no simulator's clock
            raise UsageError(f"--clock simulators: no simulators' clock answers at {url}: {first_line(err)}") from err
    if args.watch and settings.other_companies:
        _err("--watch syncs one QuickBooks company; with several connected (A5), run one pass at a time without "
             "--watch, or one `hsqbo sync --watch` per company's settings")
        return EXIT_USAGE
    from sync.companies import Companies

    companies = Companies(settings, lambda s: _engine(lambda t: Engine(t, clock=clock), s, args.settings))
    try:
        complete = True
        for engine in companies.engines:  # legacy A5: each connected QBO company in turn, the first one's first
            if settings.other_companies:
                console().print(f"QuickBooks company {companies.realm(engine)}", highlight=False)
            report = first_pass(engine, chosen)
            refused = credentials_problem(report)
            if refused:  # no later pass can do better: the settings must change
                raise UsageError(f"{refused}: fix the credentials in {args.settings}")
            complete = complete and report.complete
        if not args.watch:
            return EXIT_OK if complete else EXIT_INCOMPLETE
        return _watch(companies.first, args)
    except KeyboardInterrupt:
        _err("interrupted: what was recorded stays; the rest waits for the next pass")
        return EXIT_INTERRUPTED
    finally:
        for engine in companies.engines:
            engine.state.engine.dispose()


def first_pass(engine: Engine, pairs: list[str]) -> PassReport:
    """One pass with a live progress display, then the summary table."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sync.engine import PairReport, PassReport

    report = PassReport(calls={HUBSPOT: 0, QUICKBOOKS: 0})
    calls: dict[str, dict[str, int]] = {}
    progress = Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<28}"),
                        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=_console())
    with progress:
        engine.progress = _ProgressFeed(progress)
        try:
            for name in pairs:  # pair by pair, so each pair's API calls can be told apart
                before = _calls(engine)
                try:
                    one = engine.run_pass([name])
                except Exception as exc:  # the engine lets some API errors through: report them as incomplete
                    if not _transient(exc):
                        raise
                    one = PassReport(pairs={name: PairReport(complete=False, problems=[f"{exc}"])})
                report.pairs.update(one.pairs)
                calls[name] = {side: n - before[side] for side, n in _calls(engine).items()}
                for side in (HUBSPOT, QUICKBOOKS):
                    report.calls[side] += calls[name][side]
        finally:
            engine.progress = None
            for task in progress.tasks:
                progress.update(task.id, total=task.completed or 1, completed=task.completed or 1)
    _print_summary(report, calls)
    return report


# OAuth answers no retry can change: the app's id/secret are wrong, or the refresh token was revoked or expired
_PERMANENT_AUTH = {"invalid_client": "the app's client id or secret", "invalid_grant": "the refresh token",
                   "unauthorized_client": "the app"}


def credentials_problem(report: PassReport) -> str | None:
    """A pass stopped by a permanent credentials refusal: which system refused what (None otherwise)."""
    for p in report.pairs.values():
        for problem in p.problems:
            for code, what in _PERMANENT_AUTH.items():
                if code in problem:
                    system = "HubSpot" if problem.startswith("hubspot") else "QuickBooks"
                    return f"{system} refused {what} ({code})"
    return None


def _calls(engine: Engine) -> dict[str, int]:
    """API calls the engine's clients made so far (refused and repeated attempts included)."""
    return {HUBSPOT: engine.hubspot.calls, QUICKBOOKS: engine.quickbooks.calls}


def _transient(exc: Exception) -> bool:
    import requests

    from sync.clients.http import ApiError

    return isinstance(exc, ApiError | requests.RequestException)


class _ProgressFeed:
    """The engine's ``progress(pair, phase, done)`` callback: one line per pair and phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __call__(self, pair: str, phase: str, done: int) -> None:
        # every phase counts records: read from a side, or planned and written
        detail = f"{done} records"
        key = (pair, phase)
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(f"{pair}: {phase}", total=None, detail=detail)
        self.progress.update(self.tasks[key], completed=done, detail=detail)


def _sides(counts: Mapping[str, int]) -> str:
    return f"{counts.get(HUBSPOT, 0)} / {counts.get(QUICKBOOKS, 0)}"


def _print_summary(report: PassReport, calls: Mapping[str, Mapping[str, int]]) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title="Sync pass (HubSpot / QuickBooks)", title_justify="left")
    for header in ("pair", "observed", "created", "updated", "failed", "excluded", "conflicts", "API calls",
                   "complete"):
        table.add_column(header, justify="left" if header == "pair" else "right")
    for name, p in report.pairs.items():
        table.add_row(name, _sides(p.observed), _sides(p.created), _sides(p.updated), str(p.failed),
                      str(p.excluded), str(p.conflicts), _sides(calls.get(name, {})),
                      "yes" if p.complete else "[bold red]NO[/bold red]")
    console.print(table)
    for name, p in report.pairs.items():
        for problem in p.problems:
            console.print(f"[red]{name}: stopped early:[/red] {problem}", highlight=False, soft_wrap=True)
    if not report.pairs:
        console.print("No pair to sync: every pair is switched off.")
    elif credentials_problem(report):
        console.print(f"[bold]Stopped:[/bold] {credentials_problem(report)}. Another pass cannot help until the "
                      "credentials in the settings are fixed.", highlight=False)
    elif report.complete:
        console.print(f"Complete: {report.writes} writes. `hsqbo status --settings FILE` lists failed and "
                      "excluded records.", highlight=False)
    else:
        console.print("[bold]Incomplete:[/bold] the records left wait for the next pass (run sync again).")


def _serve_receiver(engine: Engine, host: str, port: int) -> ReceiverServer:
    from sync.triggers import ReceiverServer

    check_listen(host, port, "--webhooks-host/--webhooks-port")  # werkzeug would print two lines and exit 1
    try:
        return ReceiverServer(engine, host, port).start()
    except (OSError, ValueError) as err:  # a busy port, an address not of this machine, a host that does not resolve
        raise UsageError(listen_problem(host, port, err, "--webhooks-host/--webhooks-port")) from err


def _wait(seconds: float) -> None:
    """The watch loop's pause (tests replace it)."""
    time.sleep(seconds)


def _watch(engine: Engine, args: argparse.Namespace) -> int:
    from sync.triggers import Scheduler

    console = _console()
    scheduler = Scheduler(engine)
    scheduler.next_run = engine.clock.now() + scheduler.interval  # the first pass just ran
    receiver: ReceiverServer | None = None
    if args.webhooks_port is not None:
        receiver = _serve_receiver(engine, args.webhooks_host, args.webhooks_port)
        url = receiver.url
        console.print(f"Webhooks: POST {url}/webhooks/quickbooks and {url}/webhooks/hubspot", highlight=False)
    console.print(f"Watching: a pass every {engine.settings.interval_minutes} min, and at once for webhooks. "
                  "Ctrl-C to stop.", highlight=False)
    try:
        while True:
            _watch_tick(engine, scheduler, console.print)
            _wait(WATCH_TICK_SECONDS)
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        if receiver is not None:
            receiver.stop()
    return EXIT_OK


def _watch_tick(engine: Engine, scheduler: Scheduler, say: Callable[..., None]) -> None:
    """One ``Scheduler.tick()``, and a line when a pass ran."""
    before_next = scheduler.next_run
    before = _calls(engine)
    kind = "interval"
    try:
        report = scheduler.tick()
        kind = "interval" if scheduler.next_run != before_next else "webhook"
    except Exception as exc:
        if not _transient(exc):
            raise
        say(f"{_now()} pass failed: {exc} (retried at the next pass)", highlight=False, soft_wrap=True)
        return
    if report is None:
        return
    calls = {side: n - before[side] for side, n in _calls(engine).items()}
    touched = any(p.writes or p.failed or p.excluded or p.conflicts or not p.complete
                  for p in report.pairs.values())
    if kind == "webhook" and not touched and not any(calls.values()):
        return  # nothing was named by a webhook after all (a record still waiting, a pair switched off)
    parts = [f"{name}: {_pair_line(p)}" for name, p in report.pairs.items()]
    state = "complete" if report.complete else "[red]incomplete[/red]"
    say(f"{_now()} {kind} pass — {'; '.join(parts) or 'no pair'} — {state} "
        f"(API calls HubSpot {calls[HUBSPOT]}, QuickBooks {calls[QUICKBOOKS]})", highlight=False, soft_wrap=True)
    for name, p in report.pairs.items():
        for problem in p.problems:
            say(f"  {name}: {problem}", highlight=False, soft_wrap=True)


def _pair_line(p: PairReport) -> str:
    return (f"read {_sides(p.observed)}, created {_sides(p.created)}, updated {_sides(p.updated)}, "
            f"failed {p.failed}, excluded {p.excluded}, conflicts {p.conflicts}")


def _now() -> str:
    return time.strftime("%H:%M:%S")


# ----------------------------------------------------------------------------------------------------------
# status and export (H1-H3): the state database only
# ----------------------------------------------------------------------------------------------------------

def _open_state(settings: Settings) -> State | None:
    """The state named in the settings; None (said why) when it is a SQLite file that does not exist yet."""
    from sqlalchemy.engine import make_url

    from sync.state import State

    url = make_url(settings.state)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        _err(f"no state database at {database} yet: run `hsqbo sync --settings ...` first")
        return None
    return State(settings.state)


def _prepare(args: argparse.Namespace) -> tuple[Settings, State] | int:
    settings = _load(args.settings)
    if settings is None:
        return EXIT_USAGE
    if args.pair:
        problem = _unknown_pair(settings, [args.pair])
        if problem:
            _err(problem)
            return EXIT_USAGE
    if args.reason is not None:
        from sync.outcomes import REASONS

        if args.reason not in REASONS:
            _err(f"unknown reason {args.reason!r}; the reasons are {', '.join(sorted(REASONS))}")
            return EXIT_USAGE
    if args.company is not None:  # legacy A5: another connected company's state
        chosen = [s for s in settings.per_company() if args.company == str(s.quickbooks.realm_id)]
        if not chosen:
            realms = ", ".join(str(s.quickbooks.realm_id) for s in settings.per_company())
            _err(f"--company {args.company}: no connected QuickBooks company has this realm id; connected: {realms}")
            return EXIT_USAGE
        settings = chosen[0]
    try:
        state = _open_state(settings)
    except Exception as exc:  # SQLAlchemy: the database does not answer
        if is_database_error(exc):
            raise database_problem(settings.state, exc, f"state: in {args.settings}") from exc
        raise
    if state is None:
        return EXIT_INCOMPLETE
    return settings, state


def run_status(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    settings, state = prepared
    try:
        if args.record is not None:
            return _show_record(state, args)
        return _show_status(settings, state, args)
    finally:
        state.engine.dispose()


def _show_status(settings: Settings, state: State, args: argparse.Namespace) -> int:
    from sync import status as h
    from sync.pairs import with_followers
    from sync.state import EXCLUDED, FAILED

    pairs = [args.pair] if args.pair else with_followers(settings.pairs)
    counts = h.counts(state, pairs)
    columns = args.columns or ["id", *h.DEFAULT_COLUMNS, "message"]
    pages = {}
    for wanted in [args.status] if args.status else [FAILED, EXCLUDED]:
        try:
            pages[wanted] = h.records(state, pair=args.pair, status=wanted, reason=args.reason, text=args.search,
                                      columns=columns, page=args.page, per_page=args.per_page)
        except ValueError as err:
            _err(str(err))
            return EXIT_USAGE
    if args.json:
        _print_json({"counts": counts, "records": pages})
        return EXIT_OK

    from rich.table import Table

    console = _console()
    table = Table(title="Records per pair (H1)", title_justify="left")
    table.add_column("pair")
    statuses = list(next(iter(counts.values()), {}))
    for s in statuses:
        table.add_column(s, justify="right")
    for pair, n in counts.items():
        table.add_row(pair, *(str(n[s]) for s in statuses))
    console.print(table)
    for wanted, page in pages.items():
        last = max(1, -(-page["total"] // page["per_page"]))
        title = f"{wanted.capitalize()}: {page['total']} record(s)"
        if page["total"] > page["per_page"]:
            title += f", page {page['page']} of {last} (--page N)"
        if not page["rows"]:
            console.print(f"\n{title}", highlight=False)
            continue
        rows = Table(title=title, title_justify="left")
        for c in page["columns"]:
            rows.add_column(c, overflow="fold")
        for r in page["rows"]:
            rows.add_row(*("" if r[c] is None else str(r[c]) for c in page["columns"]))
        console.print()
        console.print(rows)
    if any(p["rows"] for p in pages.values()) and "id" in columns:
        console.print("\n`--record ID` shows what happened to a record, when and why.", highlight=False)
    return EXIT_OK


def _show_record(state: State, args: argparse.Namespace) -> int:
    from sync import status as h

    record = state.get(args.record)
    if record is None:
        _err(f"no record {args.record} in {state.url}")
        return EXIT_INCOMPLETE
    entries = h.activity(state, args.record)
    summary = h.row(record, h.COLUMNS)
    if args.json:
        _print_json({"record": summary, "activity": entries})
        return EXIT_OK

    from rich.table import Table

    console = _console()
    head = Table(title=f"Record {record.id}: {record.label or record.match_key or ''}", title_justify="left",
                 show_header=False)
    for c in h.COLUMNS:
        if c != "id" and summary[c] not in (None, ""):
            head.add_row(c, str(summary[c]))
    console.print(head)
    log = Table(title="Activity (H2)", title_justify="left")
    for c in ("at", "action", "side", "reason", "rule", "detail"):
        log.add_column(c, overflow="fold")
    for e in entries:
        detail = "" if e.get("detail") is None else json.dumps(e["detail"], default=str)
        log.add_row(*(str(e.get(c) or "") for c in ("at", "action", "side", "reason", "rule")), detail)
    console.print(log)
    if not entries:
        console.print("No activity logged for this record yet.")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    _, state = prepared
    from sync import status as h

    try:
        written = h.export(state, args.out, args.format, pair=args.pair, status=args.status, reason=args.reason,
                           text=args.search, columns=args.columns)
    except ValueError as err:
        _err(str(err))
        return EXIT_USAGE
    except OSError as err:  # a folder that does not exist, no permission: the path is the user's to fix
        raise UsageError(f"cannot write --out {args.out}: {err.strerror or err}") from err
    finally:
        state.engine.dispose()
    _console().print(f"Wrote {written} row(s) to {Path(args.out).resolve()}", highlight=False)
    return EXIT_OK


def _print_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    sys.stdout.flush()


__all__ = ["add_commands"]
