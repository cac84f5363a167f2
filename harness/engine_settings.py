"""The sync engine's settings for the simulators: in-process or served, and the settings file
``hsqbo serve --write-settings`` writes. The engine itself knows only the real APIs' URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from sync.pairs import PAIRS, configurable
from sync.settings import DEFAULT_STATE, QUICKBOOKS_TOKEN_PATH, Settings

SIMULATED_QUICKBOOKS_URL = "http://quickbooks.sim"  # in-process routes of simulators.sims
SIMULATED_HUBSPOT_URL = "http://hubspot.sim"


def quickbooks_connection(company: Mapping) -> dict:
    """A QBO company's connection settings (their YAML shape) from the credentials the simulator returns."""
    return {"base_url": SIMULATED_QUICKBOOKS_URL, "realm_id": company.get("realmId"),
            "client_id": company.get("clientId"), "client_secret": company.get("clientSecret"),
            "refresh_token": company.get("refreshToken"), "access_token": company.get("accessToken")}


def for_simulators(quickbooks: Mapping, hubspot: Mapping, /, *, other_companies: Sequence[Mapping] = (),
                   **overrides: object) -> Settings:
    """Settings for the credentials the simulators return (``Simulators.new_qbo_company()`` and
    ``new_hubspot_portal()``), on their in-process URLs with an in-memory state.

    ``overrides`` are top-level settings in their YAML shape; ``quickbooks=`` / ``hubspot=`` dicts are
    merged into the connections (``hubspot={"tier": "free"}``), the others replace the default.
    ``other_companies`` (legacy, A5): further QBO companies connected to the same portal, each's connection
    taking the first one's ``base_url`` and ``token_url``.
    """
    data: dict = {
        "quickbooks": quickbooks_connection(quickbooks),
        "hubspot": {"base_url": SIMULATED_HUBSPOT_URL, "portal_id": hubspot.get("portalId"),
                    "access_token": hubspot.get("accessToken"), "client_id": hubspot.get("clientId"),
                    "client_secret": hubspot.get("clientSecret"), "refresh_token": hubspot.get("refreshToken"),
                    "client_secret_for_webhooks": hubspot.get("clientSecretForWebhooks")},
        "quickbooks_webhook_verifier": quickbooks.get("verifierToken"),
        "state": "sqlite://",
    }
    if hubspot.get("tier"):
        data["hubspot"]["tier"] = hubspot["tier"]
    for key, value in overrides.items():
        if key in ("quickbooks", "hubspot") and isinstance(value, Mapping):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    if other_companies:
        shared = {k: data["quickbooks"][k] for k in ("base_url", "token_url") if k in data["quickbooks"]}
        data["quickbooks"] = [data["quickbooks"], *({**quickbooks_connection(c), **shared} for c in other_companies)]
    return Settings.from_dict(data)


_SECTION_NOTES = {
    "quickbooks": "QuickBooks Online connection: the simulator's ready-made company",
    "hubspot": "HubSpot connection: the simulator's ready-made portal (a private-app token; the OAuth app too)",
    "quickbooks_webhook_verifier": "QBO's verifier token: checks the intuit-signature header of QBO's webhooks",
    "state": "SQLAlchemy URL of the engine's state. The simulators forget everything when they stop (unless\n"
             "`hsqbo serve --db ...`): delete this database when you restart them with a new company",
    "setup_date": "the recommended filters below were computed from it (C1-C3)",
    "interval_minutes": "`hsqbo sync --watch` runs a pass at least this often (A3)",
    "lookback_seconds": "each pass re-reads this far back, for late or same-timestamp changes",
    "pairs": "one block per object pair, every setting written out with its recommended value",
}


def simulator_settings(company: Mapping, portal: Mapping, *, quickbooks_url: str, hubspot_url: str,
                       tier: str | None = None, state: str | None = None) -> dict:
    """The engine's settings (their YAML shape, every setting explicit) for a simulator company and portal.

    ``company`` / ``portal`` are what the simulators' ``POST /_sim/tenants`` returns. The defaults and the
    recommended filters come from :mod:`sync.settings` itself (``Settings.to_dict()``), never from a copy here.
    """
    portal = {**portal, "tier": tier or portal.get("tier")}
    settings = for_simulators(company, portal, quickbooks={"base_url": quickbooks_url},
                                       hubspot={"base_url": hubspot_url}, state=state or DEFAULT_STATE)
    doc = settings.to_dict()
    if doc["quickbooks"]["token_url"] == doc["quickbooks"]["base_url"] + QUICKBOOKS_TOKEN_PATH:
        doc["quickbooks"]["token_url"] = None  # derived from base_url: it follows when base_url is edited
    return doc


def settings_yaml(doc: Mapping, header: str = "") -> str:
    """A settings document as YAML, a comment before each top-level setting."""
    notes = dict(_SECTION_NOTES)
    notes["pairs"] += "".join(f"\n{name}: default mappings (ids for mappings.off): "
                              f"{', '.join(m.id for m in PAIRS[name].mappings)}" for name in configurable())
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for key, value in doc.items():
        note = notes.get(key)
        if note:
            lines += ["", *(f"# {line}" for line in note.splitlines())]
        lines.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=120).rstrip())
    return "\n".join(lines) + "\n"


def write_settings(path: str | Path, doc: Mapping, header: str = "") -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
    path.write_text(settings_yaml(doc, header), encoding="utf-8")
    return path.resolve()


def write_simulator_settings(path: str | Path, info: Mapping, tier: str) -> Path:
    """``serve --write-settings``: settings for the servers and the ready-made tenants ``_start`` made."""
    company, portal = info["company"], info["portal"]
    doc = simulator_settings(company, portal, quickbooks_url=info["servers"]["quickbooks"].url,
                             hubspot_url=info["servers"]["hubspot"].url, tier=tier)
    header = ("Settings of the hsqbo sync engine, written by `hsqbo serve --write-settings` for the simulators it\n"
              f"started (QBO company {company['realmId']}, HubSpot portal {portal['portalId']}).\n"
              "Every setting is written out with its default or recommended value; change what you need\n"
              "(docs/settings-example.yaml explains each one), then: hsqbo sync --settings THIS_FILE")
    return write_settings(path, doc, header)
