"""HubSpot's HTTP surface: CRM v3 objects, search, properties, associations v3/v4, OAuth v1, settings users v3."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, redirect, request
from werkzeug.exceptions import HTTPException

from ..core import admin, jsonlimits, pipeline
from ..core.credentials import InvalidClient, InvalidGrant
from ..core.flaskapp import new_app
from ..core.runtime import Runtime
from . import account, catalog, errors, pipelines, properties
from .account import ALL_SCOPES, OAUTH_LIFETIMES
from .catalog import ObjectType
from .context import PortalContext
from .errors import HubSpotError
from .owners import Owners
from .portal import Portal
from .system import NAME, HubSpot, json_response
from .tenant import set_automated_sales_tax
from .users import Users, public, public_role
from .webhooks import AppWebhooks

MAX_BODY = 10 * 1024 * 1024

crm = Blueprint("hubspot_crm", __name__)
oauth = Blueprint("hubspot_oauth", __name__, url_prefix="/oauth/v1")
authorize_page = Blueprint("hubspot_authorize", __name__)  # app.hubspot.com/oauth/authorize
sim = Blueprint("hubspot_sim", __name__, url_prefix="/_sim/hubspot")  # admin routes of HubSpot alone (no auth)


def _rt() -> Runtime:
    return current_app.extensions["hsqbo.runtime"]


def _portal() -> Portal:
    return Portal(_rt(), request.environ["hsqbo.portal"])


def _context() -> PortalContext:
    """The portal alone, without its records' machinery: enough for the account and the Properties API."""
    return PortalContext(_rt(), request.environ["hsqbo.portal"])


def object_type(name: str) -> ObjectType:
    """The object type a path names (plural, singular or type id); HubSpot's 400 when none."""
    otype = catalog.resolve_type(name)
    if otype is None and isinstance(name, str) and name.strip().lower() in catalog.NOT_SIMULATED:
        raise errors.not_simulated(f"The object type {name}")
    if otype is None:
        raise errors.bad_request(f"Unable to infer object type from: {name}")
    return otype


def _body() -> object:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        return jsonlimits.loads(raw)
    except ValueError as exc:
        reason = getattr(exc, "msg", None) or str(exc)
        raise errors.bad_request(f"Invalid input JSON on line 1, column 1: {reason}") from exc


def _list_arg(name: str) -> list[str] | None:
    """Array query parameters arrive as repeated keys (the SDK) or comma-separated (the docs)."""
    values = [v for raw in request.args.getlist(name) for v in raw.split(",") if v]
    return values or None


