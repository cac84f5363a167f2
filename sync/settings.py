"""The engine's settings: connections, state, schedule and one block per object pair (rules A, B, C, D, E).

Read from a YAML file (``docs/settings-example.yaml`` is a complete, commented example) or from a dict
already parsed, and checked as a whole when loaded, before anything syncs (B5): every problem is
collected and reported together in one :class:`SettingsError`, each naming its setting by its path
(``pairs.contacts.direction: must be one of two-way, to-quickbooks, to-hubspot, not 'both'``).

The object pairs are data: each pair's module in ``sync/pairs/`` declares its default mappings, the QBO
fields custom mappings may name, its own options, its recommended filters (C1-C3) and any filter that is
the system's own; this module reads them from the registry and names no pair.

Choices made where the rule book is silent
    * A pair missing from ``pairs`` is present with its defaults (enabled, recommended filters).
    * Recommended filters (C1-C3) fill in what a pair's block leaves out — its ``direction``, and each of
      ``filters.to_quickbooks`` / ``filters.to_hubspot`` — unless ``recommended_filters: false``; then the
      generic defaults apply (two-way, no filters). An explicit ``[]`` (or null) means "all records".
    * A custom mapping's ``type`` is required (the HubSpot side's type; no HubSpot call is made at load).
      When it equals the QBO field's type the mapping keeps it; a one-way mapping onto a QBO text field,
      or from a QBO field into a HubSpot text property, is stored with type ``text``: values are then
      compared and written as text on both sides (never a JSON number into a QBO text field).
    * A custom mapping's id is its HubSpot property unless it gives a ``name``; ids must be unique in a
      pair, two enabled mappings may not write the same QBO field, nor (both flowing to HubSpot) the same
      HubSpot property, and a custom ``direction`` that can never flow under the pair's direction is refused.
    * Filter operators are read case-insensitively and stored upper-case; an empty filter group is refused
      (it would let every record through); HAS_PROPERTY / NOT_HAS_PROPERTY take no value.
    * Filter values compare as numbers whenever both sides parse as numbers (so zip "02134" EQ 2134), as
      instants when both are ISO dates (QBO stamps times with the company's offset), else as text.
    * YAML files are read with YAML 1.2 booleans (only true/false), so the key ``off`` stays a key.
    * ``hubspot.portal_id`` (an addition) keeps the portal id, which webhook events carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .filters import INVOICE_PREFIX, OPERATORS, Filter, groups_match, needs_invoices, plain, value_problem
from .generations import GENERATIONS, MODES, Generation
from .mapping import (
    DIRECTIONS,
    TO_HUBSPOT,
    TO_QUICKBOOKS,
    TWO_WAY,
    TYPES,
    FieldMap,
)
from .pairs import PAIRS, Option, configurable

__all__ = ["CONFLICTS", "ON_DELETE", "TIERS", "HubSpotConnection", "PairSettings", "QuickBooksConnection", "Settings",
           "SettingsError", "load_settings", "recommended_filters"]

CONFLICTS = ("hubspot", "quickbooks")  # B2: which side wins when the most recent value is unclear
ON_DELETE = ("nothing", "deactivate")  # D4 (legacy)
TIERS = ("free", "starter", "professional", "enterprise")
FREE_TIERS = ("free",)  # custom mappings need a paid tier (B3)

# The real APIs (point base_url at a simulator to test against it; `hsqbo serve --write-settings` does)
QUICKBOOKS_URL = "https://quickbooks.api.intuit.com"
QUICKBOOKS_SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # Intuit's, for both
HUBSPOT_URL = "https://api.hubapi.com"
QUICKBOOKS_TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # elsewhere (a simulator) the token endpoint is on base_url
DEFAULT_STATE = "sqlite:///hsqbo-sync.db"
DEFAULT_INTERVAL_MINUTES = 10  # A3: at most 10 minutes after a change
DEFAULT_LOOKBACK_SECONDS = 120

ON_CHANGE = ("sync", "ignore")  # D4 (legacy): what a QBO create or update does in HubSpot
_COMMON_PAIR_KEYS = ("enabled", "mappings")  # every generation; the others are the generation's (pair_settings)
_GENERATION_PAIR_KEYS = ("direction", "conflict", "filters", "recommended_filters", "on_change", "on_delete")
_TOP_KEYS = ("quickbooks", "hubspot", "quickbooks_webhook_verifier", "state", "setup_date", "interval_minutes",
             "lookback_seconds", "mode", "pairs")


def _today() -> date:
    return datetime.now(UTC).date()


class SettingsError(ValueError):
    """Settings that cannot be used; ``problems`` lists every one, each starting with its setting's path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the settings:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(message)


