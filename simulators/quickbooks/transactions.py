"""Sales transactions and payments: lines, totals, tax, document numbers, balances.

Money is Decimal throughout and rounded to cents the way QBO shows it; JSON carries floats
because QBO's does.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from . import errors
from .entities import TYPES, EntityType
from .errors import QBOError

if TYPE_CHECKING:
    from .company import Company

CENT = Decimal("0.01")
TAX_WORDING = {"CA": "a GST/HST rate", "GB": "a VAT rate", "AU": "a GST rate", "ZA": "a sales tax rate"}
CURRENCIES = {"USD": "United States Dollar", "GBP": "British Pound Sterling", "CAD": "Canadian Dollar",
              "AUD": "Australian Dollar", "EUR": "Euro"}
ITEM_LINE = "SalesItemLineDetail"
LINE_TYPES = (ITEM_LINE, "DescriptionOnly", "DiscountLineDetail", "SubTotalLineDetail", "GroupLineDetail")
SALES = ("Invoice", "SalesReceipt", "CreditMemo", "Estimate")


def money(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
        if not amount.is_finite():
            raise ValueError(value)
        return amount
    except Exception as exc:
        raise errors.unsupported_property(f"Can not construct instance of java.math.BigDecimal from String "
                                          f"value '{value}': not a valid representation") from exc


def num(d: Decimal) -> float | int:
    return float(d)


def currency_name(code: str) -> str:
    return CURRENCIES.get(code, code)


def account_type_of(subtype: str | None) -> str:
    return {"Checking": "Bank", "Savings": "Bank", "CashOnHand": "Bank", "UndepositedFunds": "Other Current Asset",
            "SalesOfProductIncome": "Income", "ServiceFeeIncome": "Income", "AccountsReceivable":
            "Accounts Receivable", "AccountsPayable": "Accounts Payable", "Inventory": "Other Current Asset",
            "SuppliesMaterialsCogs": "Cost of Goods Sold", "CreditCard": "Credit Card"}.get(subtype or "", "Expense")


def classification_of(account_type: str) -> str:
    if account_type in ("Bank", "Other Current Asset", "Fixed Asset", "Other Asset", "Accounts Receivable"):
        return "Asset"
    if account_type in ("Accounts Payable", "Credit Card", "Other Current Liability", "Long Term Liability"):
        return "Liability"
    if account_type == "Equity":
        return "Equity"
    if account_type in ("Income", "Other Income"):
        return "Revenue"
    return "Expense"


def parse_date(value: object, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise QBOError("2060", "Invalid Date", f"Invalid date format for {field}: {value}", field) from exc


# -- the entry point from Company ------------------------------------------------------------------

def apply(co: Company, etype: EntityType, data: dict, old: dict | None, options: frozenset[str],
          sent: dict | None = None) -> dict:
    """Validate and complete a transaction about to be written (``old`` is None on create). ``sent`` is what the
    request itself carried (``data`` when None): on an update ``data`` also holds what ``old`` had."""
    txn_date = dated(co, data, old)
    if etype.name in APPLICATIONS:
        return _payment(co, etype, data, old)
    explicit = explicit_tax(data if sent is None else sent) if co.country == "US" else None
    return _sales_form(co, etype, data, old, options, txn_date, explicit)


def dated(co: Company, data: dict, old: dict | None) -> date:
    """The transaction's date (today when none is given); neither it nor the old one may be in a closed period."""
    if old is not None:
        check_closed_period(co, old)
    data.setdefault("TxnDate", co.today().isoformat())
    txn_date = parse_date(data["TxnDate"], "TxnDate")
    data["TxnDate"] = txn_date.isoformat()
    check_closed_period(co, data)
    return txn_date


def check_closed_period(co: Company, data: dict) -> None:
    close = co.pref("AccountingInfoPrefs", "BookCloseDate")
    if close and data.get("TxnDate") and str(data["TxnDate"])[:10] <= str(close)[:10]:
        raise errors.period_closed()


# -- invoices, sales receipts, credit memos, estimates ------------------------------------------

