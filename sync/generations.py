"""The three generations of HubSpot's QuickBooks Online integration, each a profile the engine runs as
(``mode:`` in the settings). What one generation has never shows up in another; the facts and their
articles are in docs/integration-rules.md (section J compares them).

- ``current``: the data sync as documented in September 2025 (article 001).
- ``2023``: the data sync as first released, for installs from 2 May 2023 (004).
- ``legacy``: the integration before the data sync (000, 002, 003).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mapping import TO_HUBSPOT, TO_QUICKBOOKS, TWO_WAY

ANY_DIRECTION = (TWO_WAY, TO_QUICKBOOKS, TO_HUBSPOT)

# What a pair block may say beyond ``enabled`` and ``mappings``, per generation
CURRENT_PAIR_SETTINGS = frozenset({"direction", "conflict", "filters", "recommended_filters"})
LEGACY_PAIR_SETTINGS = frozenset({"on_change", "on_delete"})  # D4: the two drop-downs of each legacy switch


@dataclass(frozen=True)
class Generation:
    name: str
    articles: str
    # A1/B1: each pair's directions; the first is the default. A pair missing here does not exist.
    directions: dict[str, tuple[str, ...]]
    pair_settings: frozenset[str]  # B1, B2, B4, C (current); D4 (legacy)
    recommended_filters: bool  # C1-C3 set up the pairs (current)
    actions: frozenset[str]  # the actions a user or a workflow has (F10, F11, D5, G4)
    deal_invoice_properties: bool  # F8: the deal's five invoice properties follow its latest invoice (F13: none)
    foreign_currency_leaves_deal: bool  # F7
    workflow_creates_customer: bool  # D5: legacy makes the customer whether or not the contact syncs
    recent_records_only: frozenset[str] = field(default_factory=frozenset)  # A6: pairs taking only new changes
    drafts_for_approval: bool = False  # F14 / I9: invoices from HubSpot are drafts QBO Advanced lists
    refuses_sandbox: bool = False  # A5: a QBO sandbox company cannot connect
    several_companies: bool = False  # A5: one HubSpot account may connect more than one QBO company
    custom_mapping_tier: str = ""  # B3: the HubSpot subscription custom mappings need ("" none)
    card_only_invoices: bool = False  # F11: without the invoice switch, only card-made or added invoices show
    runs_when_off: frozenset[str] = field(default_factory=frozenset)  # pairs whose attached records sync anyway

    def allows(self, pair: str, direction: str) -> bool:
        return direction in self.directions.get(pair, ())


CURRENT = Generation(
    name="current", articles="001",
    directions={"contacts": ANY_DIRECTION, "products": ANY_DIRECTION, "invoices": ANY_DIRECTION},
    pair_settings=CURRENT_PAIR_SETTINGS, recommended_filters=True,
    actions=frozenset({"workflow_create_invoice", "workflow_paid_invoice"}),
    deal_invoice_properties=False, foreign_currency_leaves_deal=False,
    workflow_creates_customer=False, custom_mapping_tier="Data Hub Starter",
)
DATA_SYNC_2023 = Generation(
    name="2023", articles="004",
    directions={"contacts": (TWO_WAY,), "products": (TWO_WAY,), "invoices": (TO_HUBSPOT,)},
    pair_settings=frozenset(), recommended_filters=False,
    actions=frozenset({"workflow_create_invoice"}),  # the one route of a HubSpot invoice into QBO (A1)
    deal_invoice_properties=True, foreign_currency_leaves_deal=False,
    workflow_creates_customer=False, refuses_sandbox=True, custom_mapping_tier="Operations Hub Starter",
)
LEGACY = Generation(
    name="legacy", articles="000, 002, 003",
    directions={"contacts": (TO_HUBSPOT,), "products": (TO_HUBSPOT,), "invoices": (TO_HUBSPOT,)},
    pair_settings=LEGACY_PAIR_SETTINGS, recommended_filters=False,
    actions=frozenset({"invoice_from_deal", "add_invoice", "workflow_create_invoice"}),
    deal_invoice_properties=True, foreign_currency_leaves_deal=True,
    workflow_creates_customer=True, recent_records_only=frozenset({"contacts", "products"}),
    drafts_for_approval=True, refuses_sandbox=True, several_companies=True, card_only_invoices=True,
    runs_when_off=frozenset({"invoices"}),  # the card's invoices show with the invoice switch off (F10, F11)
)

GENERATIONS: dict[str, Generation] = {g.name: g for g in (CURRENT, DATA_SYNC_2023, LEGACY)}
MODES = tuple(GENERATIONS)  # current, 2023, legacy

ACTION_RULES = {"invoice_from_deal": "F10", "add_invoice": "F11", "workflow_create_invoice": "D5",
                "workflow_paid_invoice": "G4"}


def generations_with(action: str) -> list[str]:
    return [g.name for g in GENERATIONS.values() if action in g.actions]