# ----------------------------------------------------------------------------------------------------------
# Recommended filters (C1-C3)
# ----------------------------------------------------------------------------------------------------------

def recommended_filters(pair: str, setup_date: date) -> dict:
    """The recommended direction and filters of a pair (C1-C3), in the YAML shape of a pair's block."""
    found = PAIRS[pair].recommended(setup_date) if pair in PAIRS else None
    if found is None:
        with_some = [n for n in configurable() if PAIRS[n].recommended(setup_date) is not None]
        raise ValueError(f"no recommended filters for pair {pair!r}; known: {', '.join(with_some)}")
    return found


# ----------------------------------------------------------------------------------------------------------
# The settings
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuickBooksConnection:
    base_url: str = QUICKBOOKS_URL
    token_url: str | None = None  # None: Intuit's for Intuit's URLs, else base_url + /oauth2/v1/tokens/bearer
    realm_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None
    state: str | None = None  # A5 (legacy): a further company's own state; None: derived from the settings' state

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.token_url:
            intuit = self.base_url in (QUICKBOOKS_URL, QUICKBOOKS_SANDBOX_URL)
            object.__setattr__(self, "token_url", INTUIT_TOKEN_URL if intuit else self.base_url + QUICKBOOKS_TOKEN_PATH)


@dataclass(frozen=True)
class HubSpotConnection:
    base_url: str = HUBSPOT_URL
    access_token: str | None = None  # a private-app token; or OAuth with the three below
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    tier: str = "professional"
    client_secret_for_webhooks: str | None = None
    portal_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))