def _sales_form(co: Company, etype: EntityType, data: dict, old: dict | None, options: frozenset[str],
                txn_date: date, explicit: Decimal | None) -> dict:
    customer = None
    if data.get("CustomerRef"):
        customer = co.ref("Customer", data["CustomerRef"], "CustomerRef")
        data["CustomerRef"] = {"value": customer.data["Id"], "name": customer.data["DisplayName"]}
    elif etype.name not in ("SalesReceipt", "RefundReceipt"):
        raise errors.required("CustomerRef")
    _currency(co, data, customer)
    lines = data.get("Line")
    if not lines:
        raise errors.required("Line")
    _doc_number(co, etype, data, old, options)
    _custom_fields(co, data)
    if data.get("EmailStatus") == "NeedToSend" and not (data.get("BillEmail") or {}).get("Address"):
        raise QBOError("6420", "Email Address required",
                       "Business Validation Error: An email address is required when EmailStatus is NeedToSend.",
                       "BillEmail")
    data["Line"], subtotal, taxable = _lines(co, etype, lines, old)
    tax = _tax(co, data, taxable, explicit)
    total = subtotal + tax
    deposit = money(data.get("Deposit", 0) or 0)
    data["TotalAmt"] = num(total)
    if data.get("ExchangeRate") not in (None, "", 0):
        data["HomeTotalAmt"] = num(money(Decimal(str(data["ExchangeRate"])) * total))
    if co.country != "US":
        data.setdefault("GlobalTaxCalculation", "TaxExcluded")
    elif data.get("GlobalTaxCalculation") not in (None, "NotApplicable"):
        data.pop("GlobalTaxCalculation")  # not applicable to US companies
    if etype.name == "Invoice":
        applied = _applied_to_invoice(co, old) if old else Decimal(0)
        if total - deposit < applied:
            raise errors.business("The invoice total can't be less than the payments and credits applied to it.")
        data["Balance"] = num(total - deposit - applied)
        # Links to payments are QBO's to keep: a client's LinkedTxn can neither add nor drop them.
        given = [lt for lt in data.get("LinkedTxn") or [] if lt.get("TxnType") != "Payment"]
        data["LinkedTxn"] = given + [lt for lt in (old or {}).get("LinkedTxn", []) if lt.get("TxnType") == "Payment"]
        term_days = _term_days(co, data)
        if not data.get("DueDate"):
            data["DueDate"] = (txn_date + timedelta(days=term_days)).isoformat()
        data.setdefault("EmailStatus", "NotSet")
        data.setdefault("PrintStatus", "NotSet")
        data.setdefault("AllowOnlineCreditCardPayment", False)
        data.setdefault("AllowOnlineACHPayment", False)
    elif etype.name == "CreditMemo":
        used = money(old.get("TotalAmt", 0)) - money(old.get("RemainingCredit", 0)) if old else Decimal(0)
        data["RemainingCredit"] = num(total - used)
        data["Balance"] = data["RemainingCredit"]
    elif etype.name in ("SalesReceipt", "RefundReceipt"):
        data["Balance"] = 0
    elif etype.name == "Estimate":
        data.setdefault("TxnStatus", "Pending")
    data.setdefault("ApplyTaxAfterDiscount", False)
    data.setdefault("CustomField", [])
    if customer is not None and customer.data.get("BillAddr") and "BillAddr" not in data:
        data["BillAddr"] = customer.data["BillAddr"]
    if customer is not None and customer.data.get("PrimaryEmailAddr") and "BillEmail" not in data:
        data["BillEmail"] = customer.data["PrimaryEmailAddr"]
    return data


def _currency(co: Company, data: dict, customer: object) -> None:
    home = co.settings.get("homeCurrency", "USD")
    cust_code = customer.data.get("CurrencyRef", {}).get("value", home) if customer is not None else home
    given = data.get("CurrencyRef")
    code = given.get("value") if isinstance(given, dict) else None
    if co.settings.get("multiCurrency"):
        if code and code != cust_code:
            raise errors.business(f"The currency of the transaction ({code}) must match the currency of the "
                                  f"customer ({cust_code}).", "CurrencyRef")
        code = cust_code
        if code != home:
            given_rate = data.get("ExchangeRate")
            data["ExchangeRate"] = given_rate if given_rate not in (None, "", 0, 1) else exchange_rate(co, code)
    elif code and code != home:
        raise errors.business("Multicurrency is not enabled for this company.", "CurrencyRef")
    data["CurrencyRef"] = {"value": code or home, "name": currency_name(code or home)}


