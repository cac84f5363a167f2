"""QBO's HTTP surface: parse requests, call the company's rules, serialise QBO's envelopes."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, redirect, request
from werkzeug.exceptions import HTTPException

from ..core import admin, idempotency, jsonlimits, pipeline
from ..core.credentials import InvalidClient, InvalidGrant
from ..core.flaskapp import new_app
from ..core.runtime import Runtime
from . import bookkeeping, errors, recurring, reports
from .company import Company
from .entities import NOT_SIMULATED, TYPES, EntityType, lookup
from .errors import QBOError
from .query import QueryError
from .system import LIFETIMES, NAME, STRICT_ROTATION, QuickBooks, json_response
from .tasks import TaskManagerUnavailable, edition, open_tasks
from .transactions import invoice_link, suggested_doc_number

MAX_BODY = 10 * 1024 * 1024
MAX_BATCH = 30
INTUIT_HOSTS = ("developer.intuit.com",)  # in-process interception of the real discovery URL

oauth = Blueprint("qbo_oauth", __name__)
v3 = Blueprint("qbo_v3", __name__, url_prefix="/v3/company/<realm>")
sim = Blueprint("qbo_sim", __name__, url_prefix="/_sim/quickbooks")  # admin routes of QBO alone (no auth)


def _qb() -> QuickBooks:
    return current_app.extensions["hsqbo.system"]


def _rt() -> Runtime:
    return current_app.extensions["hsqbo.runtime"]


# -- OAuth 2.0 and OpenID discovery, as Intuit serves them -------------------------------------------

def _discovery() -> Response:
    if request.host in INTUIT_HOSTS:
        base = {"auth": "https://appcenter.intuit.com/connect/oauth2",
                "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
                "revoke": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
                "userinfo": "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
                "jwks": "https://oauth.platform.intuit.com/op/v1/jwks"}
    else:
        root = request.host_url.rstrip("/")
        base = {"auth": f"{root}/connect/oauth2", "token": f"{root}/oauth2/v1/tokens/bearer",
                "revoke": f"{root}/v2/oauth2/tokens/revoke", "userinfo": f"{root}/v1/openid_connect/userinfo",
                "jwks": f"{root}/op/v1/jwks"}
    return json_response({
        "issuer": "https://oauth.platform.intuit.com/op/v1",
        "authorization_endpoint": base["auth"], "token_endpoint": base["token"],
        "userinfo_endpoint": base["userinfo"], "revocation_endpoint": base["revoke"], "jwks_uri": base["jwks"],
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", "com.intuit.quickbooks.accounting",
                             "com.intuit.quickbooks.payment"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    })


for _path in ("/.well-known/openid_sandbox_configuration", "/.well-known/openid_configuration"):
    oauth.add_url_rule(_path, _path.rsplit("/", 1)[-1], _discovery, strict_slashes=False)


def _oauth_error(error: str, status: int = 400) -> Response:
    return json_response({"error": error}, status)


def _client_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        except ValueError:
            return None
    if request.form.get("client_id"):
        return request.form["client_id"], request.form.get("client_secret", "")
    return None


@oauth.post("/oauth2/v1/tokens/bearer")
def token() -> Response:
    creds = _client_credentials()
    if creds is None:
        return _oauth_error("invalid_client", 401)
    credentials = _rt().credentials
    try:
        credentials.check_client(*creds, system=NAME)
    except InvalidClient:
        return _oauth_error("invalid_client", 401)
    grant = request.form.get("grant_type")
    try:
        if grant == "refresh_token":
            refresh_token = request.form.get("refresh_token", "")
            issued = credentials.refresh(creds[0], refresh_token, LIFETIMES, system=NAME,
                                         rotate_every=_strict_rotation(refresh_token))
        elif grant == "authorization_code":
            issued = credentials.redeem_code(creds[0], request.form.get("code", ""), None, LIFETIMES, system=NAME)
        else:
            return _oauth_error("unsupported_grant_type")
    except InvalidGrant:
        return _oauth_error("invalid_grant")
    return json_response({"token_type": "bearer", **issued})


def _strict_rotation(refresh_token: str) -> bool:
    """Whether the refresh token's company asked for a new refresh-token value on every refresh."""
    cred = _rt().credentials.refresh_token(refresh_token, system=NAME)
    tenant = _rt().store.tenant(cred["tenant_id"]) if cred else None
    return bool(tenant and tenant["settings"].get(STRICT_ROTATION))


