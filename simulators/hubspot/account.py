"""What a HubSpot account is before it holds any record: tiers, scopes, token lifetimes, currencies, time zone.

Kept below system.py (auth and limits) and tenant.py (making portals), which both read these, so that neither has
to import the other for them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from ..core.credentials import Lifetimes

OAUTH_LIFETIMES = Lifetimes(access=1800, refresh=None)  # 30-minute access tokens; refresh tokens don't expire
# Private-app limits per tier (per 10 s per app, per day per account); OAuth apps: 100 per 10 s, no daily cap.
TIERS = {"free": (100, 250_000), "starter": (100, 250_000), "professional": (190, 625_000),
         "enterprise": (190, 1_000_000)}
ALL_SCOPES = ["crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read",
              "crm.objects.companies.write", "crm.objects.deals.read", "crm.objects.deals.write", "e-commerce",
              "crm.objects.products.read", "crm.objects.products.write", "crm.objects.line_items.read",
              "crm.objects.line_items.write", "crm.objects.quotes.read", "crm.objects.quotes.write",
              "crm.objects.invoices.read", "crm.objects.invoices.write", "crm.objects.commercepayments.read",
              "crm.objects.commercepayments.write", "crm.schemas.contacts.read", "crm.schemas.contacts.write",
              "crm.schemas.companies.read", "crm.schemas.companies.write", "crm.schemas.deals.read",
              "crm.schemas.deals.write", "crm.objects.owners.read", "tickets", "oauth", "settings.users.read",
              "settings.users.write", "settings.users.teams.read", "crm.objects.users.read", "crm.objects.users.write"]
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD")
DEFAULT_TIME_ZONE = "America/New_York"  # the account-details examples' zone (choice: see docs/decisions.md)
# accountType of GET /account-info/v3/details per tier. The v3 enum (STANDARD, DEVELOPER_TEST, SANDBOX,
# APP_DEVELOPER) says what kind of account it is, not its subscription: every tier is a STANDARD account.
ACCOUNT_TYPES = {"free": "STANDARD", "starter": "STANDARD", "professional": "STANDARD", "enterprise": "STANDARD"}
UI_DOMAIN = "app.hubspot.com"  # the na1 data centre, as the pat-na1- tokens say
DATA_HOSTING_LOCATION = "na1"


def new_private_app_token() -> str:
    return f"pat-na1-{uuid.uuid4()}"


def details(portal_id: str, settings: dict, now: datetime) -> dict:
    """``GET /account-info/v3/details``: the portal's id, kind, time zone (offset at ``now``) and currencies."""
    zone = settings.get("timeZone") or DEFAULT_TIME_ZONE
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sign, rest = ("-" if seconds < 0 else "+"), abs(seconds)
    return {"portalId": int(portal_id), "accountType": ACCOUNT_TYPES.get(settings.get("tier"), "STANDARD"),
            "timeZone": zone, "companyCurrency": settings.get("currency", "USD"), "additionalCurrencies": [],
            "utcOffset": f"{sign}{rest // 3600:02d}:{rest % 3600 // 60:02d}",
            "utcOffsetMilliseconds": seconds * 1000,
            "uiDomain": UI_DOMAIN, "dataHostingLocation": DATA_HOSTING_LOCATION}