def _bool_arg(name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError as exc:
        raise errors.bad_request(f"{name} must be an integer") from exc


def _done(portal: Portal, body: object, status: int = 200) -> Response:
    """The response of a write, once the webhook events it raised are queued."""
    _rt().systems["hubspot"].publish(portal.ctx.portal, portal.ctx.events)
    if status == 204:
        return Response(status=204)
    return json_response(body, status)


# -- objects ---------------------------------------------------------------------------------

@crm.get("/crm/v3/objects/<otype>")
def list_objects(otype: str) -> Response:
    t = object_type(otype)
    return json_response(_portal().records.page(t, _int_arg("limit", 10), request.args.get("after"),
                                                _list_arg("properties"), _list_arg("associations"),
                                                _bool_arg("archived"), _list_arg("propertiesWithHistory")))


@crm.post("/crm/v3/objects/<otype>")
def create_object(otype: str) -> Response:
    p = _portal()
    return _done(p, p.records.create(object_type(otype), _body()), 201)


@crm.get("/crm/v3/objects/<otype>/<object_id>")
def get_object(otype: str, object_id: str) -> Response:
    t = object_type(otype)
    return json_response(_portal().records.get(t, object_id, request.args.get("idProperty"),
                                               _list_arg("properties"), _list_arg("associations"),
                                               _bool_arg("archived"), _list_arg("propertiesWithHistory")))


@crm.patch("/crm/v3/objects/<otype>/<object_id>")
def update_object(otype: str, object_id: str) -> Response:
    p = _portal()
    return _done(p, p.records.update(object_type(otype), object_id, _body(), request.args.get("idProperty")))


@crm.delete("/crm/v3/objects/<otype>/<object_id>")
def archive_object(otype: str, object_id: str) -> Response:
    p = _portal()
    p.records.archive(object_type(otype), object_id)
    return _done(p, None, 204)


@crm.post("/crm/v3/objects/<otype>/batch/<action>")
def batch(otype: str, action: str) -> Response:
    p = _portal()
    status, body = p.records.batch(object_type(otype), action, _body())
    return _done(p, body, status)


@crm.post("/crm/v3/objects/<otype>/search")
def search(otype: str) -> Response:
    return json_response(_portal().records.search(object_type(otype), _body()))


@crm.post("/crm/v3/objects/<otype>/merge")
def merge(otype: str) -> Response:
    p = _portal()
    return _done(p, p.records.merge(object_type(otype), _body()))


@crm.post("/crm/v3/objects/contacts/gdpr-delete")
def gdpr_delete() -> Response:
    p = _portal()
    body = _body()
    if not isinstance(body, dict) or not body.get("objectId"):
        raise errors.bad_request("objectId is required")
    p.records.purge(object_type("contacts"), body["objectId"], body.get("idProperty"))
    return _done(p, None, 204)


# -- account information ---------------------------------------------------------------------------

@crm.get("/account-info/v3/details")
def account_details() -> Response:
    ctx = _context()
    return json_response(account.details(ctx.portal, ctx.settings, ctx.rt.clock.now()))


# -- properties -------------------------------------------------------------------------------

@crm.route("/crm/v3/properties/<otype>", methods=["GET", "POST"])
def property_list(otype: str) -> Response:
    p, t = _context(), object_type(otype)
    if request.method == "POST":
        return json_response(properties.create(p, t, _body()), 201)
    return json_response({"results": properties.list_all(p, t, _bool_arg("archived"))})


@crm.route("/crm/v3/properties/<otype>/groups", methods=["GET", "POST"])
def group_list(otype: str) -> Response:
    p, t = _context(), object_type(otype)
    if request.method == "POST":
        return json_response(properties.create_group(p, t, _body()), 201)
    return json_response({"results": properties.groups(p, t)})


@crm.route("/crm/v3/properties/<otype>/groups/<name>", methods=["GET", "PATCH", "DELETE"])
def group_one(otype: str, name: str) -> Response:
    p, t = _context(), object_type(otype)
    if request.method == "DELETE":
        properties.archive_group(p, t, name)
        return Response(status=204)
    if request.method == "PATCH":
        return json_response(properties.update_group(p, t, name, _body()))
    return json_response(properties.group(p, t, name))


@crm.post("/crm/v3/properties/<otype>/batch/<action>")
def property_batch(otype: str, action: str) -> Response:
    status, body = properties.batch(_context(), object_type(otype), action, _body(), _bool_arg("archived"))
    return Response(status=204) if status == 204 else json_response(body, status)


@crm.route("/crm/v3/properties/<otype>/<name>", methods=["GET", "PATCH", "DELETE"])
def property_one(otype: str, name: str) -> Response:
    p, t = _context(), object_type(otype)
    if request.method == "DELETE":
        properties.archive(p, t, name)
        return Response(status=204)
    if request.method == "PATCH":
        return json_response(properties.update(p, t, name, _body()))
    return json_response(properties.get(p, t, name, _bool_arg("archived")))


# -- associations v4 ---------------------------------------------------------------------------

@crm.get("/crm/v4/objects/<otype>/<object_id>/associations/<to_type>")
def associations_page(otype: str, object_id: str, to_type: str) -> Response:
    return json_response(_portal().associations.page(object_type(otype), object_id, object_type(to_type),
                                                     _int_arg("limit", 500), request.args.get("after")))


@crm.put("/crm/v4/objects/<otype>/<object_id>/associations/default/<to_type>/<to_id>")
def associate_default(otype: str, object_id: str, to_type: str, to_id: str) -> Response:
    p = _portal()
    f, t = object_type(otype), object_type(to_type)
    started = p.ctx.now()
    p.associations.associate(f, object_id, t, to_id, None)
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId":
            p.associations.default_type(f, t)}
    return _done(p, {"status": "COMPLETE", "results": [{"from": {"id": str(object_id)}, "to": {"id": str(to_id)},
                                                        "associationSpec": spec}],
                     "startedAt": started, "completedAt": p.ctx.now()})


