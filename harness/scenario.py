"""Scenario files: given two accounts, when this happens, then this is what the sync must do.

A scenario (``scenarios/*.yaml``, format version 1, documented in ``scenarios/README.md``) is loaded
with the line of every mapping kept, so a mistake in a file is reported as ``file:line: what was
expected`` — never a stack trace. It runs against both simulators in-process and drives "a sync"
through :class:`SyncUnderTest`; :class:`EngineSync` puts the reference engine behind it.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import yaml

FORMAT_VERSION = 1
STEP_KINDS = ("sync", "advance", "hubspot.create", "hubspot.update", "hubspot.archive", "hubspot.associate",
              "quickbooks.create", "quickbooks.update", "quickbooks.void", "quickbooks.delete", "quickbooks.send",
              "quickbooks.preferences", "action", "expect", "webhooks", "fault", "restart", "crash")
# The engine's actions (sync/actions.py) an ``action`` step may call.
ACTIONS = ("create_invoice_from_deal", "workflow_create_invoice", "add_invoice_to", "workflow_paid_invoice")
RECEIVER_URL = "http://sync.receiver"


class ScenarioError(Exception):
    """A mistake in a scenario file: where, and what was expected."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class _Map(dict):
    line: int | None = None


class _Loader(yaml.SafeLoader):
    """Keeps each mapping's line (1-based) so errors can point at it."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    out = _Map(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _line(node: object, default: int | None = None) -> int | None:
    return getattr(node, "line", None) or default


# -- the model ------------------------------------------------------------------------------------

@dataclass
class Step:
    kind: str
    args: dict
    line: int | None


@dataclass
class Scenario:
    path: Path
    name: str
    rules: list[str]
    given: dict
    steps: list[Step]
    then: dict
    line_of: dict[str, int | None] = field(default_factory=dict)
    vary: dict = field(default_factory=dict)  # name -> strategy: hypothesis draws the given data
    examples: int = 10

    def fail(self, line: int | None, message: str) -> ScenarioError:
        return ScenarioError(self.path, line, message)


def load(path: str | Path, values: dict | None = None) -> Scenario:
    """Load a scenario; ``values`` fills a parametrised one's ``{expressions}`` and ``repeat`` entries."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        raise ScenarioError(path, err.problem_mark.line + 1 if err.problem_mark else None,
                            f"not valid YAML: {err.problem}") from err
    except OSError as err:
        raise ScenarioError(path, None, f"cannot read: {err.strerror}") from err
    if not isinstance(doc, dict):
        raise ScenarioError(path, 1, "expected a mapping with version, name, rules, given, when, then")
    vary = doc.get("vary") or {}
    if values is not None:
        doc = _fill(path, doc, values)
    unknown = set(doc) - {"version", "name", "rules", "description", "given", "when", "then", "vary", "examples"}
    if unknown:
        raise ScenarioError(path, _line(doc), f"unknown key(s) {', '.join(sorted(unknown))}; expected version, "
                            "name, rules, description, given, when, then")
    if doc.get("version") != FORMAT_VERSION:
        raise ScenarioError(path, _line(doc), f"version must be {FORMAT_VERSION}, not {doc.get('version')!r}")
    for key in ("name", "rules", "then"):
        if not doc.get(key):
            raise ScenarioError(path, _line(doc), f"'{key}' is required")
    rules = doc["rules"]
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise ScenarioError(path, _line(doc), "rules must be a list of rule IDs such as [D2, D1]")
    steps = []
    for raw in doc.get("when") or []:
        if isinstance(raw, str):
            raw = _Map({raw: {}})
        if not isinstance(raw, dict) or len(raw) != 1:
            raise ScenarioError(path, _line(raw, _line(doc)), "each step is one of: " + ", ".join(STEP_KINDS))
        (kind, args), = raw.items()
        if kind not in STEP_KINDS:
            raise ScenarioError(path, _line(raw), f"unknown step '{kind}'; expected one of {', '.join(STEP_KINDS)}")
        steps.append(Step(kind, args if isinstance(args, dict) else {"value": args}, _line(raw)))
    if not isinstance(vary, dict) or not all(isinstance(v, dict) and len(v) == 1 and next(iter(v)) in VARY_KINDS
                                             for v in vary.values()):
        raise ScenarioError(path, _line(vary, _line(doc)), "vary: each name takes one of "
                            f"{', '.join(VARY_KINDS)}, e.g. n: {{integers: [1, 20]}}")
    return Scenario(path, str(doc["name"]), rules, doc.get("given") or {}, steps, doc["then"],
                    {k: _line(v) for k, v in doc.items()}, dict(vary), int(doc.get("examples", 10)))


# -- parametrised scenarios ------------------------------------------------------------------------

VARY_KINDS = ("integers", "sampled_from", "booleans")


def _strategy(spec: dict) -> object:
    from hypothesis import strategies as st

    (kind, arg), = spec.items()
    if kind == "integers":
        return st.integers(min_value=int(arg[0]), max_value=int(arg[1]))
    if kind == "sampled_from":
        return st.sampled_from(list(arg))
    return st.booleans()


_EXPRESSION = re.compile(r"\{([^{}]+)\}")


def _evaluate(text: str, values: dict) -> object:
    """A tiny arithmetic over the drawn values (names, numbers, + - * // %): no calls, no attributes."""
    tree = ast.parse(text.strip(), mode="eval")

    def walk(node: ast.AST) -> object:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)  # type: ignore[operator]
        ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"{{{text}}}: only names of vary, numbers and + - * // % are allowed")

    return walk(tree)


def _fill(path: Path, node: object, values: dict) -> object:
    """Put the drawn values into every ``{expression}``; expand ``repeat: n`` list entries with ``i`` = 1..n."""
    try:
        if isinstance(node, str):
            whole = _EXPRESSION.fullmatch(node)
            if whole:
                return _evaluate(whole.group(1), values)
            return _EXPRESSION.sub(lambda m: str(_evaluate(m.group(1), values)), node)
        if isinstance(node, dict):
            try:
                out = _Map({k: _fill(path, v, values) for k, v in node.items() if k != "repeat"})
            except ScenarioError as err:
                if err.line is None and _line(node):  # a plain string has no line: its mapping does
                    raise ScenarioError(path, _line(node), err.message) from err
                raise
            out.line = _line(node)
            return out
        if isinstance(node, list):
            items: list = []
            for item in node:
                if isinstance(item, dict) and "repeat" in item:
                    raw = item["repeat"]  # a number, or an expression over the drawn values: n, "{n - 1}"
                    raw = raw.strip("{}") if isinstance(raw, str) else raw
                    times = int(_evaluate(raw, values) if isinstance(raw, str) else raw)  # type: ignore[arg-type]
                    items += [_fill(path, item, {**values, "i": i}) for i in range(1, times + 1)]
                else:
                    items.append(_fill(path, item, values))
            return items
    except (ValueError, SyntaxError, TypeError, ZeroDivisionError) as err:
        raise ScenarioError(path, _line(node), str(err)) from err
    return node


