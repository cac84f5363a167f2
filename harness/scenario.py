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
from pathlib import Path
from typing import Any, Protocol

import yaml

FORMAT_VERSION = 1
STEP_KINDS = ("sync", "advance", "hubspot.create", "hubspot.update", "hubspot.archive", "quickbooks.create",
              "quickbooks.update", "webhooks", "fault", "restart", "crash")
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

    def restart(self) -> None: ...

    def receiver(self) -> object | None:
        """A WSGI app taking both systems' webhooks (``/webhooks/quickbooks``, ``/webhooks/hubspot``), or None."""
        ...

    def status(self, side: str, record_id: str) -> dict | None: ...

    def counts(self, pair: str) -> dict[str, int] | None: ...


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

    def restart(self) -> None:
        from sync.engine import Engine

        self.engine = Engine(self._settings, clock=self._clock, state=self.engine.state)  # type: ignore[arg-type]

    def crash(self, point: str) -> None:
        """The next pass dies right after its first write of ``point`` ("quickbooks" or "hubspot") lands."""
        self._crash_at = point

    @contextmanager
    def _crashing(self) -> Iterator[None]:
        if self._crash_at is None:
            yield
            return
        from sync import engine as module

        name = {"quickbooks": "record_quickbooks", "hubspot": "record_hubspot_creates"}[self._crash_at]
        original = getattr(module._Batch, name)

        def die(*args: object, **kwargs: object) -> None:
            raise _Crash

        setattr(module._Batch, name, die)
        try:
            yield
        except _Crash:
            pass
        finally:
            setattr(module._Batch, name, original)
            self._crash_at = None

    def receiver(self) -> object:
        from sync.triggers import create_receiver

        engine = self

        class _Forward:  # the receiver outlives restarts: it reaches whichever engine runs now
            def __call__(self, environ: dict, start_response: Callable) -> object:
                return create_receiver(engine.engine).wsgi_app(environ, start_response)

        return _Forward()

    def status(self, side: str, record_id: str) -> dict | None:
        for pair in self._settings.pairs:  # type: ignore[attr-defined]
            record = self.engine.state.by_side_ids(pair, side, [record_id]).get(record_id)
            if record is not None:
                return {"status": record.status, "reason": record.reason, "rule": record.rule,
                        "hubspot_id": record.hubspot_id, "quickbooks_id": record.qbo_id}
        return None

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
        for step in scenario.steps:
            world.do(step)
            result.steps += 1
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
        self._routing = self.sims.in_process(extra={RECEIVER_URL: _as_flask(self._receive)})
        self._routing.__enter__()
        qbo_options = {"country": "US", "seed": "empty", **(given.get("quickbooks") or {})}
        hs_options = {"seed": "empty", **(given.get("hubspot") or {})}
        try:
            self.company = self.sims.new_qbo_company(**qbo_options)
            self.portal = self.sims.new_hubspot_portal(**hs_options)
        except Exception as err:
            self._routing.__exit__(None, None, None)
            raise self.s.fail(self.s.line_of.get("given"), f"given: the simulators refused the tenant: {err}") from err
        self.sync = self._make_sync()
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
            if step.kind == "sync":
                self.pass_mark = self._journal_mark()
                for _ in range(int(a.get("passes", 1))):
                    self.sync.run_pass()
            elif step.kind == "advance":
                self.clock.sleep(float(a.get("seconds", a.get("value", 0))))
            elif step.kind == "hubspot.create":
                self._hubspot_create(a)
            elif step.kind == "quickbooks.create":
                self._quickbooks_create(a)
            elif step.kind == "hubspot.update":
                side, otype, oid = self._ref(a, line)
                self.hs.update(otype, oid, self._resolve(a.get("properties") or {}))
            elif step.kind == "hubspot.archive":
                side, otype, oid = self._ref(a, line)
                self.hs.archive(otype, oid)
            elif step.kind == "quickbooks.update":
                side, entity, oid = self._ref(a, line)
                current = self.qbo.get(entity, oid)
                body = {"Id": oid, "SyncToken": current["SyncToken"], **self._resolve(a.get("body") or {})}
                self.qbo.update(entity, body, request_id=uuid.uuid4().hex)
            elif step.kind == "webhooks":
                import requests

                for url in (self.sims.hubspot_url, self.sims.qbo_url):
                    requests.post(f"{url}/_sim/webhooks/deliver", timeout=5)
            elif step.kind == "fault":
                rules = a.get("rules") or [a]
                self.sims.runtime.faults.add([dict(r) for r in rules])
            elif step.kind == "restart":
                self.sync.restart()
            elif step.kind == "crash":
                crash = getattr(self.sync, "crash", None)
                if crash is None:
                    raise self.s.fail(line, "this sync cannot be crashed on purpose (no crash(point) method)")
                crash(str(a.get("after", a.get("value", "quickbooks"))))
        except ScenarioError:
            raise
        except (KeyError, ValueError, TypeError) as err:
            raise self.s.fail(line, f"step {step.kind}: {err}") from err
        except Exception as err:  # an API refusing a step is the scenario's mistake, not a crash
            status = getattr(err, "status", None)
            if status is None:
                raise
            raise self.s.fail(line, f"step {step.kind}: the API answered {status}: {err}") from err

    def _hubspot_create(self, raw: dict) -> None:
        otype = raw.get("type", "contacts")
        associations = None
        if raw.get("primary_company"):
            _, _, company = self._ref({"ref": raw["primary_company"]}, _line(raw))
            associations = [{"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                "associationTypeId": 1}]}]
        for link in raw.get("associations") or []:  # [{to: ref, type: association type id}]
            _, _, to_id = self._ref({"ref": link.get("to")}, _line(link, _line(raw)))
            associations = (associations or []) + [{"to": {"id": to_id}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": int(link["type"])}]}]
        made = self.hs.create(otype, self._resolve(raw.get("properties") or {}), associations)
        if raw.get("ref"):
            self.refs[raw["ref"]] = ("hubspot", otype, str(made["id"]))

    def _quickbooks_create(self, raw: dict) -> None:
        entity = raw.get("entity", "Customer")
        body = self._resolve(raw.get("body") or {})
        if entity == "Item" and "IncomeAccountRef" not in body:
            account = next(iter(self.qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))
            body["IncomeAccountRef"] = {"value": account["Id"]}
            body.setdefault("Type", "Service")
        made = self.qbo.create(entity, body, request_id=uuid.uuid4().hex)
        if raw.get("ref"):
            self.refs[raw["ref"]] = ("quickbooks", entity, str(made["Id"]))

    def _ref(self, args: dict, line: int | None) -> tuple[str, str, str]:
        """The record a step names: ``ref`` (made by the scenario), or ``of`` (the other side's record the sync
        linked with that ref; ``entity`` / ``type`` say which kind, Customer / contacts by default)."""
        if "of" in args:
            side, _, oid = self._ref({"ref": args["of"]}, line)
            got = self.sync.status(side, oid) or {}
            other = "quickbooks" if side == "hubspot" else "hubspot"
            linked = got.get(f"{other}_id")
            if not linked:
                raise self.s.fail(_line(args, line), f"{args['of']!r} is linked to no {other} record")
            kind = args.get("entity", "Customer") if other == "quickbooks" else args.get("type", "contacts")
            return other, kind, str(linked)
        ref = args.get("ref")
        if ref not in self.refs:
            known = ", ".join(sorted(self.refs)) or "none yet"
            raise self.s.fail(_line(args, line), f"unknown ref {ref!r} (known: {known})")
        return self.refs[ref]

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
    def check(self, then: dict) -> list[str]:
        failures: list[str] = []
        for entity, expect in (then.get("quickbooks") or {}).items():
            found = list(self.qbo.query(f"SELECT * FROM {entity} WHERE Active IN (true, false)"
                                        if entity in ("Customer", "Item", "Vendor") else f"SELECT * FROM {entity}"))
            failures += self._check_set(f"quickbooks {entity}", found, expect, _qbo_value)
        for otype, expect in (then.get("hubspot") or {}).items():
            fields = sorted({k for spec in (expect.get("contains") or []) + (expect.get("absent") or [])
                             for k in spec})
            found = list(self.hs.list(otype, fields or ["hs_object_id"]))
            failures += self._check_set(f"hubspot {otype}", found, expect,
                                        lambda r, k: (r.get("properties") or {}).get(k))
        for expect in then.get("status") or []:
            failures += self._check_status(expect)
        for pair, expected in (then.get("counts") or {}).items():
            counts = self.sync.counts(pair)
            if counts is None:
                failures.append(f"counts of {pair}: this sync reports no counts")
                continue
            for status, n in expected.items():
                if counts.get(status, 0) != n:
                    failures.append(f"line {_line(expected)}: {pair} {status}: expected {n}, "
                                    f"found {counts.get(status)}")
        if "last_pass" in then:
            failures += self._check_last_pass(then["last_pass"])
        for pair in then.get("converged") or []:
            failures += self._check_converged(pair, _line(then))
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

    def _check_set(self, what: str, found: list[dict], expect: dict,
                   value: Callable[[dict, str], object]) -> list[str]:
        out = []
        line = _line(expect)
        if "count" in expect and len(found) != expect["count"]:
            out.append(f"line {line}: {what}: expected {expect['count']}, found {len(found)}")
        for spec in expect.get("contains") or []:
            if not any(_matches(r, spec, value) for r in found):
                out.append(f"line {_line(spec, line)}: {what}: none matches {dict(spec)}")
        for spec in expect.get("absent") or []:
            if any(_matches(r, spec, value) for r in found):
                out.append(f"line {_line(spec, line)}: {what}: one matches {dict(spec)}, expected none")
        return out

    def _check_status(self, expect: dict) -> list[str]:
        line = _line(expect)
        side, _, oid = self._ref(expect, line)
        got = self.sync.status(side, oid)
        if got is None:
            return [f"line {line}: {expect.get('ref')}: the sync reports no status for it"]
        out = []
        for key in ("status", "reason", "rule"):
            if key in expect and got.get(key) != expect[key]:
                out.append(f"line {line}: {expect['ref']} {key}: expected {expect[key]!r}, found {got.get(key)!r}")
        if "linked_to" in expect:
            other_side, _, other_id = self._ref({"ref": expect["linked_to"]}, line)
            if got.get(f"{other_side}_id") != other_id:
                out.append(f"line {line}: {expect['ref']}: expected linked to {expect['linked_to']} ({other_id}), "
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


def _qbo_value(entity: dict, path: str) -> object:
    from sync.mapping import read_qbo

    return read_qbo(entity, path)


def _matches(record: dict, spec: dict, value: Callable[[dict, str], object]) -> bool:
    return all(_same(value(record, k), v) for k, v in spec.items())


def _same(found: object, expected: object) -> bool:
    if expected is None:
        return found in (None, "")
    if isinstance(expected, bool) or isinstance(found, bool):
        return str(found).lower() == str(expected).lower()
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(found) == float(expected)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return str(found) == str(expected)


def _as_flask(app: object) -> Any:
    """The in-process router wants a Flask app; wrap any WSGI callable in one."""
    from flask import Flask

    wrapper = Flask("hsqbo.sync-under-test")
    wrapper.wsgi_app = app  # type: ignore[assignment, method-assign]
    return wrapper