@crm.route("/crm/v4/objects/<otype>/<object_id>/associations/<to_type>/<to_id>", methods=["PUT", "DELETE"])
def associate(otype: str, object_id: str, to_type: str, to_id: str) -> Response:
    p = _portal()
    f, t = object_type(otype), object_type(to_type)
    for value in (object_id, to_id):  # record ids are longs in HubSpot's API
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise errors.bad_request(f"Unable to parse \"{value}\" as a record id (a positive integer)")
    if request.method == "DELETE":
        p.associations.dissociate(f, object_id, t, to_id)
        return _done(p, None, 204)
    body = _body()
    if not isinstance(body, list):
        raise errors.bad_request("The body must be a list of {associationCategory, associationTypeId}")
    return _done(p, p.associations.associate(f, object_id, t, to_id, body), 201)


@crm.post("/crm/v4/associations/<otype>/<to_type>/batch/<path:action>")
def associations_batch(otype: str, to_type: str, action: str) -> Response:
    p = _portal()
    status, body = p.associations.batch(object_type(otype), object_type(to_type), action, _body())
    return _done(p, body, status)


@crm.route("/crm/v4/associations/<otype>/<to_type>/labels", methods=["GET", "POST", "PUT"])
def labels(otype: str, to_type: str) -> Response:
    p = _portal()
    f, t = object_type(otype), object_type(to_type)
    if request.method == "POST":
        return json_response(p.associations.create_label(f, t, _body()), 200)
    if request.method == "PUT":
        p.associations.update_label(f, t, _body())
        return Response(status=204)
    return json_response({"results": p.associations.labels(f, t)})


@crm.delete("/crm/v4/associations/<otype>/<to_type>/labels/<type_id>")
def delete_label(otype: str, to_type: str, type_id: str) -> Response:
    p = _portal()
    p.associations.delete_label(object_type(otype), object_type(to_type), type_id)
    return Response(status=204)


@crm.post("/crm/v3/associations/<otype>/<to_type>/batch/<action>")
def associations_v3_batch(otype: str, to_type: str, action: str) -> Response:
    p = _portal()
    status, body = p.associations.batch_v3(object_type(otype), object_type(to_type), action, _body())
    return _done(p, body, status)


# -- Webhooks v3 (the app's settings and subscriptions) -------------------------------------------

@crm.route("/webhooks/v3/<app_id>/settings", methods=["GET", "PUT", "DELETE"])
def webhook_settings(app_id: str) -> Response:
    hooks = AppWebhooks(_rt(), app_id)
    if request.method == "DELETE":
        hooks.clear()
        return Response(status=204)
    if request.method == "PUT":
        return json_response(hooks.configure(_body()))
    return json_response(hooks.settings())


@crm.route("/webhooks/v3/<app_id>/subscriptions", methods=["GET", "POST"])
def webhook_subscriptions(app_id: str) -> Response:
    hooks = AppWebhooks(_rt(), app_id)
    if request.method == "POST":
        return json_response(hooks.subscribe(_body()), 201)
    return json_response({"results": hooks.subscriptions()})


@crm.route("/webhooks/v3/<app_id>/subscriptions/<sub_id>", methods=["GET", "PATCH", "DELETE"])
def webhook_subscription(app_id: str, sub_id: str) -> Response:
    hooks = AppWebhooks(_rt(), app_id)
    if request.method == "DELETE":
        hooks.unsubscribe(sub_id)
        return Response(status=204)
    if request.method == "PATCH":
        return json_response(hooks.update(sub_id, _body()))
    return json_response(hooks.subscription(sub_id))


# -- Settings users v3 (user provisioning: users, roles, teams) ---------------------------------------

@crm.route("/settings/v3/users/", methods=["GET", "POST"], strict_slashes=False)
def user_list() -> Response:
    users = Users(_context())
    if request.method == "POST":
        return json_response(users.create(_body()), 201)
    return json_response(users.page(_int_arg("limit", 100), request.args.get("after")))


@crm.get("/settings/v3/users/roles")
def user_roles() -> Response:
    return json_response({"results": [public_role(r) for r in Users(_context()).roles()]})


@crm.get("/settings/v3/users/teams")
def user_teams() -> Response:
    return json_response({"results": Users(_context()).teams()})


