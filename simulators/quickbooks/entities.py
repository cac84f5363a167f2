"""The entities the simulator serves and what kind of thing each one is."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import FIELDS

PARTIES = ("Customer", "Vendor", "Employee")  # DisplayName is unique across all three (6240)
SALES_FORMS = ("Invoice", "SalesReceipt", "CreditMemo")  # one document-number sequence


@dataclass(frozen=True)
class EntityType:
    name: str
    category: str  # name (a name list: no delete, inactivate) | txn | setting | readonly
    name_field: str | None = None
    namespace: tuple[str, ...] = ()
    void: str | None = None  # "operation" (?operation=void) or "include" (?operation=update&include=void)
    doc_numbers: tuple[str, ...] = ()  # the entities sharing this one's DocNumber space
    read_only: frozenset[str] = frozenset()  # computed by QBO: supplied values are ignored

    @property
    def url(self) -> str:
        return self.name.lower()

    @property
    def fields(self) -> frozenset[str]:
        return FIELDS[self.name]

    @property
    def is_txn(self) -> bool:
        return self.category == "txn"


_COMPUTED = frozenset({"MetaData", "domain", "sparse", "status"})
_TXN_COMPUTED = _COMPUTED | {"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "InvoiceLink"}

TYPES: dict[str, EntityType] = {
    t.name: t
    for t in (
        EntityType("Customer", "name", "DisplayName", PARTIES,
                   read_only=_COMPUTED | {"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level",
                                          "V4IDPseudonym"}),
        EntityType("Vendor", "name", "DisplayName", PARTIES, read_only=_COMPUTED | {"Balance", "V4IDPseudonym"}),
        EntityType("Employee", "name", "DisplayName", PARTIES, read_only=_COMPUTED | {"V4IDPseudonym"}),
        EntityType("Item", "name", "Name", ("Item",), read_only=_COMPUTED | {"FullyQualifiedName", "Level"}),
        EntityType("Account", "name", "Name", ("Account",),
                   read_only=_COMPUTED | {"FullyQualifiedName", "CurrentBalance", "CurrentBalanceWithSubAccounts"}),
        EntityType("Term", "name", "Name", ("Term",), read_only=_COMPUTED | {"Type"}),
        EntityType("PaymentMethod", "name", "Name", ("PaymentMethod",), read_only=_COMPUTED),
        EntityType("Invoice", "txn", void="operation", doc_numbers=SALES_FORMS, read_only=_TXN_COMPUTED),
        EntityType("SalesReceipt", "txn", void="include", doc_numbers=SALES_FORMS, read_only=_TXN_COMPUTED),
        EntityType("CreditMemo", "txn", doc_numbers=SALES_FORMS, read_only=_TXN_COMPUTED | {"RemainingCredit"}),
        EntityType("Estimate", "txn", doc_numbers=("Estimate",), read_only=_TXN_COMPUTED),
        EntityType("Payment", "txn", void="include", read_only=_COMPUTED | {"UnappliedAmt"}),
        EntityType("TaxCode", "readonly", "Name", ("TaxCode",)),
        EntityType("TaxRate", "readonly", "Name", ("TaxRate",)),
        EntityType("CompanyCurrency", "name", "Code", ("CompanyCurrency",), read_only=_COMPUTED | {"Name"}),
        EntityType("ExchangeRate", "setting"),
        EntityType("CompanyInfo", "setting", read_only=_COMPUTED),
        EntityType("Preferences", "setting", read_only=_COMPUTED),
    )
}

BY_URL: dict[str, EntityType] = {t.url: t for t in TYPES.values()}
# Name lists and entities that python-quickbooks can reach but this simulator does not model yet:
# answered with an explicit "not simulated" fault rather than a silent 404.
NOT_SIMULATED = ("bill", "billpayment", "purchase", "purchaseorder", "journalentry", "deposit", "transfer",
                 "refundreceipt", "vendorcredit", "timeactivity", "class", "department", "attachable",
                 "budget", "taxagency", "recurringtransaction", "creditcardpayment")


def lookup(url_segment: str) -> EntityType | None:
    return BY_URL.get(url_segment.lower())
