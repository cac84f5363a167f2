"""Every top-level field each entity knows (python-quickbooks 0.9.12 objects + the API reference).

Generated once from the SDK's object classes and extended from Intuit's entity pages; a field not
listed here is refused with QBO's 2010 "Unrecognized field" error.
"""

FIELDS: dict[str, frozenset[str]] = {
    "Customer": frozenset({
        "ARAccountRef", "Active", "AlternatePhone", "Balance", "BalanceWithJobs", "BillAddr",
        "BillWithParent", "BusinessNumber", "ClientEntityId", "CompanyName", "CurrencyRef",
        "CustomerTypeRef", "DefaultTaxCodeRef", "DisplayName", "FamilyName", "Fax", "FullyQualifiedName",
        "GSTIN", "GSTRegistrationType", "GivenName", "Id", "IsProject", "Job", "Level", "MetaData",
        "MiddleName", "Mobile", "Notes", "OpenBalanceDate", "ParentRef", "PaymentMethodRef",
        "PreferredDeliveryMethod", "PrimaryEmailAddr", "PrimaryPhone", "PrimaryTaxIdentifier",
        "PrintOnCheckName", "ProjectRef", "ResaleNum", "SalesTermRef", "SecondaryTaxIdentifier", "ShipAddr",
        "Source", "Suffix", "SyncToken", "TaxExemptionReasonId", "Taxable", "Title", "V4IDPseudonym",
        "WebAddr", "domain", "sparse",
    }),
    "Vendor": frozenset({
        "APAccountRef", "AcctNum", "Active", "AlternatePhone", "Balance", "BillAddr", "BillRate",
        "BusinessNumber", "CompanyName", "CurrencyRef", "DisplayName", "FamilyName", "Fax", "GSTIN",
        "GSTRegistrationType", "GivenName", "HasTPAR", "Id", "MetaData", "MiddleName", "Mobile", "Notes",
        "OtherContactInfo", "PrimaryEmailAddr", "PrimaryPhone", "PrintOnCheckName", "Source", "Suffix",
        "SyncToken", "T4AEligible", "T5018Eligible", "TaxIdentifier", "TaxReportingBasis", "TermRef",
        "Title", "V4IDPseudonym", "Vendor1099", "VendorPaymentBankDetail", "WebAddr", "domain", "sparse",
    }),
    "Employee": frozenset({
        "Active", "BillRate", "BillableTime", "BirthDate", "CostRate", "DisplayName", "EmailAddress",
        "EmployeeNumber", "FamilyName", "Gender", "GivenName", "HiredDate", "Id", "MetaData", "MiddleName",
        "Mobile", "Notes", "Organization", "PrimaryAddr", "PrimaryEmailAddr", "PrimaryPhone",
        "PrintOnCheckName", "ReleasedDate", "SSN", "Suffix", "SyncToken", "Title", "V4IDPseudonym",
        "domain", "sparse",
    }),
    "Item": frozenset({
        "AbatementRate", "Active", "AssetAccountRef", "ClassRef", "Description", "ExpenseAccountRef",
        "FullyQualifiedName", "Id", "IncomeAccountRef", "InvStartDate", "ItemAssemblyDetail",
        "ItemCategoryType", "ItemGroupDetail", "Level", "MetaData", "Name", "ParentRef", "PrefVendorRef",
        "PurchaseCost", "PurchaseDesc", "PurchaseTaxCodeRef", "PurchaseTaxIncluded", "PurchaseTaxRateRef",
        "QtyOnHand", "ReverseChargeRate", "SalesTaxCodeRef", "SalesTaxIncluded", "SalesTaxRateRef",
        "ServiceType", "Sku", "Source", "SubItem", "SyncToken", "TaxClassificationRef", "Taxable",
        "TrackQtyOnHand", "Type", "UQCDisplayText", "UQCId", "UnitPrice", "domain", "sparse",
    }),
    "Account": frozenset({
        "AccountAlias", "AccountSubType", "AccountType", "AcctNum", "Active", "Classification",
        "CurrencyRef", "CurrentBalance", "CurrentBalanceWithSubAccounts", "Description",
        "FullyQualifiedName", "Id", "MetaData", "Name", "ParentRef", "SubAccount", "SyncToken",
        "TaxCodeRef", "TxnLocationType", "domain", "sparse",
    }),
    "Invoice": frozenset({
        "AllowIPNPayment", "AllowOnlineACHPayment", "AllowOnlineCreditCardPayment", "AllowOnlinePayment",
        "ApplyTaxAfterDiscount", "Balance", "BillAddr", "BillEmail", "BillEmailBcc", "BillEmailCc",
        "ClassRef", "CurrencyRef", "CustomField", "CustomerMemo", "CustomerRef", "DeliveryInfo",
        "DepartmentRef", "Deposit", "DepositToAccountRef", "DocNumber", "DueDate", "EInvoiceStatus",
        "EmailStatus", "ExchangeRate", "FreeFormAddress", "GlobalTaxCalculation", "HomeBalance",
        "HomeTotalAmt", "Id", "InvoiceLink", "Line", "LinkedTxn", "MetaData", "PrintStatus", "PrivateNote",
        "ProjectRef", "RecurDataRef", "RecurringInfo", "SalesTermRef", "ShipAddr", "ShipDate",
        "ShipFromAddr", "ShipMethodRef", "SyncToken", "TaxExemptionRef", "TotalAmt", "TrackingNum",
        "TransactionLocationType", "TxnDate", "TxnSource", "TxnTaxDetail", "domain", "sparse", "status",
    }),
    "Payment": frozenset({
        "ARAccountRef", "CreditCardPayment", "CurrencyRef", "CustomerRef", "DepositToAccountRef",
        "ExchangeRate", "Id", "Line", "MetaData", "PaymentMethodRef", "PaymentRefNum", "PrivateNote",
        "ProcessPayment", "ProjectRef", "SyncToken", "TaxExemptionRef", "TotalAmt", "LinkedTxn",
        "TransactionLocationType", "TxnDate", "TxnSource", "TxnStatus", "UnappliedAmt", "domain", "sparse",
        "status",
    }),
    "CreditMemo": frozenset({
        "ApplyTaxAfterDiscount", "Balance", "BillAddr", "BillEmail", "ClassRef", "CurrencyRef",
        "CustomField", "CustomerMemo", "CustomerRef", "DepartmentRef", "DepositToAccountRef", "DocNumber",
        "EmailStatus", "ExchangeRate", "GlobalTaxCalculation", "HomeTotalAmt", "Id", "InvoiceRef", "Line",
        "MetaData", "PaymentMethodRef", "PrintStatus", "PrivateNote", "ProjectRef", "RecurDataRef",
        "RecurringInfo", "RemainingCredit", "SalesTermRef", "ShipAddr", "ShipFromAddr", "SyncToken",
        "TotalAmt", "TransactionLocationType", "TxnDate", "TxnTaxDetail", "domain", "sparse", "status",
    }),
    "SalesReceipt": frozenset({
        "ApplyTaxAfterDiscount", "Balance", "BillAddr", "BillEmail", "ClassRef", "CreditCardPayment",
        "CurrencyRef", "CustomField", "CustomerMemo", "CustomerRef", "DeliveryInfo", "DepartmentRef",
        "DepositToAccountRef", "DocNumber", "EmailStatus", "ExchangeRate", "GlobalTaxCalculation",
        "HomeTotalAmt", "Id", "Line", "LinkedTxn", "MetaData", "PaymentMethodRef", "PaymentRefNum",
        "PrintStatus", "PrivateNote", "ProjectRef", "RecurDataRef", "ShipAddr", "ShipDate", "ShipFromAddr",
        "ShipMethodRef", "SyncToken", "TotalAmt", "TrackingNum", "TransactionLocationType", "TxnDate",
        "TxnSource", "TxnTaxDetail", "domain", "sparse", "status",
    }),
    "Estimate": frozenset({
        "AcceptedBy", "AcceptedDate", "ApplyTaxAfterDiscount", "BillAddr", "BillEmail", "ClassRef",
        "CurrencyRef", "CustomField", "CustomerMemo", "CustomerRef", "DepartmentRef", "DocNumber",
        "DueDate", "EmailStatus", "ExchangeRate", "ExpirationDate", "GlobalTaxCalculation", "HomeTotalAmt",
        "Id", "Line", "LinkedTxn", "MetaData", "PrintStatus", "PrivateNote", "ProjectRef", "RecurDataRef",
        "RecurringInfo", "SalesTermRef", "ShipAddr", "ShipDate", "ShipFromAddr", "ShipMethodRef",
        "SyncToken", "TotalAmt", "TrackingNum", "TransactionLocationType", "TxnDate", "TxnStatus",
        "TxnTaxDetail", "domain", "sparse", "status",
    }),
    "Term": frozenset({
        "Active", "DayOfMonthDue", "DiscountDayOfMonth", "DiscountDays", "DiscountPercent", "DueDays",
        "DueNextMonthDays", "Id", "MetaData", "Name", "SyncToken", "Type", "domain", "sparse",
    }),
    "PaymentMethod": frozenset({
        "Active", "Id", "MetaData", "Name", "SyncToken", "Type", "domain", "sparse",
    }),
    "TaxCode": frozenset({
        "Active", "Description", "Hidden", "Id", "MetaData", "Name", "PurchaseTaxRateList",
        "SalesTaxRateList", "SyncToken", "TaxGroup", "Taxable", "domain", "sparse",
    }),
    "TaxRate": frozenset({
        "Active", "AgencyRef", "Description", "DisplayType", "EffectiveTaxRate", "Id", "MetaData", "Name",
        "OriginalTaxRate", "RateValue", "SpecialTaxType", "SyncToken", "TaxReturnLineRef", "domain",
        "sparse",
    }),
    "CompanyInfo": frozenset({
        "CompanyAddr", "CompanyName", "CompanyStartDate", "Country", "CustomerCommunicationAddr", "Email",
        "EmployerId", "FiscalYearStartMonth", "Id", "LegalAddr", "LegalName", "MetaData", "NameValue",
        "OtherContactInfo", "PrimaryPhone", "SupportedLanguages", "SyncToken", "WebAddr", "domain",
        "sparse",
    }),
    "Preferences": frozenset({
        "AccountingInfoPrefs", "CurrencyPrefs", "EmailMessagesPrefs", "Id", "MetaData", "OtherPrefs",
        "ProductAndServicesPrefs", "ReportPrefs", "SalesFormsPrefs", "SyncToken", "TaxPrefs",
        "TimeTrackingPrefs", "VendorAndPurchasesPrefs", "domain", "sparse",
    }),
    "CompanyCurrency": frozenset({
        "Active", "Code", "CustomField", "Id", "MetaData", "Name", "SyncToken", "domain", "sparse",
    }),
    "ExchangeRate": frozenset({
        "AsOfDate", "CustomField", "Id", "MetaData", "Rate", "SourceCurrencyCode", "SyncToken",
        "TargetCurrencyCode", "domain", "sparse",
    }),
}

