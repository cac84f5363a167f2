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
    required: tuple[str, ...] = ()  # absent or empty → 2020 "Required param missing" (checked in this order)
    refs: tuple[tuple[str, str], ...] = ()  # header reference field → the entity it must name (2500 / 610)
    deletable: bool | None = None  # ?operation=delete allowed (default: transactions only)
    updatable: bool = True  # False: QBO offers create, read and query only
    key: str | None = None  # the JSON key when it differs from the name (CreditCardPaymentTxn)
    path: str | None = None  # the URL segment when it differs from the lower-cased name

    @property
    def url(self) -> str:
        return self.path or self.name.lower()

    @property
    def json_key(self) -> str:
        return self.key or self.name

    @property
    def can_delete(self) -> bool:
        return self.is_txn if self.deletable is None else self.deletable

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
        EntityType("Payment", "txn", void="include", read_only=_COMPUTED | {"UnappliedAmt", "LinkedTxn"}),
        EntityType("TaxCode", "readonly", "Name", ("TaxCode",)),
        EntityType("TaxRate", "readonly", "Name", ("TaxRate",)),
        EntityType("CompanyCurrency", "name", "Code", ("CompanyCurrency",), read_only=_COMPUTED | {"Name"}),
        # -- purchases, banking, time and lists: rules in bookkeeping.py (declared here, served generically)
        EntityType("RefundReceipt", "txn", doc_numbers=("RefundReceipt",), read_only=_TXN_COMPUTED,
                   required=("DepositToAccountRef", "Line"), refs=(("DepositToAccountRef", "Account"),)),
        EntityType("Bill", "txn", read_only=_TXN_COMPUTED, required=("VendorRef", "Line"),
                   refs=(("VendorRef", "Vendor"), ("APAccountRef", "Account"), ("SalesTermRef", "Term"))),
        EntityType("BillPayment", "txn", void="include", read_only=_COMPUTED,
                   required=("VendorRef", "PayType", "TotalAmt"), refs=(("VendorRef", "Vendor"),
                                                                        ("APAccountRef", "Account"))),
        EntityType("Purchase", "txn", read_only=_TXN_COMPUTED, required=("PaymentType", "AccountRef", "Line"),
                   refs=(("AccountRef", "Account"), ("PaymentMethodRef", "PaymentMethod"))),
        EntityType("PurchaseOrder", "txn", read_only=_TXN_COMPUTED, required=("VendorRef", "Line"),
                   refs=(("VendorRef", "Vendor"), ("APAccountRef", "Account"), ("SalesTermRef", "Term"))),
        EntityType("VendorCredit", "txn", read_only=_TXN_COMPUTED, required=("VendorRef", "Line"),
                   refs=(("VendorRef", "Vendor"), ("APAccountRef", "Account"))),
        EntityType("Deposit", "txn", read_only=_TXN_COMPUTED, required=("DepositToAccountRef", "Line"),
                   refs=(("DepositToAccountRef", "Account"),)),
        EntityType("Transfer", "txn", read_only=_COMPUTED, required=("FromAccountRef", "ToAccountRef", "Amount"),
                   refs=(("FromAccountRef", "Account"), ("ToAccountRef", "Account"))),
        EntityType("JournalEntry", "txn", read_only=_TXN_COMPUTED, required=("Line",)),
        EntityType("CreditCardPayment", "txn", read_only=_COMPUTED, key="CreditCardPaymentTxn",
                   required=("CreditCardAccountRef", "BankAccountRef", "Amount"),
                   refs=(("CreditCardAccountRef", "Account"), ("BankAccountRef", "Account"), ("VendorRef", "Vendor"))),
        EntityType("TimeActivity", "txn", read_only=_COMPUTED | {"LinkedTxn"}, required=("NameOf",),
                   refs=(("EmployeeRef", "Employee"), ("VendorRef", "Vendor"), ("CustomerRef", "Customer"),
                         ("ItemRef", "Item"), ("ClassRef", "Class"), ("DepartmentRef", "Department"))),
        EntityType("Class", "name", "Name", ("Class",), read_only=_COMPUTED | {"FullyQualifiedName", "SubClass"},
                   required=("Name",), refs=(("ParentRef", "Class"),)),
        EntityType("Department", "name", "Name", ("Department",),
                   read_only=_COMPUTED | {"FullyQualifiedName", "SubDepartment"}, required=("Name",),
                   refs=(("ParentRef", "Department"),)),
        EntityType("TaxAgency", "name", "DisplayName", ("TaxAgency",), read_only=_COMPUTED, required=("DisplayName",),
                   updatable=False),
        EntityType("Attachable", "attachment", read_only=_COMPUTED | {"FileAccessUri", "TempDownloadUri", "Size",
                                                                      "ThumbnailFileAccessUri",
                                                                      "ThumbnailTempDownloadUri"},
                   deletable=True),
        EntityType("RecurringTransaction", "template", "Name", ("RecurringTransaction",), deletable=True),
        EntityType("ExchangeRate", "setting"),
        EntityType("CompanyInfo", "setting", read_only=_COMPUTED),
        EntityType("Preferences", "setting", read_only=_COMPUTED),
    )
}

BY_URL: dict[str, EntityType] = {t.url: t for t in TYPES.values()} | {t.json_key.lower(): t for t in TYPES.values()}
# Name lists and entities that python-quickbooks can reach but this simulator does not model yet:
# answered with an explicit "not simulated" fault rather than a silent 404.
NOT_SIMULATED = ("budget", "customertype", "journalcode", "inventoryadjustment",
                 "salesrep", "reimbursecharge")


def lookup(url_segment: str) -> EntityType | None:
    return BY_URL.get(url_segment.lower())