@crm.route("/settings/v3/users/<user_id>", methods=["GET", "PUT", "DELETE"])
def user_one(user_id: str) -> Response:
    users, id_property = Users(_context()), request.args.get("idProperty")
    if request.method == "DELETE":
        users.remove(user_id, id_property)
        return Response(status=204)
    if request.method == "PUT":
        return json_response(users.update(user_id, _body(), id_property))
    return json_response(public(users.get(user_id, id_property)))


# -- OAuth v1 ------------------------------------------------------------------------------------

@authorize_page.get("/oauth/authorize")
def authorize() -> Response:
    """The install screen, answered at once: redirect back with a code for the app's portal.

    Tokens from the code carry the scopes asked for (``scope`` and any known ``optional_scope``). The portal's
    signed-in user (users.py) must be a Super Admin or hold App Marketplace Access (rule A5), else HubSpot's error page.
    """
    args = request.args
    redirect_uri = args.get("redirect_uri", "")
    scopes = args.get("scope", "").split()
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if not redirect_uri or not scopes or unknown:
        message = f"Unknown scopes: {', '.join(unknown)}" if unknown else "redirect_uri and scope are required"
        return _oauth_refusal("BAD_REQUEST", message)
    optional = [s for s in args.get("optional_scope", "").split() if s in ALL_SCOPES]
    portal = _app_portal(args.get("client_id", ""))
    if portal is None:
        return _oauth_refusal("BAD_CLIENT_ID", "missing or unknown client id")
    users = Users(PortalContext(_rt(), portal))
    user_id, user = users.signed_in()
    if user is None or not users.may_install(user):  # rule A5: no code, HubSpot's own error page
        return _install_refused(portal, user_id, user)
    try:
        # the installing user: the token info endpoint names them (user, user_id)
        granted = {"kind": "oauth", "scopes": sorted(set(scopes + optional)), "user": user["email"],
                   "user_id": int(user_id)}
        issued = _rt().credentials.issue_code(args.get("client_id", ""), redirect_uri, granted, prefix="na1-",
                                              system=NAME)
    except InvalidClient:
        return _oauth_refusal("BAD_CLIENT_ID", "missing or unknown client id")
    query = {"code": issued["code"], **({"state": args["state"]} if "state" in args else {})}
    return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}")


def _app_portal(client_id: str) -> str | None:
    """The portal whose app ``client_id`` is (each portal's OAuth app installs on it), None when none."""
    app = _rt().store.credential(client_id) if client_id else None
    if app is None or app["kind"] != "client":
        return None
    tenant = _rt().store.tenant(app["tenant_id"])
    return app["tenant_id"] if tenant is not None and tenant["system"] == NAME else None


INSTALL_REFUSED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Permission required | HubSpot</title></head>
<!-- hsqbo: rule A5. Installing an app takes a Super Admin or a user with App Marketplace Access. -->
<body data-rule="A5" data-error="MISSING_INSTALL_PERMISSION">
<h1>You don't have permission to install this app</h1>
<p>{who} in HubSpot account {portal}. To install apps, you need to be a <strong>Super Admin</strong> or have
<strong>App Marketplace Access</strong> permissions. Ask a Super Admin of this account to install the app, or to give
you App Marketplace Access.</p>
</body></html>
"""


def _install_refused(portal: str, user_id: str, user: dict | None) -> Response:
    """What the browser shows a signed-in user who may not install apps: HubSpot's page, not a redirect (the
    HubSpot community reports the install dying on HubSpot's own error screen; see docs/decisions.md, A5)."""
    who = (f"You are signed in as {escape(user['email'])}, who is neither a Super Admin nor has App Marketplace "
           "Access" if user is not None else f"The signed-in user ({escape(user_id)}) is no longer a user")
    return Response(INSTALL_REFUSED.format(who=who, portal=escape(portal)), status=403, mimetype="text/html")


def _oauth_refusal(status: str, message: str) -> Response:
    return json_response({"status": status, "message": message, "correlationId": errors.correlation_id()}, 400)


