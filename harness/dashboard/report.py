"""A scenario run as a report: each step, what each side looked like after it, and each failing expectation split
into what was expected and what was found. The run is :func:`harness.scenario.run`'s own; its ``observe`` hook
takes the pictures. No HTTP here.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sync.pairs import PAIRS

from . import systems

if TYPE_CHECKING:
    from harness.scenario import Step, World

SHOWN = 6  # records named per type in a picture; the rest are counted
# every QBO company has them: left out of the pictures
FURNITURE = {"Account", "Term", "PaymentMethod", "CompanyCurrency", "TaxCode", "TaxRate"}

_EXPECTED_FOUND = re.compile(r"^(?:line (?P<line>\d+): )?(?P<what>.*?): expected (?P<expected>.*), "
                             r"found (?P<found>.*)$", re.S)
_NONE_MATCHES = re.compile(r"^(?:line (?P<line>\d+): )?(?P<what>.*?): none matches (?P<expected>\{.*\})"
                           r"(?: \((?P<found>.*)\))?$", re.S)
_ONE_MATCHES = re.compile(r"^(?:line (?P<line>\d+): )?(?P<what>.*?): one matches (?P<found>.*), expected none$", re.S)
_MADE = re.compile(r"^(?:line (?P<line>\d+): )?(?P<what>the last sync step) made (?P<found>\d+ \w+), "
                   r"expected (?P<expected>.*)$", re.S)


@dataclass
class Kind:
    name: str
    count: int
    change: int  # since the picture before
    names: list[str]


@dataclass
class Picture:
    """One moment of a run: each side's records by type, and the sync's counts per pair."""

    title: str
    line: int | None
    quickbooks: list[Kind]
    hubspot: list[Kind]
    sync: dict[str, dict[str, int]]


@dataclass
class Failure:
    message: str
    line: str = ""
    what: str = ""
    expected: str = ""
    found: str = ""


@dataclass
class Report:
    id: int
    path: Path
    name: str
    rules: list[str]
    generation: str
    at: str
    pictures: list[Picture] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    error: str = ""  # the file itself is wrong (a ScenarioError)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.error


def failure(message: str) -> Failure:
    """A failure as the checks word it, split into expected and found where it says both."""
    for pattern in (_EXPECTED_FOUND, _NONE_MATCHES, _ONE_MATCHES, _MADE):
        m = pattern.match(message)
        if m:
            parts = m.groupdict()
            expected = parts.get("expected") or "none"
            if pattern is _NONE_MATCHES:
                expected = f"a record matching {expected}"
            return Failure(message, parts.get("line") or "", parts["what"], expected,
                           parts.get("found") or "no such record")
    return Failure(message)


def picture(world: World, step: Step | None, before: Picture | None) -> Picture:
    rt = world.sims.runtime
    sides = {}
    for system, tenant in ((systems.QUICKBOOKS, world.company["realmId"]),
                           (systems.HUBSPOT, str(world.portal["portalId"]))):
        earlier = {k.name: k.count for k in (getattr(before, system) if before else [])}
        kinds = []
        for kind, n in systems.counts(rt, system, tenant).items():
            if system == systems.QUICKBOOKS and (kind in FURNITURE or systems.TYPES[kind].category == "setting"):
                continue  # what every company has, the same in every picture
            page = systems.page(rt, system, tenant, kind, per_page=SHOWN)
            change = n - earlier.get(kind, 0) if before is not None else 0
            kinds.append(Kind(kind, n, change, [line.label for line in page.lines]))
        sides[system] = kinds
    counts = getattr(world.sync, "counts", None)  # a sync may report none
    sync: dict[str, dict[str, int]] = {}
    if counts is not None:
        for pair in PAIRS:
            found = counts(pair)
            if found and any(found.values()):
                sync[pair] = found
    title = "given" if step is None else step.kind
    return Picture(title, step.line if step else world.scenario.line_of.get("given"), sides[systems.QUICKBOOKS],
                   sides[systems.HUBSPOT], sync)


class Reports:
    """Scenario runs kept in memory, newest last; a run at a time (a scenario routes ``requests`` in-process)."""

    def __init__(self) -> None:
        self._reports: dict[int, Report] = {}
        self._ids = itertools.count(1)
        self.lock = threading.Lock()

    def all(self) -> list[Report]:
        return list(self._reports.values())

    def get(self, report_id: int) -> Report | None:
        return self._reports.get(report_id)

    def run(self, path: Path) -> Report:
        from harness.scenario import ScenarioError, load, run

        report = Report(next(self._ids), path, path.stem, [], "", datetime.now(UTC).isoformat(timespec="seconds"))
        pictures: list[Picture] = []

        def observe(world: World, step: Step | None) -> None:
            if step is None:
                pictures.clear()  # a parametrised file runs again: keep the last run's pictures
            pictures.append(picture(world, step, pictures[-1] if pictures else None))

        with self.lock:
            try:
                scenario = load(path)
                report.name, report.rules, report.generation = scenario.name, scenario.rules, scenario.generation
                result = run(path, observe=observe)
                report.failures = [failure(f) for f in result.failures]
                report.seconds = result.seconds
            except ScenarioError as err:
                report.error = str(err)
        report.pictures = pictures
        self._reports[report.id] = report
        return report
