"""A foreign sync behind the scenarios: any program, run as a shell command once per sync pass.

``CommandSync`` implements :class:`harness.scenario.SyncUnderTest`. Each ``run_pass()`` runs the command
(``sh -c``, with a timeout) in a working folder kept for the whole scenario; its environment names the
simulators — served over loopback HTTP, since another process cannot reach the in-process ones — and the
credentials of the scenario's company and portal:

=====================================  ==================================================================
``HSQBO_SETTINGS``                     a settings YAML in the reference engine's format (``sync/settings.py``)
                                       for these URLs, so ``hsqbo sync --settings $HSQBO_SETTINGS`` is a valid
                                       foreign sync; its state is a SQLite file in the working folder
``HSQBO_STATUS_FILE``                  where the command may write the sync's status (below); removed before
                                       each pass
``HSQBO_WORKDIR``                      the working folder (the command's cwd), kept from pass to pass
``HSQBO_PASS``                         1 for the first pass, 2 for the next, …
``HSQBO_NOW``                          the simulators' virtual time at the start of the pass (ISO 8601); the
                                       ``Date`` header of every answer carries it too
``HSQBO_QUICKBOOKS_URL``               the QBO simulator's base (``…/v3/company/{realm}/…``, ``/_sim/…``)
``HSQBO_QUICKBOOKS_DISCOVERY_URL``     intuit-oauth's ``environment=`` (the OpenID discovery document)
``HSQBO_QUICKBOOKS_TOKEN_URL``         the OAuth token endpoint
``HSQBO_QUICKBOOKS_REALM_ID``,         the company and its OAuth app; QBO rotates refresh tokens, so a sync
``_CLIENT_ID``, ``_CLIENT_SECRET``,    keeps the newest one itself (the reference engine keeps it in its state)
``_ACCESS_TOKEN``, ``_REFRESH_TOKEN``,
``_VERIFIER_TOKEN``
``HSQBO_HUBSPOT_URL``                  the HubSpot simulator's base (hubspot-api-client's ``host=``)
``HSQBO_HUBSPOT_ACCESS_TOKEN``,        the portal: a private-app token, and its OAuth app
``_CLIENT_ID``, ``_CLIENT_SECRET``,
``_REFRESH_TOKEN``, ``_PORTAL_ID``,
``_CLIENT_SECRET_FOR_WEBHOOKS``,
``_TIER``
``OAUTHLIB_INSECURE_TRANSPORT=1``      the simulators speak plain http on loopback
``HSQBO_CLOCK=simulators``,            the simulators' clock (``GET`` / ``POST {"advance": s}``): ``hsqbo sync``
``HSQBO_CLOCK_URL``                    reads it and advances it instead of sleeping for quotas and back-off
=====================================  ==================================================================

A non-zero exit fails the scenario at that step with the tail of the command's stderr; so does a timeout.

**The status file** is optional. Without it ``status()`` and ``counts()`` return None and the scenario
reports each ``status:`` / ``counts:`` expectation as not supported by this sync. With it, it holds one or
more JSON documents one after another, each shaped as ``hsqbo status --json`` prints::

    {"counts": {"contacts": {"synced": 1, "failed": 1, "excluded": 0, "pending": 0}},
     "records": {"failed": {"rows": [{"pair": "contacts", "status": "failed", "reason": "duplicate_display_name",
                                      "rule": "D2", "hubspot_id": "151", "qbo_id": null}]}}}

``records`` may also be a plain list of rows; ``quickbooks_id`` may stand for ``qbo_id``. Documents are
merged (counts per pair: the last one wins), so the reference engine reports every status with::

    hsqbo sync --settings $HSQBO_SETTINGS && for s in synced failed excluded pending; do
      hsqbo status --settings $HSQBO_SETTINGS --json --status $s --per-page 10000; done > $HSQBO_STATUS_FILE
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from harness.scenario import SyncFailed

if TYPE_CHECKING:
    from sync.clock import Clock
    from sync.settings import Settings

DEFAULT_TIMEOUT = 300.0  # seconds one pass may take
TAIL_LINES = 20  # of stderr, in the failure message
QBO_DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration/"


class CommandSync:
    """A shell command as the sync under test: one run per pass, status from an optional JSON file."""

    needs_http = True  # the scenario world serves the simulators on loopback for it

    def __init__(self, command: str, settings: Settings, clock: Clock | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT, workdir: str | Path | None = None) -> None:
        self.command = command
        self.timeout = timeout
        self.settings = settings
        self.clock = clock
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir:
            self.workdir = Path(workdir)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="hsqbo-command-sync-")
            self.workdir = Path(self._tmp.name)
        self.settings_path = self.workdir / "hsqbo-sync.yaml"
        self.status_path = self.workdir / "status.json"
        self.passes = 0
        self._status: dict | None = None
        self._write_settings()

    @classmethod
    def factory(cls, command: str, timeout: float = DEFAULT_TIMEOUT) -> Callable[..., CommandSync]:
        """What ``harness.scenario.run(path, make_sync=...)`` takes: builds a CommandSync for each scenario."""
        return _Factory(command, timeout)

    # -- the SyncUnderTest interface ----------------------------------------------------------------
    def run_pass(self) -> None:
        self.passes += 1
        self.status_path.unlink(missing_ok=True)  # the status is the last pass's, never an older one's
        self._status = None
        out, err = self.workdir / f"pass-{self.passes}.out", self.workdir / f"pass-{self.passes}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            # a session of its own: a timeout kills the shell and everything it started
            process = subprocess.Popen(self.command, shell=True, cwd=self.workdir, env=self.environment(),  # noqa: S602
                                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True)
            try:
                code = process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise SyncFailed(f"the sync command timed out after {self.timeout:g} s (pass {self.passes})"
                                 f"{_tail(err, out)}") from None
        if code != 0:
            raise SyncFailed(f"the sync command exited {code} (pass {self.passes}){_tail(err, out)}")
        if self.status_path.exists():
            self._status = self._read_status()

    def restart(self, settings: Settings | None = None) -> None:
        """Every pass is a new process already; new ``settings`` are written for the next one (same state file)."""
        if settings is not None:
            self.settings = settings
            self._write_settings()

    def receiver(self) -> None:
        """A command takes no webhooks (it does not run between passes)."""
        return None

    @property
    def reports_status(self) -> bool:
        """Whether the last pass wrote a status file (else status and counts are not supported)."""
        return self._status is not None

    def status(self, side: str, record_id: str, kind: str | None = None) -> dict | None:
        """The row of the status file for this record; ``kind`` (a HubSpot type or QBO entity) names its pair,
        since ids of different kinds may be equal; without it the first pair of the settings that has it."""
        if self._status is None:
            return None
        order = list(getattr(self.settings, "pairs", {}) or {})
        found = [row for row in self._status["records"] if _side_id(row, side) == str(record_id)]
        if kind is not None:
            from sync.pairs import PAIRS

            pairs = {name for name, p in PAIRS.items() if kind in (p.hubspot_type, p.qbo_entity)}
            found = [row for row in found if row.get("pair") in pairs] if pairs else found
        found.sort(key=lambda row: order.index(row.get("pair")) if row.get("pair") in order else len(order))
        if not found:
            return None
        row = found[0]
        return {"status": row.get("status"), "reason": row.get("reason"), "rule": row.get("rule"),
                "message": row.get("message"), "hubspot_id": _side_id(row, "hubspot"),
                "quickbooks_id": _side_id(row, "quickbooks")}

    def counts(self, pair: str) -> dict[str, int] | None:
        if self._status is None:
            return None
        counts = self._status["counts"]
        if counts is not None:
            return {k: int(v) for k, v in (counts.get(pair) or {}).items()}
        out: dict[str, int] = {}  # no counts in the file: count its records
        for row in self._status["records"]:
            if row.get("pair") == pair and row.get("status"):
                out[row["status"]] = out.get(row["status"], 0) + 1
        return out

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- the command's world --------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The command's environment: this process's, plus the simulators' URLs and credentials."""
        q, h = self.settings.quickbooks, self.settings.hubspot
        values: dict[str, object] = {
            "HSQBO_SETTINGS": self.settings_path, "HSQBO_STATUS_FILE": self.status_path,
            "HSQBO_WORKDIR": self.workdir, "HSQBO_PASS": self.passes,
            "HSQBO_QUICKBOOKS_URL": q.base_url, "HSQBO_QUICKBOOKS_DISCOVERY_URL": q.base_url + QBO_DISCOVERY_PATH,
            "HSQBO_QUICKBOOKS_TOKEN_URL": q.token_url, "HSQBO_QUICKBOOKS_REALM_ID": q.realm_id,
            "HSQBO_QUICKBOOKS_CLIENT_ID": q.client_id, "HSQBO_QUICKBOOKS_CLIENT_SECRET": q.client_secret,
            "HSQBO_QUICKBOOKS_ACCESS_TOKEN": q.access_token, "HSQBO_QUICKBOOKS_REFRESH_TOKEN": q.refresh_token,
            "HSQBO_QUICKBOOKS_VERIFIER_TOKEN": self.settings.quickbooks_webhook_verifier,
            "HSQBO_HUBSPOT_URL": h.base_url, "HSQBO_HUBSPOT_ACCESS_TOKEN": h.access_token,
            "HSQBO_HUBSPOT_CLIENT_ID": h.client_id, "HSQBO_HUBSPOT_CLIENT_SECRET": h.client_secret,
            "HSQBO_HUBSPOT_REFRESH_TOKEN": h.refresh_token, "HSQBO_HUBSPOT_PORTAL_ID": h.portal_id,
            "HSQBO_HUBSPOT_CLIENT_SECRET_FOR_WEBHOOKS": h.client_secret_for_webhooks, "HSQBO_HUBSPOT_TIER": h.tier,
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
            # `hsqbo sync` reads the simulators' clock and advances it instead of sleeping (quota waits, back-off)
            "HSQBO_CLOCK": "simulators", "HSQBO_CLOCK_URL": q.base_url.rstrip("/") + "/_sim/clock",
        }
        if self.clock is not None:
            values["HSQBO_NOW"] = self.clock.now().isoformat()
        # `hsqbo` (and this interpreter) first on PATH, so 'hsqbo sync ...' works without the venv activated
        here = os.path.dirname(sys.executable)
        path = os.environ.get("PATH", "")
        values["PATH"] = path if here in path.split(os.pathsep) else os.pathsep.join(p for p in (here, path) if p)
        return {**os.environ, **{k: str(v) for k, v in values.items() if v is not None}}

    def _write_settings(self) -> None:
        from harness.engine_settings import write_settings
        from sync.settings import Settings

        doc = self.settings.to_dict()
        if doc["state"] in ("sqlite://", "sqlite:///:memory:"):  # a process's memory dies with it: keep a file
            doc["state"] = f"sqlite:///{self.workdir / 'hsqbo-sync.db'}"
        self.settings = Settings.from_dict(doc)
        write_settings(self.settings_path, doc, "Written by hsqbo's CommandSync for one scenario's simulators.")

    def _read_status(self) -> dict:
        text = self.status_path.read_text(encoding="utf-8")
        counts: dict | None = None
        records: list[Mapping] = []
        try:
            for doc in _documents(text):
                if not isinstance(doc, Mapping):
                    raise ValueError("each document must be a JSON object with counts and/or records")
                if isinstance(doc.get("counts"), Mapping):
                    counts = {**(counts or {}), **doc["counts"]}
                records += _rows(doc.get("records"))
        except ValueError as err:
            raise SyncFailed(f"the status file {self.status_path} cannot be read: {err}") from err
        return {"counts": counts, "records": records}


