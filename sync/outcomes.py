"""Why a record is failed or excluded: a reason code, the rule-book ID it comes from, and words for people.

Reasons are the vocabulary of the status view (H1-H3), of tests and of scenario files.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import Status


@dataclass(frozen=True)
class Reason:
    code: str
    rule: str
    text: str
    excluded: bool = False  # out of scope by the rules (excluded); otherwise a failure someone must fix
    waits: bool = False  # pending: retried every pass until what it waits for is there


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
    # invoices ⇄ invoices
    Reason("customer_not_synced", "A1", "The invoice's customer (its HubSpot contact) is not synced yet; the invoice "
           "follows once it is", waits=True),
    Reason("draft", "B4", "Draft invoices do not go to QuickBooks; it syncs once it is finalized", excluded=True),
    Reason("voided", "F9", "The invoice was voided before it was synced; voided invoices are never created",
           excluded=True),
    Reason("not_attached", "F11", "Legacy mode: a QuickBooks invoice appears in HubSpot only once it is added to a "
           "contact, company or deal", excluded=True),
    Reason("modified_in_quickbooks", "F2", "This invoice was created in HubSpot; its lines, prices, tax or payments "
           "were changed in QuickBooks, which the integration does not allow"),
    Reason("tax_required", "F4", "This QuickBooks company requires tax on every invoice and HubSpot invoices carry "
           "none: HubSpot → QuickBooks invoice sync is unavailable for non-US companies"),
    Reason("service_date_required", "F5", "Revenue recognition is on in QuickBooks and HubSpot line items have no "
           "service date"),
    Reason("custom_transaction_numbers", "F6", "Legacy mode: HubSpot cannot create an invoice in QuickBooks while "
           "custom transaction numbers are on"),
    Reason("duplicate_doc_number", "F6", "The invoice number is already used by another QuickBooks transaction "
           "(custom transaction numbers are on)"),
    Reason("period_closed", "I4", "The invoice is dated in a period closed in QuickBooks"),
    Reason("currency_mismatch", "I8", "The invoice's currency differs from its customer's currency in QuickBooks; "
           "amounts are never converted"),
    # payments
    Reason("split_payment", "G1", "The payment is applied to several invoices; HubSpot payments cannot be split "
           "between invoices", excluded=True),
    Reason("unapplied_payment", "A2", "The payment is applied to no invoice", excluded=True),
    Reason("invoice_not_synced", "A2", "The payment's invoice is not synced yet; the payment follows once it is",
           waits=True),
    Reason("ach_processing", "G2", "The ACH payment is still processing; QuickBooks records it once it completes",
           waits=True),
    Reason("payment_not_completed", "G2", "The payment did not complete (failed, canceled or refunded)",
           excluded=True),
    Reason("duplicate_invoice", "G4", "A workflow action already booked this payment in QuickBooks as its own "
           "invoice or sales receipt; applying it to the synced invoice too would count it twice"),
    # any pair
    Reason("filtered_out", "B4", "The record does not pass the pair's sync filters", excluded=True),
    Reason("direction", "B1", "The pair does not sync records from this side", excluded=True),
    Reason("merged", "D3", "Merged into another record, which took over its link", excluded=True),
    Reason("deleted", "D4", "The record was deleted on one side; the other side is left as it is", excluded=True),
    Reason("change_ignored", "D4", "Legacy: the pair's create-and-update setting is to ignore changes made in "
           "QuickBooks", excluded=True),
    Reason("rejected_by_quickbooks", "B5", "QuickBooks refused the record"),
    Reason("rejected_by_hubspot", "B5", "HubSpot refused the record"),
]}


def reason(code: str) -> Reason:
    return REASONS[code]


def status_of(code: str) -> str:
    """The record status a reason puts a record in: excluded, pending (waiting) or failed."""
    why = REASONS[code]
    return Status.EXCLUDED if why.excluded else Status.PENDING if why.waits else Status.FAILED