def discover(target: str | Path) -> list[Path]:
    target = Path(target)
    return sorted(target.glob("*.yaml")) if target.is_dir() else [target]


# -- the sync under test --------------------------------------------------------------------------

class SyncUnderTest(Protocol):
    """What a scenario needs of a sync. Status look-ups are optional (a sync may keep no status)."""

    def run_pass(self) -> None: ...

    def restart(self, settings: object | None = None) -> None:
        """A new sync process on the same state; ``settings`` (optional): the process starts with these."""
        ...

    def receiver(self) -> object | None:
        """A WSGI app taking both systems' webhooks (``/webhooks/quickbooks``, ``/webhooks/hubspot``), or None."""
        ...

    def status(self, side: str, record_id: str, kind: str | None = None) -> dict | None:
        """The sync's status of a record: ``status`` (synced, failed, excluded, pending), ``reason``, ``rule``,
        ``message``, ``hubspot_id``, ``quickbooks_id``. ``kind``: its HubSpot object type or QBO entity (ids of
        different kinds may be equal); a sync whose ``status`` takes only (side, id) is asked without it."""
        ...

    def counts(self, pair: str) -> dict[str, int] | None: ...

    def action(self, name: str, **args: object) -> dict:
        """Optional: run one of the integration's actions (``ACTIONS``) with ids for arguments; returns what it
        made. A refusal raises an exception with ``.code`` (a reason code) and ``.rule``; an unknown action or
        wrong arguments raise :class:`ActionUnavailable` (the scenario's mistake)."""
        ...


class ActionUnavailable(Exception):
    """A sync's ``action()`` was asked for an action it does not have, or with arguments it does not take."""


class SyncFailed(Exception):
    """Raised by a sync's ``run_pass()`` when the sync itself failed (a foreign command exited non-zero): the
    scenario fails at that step, with this message — a failure of the sync, not a mistake in the file."""


class EngineSync:
    """The reference engine behind the interface; a restart builds a new engine on the same state."""

    def __init__(self, settings: object, clock: object) -> None:
        from sync.engine import Engine
        from sync.triggers import Scheduler

        self._settings, self._clock = settings, clock
        self.engine = Engine(settings, clock=clock)  # type: ignore[arg-type]
        self._scheduler = Scheduler(self.engine)
        self._crash_at: str | None = None

    def run_pass(self) -> None:
        if self.engine.has_notifications():
            self.engine.run_notifications()
        with self._crashing():
            self.engine.run_pass()

    def restart(self, settings: object | None = None) -> None:
        from sync.engine import Engine

        self._settings = settings or self._settings
        self.engine = Engine(self._settings, clock=self._clock, state=self.engine.state)  # type: ignore[arg-type]
        self._scheduler.engine = self.engine  # type: ignore[attr-defined]

    def crash(self, point: str) -> None:
        """The next pass dies right after its first write of ``point`` ("quickbooks" or "hubspot") lands."""
        self._crash_at = point

    @contextmanager
    def _crashing(self) -> Iterator[None]:
        if self._crash_at is None:
            yield
            return
        point = self._crash_at

        def die(side: str) -> None:
            if side == point:
                raise _Crash

        self.engine.before_record = die
        try:
            yield
        except _Crash:
            pass
        finally:
            self.engine.before_record = None
            self._crash_at = None

    def receiver(self) -> object:
        from sync.triggers import create_receiver

        engine = self

        class _Forward:  # the receiver outlives restarts: it reaches whichever engine runs now
            def __call__(self, environ: dict, start_response: Callable) -> object:
                return create_receiver(engine.engine).wsgi_app(environ, start_response)

        return _Forward()

    def status(self, side: str, record_id: str, kind: str | None = None) -> dict | None:
        from sync.engine import RULES

        pairs = [name for name, rules in RULES.items() if kind in (rules.hubspot_type, rules.qbo_entity)]
        for pair in pairs or self._settings.pairs:  # type: ignore[attr-defined]
            record = self.engine.state.by_side_ids(pair, side, [record_id]).get(record_id)
            if record is not None:
                return {"status": record.status, "reason": record.reason, "rule": record.rule,
                        "message": record.message, "hubspot_id": record.hubspot_id, "quickbooks_id": record.qbo_id}
        return None

    def action(self, name: str, **args: object) -> dict:
        """One of the engine's actions (sync/actions.py) on this engine; ActionError is its refusal."""
        import inspect

        from sync import actions

        if name not in ACTIONS:
            raise ActionUnavailable(f"unknown action {name!r}; expected one of {', '.join(ACTIONS)}")
        function = getattr(actions, name)
        try:
            inspect.signature(function).bind(self.engine, **args)
        except TypeError as err:
            takes = ", ".join(p for p in list(inspect.signature(function).parameters)[1:])
            raise ActionUnavailable(f"{name}: {err} (it takes {takes})") from err
        return function(self.engine, **args)

    def counts(self, pair: str) -> dict[str, int]:
        return self.engine.state.counts(pair)


class _Crash(Exception):
    pass


# -- running ----------------------------------------------------------------------------------------

@dataclass
class Result:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def run(path: str | Path, make_sync: Callable[..., SyncUnderTest] | None = None,
        examples: int | None = None) -> Result:
    """Load and run one scenario file; a wrong expectation is a failure, a wrong file a ScenarioError.

    A parametrised file (``vary``) runs once per drawn set of values (``examples``, default the file's own,
    else 10); hypothesis shrinks a failure to the smallest values that still fail.
    """
    scenario = load(path)
    if not scenario.vary:
        return _run_once(scenario, make_sync)
    return _run_varied(scenario, make_sync, examples or scenario.examples)


def _run_varied(scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None, examples: int) -> Result:
    import time

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    started = time.perf_counter()
    result = Result(scenario)
    failed: list[tuple[dict, list[str]]] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({name: _strategy(spec) for name, spec in scenario.vary.items()}))
    def each(values: dict) -> None:
        once = _run_once(load(scenario.path, values), make_sync)
        result.steps += once.steps
        if not once.passed:
            failed.append((values, once.failures))
            raise AssertionError(once.failures)

    try:
        each()
    except AssertionError:
        values, failures = failed[-1]  # the last failure hypothesis ran is the shrunk one
        result.failures = [f"with {', '.join(f'{k}={v!r}' for k, v in values.items())}: {f}" for f in failures]
    result.seconds = time.perf_counter() - started
    return result


def _run_once(scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None) -> Result:
    import time

    started = time.perf_counter()
    result = Result(scenario)
    with _World(scenario, make_sync) as world:
        world.build_given()
        for index, step in enumerate(scenario.steps):
            try:
                world.do(step)
            except SyncFailed as err:  # a bare "- sync" step has no line of its own: name its place in `when`
                where = f"line {step.line}" if step.line else f"when[{index}]"
                result.failures = [f"{where}: step {step.kind}: {err}"]
                break
            result.steps += 1
        else:
            result.failures = world.check(scenario.then)
    result.seconds = time.perf_counter() - started
    return result


