"""The scenario file format: YAML parsed into a :class:`Scenario` of :class:`Step`\\ s.

Every mapping keeps its line, so a mistake is reported as ``file:line: what was expected``. The step
kinds and the keys each takes live in one registry (:func:`step`): the list of known steps and the
unknown-key check are derived from it, with one wording for every unknown key (:func:`unknown_keys`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sync.generations import MODES

FORMAT_VERSION = 1
TOP_KEYS = ("version", "name", "rules", "generation", "description", "given", "when", "then", "vary", "examples")
# The generation of HubSpot's integration a scenario is about (docs/integration-rules.md): the sync runs as it
# (the engine's ``mode``), and every rule the file names must hold in it.
GENERATIONS = MODES  # current, 2023, legacy
THEN_KEYS = ("quickbooks", "hubspot", "status", "counts", "last_pass", "converged", "companies", "records",
             "history", "export")
# The sync's record view (H2) and export (H3), each entry's keys checked when the file loads (view_problem)
VIEW_FILTERS = ("pair", "status", "reason", "search", "columns")  # which records, and the columns shown
RECORDS_KEYS = (*VIEW_FILTERS, "page", "per_page", "expect")  # records: one page of the view
EXPORT_KEYS = ("format", *VIEW_FILTERS, "expect")  # export: the file of every filtered record
VIEW_EXPECT_KEYS = ("total", "columns", "rows")  # how many in all, the columns (the file's header), the rows
HISTORY_KEYS = ("ref", "of", "entity", "type", "count", "contains", "absent")  # history: one record's
HISTORY_FIELDS = ("at", "action", "side", "reason", "rule", "detail")  # what an entry of a history holds
VARY_KINDS = ("integers", "sampled_from", "booleans")


class ScenarioError(Exception):
    """A mistake in a scenario file: where, and what was expected."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class Refused(Exception):
    """QBO or HubSpot refused what a scenario asked of it (a given record, a step): a failure of that scenario
    carrying the system's answer, not a broken file; the message says where (``line N: ...``)."""


def refused(err: BaseException, line: int | None, what: str) -> Refused | None:
    """An API's refusal (an error with an HTTP ``status``) as :class:`Refused`; None for any other error."""
    status = getattr(err, "status", None)
    if status is None:
        return None
    system = {"quickbooks": "QuickBooks", "hubspot": "HubSpot"}.get(str(getattr(err, "system", "")), "the API")
    where = f"line {line}: " if line else ""
    answer = str(err).split(": ", 1)[-1] if ": " in str(err) else str(err)
    return Refused(f"{where}{what}: {system} refused it ({status}): {answer}")


class Map(dict):
    """A YAML mapping that remembers its line."""

    line: int | None = None


class Loader(yaml.SafeLoader):
    """Keeps each mapping's line (1-based) so errors can point at it."""


