"""A thin HubSpot CRM client: objects, batch, search (with the 10,000-result window worked around), properties,
v4 associations and OAuth v1. Speaks HTTP through ``requests`` and nothing else."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ..clock import Clock
from .http import ApiError, HttpClient, Pacer, ms_epoch, parse_when
from .namespace import Namespace

API = "https://api.hubapi.com"
MAX_BATCH = 100  # inputs per CRM batch call
MAX_ASSOCIATION_WRITE = 2000  # inputs of one v4 batch associate call
MAX_ASSOCIATION_READ = 1000  # inputs per v4 associations batch/read
LIST_PAGE = 100
SEARCH_PAGE = 200
SEARCH_WINDOW = 10_000  # HubSpot refuses a search page reaching past this many results
SEARCH_PACE = [(5, 1.0)]  # search has its own limit, 5 requests/s per account, and its 429s carry no headers
REFRESH_MARGIN = timedelta(seconds=60)
DEFAULT_RETRY_AFTER = 10.0  # the ten-secondly window
SEARCH_RETRY_AFTER = 1.0


@dataclass
class BatchResult:
    """What a batch write did: the records written and HubSpot's per-input error dicts (a 207's ``errors``)."""

    results: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


class HubSpotError(ApiError):
    """HubSpot's JSON error: ``category`` (VALIDATION_ERROR, OBJECT_NOT_FOUND, CONFLICT, ...), ``message``,
    ``context``; ``errors`` holds its sub-errors. ``partial`` is set when a multi-chunk batch failed after some
    chunks were written."""

    def __init__(self, status: int, body: object) -> None:
        data = body if isinstance(body, dict) else {}
        status_word = data.get("status")
        # OAuth refusals say {"status": "BAD_REFRESH_TOKEN", "message": ...} instead of a category
        self.category: str | None = data.get("category") or (status_word if status_word not in (None, "error")
                                                               else None)
        self.message: str = str(data.get("message") or (body if isinstance(body, str) else ""))
        self.context: dict = data.get("context") or {}
        self.errors: list[dict] = data.get("errors") or []
        self.correlation_id: str | None = data.get("correlationId")
        self.policy: str | None = data.get("policyName")  # on 429s: SECONDLY, TEN_SECONDLY_ROLLING, DAILY
        self.partial: BatchResult | None = None
        summary = " ".join(p for p in (self.category or "", self.message) if p)
        super().__init__(status, body, "hubspot", summary or None)


class SearchWindowError(HubSpotError):
    """A plain search matched more than 10,000 records: page them with ``search_modified_since`` instead."""


def read_associations(ids: list[str], read: Callable[[list[dict]], dict]) -> dict[str, list[dict]]:
    """``{from id: [to, ...]}`` over v4's batch read, ``read`` answering one batch of inputs (at most
    MAX_ASSOCIATION_READ), each record's own paging followed (``after``) until none is left."""
    out: dict[str, list[dict]] = {}
    pending = [{"id": str(i)} for i in ids]
    while pending:
        more: list[dict] = []
        for start in range(0, len(pending), MAX_ASSOCIATION_READ):
            for result in read(pending[start:start + MAX_ASSOCIATION_READ]).get("results") or []:
                fid = str((result.get("from") or {}).get("id"))
                out.setdefault(fid, []).extend(result.get("to") or [])
                after = ((result.get("paging") or {}).get("next") or {}).get("after")
                if after:
                    more.append({"id": fid, "after": str(after)})
        pending = more
    return out


