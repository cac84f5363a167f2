"""The double-entry ledger: what each posting transaction debits and credits, read from the transactions themselves.

Nothing is stored twice: a transaction's postings are a function of the transaction as saved (voided ones post zero,
deleted ones nothing), so the ledger can never drift from the documents. ``Account.CurrentBalance`` and every report
are sums over these postings. Amounts are in the home currency (a foreign-currency transaction's amounts times its
``ExchangeRate``). A debit is positive, a credit negative; every transaction's postings add up to zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .transactions import CENT, money, num

if TYPE_CHECKING:
    from .company import Company

# Balance sheet accounts QBO makes on its own when a transaction needs one the company lacks.
SYSTEM_ACCOUNTS = {
    "AccountsReceivable": ("Accounts Receivable (A/R)", "Accounts Receivable"),
    "AccountsPayable": ("Accounts Payable (A/P)", "Accounts Payable"),
    "UndepositedFunds": ("Undeposited Funds", "Other Current Asset"),
    "GlobalTaxPayable": ("Sales Tax Payable", "Other Current Liability"),
    "DiscountsRefundsGiven": ("Discounts given", "Income"),
    "OpeningBalanceEquity": ("Opening Balance Equity", "Equity"),
    "RetainedEarnings": ("Retained Earnings", "Equity"),
}
DEBIT_NORMAL = ("Asset", "Expense")
CASH_DEFERRED = ("Invoice", "CreditMemo", "Bill", "VendorCredit")  # post through their payments on the cash basis


@dataclass(frozen=True)
class Posting:
    account: str  # an Account Id, or "sys:<subtype>" for a system account the company does not have
    amount: Decimal  # debit > 0, credit < 0
    txn_type: str
    txn_id: str
    txn_date: str
    name: dict | None = None  # the customer or vendor the line is about (A/R and A/P lines)
    doc_number: str | None = None


class Ledger:
    """The postings of one company, built once per request."""

    def __init__(self, co: Company) -> None:
        self.co = co
        self.accounts = {r.data["Id"]: r.data for r in co.store.select(co.realm, "Account")}
        self._items: dict[str, dict] = {}
        self._system: dict[str, str] = {}
        for acct in sorted(self.accounts.values(), key=lambda a: int(a["Id"])):
            sub = acct.get("AccountSubType")
            if sub in SYSTEM_ACCOUNTS or sub in ("SalesTaxPayable",):
                key = "GlobalTaxPayable" if sub == "SalesTaxPayable" else sub
                self._system.setdefault(key, acct["Id"])
        for acct in sorted(self.accounts.values(), key=lambda a: int(a["Id"])):
            for sub, (_, atype) in SYSTEM_ACCOUNTS.items():
                if acct.get("AccountType") == atype and sub in ("AccountsReceivable", "AccountsPayable"):
                    self._system.setdefault(sub, acct["Id"])

    # -- accounts ----------------------------------------------------------------------------
    def system(self, subtype: str) -> str:
        return self._system.get(subtype, f"sys:{subtype}")

    def account(self, account_id: str) -> dict:
        if account_id.startswith("sys:"):
            name, atype = SYSTEM_ACCOUNTS[account_id[4:]]
            from .transactions import classification_of

            return {"Id": "", "Name": name, "AccountType": atype, "Classification": classification_of(atype)}
        return self.accounts.get(account_id) or {"Id": account_id, "Name": f"Account {account_id}",
                                                 "AccountType": "Expense", "Classification": "Expense"}

    def item(self, item_id: str) -> dict:
        if item_id not in self._items:
            row = self.co.store.get(self.co.realm, "Item", int(item_id))
            self._items[item_id] = row.data if row else {}
        return self._items[item_id]

    # -- postings ----------------------------------------------------------------------------
    def postings(self, until: str | None = None, since: str | None = None, basis: str = "Accrual") -> list[Posting]:
        """Every posting dated in [since, until]. On the cash basis invoices, credit memos, bills and vendor credits
        post nothing when made: each payment applied to one posts that document's income or expense lines instead,
        scaled by the share paid, on the payment's date."""
        out: list[Posting] = []
        cash = basis.lower() == "cash"
        for kind, post in POSTERS.items():
            if cash and kind in CASH_DEFERRED:
                continue
            for row in self.co.store.select(self.co.realm, kind):
                txn_date = str(row.data.get("TxnDate", ""))[:10]
                if (until and txn_date > until) or (since and txn_date < since):
                    continue
                if cash and kind in ("Payment", "BillPayment"):
                    out.extend(self._cash_payment(kind, row.data))
                else:
                    out.extend(self.of(kind, row.data, post))
        return out

    def _cash_payment(self, kind: str, data: dict) -> list[Posting]:
        own = self.of(kind, data)
        control = next((p.account for p in own if p.name is not None), None)
        out = [p for p in own if p.account != control]
        left = sum((p.amount for p in own if p.account == control), Decimal(0))
        for line in data.get("Line", []):
            link = line["LinkedTxn"][0]
            doc = self.co.store.get(self.co.realm, link["TxnType"], int(link["TxnId"]))
            total = money(doc.data.get("TotalAmt", 0)) if doc and not doc.deleted else Decimal(0)
            if not total:
                continue
            share = money(line.get("Amount", 0)) / total
            scaled = [(p.account, (p.amount * share).quantize(CENT)) for p in self.of(link["TxnType"], doc.data)
                      if p.name is None]
            target = -sum((p.amount for p in self.of(link["TxnType"], doc.data) if p.name is not None),
                          Decimal(0)) * share
            if scaled:  # the largest line takes the rounding, so the share posted is exactly the share paid
                i = max(range(len(scaled)), key=lambda j: abs(scaled[j][1]))
                scaled[i] = (scaled[i][0], scaled[i][1] + target.quantize(CENT) - sum((a for _, a in scaled),
                                                                                     Decimal(0)))
            for account, amount in scaled:
                out.append(Posting(account, amount, kind, str(data["Id"]), str(data["TxnDate"])[:10], None,
                                   data.get("DocNumber")))
                left -= amount
        if left and control is not None:
            out.append(Posting(control, left, kind, str(data["Id"]), str(data["TxnDate"])[:10],
                               next(p.name for p in own if p.name is not None), data.get("DocNumber")))
        return out

    def of(self, kind: str, data: dict, post: Callable | None = None) -> list[Posting]:
        """The postings of one transaction, converted to the home currency."""
        lines: list[tuple[str, Decimal, dict | None]] = []
        (post or POSTERS[kind])(self, data, lambda acct, amount, name=None: lines.append((acct, amount, name)))
        rate = Decimal(str(data.get("ExchangeRate") or 1))
        converted = [(a, (amt * rate).quantize(CENT), n) for a, amt, n in lines if amt]
        if rate != 1 and converted:  # rounding after conversion: the largest line takes the cent left over
            left = -sum((amt for _, amt, _ in converted), Decimal(0))
            i = max(range(len(converted)), key=lambda j: abs(converted[j][1]))
            converted[i] = (converted[i][0], converted[i][1] + left, converted[i][2])
        return [Posting(a, amt, kind, str(data.get("Id", "")), str(data.get("TxnDate", ""))[:10], n,
                        data.get("DocNumber")) for a, amt, n in converted]

    def balances(self, until: str | None = None, since: str | None = None) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for p in self.postings(until, since):
            out[p.account] = out.get(p.account, Decimal(0)) + p.amount
        return out

    def current_balance(self, account: dict, balances: dict[str, Decimal]) -> float:
        """QBO's sign: assets and expenses debit-positive, the rest credit-positive."""
        amount = balances.get(account["Id"], Decimal(0))
        return num(amount if account.get("Classification") in DEBIT_NORMAL else -amount)


