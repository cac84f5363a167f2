"""A new HubSpot portal: its settings, a private app and an installed OAuth app; settings an admin changes later."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.runtime import Runtime
from .account import ALL_SCOPES, CURRENCIES, DEFAULT_TIME_ZONE, OAUTH_LIFETIMES, TIERS, new_private_app_token


def new_portal_id() -> str:
    return str(secrets.randbelow(90_000_000) + 10_000_000)


def create_portal(runtime: Runtime, options: dict) -> dict:
    seed = options.get("seed", "sample")
    if seed not in ("sample", "empty"):
        raise ValueError("seed must be 'sample' or 'empty'")
    tier = options.get("tier", "professional")
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {', '.join(TIERS)}")
    currency = str(options.get("currency", "USD")).upper()
    if currency not in CURRENCIES:
        raise ValueError(f"currency must be one of {', '.join(CURRENCIES)}")
    time_zone = str(options.get("timeZone") or DEFAULT_TIME_ZONE)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timeZone must be an IANA time zone such as {DEFAULT_TIME_ZONE}") from exc
    automated_tax = options.get("automatedSalesTax", False)
    if not isinstance(automated_tax, bool):
        raise ValueError("automatedSalesTax must be true or false")
    portal = str(options.get("portalId") or new_portal_id())
    if runtime.store.tenant(portal) is not None:
        raise ValueError(f"portal {portal} already exists")
    client_secret = secrets.token_hex(16)  # the OAuth app's secret also signs its webhooks (v3)
    app_id = secrets.randbelow(9_000_000) + 1_000_000
    settings = {"tier": tier, "currency": currency, "timeZone": time_zone, "automatedSalesTax": automated_tax,
                "webhooks": [],
                "app": {"appId": app_id, "clientSecret": client_secret}}
    creds = runtime.credentials
    with runtime.store.transaction():
        runtime.store.create_tenant(portal, "hubspot", settings, runtime.clock.timestamp())
        client_id, secret = creds.register_app(portal, "", {"kind": "oauth-app", "appId": app_id})
        # register_app makes its own secret; the portal's settings keep the one webhooks are signed with
        settings["app"]["clientSecret"] = secret
        settings["app"]["clientId"] = client_id
        settings["app"]["developerApiKey"] = f"dev-{secrets.token_hex(16)}"  # Webhooks v3 API (hapikey)
        runtime.store.save_tenant_settings(portal, settings)
        token = new_private_app_token()
        runtime.store.put_credential(token, "access", portal, f"private-app-{portal}", None,
                                     {"kind": "private", "scopes": ALL_SCOPES})
        oauth = creds.issue(portal, client_id, OAUTH_LIFETIMES, {"kind": "oauth", "scopes": ALL_SCOPES})
    if seed == "sample":
        from .seed import seed_sample  # faker loads only for sample portals (as in the QBO simulator)

        seed_sample(runtime, portal, int(options.get("seedNumber", 0)))
    return {"portalId": portal, "accessToken": token, "clientId": client_id, "clientSecret": secret,
            "refreshToken": oauth["refresh_token"], "oauthAccessToken": oauth["access_token"],
            "clientSecretForWebhooks": secret, "appId": app_id,
            "developerApiKey": settings["app"]["developerApiKey"]}


def set_automated_sales_tax(runtime: Runtime, portal: str, enabled: bool) -> None:
    """A Super Admin opts the portal into HubSpot's automated sales tax beta, or out of it (rule F4): while it is
    on, line items may carry ``hs_tax_amount`` (records.py) and invoices count it (amounts.py)."""
    with runtime.store.transaction():
        tenant = runtime.store.tenant(portal)
        if tenant is None:
            raise KeyError(portal)
        settings = dict(tenant["settings"])
        settings["automatedSalesTax"] = enabled
        runtime.store.save_tenant_settings(portal, settings)