@dataclass(frozen=True)
class PairSettings:
    """The settings of one object pair; ``mappings`` is the effective list (defaults left on, then custom)."""

    name: str
    enabled: bool = True
    direction: str = TWO_WAY
    conflict: str = "hubspot"
    mappings: list[FieldMap] = field(default_factory=list)
    filters_to_quickbooks: list[list[Filter]] = field(default_factory=list)
    filters_to_hubspot: list[list[Filter]] = field(default_factory=list)
    on_delete: str = "nothing"
    on_change: str = "sync"
    generation: str = "current"  # the mode it was read under: which of its settings exist
    recommended_filters: bool = True
    options: dict[str, Any] = field(default_factory=dict)  # the pair's own settings (``Pair.options``)

    def __getattr__(self, name: str) -> Any:
        """A pair's own setting reads like any other: ``settings.tax_code`` (only dataclass fields are real
        attributes; anything else is looked up among the options this pair declares)."""
        options = self.__dict__.get("options") or {}
        if name in options:
            return options[name]
        raise AttributeError(f"the {self.__dict__.get('name')} pair has no setting {name!r}")

    def filters_towards(self, to: str) -> list[list[Filter]]:
        _check_towards(to)
        return self.filters_to_quickbooks if to == TO_QUICKBOOKS else self.filters_to_hubspot

    def maps_towards(self, to: str) -> list[FieldMap]:
        """The mappings whose values may be written towards ``to`` (``to-quickbooks`` or ``to-hubspot``)."""
        _check_towards(to)
        return [m for m in self.mappings if m.flows(self.direction, to)]

    def passes(self, records_properties: Mapping, towards: str) -> bool:
        """Whether a record passes the filters of the given direction (records going ``towards`` that side).

        ``records_properties``: a HubSpot record's properties, or a QBO entity; with ``invoice.*`` filters,
        plus ``"__invoices__"``, the associated invoices' properties (see :meth:`needs_invoices`).
        """
        return groups_match(self.filters_towards(towards), records_properties)

    def needs_invoices(self, towards: str) -> bool:
        return needs_invoices(self.filters_towards(towards))

    @classmethod
    def from_dict(cls, name: str, data: Mapping | None, *, setup_date: date | None = None,
                  tier: str = "professional", mode: str = "current") -> PairSettings:
        problems: list[str] = []
        pair = _parse_pair(name, data, setup_date or _today(), tier, GENERATIONS[mode], problems)
        if problems:
            raise SettingsError(problems)
        return pair

    def to_dict(self) -> dict:
        defaults = PAIRS[self.name].mappings
        kept = {m.id for m in self.mappings if not m.custom}
        custom = []
        for m in self.mappings:
            if m.custom:
                item = {"hubspot": m.hubspot, "quickbooks": m.quickbooks, "type": m.type, "direction": m.direction}
                if m.name:
                    item["name"] = m.name
                custom.append(item)
        out: dict = {
            "enabled": self.enabled,
            "direction": self.direction,
            "conflict": self.conflict,
            "mappings": {"off": [m.id for m in defaults if m.id not in kept], "custom": custom},
            "filters": {"to_quickbooks": [[f.to_dict() for f in g] for g in self.filters_to_quickbooks],
                        "to_hubspot": [[f.to_dict() for f in g] for g in self.filters_to_hubspot]},
            "on_change": self.on_change,
            "on_delete": self.on_delete,
            "recommended_filters": self.recommended_filters,
        }
        if PAIRS[self.name].fixed_filters_to_quickbooks is not None:
            del out["filters"]["to_quickbooks"]  # the system's own (B4): not a setting
        generation = GENERATIONS[self.generation]
        for key in _GENERATION_PAIR_KEYS:  # only what this generation has
            if key not in generation.pair_settings:
                del out[key]
        for key, option in PAIRS[self.name].options.items():
            if option.available_in(self.generation):
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Settings:
    quickbooks: QuickBooksConnection = field(default_factory=QuickBooksConnection)
    hubspot: HubSpotConnection = field(default_factory=HubSpotConnection)
    state: str = DEFAULT_STATE
    setup_date: date = field(default_factory=_today)
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS
    quickbooks_webhook_verifier: str | None = None
    mode: str = "current"
    pairs: dict[str, PairSettings] = field(default_factory=dict)
    # A5 (legacy): QBO companies connected besides ``quickbooks``; each syncs through an engine of its own
    other_companies: tuple[QuickBooksConnection, ...] = ()
    # A5, set by ``per_company`` when several companies connect: the company's namespace for QBO ids in HubSpot
    # ("" the first company's: ids as they are; a realm id: "<realm>/<id>"); None: one company, no namespace
    hubspot_namespace: str | None = None

    @property
    def legacy(self) -> bool:
        return self.mode == "legacy"

    def per_company(self) -> list[Settings]:
        """One settings per connected QBO company, the first company's first (A5): each further one with its
        own state and its QBO ids namespaced in HubSpot, so two companies' invoice 1 never meet."""
        if not self.other_companies:
            return [self]
        out = [replace(self, other_companies=(), hubspot_namespace="")]
        for company in self.other_companies:
            out.append(replace(self, quickbooks=replace(company, state=None), other_companies=(),
                               state=company.state or company_state(self.state, str(company.realm_id)),
                               hubspot_namespace=str(company.realm_id)))
        return out

    @property
    def generation(self) -> Generation:
        """The generation of HubSpot's integration the engine behaves as (sync/generations.py)."""
        return GENERATIONS[self.mode]

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Settings:
        """Settings from their YAML shape; raises :class:`SettingsError` listing every problem."""
        problems: list[str] = []
        settings = _parse_settings(data, problems)
        if problems:
            raise SettingsError(problems)
        return settings

    def to_dict(self) -> dict:
        """The YAML shape, every setting explicit; ``Settings.from_dict(s.to_dict()) == s``."""
        first = {k: v for k, v in asdict(self.quickbooks).items() if k != "state"}
        return {
            "quickbooks": [first, *map(asdict, self.other_companies)] if self.other_companies else first,
            "hubspot": asdict(self.hubspot),
            "quickbooks_webhook_verifier": self.quickbooks_webhook_verifier,
            "state": self.state,
            "setup_date": self.setup_date.isoformat(),
            "interval_minutes": self.interval_minutes,
            "lookback_seconds": self.lookback_seconds,
            "mode": self.mode,
            "pairs": {name: pair.to_dict() for name, pair in self.pairs.items()},
        }