class _World:
    """Both simulators in-process, a company and a portal, the records of ``given``, and the sync."""

    def __init__(self, scenario: Scenario, make_sync: Callable[..., SyncUnderTest] | None) -> None:
        self.s = scenario
        self.make_sync = make_sync
        self.refs: dict[str, tuple[str, str, str]] = {}  # ref -> (side, type or entity, id)
        self.receiver: object | None = None
        self.mark = 0
        self.pass_mark = 0
        self.step_failures: list[str] = []  # wrong outcomes of steps (an action refused, …)

    # -- setting up ------------------------------------------------------------------------------
    def __enter__(self) -> _World:
        from simulators.core.clock import parse_iso
        from simulators.sims import Simulators
        from sync.clock import VirtualClock

        given = self.s.given
        self.sims = Simulators()
        self.sims.runtime.limits.enabled = bool(given.get("rate_limits", False))
        self.sims.runtime.clock.set_mode("frozen")
        self.sims.runtime.clock.set(parse_iso(str(given.get("start", "2026-03-02T09:00:00Z"))))
        self.clock = VirtualClock(self.sims.runtime.clock)
        # routing first (tenants are made through the admin API); the sync's receiver is reached lazily
        from contextlib import ExitStack

        self._routing = ExitStack()
        if getattr(self.make_sync, "needs_http", False):  # a sync in another process cannot reach in-process apps
            self._routing.enter_context(self.sims.serve())
        self._routing.enter_context(self.sims.in_process(extra={RECEIVER_URL: _as_flask(self._receive)}))
        qbo_options = {"country": "US", "seed": "empty", **(given.get("quickbooks") or {})}
        hs_options = {"seed": "empty", **(given.get("hubspot") or {})}
        try:
            self.company = self.sims.new_qbo_company(**qbo_options)
            self.portal = self.sims.new_hubspot_portal(**hs_options)
        except Exception as err:
            self._routing.__exit__(None, None, None)
            raise self.s.fail(self.s.line_of.get("given"), f"given: the simulators refused the tenant: {err}") from err
        self.sync = self._make_sync()
        close = getattr(self.sync, "close", None)
        if close is not None:
            self._routing.callback(close)
        self.receiver = self.sync.receiver()
        from harness.users import user_clients

        self.qbo, self.hs = user_clients(self.sims, self.company, self.portal, self.clock)
        if given.get("webhooks"):
            self._subscribe()
        return self

    def _receive(self, environ: dict, start_response: Callable) -> object:
        if self.receiver is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"this sync takes no webhooks"]
        return self.receiver(environ, start_response)  # type: ignore[operator]

    def __exit__(self, *exc: object) -> None:
        self._routing.__exit__(*exc)
        engine = getattr(self.sync, "engine", None)
        if engine is not None:
            engine.state.engine.dispose()

    def _make_sync(self) -> SyncUnderTest:
        from sync.settings import Settings, SettingsError

        overrides = dict(self.s.given.get("settings") or {})
        overrides.setdefault("state", "sqlite://")
        for system, url in (("quickbooks", self.sims.qbo_url), ("hubspot", self.sims.hubspot_url)):
            overrides[system] = {"base_url": url, **(overrides.get(system) or {})}
        try:
            settings = Settings.for_simulators(self.company, self.portal, **overrides)
        except SettingsError as err:
            raise self.s.fail(_line(self.s.given.get("settings"), self.s.line_of.get("given")),
                              f"given.settings: {err}") from err
        return (self.make_sync or EngineSync)(settings, self.clock)

    def _subscribe(self) -> None:
        import requests

        requests.post(f"{self.sims.hubspot_url}/_sim/webhooks", timeout=5,
                      json={"portalId": self.portal["portalId"], "url": f"{RECEIVER_URL}/webhooks/hubspot"})
        requests.post(f"{self.sims.qbo_url}/_sim/webhooks", timeout=5,
                      json={"realmId": self.company["realmId"], "url": f"{RECEIVER_URL}/webhooks/quickbooks"})

    def build_given(self) -> None:
        records = self.s.given.get("records") or {}
        for raw in records.get("hubspot") or []:
            self._hubspot_create(raw)
        for raw in records.get("quickbooks") or []:
            self._quickbooks_create(raw)
        self.mark = self._journal_mark()

    # -- steps ------------------------------------------------------------------------------------
    def do(self, step: Step) -> None:
        a, line = step.args, step.line
        try:
            if "refused" in a and step.kind in REFUSABLE:
                self._refused(step.kind, a, line)
            else:
                getattr(self, "_step_" + step.kind.replace(".", "_"))(a, line)
        except ScenarioError:
            raise
        except (KeyError, ValueError, TypeError, ArithmeticError) as err:
            raise self.s.fail(line, f"step {step.kind}: {err}") from err
        except Exception as err:  # an API refusing a step is the scenario's mistake, not a crash
            status = getattr(err, "status", None)
            if status is None:
                raise
            raise self.s.fail(line, f"step {step.kind}: the API answered {status}: {err}") from err

    def _refused(self, kind: str, a: dict, line: int | None) -> None:
        """A QBO write the scenario expects QBO to refuse: ``refused: "6140"`` (its error code) or
        ``refused: {code: "6140", message: Duplicate}`` (words of its message or detail)."""
        want = a["refused"] if isinstance(a["refused"], dict) else {"code": a["refused"]}
        try:
            getattr(self, "_step_" + kind.replace(".", "_"))({k: v for k, v in a.items() if k != "refused"}, line)
        except ScenarioError:
            raise
        except Exception as err:
            code = getattr(err, "code", None)
            if code is None or getattr(err, "status", None) is None:
                raise
            words = f"{getattr(err, 'message', '')} {getattr(err, 'detail', '')} {err}"
            if "code" in want and str(want["code"]) != str(code):
                self.step_failures.append(f"line {line}: {kind}: QuickBooks refused it with {code}, expected "
                                          f"{want['code']}: {err}")
            elif "message" in want and str(want["message"]).lower() not in words.lower():
                self.step_failures.append(f"line {line}: {kind}: QuickBooks refused it, but not saying "
                                          f"{want['message']!r}: {err}")
            return
        self.step_failures.append(f"line {line}: {kind}: expected QuickBooks to refuse it ({want}), it accepted it")

    def _step_sync(self, a: dict, line: int | None) -> None:
        self.pass_mark = self._journal_mark()
        for _ in range(int(a.get("passes", 1))):
            self.sync.run_pass()

    def _step_advance(self, a: dict, line: int | None) -> None:
        """``advance: 600`` (seconds), ``advance: {days: 30, hours: 1}``, ``advance: {to: "2026-04-01T09:00:00Z"}``."""
        unknown = set(a) - {"value", "seconds", "minutes", "hours", "days", "to"}
        if unknown:
            raise self.s.fail(line, f"advance: unknown key(s) {', '.join(sorted(unknown))}; expected seconds, "
                              "minutes, hours, days or to")
        if "to" in a:
            from simulators.core.clock import parse_iso

            seconds = parse_iso(str(a["to"])).timestamp() - self.clock.now().timestamp()
            if seconds < 0:
                raise self.s.fail(line, f"advance: the clock is already past {a['to']}; it cannot go back")
        else:
            seconds = (float(a.get("value", 0)) + float(a.get("seconds", 0)) + 60 * float(a.get("minutes", 0))
                       + 3600 * float(a.get("hours", 0)) + 86400 * float(a.get("days", 0)))
        self.clock.sleep(seconds)

    def _step_hubspot_create(self, a: dict, line: int | None) -> None:
        self._hubspot_create(a)

    def _step_hubspot_update(self, a: dict, line: int | None) -> None:
        _, otype, oid = self._ref(a, line)
        self.hs.update(otype, oid, self._resolve(a.get("properties") or {}))

    def _step_hubspot_archive(self, a: dict, line: int | None) -> None:
        _, otype, oid = self._ref(a, line)
        self.hs.archive(otype, oid)

    def _step_hubspot_associate(self, a: dict, line: int | None) -> None:
        """``hubspot.associate: {from: inv, to: [acme, deal]}``: default associations, as a user makes them."""
        side, from_type, from_id = self._named(a.get("from"), line)
        targets = a.get("to") if isinstance(a.get("to"), list) else [a.get("to")]
        for target in targets:
            other, to_type, to_id = self._named(target, line)
            if "hubspot" not in (side, other) or side != other:
                raise self.s.fail(line, f"hubspot.associate: {a.get('from')} and {target} must both be HubSpot "
                                  "records")
            self.hs.associate(from_type, to_type, [(from_id, to_id)])

    def _step_quickbooks_create(self, a: dict, line: int | None) -> None:
        self._quickbooks_create(a)

    def _step_quickbooks_update(self, a: dict, line: int | None) -> None:
        _, entity, oid = self._ref(a, line)
        current = self.qbo.get(entity, oid)
        body = {"Id": oid, "SyncToken": current["SyncToken"], **self._qbo_body(a, line)}
        self.qbo.update(entity, body, request_id=uuid.uuid4().hex)

    def _step_quickbooks_void(self, a: dict, line: int | None) -> None:
        """Void a transaction: QBO keeps it with zero amounts (invoices: operation=void; payments and sales
        receipts: an update with include=void)."""
        _, entity, oid = self._ref(a, line)
        current = self.qbo.get(entity, oid)
        self.qbo.void(entity, {"Id": oid, "SyncToken": current["SyncToken"]}, request_id=uuid.uuid4().hex)

    def _step_quickbooks_delete(self, a: dict, line: int | None) -> None:
        _, entity, oid = self._ref(a, line)
        current = self.qbo.get(entity, oid)
        self.qbo.delete(entity, {"Id": oid, "SyncToken": current["SyncToken"]}, request_id=uuid.uuid4().hex)

    def _step_quickbooks_send(self, a: dict, line: int | None) -> None:
        """Email a sales form to the customer (``to``: an address, else its BillEmail): EmailStatus EmailSent."""
        _, entity, oid = self._ref(a, line)
        self.qbo.request("POST", f"{self.qbo.api}/{entity.lower()}/{oid}/send", kind="write", safe=False,
                         params={"sendTo": a["to"]} if a.get("to") else None)

    def _step_quickbooks_preferences(self, a: dict, line: int | None) -> None:
        """``customTxnNumbers`` through the Preferences API; ``closingDate`` (read-only in the API) as a person
        sets it in QBO's settings; ``body``: any other Preferences update."""
        unknown = set(a) - {"customTxnNumbers", "closingDate", "body"}
        if unknown:
            raise self.s.fail(line, f"quickbooks.preferences: unknown key(s) {', '.join(sorted(unknown))}; "
                              "expected customTxnNumbers, closingDate, body")
        body = dict(a.get("body") or {})
        if "customTxnNumbers" in a:
            body.setdefault("SalesFormsPrefs", {})["CustomTxnNumbers"] = bool(a["customTxnNumbers"])
        if body:
            current = next(iter(self.qbo.query("SELECT * FROM Preferences")))
            self.qbo.update("Preferences", {"Id": current["Id"], "SyncToken": current["SyncToken"], **body},
                            request_id=uuid.uuid4().hex)
        if "closingDate" in a:  # the simulator's admin route: QBO's API cannot write it
            when = str(a["closingDate"]) if a["closingDate"] else None
            self.qbo.session.post(f"{self.qbo.base_url}/_sim/quickbooks/{self.company['realmId']}/closing-date",
                                  json={"date": when}).raise_for_status()

    def _step_action(self, a: dict, line: int | None) -> None:
        """Call one of the sync's actions with refs resolved; ``refused`` expects its refusal, ``ref`` /
        ``hubspot_ref`` name what it made, ``returns`` checks its answer. A wrong outcome is a failure."""
        unknown = set(a) - {"value", "name", "args", "ref", "hubspot_ref", "refused", "returns"}
        if unknown:
            raise self.s.fail(line, f"action: unknown key(s) {', '.join(sorted(unknown))}; expected name, args, "
                              "ref, hubspot_ref, refused, returns")
        name = str(a.get("name") or a.get("value") or "")
        if not name:
            raise self.s.fail(line, f"action: name the action, one of {', '.join(ACTIONS)}")
        call = getattr(self.sync, "action", None)
        if call is None:
            raise self.s.fail(line, "this sync has no actions (no action(name, **args) method)")
        args = self._action_args(a.get("args") or {}, line)
        refused = a.get("refused")
        if isinstance(refused, str):
            refused = {"reason": refused}
        try:
            result = call(name, **args)
        except ActionUnavailable as err:
            raise self.s.fail(line, f"action {name}: {err}") from err
        except Exception as err:
            code, rule = getattr(err, "code", None), getattr(err, "rule", None)
            if code is None or rule is None:
                self.step_failures.append(f"line {line}: action {name} failed: {type(err).__name__}: {err}")
            elif refused is None:
                self.step_failures.append(f"line {line}: action {name} was refused: {code} (rule {rule}): {err}")
            else:
                for key, got in (("reason", code), ("rule", rule)):
                    if key in refused and str(refused[key]) != str(got):
                        self.step_failures.append(f"line {line}: action {name} refused with {key} {got!r}, "
                                                  f"expected {refused[key]!r}")
            return
        if refused is not None:
            self.step_failures.append(f"line {line}: action {name}: expected it refused with "
                                      f"{refused.get('reason')}, it succeeded: {result}")
            return
        result = dict(result or {})
        for key, expected in (a.get("returns") or {}).items():
            if not _same(result.get(key), self._resolve(expected)):
                self.step_failures.append(f"line {line}: action {name} returned {key} {result.get(key)!r}, "
                                          f"expected {expected!r}")
        if a.get("ref"):
            made = (("Invoice", result["invoice"]) if result.get("invoice")
                    else (str(result["type"]), result["id"]) if result.get("type") and result.get("id") else None)
            if made is None:
                self.step_failures.append(f"line {line}: action {name} made nothing in QuickBooks to name "
                                          f"{a['ref']!r}: {result}")
            else:
                self.refs[str(a["ref"])] = ("quickbooks", made[0], str(made[1]))
        if a.get("hubspot_ref"):
            if result.get("hubspot_invoice"):
                self.refs[str(a["hubspot_ref"])] = ("hubspot", "invoices", str(result["hubspot_invoice"]))
            else:
                self.step_failures.append(f"line {line}: action {name} made no HubSpot invoice to name "
                                          f"{a['hubspot_ref']!r}: {result}")

    def _action_args(self, value: Any, line: int | None, key: str = "") -> Any:
        """Refs stand for ids: ``"@ref"`` anywhere; a bare ref name as the value of ``*_id``, ``item`` or
        ``product`` (a line's QBO item or HubSpot product)."""
        if isinstance(value, dict):
            return {k: self._action_args(v, line, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._action_args(v, line, key) for v in value]
        if isinstance(value, str) and (key.endswith("_id") or key in ("item", "product")) and value in self.refs:
            return self.refs[value][2]
        return self._resolve(value)

    def _step_webhooks(self, a: dict, line: int | None) -> None:
        import requests

        for url in (self.sims.hubspot_url, self.sims.qbo_url):
            requests.post(f"{url}/_sim/webhooks/deliver", timeout=5)

    def _step_fault(self, a: dict, line: int | None) -> None:
        rules = a.get("rules") or [a]
        self.sims.runtime.faults.add([dict(r) for r in rules])

    def _step_restart(self, a: dict, line: int | None) -> None:
        """``restart``; ``restart: {settings: {...}}``: the sync comes back with its settings changed (the given
        settings with these merged over them, pair by pair) — a setting changed between syncs."""
        if not a.get("settings"):
            self.sync.restart()
            return
        from sync.settings import Settings, SettingsError

        merged = _merge(dict(self.s.given.get("settings") or {}), dict(a["settings"]))
        merged.setdefault("state", "sqlite://")
        for system, url in (("quickbooks", self.sims.qbo_url), ("hubspot", self.sims.hubspot_url)):
            merged[system] = {"base_url": url, **(merged.get(system) or {})}  # as _make_sync does
        try:
            settings = Settings.for_simulators(self.company, self.portal, **merged)
        except SettingsError as err:
            raise self.s.fail(line, f"restart.settings: {err}") from err
        self.sync.restart(settings)  # type: ignore[call-arg]

    def _step_crash(self, a: dict, line: int | None) -> None:
        crash = getattr(self.sync, "crash", None)
        if crash is None:
            raise self.s.fail(line, "this sync cannot be crashed on purpose (no crash(point) method)")
        crash(str(a.get("after", a.get("value", "quickbooks"))))

    # -- making records ------------------------------------------------------------------------------
    def _hubspot_create(self, raw: dict) -> None:
        """A HubSpot record; ``associations`` name refs (a default association type, or ``{to, type}``);
        ``line_items`` are created on it (an invoice is created as a draft, given its lines, then set to its
        status, as HubSpot's invoices guide orders it)."""
        line = _line(raw)
        otype = raw.get("type", "contacts")
        associations = []
        if raw.get("primary_company"):
            _, _, company = self._ref({"ref": raw["primary_company"]}, line)
            associations.append(_association(company, 1))
        for link in raw.get("associations") or []:  # ref, or {to: ref, type: association type id}
            link = link if isinstance(link, dict) else {"to": link}
            side, to_type, to_id = self._ref({"ref": link.get("to")}, _line(link, line))
            if side != "hubspot":
                raise self.s.fail(_line(link, line), f"associations: {link.get('to')!r} is not a HubSpot record")
            type_id = link.get("type") or _default_association(otype, to_type)
            if type_id is None:
                raise self.s.fail(_line(link, line), f"associations: HubSpot has no association from {otype} to "
                                  f"{to_type}")
            associations.append(_association(to_id, int(type_id)))
        if otype == "properties":  # a property definition a person adds in HubSpot's settings
            definition = {"type": "string", "fieldType": "text", **self._resolve(raw.get("properties") or {})}
            definition.setdefault("label", definition.get("name"))
            if not raw.get("object_type") or not definition.get("name"):
                raise self.s.fail(line, "a HubSpot property needs object_type and properties.name, e.g. {type: "
                                  "properties, object_type: invoices, properties: {name: po_number}}")
            if "groupName" not in definition:
                groups = {"invoices": "invoiceinformation", "deals": "dealinformation",
                          "contacts": "contactinformation", "companies": "companyinformation"}
                definition["groupName"] = groups.get(str(raw["object_type"]), "")
            self.hs.create_property(str(raw["object_type"]), definition)
            return
        properties = self._resolve(raw.get("properties") or {})
        items = raw.get("line_items") or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise self.s.fail(line, "line_items: expected a list of properties, e.g. [{name: Work, quantity: 1, "
                              "price: 80}]")
        status = properties.get("hs_invoice_status") if otype == "invoices" else None
        if items and status not in (None, "draft"):
            properties = {**properties, "hs_invoice_status": "draft"}
        made = self.hs.create(otype, properties, associations or None)
        if raw.get("ref"):
            self.refs[str(raw["ref"])] = ("hubspot", otype, str(made["id"]))
        for item in items:
            props = {k: _hubspot_text(v) for k, v in self._resolve(item).items() if k not in ("ref", "product")}
            if "product" in item:  # a ref, or {of: item}: the product the sync made of a QBO item
                props["hs_product_id"] = self._named(item["product"], _line(item, line))[2]
            type_id = _default_association("line_items", otype)
            if type_id is None:
                raise self.s.fail(line, f"line_items: HubSpot line items cannot be associated with {otype}")
            made_item = self.hs.create("line_items", props, [_association(str(made["id"]), type_id)])
            if item.get("ref"):
                self.refs[str(item["ref"])] = ("hubspot", "line_items", str(made_item["id"]))
        if items and status not in (None, "draft"):
            self.hs.update(otype, str(made["id"]), {"hs_invoice_status": status})

    def _quickbooks_create(self, raw: dict) -> None:
        entity = raw.get("entity", "Customer")
        body = self._qbo_body(raw, _line(raw))
        if entity == "Item" and "IncomeAccountRef" not in body:
            account = next(iter(self.qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))
            body["IncomeAccountRef"] = {"value": account["Id"]}
            body.setdefault("Type", "Service")
        made = self.qbo.create(entity, body, request_id=uuid.uuid4().hex)
        if raw.get("ref"):
            self.refs[str(raw["ref"])] = ("quickbooks", entity, str(made["Id"]))

    def _qbo_body(self, raw: dict, line: int | None) -> dict:
        """``body`` with refs resolved (``"@ref"``; ``XxxRef: ref``; ``LinkedTxn: [ref]``), plus the shorthands
        ``customer: ref``, ``lines: [{item, qty, price, ...}]`` and, for payments, ``applied: {ref: amount}``
        with ``total`` (default: what is applied, credit memos counting against it)."""
        body = self._qbo_refs(self._resolve(raw.get("body") or {}), line)
        if raw.get("customer") is not None:
            body["CustomerRef"] = {"value": self._named(raw["customer"], line)[2]}
        if raw.get("lines") is not None:
            body["Line"] = [self._qbo_line(spec, _line(spec, line)) for spec in raw["lines"]]
        if raw.get("applied") is not None:
            lines, total = [], Decimal(0)
            applied = raw["applied"]  # {ref: amount}, or [{to: ref or {of: ref}, amount}]
            if not isinstance(applied, dict) and not (isinstance(applied, list)
                                                      and all(isinstance(e, dict) for e in applied)):
                raise self.s.fail(line, "applied: expected {ref: amount} or [{to: ref, amount: …}]")
            pairs = list(applied.items()) if isinstance(applied, dict) else \
                [(entry.get("to"), entry.get("amount")) for entry in applied]
            for target, amount in pairs:
                _, kind, txn = self._named(target, line)
                lines.append({"Amount": _json_money(amount), "LinkedTxn": [{"TxnId": txn, "TxnType": kind}]})
                total += _decimal(amount) if kind != "CreditMemo" else -_decimal(amount)
            body["Line"] = lines
            body["TotalAmt"] = _json_money(raw.get("total", total))
        elif raw.get("total") is not None:
            body["TotalAmt"] = _json_money(raw["total"])
        return body

    def _qbo_refs(self, value: Any, line: int | None, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._qbo_refs(v, line, k) for k, v in value.items()}
        if isinstance(value, list):
            if key == "LinkedTxn":
                return [self._linked(v, line) if isinstance(v, str) else self._qbo_refs(v, line) for v in value]
            return [self._qbo_refs(v, line, key) for v in value]
        if isinstance(value, str) and key.endswith("Ref") and value in self.refs:
            return {"value": self.refs[value][2]}
        return value

    def _linked(self, ref: str, line: int | None) -> dict:
        _, kind, txn = self._ref({"ref": ref}, line)
        return {"TxnId": txn, "TxnType": kind}

    def _qbo_line(self, spec: dict, line: int | None) -> dict:
        """``{item: ref, qty: 2, price: "12.50", description, service_date, tax_code, amount}``: a sales line
        whose Amount is qty × price, exactly; ``{discount: "5.00"}``: a discount line."""
        if not isinstance(spec, dict):
            raise self.s.fail(line, f"lines: each line is a mapping such as {{item: widget, qty: 2, price: '12.50'}}"
                              f", not {spec!r}")
        unknown = set(spec) - {"item", "qty", "price", "amount", "description", "service_date", "tax_code",
                               "discount"}
        if unknown:
            raise self.s.fail(line, f"lines: unknown key(s) {', '.join(sorted(unknown))}; expected item, qty, price, "
                              "amount, description, service_date, tax_code (or discount)")
        if "discount" in spec:
            return {"DetailType": "DiscountLineDetail", "Amount": _json_money(spec["discount"]),
                    "DiscountLineDetail": {"PercentBased": False}}
        item = spec.get("item") or ""
        item_id = self._named(item, line)[2] if isinstance(item, dict) or item in self.refs else self._resolve(item)
        if not item_id:
            raise self.s.fail(line, "lines: each line names its item (a ref)")
        qty, price = _decimal(spec.get("qty", 1)), _decimal(spec.get("price", 0))
        detail: dict = {"ItemRef": {"value": str(item_id)}, "Qty": _json_money(qty), "UnitPrice": _json_money(price)}
        if spec.get("service_date"):
            detail["ServiceDate"] = str(spec["service_date"])
        if spec.get("tax_code") in ("TAX", "NON"):  # a US line: taxable or not
            detail["TaxCodeRef"] = {"value": spec["tax_code"]}
        elif spec.get("tax_code"):
            found = next(iter(self.qbo.query(f"SELECT * FROM TaxCode WHERE Name = '{spec['tax_code']}'")), None)
            if found is None:
                raise self.s.fail(line, f"lines: QuickBooks has no tax code named {spec['tax_code']!r}")
            detail["TaxCodeRef"] = {"value": found["Id"]}
        out = {"DetailType": "SalesItemLineDetail", "Amount": _json_money(spec.get("amount", qty * price)),
               "SalesItemLineDetail": detail}
        if spec.get("description"):
            out["Description"] = str(spec["description"])
        return out

    def _ref(self, args: dict, line: int | None) -> tuple[str, str, str]:
        """The record a step names: ``ref`` (made by the scenario), or ``of`` (the other side's record the sync
        linked with that ref; ``entity`` / ``type`` say which kind, by default the kind the ref's pair links)."""
        if "of" in args:
            side, kind, oid = self._ref({"ref": args["of"]}, line)
            got = self._status(side, kind, oid) or {}
            other = "quickbooks" if side == "hubspot" else "hubspot"
            linked = got.get(f"{other}_id")
            if not linked:
                raise self.s.fail(_line(args, line), f"{args['of']!r} is linked to no {other} record")
            counterpart = _COUNTERPARTS.get(kind, "Customer" if other == "quickbooks" else "contacts")
            kind = args.get("entity", counterpart) if other == "quickbooks" else args.get("type", counterpart)
            return other, kind, str(linked)
        ref = args.get("ref")
        if ref not in self.refs:
            known = ", ".join(sorted(self.refs)) or "none yet"
            raise self.s.fail(_line(args, line), f"unknown ref {ref!r} (known: {known})")
        return self.refs[ref]

    def _named(self, value: object, line: int | None) -> tuple[str, str, str]:
        """A ref's name, or ``{of: ref}`` (the record the sync linked with it)."""
        return self._ref(value if isinstance(value, dict) else {"ref": value}, _line(value, line))

    def _status(self, side: str, kind: str, oid: str) -> dict | None:
        import inspect

        status = getattr(self.sync, "status", None)
        if status is None:
            return None
        try:
            takes_kind = "kind" in inspect.signature(status).parameters
        except (TypeError, ValueError):
            takes_kind = False
        return status(side, oid, kind=kind) if takes_kind else status(side, oid)

    def _resolve(self, value: Any) -> Any:
        """``"@ref"`` stands for the id of the record made with that ref."""
        if isinstance(value, str) and value.startswith("@") and value[1:] in self.refs:
            return self.refs[value[1:]][2]
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    def _journal_mark(self) -> int:
        return self.sims.runtime.journal.last_seq()

    # -- checking -----------------------------------------------------------------------------------
    def _step_expect(self, a: dict, line: int | None) -> None:
        """``expect:`` — the expectations of ``then`` (any of its keys), checked at this point of the story."""
        self.step_failures += [f"{f} (expect at line {line})" for f in self._expectations(_Map(a), line)]

    def check(self, then: dict) -> list[str]:
        try:
            return list(self.step_failures) + self._expectations(then, self.s.line_of.get("then"))
        except ScenarioError as err:
            if not self.step_failures:
                raise
            # a ref the file expects was not made because a step went wrong: that step is the news
            return [*self.step_failures, f"line {err.line}: {err.message} (after the failure above)"]

    def _expectations(self, then: dict, line: int | None) -> list[str]:
        unknown = set(then) - THEN_KEYS
        if unknown:
            raise self.s.fail(_line(then, line), f"unknown expectation(s) {', '.join(sorted(unknown))}; expected "
                              f"{', '.join(sorted(THEN_KEYS))}")
        for side in ("quickbooks", "hubspot"):
            for kind, expect in (then.get(side) or {}).items():
                if not isinstance(expect, dict):
                    raise self.s.fail(_line(then.get(side), line), f"{side} {kind}: expected count, contains or "
                                      "absent")
                for key in ("contains", "absent"):
                    if not all(isinstance(spec, dict) for spec in expect.get(key) or []):
                        raise self.s.fail(_line(expect, line), f"{side} {kind} {key}: each entry is a mapping of "
                                          "fields to values")
        if not all(isinstance(e, dict) for e in then.get("status") or []):
            raise self.s.fail(_line(then, line), "status: each entry is a mapping such as {ref: ada, status: synced}")
        failures: list[str] = []
        for entity, expect in (then.get("quickbooks") or {}).items():
            if entity == "tasks":
                failures += self._check_tasks(expect)
                continue
            found = list(self.qbo.query(f"SELECT * FROM {entity} WHERE Active IN (true, false)"
                                        if entity in ("Customer", "Item", "Vendor") else f"SELECT * FROM {entity}"))
            failures += self._check_set(f"quickbooks {entity}", "quickbooks", entity, found, expect, _qbo_field)
        for otype, expect in (then.get("hubspot") or {}).items():
            fields = sorted({k for spec in (expect.get("contains") or []) + (expect.get("absent") or [])
                             for k in spec} - SPEC_KEYS)
            found = list(self.hs.list(otype, fields or ["hs_object_id"]))
            failures += self._check_set(f"hubspot {otype}", "hubspot", otype, found, expect,
                                        lambda r, k: (r.get("properties") or {}).get(k))
        for expect in then.get("status") or []:
            failures += self._check_status(expect)
        for pair, expected in (then.get("counts") or {}).items():
            counts = self.sync.counts(pair)
            if counts is None:
                failures.append(f"line {_line(expected)}: counts of {pair}: not supported by this sync "
                                "(it reports no counts)")
                continue
            for status, n in expected.items():
                if counts.get(status, 0) != int(n):
                    failures.append(f"line {_line(expected)}: {pair} {status}: expected {n}, "
                                    f"found {counts.get(status)}")
        if "last_pass" in then:
            failures += self._check_last_pass(then["last_pass"])
        for pair in then.get("converged") or []:
            failures += self._check_converged(pair, _line(then, line))
        return failures

    def _check_converged(self, pair: str, line: int | None) -> list[str]:
        """Records matched by their key (email, SKU) hold the same values in every default mapped field."""
        from sync.mapping import DEFAULT_MAPPINGS, canonical, read_qbo
        from sync.rules.contacts import RULES as CONTACTS
        from sync.rules.products import RULES as PRODUCTS

        rules = {"contacts": CONTACTS, "products": PRODUCTS}.get(pair)
        if rules is None:
            return [f"line {line}: converged: unknown pair {pair!r}"]
        maps = [m for m in DEFAULT_MAPPINGS[pair] if not m.create_only]
        key = rules.key_map
        others: dict[str, list[dict]] = {}
        for entity in self.qbo.query(f"SELECT * FROM {rules.qbo_entity} WHERE Active IN (true, false)"):
            others.setdefault(canonical(read_qbo(entity, key.quickbooks), key.type), []).append(entity)
        out = []
        for record in self.hs.list(rules.hubspot_type, [m.hubspot for m in maps]):
            props = record.get("properties") or {}
            matches = others.get(canonical(props.get(key.hubspot), key.type), [])
            if len(matches) != 1:
                continue  # unmatched or ambiguous: not a pair to compare
            for m in maps:
                h, q = canonical(props.get(m.hubspot), m.type), canonical(read_qbo(matches[0], m.quickbooks), m.type)
                if h != q:
                    out.append(f"line {line}: {pair} {props.get(key.hubspot)}: {m.hubspot} {h!r} in HubSpot but "
                               f"{m.quickbooks} {q!r} in QuickBooks")
        return out

    def _check_tasks(self, expect: dict) -> list[str]:
        """QBO Advanced's task manager (I9): ``quickbooks: {tasks: {count, contains, absent}}``."""
        import requests

        answer = requests.get(f"{self.sims.qbo_url}/_sim/quickbooks/{self.company['realmId']}/tasks", timeout=5)
        if answer.status_code != 200:
            return [f"line {_line(expect)}: quickbooks tasks: {answer.json().get('error', answer.status_code)}"]
        return self._check_set("quickbooks tasks", "quickbooks", "tasks", answer.json().get("tasks") or [], expect,
                               _path)

    def _check_set(self, what: str, side: str, kind: str, found: list[dict], expect: dict,
                   value: Callable[[dict, str], object]) -> list[str]:
        out = []
        line = _line(expect)
        if not isinstance(expect, dict):
            raise self.s.fail(self.s.line_of.get("then"), f"then: {what}: expected count, contains or absent")
        unknown = set(expect) - {"count", "contains", "absent"}
        if unknown:
            raise self.s.fail(line, f"{what}: unknown key(s) {', '.join(sorted(unknown))}; expected count, "
                              "contains, absent")
        if "count" in expect and len(found) != int(expect["count"]):
            out.append(f"line {line}: {what}: expected {expect['count']}, found {len(found)}")
        for spec in expect.get("contains") or []:
            if not any(self._matches(r, spec, side, kind, value) for r in self._candidates(found, spec, side, kind)):
                out.append(f"line {_line(spec, line)}: {what}: none matches {dict(spec)}"
                           + self._closest(found, spec, side, kind, value))
        for spec in expect.get("absent") or []:
            if any(self._matches(r, spec, side, kind, value) for r in self._candidates(found, spec, side, kind)):
                out.append(f"line {_line(spec, line)}: {what}: one matches {dict(spec)}, expected none")
        return out

    def _candidates(self, found: list[dict], spec: dict, side: str, kind: str) -> list[dict]:
        """The records a spec may match: all, or the one its ``ref`` / ``of`` names."""
        if "ref" not in spec and "of" not in spec:
            return found
        args = {"ref": spec["ref"]} if "ref" in spec else {"of": spec["of"], "entity": kind, "type": kind}
        where, _, oid = self._ref(args, _line(spec))
        if where != side:
            raise self.s.fail(_line(spec), f"{spec.get('ref', spec.get('of'))!r} names a {where} record, not one "
                              f"of {side} {kind}")
        return [r for r in found if str(r.get("id", r.get("Id"))) == oid]

    def _matches(self, record: dict, spec: dict, side: str, kind: str,
                 value: Callable[[dict, str], object]) -> bool:
        for key, expected in spec.items():
            if key in ("ref", "of"):
                continue
            if key == "associated" and side == "hubspot":
                if not self._associated(record, kind, expected, _line(spec)):
                    return False
            elif key == "lines" and side == "quickbooks" and kind != "tasks":
                if len(_item_lines(record)) != int(expected):
                    return False
            elif not _same(value(record, key), self._resolve(expected)):
                return False
        return True

    def _closest(self, found: list[dict], spec: dict, side: str, kind: str,
                 value: Callable[[dict, str], object]) -> str:
        """For a spec naming one record: what that record holds instead (the first field that differs)."""
        if ("ref" not in spec and "of" not in spec) or len(self._candidates(found, spec, side, kind)) != 1:
            return ""
        record = self._candidates(found, spec, side, kind)[0]
        for key, expected in spec.items():
            if key == "associated" and side == "hubspot" and isinstance(expected, dict):
                for to_type, want in expected.items():
                    if not self._associated(record, kind, {to_type: want}, _line(spec)):
                        rid = str(record["id"])
                        have = sorted(self._names(to_type, str(t["toObjectId"]))
                                      for t in self.hs.associations(kind, to_type, [rid]).get(rid, []))
                        return f" (associated {to_type}: {have})"
                continue
            if key == "lines" and side == "quickbooks" and kind != "tasks":
                if len(_item_lines(record)) != int(expected):
                    return f" ({len(_item_lines(record))} lines)"
                continue
            if key in ("ref", "of"):
                continue
            got = value(record, key)
            if not _same(got, self._resolve(expected)):
                return f" ({key} is {got!r})"
        return ""

    def _names(self, otype: str, oid: str) -> str:
        """A HubSpot id as the ref that made it, where there is one."""
        return next((ref for ref, (side, kind, rid) in self.refs.items() if side == "hubspot" and kind == otype
                     and rid == oid), f"id {oid}")

    def _associated(self, record: dict, otype: str, expected: object, line: int | None) -> bool:
        """``associated: {companies: [acme], line_items: 2, deals: []}``: the refs exactly, or how many."""
        if not isinstance(expected, dict):
            raise self.s.fail(line, "associated: expected a mapping of object type to refs or a count, e.g. "
                              "{companies: [acme], line_items: 2}")
        rid = str(record["id"])
        for to_type, want in expected.items():
            have = {str(t["toObjectId"]) for t in self.hs.associations(otype, to_type, [rid]).get(rid, [])}
            if isinstance(want, int) and not isinstance(want, bool):
                if len(have) != want:
                    return False
            elif have != {self._ref({"ref": ref}, line)[2] for ref in (want or [])}:
                return False
        return True

    def _check_status(self, expect: dict) -> list[str]:
        line = _line(expect)
        side, kind, oid = self._ref(expect, line)
        got = self._status(side, kind, oid)
        name = expect.get("ref", expect.get("of"))
        if got is None:
            if not getattr(self.sync, "reports_status", True):
                return [f"line {line}: {name}: status not supported by this sync (it reports none)"]
            return [f"line {line}: {name}: the sync reports no status for it"]
        out = []
        for key in ("status", "reason", "rule"):
            if key in expect and got.get(key) != expect[key]:
                out.append(f"line {line}: {name} {key}: expected {expect[key]!r}, found {got.get(key)!r}")
        if "message" in expect and str(expect["message"]) not in str(got.get("message") or ""):
            out.append(f"line {line}: {name} message: expected it to say {expect['message']!r}, "
                       f"found {got.get('message')!r}")
        if "linked_to" in expect:
            other_side, _, other_id = self._ref({"ref": expect["linked_to"]}, line)
            if got.get(f"{other_side}_id") != other_id:
                out.append(f"line {line}: {name}: expected linked to {expect['linked_to']} ({other_id}), "
                           f"found {got.get(f'{other_side}_id')!r}")
        return out

    def _check_last_pass(self, expect: dict) -> list[str]:
        from harness.users import api_calls, api_writes

        writes, calls = api_writes(self.sims, self.pass_mark), api_calls(self.sims, self.pass_mark)
        out = []
        line = _line(expect)
        if "writes" in expect and len(writes) != expect["writes"]:
            out.append(f"line {line}: the last sync step made {len(writes)} writes, expected {expect['writes']}")
        if "calls_at_most" in expect and len(calls) > expect["calls_at_most"]:
            out.append(f"line {line}: the last sync step made {len(calls)} calls, expected at most "
                       f"{expect['calls_at_most']}")
        return out


THEN_KEYS = {"quickbooks", "hubspot", "status", "counts", "last_pass", "converged"}
REFUSABLE = ("quickbooks.create", "quickbooks.update", "quickbooks.void", "quickbooks.delete")
SPEC_KEYS = {"ref", "of", "associated"}  # keys of a contains/absent entry that are not fields
# A pair's kind on one side -> its kind on the other (for ``of``).
_COUNTERPARTS = {"contacts": "Customer", "Customer": "contacts", "products": "Item", "Item": "products",
                 "invoices": "Invoice", "Invoice": "invoices", "commerce_payments": "Payment",
                 "Payment": "commerce_payments"}
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def _merge(base: dict, over: dict) -> dict:
    """Settings with ``over`` merged in: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(dict(out[key]), dict(value)) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else value
    return out


def _association(to_id: str, type_id: int) -> dict:
    return {"to": {"id": str(to_id)}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                 "associationTypeId": int(type_id)}]}


def _default_association(from_type: str, to_type: str) -> int | None:
    from simulators.hubspot.catalog import default_association_type

    return default_association_type(from_type, to_type)


def _hubspot_text(value: object) -> object:
    """HubSpot property values travel as text: numbers from YAML become their exact text."""
    if isinstance(value, bool) or value is None:
        return value
    return str(value) if isinstance(value, (int, float)) else value


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except ArithmeticError as err:
        raise ValueError(f"{value!r} is not an amount") from err


def _json_money(value: object) -> object:
    """An exact amount as QBO's JSON carries it: an integer, or the float whose text is the amount."""
    amount = _decimal(value).normalize()
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _path(entity: object, path: str) -> object:
    """A dotted path; numbers index lists (``Line.0.Amount``)."""
    node = entity
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _item_lines(entity: dict) -> list[dict]:
    """A sales form's lines, its subtotal line left out."""
    return [line for line in entity.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]


def _qbo_field(entity: dict, path: str) -> object:
    return _path(entity, path)


def _same(found: object, expected: object) -> bool:
    """Blank is None; booleans as text; numbers, and text holding an amount, compare exactly as decimals
    ("37.5" == "37.50" == 37.5); anything else as text."""
    if expected is None:
        return found in (None, "")
    if isinstance(expected, bool) or isinstance(found, bool):
        return str(found).lower() == str(expected).lower()
    numeric = isinstance(expected, (int, float)) or (isinstance(expected, str) and _NUMBER.fullmatch(expected.strip()))
    if numeric and found is not None and _NUMBER.fullmatch(str(found).strip()):
        return Decimal(str(found).strip()) == Decimal(str(expected).strip())
    if isinstance(expected, (int, float)):
        return False
    return str(found) == str(expected)


def _as_flask(app: object) -> Any:
    """The in-process router wants a Flask app; wrap any WSGI callable in one."""
    from flask import Flask

    wrapper = Flask("hsqbo.sync-under-test")
    wrapper.wsgi_app = app  # type: ignore[assignment, method-assign]
    return wrapper