Emit = Callable[..., None]


def _ref(data: dict, field: str) -> str | None:
    ref = data.get(field)
    return str(ref["value"]) if isinstance(ref, dict) and ref.get("value") else None


def _sales_lines(led: Ledger, data: dict, emit: Emit, sign: int) -> None:
    """Income from a sales form's lines (credit for a sale, debit for a credit memo or refund: ``sign``), the
    discount, the tax, and the cost of inventory sold."""
    income = []
    for line in data.get("Line", []):
        kind = line.get("DetailType")
        amount = money(line.get("Amount", 0) or 0)
        if kind == "SalesItemLineDetail":
            item = led.item(str(line[kind]["ItemRef"]["value"]))
            acct = _ref(item, "IncomeAccountRef") or led.system("DiscountsRefundsGiven")
            income.append(acct)
            emit(acct, -sign * amount)
            qty = Decimal(str(line[kind].get("Qty") or 0))
            if amount and item.get("Type") == "Inventory" and item.get("AssetAccountRef") \
                    and item.get("ExpenseAccountRef"):
                cost = (qty * Decimal(str(item.get("PurchaseCost") or 0))).quantize(CENT)
                emit(_ref(item, "ExpenseAccountRef"), sign * cost)
                emit(_ref(item, "AssetAccountRef"), -sign * cost)
        elif kind == "DiscountLineDetail":
            detail = line.get(kind) or {}
            emit(_ref(detail, "DiscountAccountRef") or led.system("DiscountsRefundsGiven"), sign * amount)
    tax = money((data.get("TxnTaxDetail") or {}).get("TotalTax", 0) or 0)
    if tax:
        emit(led.system("GlobalTaxPayable"), -sign * tax)
        if data.get("GlobalTaxCalculation") == "TaxInclusive" and income:
            emit(income[-1], sign * tax)  # the lines' amounts include the tax: income is the rest