@oauth.get("/connect/oauth2")
def authorize() -> Response:
    """The consent screen, answered at once: redirect back with a code for the app's realm."""
    redirect_uri = request.args.get("redirect_uri")
    if not redirect_uri:
        return _oauth_error("invalid_request")
    try:
        issued = _rt().credentials.issue_code(request.args.get("client_id", ""), redirect_uri, system=NAME)
    except InvalidClient:
        return _oauth_error("invalid_request")
    query = {"code": issued["code"], "realmId": issued["tenant_id"]}
    if request.args.get("state"):
        query["state"] = request.args["state"]
    return redirect(f"{redirect_uri}?{urlencode(query)}")


@oauth.post("/v2/oauth2/tokens/revoke")
def revoke() -> Response:
    """Intuit's revoke endpoint authenticates the app (Basic auth, as intuit-oauth sends it): an app revokes
    its own tokens only."""
    creds = _client_credentials()
    if creds is None:
        return _oauth_error("invalid_client", 401)
    try:
        _rt().credentials.check_client(*creds, system=NAME)
    except InvalidClient:
        return _oauth_error("invalid_client", 401)
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else request.form.get("token")
    if not isinstance(token, str) or not token:
        return _oauth_error("invalid_request")
    _rt().credentials.revoke(token, system=NAME, client_id=creds[0])
    return Response(status=200)


@oauth.get("/v1/openid_connect/userinfo")
def userinfo() -> Response:
    header = request.headers.get("Authorization", "")
    check = _rt().credentials.check(header[7:] if header.lower().startswith("bearer ") else None, system=NAME)
    if check.status != "ok":
        return _oauth_error("invalid_token", 401)
    return json_response({"sub": check.client_id, "email": "sandbox@example.com", "emailVerified": True,
                          "givenName": "Sandbox", "familyName": "User"})


# -- the v3 API ----------------------------------------------------------------------------------

def _company(realm: str) -> Company:
    return Company(_rt(), realm)


def _ok(co: Company, payload: dict) -> Response:
    return json_response({**payload, "time": co.envelope_time()})


def _fault(err: QBOError, co: Company | None = None) -> Response:
    time = co.envelope_time() if co else datetime.now().astimezone().isoformat()
    return json_response({"Fault": err.fault(), "time": time}, err.status)


def _json_body() -> object:
    raw = request.get_data()
    try:
        return jsonlimits.loads(raw) if raw else None
    except ValueError as exc:
        raise errors.malformed_body() from exc


def _entity_body() -> dict:
    body = _json_body()
    if not isinstance(body, dict):
        raise errors.malformed_body()
    return body


def _options() -> frozenset[str]:
    return frozenset(o.strip().lower() for o in request.args.get("include", "").split(",") if o.strip())


def _entity(name: str) -> EntityType:
    etype = lookup(name)
    if etype is None:
        if name.lower() in NOT_SIMULATED:
            raise errors.not_simulated(name)
        raise _no_route()
    return etype


def _no_route() -> QBOError:
    return errors.unsupported_operation(
        f"No resource method found for {request.method}, return 405 with Allow header")


def _write(realm: str, action: Callable[[Company], dict]) -> Response:
    """One write; with QBO's ``requestid``, once: the same id answers the first success again without writing
    again (core/idempotency.py; a Fault is not kept, so a retry runs again)."""
    request_id = request.args.get("requestid")
    if not request_id:
        response, events = _written(realm, action)
        _qb().publish(realm, events)
        return response

    def run() -> idempotency.Answer:
        response, events = _written(realm, action)
        return idempotency.Answer(response.status_code, response.get_data(as_text=True),
                                  keep=response.status_code == 200,
                                  after_commit=[lambda: _qb().publish(realm, events)])

    answer = idempotency.once(_rt().store, realm, idempotency.key(request_id), _rt().clock.timestamp(), run)
    return Response(answer.body, status=answer.status, mimetype="application/json")