class HubSpotClient(HttpClient):
    system = "hubspot"
    default_retry_after = DEFAULT_RETRY_AFTER

    def __init__(self, base_url: str = API, *, access_token: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None, refresh_token: str | None = None, clock: Clock | None = None,
                 on_tokens: Callable[[dict], None] | None = None, pace: bool = True, timeout: float = 30) -> None:
        super().__init__(clock, timeout)
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        if not access_token and not self.oauth:
            raise ValueError("give an access token (private app) or refresh_token + client_id + client_secret")
        self.expires_at: datetime | None = None  # known once we refreshed; a handed-in token is used until a 401
        self.on_tokens = on_tokens
        self.pace = pace
        self.search_pacer = Pacer(self.clock, SEARCH_PACE if pace else [])
        # Other calls are paced by HubSpot's own headers rather than a fixed Pacer: the ten-secondly burst differs by
        # tier and app kind (100 for OAuth apps, 100-190 for private apps), and X-HubSpot-RateLimit-Remaining says
        # exactly what is left. When it reaches 0 the next call waits out the interval.
        self.hold_until: datetime | None = None
        self.session.headers.update({"Accept": "application/json"})
        self.namespace: Namespace | None = None  # A5: several QBO companies on this account (namespace.py)

    @property
    def oauth(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    # -- hooks of the request loop -------------------------------------------------------------------
    def _error(self, status: int, body: object) -> HubSpotError:
        return HubSpotError(status, body)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    def _ensure_token(self) -> None:
        if not self.oauth:
            return
        if not self.access_token or (self.expires_at is not None
                                     and self.clock.now() >= self.expires_at - REFRESH_MARGIN):
            self._refresh()

    def _should_refresh(self, resp: requests.Response, body: object) -> bool:
        return self.oauth and isinstance(body, dict) and body.get("category") == "EXPIRED_AUTHENTICATION"

    def _refresh(self) -> None:
        """A new 30-minute access token. HubSpot keeps the refresh token, so repeating this is harmless."""
        _, body = self.request("POST", f"{self.base_url}/oauth/v1/token", kind="token", safe=True,
                               authenticated=False,
                               data={"grant_type": "refresh_token", "refresh_token": self.refresh_token,
                                     "client_id": self.client_id, "client_secret": self.client_secret})
        self._take_tokens(body, 1800)

    def refresh(self) -> None:
        """Refresh the OAuth access token now."""
        self._refresh()

    def _before(self, kind: str) -> None:
        if kind == "token":
            return
        if kind == "search":
            self.search_pacer.wait()
            return
        if self.pace and self.hold_until is not None:
            wait = (self.hold_until - self.clock.now()).total_seconds()
            self.hold_until = None
            if wait > 0:
                self.clock.sleep(wait)

    def _settle(self, kind: str) -> None:
        if kind == "search":
            self.search_pacer.settle()

    def _after(self, resp: requests.Response, kind: str) -> None:
        if kind in ("search", "token"):
            return
        remaining = resp.headers.get("X-HubSpot-RateLimit-Remaining")
        if remaining is not None and remaining.strip().lstrip("-").isdigit() and int(remaining) <= 0:
            self.hold_until = self.clock.now() + timedelta(seconds=self._interval(resp) or DEFAULT_RETRY_AFTER)

    @staticmethod
    def _interval(resp: requests.Response) -> float | None:
        value = resp.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        try:
            return float(value) / 1000 if value else None
        except ValueError:
            return None

    def _rate_wait(self, resp: requests.Response, body: object, kind: str) -> float | None:
        if isinstance(body, dict) and body.get("policyName") == "DAILY":
            return None  # the daily cap: waiting seconds won't help
        told = super()._rate_wait(resp, body, kind) if resp.headers.get("Retry-After") else None
        if told is not None:
            return told
        interval = self._interval(resp)
        if interval is not None:
            return interval
        return SEARCH_RETRY_AFTER if kind == "search" else DEFAULT_RETRY_AFTER

    def _server_time(self, resp: requests.Response, body: object) -> datetime | None:
        value = resp.headers.get("Date")
        if not value:
            return None
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)

    # -- plumbing --------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, kind: str, safe: bool, json: object = None,
              params: Mapping[str, Any] | None = None, multi: bool = False) -> Any:
        """One request; ``multi`` accepts a 207 (some inputs of a batch failed) as an answer. Returns HubSpot's
        JSON as parsed (``Any``: its shape is the endpoint's, read with ``.get`` by each caller)."""
        if self.namespace is not None:
            json = self.namespace.outgoing(json)
        _, body = self.request(method, f"{self.base_url}{path}", kind=kind, safe=safe, json=json, params=params,
                               ok=(lambda status: status == 207) if multi else None)
        return body if self.namespace is None else self.namespace.incoming(body)

    @staticmethod
    def _chunks(items: list, size: int) -> Iterator[list]:
        for start in range(0, len(items), size):
            yield items[start:start + size]

    # -- objects ---------------------------------------------------------------------------------
    def list(self, object_type: str, properties: builtins.list[str], archived: bool = False) -> Iterator[dict]:
        """Every record of a type, 100 a page, following ``paging.next.after``."""
        after: str | None = None
        while True:
            params: dict = {"limit": LIST_PAGE, "archived": str(archived).lower()}
            if properties:
                params["properties"] = ",".join(properties)
            if after:
                params["after"] = after
            body = self._call("GET", f"/crm/v3/objects/{object_type}", kind="read", safe=True, params=params) or {}
            yield from body.get("results") or []
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def get(self, object_type: str, object_id: str, properties: builtins.list[str],
            id_property: str | None = None) -> dict:
        params = {"properties": ",".join(properties)} if properties else {}
        if id_property:
            params["idProperty"] = id_property
            if self.namespace is not None and id_property in self.namespace.properties:
                object_id = str(self.namespace.out(object_id))
        return self._call("GET", f"/crm/v3/objects/{object_type}/{object_id}", kind="read", safe=True,
                          params=params)

    def create(self, object_type: str, properties: dict, associations: builtins.list | None = None) -> dict:
        """Create one record. Not repeated after a 5xx or a lost answer: it might exist already."""
        body: dict = {"properties": properties}
        if associations:
            body["associations"] = associations
        return self._call("POST", f"/crm/v3/objects/{object_type}", kind="write", safe=False, json=body)

    def update(self, object_type: str, object_id: str, properties: dict) -> dict:
        return self._call("PATCH", f"/crm/v3/objects/{object_type}/{object_id}", kind="write", safe=False,
                          json={"properties": properties})

    def archive(self, object_type: str, object_id: str) -> None:
        # safe to repeat: DELETE is idempotent and HubSpot answers 204 for an already archived record
        self._call("DELETE", f"/crm/v3/objects/{object_type}/{object_id}", kind="write", safe=True)

    # -- batch -----------------------------------------------------------------------------------
    def batch_read(self, object_type: str, ids: builtins.list[str], properties: builtins.list[str],
                   id_property: str | None = None) -> builtins.list[dict]:
        """The records found among ``ids`` (missing ones are left out: HubSpot lists them in a 207's errors)."""
        out: builtins.list[dict] = []
        for chunk in self._chunks([str(i) for i in ids], MAX_BATCH):
            payload: dict = {"inputs": [{"id": i} for i in chunk], "properties": properties}
            if id_property:
                payload["idProperty"] = id_property
            body = self._call("POST", f"/crm/v3/objects/{object_type}/batch/read", kind="batch", safe=True,
                              json=payload, multi=True) or {}
            out.extend(body.get("results") or [])
        return out

    def _batch_write(self, object_type: str, action: str, inputs: builtins.list[dict], safe: bool) -> BatchResult:
        result = BatchResult()
        for chunk in self._chunks(inputs, MAX_BATCH):
            try:
                body = self._call("POST", f"/crm/v3/objects/{object_type}/batch/{action}", kind="batch", safe=safe,
                                  json={"inputs": chunk}, multi=True) or {}
            except HubSpotError as err:
                err.partial = result  # what earlier chunks wrote
                raise
            result.results.extend(body.get("results") or [])
            result.errors.extend(body.get("errors") or [])
        return result

    def batch_create(self, object_type: str, inputs: builtins.list[dict]) -> BatchResult:
        """Create records, 100 a call. Give every input an ``objectWriteTraceId`` so one bad input fails alone
        (a 207 naming it in ``context.objectWriteTraceId``) instead of failing its whole chunk (a 400)."""
        return self._batch_write(object_type, "create", inputs, safe=False)

    def batch_update(self, object_type: str, inputs: builtins.list[dict]) -> BatchResult:
        """Update records (``{"id", "properties"}`` inputs), 100 a call."""
        return self._batch_write(object_type, "update", inputs, safe=False)

    def batch_upsert(self, object_type: str, inputs: builtins.list[dict], id_property: str) -> BatchResult:
        """Create or update by a unique property (``{"id": <its value>, "properties"}`` inputs). Idempotent, so it is
        repeated after a 5xx or a lost answer."""
        shaped = [{**item, "idProperty": item.get("idProperty") or id_property} for item in inputs]
        return self._batch_write(object_type, "upsert", shaped, safe=True)

    # -- search ----------------------------------------------------------------------------------
    def _search_run(self, object_type: str, filter_groups: builtins.list[dict], properties: builtins.list[str],
                    sorts: builtins.list[dict] | None, limit: int, outcome: dict) -> Iterator[dict]:
        """One search, paged up to the 10,000-result window; ``outcome["truncated"]`` says whether more matched."""
        outcome["truncated"] = False
        after = 0
        while True:
            size = min(limit, SEARCH_WINDOW - after)  # a page may not reach past the window
            if size <= 0:
                outcome["truncated"] = True
                return
            payload: dict = {"filterGroups": filter_groups, "properties": properties, "limit": size}
            if sorts:
                payload["sorts"] = sorts
            if after:
                payload["after"] = str(after)
            body = self._call("POST", f"/crm/v3/objects/{object_type}/search", kind="search", safe=True,
                              json=payload) or {}
            results = body.get("results") or []
            yield from results
            nxt = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not nxt or not results:
                return
            after = int(nxt)

    def search(self, object_type: str, *, filter_groups: builtins.list[dict], properties: builtins.list[str],
               sorts: builtins.list[dict] | None = None, limit: int = SEARCH_PAGE) -> Iterator[dict]:
        """Every match of one search, ``limit`` a page. More than 10,000 matches raise SearchWindowError once the
        window is read (HubSpot cannot page further): use :meth:`search_modified_since` for big reads."""
        outcome: dict = {}
        yield from self._search_run(object_type, filter_groups, properties, sorts, limit, outcome)
        if outcome["truncated"]:
            raise SearchWindowError(400, {"status": "error", "category": "VALIDATION_ERROR",
                                          "message": f"more than {SEARCH_WINDOW} results: narrow the search"})

    @staticmethod
    def _modified_ms(record: dict, modified_property: str) -> int | None:
        value = (record.get("properties") or {}).get(modified_property) or record.get("updatedAt")
        when = parse_when(value)
        return ms_epoch(when) if when else None

    def search_modified_since(self, object_type: str, modified_property: str, since: datetime | None,
                              properties: builtins.list[str],
                              extra_filters: builtins.list[dict] | None = None) -> Iterator[dict]:
        """Every record whose ``modified_property`` ≥ ``since`` (all when None), oldest change first, each once.

        Past 10,000 results a new search starts from the last value seen (GTE) and skips the ids already yielded
        at that value. If a whole window shares one value, those records are read by ``hs_object_id`` instead.
        """
        props = list(properties) + ([modified_property] if modified_property not in properties else [])
        extra = list(extra_filters or [])
        sorts = [{"propertyName": modified_property, "direction": "ASCENDING"}]
        lower: tuple[str, int] | None = ("GTE", ms_epoch(since)) if since is not None else None
        skip: set[str] = set()  # ids yielded at the boundary value ``lower`` in the window before
        while True:
            filters = extra + ([{"propertyName": modified_property, "operator": lower[0], "value": str(lower[1])}]
                               if lower else [])
            outcome: dict = {}
            first_ms = last_ms = None
            at_last: set[str] = set()  # ids at the newest value of this window, yielded now or before
            for record in self._search_run(object_type, [{"filters": filters}] if filters else [], props, sorts,
                                           SEARCH_PAGE, outcome):
                rid = str(record.get("id"))
                ms = self._modified_ms(record, modified_property)
                if first_ms is None:
                    first_ms = ms
                if ms != last_ms:
                    last_ms, at_last = ms, set()
                at_last.add(rid)
                if lower and ms == lower[1] and rid in skip:
                    continue  # yielded by the previous window
                yield record
            if not outcome["truncated"] or last_ms is None:
                return
            if first_ms == last_ms:
                # 10,000 records or more share one value: GTE would return the same window forever
                seen = at_last | (skip if lower and lower[1] == last_ms else set())
                yield from self._drain_value(object_type, modified_property, last_ms, props, extra, seen)
                lower, skip = ("GT", last_ms), set()
            else:
                lower, skip = ("GTE", last_ms), at_last

    def _drain_value(self, object_type: str, modified_property: str, value_ms: int, properties: builtins.list[str],
                     extra: builtins.list[dict], seen: set[str]) -> Iterator[dict]:
        """Every record whose ``modified_property`` equals ``value_ms``, by id (unique, so windows never stall)."""
        sorts = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        last_id: str | None = None
        while True:
            filters = extra + [{"propertyName": modified_property, "operator": "EQ", "value": str(value_ms)}]
            if last_id is not None:
                filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": last_id})
            outcome: dict = {}
            for record in self._search_run(object_type, [{"filters": filters}], properties, sorts, SEARCH_PAGE,
                                           outcome):
                last_id = str(record.get("id"))
                if last_id not in seen:
                    yield record
            if not outcome["truncated"]:
                return

    # -- associations (v4) -------------------------------------------------------------------------
    def associations(self, from_type: str, to_type: str, ids: builtins.list[str]) -> dict[str, builtins.list[dict]]:
        """``{from id: [{"toObjectId", "associationTypes": [...]}, ...]}``, following each record's own paging.

        Ids without associations (or that don't exist) may be absent: HubSpot reports them in a 207's errors.
        """
        return read_associations(ids, lambda chunk: self._call(
            "POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/read", kind="associations", safe=True,
            json={"inputs": chunk}, multi=True) or {})

    def associate(self, from_type: str, to_type: str, pairs: builtins.list[tuple[str, str]]) -> None:
        """Default (unlabelled) associations for (from id, to id) pairs. Repeating one is harmless."""
        inputs = [{"from": {"id": str(f)}, "to": {"id": str(t)}} for f, t in pairs]
        for chunk in self._chunks(inputs, MAX_ASSOCIATION_WRITE):
            self._call("POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default",
                       kind="associations", safe=True, json={"inputs": chunk}, multi=True)

    def account_details(self) -> dict:
        """``GET /account-info/v3/details``: the portal's id, time zone and company currency."""
        return self._call("GET", "/account-info/v3/details", kind="read", safe=True) or {}

    # -- properties --------------------------------------------------------------------------------
    def properties(self, object_type: str) -> builtins.list[dict]:
        body = self._call("GET", f"/crm/v3/properties/{object_type}", kind="read", safe=True) or {}
        return body.get("results") or []

    def create_property(self, object_type: str, definition: dict) -> dict:
        return self._call("POST", f"/crm/v3/properties/{object_type}", kind="write", safe=False, json=definition)