@oauth.post("/token")
def token() -> Response:
    form = request.form
    creds = _rt().credentials
    try:
        app = creds.check_client(form.get("client_id", ""), form.get("client_secret", ""), system=NAME)
    except InvalidClient:
        return _oauth_refusal("BAD_CLIENT_ID", "missing or unknown client id")
    grant = form.get("grant_type")
    if grant == "authorization_code":
        code = form.get("code", "")
        pending = _rt().store.credential(code)
        if pending is not None and pending["kind"] == "code" and \
                (pending["extra"] or {}).get("redirect_uri") != form.get("redirect_uri"):
            return _oauth_refusal("BAD_REDIRECT_URI", "redirect_uri does not match the one used to authorize")
        try:
            issued = creds.redeem_code(app["client_id"], code, form.get("redirect_uri"), OAUTH_LIFETIMES, system=NAME)
        except InvalidGrant:
            return _oauth_refusal("BAD_AUTH_CODE", "missing or unknown auth code")
    elif grant == "refresh_token":
        try:
            issued = creds.refresh(app["client_id"], form.get("refresh_token", ""), OAUTH_LIFETIMES, rotate=False,
                                   system=NAME)
        except InvalidGrant:
            return _oauth_refusal("BAD_REFRESH_TOKEN", "missing or invalid refresh token")
    else:
        return _oauth_refusal("BAD_GRANT_TYPE", "grant_type must be refresh_token or authorization_code")
    issued.pop("x_refresh_token_expires_in", None)
    return json_response({"token_type": "bearer", **issued})


@oauth.get("/access-tokens/<path:access_token>")
def token_info(access_token: str) -> Response:
    rt = _rt()
    check = rt.credentials.check(access_token, system=NAME)
    if check.status != "ok":
        return json_response({"status": "error", "message": "The access token is expired or invalid",
                              "correlationId": errors.correlation_id(), "category": "EXPIRED_AUTHENTICATION"}, 401)
    cred = rt.store.credential(access_token)
    expires = int((cred["expires_at"] or rt.clock.timestamp()) - rt.clock.timestamp())
    extra = check.extra or {}
    if "user" not in extra:  # a token not issued by an install (the seeded grant): the portal's owner installed it
        owner = Users(PortalContext(rt, check.tenant_id)).all()[0]
        extra = {**extra, "user": owner["email"], "user_id": int(owner["id"])}
    return json_response({"token": access_token, "user": extra["user"], "hub_domain": "example.com",
                          "scopes": extra.get("scopes", []), "hub_id": int(check.tenant_id),
                          "app_id": int(rt.store.tenant(check.tenant_id)["settings"]["app"]["appId"]),
                          "expires_in": expires, "user_id": extra["user_id"], "token_type": "access"})


@oauth.route("/refresh-tokens/<path:refresh_token>", methods=["GET", "DELETE"])
def refresh_token_info(refresh_token: str) -> Response:
    rt = _rt()
    cred = rt.credentials.refresh_token(refresh_token, system=NAME)  # a QBO token is not found here
    if cred is None:
        return json_response({"status": "error", "message": "refresh token not found",
                              "correlationId": errors.correlation_id(), "category": "OBJECT_NOT_FOUND"}, 404)
    if request.method == "DELETE":
        rt.credentials.revoke(refresh_token, system=NAME)
        return Response(status=204)
    return json_response({"token": refresh_token, "user": "sandbox@example.com", "hub_domain": "example.com",
                          "scopes": (cred["extra"] or {}).get("scopes", []), "hub_id": int(cred["tenant_id"]),
                          "client_id": cred["client_id"], "user_id": 1, "token_type": "refresh"})


# -- pipelines and owners ---------------------------------------------------------------------------

def _pipelines(otype: str) -> pipelines.Pipelines:
    return pipelines.Pipelines(_context(), pipelines.object_type_name(otype))


@crm.route("/crm/v3/pipelines/<otype>", methods=["GET", "POST"])
def pipeline_list(otype: str) -> Response:
    p = _pipelines(otype)
    if request.method == "POST":
        return json_response(p.create(_body()), 201)
    return json_response({"results": p.all(_bool_arg("archived"))})


@crm.route("/crm/v3/pipelines/<otype>/<pipeline_id>", methods=["GET", "PATCH", "PUT", "DELETE"])
def pipeline_one(otype: str, pipeline_id: str) -> Response:
    p = _pipelines(otype)
    if request.method == "GET":
        return json_response(p.get(pipeline_id))
    if request.method == "DELETE":
        p.archive(pipeline_id)
        return Response(status=204)
    return json_response(p.update(pipeline_id, _body(), replace=request.method == "PUT"))