class _YAMLLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans: only true/false are booleans, so ``off:`` (the mappings
    key), ``value: yes`` or ``value: no`` stay text."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_YAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YAMLLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_settings(source: str | Path | Mapping) -> Settings:
    """Settings from a YAML file (path) or a dict already parsed; raises :class:`SettingsError`.

    Files are read with YAML 1.2 booleans (only true/false); a dict parsed by ``yaml.safe_load``, where the
    key ``off`` became False, is accepted too.
    """
    if isinstance(source, Mapping):
        return Settings.from_dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SettingsError([f"{path}: not UTF-8 text (byte {err.start}): save the file as UTF-8"]) from err
    try:
        data = yaml.load(text, Loader=_YAMLLoader)  # a safe loader
    except yaml.YAMLError as err:
        raise SettingsError([f"{path}: not valid YAML: {' '.join(str(err).split())}"]) from err
    if data is None:  # nothing but blanks and comments: the real APIs with no credentials is never what was meant
        raise SettingsError([f"{path}: the file holds no settings; `hsqbo serve --write-settings FILE` writes one"])
    settings = Settings.from_dict(data)
    others = tuple(replace(c, state=beside(c.state, path.parent)) if c.state else c for c in settings.other_companies)
    return replace(settings, state=beside(settings.state, path.parent), other_companies=others)


def company_state(url: str, realm: str) -> str:
    """A further QBO company's state (A5): a SQLite file gets the realm id in its name, in memory stays in memory
    (a database of its own); other databases need ``state`` in the company's settings."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database.startswith("file:"):
        raise ValueError(url)
    if database in ("", ":memory:"):
        return url
    path = Path(database)
    named = path.with_name(f"{path.stem}-{realm}{path.suffix}")
    return parsed.set(database=str(named)).render_as_string(hide_password=False)


def beside(url: str, folder: Path) -> str:
    """A SQLite file named by a relative path is relative to ``folder`` (the settings file's), not to the working
    directory; other URLs are left as they are."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:") \
            or Path(database).is_absolute():
        return url
    return parsed.set(database=str((folder / database).resolve())).render_as_string(hide_password=False)


# ----------------------------------------------------------------------------------------------------------
# Parsing and validation (B5): each helper appends "<path>: <problem>" and carries on with a default
# ----------------------------------------------------------------------------------------------------------

def _check_towards(to: str) -> None:
    if to not in (TO_QUICKBOOKS, TO_HUBSPOT):
        raise ValueError(f"towards must be {TO_QUICKBOOKS!r} or {TO_HUBSPOT!r}, not {to!r}")


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _mapping(value: object, path: str, problems: list[str]) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{path}: must be a mapping of settings, not {value!r}")
        return {}
    return value


def _unknown(data: Mapping, known: Sequence[str], path: str, problems: list[str]) -> None:
    for key in data:
        if key not in known:
            problems.append(f"{_join(path, key)}: unknown setting; known: {', '.join(known)}")


def _choice(data: Mapping, key: str, choices: Sequence[str], default: str, path: str, problems: list[str]) -> str:
    value = data.get(key)
    if value is None:
        return default
    if value not in choices:
        problems.append(f"{_join(path, key)}: must be one of {', '.join(choices)}, not {value!r}")
        return default
    return value


def _bool(data: Mapping, key: str, default: bool, path: str, problems: list[str]) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        problems.append(f"{_join(path, key)}: must be true or false, not {value!r}")
        return default
    return value


def _int(data: Mapping, key: str, default: int, minimum: int, path: str, problems: list[str]) -> int:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{_join(path, key)}: must be a whole number of at least {minimum}, not {value!r}")
        return default
    return value