def exchange_rate(co: Company, code: str) -> float:
    """The company's rate from ``code`` to its home currency (ExchangeRate rows of a multi-currency company)."""
    for row in co.store.select(co.realm, "ExchangeRate"):
        if row.data.get("SourceCurrencyCode") == code:
            return row.data["Rate"]
    raise errors.business(f"The currency {code} is not in the company's currency list.", "CurrencyRef")


def _doc_number(co: Company, etype: EntityType, data: dict, old: dict | None, options: frozenset[str]) -> None:
    custom = bool(co.pref("SalesFormsPrefs", "CustomTxnNumbers", False))
    given = data.get("DocNumber")
    if old is not None and "DocNumber" not in data and old.get("DocNumber"):
        data["DocNumber"] = old["DocNumber"]
        return
    if given == "AUTO_GENERATE" or (given is None and old is None and not custom):
        data["DocNumber"] = str(co.store.next_value(co.realm, f"doc:{etype.doc_numbers[0]}", 1001))
        return
    if given is None or given == "":
        data.pop("DocNumber", None)  # custom numbers on, none given: QBO leaves it null
        return
    given = str(given)
    if len(given) > 21:
        raise errors.string_length("DocNumber", 21, len(given))
    data["DocNumber"] = given
    if given.isdigit() and int(given) <= MAX_SEQUENCED:  # QBO's own numbering goes on from the highest number used
        co.store.raise_value(co.realm, f"doc:{etype.doc_numbers[0]}", int(given))
    if custom and "allowduplicatedocnum" not in options:
        clash = co.store.find_doc_number(co.realm, etype.doc_numbers, given)
        if clash is not None and not (old is not None and clash.kind == etype.name
                                      and clash.entity_id == int(old["Id"])):
            raise errors.duplicate_doc_number(given, clash.kind, clash.entity_id)


FIRST_DOC_NUMBER = "1001"  # QBO's first number, as its own auto-numbering starts (above)
TRAILING_DIGITS = re.compile(r"\d+$")
MAX_DOC_NUMBER = 21  # DocNumber's length limit (2050)
# The highest given number QBO's own numbering goes on from: a longer one ("99999999999") is kept as given but
# does not move the sequence, which stays a 32-bit counter on every database (docs/decisions.md).
MAX_SEQUENCED = 999_999_999


def suggested_doc_number(co: Company, etype: EntityType) -> str | None:
    """The number QBO's form for ``etype`` offers with custom transaction numbers on (rule F6): the number last used
    in the form's sequence (``etype.doc_numbers``; the form created last that has one), incremented by
    :func:`next_doc_number`; "1001" when none was used yet. So after HubSpot wrote "INV-1007" into QBO, the next
    invoice a QBO user makes is offered "INV-1008", whether or not that number is free."""
    last = co.store.last_doc_number(co.realm, etype.doc_numbers)
    return FIRST_DOC_NUMBER if last is None else next_doc_number(last)


def next_doc_number(last: str) -> str | None:
    """``last`` with its trailing digits incremented, zero-padding and prefix kept ("INV-0099" → "INV-0100",
    "A7" → "A8", "99" → "100"); "1" appended when it ends in no digit ("INV-A" → "INV-A1"); None when the result
    would be longer than a DocNumber may be (the form then offers nothing)."""
    m = TRAILING_DIGITS.search(last)
    if m is None:
        nxt = f"{last}1"
    else:
        digits = m.group()
        nxt = last[:m.start()] + str(int(digits) + 1).zfill(len(digits))
    return nxt if len(nxt) <= MAX_DOC_NUMBER else None


def invoice_link(co: Company, invoice: dict) -> str | None:
    """The invoice's sharable link for online payment (``include=invoiceLink``): only for an invoice that allows
    online card or ACH payment and has a billing e-mail address, as QBO answers it (API notes §1)."""
    online = invoice.get("AllowOnlineCreditCardPayment") or invoice.get("AllowOnlineACHPayment")
    if not online or not (invoice.get("BillEmail") or {}).get("Address"):
        return None
    token = hashlib.sha256(f"{co.realm}:{invoice['Id']}".encode()).hexdigest()
    return f"https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{token[:48]}"


