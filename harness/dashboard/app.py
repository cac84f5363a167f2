"""The dashboard's HTTP side: routes, forms, CSRF, templates. What it shows comes from :mod:`.systems` (the two
simulators), :mod:`.syncing` (the sync) and :mod:`.report` (scenario runs); harness actions go through the
simulators' own admin API (``/_sim/``), in-process, so the journal shows them as it shows ``hsqbo serve``'s own.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from sync import status
from sync.outcomes import REASONS
from sync.pairs import PAIRS
from sync.state import STATUSES

from . import systems
from .report import Reports
from .syncing import MEDIA_TYPES, Filters, SyncView

if TYPE_CHECKING:
    from simulators.sims import Simulators
    from sync.engine import Engine

PER_PAGE = 25
JOURNAL_PAGE = 50
CLOCK_STEPS = {"1 hour": 3600, "1 day": 86_400, "7 days": 7 * 86_400, "30 days": 30 * 86_400}
FAULT_EXAMPLE = '{"method": "POST", "path": "*/customer", "nth": 1, "action": "status", "status": 503}'


class Dashboard:
    """What the pages look at: the simulators of this process, the sync engine, scenario files and their runs."""

    def __init__(self, sims: Simulators, engine: Engine, scenario_dirs: Iterable[str | Path] = ()) -> None:
        self.sims = sims
        self.rt = sims.runtime
        self.sync = SyncView(engine)
        self.reports = Reports()
        self.scenario_dirs = [Path(d) for d in scenario_dirs]

    def admin(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        """One call of the simulators' admin API (``/_sim/...``), in-process: its checks and its journal entry."""
        client = self.sims.quickbooks.test_client()
        data = None if body is None else json.dumps(body)
        r = client.open(f"/_sim{path}", method=method, data=data, content_type="application/json",
                        headers=self.sims.admin_headers())
        return r.status_code, r.get_json(silent=True) or {}

    def scenario_files(self) -> list[Path]:
        from harness.scenario import discover

        found: list[Path] = []
        for folder in self.scenario_dirs:
            if folder.exists():
                found += discover(folder)
        return sorted(set(found))