def _written(realm: str, action: Callable[[Company], dict]) -> tuple[Response, list[dict]]:
    """The response to ``action`` and the webhook events it made (to publish once it is committed)."""
    co = _company(realm)
    try:
        payload = action(co)
    except QBOError as err:
        return _fault(err, co), []
    return _ok(co, payload), co.events


@v3.errorhandler(QBOError)
def _qbo_error(err: QBOError) -> Response:
    return _fault(err)


@v3.post("/<name>")
def write(realm: str, name: str) -> Response:
    if name.lower() == "preferences":
        body = _entity_body()
        return _write(realm, lambda co: {"Preferences": co.update_preferences(body)})
    etype = _entity(name)
    body = _entity_body()
    operation = request.args.get("operation", "").lower()
    options = _options()
    if etype.name == recurring.KIND:
        if operation not in ("", "create", "update", "delete"):
            raise errors.unsupported_operation(operation)
        return _write(realm, lambda co: {recurring.KIND: recurring.write(co, body, operation)})

    def act(co: Company) -> dict:
        if operation == "delete":
            return {etype.json_key: co.delete(etype, body)}
        if operation == "void" or (operation == "update" and "void" in options):
            if operation == "void" and etype.void != "operation":
                raise errors.unsupported_operation("void")
            if operation == "update" and etype.void != "include":
                raise errors.unsupported_operation("void")
            return {etype.json_key: co.void(etype, body)}
        if operation not in ("", "create", "update"):
            raise errors.unsupported_operation(operation)
        if body.get("Id") not in (None, ""):
            return {etype.json_key: co.present(etype, [co.update(etype, body, options)])[0]}
        return {etype.json_key: co.present(etype, [co.create(etype, body, options)])[0]}

    return _write(realm, act)


@v3.get("/<name>/<entity_id>")
def read(realm: str, name: str, entity_id: str) -> Response:
    co = _company(realm)
    if name.lower() == "companyinfo":
        return _ok(co, {"CompanyInfo": co.read(TYPES["CompanyInfo"], 1)})
    etype = _entity(name)
    data = co.present(etype, [co.read(etype, entity_id)])[0]
    if etype.name == "Invoice" and "invoicelink" in _options():
        link = invoice_link(co, data)
        if link:
            data = {**data, "InvoiceLink": link}
    return _ok(co, {etype.json_key: data})


@v3.get("/preferences")
def preferences(realm: str) -> Response:
    co = _company(realm)
    return _ok(co, {"Preferences": co.read(TYPES["Preferences"], 1)})


@v3.post("/<name>/<entity_id>/send")
def send(realm: str, name: str, entity_id: str) -> Response:
    etype = _entity(name)
    if etype.name not in ("Invoice", "Estimate", "SalesReceipt", "CreditMemo"):
        raise _no_route()
    to = request.args.get("sendTo")

    def act(co: Company) -> dict:
        current = co.read(etype, entity_id)
        address = to or (current.get("BillEmail") or {}).get("Address")
        if not address:
            raise QBOError("6420", "Email Address required",
                           "Business Validation Error: Please specify an email address.", "BillEmail")
        data = dict(current, EmailStatus="EmailSent", BillEmail={"Address": address},
                    DeliveryInfo={"DeliveryType": "Email", "DeliveryTime": co.stamp()})
        with co.store.transaction():
            co.touch(etype, data)
        co.events[-1]["operation"] = "Emailed"
        return {etype.name: data}

    return _write(realm, act)


@v3.get("/exchangerate")
def exchange_rate(realm: str) -> Response:
    """A multi-currency company's rate from ``sourcecurrencycode`` to its home currency."""
    co = _company(realm)
    code = request.args.get("sourcecurrencycode", "").upper()
    for row in co.store.select(realm, "ExchangeRate"):
        if row.data.get("SourceCurrencyCode") == code:
            return _ok(co, {"ExchangeRate": row.data})
    return _fault(errors.object_not_found("ExchangeRate", code), co)


