"""A thin QuickBooks Online v3 client: OAuth 2.0 with rotating refresh tokens, paced calls, paged queries, CDC,
idempotent writes (``requestid``) and batches. JSON only; speaks HTTP through ``requests`` and nothing else."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import requests

from ..clock import Clock
from .http import ApiError, HttpClient, Pacer, parse_when

MAX_PAGE = 1000  # QBO's MAXRESULTS ceiling
MAX_BATCH = 30  # items per /batch
MAX_REQUEST_ID = 50  # characters, single writes
MAX_BATCH_REQUEST_ID = 36  # characters, /batch
DEFAULT_TOKEN_PATH = "/oauth2/v1/tokens/bearer"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
# Intuit's documented throttles: 10 requests/s and 500/min per realm and app; batch also 40/min per app.
PACE = [(10, 1.0), (500, 60.0)]
BATCH_PACE = [(40, 60.0)]
REFRESH_MARGIN = timedelta(seconds=60)  # renew an access token this long before it expires


class QuickBooksError(ApiError):
    """QBO's Fault: ``errors`` is its Error list (``code``/``Message``/``Detail``/``element`` each)."""

    def __init__(self, status: int, body: object) -> None:
        self.errors, self.fault_type = _fault_errors(body)
        first = self.errors[0] if self.errors else {}
        summary = " ".join(p for p in (str(first.get("code") or ""), str(first.get("Message") or "")) if p)
        if first.get("Detail"):
            summary = f"{summary}: {first['Detail']}"
        super().__init__(status, body, "quickbooks", summary or None)

    @property
    def code(self) -> str:
        """The first error's code as text ("6240" duplicate name, "5010" stale SyncToken, "invalid_grant", ...)."""
        return str(self.errors[0].get("code") or "") if self.errors else ""

    @property
    def message(self) -> str:
        return str(self.errors[0].get("Message") or "") if self.errors else ""

    @property
    def detail(self) -> str:
        return str(self.errors[0].get("Detail") or "") if self.errors else ""

    @property
    def element(self) -> str:
        """The field the first error names ("DisplayName", "Sku", "Line.Amount"), or ""."""
        return str(self.errors[0].get("element") or "") if self.errors else ""


def _error_item(code: object, message: object, detail: object, element: object) -> dict:
    return {"code": "" if code is None else str(code), "Message": message or "", "Detail": detail or "",
            "element": element or ""}


def _fault_errors(body: object) -> tuple[list[dict], str]:
    """The Error list of any QBO error body: ``Fault`` JSON, the lower-case 401 JSON, XML, or OAuth's ``error``."""
    if isinstance(body, dict):
        fault = body.get("Fault")
        if isinstance(fault, dict):
            return ([_error_item(e.get("code"), e.get("Message"), e.get("Detail"), e.get("element"))
                     for e in fault.get("Error") or [] if isinstance(e, dict)], str(fault.get("type") or ""))
        fault = body.get("fault")
        if isinstance(fault, dict):
            return ([_error_item(e.get("code"), e.get("message") or e.get("Message"),
                                 e.get("detail") or e.get("Detail"), e.get("element"))
                     for e in fault.get("error") or fault.get("Error") or [] if isinstance(e, dict)],
                    str(fault.get("type") or ""))
        if isinstance(body.get("error"), str):  # the OAuth token endpoint: {"error": "invalid_grant"}
            return [_error_item(body["error"], body.get("error_description") or body["error"], "", "")], "OAuth"
        return [], ""
    if isinstance(body, str) and body.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return [], ""
        out, kind = [], ""
        for node in root.iter():
            tag = node.tag.rsplit("}", 1)[-1]
            if tag == "Fault":
                kind = node.get("type", "")
            if tag == "Error":
                text = {child.tag.rsplit("}", 1)[-1]: child.text for child in node}
                out.append(_error_item(node.get("code"), text.get("Message"), text.get("Detail"), node.get("element")))
        return out, kind
    return [], ""


def _entity_of(body: object, entity: str) -> dict:
    """``body[entity]``, matching the name case-insensitively (QBO answers with its canonical spelling)."""
    if isinstance(body, dict):
        if entity in body:
            return body[entity]
        for key, value in body.items():
            if key.lower() == entity.lower() and isinstance(value, dict):
                return value
    raise ApiError(200, body, "quickbooks", f"the answer carries no {entity}")


