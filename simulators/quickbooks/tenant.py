"""A new QBO company: CompanyInfo, Preferences and the lists every company starts with."""

from __future__ import annotations

import secrets

from ..core.runtime import Runtime
from .company import Company
from .entities import TYPES
from .transactions import classification_of, currency_name

COUNTRIES = ("US", "GB", "CA", "AU")
# QuickBooks Online editions (the option ``edition``) and the OfferingSku CompanyInfo names each one by.
EDITIONS = {"simple": "QuickBooks Online Simple Start", "essentials": "QuickBooks Online Essentials",
            "plus": "QuickBooks Online Plus", "advanced": "QuickBooks Online Advanced"}
DEFAULT_EDITION = "plus"
HOME_CURRENCY = {"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD"}
ISO3 = {"US": "USA", "GB": "GBR", "CA": "CAN", "AU": "AUS"}
# Tax codes per country: (code name, [(rate name, percent)])
TAX_CODES = {
    "US": [("California", [("California State", 7.25)]), ("Out of state", [("No tax", 0.0)])],
    "GB": [("20.0% S", [("20.0% S", 20.0)]), ("5.0% R", [("5.0% R", 5.0)]), ("0.0% Z", [("0.0% Z", 0.0)]),
           ("Exempt", [("Exempt", 0.0)])],
    "CA": [("GST", [("GST", 5.0)]), ("HST ON", [("HST ON", 13.0)]), ("Zero-rated", [("Zero-rated", 0.0)]),
           ("Exempt", [("Exempt", 0.0)])],
    "AU": [("GST", [("GST", 10.0)]), ("GST free", [("GST free", 0.0)]), ("Input taxed", [("Input taxed", 0.0)])],
}
ACCOUNTS = [
    ("Checking", "Bank", "Checking"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
]
TERMS = [("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)]
# Value of one unit in USD, to derive the seeded exchange rates (any fixed table will do offline).
USD_VALUE = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66}
PAYMENT_METHODS = [("Cash", "NON_CREDIT_CARD"), ("Check", "NON_CREDIT_CARD"), ("Visa", "CREDIT_CARD"),
                   ("MasterCard", "CREDIT_CARD"), ("American Express", "CREDIT_CARD")]


def new_realm_id() -> str:
    return "9341" + "".join(secrets.choice("0123456789") for _ in range(12))


def create_company(runtime: Runtime, options: dict) -> str:
    """Create an empty company (what QBO always has) and return its realm id."""
    country = str(options.get("country", "US")).upper()
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}")
    home = options.get("homeCurrency", HOME_CURRENCY[country])
    edition = str(options.get("edition") or DEFAULT_EDITION).lower()
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {', '.join(EDITIONS)}")
    realm = str(options.get("realmId") or new_realm_id())
    if runtime.store.tenant(realm) is not None:
        raise ValueError(f"realm {realm} already exists")
    settings = {
        "country": country,
        "homeCurrency": home,
        "edition": edition,
        "multiCurrency": bool(options.get("multiCurrency", False)),
        "revenueRecognition": bool(options.get("revenueRecognition", False)),
        # I9: drafts from HubSpot wait for approval in Advanced's task manager (articles 000, 002); false: article
        # 003's reading, where the task manager no longer takes them (docs/decisions.md)
        "draftApprovals": bool(options.get("draftApprovals", True)),
        "companyName": options.get("companyName") or "Sandbox Company_" + country + "_1",
        # a new refresh-token value on every refresh (Intuit's own: the same value for 24 h), to test a client's
        # handling of rotation (docs/decisions.md, issue 13)
        "rotateRefreshTokenOnEveryRefresh": options.get("rotateRefreshTokenOnEveryRefresh") is True,
        "webhooks": [],
    }
    with runtime.store.transaction():
        runtime.store.create_tenant(realm, "quickbooks", settings, runtime.clock.timestamp())
        co = Company(runtime, realm)
        _settings_entities(co, options)
        _lists(co)
    return realm


def _put(co: Company, name: str, eid: int, data: dict) -> dict:
    stamp = co.stamp()
    data = {"Id": str(eid), "SyncToken": "0", "domain": "QBO", "sparse": False,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}, **data}
    co._save(TYPES[name], eid, data)
    co.store.set_value(co.realm, f"id:{name}", max(eid, co.store.peek_value(co.realm, f"id:{name}") or 0))
    return data