def _mapping(loader: Loader, node: yaml.MappingNode) -> Map:
    out = Map(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def lineno(node: object, default: int | None = None) -> int | None:
    """The line a loaded mapping started on, else ``default`` (plain values carry no line)."""
    return getattr(node, "line", None) or default


def unknown_keys(what: str, given: Iterable[object], expected: Iterable[str]) -> str | None:
    """The one wording of an unknown key, wherever it is found: ``what: unknown key(s) x, y; expected a, b``."""
    expected = list(expected)
    unknown = sorted({str(k) for k in given} - set(expected))
    if not unknown:
        return None
    return f"{what + ': ' if what else ''}unknown key(s) {', '.join(unknown)}; expected {', '.join(expected) or 'none'}"


# -- the step registry ----------------------------------------------------------------------------

StepRun = Callable[[Any, dict, "int | None"], None]  # (world, args, line)


@dataclass(frozen=True)
class StepKind:
    """One kind of ``when`` step: what runs it and which keys it takes, so the file is checked before it runs."""

    name: str
    run: StepRun
    required: tuple[str, ...] = ()  # "ref|of": one of them
    optional: tuple[str, ...] = ()
    bare: str | None = None  # the key a bare value stands for: ``advance: 600`` is ``{seconds: 600}``
    refusable: bool = False  # takes ``refused``: QuickBooks must refuse the write
    open_keys: bool = False  # its keys are checked where they are used (fault: the simulators' fault plan)
    check: Callable[[dict], str | None] | None = None  # what else is wrong with the arguments, at load time

    @property
    def keys(self) -> tuple[str, ...]:
        named = [key for choice in self.required for key in choice.split("|")]
        return (*named, *self.optional, *(("refused",) if self.refusable else ()))

    def parse(self, raw: object) -> dict:
        """The step's arguments from the file; a ValueError names what is wrong with them."""
        if raw is None:
            args: dict = {}
        elif isinstance(raw, dict):
            args = raw
        elif self.bare:
            args = {self.bare: raw}
        elif self.keys:
            raise ValueError(f"{self.name}: expected a mapping of {', '.join(self.keys)}, not {raw!r}")
        else:
            raise ValueError(f"{self.name}: takes nothing, not {raw!r}")
        problem = None if self.open_keys else unknown_keys(self.name, args, self.keys)
        if problem:
            raise ValueError(problem)
        missing = [choice.replace("|", " or ") for choice in self.required
                   if not any(key in args for key in choice.split("|"))]
        if missing:
            raise ValueError(f"{self.name}: missing {', '.join(missing)}")
        problem = self.check(args) if self.check is not None else None
        if problem:
            raise ValueError(f"{self.name}: {problem}")
        return args


STEPS: dict[str, StepKind] = {}


def step(name: str, *, required: Iterable[str] = (), optional: Iterable[str] = (), bare: str | None = None,
         refusable: bool = False, open_keys: bool = False,
         check: Callable[[dict], str | None] | None = None) -> Callable[[StepRun], StepRun]:
    """Register ``name`` as a step kind run by the decorated ``function(world, args, line)``."""

    def register(function: StepRun) -> StepRun:
        if name in STEPS:
            raise RuntimeError(f"step {name!r} is registered twice")
        STEPS[name] = StepKind(name, function, tuple(required), tuple(optional), bare, refusable, open_keys, check)
        return function

    return register


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
    generation: str = "current"  # current, 2023 or legacy: the sync runs as this generation (a file must say)

    def fail(self, line: int | None, message: str) -> ScenarioError:
        return ScenarioError(self.path, line, message)


def load(path: str | Path, values: dict | None = None) -> Scenario:
    """Load a scenario; ``values`` fills a parametrised one's ``{expressions}`` and ``repeat`` entries."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        raise ScenarioError(path, err.problem_mark.line + 1 if err.problem_mark else None,
                            f"not valid YAML: {err.problem}") from err
    except OSError as err:
        raise ScenarioError(path, None, f"cannot read: {err.strerror}") from err
    if not isinstance(doc, dict):
        raise ScenarioError(path, 1, "expected a mapping with version, name, rules, given, when, then")
    vary = doc.get("vary") or {}
    if values is not None:
        doc = fill(path, doc, values)
    problem = unknown_keys("", doc, TOP_KEYS)
    if problem:
        raise ScenarioError(path, lineno(doc), problem)
    if doc.get("version") != FORMAT_VERSION:
        raise ScenarioError(path, lineno(doc), f"version must be {FORMAT_VERSION}, not {doc.get('version')!r}")
    for key in ("name", "rules", "then"):
        if not doc.get(key):
            raise ScenarioError(path, lineno(doc), f"'{key}' is required")
    rules = doc["rules"]
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise ScenarioError(path, lineno(doc), "rules must be a list of rule IDs such as [D2, D1]")
    generation = _generation(path, doc)
    steps = [_step(path, raw, lineno(doc)) for raw in doc.get("when") or []]
    if not isinstance(vary, dict) or not all(isinstance(v, dict) and len(v) == 1 and next(iter(v)) in VARY_KINDS
                                             for v in vary.values()):
        raise ScenarioError(path, lineno(vary, lineno(doc)), "vary: each name takes one of "
                            f"{', '.join(VARY_KINDS)}, e.g. n: {{integers: [1, 20]}}")
    then = doc["then"]
    problem = unknown_keys("then", then, THEN_KEYS) if isinstance(then, dict) else \
        f"then: expected a mapping of {', '.join(THEN_KEYS)}"
    if problem:
        raise ScenarioError(path, lineno(doc["then"], lineno(doc)), problem)
    wrong = view_problem(then, lineno(then, lineno(doc)))
    if wrong:
        raise ScenarioError(path, *wrong)
    return Scenario(path, str(doc["name"]), rules, doc.get("given") or {}, steps, doc["then"],
                    {k: lineno(v) for k, v in doc.items()}, dict(vary), int(doc.get("examples", 10)), generation)


def view_problem(then: dict, line: int | None) -> tuple[int | None, str] | None:
    """What is wrong with ``then``'s (or an ``expect`` step's) ``records``, ``export`` and ``history`` entries, and
    the line: unknown keys, a status, column or format the view does not have, a row naming a column not shown."""
    from sync.state import STATUSES
    from sync.status import COLUMNS, DEFAULT_COLUMNS, FORMATS

    for key, keys in (("records", RECORDS_KEYS), ("export", EXPORT_KEYS), ("history", HISTORY_KEYS)):
        entries = then.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return lineno(entries, line), f"{key}: expected a list of mappings, e.g. " + (
                "[{ref: ben, contains: [{action: failed, rule: D2}]}]" if key == "history"
                else f"[{{status: failed, {'format: csv, ' if key == 'export' else ''}expect: {{total: 1}}}}]")
        for entry in entries:
            at = lineno(entry, line)
            problem = unknown_keys(key, entry, keys) or (
                _history_problem(entry) if key == "history" else _view_problem(key, entry, STATUSES, COLUMNS,
                                                                                DEFAULT_COLUMNS, FORMATS))
            if problem:
                return at, problem
    return None


def _view_problem(key: str, entry: dict, statuses: Sequence[str], columns: list[str], default: list[str],
                  formats: Sequence[str]) -> str | None:
    """One ``records`` / ``export`` entry: its filters, page and format, and ``expect``'s rows and columns."""
    def plain(value: object) -> bool:  # a parametrised value is checked once it is filled in
        return "{" not in str(value)

    if "status" in entry and plain(entry["status"]) and entry["status"] not in statuses:
        return f"{key}: status must be one of {', '.join(statuses)}, not {entry['status']!r}"
    shown = entry.get("columns", default)
    if not isinstance(shown, list) or not shown or not all(c in columns for c in shown):
        return f"{key}: columns: a list of some of {', '.join(columns)}, not {shown!r}"
    for name in ("page", "per_page"):
        value = entry.get(name, 1)
        if plain(value) and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            return f"{key}: {name} must be a whole number of at least 1, not {value!r}"
    if key == "export" and entry.get("format") not in formats:
        return f"export: format must be one of {', '.join(formats)}, not {entry.get('format')!r}"
    want = entry.get("expect")
    if not isinstance(want, dict) or not want:
        return f"{key}: expect: a mapping of {', '.join(VIEW_EXPECT_KEYS)}, e.g. {{total: 1, rows: [{{label: Ben}}]}}"
    problem = unknown_keys(f"{key} expect", want, VIEW_EXPECT_KEYS)
    if problem:
        return problem
    rows = want.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return f"{key} expect: rows: a list of rows, each a mapping of columns to values"
    for r in rows:
        hidden = sorted(str(c) for c in r if c not in shown)
        if hidden:
            return (f"{key} expect: rows name column(s) {', '.join(hidden)} that the view does not show "
                    f"(columns: {', '.join(shown)})")
    return None