def _str(data: Mapping, key: str, path: str, problems: list[str]) -> str | None:
    """An optional text setting; ids YAML reads as numbers (realm ids) are kept as text."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(f"{_join(path, key)}: must be text, not {value!r}")
        return None
    text = str(value).strip()
    if not text:
        problems.append(f"{_join(path, key)}: must not be blank (leave it out or set it to null)")
        return None
    return text


def _url(data: Mapping, key: str, default: str | None, path: str, problems: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
        problems.append(f"{_join(path, key)}: must be an http:// or https:// URL, not {value!r}")
        return default
    return value.strip()


def _oauth_complete(data: Mapping, path: str, problems: list[str]) -> None:
    if data.get("refresh_token") is not None:
        for key in ("client_id", "client_secret"):
            if data.get(key) is None:
                problems.append(f"{_join(path, key)}: needed with {path}.refresh_token (OAuth refresh)")


def _parse_companies(raw: object, mode: str, state: str, problems: list[str]) -> list[QuickBooksConnection]:
    """``quickbooks``: one company's connection, or (legacy, A5) a list of them, the first one's first."""
    if not isinstance(raw, list):
        return [_parse_quickbooks(raw, "quickbooks", problems, first=True)]
    if not raw:
        problems.append("quickbooks: an empty list; give the QuickBooks company's connection")
        return [QuickBooksConnection()]
    if len(raw) > 1 and not GENERATIONS[mode].several_companies:
        problems.append(f"quickbooks: the {mode} integration connects one QuickBooks company; several companies "
                        "per HubSpot account are legacy only (A5)")
    companies = [_parse_quickbooks(item, f"quickbooks[{i}]", problems, first=i == 0) for i, item in enumerate(raw)]
    realms = [str(c.realm_id) for c in companies]
    for realm in sorted({r for r in realms if realms.count(r) > 1}):
        problems.append(f"quickbooks: company {realm} is listed twice; each QuickBooks company connects once (A5)")
    for i, company in enumerate(companies[1:], 1):
        if company.state is None:
            try:
                company_state(state, realms[i])
            except ValueError:
                problems.append(f"quickbooks[{i}].state: needed: the settings' state is not a SQLite database, so "
                                "each further company names a database of its own")
    return companies


def _parse_quickbooks(raw: object, path: str, problems: list[str], *, first: bool) -> QuickBooksConnection:
    data = _mapping(raw, path, problems)
    known = [f.name for f in QuickBooksConnection.__dataclass_fields__.values()]
    _unknown(data, known if not first else [k for k in known if k != "state"], path, problems)
    _oauth_complete(data, path, problems)
    return QuickBooksConnection(
        base_url=_url(data, "base_url", QUICKBOOKS_URL, path, problems) or QUICKBOOKS_URL,
        token_url=_url(data, "token_url", None, path, problems),
        state=None if first else _parse_state(data.get("state"), problems, f"{path}.state", None),
        **{key: _str(data, key, path, problems)
           for key in ("realm_id", "client_id", "client_secret", "refresh_token", "access_token")},
    )


def _parse_hubspot(raw: object, problems: list[str]) -> HubSpotConnection:
    path = "hubspot"
    data = _mapping(raw, path, problems)
    _unknown(data, [f.name for f in HubSpotConnection.__dataclass_fields__.values()], path, problems)
    _oauth_complete(data, path, problems)
    return HubSpotConnection(
        base_url=_url(data, "base_url", HUBSPOT_URL, path, problems) or HUBSPOT_URL,
        tier=_choice(data, "tier", TIERS, "professional", path, problems),
        **{key: _str(data, key, path, problems)
           for key in ("access_token", "client_id", "client_secret", "refresh_token", "client_secret_for_webhooks",
                       "portal_id")},
    )


def _parse_date(value: object, problems: list[str]) -> date:
    if value is None:
        return _today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"setup_date: must be a date (YYYY-MM-DD), not {value!r}")
    return _today()


def _parse_state(value: object, problems: list[str], path: str = "state", default: Any = DEFAULT_STATE) -> Any:
    if value is None:
        return default
    if not isinstance(value, str):
        problems.append(f"{path}: must be a SQLAlchemy database URL, not {value!r}")
        return default
    try:
        make_url(value)
    except (ArgumentError, ValueError) as err:
        problems.append(f"{path}: not a database URL SQLAlchemy can read ({err}): {value!r}")
        return default
    return value


def _parse_settings(raw: object, problems: list[str]) -> Settings:
    data = _mapping(raw, "settings", problems)
    _unknown(data, _TOP_KEYS, "", problems)
    mode = _mode(data.get("mode"), problems)
    generation = GENERATIONS[mode]
    state = _parse_state(data.get("state"), problems)
    quickbooks, *others = _parse_companies(data.get("quickbooks"), mode, state, problems)
    hubspot = _parse_hubspot(data.get("hubspot"), problems)
    setup_date = _parse_date(data.get("setup_date"), problems)
    interval = _int(data, "interval_minutes", DEFAULT_INTERVAL_MINUTES, 1, "", problems)
    lookback = _int(data, "lookback_seconds", DEFAULT_LOOKBACK_SECONDS, 0, "", problems)
    verifier = _str(data, "quickbooks_webhook_verifier", "", problems)
    for company in (quickbooks, *others):
        if generation.refuses_sandbox and company.base_url == QUICKBOOKS_SANDBOX_URL:
            problems.append(f"quickbooks.base_url: QuickBooks sandbox companies cannot connect to the {mode} "
                            "integration (A5)")
    pairs_raw = _mapping(data.get("pairs"), "pairs", problems)
    known = configurable()
    for name in pairs_raw:
        if name not in known:
            problems.append(f"pairs.{name}: unknown object pair; known pairs: {', '.join(known)}")
    pairs = {name: _parse_pair(name, pairs_raw.get(name), setup_date, hubspot.tier, generation, problems)
             for name in known}
    return Settings(quickbooks=quickbooks, hubspot=hubspot, state=state, setup_date=setup_date,
                    interval_minutes=interval, lookback_seconds=lookback, quickbooks_webhook_verifier=verifier,
                    mode=mode, pairs=pairs, other_companies=tuple(others))


def _mode(raw: object, problems: list[str]) -> str:
    """``mode``: current, 2023 (a number or a string) or legacy."""
    mode = "current" if raw is None else str(raw).strip()
    if mode not in MODES:
        problems.append(f"mode: must be one of {', '.join(MODES)} (the generation of HubSpot's integration to "
                        f"behave as), not {raw!r}")
        return "current"
    return mode


def _parse_pair(name: str, raw: object, setup_date: date, tier: str, generation: Generation,
                problems: list[str]) -> PairSettings:
    path = f"pairs.{name}"
    data = _mapping(raw, path, problems)
    options = {k: o for k, o in PAIRS[name].options.items() if o.available_in(generation.name)}
    mode = generation.name
    for key in data:
        if key in _COMMON_PAIR_KEYS or key in options or key in generation.pair_settings:
            continue
        users = [pair for pair in configurable() if key in PAIRS[pair].options]
        others = [g.name for g in GENERATIONS.values() if key in g.pair_settings
                  or any(key in PAIRS[p].options and PAIRS[p].options[key].available_in(g.name) for p in users)]
        if users and name not in users:
            problems.append(f"{path}.{key}: not a setting of the {name} pair (only of: {', '.join(users)})")
        elif others:
            problems.append(f"{path}.{key}: the {mode} integration has no such setting (only {', '.join(others)})")
        else:
            known = [*_COMMON_PAIR_KEYS, *[k for k in _GENERATION_PAIR_KEYS if k in generation.pair_settings],
                     *options]
            problems.append(f"{path}.{key}: unknown setting; known: {', '.join(known)}")
    has = generation.pair_settings
    use_recommended = generation.recommended_filters and _bool(data, "recommended_filters", True, path, problems)
    recommended: dict = {}
    if use_recommended:
        try:
            recommended = recommended_filters(name, setup_date)
        except ValueError:
            recommended = {}
    enabled = _bool(data, "enabled", True, path, problems)
    allowed = generation.directions.get(name, DIRECTIONS)
    default_direction = recommended.get("direction", TWO_WAY) if "direction" in has else allowed[0]
    direction = _choice(data, "direction", DIRECTIONS, default_direction, path, problems) if "direction" in has \
        else default_direction
    direction_ok = data.get("direction") is None or data.get("direction") in DIRECTIONS
    if direction_ok and direction not in allowed:
        problems.append(f"{path}.direction: the {mode} integration syncs {name} {' or '.join(allowed)} only (A1), "
                        f"not {direction!r}")
    conflict = _choice(data, "conflict", CONFLICTS, "hubspot", path, problems) if "conflict" in has else "hubspot"
    # an invalid direction (already reported) skips the checks that depend on it
    mappings = _parse_mappings(name, data.get("mappings"), direction if direction_ok else "", tier, generation, path,
                               problems)
    filters = _parse_filters(data if "filters" in has else {}, recommended.get("filters", {}), path, problems)
    on_delete = _choice(data, "on_delete", ON_DELETE, "nothing", path, problems) if "on_delete" in has else "nothing"
    on_change = _choice(data, "on_change", ON_CHANGE, "sync", path, problems) if "on_change" in has else "sync"
    # an option this generation lacks cannot be set, but reads as its default (the pair's code stays simple)
    extra = {key: _option(data, key, option, path, problems) if key in options else option.default
             for key, option in PAIRS[name].options.items()}
    fixed = PAIRS[name].fixed_filters_to_quickbooks
    if fixed is not None:
        if "to_quickbooks" in (data.get("filters") or {}) and "filters" in has:
            problems.append(f"{path}.filters.to_quickbooks: the outbound {PAIRS[name].hubspot_webhook} filter is "
                            "HubSpot's own and cannot be edited (B4): only invoices that are not drafts go to "
                            "QuickBooks")
        filters["to_quickbooks"] = _parse_groups(fixed, path, problems)
    return PairSettings(name=name, enabled=enabled, direction=direction, conflict=conflict, mappings=mappings,
                        filters_to_quickbooks=filters["to_quickbooks"], filters_to_hubspot=filters["to_hubspot"],
                        on_delete=on_delete, on_change=on_change, generation=mode,
                        recommended_filters=use_recommended, options=extra)


def _option(data: Mapping, key: str, option: Option, path: str, problems: list[str]) -> object:
    """A pair's own setting, read as its declaration says."""
    if option.check is not None:
        return option.check(data.get(key), f"{path}.{key}", problems)
    if option.kind == "bool":
        return _bool(data, key, bool(option.default), path, problems)
    return _str(data, key, path, problems) or option.default