def create_app(dashboard: Dashboard) -> Flask:
    app = Flask("hsqbo.dashboard", template_folder=str(Path(__file__).parent / "templates"),
                static_folder=str(Path(__file__).parent / "static"), static_url_path="/static")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True)
    d = dashboard

    # -- CSRF: every POST carries the session's token ------------------------------------------------
    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])

    @app.before_request
    def _check_csrf() -> None:
        if request.method == "POST":
            sent, kept = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not kept or not hmac.compare_digest(str(sent), str(kept)):
                abort(400, "missing or wrong CSRF token: reload the page and try again")

    @app.context_processor
    def _globals() -> dict:
        return {"csrf_token": csrf_token, "clock": d.rt.clock.describe(), "SYSTEMS": systems.SYSTEMS,
                "realm": d.sync.realm, "portal": d.sync.portal}

    app.jinja_env.filters["pretty"] = _pretty
    app.jinja_env.filters["compact"] = lambda value: json.dumps(value, ensure_ascii=False)  # escaped as any text
    app.jinja_env.filters["signed"] = lambda n: f"+{n}" if n > 0 else str(n)

    def back(default: str) -> BaseResponse:
        target = request.form.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else default)

    # -- overview ----------------------------------------------------------------------------------
    @app.get("/")
    def overview() -> str:
        counts = d.sync.counts()
        sides = {system: [(tenant, systems.counts(d.rt, system, tenant)) for tenant in systems.tenants(d.rt, system)]
                 for system in systems.SYSTEMS}
        return render_template("overview.html", counts=counts, statuses=STATUSES, sides=sides,
                               reasons={pair: d.sync.reasons(pair)[:3] for pair in counts},
                               enabled={pair: d.sync.enabled(pair) for pair in counts},
                               generation=d.sync.generation())

    # -- the two systems ---------------------------------------------------------------------------
    @app.get("/systems/<system>/<tenant>/<kind>")
    def records_of(system: str, tenant: str, kind: str) -> str:
        _known(d, system, tenant, kind)
        text = request.args.get("q", "").strip()
        page = systems.page(d.rt, system, tenant, kind, text, _int(request.args.get("page"), 1), PER_PAGE)
        return render_template("system_records.html", system=system, tenant=tenant, kind=kind, page=page, q=text,
                               kinds=systems.counts(d.rt, system, tenant))

    @app.get("/systems/<system>/<tenant>/<kind>/<oid>")
    def system_record(system: str, tenant: str, kind: str, oid: str) -> str:
        _known(d, system, tenant, kind)
        found = systems.detail(d.rt, system, tenant, kind, oid)
        if found is None:
            abort(404, f"no {kind} {oid} in {systems.SYSTEMS[system]} {tenant}")
        synced = d.sync.find(system, kind, oid) if tenant in (d.sync.realm, d.sync.portal) else []
        return render_template("system_record.html", r=found, synced=synced,
                               history=systems.history(d.rt, system, tenant, kind, oid))

    # -- the sync ----------------------------------------------------------------------------------
    @app.get("/sync")
    def sync_pairs() -> str:
        settings = d.sync.engine.settings
        return render_template("sync.html", counts=d.sync.counts(), statuses=STATUSES,
                               reasons={pair: d.sync.reasons(pair) for pair in d.sync.pairs()},
                               configurable=list(settings.pairs), enabled=d.sync.enabled,
                               settings_yaml=d.sync.settings_yaml, generation=d.sync.generation())

    @app.post("/sync/now")
    def sync_now() -> BaseResponse:
        report = d.sync.sync_now()
        writes = sum(p.writes for p in report.pairs.values())
        stopped = [f"{name}: {'; '.join(p.problems)}" for name, p in report.pairs.items() if not p.complete]
        flash(f"Sync now: {writes} write(s), {sum(report.calls.values())} call(s)"
              + (f"; stopped early — {' | '.join(stopped)}" if stopped else "; complete"),
              "error" if stopped else "ok")
        return back(url_for("overview"))

    @app.post("/sync/pairs/<pair>")
    def switch_pair(pair: str) -> BaseResponse:
        on = request.form.get("on") == "1"
        try:
            d.sync.switch(pair, on)
        except KeyError:
            abort(404, f"no pair {pair} with settings of its own")
        flash(f"{pair} turned {'on' if on else 'off'} (A4)", "ok")
        return back(url_for("sync_pairs"))

    def filters() -> Filters:
        a = request.args
        wanted = a.get("status") or None
        if wanted and wanted not in STATUSES:
            abort(400, f"status must be one of {', '.join(STATUSES)}")
        return Filters(a.get("pair") or None, wanted, a.get("reason") or None, a.get("q", "").strip() or None)

    def columns() -> list[str]:
        chosen = [c for c in request.args.getlist("col") if c in status.COLUMNS]
        return chosen or list(status.DEFAULT_COLUMNS)

    @app.get("/sync/records")
    def sync_records() -> str:
        f, cols = filters(), columns()
        fetched = list(dict.fromkeys(["id", "pair", *cols]))  # the activity link and the records' links need them
        page = d.sync.records(f, fetched, _int(request.args.get("page"), 1), PER_PAGE)
        kinds = {pair: (PAIRS[pair].qbo_entity, PAIRS[pair].hubspot_type) for pair in PAIRS}
        return render_template("sync_records.html", f=f, page=page, cols=cols, all_columns=status.COLUMNS, kinds=kinds,
                               pairs=d.sync.pairs(), statuses=STATUSES, reasons=sorted(REASONS),
                               last=max(1, -(-page["total"] // page["per_page"])),
                               args={**f.as_args(), "col": cols})

    @app.get("/sync/records/export.<fmt>")
    def sync_export(fmt: str) -> Response:
        if fmt not in MEDIA_TYPES:
            abort(404)
        data, _ = d.sync.export(filters(), columns(), fmt)
        return Response(data, mimetype=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f"attachment; filename=hsqbo-records.{fmt}"})

    @app.get("/sync/records/<int:record_id>")
    def sync_record(record_id: int) -> str:
        found = d.sync.record(record_id)
        if found is None:
            abort(404, f"no record {record_id} in the sync's state")
        record, row, activity = found
        links = d.sync.links(record)
        names = {}
        for side, link in links.items():
            target = systems.get(d.rt, side, link.tenant, link.kind, link.id) if link else None
            names[side] = systems.label(side, link.kind, target.data) if link and target else ""
        return render_template("sync_record.html", record=record, row=row, activity=activity, links=links,
                               names=names, REASONS=REASONS)

    # -- the harness -------------------------------------------------------------------------------
    @app.get("/harness")
    def harness() -> str:
        return render_template("harness.html", faults=d.rt.faults.describe(), snapshots=d.rt.store.snapshot_ids(),
                               steps=CLOCK_STEPS, example=FAULT_EXAMPLE,
                               rate_limits=d.rt.limits.enabled)

    def admin_action(method: str, path: str, body: object, done: str) -> BaseResponse:
        code, answer = d.admin(method, path, body)
        if code >= 400:
            flash(f"refused: {answer.get('error', code)}", "error")
        else:
            flash(done.format(**answer) if isinstance(answer, dict) else done, "ok")
        return back(url_for("harness"))

    @app.post("/harness/clock")
    def clock() -> BaseResponse:
        if "mode" in request.form:
            return admin_action("POST", "/clock", {"mode": request.form["mode"]}, "clock {mode}: {now}")
        try:
            seconds = float(request.form.get("advance", ""))
        except ValueError:
            flash("advance: a number of seconds", "error")
            return back(url_for("harness"))
        return admin_action("POST", "/clock", {"advance": seconds}, "clock advanced to {now}")

    @app.post("/harness/faults")
    def add_fault() -> BaseResponse:
        try:
            rule = json.loads(request.form.get("rule", ""))
        except ValueError as err:
            flash(f"the rule is not JSON: {err}", "error")
            return back(url_for("harness"))
        return admin_action("POST", "/faults", rule, "fault plan: rule added")

    @app.post("/harness/faults/clear")
    def clear_faults() -> BaseResponse:
        return admin_action("DELETE", "/faults", None, "fault plan cleared")

    @app.post("/harness/snapshots")
    def take_snapshot() -> BaseResponse:
        return admin_action("POST", "/snapshots", None, "snapshot {id} taken")

    @app.post("/harness/snapshots/<snap_id>/restore")
    def restore_snapshot(snap_id: str) -> BaseResponse:
        return admin_action("POST", f"/snapshots/{snap_id}/restore", None, "restored snapshot {restored}")

    @app.get("/journal")
    def journal() -> str:
        a = request.args
        path = a.get("path", "").strip()
        glob = (path if any(c in path for c in "*?[") else f"*{path}*") if path else None
        entries = d.rt.journal.find(system=a.get("system") or None, method=a.get("method") or None, path=glob,
                                    status=_maybe_int(a.get("status")))[::-1]
        number = _int(a.get("page"), 1)
        shown = entries[(number - 1) * JOURNAL_PAGE:number * JOURNAL_PAGE]
        args = {k: v for k, v in (("system", a.get("system")), ("method", a.get("method")), ("path", path),
                                  ("status", a.get("status"))) if v}
        return render_template("journal.html", entries=shown, total=len(entries), page=number, args=args,
                               last=max(1, -(-len(entries) // JOURNAL_PAGE)))

    @app.get("/journal/<int:seq>")
    def journal_entry(seq: int) -> str:
        found = d.rt.journal.find(since=seq - 1, limit=None)
        entry = next((e for e in found if e["seq"] == seq), None)
        if entry is None:
            abort(404, f"no journal entry {seq} (the journal keeps the newest 20,000)")
        shown = {"at", "system", "tenant", "method", "path", "query", "requestBody", "status", "responseBody", "seq"}
        return render_template("journal_entry.html", e=entry, extra={k: v for k, v in entry.items() if k not in shown})

    # -- scenarios -----------------------------------------------------------------------------------
    @app.get("/scenarios")
    def scenarios() -> str:
        return render_template("scenarios.html", files=d.scenario_files(), reports=d.reports.all()[::-1],
                               folders=d.scenario_dirs)

    @app.post("/scenarios/run")
    def run_scenario() -> BaseResponse:
        wanted = request.form.get("path", "")
        path = next((p for p in d.scenario_files() if str(p) == wanted), None)
        if path is None:
            abort(404, "not one of the listed scenario files")
        with d.sync.lock:  # a scenario routes requests in-process meanwhile: no Sync now at the same time
            report = d.reports.run(path)
        return redirect(url_for("scenario_report", report_id=report.id))

    @app.get("/scenarios/reports/<int:report_id>")
    def scenario_report(report_id: int) -> str:
        report = d.reports.get(report_id)
        if report is None:
            abort(404, f"no report {report_id}")
        return render_template("report.html", report=report)

    @app.errorhandler(400)
    @app.errorhandler(404)
    def _error(err: Exception) -> tuple[str, int]:
        code = getattr(err, "code", 400) or 400
        return render_template("error.html", code=code, message=getattr(err, "description", str(err))), code

    return app


def _known(d: Dashboard, system: str, tenant: str, kind: str) -> None:
    if system not in systems.SYSTEMS or tenant not in systems.tenants(d.rt, system):
        abort(404, f"no {system} tenant {tenant}")
    if not systems.is_kind(system, kind):
        abort(404, f"{systems.SYSTEMS[system]} has no record type {kind}")


def _int(text: str | None, default: int) -> int:
    """A page number from the query string: 1 or more, else the default."""
    return _maybe_int(text) or default


def _maybe_int(text: str | None) -> int | None:
    try:
        return max(1, int(text)) if text else None
    except ValueError:
        return None


def _pretty(text: object) -> str:
    """A JSON body indented (as text: the template escapes it); anything else as it is."""
    if text is None or text == "":
        return ""
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return str(text)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