@crm.route("/crm/v3/pipelines/<otype>/<pipeline_id>/stages", methods=["GET", "POST"])
def stage_list(otype: str, pipeline_id: str) -> Response:
    p = _pipelines(otype)
    if request.method == "POST":
        return json_response(p.create_stage(pipeline_id, _body()), 201)
    return json_response({"results": p.get(pipeline_id)["stages"]})


@crm.route("/crm/v3/pipelines/<otype>/<pipeline_id>/stages/<stage_id>", methods=["GET", "PATCH", "PUT", "DELETE"])
def stage_one(otype: str, pipeline_id: str, stage_id: str) -> Response:
    p = _pipelines(otype)
    if request.method == "GET":
        return json_response(p.stage(pipeline_id, stage_id))
    if request.method == "DELETE":
        p.archive_stage(pipeline_id, stage_id)
        return Response(status=204)
    return json_response(p.update_stage(pipeline_id, stage_id, _body(), replace=request.method == "PUT"))


@crm.get("/crm/v3/owners/", strict_slashes=False)
def owner_list() -> Response:
    return json_response(Owners(_context()).page(request.args.get("email"), _int_arg("limit", 100),
                                                 request.args.get("after"), _bool_arg("archived")))


@crm.get("/crm/v3/owners/<owner_id>")
def owner_one(owner_id: str) -> Response:
    return json_response(Owners(_context()).get(owner_id, request.args.get("idProperty", "id"),
                                                _bool_arg("archived")))


# -- simulator-only admin routes --------------------------------------------------------------------

@sim.post("/<portal>/automated-sales-tax")
def automated_sales_tax(portal: str) -> Response:
    """A Super Admin opts the account into the automated sales tax beta, or out of it (rule F4), in HubSpot's
    settings: no public API does it. Body: ``{"enabled": true | false}``."""
    rt = _rt()
    tenant = rt.store.tenant(portal)
    if tenant is None or tenant["system"] != current_app.extensions["hsqbo.system"].name:
        return json_response({"error": f"no tenant {portal}"}, 404)
    body = request.get_json(silent=True)
    enabled = body.get("enabled") if isinstance(body, dict) else None
    if not isinstance(enabled, bool):
        return json_response({"error": 'expected {"enabled": true} or {"enabled": false}'}, 400)
    set_automated_sales_tax(rt, portal, enabled)
    return json_response({"portalId": portal, "automatedSalesTax": enabled})


@sim.post("/<portal>/owners")
def add_owner(portal: str) -> Response:
    """A user added to the portal in HubSpot's settings (no public API does it): it becomes an owner. Body:
    ``{"email", "firstName", "lastName", "archived"?, "teams"?}``."""
    tenant = _rt().store.tenant(portal)
    if tenant is None or tenant["system"] != current_app.extensions["hsqbo.system"].name:
        return json_response({"error": f"no tenant {portal}"}, 404)
    return json_response(Owners(PortalContext(_rt(), portal)).add(request.get_json(silent=True)), 201)


@sim.patch("/<portal>/owners/<owner_id>")
def change_owner(portal: str, owner_id: str) -> Response:
    """A user deactivated or reactivated (``{"archived": true | false}``)."""
    tenant = _rt().store.tenant(portal)
    if tenant is None or tenant["system"] != current_app.extensions["hsqbo.system"].name:
        return json_response({"error": f"no tenant {portal}"}, 404)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("archived"), bool):
        return json_response({"error": 'expected {"archived": true} or {"archived": false}'}, 400)
    return json_response(Owners(PortalContext(_rt(), portal)).set_archived(owner_id, body["archived"]))


def _sim_users(portal: str) -> Users | Response:
    """The users of a portal of this simulator, or the admin API's 404."""
    tenant = _rt().store.tenant(portal)
    if tenant is None or tenant["system"] != current_app.extensions["hsqbo.system"].name:
        return json_response({"error": f"no tenant {portal}"}, 404)
    return Users(PortalContext(_rt(), portal))


def _sim_refusal(err: HubSpotError) -> Response:
    return json_response({"error": err.body.get("message", "")}, err.status)