def _history_problem(entry: dict) -> str | None:
    """One ``history`` entry: the record (``ref`` / ``of``) and what its history holds (``count``, ``contains``,
    ``absent``: entries by their fields, ``detail.x`` by a dotted path)."""
    if "ref" not in entry and "of" not in entry:
        return "history: missing ref or of (the record whose history it is)"
    if not any(k in entry for k in ("count", "contains", "absent")):
        return "history: expect count, contains or absent (entries such as {action: failed, rule: D2})"
    for name in ("contains", "absent"):
        specs = entry.get(name) or []
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            return f"history {name}: a list of entries, each a mapping such as {{action: created, side: quickbooks}}"
        for spec in specs:
            problem = unknown_keys(f"history {name}", {str(k).split(".")[0] for k in spec}, HISTORY_FIELDS)
            if problem:
                return problem
    return None


def _generation(path: Path, doc: dict) -> str:
    """``generation:``, required: one of :data:`GENERATIONS` (``2023`` may be written as a number)."""
    if "generation" not in doc or doc["generation"] is None:
        raise ScenarioError(path, lineno(doc), f"'generation' is required: one of {', '.join(GENERATIONS)} "
                                               "(the generation of HubSpot's integration the scenario is about)")
    raw = doc["generation"]
    name = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if name not in GENERATIONS:
        raise ScenarioError(path, _key_line(path, "generation", lineno(doc)),
                            f"generation must be one of {', '.join(GENERATIONS)}, not {raw!r}")
    return name