@v3.route("/query", methods=["GET", "POST"])
def run_query(realm: str) -> Response:
    statement = request.args.get("query") if request.method == "GET" else request.get_data(as_text=True)
    co = _company(realm)
    if not statement:
        return _fault(QBOError("4000", "Error parsing query", "QueryParserError: Encountered \"<EOF>\" at line 1, "
                               "column 1."), co)
    try:
        return _ok(co, {"QueryResponse": co.query(statement)})
    except QueryError as err:
        unknown = err.detail.rpartition("invalid context declaration: ")[2].strip().lower()
        if unknown in NOT_SIMULATED:
            return _fault(errors.not_simulated(unknown), co)
        return _fault(QBOError(err.code, err.message, err.detail), co)


@v3.get("/cdc")
def cdc(realm: str) -> Response:
    co = _company(realm)
    names = [n.strip() for n in request.args.get("entities", "").split(",") if n.strip()]
    since = request.args.get("changedSince", "")
    if not names:
        return _fault(errors.required("entities"), co)
    try:
        changed = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return _fault(QBOError("2060", "Invalid Date", f"Invalid date format for changedSince: {since}",
                               "changedSince"), co)
    canonical = []
    for n in names:
        etype = lookup(n)
        if etype is None:
            return _fault(errors.not_simulated(n) if n.lower() in NOT_SIMULATED else errors.unknown_resource(n), co)
        canonical.append(etype.name)
    return _ok(co, {"CDCResponse": [{"QueryResponse": co.cdc(canonical, changed)}]})


@v3.post("/batch")
def batch(realm: str) -> Response:
    body = _entity_body()
    items = body.get("BatchItemRequest")
    if not isinstance(items, list):
        raise errors.required("BatchItemRequest")
    if len(items) > MAX_BATCH:
        raise errors.batch_too_big(len(items), MAX_BATCH)
    co = _company(realm)
    request_id = request.args.get("requestid")
    if not request_id:
        responses = [_batch_item(co, item) for item in items]
        _qb().publish(realm, co.events)
        return _ok(co, {"BatchItemResponse": responses})
    # With a requestid, each item is a write of its own, once: its answer is saved in its transaction, so a
    # retried batch (after a lost answer or a crash mid-batch) answers the items already done and runs the rest.
    events: list[dict] = []
    responses = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and "Query" in item:
            responses.append(_batch_item(co, item))
            continue

        def run(item: object = item) -> idempotency.Answer:
            item_co = _company(realm)
            out = _batch_item(item_co, item)
            return idempotency.Answer(200, json.dumps(out), keep="Fault" not in out,
                                      after_commit=[lambda: events.extend(item_co.events)])

        answer = idempotency.once(_rt().store, realm, idempotency.key(request_id, str(index)),
                                  _rt().clock.timestamp(), run)
        responses.append(json.loads(answer.body))
    _qb().publish(realm, events)
    return _ok(co, {"BatchItemResponse": responses})


def _batch_item(co: Company, item: object) -> dict:
    if not isinstance(item, dict):
        return {"Fault": errors.malformed_body().fault()}
    bid = item.get("bId")
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": co.query(str(item["Query"]))}
        operation = str(item.get("operation", "")).lower()
        names = [k for k in item if k not in ("bId", "operation", "optionsData")]
        if len(names) != 1:
            raise errors.malformed_body()
        etype = _entity(names[0])
        body = item[names[0]]
        if not isinstance(body, dict):
            raise errors.malformed_body()
        if operation == "create":
            result = co.create(etype, body)
        elif operation == "update" and str(item.get("optionsData", "")).lower() == "void":
            result = co.void(etype, body)
        elif operation == "update":
            result = co.update(etype, body)
        elif operation == "delete":
            result = co.delete(etype, body)
        else:
            raise errors.unsupported_operation(operation or "(none)")
        return {"bId": bid, etype.json_key: result}
    except QueryError as err:
        return {"bId": bid, "Fault": QBOError(err.code, err.message, err.detail).fault()}
    except QBOError as err:
        return {"bId": bid, "Fault": err.fault()}