# Purchases, banking, time and lists (python-quickbooks 0.9.12 objects, plus the transaction header fields the API
# reference lists for every transaction and the SDK leaves to its base class).
_TXN_HEADER = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status", "TxnDate", "DocNumber",
                         "PrivateNote", "CurrencyRef", "ExchangeRate", "TxnSource", "LinkedTxn", "DepartmentRef",
                         "AttachableRef", "TotalAmt", "HomeTotalAmt", "TransactionLocationType", "ProjectRef",
                         "RecurDataRef"})
FIELDS.update({
    "RefundReceipt": _TXN_HEADER | {
        "ApplyTaxAfterDiscount", "Balance", "BillAddr", "BillEmail", "CheckPayment", "ClassRef", "CreditCardPayment",
        "CustomField", "CustomerMemo", "CustomerRef", "DepositToAccountRef", "GlobalTaxCalculation", "Line",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "PrintStatus", "ShipAddr", "TxnTaxDetail"},
    "Bill": _TXN_HEADER | {
        "APAccountRef", "Balance", "HomeBalance", "DueDate", "GlobalTaxCalculation", "Line", "SalesTermRef",
        "TxnTaxDetail", "VendorAddr", "VendorRef"},
    "BillPayment": _TXN_HEADER | {"APAccountRef", "CheckPayment", "CreditCardPayment", "Line", "PayType",
                                  "VendorRef", "ProcessBillPayment"},
    "Purchase": _TXN_HEADER | {
        "AccountRef", "Credit", "EntityRef", "GlobalTaxCalculation", "Line", "PaymentMethodRef", "PaymentType",
        "PrintStatus", "PurchaseEx", "RemitToAddr", "TxnTaxDetail"},
    "PurchaseOrder": _TXN_HEADER | {
        "APAccountRef", "ClassRef", "CustomField", "DueDate", "GlobalTaxCalculation", "Line", "Memo", "POEmail",
        "POStatus", "EmailStatus", "SalesTermRef", "ShipAddr", "ShipMethodRef", "TaxCodeRef", "TxnTaxDetail",
        "VendorAddr", "VendorRef"},
    "VendorCredit": _TXN_HEADER | {"APAccountRef", "Balance", "GlobalTaxCalculation", "Line", "VendorRef",
                                   "TxnTaxDetail"},
    "Deposit": _TXN_HEADER | {"CashBack", "DepositToAccountRef", "GlobalTaxCalculation", "Line", "TxnStatus",
                              "TxnTaxDetail"},
    "Transfer": _TXN_HEADER | {"Amount", "FromAccountRef", "ToAccountRef"},
    "JournalEntry": _TXN_HEADER | {"Adjustment", "Line", "TxnTaxDetail", "GlobalTaxCalculation"},
    "CreditCardPayment": _TXN_HEADER | {"Amount", "BankAccountRef", "CheckNum", "CreditCardAccountRef", "Memo",
                                        "PrintStatus", "VendorRef"},
    "TimeActivity": frozenset({
        "AttachableRef", "BillableStatus", "BreakHours", "BreakMinutes", "ClassRef", "CostRate", "CustomerRef",
        "DepartmentRef", "Description", "EmployeeRef", "EndTime", "HourlyRate", "Hours", "Id", "ItemRef", "MetaData",
        "Minutes", "NameOf", "StartTime", "SyncToken", "Taxable", "TxnDate", "VendorRef", "domain", "sparse",
        "status", "TransactionLocationType", "ProjectRef", "PayrollItemRef", "LinkedTxn"}),
    "Class": frozenset({"Active", "FullyQualifiedName", "Id", "MetaData", "Name", "ParentRef", "SubClass",
                        "SyncToken", "domain", "sparse"}),
    "Department": frozenset({"Active", "FullyQualifiedName", "Id", "MetaData", "Name", "ParentRef", "SubDepartment",
                             "SyncToken", "domain", "sparse"}),
    "Attachable": frozenset({
        "AttachableRef", "Category", "ContentType", "FileAccessUri", "FileName", "Id", "Lat", "Long", "MetaData",
        "Note", "PlaceName", "Size", "SyncToken", "TempDownloadUri", "ThumbnailFileAccessUri",
        "ThumbnailTempDownloadUri", "domain", "sparse"}),
    "RecurringTransaction": frozenset({"Bill", "Purchase", "CreditMemo", "Deposit", "Estimate", "Invoice",
                                       "JournalEntry", "RefundReceipt", "SalesReceipt", "Transfer", "VendorCredit",
                                       "PurchaseOrder"}),
    "TaxAgency": frozenset({"DisplayName", "Id", "MetaData", "SyncToken", "TaxRegistrationNumber",
                            "TaxTrackedOnPurchases", "TaxTrackedOnSales", "domain", "sparse", "Active"}),
})


