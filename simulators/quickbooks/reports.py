"""QBO's reports, computed from the ledger and the open documents, in QBO's report JSON shape.

``GET /v3/company/<realm>/reports/<Name>`` answers ``{"Header", "Columns", "Rows"}``: rows are ``Data`` rows
(``ColData`` with ``value`` and, for accounts and names, ``id``) and ``Section`` rows (``Header``, ``Rows``,
``Summary``, ``group``). Parameters: ``start_date``/``end_date`` (or ``report_date`` for aging), ``date_macro`` and
``accounting_method`` (``Accrual`` or ``Cash``; the company's ``ReportPrefs.ReportBasis`` by default).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import errors
from .errors import QBOError
from .ledger import DEBIT_NORMAL, Ledger, Posting
from .transactions import money, parse_date

if TYPE_CHECKING:
    from .company import Company

MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
AGING = (("Current", None, 0), ("1 - 30", 1, 30), ("31 - 60", 31, 60), ("61 - 90", 61, 90),
         ("91 and over", 91, None))
# Balance sheet: (group, title, account types) in QBO's order.
ASSET_GROUPS = (("BankAccounts", "Bank Accounts", ("Bank",)), ("AR", "Accounts Receivable", ("Accounts Receivable",)),
                ("OtherCurrentAssets", "Other Current Assets", ("Other Current Asset",)))
LIABILITY_GROUPS = (("AP", "Accounts Payable", ("Accounts Payable",)),
                    ("CreditCards", "Credit Cards", ("Credit Card",)),
                    ("OtherCurrentLiabilities", "Other Current Liabilities", ("Other Current Liability",)))
PNL_GROUPS = (("Income", "Income", ("Income",)), ("COGS", "Cost of Goods Sold", ("Cost of Goods Sold",)),
              ("Expenses", "Expenses", ("Expense",)), ("OtherIncome", "Other Income", ("Other Income",)),
              ("OtherExpenses", "Other Expenses", ("Other Expense",)))
TYPE_ORDER = ("Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset", "Other Asset", "Accounts Payable",
              "Credit Card", "Other Current Liability", "Long Term Liability", "Equity", "Income",
              "Cost of Goods Sold", "Expense", "Other Income", "Other Expense")


class Period:
    def __init__(self, co: Company, params: dict[str, str], default_macro: str) -> None:
        self.today = co.today()
        info = co.store.get(co.realm, "CompanyInfo", 1)
        month = MONTHS.get(str((info.data if info else {}).get("FiscalYearStartMonth", "January")), 1)
        self.fiscal_month = month
        macro = params.get("date_macro") or ""
        start, end = self.macro(macro or default_macro)
        if params.get("start_date"):
            start = parse_date(params["start_date"], "start_date")
        if params.get("end_date") or params.get("report_date"):
            end = parse_date(params.get("end_date") or params["report_date"], "end_date")
            if not params.get("start_date") and start > end:  # only an end given: its fiscal year to it
                start = min(self.fiscal_start(end), end)
        if start > end:
            raise QBOError("2060", "Invalid Date", "start_date must be on or before end_date", "start_date")
        self.start, self.end, self.macro_name = start, end, macro.lower() or None
        basis = params.get("accounting_method") or str(co.pref("ReportPrefs", "ReportBasis") or "Accrual")
        if basis.lower() not in ("accrual", "cash"):
            raise errors.invalid_enum("accounting_method", basis)
        self.basis = basis.capitalize()

    def fiscal_start(self, day: date) -> date:
        year = day.year if day.month >= self.fiscal_month else day.year - 1
        return date(year, self.fiscal_month, 1)

    def macro(self, name: str) -> tuple[date, date]:
        t = self.today
        month_start = t.replace(day=1)
        last_month_end = month_start - timedelta(days=1)
        fy = self.fiscal_start(t)
        fy_end = date(fy.year + 1, fy.month, 1) - timedelta(days=1)
        week = t - timedelta(days=(t.weekday() + 1) % 7)  # weeks start on Sunday in QBO's reports
        macros = {
            "today": (t, t), "yesterday": (t - timedelta(days=1), t - timedelta(days=1)),
            "this week": (week, week + timedelta(days=6)), "this week-to-date": (week, t),
            "last week": (week - timedelta(days=7), week - timedelta(days=1)),
            "this month": (month_start, date(t.year, t.month, calendar.monthrange(t.year, t.month)[1])),
            "this month-to-date": (month_start, t), "last month": (last_month_end.replace(day=1), last_month_end),
            "this fiscal year": (fy, fy_end), "this fiscal year-to-date": (fy, t),
            "last fiscal year": (date(fy.year - 1, fy.month, 1), fy - timedelta(days=1)),
            "this calendar year": (date(t.year, 1, 1), date(t.year, 12, 31)),
            "this calendar year-to-date": (date(t.year, 1, 1), t),
            "last calendar year": (date(t.year - 1, 1, 1), date(t.year - 1, 12, 31)),
        }
        if name.lower() not in macros:
            raise errors.invalid_enum("date_macro", name)
        return macros[name.lower()]


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _header(co: Company, name: str, period: Period, dated: bool = True) -> dict:
    header: dict = {"Time": co.stamp(), "ReportName": name}
    if period.macro_name:
        header["DateMacro"] = period.macro_name
    header["ReportBasis"] = period.basis
    if dated:
        header.update(StartPeriod=period.start.isoformat(), EndPeriod=period.end.isoformat())
    else:
        header["EndPeriod"] = period.end.isoformat()
    header.update(SummarizeColumnsBy="Total", Currency=co.settings.get("homeCurrency", "USD"))
    return header


def _columns(*titles: tuple[str, str]) -> dict:
    return {"Column": [{"ColTitle": title, "ColType": kind, "MetaData": [{"Name": "ColKey",
                                                                          "Value": title.lower() or "account"}]}
                       for title, kind in titles]}


def _data(label: str, values: list[str], row_id: str | None = None) -> dict:
    first = {"value": label, **({"id": row_id} if row_id else {})}
    return {"ColData": [first, *({"value": v} for v in values)], "type": "Data"}


def _section(group: str, title: str | None, rows: list[dict], summary: list[str] | None,
             summary_label: str | None = None) -> dict:
    section: dict = {}
    if title is not None:
        section["Header"] = {"ColData": [{"value": title}, *({"value": ""} for _ in (summary or []))]}
    if rows:
        section["Rows"] = {"Row": rows}
    if summary is not None:
        section["Summary"] = {"ColData": [{"value": summary_label or f"Total {title}"}, *({"value": v}
                                                                                        for v in summary)]}
    return {**section, "type": "Section", "group": group}


def _finish(header: dict, columns: dict, rows: list[dict], has_data: bool) -> dict:
    header["Option"] = [{"Name": "AccountingStandard", "Value": "GAAP"},
                        {"Name": "NoReportData", "Value": "false" if has_data else "true"}]
    return {"Header": header, "Columns": columns, "Rows": {"Row": rows}}


# -- accounts-based reports ------------------------------------------------------------------------

def _sums(led: Ledger, postings: list[Posting]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for p in postings:
        out[p.account] = out.get(p.account, Decimal(0)) + p.amount
    return out


def _natural(led: Ledger, account_id: str, amount: Decimal) -> Decimal:
    return amount if led.account(account_id).get("Classification") in DEBIT_NORMAL else -amount


def _account_rows(led: Ledger, sums: dict[str, Decimal], types: tuple[str, ...]) -> tuple[list[dict], Decimal]:
    rows, total = [], Decimal(0)
    chosen = [a for a in sums if led.account(a).get("AccountType") in types and sums[a]]
    for account_id in sorted(chosen, key=lambda a: led.account(a)["Name"].lower()):
        value = _natural(led, account_id, sums[account_id])
        acct = led.account(account_id)
        rows.append(_data(acct["Name"], [_amount(value)], acct.get("Id") or None))
        total += value
    return rows, total


def profit_and_loss(co: Company, params: dict[str, str]) -> dict:
    period = Period(co, params, "This Fiscal Year-to-date")
    led = Ledger(co)
    sums = _sums(led, led.postings(period.end.isoformat(), period.start.isoformat(), basis=period.basis))
    totals, rows = {}, []
    for group, title, types in PNL_GROUPS:
        found, total = _account_rows(led, sums, types)
        totals[group] = total
        if found or group in ("Income", "Expenses"):
            rows.append(_section(group, title, found, [_amount(total)]))
        if group == "COGS":
            rows.append(_section("GrossProfit", None, [], [_amount(totals["Income"] - total)], "Gross Profit"))
        if group == "Expenses":
            gross = totals["Income"] - totals["COGS"]
            rows.append(_section("NetOperatingIncome", None, [], [_amount(gross - total)], "Net Operating Income"))
    other = totals["OtherIncome"] - totals["OtherExpenses"]
    if totals["OtherIncome"] or totals["OtherExpenses"]:
        rows.append(_section("NetOtherIncome", None, [], [_amount(other)], "Net Other Income"))
    net = totals["Income"] - totals["COGS"] - totals["Expenses"] + other
    rows.append(_section("NetIncome", None, [], [_amount(net)], "Net Income"))
    return _finish(_header(co, "ProfitAndLoss", period), _columns(("", "Account"), ("Total", "Money")), rows,
                   any(sums.values()))


def _net_income(led: Ledger, sums: dict[str, Decimal]) -> Decimal:
    """Income less expenses of ``sums`` (credit-positive)."""
    return -sum((v for a, v in sums.items() if led.account(a).get("Classification") in ("Revenue", "Expense")),
                Decimal(0))


def balance_sheet(co: Company, params: dict[str, str]) -> dict:
    period = Period(co, params, "This Fiscal Year-to-date")
    led = Ledger(co)
    fy = period.fiscal_start(period.end)
    all_sums = _sums(led, led.postings(period.end.isoformat(), basis=period.basis))
    before = _sums(led, led.postings((fy - timedelta(days=1)).isoformat(), basis=period.basis))
    net_income = _net_income(led, all_sums) - _net_income(led, before)
    retained = _net_income(led, before)

    def group_rows(groups: tuple) -> tuple[list[dict], Decimal]:
        out, total = [], Decimal(0)
        for group, title, types in groups:
            found, subtotal = _account_rows(led, all_sums, types)
            if found:
                out.append(_section(group, title, found, [_amount(subtotal)]))
                total += subtotal
        return out, total

    current_assets, ca_total = group_rows(ASSET_GROUPS)
    fixed, fixed_total = _account_rows(led, all_sums, ("Fixed Asset",))
    other_assets, oa_total = _account_rows(led, all_sums, ("Other Asset",))
    assets = [_section("CurrentAssets", "Current Assets", current_assets, [_amount(ca_total)])]
    if fixed:
        assets.append(_section("FixedAssets", "Fixed Assets", fixed, [_amount(fixed_total)]))
    if other_assets:
        assets.append(_section("OtherAssets", "Other Assets", other_assets, [_amount(oa_total)]))
    asset_total = ca_total + fixed_total + oa_total
    current_liabilities, cl_total = group_rows(LIABILITY_GROUPS)
    long_term, lt_total = _account_rows(led, all_sums, ("Long Term Liability",))
    liabilities = [_section("CurrentLiabilities", "Current Liabilities", current_liabilities, [_amount(cl_total)])]
    if long_term:
        liabilities.append(_section("LongTermLiabilities", "Long-Term Liabilities", long_term, [_amount(lt_total)]))
    equity_rows, equity_total = _account_rows(led, all_sums, ("Equity",))
    equity_rows.append(_data("Retained Earnings", [_amount(retained)]))
    equity_rows.append(_data("Net Income", [_amount(net_income)]))
    equity_total += retained + net_income
    liability_total = cl_total + lt_total
    rows = [
        _section("TotalAssets", "ASSETS", assets, [_amount(asset_total)], "TOTAL ASSETS"),
        _section("TotalLiabilitiesAndEquity", "LIABILITIES AND EQUITY", [
            _section("Liabilities", "Liabilities", liabilities, [_amount(liability_total)]),
            _section("Equity", "Equity", equity_rows, [_amount(equity_total)]),
        ], [_amount(liability_total + equity_total)], "TOTAL LIABILITIES AND EQUITY"),
    ]
    return _finish(_header(co, "BalanceSheet", period), _columns(("", "Account"), ("Total", "Money")), rows,
                   any(all_sums.values()))


def trial_balance(co: Company, params: dict[str, str]) -> dict:
    """Balance sheet accounts to ``end_date``; income and expense accounts from the start of its fiscal year, the
    years before closed into Retained Earnings (as QBO's trial balance shows them)."""
    period = Period(co, params, "This Fiscal Year-to-date")
    led = Ledger(co)
    fy = period.fiscal_start(period.end)
    sums = _sums(led, led.postings(period.end.isoformat(), basis=period.basis))
    before = _sums(led, led.postings((fy - timedelta(days=1)).isoformat(), basis=period.basis))
    closed = Decimal(0)
    for account_id, amount in before.items():
        if led.account(account_id).get("Classification") in ("Revenue", "Expense"):
            sums[account_id] -= amount
            closed += amount
    if closed:
        retained = led.system("RetainedEarnings")
        sums[retained] = sums.get(retained, Decimal(0)) + closed
    rows, debit, credit = [], Decimal(0), Decimal(0)

    def order(account_id: str) -> tuple:
        acct = led.account(account_id)
        kind = acct.get("AccountType")
        return (TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER), acct["Name"].lower())

    for account_id in sorted((a for a, v in sums.items() if v), key=order):
        amount = sums[account_id]
        acct = led.account(account_id)
        rows.append(_data(acct["Name"], [_amount(amount) if amount > 0 else "", _amount(-amount) if amount < 0
                                         else ""], acct.get("Id") or None))
        debit += max(amount, Decimal(0))
        credit += max(-amount, Decimal(0))
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}, {"value": _amount(debit)}, {"value": _amount(credit)}]},
                 "type": "Section", "group": "GrandTotal"})
    return _finish(_header(co, "TrialBalance", period),
                   _columns(("", "Account"), ("Debit", "Money"), ("Credit", "Money")), rows, bool(debit or credit))


