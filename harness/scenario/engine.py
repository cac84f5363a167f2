"""The reference engine (``sync/``) behind :class:`~harness.scenario.interface.SyncUnderTest`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from harness.scenario import pairs
from harness.scenario.interface import ACTIONS, ActionUnavailable

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from sync.clock import Clock
    from sync.settings import Settings
    from sync.state import Record


class EngineSync:
    """The reference engine behind the interface; a restart builds a new engine on the same state."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        from sync.companies import Companies
        from sync.engine import Engine
        from sync.triggers import Scheduler

        self._settings, self._clock = settings, clock
        # one engine per connected QBO company (several: legacy A5); the first one's is ``engine``
        self.companies = Companies(settings, lambda s: Engine(s, clock=clock))
        self.engine = self.companies.first
        self._scheduler = Scheduler(self.engine)
        self._crash_at: str | None = None

    def run_pass(self) -> None:
        if self.engine.has_notifications():
            self.engine.run_notifications()
        with self._crashing():
            self.engine.run_pass()
        for other in self.companies.engines[1:]:
            other.run_pass()

    def restart(self, settings: Settings | None = None) -> None:
        from sync.companies import Companies
        from sync.engine import Engine

        self._settings = settings or self._settings
        states = {self.companies.realm(e): e.state for e in self.companies.engines}
        self.companies = Companies(self._settings, lambda s: Engine(
            s, clock=self._clock, state=states.get(str(s.quickbooks.realm_id))))
        self.engine = self.companies.first
        self._scheduler.engine = self.engine

    def crash(self, point: str) -> None:
        """The next pass dies right after its first write of ``point`` ("quickbooks" or "hubspot") lands."""
        self._crash_at = point

    @contextmanager
    def _crashing(self) -> Iterator[None]:
        """Arms the engine's ``before_record`` seam for one pass, so a crash test needs no reaching inside."""
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

    def receiver(self) -> WSGIApplication:
        from sync.triggers import create_receiver

        engine = self

        class _Forward:  # the receiver outlives restarts: it reaches whichever engine runs now
            def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
                return create_receiver(engine.engine).wsgi_app(environ, start_response)

        return _Forward()

    def _record(self, side: str, record_id: str, kind: str | None) -> Record | None:
        for pair in pairs.pairs_of(kind) or self._settings.pairs:
            record = self.engine.state.by_side_ids(pair, side, [record_id]).get(record_id)
            if record is not None:
                return record
        return None

    def status(self, side: str, record_id: str, kind: str | None = None) -> dict | None:
        record = self._record(side, record_id, kind)
        if record is None:
            return None
        return {"status": record.status, "reason": record.reason, "rule": record.rule,
                "message": record.message, "hubspot_id": record.hubspot_id, "quickbooks_id": record.qbo_id}

    # -- the record view and export (H2, H3): sync/status.py, as `hsqbo status` / `hsqbo export` use it ----------
    def records(self, *, pair: str | None = None, status: str | None = None, reason: str | None = None,
                search: str | None = None, columns: list[str] | None = None, page: int = 1,
                per_page: int = 50) -> dict:
        from sync import status as view

        return view.records(self.engine.state, pair=pair, status=status, reason=reason, text=search,
                            columns=columns, page=page, per_page=per_page)

    def history(self, side: str, record_id: str, kind: str | None = None) -> list[dict] | None:
        from sync import status as view

        record = self._record(side, record_id, kind)
        return None if record is None or record.id is None else view.activity(self.engine.state, record.id)

    def export(self, path: str, fmt: str, *, pair: str | None = None, status: str | None = None,
               reason: str | None = None, search: str | None = None, columns: list[str] | None = None) -> int:
        from sync import status as view

        return view.export(self.engine.state, path, fmt, pair=pair, status=status, reason=reason, text=search,
                           columns=columns)

    def action(self, name: str, **args: object) -> dict:
        """One of the engine's actions (sync/actions.py) on this engine; ActionError is its refusal."""
        import inspect

        from sync import actions

        if name not in ACTIONS:
            raise ActionUnavailable(f"unknown action {name!r}; expected one of {', '.join(ACTIONS)}")
        function = getattr(actions, name)
        company = args.pop("company", None)  # A5: which connected QBO company (realm id or name)
        try:
            inspect.signature(function).bind(self.engine, **args)
        except TypeError as err:
            takes = ", ".join(p for p in list(inspect.signature(function).parameters)[1:])
            raise ActionUnavailable(f"{name}: {err} (it takes {takes}, and company)") from err
        return function(self.companies.choose(None if company is None else str(company)), **args)

    def counts(self, pair: str) -> dict[str, int]:
        return self.engine.state.counts(pair)


class _Crash(Exception):
    """The planted crash: raised by the ``before_record`` seam, swallowed at the end of the pass."""
