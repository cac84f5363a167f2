"""Planted bugs: does the oracle (the scenario library and the property tests) catch a wrong sync?

Each mutant in ``catalogue.yaml`` is one small, realistic change to the engine (``sync/``): an exact
snippet of the current code (``find``, unique in its file) and what a developer might have written
instead (``replace``). The runner copies the project's tracked files into a throwaway folder once,
makes one working copy per job, and for each mutant puts a fresh ``sync/`` into a working copy,
applies the change, runs the oracle there and restores ``sync/``. A mutant is *killed* when the
oracle fails, *survives* when it passes, and is *stale* when its ``find`` no longer occurs exactly
once (an error: the catalogue needs fixing, not the oracle).

The oracle runs in a child process whose ``PYTHONPATH`` and working folder are the working copy, so
it imports the copy (the project is installed in editable mode: without that it would import the
real ``sync/``). A small pytest plugin written into each working copy records where every project
module came from, and a run that imported one from outside the copy is an error. Before any mutant,
the un-mutated copy must pass (the baseline) and a copy with a sync that does nothing must fail.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "catalogue.yaml"
ROOT = HERE.parents[1]
RULE_BOOK = ROOT / "docs" / "integration-rules.md"
PACKAGES = ("sync", "harness", "simulators")  # the project's own packages: all must come from the copy

# The oracle: every scenario file (collected by the project's pytest plugin) and the property tests, in
# the fast "ci" hypothesis profile. tests/property/test_planted_bugs.py is left out: it tests the oracle
# itself with bugs of its own (and costs two minutes a run); --with-planted-bug-tests puts it back.
ORACLE = ["-x", "-q", "-rfE", "-p", "no:cacheprovider", "scenarios", "tests/property"]
PLANTED_BUG_TESTS = "tests/property/test_planted_bugs.py"
GUARD_MODULE = "_mutant_guard"
GUARD_PLUGIN = '''"""Written by harness.mutants: records where the project's modules were imported from."""
import json
import os
import sys


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("HSQBO_MUTANT_GUARD")
    if out:
        found = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())
                 if name.split(".")[0] in %r}
        with open(out, "w", encoding="utf-8") as f:
            json.dump(found, f)