@v3.get("/<name>/<entity_id>/pdf")
def pdf(realm: str, name: str, entity_id: str) -> Response:
    raise errors.not_simulated(f"{name} PDF")


@v3.get("/reports/<name>")
def report(realm: str, name: str) -> Response:
    co = _company(realm)
    built = reports.run(co, name, {k: v for k, v in request.args.items() if k != "minorversion"})
    if built is None:
        raise errors.not_simulated(f"report {name}")
    return json_response(built)


@v3.post("/upload")
def upload(realm: str) -> Response:
    """Attachments as QBO's upload endpoint takes them: multipart parts ``file_metadata_NN`` (an Attachable as JSON)
    and ``file_content_NN`` (the file; base64 when its part says ``Content-Transfer-Encoding: base64``)."""
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype != "multipart/form-data" or not boundary:
        raise errors.malformed_body()
    parts = _multipart(request.get_data(), boundary)
    uploads = sorted(name for name in parts if name.startswith("file_content_"))
    if not uploads:
        raise errors.required("file_content_01")

    def act(co: Company) -> dict:
        answers = []
        for name in uploads:
            headers, content, filename = parts[name]
            meta_part = parts.get(name.replace("content", "metadata"))
            try:
                meta = jsonlimits.loads(meta_part[1]) if meta_part else {}
            except ValueError as exc:
                raise errors.malformed_body() from exc
            if not isinstance(meta, dict):
                raise errors.malformed_body()
            if headers.get("content-transfer-encoding", "").lower() == "base64":
                try:
                    content = base64.b64decode(b"".join(content.split()), validate=True)
                except ValueError as exc:
                    raise errors.malformed_body() from exc
            co.pending_file = (str(meta.get("FileName") or filename or "attachment"),
                               str(meta.get("ContentType") or headers.get("content-type") or
                                   "application/octet-stream"), content)
            answers.append({"Attachable": co.create(TYPES["Attachable"], meta)})
        return {"AttachableResponse": answers}

    return _write(realm, act)


def _multipart(body: bytes, boundary: str) -> dict[str, tuple[dict[str, str], bytes, str | None]]:
    """name → (part headers, payload, filename) of a multipart body (tolerating the SDK's leading blank line)."""
    out = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, payload = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not _:
            head, _, payload = chunk.lstrip(b"\n").partition(b"\n\n")
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        disposition = dict(p.strip().split("=", 1) for p in headers.get("content-disposition", "").split(";")
                           if "=" in p)
        name = disposition.get("name", "").strip('"')
        filename = disposition.get("filename", "").strip('"') or None
        if payload.endswith(b"\r\n"):
            payload = payload[:-2]
        elif payload.endswith(b"\n"):
            payload = payload[:-1]
        if name:
            out[name] = (headers, payload, filename)
    return out


@v3.get("/download/<entity_id>")
def download(realm: str, entity_id: str) -> Response:
    """QBO answers a temporary URL to the attachment's file, as text."""
    co = _company(realm)
    data = co.read(TYPES["Attachable"], entity_id)
    if bookkeeping.file_of(co, data["Id"]) is None:
        raise errors.object_not_found("Attachable", entity_id)
    return Response(f"{request.host_url}_sim/quickbooks/{realm}/attachments/{data['Id']}", mimetype="text/plain")


@v3.post("/taxservice/taxcode")
def tax_service(realm: str) -> Response:
    body = _entity_body()
    return _write(realm, lambda co: bookkeeping.create_tax_code(co, body))


@v3.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(realm: str, rest: str) -> Response:
    raise _no_route()


# -- simulator-only admin routes --------------------------------------------------------------------

