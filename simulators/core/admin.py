"""The admin API under ``/_sim/``: the same routes on every simulator's port."""

from __future__ import annotations

import hmac
import math

from flask import Blueprint, Flask, Request, Response, current_app, jsonify, request

from .clock import MODES, parse_iso
from .faults import FaultPlanError
from .runtime import Runtime, System

ADMIN_TOKEN_HEADER = "X-Hsqbo-Admin-Token"
ADMIN_TOKEN_ENV = "HSQBO_ADMIN_TOKEN"


def admin_headers(token: str | None) -> dict[str, str]:
    """The header that opens the admin API when ``token`` guards it (none when it does not)."""
    return {ADMIN_TOKEN_HEADER: token} if token else {}


def token_refusal(req: Request, token: str | None) -> Response | None:
    """None when ``req`` may use the admin API: no token is set, or it carries the token (``Authorization: Bearer
    <token>`` or ``X-Hsqbo-Admin-Token: <token>``); else a 401 with a JSON error."""
    if not token:
        return None
    auth = req.headers.get("Authorization", "")
    given = req.headers.get(ADMIN_TOKEN_HEADER) or (auth[7:].strip() if auth[:7].lower() == "bearer " else "")
    if given and hmac.compare_digest(given.encode(), token.encode()):
        return None
    response = jsonify({"error": "the admin API needs its token: send 'Authorization: Bearer <token>' or "
                                 f"'{ADMIN_TOKEN_HEADER}: <token>' (hsqbo serve --admin-token / {ADMIN_TOKEN_ENV})"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="hsqbo-admin"'
    return response


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _runtime() -> Runtime:
    return current_app.extensions["hsqbo.runtime"]


def _system() -> System:
    return current_app.extensions["hsqbo.system"]


def _body() -> dict:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AdminError(400, "the body must be a JSON object")
    return data


bp = Blueprint("hsqbo_admin", __name__, url_prefix="/_sim")


@bp.errorhandler(AdminError)
def _admin_error(err: AdminError) -> tuple[Response, int]:
    return jsonify({"error": err.message}), err.status


@bp.get("/health")
def health() -> Response:
    rt = _runtime()
    return jsonify({"status": "ok", "system": _system().name, "systems": sorted(rt.systems),
                    "clock": rt.clock.describe(), "rateLimits": rt.limits.enabled})


@bp.post("/tenants")
def create_tenant() -> tuple[Response, int]:
    options = _body()
    try:
        with _runtime().store.transaction():  # an option refused while seeding leaves no half-made tenant
            made = _system().create_tenant(options)
        return jsonify(made), 201
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # an option of the wrong type: a 400
        raise AdminError(400, f"bad tenant options: {exc}") from exc


@bp.get("/tenants")
def list_tenants() -> Response:
    return jsonify({"tenants": _runtime().store.tenant_ids(_system().name)})


@bp.post("/reset")
def reset() -> Response:
    _runtime().reset()
    return jsonify({"status": "reset"})


@bp.post("/snapshots")
def snapshot() -> tuple[Response, int]:
    return jsonify({"id": _runtime().store.snapshot()}), 201


@bp.get("/snapshots")
def snapshots() -> Response:
    return jsonify({"snapshots": _runtime().store.snapshot_ids()})


@bp.post("/snapshots/<snap_id>/restore")
def restore(snap_id: str) -> Response:
    try:
        _runtime().store.restore(snap_id)
    except KeyError as exc:
        raise AdminError(404, f"no snapshot {snap_id}") from exc
    _runtime().limits.reset()
    return jsonify({"restored": snap_id})


@bp.get("/state")
def state() -> Response:
    tenant = request.args.get("realmId") or request.args.get("portalId") or request.args.get("tenant")
    rt = _runtime()
    if request.args.get("format") == "dump":
        return jsonify(rt.store.dump(tenant))
    if tenant is None:
        return jsonify({"tenants": [_system().state(t) for t in rt.store.tenant_ids(_system().name)]})
    if rt.store.tenant(tenant) is None:
        raise AdminError(404, f"no tenant {tenant}")
    return jsonify(_system().state(tenant))


@bp.post("/state")
def load_state() -> Response:
    try:
        _runtime().store.load(_body())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # one transaction: nothing half-loaded
        raise AdminError(400, f"cannot load state: {exc}") from exc
    return jsonify({"loaded": True})


@bp.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    rt = _runtime()
    if request.method == "POST":
        body = _body()
        try:
            if "mode" in body:
                if body["mode"] not in MODES:
                    raise AdminError(400, f"mode must be one of {', '.join(MODES)}")
                rt.clock.set_mode(body["mode"])
            if "set" in body:
                when = parse_iso(str(body["set"]))
                _within_clock_range(when.timestamp())
                rt.clock.set(when)
            if "advance" in body:
                seconds = body["advance"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
                    raise ValueError("advance takes a number of seconds")
                seconds = float(seconds)
                if not math.isfinite(seconds):
                    raise ValueError("advance takes a finite number of seconds")
                _within_clock_range(rt.clock.timestamp() + max(seconds, 0.0))
                rt.clock.advance(seconds)
        except (TypeError, ValueError, OverflowError) as exc:
            raise AdminError(400, str(exc)) from exc
        rt.outbox.deliver_due()
    return jsonify(rt.clock.describe())


CLOCK_RANGE = (0.0, 32503680000.0)  # 1970-01-01 … 3000-01-01: dates a century on still fit a datetime


def _within_clock_range(timestamp: float) -> None:
    if not CLOCK_RANGE[0] <= timestamp < CLOCK_RANGE[1]:
        raise ValueError("the clock stays between 1970-01-01 and 3000-01-01")


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    plan = _runtime().faults
    if request.method == "POST":
        data = request.get_json(silent=True)
        replace = isinstance(data, dict) and bool(data.get("replace"))
        rules = data.get("rules") if isinstance(data, dict) and "rules" in data else data
        rules = [rules] if isinstance(rules, dict) else rules
        if not isinstance(rules, list):
            raise AdminError(400, "send a rule, a list of rules, or {\"rules\": [...], \"replace\": bool}")
        try:
            (plan.replace if replace else plan.add)(rules)
        except FaultPlanError as exc:
            raise AdminError(400, str(exc)) from exc
    elif request.method == "DELETE":
        plan.clear()
    return jsonify({"rules": plan.describe()})


@bp.route("/ratelimits", methods=["GET", "POST"])
def ratelimits() -> Response:
    limits = _runtime().limits
    if request.method == "POST":
        enabled = _body().get("enabled")
        if not isinstance(enabled, bool):
            raise AdminError(400, "send {\"enabled\": true|false}")
        limits.enabled = enabled
        limits.reset()
    return jsonify({"enabled": limits.enabled})


@bp.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    j = _runtime().journal
    if request.method == "DELETE":
        j.clear()
        return jsonify({"entries": []})
    a = request.args
    try:
        entries = j.find(
            system=a.get("system"), tenant=a.get("tenant") or a.get("realmId") or a.get("portalId"),
            method=a.get("method"), path=a.get("path"),
            status=int(a["status"]) if "status" in a else None,
            since=int(a.get("since", 0)), limit=int(a["limit"]) if "limit" in a else None,
        )
    except ValueError as exc:
        raise AdminError(400, "status, since and limit must be integers") from exc
    return jsonify({"entries": entries})


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks() -> tuple[Response, int] | Response:
    rt = _runtime()
    system = _system()
    if request.method == "POST":
        body = _body()
        tenant = body.get("realmId") or body.get("portalId") or body.get("tenant")
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise AdminError(400, "url must be an http(s) URL")
        if not tenant or rt.store.tenant(tenant) is None:
            raise AdminError(404, f"no tenant {tenant}")
        try:
            sub = system.subscribe(tenant, url, body)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from exc
        return jsonify(sub), 201
    return jsonify({"pending": rt.outbox.pending(), "deliveries": rt.outbox.log()})


@bp.post("/webhooks/deliver")
def deliver_webhooks() -> Response:
    return jsonify({"deliveries": _runtime().outbox.flush()})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