# -- receivables -----------------------------------------------------------------------------------

def _open_documents(co: Company, as_of: date) -> list[dict]:
    """What customers owe as of ``as_of``: open invoices (+), unapplied payments and unused credits (-). Open
    amounts are today's (payments dated after ``as_of`` are not rolled back)."""
    out = []
    for kind, field, sign in (("Invoice", "Balance", 1), ("CreditMemo", "RemainingCredit", -1),
                              ("Payment", "UnappliedAmt", -1)):
        for row in co.store.select(co.realm, kind):
            data = row.data
            amount = money(data.get(field, 0) or 0)
            if not amount or str(data.get("TxnDate", ""))[:10] > as_of.isoformat():
                continue
            out.append({"type": kind, "id": data["Id"], "date": data["TxnDate"][:10], "num": data.get("DocNumber", ""),
                        "customer": data["CustomerRef"], "due": str(data.get("DueDate") or data["TxnDate"])[:10],
                        "amount": sign * money(data.get("TotalAmt", 0) or 0), "open": sign * amount})
    return sorted(out, key=lambda d: (d["date"], d["type"], int(d["id"])))


def _bucket(as_of: date, due: str) -> int:
    days = (as_of - date.fromisoformat(due)).days
    for i, (_, low, high) in enumerate(AGING):
        if (low is None or days >= low) and (high is None or days <= high):
            return i
    return 0


