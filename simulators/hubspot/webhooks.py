"""The Webhooks v3 API of a portal's app: its target URL and its subscriptions (developer-key auth)."""

from __future__ import annotations

from ..core.runtime import Runtime
from . import errors
from .context import iso

OBJECTS = ("contact", "company", "deal", "ticket", "line_item")
EVENT_TYPES = frozenset(
    [f"{o}.{e}" for o in OBJECTS for e in ("creation", "deletion", "propertyChange", "associationChange", "merge",
                                           "restore")]
    + ["contact.privacyDeletion"]
    + [f"product.{e}" for e in ("creation", "deletion", "merge", "propertyChange", "restore")]
)


class AppWebhooks:
    """One app's webhook settings and subscriptions, kept in its portal's settings."""

    def __init__(self, runtime: Runtime, app_id: str) -> None:
        self.rt = runtime
        self.portal = portal_of_app(runtime, app_id)
        if self.portal is None:
            raise errors.resource_not_found()

    def _app(self) -> dict:
        return self.rt.store.tenant(self.portal)["settings"]["app"]

    def _save(self, app: dict) -> None:
        with self.rt.store.transaction():
            settings = self.rt.store.tenant(self.portal)["settings"]
            settings["app"] = app
            self.rt.store.save_tenant_settings(self.portal, settings)

    def _now(self) -> str:
        return iso(self.rt.clock.timestamp())

    # -- settings ----------------------------------------------------------------------------------
    def settings(self) -> dict:
        current = self._app().get("webhookSettings")
        if current is None:
            raise errors.error(404, "OBJECT_NOT_FOUND", "No webhook settings exist for this app.")
        return current

    def configure(self, body: object) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("targetUrl"), str) \
                or not body["targetUrl"].startswith(("http://", "https://")):
            raise errors.bad_request("targetUrl must be an http(s) URL")
        throttling = body.get("throttling") or {"maxConcurrentRequests": 10}
        app = self._app()
        now = self._now()
        created = (app.get("webhookSettings") or {}).get("createdAt", now)
        app["webhookSettings"] = {"targetUrl": body["targetUrl"], "throttling": throttling, "createdAt": created,
                                  "updatedAt": now}
        self._save(app)
        return app["webhookSettings"]

    def clear(self) -> None:
        app = self._app()
        app.pop("webhookSettings", None)
        self._save(app)

    # -- subscriptions -------------------------------------------------------------------------------
    def subscriptions(self) -> list[dict]:
        return list(self._app().get("subscriptions", []))

    def subscription(self, sub_id: str) -> dict:
        for sub in self.subscriptions():
            if sub["id"] == str(sub_id):
                return sub
        raise errors.not_found(sub_id)

    def subscribe(self, body: object) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("Invalid input JSON: the body must be an object")
        event_type = body.get("eventType")
        if event_type not in EVENT_TYPES:
            raise errors.bad_request(f"eventType {event_type!r} is not one of the supported subscription types")
        if event_type.endswith(".propertyChange") and not body.get("propertyName"):
            raise errors.bad_request("propertyName is required for propertyChange subscriptions")
        app = self._app()
        subs = app.setdefault("subscriptions", [])
        if any(s["eventType"] == event_type and s.get("propertyName") == body.get("propertyName") for s in subs):
            raise errors.error(409, "CONFLICT", f"A subscription for {event_type} already exists.")
        now = self._now()
        sub = {"id": str(self.rt.store.next_value(self.portal, "id:subscription", 1)), "eventType": event_type,
               "active": bool(body.get("active", False)), "createdAt": now, "updatedAt": now,
               **({"propertyName": body["propertyName"]} if body.get("propertyName") else {})}
        subs.append(sub)
        self._save(app)
        return sub

    def update(self, sub_id: str, body: object) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
            raise errors.bad_request("active (true or false) is required")
        app = self._app()
        for sub in app.get("subscriptions", []):
            if sub["id"] == str(sub_id):
                sub.update(active=body["active"], updatedAt=self._now())
                self._save(app)
                return sub
        raise errors.not_found(sub_id)

    def unsubscribe(self, sub_id: str) -> None:
        app = self._app()
        app["subscriptions"] = [s for s in app.get("subscriptions", []) if s["id"] != str(sub_id)]
        self._save(app)


def portal_of_app(runtime: Runtime, app_id: str) -> str | None:
    for portal in runtime.store.tenant_ids("hubspot"):
        app = runtime.store.tenant(portal)["settings"].get("app", {})
        if str(app.get("appId")) == str(app_id):
            return portal
    return None


def app_deliveries(app: dict, events: list[dict]) -> tuple[str, list[dict]] | None:
    """The app's target URL and the events its active subscriptions ask for, each tagged with its subscription."""
    target = (app.get("webhookSettings") or {}).get("targetUrl")
    if not target:
        return None
    chosen = []
    for event in events:
        for sub in app.get("subscriptions", []):
            if sub["active"] and sub["eventType"] == event["subscriptionType"] \
                    and sub.get("propertyName") in (None, event.get("propertyName")):
                chosen.append(dict(event, subscriptionId=int(sub["id"])))
    return (target, chosen) if chosen else None