def _invoice(led: Ledger, data: dict, emit: Emit) -> None:
    customer = data.get("CustomerRef")
    deposit = money(data.get("Deposit", 0) or 0)
    emit(led.system("AccountsReceivable"), money(data.get("TotalAmt", 0)) - deposit, customer)
    if deposit:
        emit(_ref(data, "DepositToAccountRef") or led.system("UndepositedFunds"), deposit)
    _sales_lines(led, data, emit, 1)


def _credit_memo(led: Ledger, data: dict, emit: Emit) -> None:
    emit(led.system("AccountsReceivable"), -money(data.get("TotalAmt", 0)), data.get("CustomerRef"))
    _sales_lines(led, data, emit, -1)


def _sales_receipt(led: Ledger, data: dict, emit: Emit) -> None:
    emit(_ref(data, "DepositToAccountRef") or led.system("UndepositedFunds"), money(data.get("TotalAmt", 0)))
    _sales_lines(led, data, emit, 1)


def _refund_receipt(led: Ledger, data: dict, emit: Emit) -> None:
    emit(_ref(data, "DepositToAccountRef") or led.system("UndepositedFunds"), -money(data.get("TotalAmt", 0)))
    _sales_lines(led, data, emit, -1)


def _payment(led: Ledger, data: dict, emit: Emit) -> None:
    total = money(data.get("TotalAmt", 0))
    emit(_ref(data, "DepositToAccountRef") or led.system("UndepositedFunds"), total)
    emit(_ref(data, "ARAccountRef") or led.system("AccountsReceivable"), -total, data.get("CustomerRef"))


def _expense_lines(led: Ledger, data: dict, emit: Emit, sign: int) -> None:
    for line in data.get("Line", []):
        amount = money(line.get("Amount", 0) or 0)
        kind = line.get("DetailType")
        detail = line.get(kind) or {}
        if kind == "AccountBasedExpenseLineDetail":
            emit(_ref(detail, "AccountRef"), sign * amount)
        elif kind == "ItemBasedExpenseLineDetail":
            item = led.item(str(detail["ItemRef"]["value"]))
            acct = _ref(item, "AssetAccountRef") if item.get("Type") == "Inventory" else None
            emit(acct or _ref(item, "ExpenseAccountRef") or _ref(item, "IncomeAccountRef"), sign * amount)


def _bill(led: Ledger, data: dict, emit: Emit) -> None:
    emit(_ref(data, "APAccountRef") or led.system("AccountsPayable"), -money(data.get("TotalAmt", 0)),
         data.get("VendorRef"))
    _expense_lines(led, data, emit, 1)


def _vendor_credit(led: Ledger, data: dict, emit: Emit) -> None:
    emit(_ref(data, "APAccountRef") or led.system("AccountsPayable"), money(data.get("TotalAmt", 0)),
         data.get("VendorRef"))
    _expense_lines(led, data, emit, -1)