def _parse_filters(data: Mapping, recommended: Mapping, path: str, problems: list[str]) -> dict[str, list]:
    fpath = f"{path}.filters"
    block = _mapping(data.get("filters"), fpath, problems)
    _unknown(block, ("to_quickbooks", "to_hubspot"), fpath, problems)
    out: dict[str, list] = {}
    for side in ("to_quickbooks", "to_hubspot"):
        if side in block:
            groups = block[side]
        else:
            groups = recommended.get(side) or []
        out[side] = _parse_groups(groups, f"{fpath}.{side}", problems)
    return out


def _parse_groups(raw: object, path: str, problems: list[str]) -> list[list[Filter]]:
    if raw is None:
        return []
    shape = "(groups are lists of filters: AND inside a group, OR between groups)"
    if not isinstance(raw, list):
        problems.append(f"{path}: must be a list of filter groups {shape}, not {raw!r}")
        return []
    groups = []
    for i, group in enumerate(raw):
        gpath = f"{path}[{i}]"
        if not isinstance(group, list):
            problems.append(f"{gpath}: a filter group must be a list of filters {shape}, not {group!r}")
            continue
        if not group:
            problems.append(f"{gpath}: an empty filter group lets every record through; remove it")
            continue
        filters = [f for j, item in enumerate(group) if (f := _parse_filter(item, f"{gpath}[{j}]", problems))]
        if len(filters) == len(group):
            groups.append(filters)
    return groups