# -- the JSON shape of each field: what QBO's deserialiser accepts --------------------------------
# Names mean the same thing in every entity. A name ending in "Ref" or "Addr" is an object. At the top
# level of an entity every field not listed below is a string; nested names not listed are unchecked.

OBJECTS = frozenset({
    "PrimaryPhone", "Mobile", "Fax", "AlternatePhone", "BillEmail", "BillEmailCc", "BillEmailBcc", "CustomerMemo",
    "MetaData", "TxnTaxDetail", "DeliveryInfo", "CreditCardPayment", "OtherContactInfo", "VendorPaymentBankDetail",
    "RecurringInfo", "ItemGroupDetail", "ItemAssemblyDetail", "Email", "SalesTaxRateList", "PurchaseTaxRateList",
    "SalesItemLineDetail", "DiscountLineDetail", "DescriptionLineDetail", "SubTotalLineDetail", "GroupLineDetail",
    "TaxLineDetail", "MarkupInfo",
    "CheckPayment", "CashBack", "PurchaseEx", "AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail",
    "DepositLineDetail", "JournalEntryLineDetail", "Entity", "POEmail",
})
LISTS = frozenset({"Line", "CustomField", "LinkedTxn", "NameValue", "TaxLine", "TaxRateDetail", "AttachableRef"})
NUMBERS = frozenset({
    "TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "Deposit", "ExchangeRate", "UnitPrice", "PurchaseCost",
    "QtyOnHand", "UnappliedAmt", "RemainingCredit", "BalanceWithJobs", "CurrentBalance",
    "CurrentBalanceWithSubAccounts", "DueDays", "DiscountPercent", "DiscountDays", "DayOfMonthDue",
    "DueNextMonthDays", "DiscountDayOfMonth", "BillRate", "CostRate", "Level", "AbatementRate", "ReverseChargeRate",
    "RateValue", "Rate", "Amount", "Qty", "TaxInclusiveAmt", "LineNum", "TotalTax", "TaxPercent",
    "NetAmountTaxable", "Quantity",
    "Hours", "Minutes", "BreakHours", "BreakMinutes", "HourlyRate", "Size",
})
BOOLEANS = frozenset({
    "Active", "Taxable", "Job", "BillWithParent", "IsProject", "TrackQtyOnHand", "SubItem", "SubAccount",
    "AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment",
    "ApplyTaxAfterDiscount", "FreeFormAddress", "ProcessPayment", "Vendor1099", "T4AEligible", "T5018Eligible",
    "HasTPAR", "BillableTime", "Organization", "PurchaseTaxIncluded", "SalesTaxIncluded", "Hidden", "TaxGroup",
    "PercentBased", "sparse",
    "Credit", "Adjustment", "SubClass", "SubDepartment", "TaxTrackedOnSales", "TaxTrackedOnPurchases",
    "IncludeOnSend",
})
DATES = frozenset({
    "TxnDate", "DueDate", "ShipDate", "ExpirationDate", "AcceptedDate", "InvStartDate", "OpenBalanceDate",
    "HiredDate", "ReleasedDate", "BirthDate", "ServiceDate", "CompanyStartDate", "AsOfDate",
})
NESTED_STRINGS = frozenset({
    "value", "name", "Id", "Description", "DetailType", "TxnId", "TxnType", "TxnLineId", "DefinitionId",
    "StringValue", "Address", "FreeFormNumber", "URI", "Line1", "Line2", "Line3", "Line4", "Line5", "City",
    "Country", "CountrySubDivisionCode", "PostalCode",
})


def kind(field: str, top_level: bool = True) -> str | None:
    """object | list | number | boolean | date | string, or None for a nested name left unchecked."""
    if field in LISTS:
        return "list"
    if field in OBJECTS or field.endswith(("Ref", "Addr")):
        return "object"
    for kind_name, names in (("list", LISTS), ("number", NUMBERS), ("boolean", BOOLEANS), ("date", DATES)):
        if field in names:
            return kind_name
    if top_level or field in NESTED_STRINGS:
        return "string"
    return None