def aged_receivables(co: Company, params: dict[str, str]) -> dict:
    period = Period(co, params, "Today")
    docs = _open_documents(co, period.end)
    per_customer: dict[str, tuple[str, list[Decimal]]] = {}
    for doc in docs:
        name, buckets = per_customer.setdefault(doc["customer"]["value"],
                                                (doc["customer"].get("name", ""), [Decimal(0)] * len(AGING)))
        buckets[_bucket(period.end, doc["due"])] += doc["open"]
    rows, totals = [], [Decimal(0)] * (len(AGING) + 1)
    for cid, (name, buckets) in sorted(per_customer.items(), key=lambda kv: kv[1][0].lower()):
        values = [*buckets, sum(buckets, Decimal(0))]
        if not values[-1] and not any(buckets):
            continue
        rows.append(_data(name, [_amount(v) if v else "" for v in values], cid))
        totals = [t + v for t, v in zip(totals, values, strict=True)]
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}, *({"value": _amount(t)} for t in totals)]},
                 "type": "Section", "group": "GrandTotal"})
    return _finish(_header(co, "AgedReceivables", period, dated=False),
                   _columns(("", "Customer"), *((title, "Money") for title, _, _ in AGING), ("Total", "Money")),
                   rows, bool(docs))


def aged_receivable_detail(co: Company, params: dict[str, str]) -> dict:
    period = Period(co, params, "Today")
    docs = _open_documents(co, period.end)
    rows, grand = [], [Decimal(0), Decimal(0)]
    for i, (title, _, _) in enumerate(AGING):
        mine = [d for d in docs if _bucket(period.end, d["due"]) == i]
        if not mine:
            continue
        label = title if title == "Current" else f"{title} days past due".replace("91 and over days past due",
                                                                                  "91 or more days past due")
        data_rows = [{"ColData": [{"value": d["date"]}, {"value": d["type"], "id": d["id"]}, {"value": d["num"] or ""},
                                  {"value": d["customer"].get("name", ""), "id": d["customer"]["value"]},
                                  {"value": d["due"]}, {"value": _amount(d["amount"])}, {"value": _amount(d["open"])}],
                      "type": "Data"} for d in mine]
        amount = sum((d["amount"] for d in mine), Decimal(0))
        open_total = sum((d["open"] for d in mine), Decimal(0))
        grand = [grand[0] + amount, grand[1] + open_total]
        rows.append({"Header": {"ColData": [{"value": label}] + [{"value": ""}] * 6},
                     "Rows": {"Row": data_rows},
                     "Summary": {"ColData": [{"value": f"Total for {label}"}] + [{"value": ""}] * 4
                                 + [{"value": _amount(amount)}, {"value": _amount(open_total)}]},
                     "type": "Section"})
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}] + [{"value": ""}] * 4
                             + [{"value": _amount(grand[0])}, {"value": _amount(grand[1])}]}, "type": "Section",
                 "group": "GrandTotal"})
    columns = {"Column": [{"ColTitle": title, "ColType": kind, "MetaData": [{"Name": "ColKey", "Value": key}]}
                          for title, kind, key in (("Date", "tx_date", "tx_date"), ("Transaction Type", "txn_type",
                                                                                        "txn_type"),
                                                   ("Num", "doc_num", "doc_num"), ("Customer", "cust_name",
                                                                                   "cust_name"),
                                                   ("Due Date", "due_date", "due_date"), ("Amount", "Money",
                                                                                          "subt_amount"),
                                                   ("Open Balance", "Money", "subt_open_bal"))]}
    return _finish(_header(co, "AgedReceivableDetail", period, dated=False), columns, rows, bool(docs))