@sim.get("/<realm>/tasks")
def tasks(realm: str) -> Response:
    """QBO Advanced's task manager (rule I9): the open tasks at the virtual clock's time. No public API has it."""
    tenant = _rt().store.tenant(realm)
    if tenant is None or tenant["system"] != _qb().name:
        return json_response({"error": f"no tenant {realm}"}, 404)
    co = _company(realm)
    try:
        found = open_tasks(co)
    except TaskManagerUnavailable as exc:
        return json_response({"error": str(exc)}, 404)
    return json_response({"realmId": realm, "edition": edition(co), "asOf": co.stamp(), "tasks": found})


@sim.post("/<realm>/closing-date")
def closing_date(realm: str) -> Response:
    """Set or clear the books' closing date (rule I4), as a person does in QBO's settings: the API reads
    ``AccountingInfoPrefs.BookCloseDate`` but cannot write it. Body: ``{"date": "YYYY-MM-DD" | null}``."""
    tenant = _rt().store.tenant(realm)
    if tenant is None or tenant["system"] != _qb().name:
        return json_response({"error": f"no tenant {realm}"}, 404)
    body = request.get_json(silent=True)
    when = body.get("date") if isinstance(body, dict) else "missing"
    if when is not None and not (isinstance(when, str) and _is_date(when)):
        return json_response({"error": 'expected {"date": "YYYY-MM-DD"} or {"date": null}'}, 400)
    co = _company(realm)
    co.set_closing_date(when)
    return json_response({"realmId": realm, "BookCloseDate": when})


@sim.get("/<realm>/next-number")
def next_number(realm: str) -> Response:
    """The number QBO's form for ``?entity=`` (Invoice, SalesReceipt, CreditMemo, Estimate) offers a user with custom
    transaction numbers on (rule F6): the last number used in its sequence, incremented. The API never fills it in;
    only a person in QBO's UI sees it, so no public route has it."""
    tenant = _rt().store.tenant(realm)
    if tenant is None or tenant["system"] != _qb().name:
        return json_response({"error": f"no tenant {realm}"}, 404)
    name = request.args.get("entity", "")
    etype = lookup(name) if name else None
    if etype is None or not etype.doc_numbers:
        numbered = ", ".join(t.name for t in TYPES.values() if t.doc_numbers)
        return json_response({"error": f"entity must be a numbered form ({numbered}), not {name or 'missing'}"}, 400)
    return json_response({"realmId": realm, "entity": etype.name,
                          "DocNumber": suggested_doc_number(_company(realm), etype)})


@sim.get("/<realm>/attachments/<entity_id>")
def attachment_file(realm: str, entity_id: str) -> Response:
    """The bytes of an uploaded attachment (where QBO's temporary download URL points)."""
    tenant = _rt().store.tenant(realm)
    found = bookkeeping.file_of(_company(realm), entity_id) if tenant and entity_id.isdigit() else None
    if found is None:
        return json_response({"error": f"no attachment {entity_id} in {realm}"}, 404)
    return Response(found[1], mimetype=found[0])


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


# -- the app -----------------------------------------------------------------------------------

def _discard_body() -> None:
    """A body refused unread stays unread: later hooks (the journal) see an empty one, not a second 413."""
    request.environ["wsgi.input"] = io.BytesIO()
    request.environ["CONTENT_LENGTH"] = "0"


def create_app(runtime: Runtime) -> Flask:
    """The QBO simulator's Flask app, sharing ``runtime`` with any other simulator."""
    app = new_app("hsqbo.quickbooks")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    system = QuickBooks(runtime)
    pipeline.install(app, runtime, system)
    admin.register(app)
    app.register_blueprint(oauth)
    app.register_blueprint(v3)
    app.register_blueprint(sim)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if request.path.startswith("/_sim"):
            return json_response({"error": exc.description}, exc.code or 500)
        if exc.code == 413:
            err = QBOError("2010", "Request has invalid or unsupported property",
                           f"Request body larger than {MAX_BODY} bytes", status=413)
            _discard_body()
        elif exc.code in (404, 405):
            err = _no_route()
        else:
            err = errors.system_failure(exc.code or 500)
        return _fault(err)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        app.logger.exception("unexpected error")
        return _fault(errors.system_failure(500))

    return app
