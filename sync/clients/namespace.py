"""Several QBO companies on one HubSpot account (rule A5, legacy): whose QBO ids are which.

The engine writes QBO ids into unique HubSpot properties (``quickbooks_invoice_id`` …) so that its creates are
idempotent upserts. Two companies number their records alike (each has an invoice 1), so with several companies
connected the first company's ids go to HubSpot as they are and every further company's as ``<realm>/<id>``.
Each company's engine reads its own ids back plain, and sees another company's records as foreign: it leaves
them alone. With one company connected there is no namespace and nothing changes on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SEPARATOR = "/"


class Namespace:
    def __init__(self, realm: str, properties: Iterable[str]) -> None:
        self.realm = realm  # "" for the first company: its ids carry no prefix
        self.properties = frozenset(properties)

    def out(self, value: object) -> object:
        """A QBO id as this company writes it to HubSpot."""
        if not self.realm or value in (None, ""):
            return value
        return f"{self.realm}{SEPARATOR}{value}"

    def back(self, value: object) -> object:
        """A value read from HubSpot: this company's id plain, another company's as ``<realm>/<id>`` (the first
        company's realm written empty: ``/7``), so ``foreign`` can tell them apart."""
        if value in (None, ""):
            return value
        text = str(value)
        qualified = text if SEPARATOR in text else f"{SEPARATOR}{text}"
        own = f"{self.realm}{SEPARATOR}"
        return qualified[len(own):] if qualified.startswith(own) else qualified

    def foreign(self, record: dict) -> bool:
        """A HubSpot record (as read back through ``incoming``) that another connected company wrote."""
        props = record.get("properties") or {}
        return any(SEPARATOR in str(props.get(p) or "") for p in self.properties)

    # -- request and answer bodies ----------------------------------------------------------------
    def outgoing(self, body: Any) -> Any:
        """A request body with this company's ids namespaced (a copy: callers keep their own ids)."""
        if not isinstance(body, dict):
            return body
        body = dict(body)
        if isinstance(body.get("properties"), dict):
            body["properties"] = self._props_out(body["properties"])
        if isinstance(body.get("inputs"), list):
            keyed = body.get("idProperty") in self.properties
            body["inputs"] = [self._input_out(i, keyed) for i in body["inputs"]]
        if isinstance(body.get("filterGroups"), list):
            body["filterGroups"] = [{**g, "filters": [self._filter_out(f) for f in g.get("filters") or []]}
                                    for g in body["filterGroups"]]
        return body

    def incoming(self, body: Any) -> Any:
        """An answer with this company's ids read back plain (in place: the body is the caller's to keep)."""
        if isinstance(body, dict):
            for record in [body, *(body.get("results") or [])]:
                props = record.get("properties") if isinstance(record, dict) else None
                if isinstance(props, dict):
                    for p in self.properties & props.keys():
                        props[p] = self.back(props[p])
        return body

    def _props_out(self, props: dict) -> dict:
        return {k: self.out(v) if k in self.properties else v for k, v in props.items()}

    def _input_out(self, item: Any, keyed: bool) -> Any:
        if not isinstance(item, dict):
            return item
        item = dict(item)
        if isinstance(item.get("properties"), dict):
            item["properties"] = self._props_out(item["properties"])
        if keyed or item.get("idProperty") in self.properties:
            item["id"] = self.out(item.get("id"))
        return item

    def _filter_out(self, f: Any) -> Any:
        if not isinstance(f, dict) or f.get("propertyName") not in self.properties:
            return f
        f = dict(f)
        if "value" in f:
            f["value"] = self.out(f["value"])
        if isinstance(f.get("values"), list):
            f["values"] = [self.out(v) for v in f["values"]]
        return f
