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
    Reason("invalid_name", "D1", "QuickBooks refuses the customer's name: characters or a length it does not take"),
    Reason("duplicate_email", "D3", "Another record with this email is already linked", excluded=True),
    Reason("invalid_email", "D3", "HubSpot refuses this email address"),
    Reason("invalid_quickbooks_email", "D3", "QuickBooks refuses the email address: a format or a length it does not "
           "take"),
    # products ⇄ items
    Reason("no_sku", "E1", "Products and items are matched by SKU; this record has none", excluded=True),
    Reason("sku_case_mismatch", "E1", "A record on the other side has this SKU in another letter case; SKUs match "
           "exactly, so nothing was created"),
    Reason("duplicate_name", "E1", "An item with this name already exists in QuickBooks"),
    Reason("duplicate_sku", "E1", "Another record with this SKU is already linked", excluded=True),
    Reason("invalid_sku", "E1", "QuickBooks refuses the SKU: characters or a length it does not take"),
    Reason("invalid_item_name", "E1", "QuickBooks refuses the item's name: characters or a length it does not take"),
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
    Reason("invalid_doc_number", "F6", "QuickBooks refuses the invoice number: longer than its 21 characters"),
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
    Reason("invalid_description", "B3", "QuickBooks refuses a description: characters or a length it does not take"),
    Reason("invalid_amount", "B3", "QuickBooks refuses an amount, quantity or price: more digits than it keeps"),
    Reason("invalid_field", "B3", "QuickBooks refuses the value of a mapped field: characters, a length or a number "
           "it does not take (the field is in the detail)"),
    Reason("rejected_by_quickbooks", "B5", "QuickBooks refused the record"),
    Reason("rejected_by_hubspot", "B5", "HubSpot refused the record"),
]}


# QBO's codes for one field's value (its Fault names the field in ``element``): 2040 characters, 2050 length,
# 2080-2110 numbers and decimals, 2210 an email address (qbo-api-notes.md §6).
QBO_FIELD_CODES = frozenset({"2040", "2050", "2080", "2090", "2100", "2110", "2210"})
# The field QBO refused → the reason naming it (and its rule). Keys are QBO field names, last part of the element.
QBO_FIELD_REASONS = {
    **dict.fromkeys(("DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName", "Title", "Suffix",
                     "PrintOnCheckName", "FullyQualifiedName"), "invalid_name"),
    **dict.fromkeys(("PrimaryEmailAddr", "Address", "BillEmail"), "invalid_quickbooks_email"),
    "Sku": "invalid_sku",
    "Name": "invalid_item_name",
    "DocNumber": "invalid_doc_number",
    **dict.fromkeys(("Description", "PurchaseDesc", "PrivateNote", "CustomerMemo"), "invalid_description"),
    **dict.fromkeys(("Amount", "TotalAmt", "UnitPrice", "Qty", "PurchaseCost", "TotalTax"), "invalid_amount"),
}


def qbo_field_reason(code: str, element: str) -> str | None:
    """The reason for QBO's refusal of one field's value (``code`` and the Fault's ``element``), naming the field;
    None when the refusal is not about one field's value."""
    if code not in QBO_FIELD_CODES:
        return None
    parts = [p for p in element.replace("/", ".").split(".") if p]
    for part in reversed(parts):  # "PrimaryEmailAddr.Address", "Line.Amount": the most precise known name
        if part in QBO_FIELD_REASONS:
            return QBO_FIELD_REASONS[part]
    return "invalid_field" if parts else ("invalid_quickbooks_email" if code == "2210" else "invalid_field")


def reason(code: str) -> Reason:
    return REASONS[code]


def status_of(code: str) -> str:
    """The record status a reason puts a record in: excluded, pending (waiting) or failed."""
    why = REASONS[code]
    return Status.EXCLUDED if why.excluded else Status.PENDING if why.waits else Status.FAILED
