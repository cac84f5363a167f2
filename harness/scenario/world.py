"""The world a scenario runs in: both simulators in-process, a company and a portal, the sync, and the refs
that name what the scenario made — so steps, builders and checks share one place to look records up."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from harness.scenario import builders, pairs
from harness.scenario.engine import EngineSync
from harness.scenario.interface import SyncUnderTest
from harness.scenario.model import Scenario, ScenarioError, lineno, refused

if TYPE_CHECKING:
    from types import TracebackType
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from flask import Flask

    from sync.clients.quickbooks import QuickBooksClient
    from sync.settings import Settings

RECEIVER_URL = "http://sync.receiver"


class World:
    """Both simulators in-process, a company and a portal, the records of ``given``, and the sync."""

    def __init__(self, scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None) -> None:
        self.scenario = scenario
        self.make_sync = make_sync
        self.refs: dict[str, tuple[str, str, str]] = {}  # ref -> (side, type or entity, id)
        self.receiver: WSGIApplication | None = None
        self.mark = 0
        self.pass_mark = 0
        self.step_failures: list[str] = []  # wrong outcomes of steps (an action refused, …)
        self.other_companies: dict[str, dict] = {}  # legacy A5: further QBO companies by companyName
        self.other_qbo: dict[str, QuickBooksClient] = {}

    def fail(self, line: int | None, message: str) -> ScenarioError:
        return self.scenario.fail(line, message)

    # -- setting up ------------------------------------------------------------------------------
    def __enter__(self) -> World:
        from simulators.core.admin import ADMIN_TOKEN_ENV
        from simulators.core.clock import parse_iso
        from simulators.sims import Simulators
        from sync.clock import VirtualClock

        given = self.scenario.given
        self.sims = Simulators(admin_token=os.environ.get(ADMIN_TOKEN_ENV))  # guarded as `hsqbo serve` would be
        self.sims.runtime.limits.enabled = bool(given.get("rate_limits", False))
        self.sims.runtime.clock.set_mode("frozen")
        self.sims.runtime.clock.set(parse_iso(str(given.get("start", "2026-03-02T09:00:00Z"))))
        self.clock = VirtualClock(self.sims.runtime.clock)
        # routing first (tenants are made through the admin API); the sync's receiver is reached lazily
        self._routing = ExitStack()
        if getattr(self.make_sync, "needs_http", False):  # a sync in another process cannot reach in-process apps
            self._routing.enter_context(self.sims.serve())
        self._routing.enter_context(self.sims.in_process(extra={RECEIVER_URL: _as_flask(self._receive)}))
        try:
            return self._set_up(given)
        except BaseException:
            self._routing.close()  # a file's mistake found while setting up must not leave the routing on
            raise

    def _set_up(self, given: dict) -> World:
        qbo_options = {"country": "US", "seed": "empty", **(given.get("quickbooks") or {})}
        hs_options = {"seed": "empty", **(given.get("hubspot") or {})}
        others = given.get("quickbooks_companies") or []
        if not isinstance(others, list) or not all(isinstance(o, dict) and o.get("companyName") for o in others):
            raise self.fail(self.scenario.line_of.get("given"), "given.quickbooks_companies: a list of further QBO "
                            "companies (legacy, A5), each with its companyName, e.g. [{companyName: East Ltd}]")
        try:
            self.company = self.sims.new_qbo_company(**qbo_options)
            self.portal = self.sims.new_hubspot_portal(**hs_options)
            self.other_companies = {str(o["companyName"]): self.sims.new_qbo_company(**{"country": "US", **o})
                                    for o in others}
        except Exception as err:
            raise self.fail(self.scenario.line_of.get("given"),
                            f"given: the simulators refused the tenant: {err}") from err
        overrides = dict(given.get("settings") or {})
        settings = self.settings(overrides, lineno(given.get("settings"), self.scenario.line_of.get("given")),
                                 "given.settings")
        self.sync = (self.make_sync or EngineSync)(settings, self.clock)
        close = getattr(self.sync, "close", None)
        if close is not None:
            self._routing.callback(close)
        self.receiver = self.sync.receiver()
        from harness.users import user_clients

        self.qbo, self.hs = user_clients(self.sims, self.company, self.portal, self.clock)
        self.other_qbo = {name: user_clients(self.sims, company, self.portal, self.clock)[0]
                          for name, company in self.other_companies.items()}
        if given.get("webhooks"):
            self._subscribe()
        return self

    def _receive(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.receiver is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"this sync takes no webhooks"]
        return self.receiver(environ, start_response)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._routing.__exit__(exc_type, exc, tb)
        companies = getattr(self.sync, "companies", None)
        for engine in companies.engines if companies is not None else [getattr(self.sync, "engine", None)]:
            if engine is not None:
                engine.state.engine.dispose()

    def settings(self, overrides: dict, line: int | None, what: str) -> Settings:
        """The sync's settings for these simulators (the connection filled in); a refusal is the file's mistake."""
        from sync.settings import SettingsError

        try:
            return self.build_settings(overrides, line, what)
        except SettingsError as err:
            raise self.fail(line, f"{what}: {err}") from err

    def build_settings(self, overrides: dict, line: int | None, what: str) -> Settings:
        """The settings as :meth:`settings` builds them, a refusal raised as the engine's ``SettingsError`` (its
        ``problems``: each problem under its setting's path) — for a step that expects one (B5)."""
        from harness.engine_settings import for_simulators

        generation = self.scenario.generation  # the file's ``generation:`` is the engine's ``mode``
        if "mode" in overrides and str(overrides["mode"]).strip() != generation:
            raise self.fail(line, f"{what}.mode: {overrides['mode']!r} disagrees with the file's generation "
                                  f"{generation!r}; leave mode out, generation: says it")
        overrides["mode"] = generation
        overrides.setdefault("state", "sqlite://")
        for system, url in (("quickbooks", self.sims.qbo_url), ("hubspot", self.sims.hubspot_url)):
            overrides[system] = {"base_url": url, **(overrides.get(system) or {})}
        return for_simulators(self.company, self.portal, other_companies=list(self.other_companies.values()),
                              **overrides)

    def _subscribe(self) -> None:
        import requests

        requests.post(f"{self.sims.hubspot_url}/_sim/webhooks", timeout=5, headers=self.sims.admin_headers(),
                      json={"portalId": self.portal["portalId"], "url": f"{RECEIVER_URL}/webhooks/hubspot"})
        requests.post(f"{self.sims.qbo_url}/_sim/webhooks", timeout=5, headers=self.sims.admin_headers(),
                      json={"realmId": self.company["realmId"], "url": f"{RECEIVER_URL}/webhooks/quickbooks"})

    def build_given(self) -> None:
        records = self.scenario.given.get("records") or {}
        for system, make in (("hubspot", builders.hubspot_create), ("quickbooks", builders.quickbooks_create)):
            for raw in records.get(system) or []:
                try:
                    make(self, raw)
                except (ScenarioError, KeyError, ValueError, TypeError, ArithmeticError):
                    raise
                except Exception as err:  # the system refused the record: the scenario fails with its answer
                    problem = refused(err, lineno(raw), f"given {system} record {raw.get('ref') or ''}".rstrip())
                    if problem is None:
                        raise
                    raise problem from err
        self.mark = self.journal_mark()

    # -- naming records ----------------------------------------------------------------------------
    def ref(self, args: dict, line: int | None) -> tuple[str, str, str]:
        """The record a step names: ``ref`` (made by the scenario), or ``of`` (the other side's record the sync
        linked with that ref; ``entity`` / ``type`` say which kind, by default the kind the ref's pair links)."""
        if "of" in args:
            side, kind, oid = self.ref({"ref": args["of"]}, line)
            got = self.status(side, kind, oid) or {}
            other = "quickbooks" if side == "hubspot" else "hubspot"
            linked = got.get(f"{other}_id")
            if not linked:
                raise self.fail(lineno(args, line), f"{args['of']!r} is linked to no {other} record")
            default = pairs.counterpart(kind, other)
            kind = args.get("entity", default) if other == "quickbooks" else args.get("type", default)
            return other, kind, str(linked)
        ref = args.get("ref")
        if ref not in self.refs:
            known = ", ".join(sorted(self.refs)) or "none yet"
            raise self.fail(lineno(args, line), f"unknown ref {ref!r} (known: {known})")
        return self.refs[ref]

    def named(self, value: object, line: int | None) -> tuple[str, str, str]:
        """A ref's name, or ``{of: ref}`` (the record the sync linked with it)."""
        return self.ref(value if isinstance(value, dict) else {"ref": value}, lineno(value, line))

    def status(self, side: str, kind: str, oid: str) -> dict | None:
        """The sync's status of a record, asked with its kind when the sync's ``status`` takes one."""
        status = getattr(self.sync, "status", None)
        return None if status is None else with_kind(status, side, oid, kind)

    def resolve(self, value: Any) -> Any:
        """``"@ref"`` stands for the id of the record made with that ref."""
        if isinstance(value, str) and value.startswith("@") and value[1:] in self.refs:
            return self.refs[value[1:]][2]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def quickbooks(self, company: object, line: int | None) -> QuickBooksClient:
        """The QBO user's client of the company a record or an expectation names (``company:``, legacy A5); the
        first company's when none is named."""
        if company is None:
            return self.qbo
        if str(company) not in self.other_qbo:
            known = ", ".join(self.other_qbo) or "none: given.quickbooks_companies lists them"
            raise self.fail(line, f"company: no further QuickBooks company {company!r} (known: {known})")
        return self.other_qbo[str(company)]

    def journal_mark(self) -> int:
        return self.sims.runtime.journal.last_seq()


def with_kind(method: Callable[..., Any], side: str, oid: str, kind: str) -> Any:
    """``method(side, id, kind=kind)`` when the sync's method takes a kind, else ``method(side, id)``."""
    try:
        takes_kind = "kind" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        takes_kind = False
    return method(side, oid, kind=kind) if takes_kind else method(side, oid)


def merge_settings(base: dict, over: dict) -> dict:
    """Settings with ``over`` merged in: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge_settings(dict(out[key]), dict(value)) \
            if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _as_flask(app: WSGIApplication) -> Flask:
    """The in-process router wants a Flask app; wrap any WSGI callable in one."""
    from flask import Flask

    class Wrapper(Flask):
        def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            return app(environ, start_response)

    return Wrapper("hsqbo.sync-under-test")
