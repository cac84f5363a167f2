"""Why a record is failed or excluded: a reason code, the rule-book ID it comes from, and words for people.

Reasons are the vocabulary of the status view (H1-H3), of tests and of scenario files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    rule: str
    text: str
    excluded: bool = False  # out of scope by the rules (excluded); otherwise a failure someone must fix


REASONS = {r.code: r for r in [
    # contacts ⇄ customers
    Reason("no_email", "D3", "Contacts and customers are matched by email; this record has none", excluded=True),
    Reason("duplicate_display_name", "D2", "The display name is a duplicate: another customer, vendor or employee "
           "already uses it"),
    Reason("invalid_name", "D1", "The name holds characters or a length QuickBooks refuses"),
    Reason("duplicate_email", "D3", "Another record with this email is already linked", excluded=True),
    Reason("invalid_email", "D3", "HubSpot refuses this email address"),
    # products ⇄ items
    Reason("no_sku", "E1", "Products and items are matched by SKU; this record has none", excluded=True),
    Reason("sku_case_mismatch", "E1", "A record on the other side has this SKU in another letter case; SKUs match "
           "exactly, so nothing was created"),
    Reason("duplicate_name", "E1", "An item with this name already exists in QuickBooks"),
    Reason("duplicate_sku", "E1", "Another record with this SKU is already linked", excluded=True),
    # any pair
    Reason("filtered_out", "B4", "The record does not pass the pair's sync filters", excluded=True),
    Reason("direction", "B1", "The pair does not sync records from this side", excluded=True),
    Reason("deleted", "D4", "The record was deleted on one side; the other side is left as it is", excluded=True),
    Reason("rejected_by_quickbooks", "B5", "QuickBooks refused the record"),
    Reason("rejected_by_hubspot", "B5", "HubSpot refused the record"),
]}


def reason(code: str) -> Reason:
    return REASONS[code]
