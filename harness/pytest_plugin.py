"""pytest fixtures: in-process simulators, fresh for each test (registered as a pytest11 plugin).

Configure them per test or module with the ``hsqbo`` marker::

    @pytest.mark.hsqbo(rate_limits=False, clock="frozen", start="2026-01-31T12:00:00Z")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from simulators.core.clock import parse_iso
from simulators.sims import Simulators

if TYPE_CHECKING:
    from pathlib import Path

    from _pytest._code.code import TerminalRepr  # what Item.repr_failure may return; pytest exports no public name

MARKER_OPTIONS = {"rate_limits", "clock", "start"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hsqbo")
    group.addoption("--hsqbo-sync-command", metavar="CMD", default=None,
                    help="run scenario files against this shell command as the sync (one run a pass, the simulators "
                         "served on loopback; see harness/command_sync.py) instead of the reference engine")
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

def pytest_collect_file(parent: pytest.Collector, file_path: object) -> pytest.Collector | None:
    """Every ``*.yaml`` in a folder named ``scenarios`` is a test (run in parallel under xdist like any other)."""
    from pathlib import Path

    path = Path(str(file_path))
    if path.suffix == ".yaml" and path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=path)
    return None


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
