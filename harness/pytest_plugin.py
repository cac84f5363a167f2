"""pytest fixtures: in-process simulators, fresh for each test (registered as a pytest11 plugin).

Configure them per test or module with the ``hsqbo`` marker::

    @pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-31T12:00:00Z")
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from simulators.core.clock import parse_iso
from simulators.sims import Simulators

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # what Item.repr_failure may return; pytest exports no public name

MARKER_OPTIONS = {"rate_limits", "clock", "start"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hsqbo")
    group.addoption("--hsqbo-sync-command", metavar="CMD", default=None,
                    help="run scenario files against this shell command as the sync (one run a pass, the simulators "
                         "served on loopback; see harness/command_sync.py) instead of the reference engine")
    parser.addini("hsqbo_scenarios", type="paths", default=[],
                  help="folders (relative to the ini file) whose *.yaml files are hsqbo scenario files, collected "
                       "as tests; a file anywhere whose first line is '# hsqbo: scenario' is collected too")
    group.addoption("--hsqbo-sync-timeout", type=float, default=300.0, metavar="SECONDS",
                    help="with --hsqbo-sync-command: seconds one pass may take (default 300)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "hsqbo(rate_limits=True, clock='real'|'frozen', start=ISO): configure the sims fixture of a test",
    )


@pytest.fixture
def sims(request: pytest.FixtureRequest) -> Iterator[Simulators]:
    """Both simulators in-process (``requests`` is routed into the Flask apps; no sockets)."""
    marker = request.node.get_closest_marker("hsqbo")
    options = dict(marker.kwargs) if marker else {}
    unknown = set(options) - MARKER_OPTIONS
    if unknown:
        raise pytest.UsageError(f"unknown hsqbo marker option(s): {', '.join(sorted(unknown))}")
    s = Simulators()
    s.runtime.limits.enabled = bool(options.get("rate_limits", True))
    s.runtime.clock.set_mode(options.get("clock", "real"))
    if "start" in options:
        s.runtime.clock.set(parse_iso(str(options["start"])))
    with s.in_process():
        yield s


@pytest.fixture
def qbo_company(sims: Simulators) -> dict:
    """A fresh, empty US QBO company: ``realmId``, ``clientId``, ``accessToken``, … ."""
    return sims.new_qbo_company(country="US", seed="empty")


@pytest.fixture
def hubspot_portal(sims: Simulators) -> dict:
    """A fresh, empty HubSpot portal (Professional, USD): ``portalId``, ``accessToken`` (a private-app token), … ."""
    return sims.new_hubspot_portal(tier="professional", currency="USD", seed="empty")


# -- scenario files, collected as tests ----------------------------------------------------------------

SCENARIO_MARKER = "# hsqbo: scenario"  # a first line that makes a .yaml file a scenario test wherever it lives


def pytest_collect_file(parent: pytest.Collector, file_path: object) -> pytest.Collector | None:
    """Scenario files are tests only where a project says so (run in parallel under xdist like any other):
    ``*.yaml`` files directly in a folder the ``hsqbo_scenarios`` ini option names, or any ``.yaml`` / ``.yml``
    file whose first line is ``# hsqbo: scenario``. Other YAML (a locust config, a CI file) is left alone."""
    path = Path(str(file_path))
    if path.suffix not in (".yaml", ".yml"):
        return None
    if _in_scenario_folder(parent.config, path) or _marked(path):
        return ScenarioFile.from_parent(parent, path=path)
    return None


def _in_scenario_folder(config: pytest.Config, path: Path) -> bool:
    folders = config.getini("hsqbo_scenarios")
    if not folders or path.suffix != ".yaml":
        return False
    return any(path.parent.resolve() == Path(folder).resolve() for folder in folders)


def _marked(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().strip() == SCENARIO_MARKER
    except (OSError, UnicodeDecodeError):
        return False


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        from harness.scenario import run

        make_sync = None
        command = self.config.getoption("hsqbo_sync_command", None)
        if command:
            from harness.command_sync import CommandSync

            make_sync = CommandSync.factory(command, self.config.getoption("hsqbo_sync_timeout"))
        result = run(self.path, make_sync=make_sync)
        if not result.passed:
            raise ScenarioFailed(f"{self.path.name}: {result.scenario.name}\n" +
                                 "\n".join(f"  {f}" for f in result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str | TerminalRepr:
        from harness.scenario import ScenarioError

        if isinstance(excinfo.value, (ScenarioFailed, ScenarioError)):
            return str(excinfo.value)  # file, line and what was expected: no stack trace
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.path.name}"