def _custom_fields(co: Company, data: dict) -> None:
    fields = data.get("CustomField") or []
    if not isinstance(fields, list):
        raise errors.invalid_type("CustomField", fields)
    enabled = enabled_custom_fields(co)
    values: dict[str, str] = {}
    for f in fields:
        if not isinstance(f, dict):
            raise errors.invalid_type("CustomField", f)
        def_id = str(f.get("DefinitionId", ""))
        if def_id not in enabled:
            raise QBOError("3000", "Invalid custom field",
                           f"Business Validation Error: Custom field DefinitionId {def_id or '(none)'} is not "
                           f"defined. At most three custom fields can be enabled on sales forms.", "CustomField")
        value = f.get("StringValue")
        if value not in (None, ""):
            values[def_id] = str(value)
    # Responses list every configured field, with or without a value [D-inv].
    data["CustomField"] = [{"DefinitionId": def_id, "Name": name, "Type": "StringType",
                            **({"StringValue": values[def_id]} if def_id in values else {})}
                           for def_id, name in enabled.items()]


def enabled_custom_fields(co: Company) -> dict[str, str]:
    """Slot number → name of the (at most three) custom fields enabled on sales forms."""
    groups = co.pref("SalesFormsPrefs", "CustomField", []) or []
    flags, names = {}, {}
    for group in groups:
        for f in group.get("CustomField", []):
            name = f.get("Name", "")
            if name.startswith("SalesFormsPrefs.UseSalesCustom"):
                flags[name[-1]] = f.get("BooleanValue") is True
            elif name.startswith("SalesFormsPrefs.SalesCustomName"):
                names[name[-1]] = f.get("StringValue", "")
    return {slot: names.get(slot, "") for slot in ("1", "2", "3") if flags.get(slot)}