class QuickBooksClient(HttpClient):
    system = "quickbooks"
    default_retry_after = 60.0  # QBO's 429s carry no Retry-After; its throttle windows are a minute long

    def __init__(self, base_url: str, realm_id: str, *, client_id: str, client_secret: str, refresh_token: str | None,
                 access_token: str | None = None, token_url: str | None = None, clock: Clock | None = None,
                 minor_version: int = 75, on_tokens: Callable[[dict], None] | None = None, pace: bool = True,
                 timeout: float = 30) -> None:
        super().__init__(clock, timeout)
        self.base_url = base_url.rstrip("/")
        self.realm_id = str(realm_id)
        self.api = f"{self.base_url}/v3/company/{self.realm_id}"
        self.token_url = token_url or f"{self.base_url}{DEFAULT_TOKEN_PATH}"
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.expires_at: datetime | None = None  # unknown for a token handed in: a 401 then tells us
        self.minor_version = minor_version
        self.on_tokens = on_tokens
        self.pacer = Pacer(self.clock, PACE if pace else [])
        self.batch_pacer = Pacer(self.clock, BATCH_PACE if pace else [])
        self.session.headers.update({"Accept": "application/json"})

    # -- hooks of the request loop -------------------------------------------------------------------
    def _error(self, status: int, body: object) -> QuickBooksError:
        return QuickBooksError(status, body)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    def _ensure_token(self) -> None:
        if not self.access_token or (self.expires_at is not None
                                     and self.clock.now() >= self.expires_at - REFRESH_MARGIN):
            self._refresh()

    def _should_refresh(self, resp: requests.Response, body: object) -> bool:
        return bool(self.refresh_token)

    def _before(self, kind: str) -> None:
        if kind == "token":
            return  # the token endpoint is not a realm call: QBO does not count it
        if kind == "batch":
            self.batch_pacer.wait()
        self.pacer.wait()

    def _settle(self, kind: str) -> None:
        if kind == "token":
            return
        if kind == "batch":
            self.batch_pacer.settle()
        self.pacer.settle()

    def _server_time(self, resp: requests.Response, body: object) -> datetime | None:
        when = parse_when(body.get("time")) if isinstance(body, dict) else None
        return when.astimezone(UTC) if when else None

    def _refresh(self) -> None:
        """Trade the refresh token for a new pair. QBO rotates the refresh token: the old one dies, so hand the
        new one to ``on_tokens`` at once. Not repeated after a lost answer (it may have rotated already)."""
        _, body = self.request("POST", self.token_url, kind="token", safe=False, authenticated=False,
                               data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
                               auth=(self.client_id, self.client_secret))
        self._take_tokens(body, 3600)

    def refresh(self) -> None:
        """Refresh the access token now."""
        self._refresh()

    # -- calls -----------------------------------------------------------------------------------
    def _params(self, **extra: object) -> dict:
        return {"minorversion": self.minor_version, **{k: v for k, v in extra.items() if v is not None}}

    def _get(self, path: str, kind: str, params: dict | None = None) -> dict:
        _, body = self.request("GET", f"{self.api}/{path}", kind=kind, safe=True, params=self._params(**(params or {})))
        return body if isinstance(body, dict) else {}

    def query_pages(self, statement: str, page_size: int = MAX_PAGE) -> Iterator[list[dict]]:
        """Run a query page by page (``statement`` without STARTPOSITION/MAXRESULTS); one request per page, lazily."""
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE}")
        statement = statement.strip().rstrip(";").strip()
        start = 1
        while True:
            page = self.query_page(f"{statement} STARTPOSITION {start} MAXRESULTS {page_size}")
            if page:
                yield page
            if len(page) < page_size:
                return
            start += page_size

    def query_page(self, statement: str) -> list[dict]:
        """One ``/query`` call, as given: the entities of its QueryResponse (the one list in it)."""
        # %20 rather than '+' for spaces, as Intuit's examples encode them
        url = f"{self.api}/query?" + urlencode(self._params(query=statement), quote_via=quote)
        _, body = self.request("GET", url, kind="query", safe=True)
        answer = body.get("QueryResponse") if isinstance(body, dict) else None
        if not isinstance(answer, dict):
            return []
        return next((value for value in answer.values() if isinstance(value, list)), [])

    def query(self, statement: str, page_size: int = MAX_PAGE) -> Iterator[dict]:
        """Every entity a query selects, streamed a page at a time."""
        for page in self.query_pages(statement, page_size):
            yield from page

    def count(self, statement: str) -> int:
        """``SELECT COUNT(*) FROM ...``: the totalCount QBO answers."""
        url = f"{self.api}/query?" + urlencode(self._params(query=statement), quote_via=quote)
        _, body = self.request("GET", url, kind="query", safe=True)
        answer = body.get("QueryResponse") if isinstance(body, dict) else None
        return int((answer or {}).get("totalCount") or 0)

    def cdc(self, entities: list[str], changed_since: datetime) -> dict[str, list[dict]]:
        """Change data capture: every entity of ``entities`` changed since then (deleted ones as
        ``{"Id", "status": "Deleted"}``). QBO caps an answer at 1000 objects and 30 days back."""
        if not entities:
            raise ValueError("cdc needs at least one entity name")
        if changed_since.tzinfo is None:
            changed_since = changed_since.replace(tzinfo=UTC)
        # whole seconds, rounded down: an earlier watermark re-reads a little, a later one could miss a change
        since = changed_since.isoformat(timespec="seconds")
        body = self._get("cdc", "cdc", {"entities": ",".join(entities), "changedSince": since})
        out: dict[str, list[dict]] = {name: [] for name in entities}
        for block in body.get("CDCResponse") or []:
            for answer in (block or {}).get("QueryResponse") or []:
                for key, value in (answer or {}).items():
                    if isinstance(value, list):
                        out.setdefault(key, []).extend(value)
        return out

    def get(self, entity: str, entity_id: str) -> dict:
        return _entity_of(self._get(f"{entity.lower()}/{entity_id}", "read"), entity)

    def _write(self, entity: str, body: dict, request_id: str, **params: object) -> dict:
        _check_request_id(request_id, MAX_REQUEST_ID)
        # safe to repeat: QBO answers a repeated requestid with the first outcome instead of writing twice
        _, answer = self.request("POST", f"{self.api}/{entity.lower()}", kind="write", safe=True, json=body,
                                 params=self._params(requestid=request_id, **params))
        return _entity_of(answer, entity)

    def create(self, entity: str, body: dict, request_id: str) -> dict:
        """Create one entity; ``request_id`` (≤ 50 characters) makes a repeat return the same entity."""
        return self._write(entity, body, request_id)

    def update(self, entity: str, body: dict, request_id: str, sparse: bool = True) -> dict:
        """Update one entity; ``body`` carries ``Id`` and the ``SyncToken`` it was read at (stale: code 5010)."""
        if body.get("Id") in (None, "") or body.get("SyncToken") in (None, ""):
            raise ValueError("an update needs the entity's Id and SyncToken")
        payload = {**body, "sparse": True} if sparse else dict(body)
        return self._write(entity, payload, request_id)

    def delete(self, entity: str, body: dict, request_id: str) -> dict:
        """Delete a transaction (``Id`` + ``SyncToken``); name-list entities are made inactive instead."""
        return self._write(entity, {"Id": body["Id"], "SyncToken": body["SyncToken"]}, request_id,
                           operation="delete")

    def void(self, entity: str, body: dict, request_id: str) -> dict:
        """Void a transaction (``Id`` + ``SyncToken``): QBO keeps it with zero amounts. Invoices take
        ``operation=void``; payments and sales receipts a sparse update with ``include=void``."""
        ref = {"Id": body["Id"], "SyncToken": body["SyncToken"]}
        if entity == "Invoice":
            return self._write(entity, ref, request_id, operation="void")
        return self._write(entity, {**ref, "sparse": True}, request_id, operation="update", include="void")

    def batch(self, items: list[dict], request_id: str) -> list[dict]:
        """Up to 30 independent operations in one call; answers in the order of ``items`` (matched by ``bId``).

        Each answer is ``{"bId", "<Entity>": {...}}``, ``{"bId", "QueryResponse": {...}}`` or
        ``{"bId", "Fault": {...}}`` (see :meth:`fault_of`).
        """
        if len(items) > MAX_BATCH:
            raise ValueError(f"a QBO batch takes at most {MAX_BATCH} items, not {len(items)}")
        bids = [str(item.get("bId", "")) for item in items]
        if not all(bids) or len(set(bids)) != len(bids):
            raise ValueError("every batch item needs its own bId")
        _check_request_id(request_id, MAX_BATCH_REQUEST_ID)
        if not items:
            return []
        _, body = self.request("POST", f"{self.api}/batch", kind="batch", safe=True,
                               json={"BatchItemRequest": items}, params=self._params(requestid=request_id))
        answers = (body or {}).get("BatchItemResponse") if isinstance(body, dict) else None
        by_bid = {str(a.get("bId")): a for a in answers or [] if isinstance(a, dict)}
        missing = [b for b in bids if b not in by_bid]
        if missing:
            raise ApiError(200, body, "quickbooks", f"batch answer lacks bId {', '.join(missing)}")
        return [by_bid[b] for b in bids]

    @staticmethod
    def fault_of(item: dict) -> QuickBooksError | None:
        """A batch answer's Fault as a QuickBooksError (status 400), or None when the item succeeded."""
        fault = item.get("Fault") if isinstance(item, dict) else None
        if fault is None:
            return None
        return QuickBooksError(400, {"Fault": fault})


def _check_request_id(request_id: str, limit: int) -> None:
    if not request_id or len(request_id) > limit:
        raise ValueError(f"requestid is required and at most {limit} characters")