def _settings_entities(co: Company, options: dict) -> None:
    country, home = co.country, co.settings["homeCurrency"]
    addr = {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo", "Country": ISO3[country],
            "CountrySubDivisionCode": "CA" if country == "US" else "", "PostalCode": "87999"}
    _put(co, "CompanyInfo", 1, {
        "CompanyName": co.settings["companyName"], "LegalName": co.settings["companyName"],
        "CompanyAddr": addr, "CustomerCommunicationAddr": addr, "LegalAddr": addr,
        "PrimaryPhone": {"FreeFormNumber": "(650)944-4444"}, "Email": {"Address": "noreply@quickbooks.com"},
        "WebAddr": {}, "Country": country, "FiscalYearStartMonth": "January",
        "CompanyStartDate": co.today().isoformat(), "SupportedLanguages": "en",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"}, {"Name": "IsQbdtMigrated", "Value": "false"},
                      {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                      {"Name": "OfferingSku", "Value": EDITIONS[co.settings["edition"]]},
                      {"Name": "ItemCategoriesFeature", "Value": "true"}],
    })
    custom = options.get("customFields") or []
    if len(custom) > 3:
        raise ValueError("at most three custom fields can be enabled on sales forms (I6)")
    use = [{"BooleanValue": i < len(custom), "Type": "BooleanType", "Name": f"SalesFormsPrefs.UseSalesCustom{i + 1}"}
           for i in range(3)]
    names = [{"StringValue": name, "Type": "StringType", "Name": f"SalesFormsPrefs.SalesCustomName{i + 1}"}
             for i, name in enumerate(custom)]
    prefs = {
        "AccountingInfoPrefs": {"FirstMonthOfFiscalYear": "January", "UseAccountNumbers": False,
                                "TaxYearMonth": "January", "ClassTrackingPerTxn": False, "TrackDepartments": False,
                                "CustomerTerminology": "Customers"},
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True,
                                    "QuantityOnHand": True},
        "SalesFormsPrefs": {"CustomField": [{"CustomField": use}, {"CustomField": names}] if names
                            else [{"CustomField": use}],
                            "CustomTxnNumbers": bool(options.get("customTxnNumbers", False)),
                            "AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
                            "AllowServiceDate": True, "AllowShipping": False, "AutoApplyCredit": True,
                            "AutoApplyPayments": True, "EmailCopyToCompany": False,
                            "UsingPriceLevels": False, "UsingProgressInvoicing": False,
                            "DefaultDiscountAccount": "86", "ETransactionEnabledStatus": "NotApplicable"},
        "EmailMessagesPrefs": {"InvoiceMessage": {"Subject": "Invoice from Craig's Design and Landscaping",
                                                  "Message": "Your invoice is attached."}},
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "TrackingByCustomer": True},
        "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True, "ShowBillRateToAll": False,
                              "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": True},
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": bool(options.get("automatedSalesTax", False))},
        "CurrencyPrefs": {"MultiCurrencyEnabled": co.settings["multiCurrency"],
                          "HomeCurrency": {"value": home}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
                                     {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                                     {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                                     {"Name": "WarnDuplicateInvoiceNumber", "Value": "true"}]},
    }
    if options.get("closingDate"):
        prefs["AccountingInfoPrefs"]["BookCloseDate"] = str(options["closingDate"])
    _put(co, "Preferences", 1, prefs)


def _lists(co: Company) -> None:
    home = co.settings["homeCurrency"]
    accounts = {}
    for i, (name, atype, sub) in enumerate(ACCOUNTS, start=1):
        accounts[sub] = _put(co, "Account", i, {
            "Name": name, "FullyQualifiedName": name, "AccountType": atype, "AccountSubType": sub,
            "Classification": classification_of(atype), "Active": True, "SubAccount": False,
            "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0, "CurrencyRef": {"value": home},
        })
    income = accounts["ServiceFeeIncome"]
    _put(co, "Item", 1, {"Name": "Services", "FullyQualifiedName": "Services", "Type": "Service", "Active": True,
                         "Taxable": False, "UnitPrice": 0,
                         "IncomeAccountRef": {"value": income["Id"], "name": income["Name"]}})
    _put(co, "Item", 2, {"Name": "Hours", "FullyQualifiedName": "Hours", "Type": "Service", "Active": True,
                         "Taxable": False, "UnitPrice": 0,
                         "IncomeAccountRef": {"value": income["Id"], "name": income["Name"]}})
    for i, (name, days) in enumerate(TERMS, start=1):
        _put(co, "Term", i, {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
    for i, (name, kind) in enumerate(PAYMENT_METHODS, start=1):
        _put(co, "PaymentMethod", i, {"Name": name, "Active": True, "Type": kind})
    rate_id = 0
    for i, (code, rates) in enumerate(TAX_CODES[co.country], start=1):
        details = []
        for rate_name, pct in rates:
            rate_id += 1
            _put(co, "TaxRate", rate_id, {"Name": rate_name, "Description": rate_name, "Active": True,
                                          "RateValue": pct, "AgencyRef": {"value": "1"},
                                          "SpecialTaxType": "NONE", "DisplayType": "ReadOnly"})
            details.append({"TaxRateRef": {"value": str(rate_id), "name": rate_name},
                            "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0})
        _put(co, "TaxCode", i, {"Name": code, "Description": code, "Active": True, "Hidden": False,
                                "Taxable": any(p > 0 for _, p in rates), "TaxGroup": len(rates) > 1,
                                "SalesTaxRateList": {"TaxRateDetail": details},
                                "PurchaseTaxRateList": {"TaxRateDetail": []}})
    if co.settings["multiCurrency"]:
        _currencies(co)


def _currencies(co: Company) -> None:
    """Multi-currency companies list their foreign currencies and a rate to the home currency for each."""
    home = co.settings["homeCurrency"]
    foreign = [code for code in USD_VALUE if code != home]
    for i, code in enumerate(foreign, start=1):
        _put(co, "CompanyCurrency", i, {"Code": code, "Name": currency_name(code), "Active": True})
        _put(co, "ExchangeRate", i, {"SourceCurrencyCode": code, "TargetCurrencyCode": home,
                                     "Rate": round(USD_VALUE[code] / USD_VALUE.get(home, 1.0), 6),
                                     "AsOfDate": co.today().isoformat()})