def _parse_filter(raw: object, path: str, problems: list[str]) -> Filter | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: a filter must be a mapping with property, operator and value, not {raw!r}")
        return None
    before = len(problems)
    _unknown(raw, ("property", "operator", "value"), path, problems)
    prop = raw.get("property")
    if not isinstance(prop, str) or not prop.strip():
        problems.append(f"{path}.property: must be a non-empty property name, not {prop!r}")
    elif prop.strip() == INVOICE_PREFIX:
        problems.append(f"{path}.property: {prop!r} names no invoice property (e.g. invoice.hs_invoice_status)")
    operator = raw.get("operator")
    if not isinstance(operator, str) or operator.strip().upper() not in OPERATORS:
        problems.append(f"{path}.operator: must be one of {', '.join(OPERATORS)}, not {operator!r}")
    else:
        operator = operator.strip().upper()
        problem = value_problem(operator, plain(raw.get("value")))
        if problem:
            problems.append(f"{path}.value: {problem}, not {raw.get('value')!r}")
    if len(problems) > before or not isinstance(prop, str) or not isinstance(operator, str):
        return None  # a property or operator that is not text was reported above
    return Filter(prop.strip(), operator, raw.get("value"))


def _parse_mappings(name: str, raw: object, direction: str, tier: str, generation: Generation, path: str,
                    problems: list[str]) -> list[FieldMap]:
    mpath = f"{path}.mappings"
    block = _mapping(raw, mpath, problems)
    if False in block and "off" not in block:  # yaml.safe_load (YAML 1.1) reads the key `off` as False
        block = {("off" if key is False else key): value for key, value in block.items()}
    _unknown(block, ("off", "custom"), mpath, problems)
    defaults = PAIRS[name].mappings
    default_ids = [m.id for m in defaults]
    off_raw = block.get("off") or []
    off: set[str] = set()
    if not isinstance(off_raw, list):
        problems.append(f"{mpath}.off: must be a list of default mapping ids, not {off_raw!r}")
        off_raw = []
    for i, item in enumerate(off_raw):
        if item not in default_ids:
            problems.append(f"{mpath}.off[{i}]: {item!r} is not a default mapping of {name}; "
                            f"known: {', '.join(default_ids)}")
        else:
            off.add(item)
    mappings = [m for m in defaults if m.id not in off]
    custom_raw = block.get("custom") or []
    if not isinstance(custom_raw, list):
        problems.append(f"{mpath}.custom: must be a list of custom mappings, not {custom_raw!r}")
        return mappings
    if custom_raw and tier in FREE_TIERS and generation.custom_mapping_tier:
        problems.append(f"{mpath}.custom: custom mappings are a paid-tier feature (B3: the {generation.name} "
                        f"integration needs {generation.custom_mapping_tier} or higher); hubspot.tier is {tier!r}")
    for i, item in enumerate(custom_raw):
        fm = _parse_custom(name, item, direction, mappings, f"{mpath}.custom[{i}]", problems)
        if fm is not None:
            mappings.append(fm)
    return mappings


