"""HubSpot's error bodies, in its own words (sources in the HubSpot API notes §5)."""

from __future__ import annotations

import uuid


class HubSpotError(Exception):
    """A refusal as HubSpot sends it: an HTTP status and a JSON body."""

    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def correlation_id() -> str:
    return str(uuid.uuid4())


def error(status: int, category: str, message: str, **extra: object) -> HubSpotError:
    return HubSpotError(status, {"status": "error", "message": message, "correlationId": correlation_id(),
                                 **extra, "category": category})


def bad_request(message: str, errors: list[dict] | None = None) -> HubSpotError:
    return error(400, "VALIDATION_ERROR", message, **({"errors": errors} if errors else {}))


def not_simulated(what: str) -> HubSpotError:
    """What HubSpot has and this simulator does not: said plainly."""
    return error(400, "VALIDATION_ERROR", f"{what} is not simulated by hsqbo yet")


def not_found(object_id: object) -> HubSpotError:
    return error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
                 context={"id": [str(object_id)]})


def resource_not_found() -> HubSpotError:
    return HubSpotError(404, {"status": "error", "message": "resource not found", "correlationId": correlation_id()})


def contact_exists(existing_id: object) -> HubSpotError:
    return error(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def unique_value_taken(name: str, value: str, existing_id: object) -> HubSpotError:
    # HubSpot's body for a duplicate in a custom unique property is unconfirmed; modelled on the email conflict.
    return error(409, "CONFLICT", f"A record with {name}={value} already exists. Existing ID: {existing_id}")


def unauthenticated() -> HubSpotError:
    return error(401, "INVALID_AUTHENTICATION",
                 "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                 "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def expired(seconds_ago: int) -> HubSpotError:
    return error(401, "EXPIRED_AUTHENTICATION", f"The OAuth token used to make this call expired {seconds_ago} "
                 "second(s) ago.")


def missing_scopes(required: list[str]) -> HubSpotError:
    return error(403, "MISSING_SCOPES",
                 "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
                 "here: https://developers.hubspot.com/scopes.",
                 errors=[{"message": "One or more of the following scopes are required.",
                          "context": {"requiredGranularScopes": required}}],
                 links={"scopes": "https://developers.hubspot.com/scopes"})


def rate_limited(policy: str, message: str) -> HubSpotError:
    return HubSpotError(429, {"status": "error", "message": message, "errorType": "RATE_LIMIT",
                              "correlationId": correlation_id(), "policyName": policy,
                              "requestId": correlation_id()})


def internal(status: int = 500) -> HubSpotError:
    return error(status, "INTERNAL_ERROR" if status < 503 else "SERVICE_UNAVAILABLE",
                 "internal error" if status < 503 else "Service temporarily unavailable")