def _lines(co: Company, etype: EntityType, lines: object, old: dict | None) -> tuple[list, Decimal, dict]:
    if not isinstance(lines, list):
        raise errors.invalid_type("Line", lines)
    old_ids = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    next_id = max([int(i) for i in old_ids if i.isdigit()] + [0]) + 1
    out, subtotal, discount = [], Decimal(0), None
    taxable: dict[str, Decimal] = {}  # net taxable amount per tax code
    for raw in lines:
        if not isinstance(raw, dict):
            raise errors.invalid_type("Line", raw)
        line = {k: v for k, v in raw.items() if v not in ("", None)}
        kind = line.get("DetailType")
        if kind not in LINE_TYPES:
            raise errors.invalid_enum("Line.DetailType", kind) if kind else errors.required("DetailType")
        if kind == "SubTotalLineDetail":
            continue  # QBO computes the subtotal line itself
        line_id = str(line.get("Id", ""))
        if line_id not in old_ids or not line_id.isdigit():
            line["Id"] = str(next_id)
            next_id += 1
        if kind == "DescriptionOnly":
            line.pop("Amount", None)
            line.setdefault("DescriptionLineDetail", line.pop("DescriptionOnly", {}) or {})
            line["DetailType"] = "DescriptionOnly"
            out.append(line)
            continue
        if kind == "DiscountLineDetail":
            discount = line
            continue
        amount = line_amount(line, kind)
        if kind == ITEM_LINE:
            bucket = _item_line(co, etype, line)
            if bucket is not None:
                taxable[bucket] = taxable.get(bucket, Decimal(0)) + amount
        line["Amount"] = num(amount)
        subtotal += amount
        out.append(line)
    if not any(line["DetailType"] in (ITEM_LINE, "GroupLineDetail") for line in out):
        raise errors.required("Line")
    for n, line in enumerate(out, start=1):
        line["LineNum"] = n
    out.append({"Amount": num(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    if discount is not None:
        detail = discount.get("DiscountLineDetail") or {}
        if detail.get("PercentBased"):
            off = (subtotal * money(detail.get("DiscountPercent", 0)) / 100).quantize(CENT, ROUND_HALF_UP)
        else:
            off = money(discount.get("Amount", 0))
        if off < 0 or off > subtotal:
            raise QBOError("6090", "Invalid Discount Line", "Business Validation Error: The discount must be "
                           "between zero and the subtotal.", "DiscountLineDetail")
        discount["Amount"] = num(off)
        out.append(discount)
        if subtotal:
            taxable = {k: v - (v * off / subtotal).quantize(CENT, ROUND_HALF_UP) for k, v in taxable.items()}
        subtotal -= off
    return out, subtotal, taxable


def line_amount(line: dict, kind: str) -> Decimal:
    if "Amount" not in line:
        raise errors.required("Line.Amount")
    amount = money(line["Amount"])
    if amount < 0:
        raise QBOError("2290", "Invalid line amount",
                       "Business Validation Error: Line amounts can't be negative.", "Line.Amount")
    detail = line.get(kind) or {}
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    # The SDK sends Qty 0 / UnitPrice 0 as defaults: treat zeros as "not given".
    if qty not in (None, "", 0) and price not in (None, "", 0):
        expected = (Decimal(str(qty)) * Decimal(str(price))).quantize(CENT, ROUND_HALF_UP)
        if expected != amount:
            raise QBOError("6070", "Amount is not equal to UnitPrice * Qty",
                           f"Amount is not equal to UnitPrice * Qty. Supplied value:{num(amount)}", "Line.Amount")
    return amount


def _item_line(co: Company, etype: EntityType, line: dict) -> str | None:
    """Complete an item line; returns its tax code ("TAX" in the US, a TaxCode id elsewhere) or None."""
    detail = line.setdefault(ITEM_LINE, {})
    for key in ("Qty", "UnitPrice", "TaxInclusiveAmt"):
        if detail.get(key) in (0, "", None):
            detail.pop(key, None)
    if detail.get("ServiceDate") in ("", None):
        detail.pop("ServiceDate", None)
    ref = detail.get("ItemRef")
    if not ref or not (ref.get("value") if isinstance(ref, dict) else ref):
        default = next((nv["Value"] for nv in co.pref("OtherPrefs", "NameValue", []) or []
                        if nv.get("Name") == "SalesFormsPrefs.DefaultItem"), None)
        if default is None:
            raise errors.required("ItemRef")
        ref = {"value": default}
    item = co.ref("Item", ref, "ItemRef")
    detail["ItemRef"] = {"value": item.data["Id"], "name": item.data["Name"]}
    if co.settings.get("revenueRecognition") and etype.name in ("Invoice", "SalesReceipt") \
            and not detail.get("ServiceDate"):
        raise errors.business("Revenue recognition is turned on: every product or service line needs a service "
                              "date.", "ServiceDate")
    code = detail.get("TaxCodeRef")
    code_value = (code.get("value") if isinstance(code, dict) else code) if code else None
    if co.country == "US":
        if code_value is None:
            code_value = "TAX" if item.data.get("Taxable") else "NON"
        if code_value not in ("TAX", "NON"):
            raise QBOError("6100", "Invalid line TaxCode",
                           "Business Validation Error: Invalid tax code. For US, specify TAX or NON.", "TaxCodeRef")
        detail["TaxCodeRef"] = {"value": code_value}
        return "TAX" if code_value == "TAX" else None
    if code_value is None:
        wording = TAX_WORDING.get(co.country, "a tax rate")
        raise errors.business(f"Make sure all your transactions have {wording} before you save.")
    tax_code = co.ref("TaxCode", {"value": code_value}, "TaxCodeRef")
    detail["TaxCodeRef"] = {"value": tax_code.data["Id"]}
    return tax_code.data["Id"] if _rate_of(co, tax_code.data) > 0 else None


def _rate_of(co: Company, tax_code: dict) -> Decimal:
    total = Decimal(0)
    for detail in (tax_code.get("SalesTaxRateList") or {}).get("TaxRateDetail", []):
        rate = co.store.get(co.realm, "TaxRate", int(detail["TaxRateRef"]["value"]))
        if rate is not None:
            total += Decimal(str(rate.data.get("RateValue", 0)))
    return total


def explicit_tax(sent: dict) -> Decimal | None:
    """The tax amount a request states itself (``TxnTaxDetail.TotalTax``, zero included), or None.

    Only what the request carries counts: on a sparse update without ``TxnTaxDetail`` the merged entity still holds
    the stored TotalTax, which is the result of an earlier computation, not an amount sent now.
    """
    detail = sent.get("TxnTaxDetail")
    if not isinstance(detail, dict) or detail.get("TotalTax") in (None, ""):
        return None
    return money(detail["TotalTax"])


def _tax(co: Company, data: dict, taxable: dict[str, Decimal], explicit: Decimal | None = None) -> Decimal:
    """Sales tax / VAT as QBO computes it: each tax code's rate on its own lines, one TaxLine per rate.

    US companies (automated sales tax) keep an ``explicit`` amount the request sent instead: "whenever an explicit
    tax amount is sent in the transaction request the AST engine honors the amount and prorates it across tax rates
    in the AST-assigned tax code" (Intuit developer blog, 2017-12-11). Elsewhere QBO computes the tax whatever is sent.
    """
    code = None
    if co.country == "US":
        code = (data.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")
        if explicit is not None:
            return _explicit_us_tax(co, data, code, taxable.get("TAX", Decimal(0)), explicit)
        if not code or "TAX" not in taxable:
            data["TxnTaxDetail"] = {"TotalTax": 0}
            return Decimal(0)
        buckets = {co.ref("TaxCode", code, "TxnTaxCodeRef").data["Id"]: taxable["TAX"]}
    else:
        buckets = taxable
    inclusive = data.get("GlobalTaxCalculation") == "TaxInclusive"
    total, tax_lines = Decimal(0), []
    for code_id, net in sorted(buckets.items()):
        tax_code = co.store.get(co.realm, "TaxCode", int(code_id))
        for detail in (tax_code.data.get("SalesTaxRateList") or {}).get("TaxRateDetail", []) if tax_code else []:
            rate = co.store.get(co.realm, "TaxRate", int(detail["TaxRateRef"]["value"]))
            pct = Decimal(str(rate.data.get("RateValue", 0))) if rate else Decimal(0)
            base = (net / (1 + _rate_of(co, tax_code.data) / 100)).quantize(CENT, ROUND_HALF_UP) if inclusive \
                else net
            amount = (base * pct / 100).quantize(CENT, ROUND_HALF_UP)
            total += amount
            tax_lines.append({"Amount": num(amount), "DetailType": "TaxLineDetail", "TaxLineDetail": {
                "TaxRateRef": {"value": detail["TaxRateRef"]["value"]}, "PercentBased": True,
                "TaxPercent": float(pct), "NetAmountTaxable": num(base)}})
    data["TxnTaxDetail"] = {**({"TxnTaxCodeRef": {"value": str(code.get("value") if isinstance(code, dict)
                                                                  else code)}} if code else {}),
                            "TotalTax": num(total), **({"TaxLine": tax_lines} if tax_lines else {})}
    return Decimal(0) if inclusive else total


def _explicit_us_tax(co: Company, data: dict, code: object, net: Decimal, explicit: Decimal) -> Decimal:
    """A US transaction's tax as the request stated it. With a tax code the amount is prorated across the code's
    rates by their percentages (the last rate takes the cents left over, so the TaxLines add up to the total)."""
    rates: list[tuple[str, Decimal]] = []
    if code:
        tax_code = co.ref("TaxCode", code, "TxnTaxCodeRef")
        code = {"value": tax_code.data["Id"]}
        for detail in (tax_code.data.get("SalesTaxRateList") or {}).get("TaxRateDetail", []):
            rate = co.store.get(co.realm, "TaxRate", int(detail["TaxRateRef"]["value"]))
            rates.append((detail["TaxRateRef"]["value"],
                          Decimal(str(rate.data.get("RateValue", 0))) if rate else Decimal(0)))
    whole = sum((pct for _, pct in rates), Decimal(0))
    tax_lines, left = [], explicit
    for n, (rate_id, pct) in enumerate(rates):
        if n == len(rates) - 1:
            share = left
        else:
            share = (explicit * pct / whole).quantize(CENT, ROUND_HALF_UP) if whole else Decimal(0)
        left -= share
        tax_lines.append({"Amount": num(share), "DetailType": "TaxLineDetail", "TaxLineDetail": {
            "TaxRateRef": {"value": rate_id}, "PercentBased": True, "TaxPercent": float(pct),
            "NetAmountTaxable": num(net)}})
    data["TxnTaxDetail"] = {**({"TxnTaxCodeRef": code} if code else {}), "TotalTax": num(explicit),
                            **({"TaxLine": tax_lines} if tax_lines else {})}
    return explicit


def _term_days(co: Company, data: dict) -> int:
    ref = data.get("SalesTermRef") or co.pref("SalesFormsPrefs", "DefaultTerms")
    if not ref:
        return 0
    term = co.ref("Term", ref, "SalesTermRef")
    if data.get("SalesTermRef"):
        data["SalesTermRef"] = {"value": term.data["Id"], "name": term.data["Name"]}
    return int(term.data.get("DueDays", 0) or 0)


def _applied_to_invoice(co: Company, invoice: dict) -> Decimal:
    """Payments and credits applied to an invoice, summed from the payments' lines."""
    total = Decimal(0)
    for link in invoice.get("LinkedTxn", []):
        if link.get("TxnType") != "Payment":
            continue
        pay = co.store.get(co.realm, "Payment", int(link["TxnId"]))
        if pay is None or pay.deleted:
            continue
        for line in pay.data.get("Line", []):
            for lt in line.get("LinkedTxn", []):
                if lt.get("TxnType") == "Invoice" and str(lt.get("TxnId")) == invoice["Id"]:
                    total += money(line.get("Amount", 0))
    return total


# -- payments: money applied to open documents --------------------------------------------------

@dataclass(frozen=True)
class Application:
    """A payment entity's party and the documents its lines may apply to (document → the field it lowers); money
    applied to ``positive`` documents counts towards the payment, to the others (credits) against it."""
    party: str
    party_ref: str
    targets: dict[str, str]
    positive: str
    noun: str  # how refusals name the payment


APPLICATIONS = {
    "Payment": Application("Customer", "CustomerRef", {"Invoice": "Balance", "CreditMemo": "RemainingCredit"},
                           "Invoice", "payment"),
    "BillPayment": Application("Vendor", "VendorRef", {"Bill": "Balance", "VendorCredit": "Balance"}, "Bill",
                               "bill payment"),
}
# Which party's Balance a document's open amount counts in, and with which sign.
PARTY_BALANCES = {"Invoice": ("Customer", "CustomerRef", "Balance", 1),
                  "Payment": ("Customer", "CustomerRef", "UnappliedAmt", -1),
                  "CreditMemo": ("Customer", "CustomerRef", "RemainingCredit", -1),
                  "Bill": ("Vendor", "VendorRef", "Balance", 1),
                  "VendorCredit": ("Vendor", "VendorRef", "Balance", -1)}


def _payment(co: Company, etype: EntityType, data: dict, old: dict | None) -> dict:
    spec = APPLICATIONS[etype.name]
    if data.get("TotalAmt") in (None, ""):
        raise errors.business("You must set a transaction amount.", "TotalAmt")
    total = money(data["TotalAmt"])
    if total < 0:
        raise errors.business("The payment amount can't be negative.", "TotalAmt")
    party = co.ref(spec.party, data.get(spec.party_ref), spec.party_ref)
    data[spec.party_ref] = {"value": party.data["Id"], "name": party.data["DisplayName"]}
    _currency(co, data, party)
    lines, applied = [], Decimal(0)
    reverted = _applications(old) if old else {}
    for raw in data.get("Line") or []:
        if not isinstance(raw, dict):
            raise errors.invalid_type("Line", raw)
        amount = money(raw.get("Amount", 0))
        links = raw.get("LinkedTxn") or []
        if amount <= 0 or not links:
            raise errors.required("Line.LinkedTxn")
        link = links[0]
        kind = link.get("TxnType")
        if kind not in spec.targets:
            raise QBOError("620", "Transaction can't be linked",
                           f"Transaction type {kind} can't be linked to a {spec.noun}.", "LinkedTxn")
        target = co.ref(kind, {"value": link.get("TxnId")}, "LinkedTxn.TxnId", must_be_active=False)
        if target.data.get(spec.party_ref, {}).get("value") != party.data["Id"]:
            raise errors.business(f"The {kind} {target.data['Id']} belongs to another {spec.party.lower()}.",
                                  "LinkedTxn")
        open_amount = money(target.data.get(spec.targets[kind], 0))
        open_amount += reverted.get((kind, target.data["Id"]), Decimal(0))
        if amount > open_amount:
            raise errors.business(f"The amount applied to {kind} {target.data['Id']} ({num(amount)}) is more "
                                  f"than its open balance ({num(open_amount)}).", "Line.Amount")
        applied += amount if kind == spec.positive else -amount
        lines.append({"Amount": num(amount), "LinkedTxn": [{"TxnId": target.data["Id"], "TxnType": kind}]})
    if applied > total:
        raise errors.business(f"The amounts applied to {spec.positive.lower()}s are more than the payment amount.",
                              "TotalAmt")
    data["Line"] = lines
    data["TotalAmt"] = num(total)
    if etype.name == "Payment":
        data["UnappliedAmt"] = num(total - applied)
        data.setdefault("ProcessPayment", False)
    if data.get("DepositToAccountRef"):
        acct = co.ref("Account", data["DepositToAccountRef"], "DepositToAccountRef")
        data["DepositToAccountRef"] = {"value": acct.data["Id"], "name": acct.data["Name"]}
    return data


def _applications(payment: dict | None) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for line in (payment or {}).get("Line", []):
        for lt in line.get("LinkedTxn", []):
            key = (lt["TxnType"], str(lt["TxnId"]))
            out[key] = out.get(key, Decimal(0)) + money(line.get("Amount", 0))
    return out


def after_write(co: Company, etype: EntityType, new: dict | None, old: dict | None) -> None:
    """Follow-on effects: payments move document balances and links; balances move the customer or vendor."""
    spec = APPLICATIONS.get(etype.name)
    if spec is not None:
        before, after = _applications(old), _applications(new)
        for key in sorted(set(before) | set(after)):
            delta = after.get(key, Decimal(0)) - before.get(key, Decimal(0))
            if delta == 0 and (key in before) == (key in after):
                continue
            kind, txn_id = key
            target = co.store.get(co.realm, kind, int(txn_id))
            if target is None or target.deleted:
                continue
            data = copy.deepcopy(target.data)
            field = spec.targets[kind]
            data[field] = num(money(data.get(field, 0)) - delta)  # applying money lowers what is open
            if kind == "CreditMemo":
                data["Balance"] = data["RemainingCredit"]
            links = [lt for lt in data.get("LinkedTxn", []) if not (lt.get("TxnType") == etype.name
                                                                    and str(lt.get("TxnId")) == (new or old)["Id"])]
            if key in after:
                links.append({"TxnId": (new or old)["Id"], "TxnType": etype.name})
            data["LinkedTxn"] = links
            _party_balance(co, TYPES[kind], data, target.data)  # the document's open amount moved
            co.touch(TYPES[kind], data)
    _party_balance(co, etype, new, old)


def _open_amount(etype: EntityType, data: dict | None) -> Decimal:
    spec = PARTY_BALANCES.get(etype.name)
    if spec is None or not data or data.get("status") == "Deleted":
        return Decimal(0)
    return spec[3] * money(data.get(spec[2], 0))


def _party_balance(co: Company, etype: EntityType, new: dict | None, old: dict | None) -> None:
    """Keep Customer.Balance = open invoices - unapplied payments - unused credits, and Vendor.Balance = open bills -
    unused vendor credits (PARTY_BALANCES)."""
    spec = PARTY_BALANCES.get(etype.name)
    if spec is None:
        return
    party, ref_field = spec[0], spec[1]
    changes: dict[str, Decimal] = {}
    for data, sign in ((old, -1), (new, 1)):
        if data and data.get(ref_field):
            cid = data[ref_field]["value"]
            changes[cid] = changes.get(cid, Decimal(0)) + sign * _open_amount(etype, data)
    for cid, delta in changes.items():
        if delta == 0:
            continue
        row = co.store.get(co.realm, party, int(cid))
        if row is None:
            continue
        row.data["Balance"] = num(money(row.data.get("Balance", 0)) + delta)
        if party == "Customer":
            row.data["BalanceWithJobs"] = num(money(row.data.get("BalanceWithJobs", 0)) + delta)
        co.store.put(row)


def before_delete(co: Company, etype: EntityType, data: dict) -> None:
    if etype.name == "Invoice" and any(lt.get("TxnType") == "Payment" for lt in data.get("LinkedTxn", [])):
        raise errors.business("This invoice has payments applied to it. Delete or unapply the payments first.")


def voided(co: Company, etype: EntityType, old: dict) -> dict:
    """A voided copy: zero amounts, the note "Voided", DocNumber kept."""
    data = copy.deepcopy(old)
    if etype.name == "Invoice":
        before_delete(co, etype, old)
        for line in data.get("Line", []):
            if "Amount" in line:
                line["Amount"] = 0
        data["Balance"] = 0
        data["TxnTaxDetail"] = {"TotalTax": 0}
    elif etype.name in APPLICATIONS:
        data["Line"] = []
        if etype.name == "Payment":
            data["UnappliedAmt"] = 0
    elif etype.name == "SalesReceipt":
        for line in data.get("Line", []):
            if "Amount" in line:
                line["Amount"] = 0
    data["TotalAmt"] = 0
    note = data.get("PrivateNote")
    data["PrivateNote"] = "Voided" if not note else f"Voided - {note}"
    return data