def _parse_custom(pair: str, raw: object, pair_direction: str, existing: list[FieldMap], path: str,
                  problems: list[str]) -> FieldMap | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: a custom mapping must be a mapping with hubspot, quickbooks and type, not {raw!r}")
        return None
    before = len(problems)
    _unknown(raw, ("hubspot", "quickbooks", "type", "direction", "name"), path, problems)
    for key in ("hubspot", "quickbooks", "type"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}.{key}: required (a non-empty string), not {value!r}")
    if len(problems) > before:
        return None
    hubspot, qbo_field, kind = raw["hubspot"].strip(), raw["quickbooks"].strip(), raw["type"].strip()
    direction = _choice(raw, "direction", DIRECTIONS, TWO_WAY, path, problems)
    label = raw.get("name")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        problems.append(f"{path}.name: must be a non-empty string, not {label!r}")
        label = None
    fields = PAIRS[pair].qbo_fields
    if kind not in TYPES:
        problems.append(f"{path}.type: must be one of {', '.join(TYPES)}, not {kind!r}")
    if qbo_field not in fields:
        problems.append(f"{path}.quickbooks: {qbo_field!r} is not a QuickBooks field custom mappings of {pair} "
                        f"may use; known: {', '.join(fields)}")
    if len(problems) > before:
        return None
    qbo_type, stored = fields[qbo_field], kind
    if kind != qbo_type:  # edge case 49: refused at load, never at runtime
        stored = "text"
        if qbo_type == "text" and direction != TO_QUICKBOOKS:
            problems.append(f"{path}.direction: a {kind} property can map onto the QuickBooks text field "
                            f"{qbo_field!r} only one-way (direction: {TO_QUICKBOOKS}), not {direction!r}")
        elif kind == "text" and qbo_type != "text" and direction != TO_HUBSPOT:
            problems.append(f"{path}.direction: the QuickBooks {qbo_type} field {qbo_field!r} can map into a text "
                            f"property only one-way (direction: {TO_HUBSPOT}), not {direction!r}")
        elif qbo_type != "text" and kind != "text":
            problems.append(f"{path}.type: {kind!r} is incompatible with the QuickBooks {qbo_type} field "
                            f"{qbo_field!r} (edge case 49); map a {qbo_type} property to it, or map it one-way into a "
                            f"HubSpot text property (direction: {TO_HUBSPOT})")
    fm = FieldMap(hubspot, qbo_field, stored, direction, name=label.strip() if label else "", custom=True)
    if pair_direction in DIRECTIONS and not any(fm.flows(pair_direction, to) for to in (TO_QUICKBOOKS, TO_HUBSPOT)):
        problems.append(f"{path}.direction: {direction!r} never flows in a pair whose direction is "
                        f"{pair_direction!r}")
    for other in existing:
        kind_of = "default mapping" if not other.custom else "custom mapping"
        if other.quickbooks == qbo_field:
            hint = " (switch it off with mappings.off)" if not other.custom else ""
            problems.append(f"{path}.quickbooks: the QuickBooks field {qbo_field!r} is already mapped by the "
                            f"{kind_of} {other.id!r}{hint}")
        if other.id == fm.id:
            problems.append(f"{path}: the id {fm.id!r} is already used by the {kind_of} {other.id!r}; "
                            f"give this mapping a distinct name")
        elif other.hubspot == hubspot and TO_QUICKBOOKS not in (other.direction, fm.direction):
            problems.append(f"{path}.hubspot: the HubSpot property {hubspot!r} already receives values from the "
                            f"{kind_of} {other.id!r}")
    return None if len(problems) > before else fm