class _Factory:
    """``make_sync`` for the scenario runner; ``needs_http`` tells it to serve the simulators on loopback."""

    needs_http = True

    def __init__(self, command: str, timeout: float) -> None:
        self.command, self.timeout = command, timeout

    def __call__(self, settings: Settings, clock: Clock | None = None) -> CommandSync:
        return CommandSync(self.command, settings, clock, timeout=self.timeout)


def _documents(text: str) -> Iterator[object]:
    """One or more JSON documents one after another (as several ``hsqbo status --json`` runs print them)."""
    decoder, at = json.JSONDecoder(), 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return
        doc, at = decoder.raw_decode(text, at)
        yield doc


def _rows(records: object) -> list[Mapping]:
    if records is None:
        return []
    if isinstance(records, list):
        return [r for r in records if isinstance(r, Mapping)]
    if isinstance(records, Mapping):  # hsqbo status --json: {status: {"rows": [...], ...}}
        return [r for page in records.values()
                for r in (page.get("rows") if isinstance(page, Mapping) else page) or [] if isinstance(r, Mapping)]
    raise ValueError("records must be a list of rows or a mapping of pages with rows")


def _side_id(row: Mapping, side: str) -> str | None:
    value = row.get("hubspot_id") if side == "hubspot" else row.get("quickbooks_id", row.get("qbo_id"))
    return None if value in (None, "") else str(value)


def _tail(*paths: Path) -> str:
    """The last lines of the first non-empty file (stderr, else stdout), for the failure message."""
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace").strip() if path.exists() else ""
        if text:
            return ":\n" + "\n".join(text.splitlines()[-TAIL_LINES:])
    return " (no output)"