def _bill_payment(led: Ledger, data: dict, emit: Emit) -> None:
    total = money(data.get("TotalAmt", 0))
    paid_from = _ref(data.get("CheckPayment") or {}, "BankAccountRef") \
        or _ref(data.get("CreditCardPayment") or {}, "CCAccountRef")
    emit(_ref(data, "APAccountRef") or led.system("AccountsPayable"), total, data.get("VendorRef"))
    emit(paid_from, -total)


def _purchase(led: Ledger, data: dict, emit: Emit) -> None:
    sign = -1 if data.get("Credit") else 1
    emit(_ref(data, "AccountRef"), -sign * money(data.get("TotalAmt", 0)))
    _expense_lines(led, data, emit, sign)


def _deposit(led: Ledger, data: dict, emit: Emit) -> None:
    emit(_ref(data, "DepositToAccountRef"), money(data.get("TotalAmt", 0)))
    back = data.get("CashBack") or {}
    if back.get("Amount"):
        emit(_ref(back, "AccountRef"), money(back["Amount"]))
    for line in data.get("Line", []):
        amount = money(line.get("Amount", 0) or 0)
        if line.get("LinkedTxn"):
            source = led.co.store.get(led.co.realm, line["LinkedTxn"][0]["TxnType"], int(line["LinkedTxn"][0]["TxnId"]))
            held = _ref(source.data, "DepositToAccountRef") if source else None
            emit(held or led.system("UndepositedFunds"), -amount)
        else:
            emit(_ref(line.get("DepositLineDetail") or {}, "AccountRef"), -amount)


def _transfer(led: Ledger, data: dict, emit: Emit) -> None:
    amount = money(data.get("Amount", 0))
    emit(_ref(data, "ToAccountRef"), amount)
    emit(_ref(data, "FromAccountRef"), -amount)


def _journal_entry(led: Ledger, data: dict, emit: Emit) -> None:
    for line in data.get("Line", []):
        detail = line.get("JournalEntryLineDetail")
        if not detail:
            continue
        amount = money(line.get("Amount", 0) or 0)
        entity = (detail.get("Entity") or {}).get("EntityRef")
        emit(_ref(detail, "AccountRef"), amount if detail.get("PostingType") == "Debit" else -amount, entity)


def _card_payment(led: Ledger, data: dict, emit: Emit) -> None:
    amount = money(data.get("Amount", 0))
    emit(_ref(data, "CreditCardAccountRef"), amount)
    emit(_ref(data, "BankAccountRef"), -amount)


POSTERS: dict[str, Callable[[Ledger, dict, Emit], None]] = {
    "Invoice": _invoice, "CreditMemo": _credit_memo, "SalesReceipt": _sales_receipt,
    "RefundReceipt": _refund_receipt, "Payment": _payment, "Bill": _bill, "VendorCredit": _vendor_credit,
    "BillPayment": _bill_payment, "Purchase": _purchase, "Deposit": _deposit, "Transfer": _transfer,
    "JournalEntry": _journal_entry, "CreditCardPayment": _card_payment,
}


def with_balances(co: Company, accounts: Iterable[dict]) -> list[dict]:
    """Accounts as QBO answers them: ``CurrentBalance`` (and with sub-accounts) from the ledger, today."""
    accounts = list(accounts)
    if not accounts:
        return accounts
    led = Ledger(co)
    balances = led.balances()
    children: dict[str, list[str]] = {}
    for acct in led.accounts.values():
        parent = _ref(acct, "ParentRef")
        if parent:
            children.setdefault(parent, []).append(acct["Id"])

    def with_subs(account_id: str) -> Decimal:
        return balances.get(account_id, Decimal(0)) + sum((with_subs(c) for c in children.get(account_id, [])),
                                                          Decimal(0))

    out = []
    for acct in accounts:
        if "Id" not in acct or "AccountType" not in acct and "Classification" not in acct:
            out.append(acct)
            continue
        full = led.accounts.get(acct["Id"], acct)
        sign = 1 if full.get("Classification") in DEBIT_NORMAL else -1
        out.append({**acct, "CurrentBalance": led.current_balance(full, balances),
                    "CurrentBalanceWithSubAccounts": num(sign * with_subs(acct["Id"]))})
    return out