def _key_line(path: Path, key: str, default: int | None) -> int | None:
    """The line of a top-level ``key:`` (plain values carry no line of their own)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return default
    return next((n for n, text in enumerate(lines, 1) if re.match(rf"{re.escape(key)}\s*:", text)), default)


def _step(path: Path, raw: object, doc_line: int | None) -> Step:
    """One ``when`` entry: a bare step name, or ``{kind: args}`` checked against the registry."""
    if isinstance(raw, str):
        raw = Map({raw: {}})
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ScenarioError(path, lineno(raw, doc_line), "each step is one of: " + ", ".join(STEPS))
    (name, args), = raw.items()
    kind = STEPS.get(name)
    if kind is None:
        raise ScenarioError(path, lineno(raw), f"unknown step '{name}'; expected one of {', '.join(STEPS)}")
    try:
        return Step(name, kind.parse(args), lineno(raw))
    except ValueError as err:
        raise ScenarioError(path, lineno(raw), str(err)) from err


def discover(target: str | Path) -> list[Path]:
    target = Path(target)
    return sorted(target.glob("*.yaml")) if target.is_dir() else [target]


# -- parametrised scenarios: the drawn values filled in ------------------------------------------------

_EXPRESSION = re.compile(r"\{([^{}]+)\}")


def evaluate(text: str, values: dict) -> Any:
    """A tiny arithmetic over the drawn values (names, numbers, + - * // %): no calls, no attributes.

    ``Any``: the values are whatever the file and hypothesis drew (ints, strings, booleans); Python's operators
    decide what mixes, and a TypeError is the file's mistake (:func:`fill` reports it with its line)."""
    tree = ast.parse(text.strip(), mode="eval")

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"{{{text}}}: only names of vary, numbers and + - * // % are allowed")

    return walk(tree)


def fill(path: Path, node: object, values: dict) -> object:
    """Put the drawn values into every ``{expression}``; expand ``repeat: n`` list entries with ``i`` = 1..n."""
    try:
        if isinstance(node, str):
            whole = _EXPRESSION.fullmatch(node)
            if whole:
                return evaluate(whole.group(1), values)
            return _EXPRESSION.sub(lambda m: str(evaluate(m.group(1), values)), node)
        if isinstance(node, dict):
            try:
                out = Map({k: fill(path, v, values) for k, v in node.items() if k != "repeat"})
            except ScenarioError as err:
                if err.line is None and lineno(node):  # a plain string has no line: its mapping does
                    raise ScenarioError(path, lineno(node), err.message) from err
                raise
            out.line = lineno(node)
            return out
        if isinstance(node, list):
            items: list = []
            for item in node:
                if isinstance(item, dict) and "repeat" in item:
                    raw = item["repeat"]  # a number, or an expression over the drawn values: n, "{n - 1}"
                    raw = raw.strip("{}") if isinstance(raw, str) else raw
                    times = int(evaluate(raw, values) if isinstance(raw, str) else raw)
                    items += [fill(path, item, {**values, "i": i}) for i in range(1, times + 1)]
                else:
                    items.append(fill(path, item, values))
            return items
    except (ValueError, SyntaxError, TypeError, ZeroDivisionError) as err:
        raise ScenarioError(path, lineno(node), str(err)) from err
    return node