@sim.route("/<portal>/signed-in-user", methods=["GET", "POST"])
def signed_in_user(portal: str) -> Response:
    """Who the simulated browser is signed in as, for the install screen (rule A5): the account owner, a Super
    Admin, until set. Body: ``{"userId": "…"}`` or ``{"email": "…"}``."""
    users = _sim_users(portal)
    if isinstance(users, Response):
        return users
    if request.method == "GET":
        user_id, user = users.signed_in()
        if user is None:
            return json_response({"error": f"the signed-in user {user_id} is no longer a user"}, 404)
        return json_response(users.permissions(user))
    body = request.get_json(silent=True)
    key = (body.get("userId") or body.get("email")) if isinstance(body, dict) else None
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key):
        return json_response({"error": 'expected {"userId": "<id>"} or {"email": "<email>"}'}, 400)
    try:
        return json_response(users.sign_in(str(key)))
    except HubSpotError as err:
        return _sim_refusal(err)


@sim.get("/<portal>/roles")
def sim_roles(portal: str) -> Response:
    """The portal's roles with the permission each holds (the roles API leaves it out)."""
    users = _sim_users(portal)
    return users if isinstance(users, Response) else json_response({"results": users.roles()})


@sim.post("/<portal>/roles/<role_id>/permissions")
def role_permissions(portal: str, role_id: str) -> Response:
    """Grant or revoke App Marketplace Access for a role: ``{"appMarketplaceAccess": true | false}``."""
    users = _sim_users(portal)
    if isinstance(users, Response):
        return users
    body = request.get_json(silent=True)
    granted = body.get("appMarketplaceAccess") if isinstance(body, dict) else None
    if not isinstance(granted, bool):
        return json_response({"error": 'expected {"appMarketplaceAccess": true} or {"appMarketplaceAccess": false}'},
                             400)
    try:
        return json_response(users.set_role_permission(role_id, granted))
    except HubSpotError as err:
        return _sim_refusal(err)


@sim.route("/<portal>/users/<user>/permissions", methods=["GET", "POST"])
def user_permissions(portal: str, user: str) -> Response:
    """A user's permissions (``user``: an id or an email). Body: ``{"appMarketplaceAccess": true | false | null}``
    (null: as the user's roles say) and/or ``{"superAdmin": true | false}``."""
    users = _sim_users(portal)
    if isinstance(users, Response):
        return users
    try:
        if request.method == "GET":
            return json_response(users.permissions(users.get(user, "EMAIL" if "@" in user else None)))
        body = request.get_json(silent=True)
        ok = isinstance(body, dict) and body and set(body) <= {"appMarketplaceAccess", "superAdmin"} \
            and (body.get("appMarketplaceAccess") is None or isinstance(body["appMarketplaceAccess"], bool)) \
            and ("superAdmin" not in body or isinstance(body["superAdmin"], bool))
        if not ok:
            return json_response({"error": 'expected {"appMarketplaceAccess": true | false | null} and/or '
                                           '{"superAdmin": true | false}'}, 400)
        return json_response(users.set_user_permissions(user, body))
    except HubSpotError as err:
        return _sim_refusal(err)


# -- the app -------------------------------------------------------------------------------------

def create_app(runtime: Runtime) -> Flask:
    """The HubSpot simulator's Flask app, sharing ``runtime`` with the QBO simulator."""
    app = new_app("hsqbo.hubspot")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    pipeline.install(app, runtime, HubSpot(runtime))
    admin.register(app)
    app.register_blueprint(crm)
    app.register_blueprint(oauth)
    app.register_blueprint(authorize_page)
    app.register_blueprint(sim)

    @app.errorhandler(HubSpotError)
    def _refused(err: HubSpotError) -> Response:
        return json_response(err.body, err.status, err.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if request.path.startswith("/_sim"):
            return json_response({"error": exc.description}, exc.code or 500)
        if exc.code == 413:
            err = errors.bad_request(f"Request body larger than {MAX_BODY} bytes")
            return json_response(err.body, 413)
        if exc.code in (404, 405):
            err = errors.resource_not_found()
        else:
            err = errors.internal(exc.code or 500)
        return json_response(err.body, err.status)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        app.logger.exception("unexpected error")
        return json_response(errors.internal(500).body, 500)

    return app