def customer_balance(co: Company, params: dict[str, str]) -> dict:
    period = Period(co, params, "Today")
    docs = _open_documents(co, period.end)
    per: dict[str, tuple[str, Decimal]] = {}
    for doc in docs:
        name, total = per.get(doc["customer"]["value"], (doc["customer"].get("name", ""), Decimal(0)))
        per[doc["customer"]["value"]] = (name, total + doc["open"])
    rows, grand = [], Decimal(0)
    for cid, (name, total) in sorted(per.items(), key=lambda kv: kv[1][0].lower()):
        if total:
            rows.append(_data(name, [_amount(total)], cid))
            grand += total
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}, {"value": _amount(grand)}]}, "type": "Section",
                 "group": "GrandTotal"})
    return _finish(_header(co, "CustomerBalance", period, dated=False), _columns(("", "Customer"), ("Total", "Money")),
                   rows, bool(docs))


REPORTS: dict[str, Callable[[Company, dict[str, str]], dict]] = {
    "ProfitAndLoss": profit_and_loss, "BalanceSheet": balance_sheet, "TrialBalance": trial_balance,
    "AgedReceivables": aged_receivables, "AgedReceivableDetail": aged_receivable_detail,
    "CustomerBalance": customer_balance,
}


def run(co: Company, name: str, params: dict[str, str]) -> dict | None:
    """The report ``name`` (case-insensitive, as QBO's URL is), or None when it is not simulated."""
    for known, build in REPORTS.items():
        if known.lower() == name.lower():
            return build(co, params)
    return None