''' % (PACKAGES,)  # noqa: UP031 - %-formatting: the plugin's source is full of braces

# The sanity check: a sync that does nothing at all must fail the oracle (else the oracle does not see the copy)
BROKEN = ("sync/engine.py", "\n\ndef _planted_pass(self, *args, **kwargs):  # planted by harness.mutants\n"
          "    return PassReport()\n\n\nEngine.run_pass = Engine.run_notifications = _planted_pass\n")

KILLED, SURVIVED, STALE, ERROR = "killed", "SURVIVED", "STALE", "ERROR"


@dataclass(frozen=True)
class Mutant:
    id: str
    rule: str
    file: str  # relative to the project, under sync/
    find: str
    replace: str
    why: str
    note: str = ""  # why it may survive for now (e.g. behaviour being rewritten elsewhere)

    def apply(self, source: str) -> str:
        """The file's text with the change made; ValueError when ``find`` does not occur exactly once."""
        n = source.count(self.find)
        if n != 1:
            raise ValueError(f"find occurs {n} times in {self.file}")
        return source.replace(self.find, self.replace, 1)


@dataclass
class Outcome:
    id: str
    rule: str
    status: str  # killed, SURVIVED, STALE, ERROR
    by: str = ""  # the first failing test's file, "timeout", or the problem
    seconds: float = 0.0
    why: str = ""
    note: str = ""
    failures: list[str] = field(default_factory=list)
    output: str = ""


KEYS = ("id", "rule", "file", "find", "replace", "why", "note")


def load_catalogue(path: Path = CATALOGUE) -> list[Mutant]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("mutants") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of mutants under 'mutants:'")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: mutant #{i + 1} is not a mapping")
        unknown = sorted(set(entry) - set(KEYS))
        missing = [k for k in KEYS[:-1] if not isinstance(entry.get(k), str) or not entry.get(k)]
        if unknown or missing:
            raise ValueError(f"{path}: mutant #{i + 1} ({entry.get('id')}): "
                             f"{'unknown ' + ', '.join(unknown) if unknown else ''}"
                             f"{'; ' if unknown and missing else ''}"
                             f"{'missing ' + ', '.join(missing) if missing else ''}")
        out.append(Mutant(**{k: str(entry.get(k) or "") for k in KEYS}))
    return out


def problems(mutants: Sequence[Mutant], root: Path) -> dict[str, str]:
    """{mutant id: what makes it unusable against the files under ``root``} — stale or not parsing."""
    found = {}
    for m in mutants:
        path = root / m.file
        if not m.file.startswith("sync/") or not path.is_file():
            found[m.id] = f"{m.file} is not a file under sync/"
            continue
        try:
            mutated = m.apply(path.read_text(encoding="utf-8"))
        except ValueError as err:
            found[m.id] = str(err)
            continue
        try:
            ast.parse(mutated, filename=m.file)
        except SyntaxError as err:
            found[m.id] = f"the mutated file does not parse: {err}"
    return found


# -- the copies ------------------------------------------------------------------------------------------

def tracked_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def copy_project(root: Path, dest: Path, rev: str | None = None, tree: Path | None = None) -> None:
    """The tracked files, as they are in the working tree (or at commit ``rev``), into ``dest``; or every file of
    the folder ``tree`` (a project prepared by hand, e.g. an export of a commit with a change of one's own)."""
    dest.mkdir(parents=True, exist_ok=True)
    if tree is not None:
        shutil.copytree(tree, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".hypothesis", "*.egg-info"))
        return
    if rev:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=root, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        return
    for rel in tracked_files(root):
        src = root / rel
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


class Workspace:
    """One working copy of the project for one job; ``sync/`` is replaced by a fresh copy for each run."""

    def __init__(self, base: Path, path: Path) -> None:
        self.base, self.path = base, path
        shutil.copytree(base, path, symlinks=True)
        (path / f"{GUARD_MODULE}.py").write_text(GUARD_PLUGIN, encoding="utf-8")

    def fresh_sync(self) -> None:
        shutil.rmtree(self.path / "sync", ignore_errors=True)  # its __pycache__ too: never a stale .pyc
        shutil.copytree(self.base / "sync", self.path / "sync")

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).write_text(text, encoding="utf-8")

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")


# -- one run of the oracle ----------------------------------------------------------------------------------

_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?:::| - |$)", re.M)


def oracle_args(with_planted_bug_tests: bool, tests: Sequence[str] | None = None) -> list[str]:
    """pytest's arguments; ``tests``: these test paths instead of the whole oracle (to check one scenario)."""
    if tests:
        return [*ORACLE[:ORACLE.index("scenarios")], *tests]
    return ORACLE if with_planted_bug_tests else [*ORACLE, f"--ignore={PLANTED_BUG_TESTS}"]


def run_oracle(ws: Workspace, timeout: float, args: list[str]) -> tuple[str, str, list[str], str, float]:
    """(killed / survived / error, by, failing tests, output, seconds) of the oracle in ``ws``."""
    guard = ws.path / ".mutant-guard.json"
    guard.unlink(missing_ok=True)
    shutil.rmtree(ws.path / ".hypothesis", ignore_errors=True)  # no example saved by an earlier mutant
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "HYPOTHESIS"))}
    env.update(PYTHONPATH=str(ws.path), HYPOTHESIS_PROFILE="ci", HSQBO_MUTANT_GUARD=str(guard),
               PYTHONNOUSERSITE="1")
    command = [sys.executable, "-m", "pytest", "-p", GUARD_MODULE, *args]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
        text = output.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return KILLED, "timeout", [], f"no answer within {timeout:.0f} s", time.monotonic() - started
    seconds = time.monotonic() - started
    leak = _outside(ws, guard, process.returncode != 0)
    if leak:
        return ERROR, leak, [], text, seconds
    failures = list(dict.fromkeys(_FAILED.findall(text)))
    if process.returncode == 0:
        return SURVIVED, "", [], text, seconds
    if process.returncode in (1, 2) and failures:  # 2: an error while collecting (the mutant broke an import)
        return KILLED, failures[0], failures, text, seconds
    return ERROR, f"pytest exited {process.returncode}", failures, text, seconds


def _outside(ws: Workspace, guard: Path, failed: bool) -> str:
    """What was imported from outside the working copy ("" when nothing, or when the plugin did not report)."""
    if not guard.exists():
        return "" if failed else "no report of where the modules came from (the guard plugin did not run)"
    found = json.loads(guard.read_text(encoding="utf-8"))
    if "sync" not in found:
        return "" if failed else "the oracle never imported sync"
    root = str(ws.path.resolve()) + os.sep
    outside = sorted(name for name, f in found.items() if f and not str(Path(f).resolve()).startswith(root))
    return f"imported from outside the copy: {', '.join(outside[:5])}" if outside else ""


# -- the whole run --------------------------------------------------------------------------------------------

@dataclass
class Report:
    outcomes: list[Outcome]
    baseline: Outcome
    broken: Outcome
    seconds: float

    @property
    def ran(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (KILLED, SURVIVED)]

    @property
    def killed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == KILLED]

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.status == KILLED for o in self.outcomes)

    def to_dict(self) -> dict:
        return {"killed": len(self.killed), "total": len(self.ran), "seconds": round(self.seconds, 1),
                "baseline": asdict(self.baseline), "broken": asdict(self.broken),
                "mutants": [asdict(o) for o in self.outcomes]}


def line(o: Outcome, width: int) -> str:
    head = f"{o.status:<9}{o.id:<{width}}  {o.rule:<4}"
    if o.status == KILLED:
        by = "timeout (counted as killed)" if o.by == "timeout" else o.by
        return f"{head}  by {by}  ({o.seconds:.0f} s)"
    if o.status == SURVIVED:
        return f"{head}  ({o.seconds:.0f} s)"
    return f"{head}  {o.by}"


def run(mutants: Sequence[Mutant], *, root: Path = ROOT, jobs: int = 2, timeout: float = 300,
        rev: str | None = None, with_planted_bug_tests: bool = False, keep: bool = False,
        tests: Sequence[str] | None = None, tree: Path | None = None, say: Callable[[str], None] = print) -> Report:
    started = time.monotonic()
    args = oracle_args(with_planted_bug_tests, tests)
    tmp = Path(tempfile.mkdtemp(prefix="hsqbo-mutants-"))
    try:
        base = tmp / "base"
        copy_project(root, base, rev, tree)
        bad = problems(mutants, base)
        jobs = max(1, jobs)
        say(f"{len(mutants)} mutant(s), {jobs} job(s), {timeout:.0f} s each at most; "
            f"the oracle: pytest {' '.join(args)}")
        source = f"the folder {tree}" if tree else f"commit {rev}" if rev else "the working tree"
        say(f"copy of {source} in {base}")
        pool: list[Workspace] = [Workspace(base, tmp / f"job{i}") for i in range(jobs)]
        free: list[Workspace] = list(pool)
        lock = threading.Lock()

        def take() -> Workspace:
            with lock:
                return free.pop()

        def give(ws: Workspace) -> None:
            with lock:
                free.append(ws)

        def check(name: str, change: tuple[str, str] | None) -> Outcome:
            ws = take()
            try:
                ws.fresh_sync()
                if change is not None:
                    ws.write(change[0], ws.read(change[0]) + change[1])
                status, by, failures, output, seconds = run_oracle(ws, max(timeout, 600), args)
                return Outcome(name, "", status, by, seconds, failures=failures, output=_tail(output))
            finally:
                ws.fresh_sync()
                give(ws)

        with ThreadPoolExecutor(max_workers=jobs) as ex:
            baseline_f = ex.submit(check, "baseline", None)
            broken_f = ex.submit(check, "broken", BROKEN)
            baseline, broken = baseline_f.result(), broken_f.result()
        say(f"baseline: {'passes' if baseline.status == SURVIVED else 'FAILS: ' + baseline.by} "
            f"({baseline.seconds:.0f} s); a sync that does nothing: "
            f"{'fails' if broken.status == KILLED else 'PASSES'} ({broken.seconds:.0f} s)")
        if baseline.status != SURVIVED or broken.status != KILLED:
            if baseline.status != SURVIVED:
                say(baseline.output)
            else:
                say("the oracle does not see the copy: a sync that does nothing passes it\n" + broken.output)
            return Report([], baseline, broken, time.monotonic() - started)

        width = max((len(m.id) for m in mutants), default=10)
        outcomes: dict[str, Outcome] = {}
        printing = threading.Lock()

        def one(m: Mutant) -> Outcome:
            if m.id in bad:
                o = Outcome(m.id, m.rule, STALE if "occurs" in bad[m.id] or "not a file" in bad[m.id] else ERROR,
                            bad[m.id], why=m.why, note=m.note)
            else:
                ws = take()
                try:
                    ws.fresh_sync()
                    ws.write(m.file, m.apply(ws.read(m.file)))
                    status, by, failures, output, seconds = run_oracle(ws, timeout, args)
                    o = Outcome(m.id, m.rule, status, by, seconds, m.why, m.note, failures,
                                _tail(output) if status != KILLED or by == "timeout" else "")
                finally:
                    ws.fresh_sync()  # restored
                    give(ws)
            with printing:
                say(line(o, width))
            outcomes[m.id] = o
            return o

        with ThreadPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(one, mutants))
        report = Report([outcomes[m.id] for m in mutants], baseline, broken, time.monotonic() - started)
        _summary(report, say)
        return report
    finally:
        if keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _summary(report: Report, say: Callable[[str], None]) -> None:
    say("")
    stale = [o for o in report.outcomes if o.status == STALE]
    errors = [o for o in report.outcomes if o.status == ERROR]
    timeouts = [o for o in report.killed if o.by == "timeout"]
    extra = [f"{len(stale)} stale" if stale else "", f"{len(errors)} error(s)" if errors else "",
             f"{len(timeouts)} by timeout" if timeouts else ""]
    extra_text = ", ".join(e for e in extra if e)
    say(f"killed {len(report.killed)}/{len(report.ran)}" + (f" ({extra_text})" if extra_text else ""))
    survivors = [o for o in report.outcomes if o.status == SURVIVED]
    if survivors:
        say("survivors:")
        for o in survivors:
            say(f"  {o.id} ({o.rule}): {o.why}" + (f"\n      note: {o.note}" if o.note else ""))
    for o in stale + errors:
        say(f"{o.status.lower()}: {o.id}: {o.by}")
    minutes, seconds = divmod(int(report.seconds), 60)
    say(f"wall time {minutes} min {seconds:02d} s")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def select(mutants: Sequence[Mutant], only: Iterable[str] | None) -> list[Mutant]:
    if not only:
        return list(mutants)
    wanted = list(dict.fromkeys(only))
    by_id = {m.id: m for m in mutants}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise KeyError(f"no mutant {', '.join(unknown)} in the catalogue")
    return [by_id[i] for i in wanted]
