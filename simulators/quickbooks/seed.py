"""The sample company: a faker-made twin of QBO's sandbox company ("Craig's Design and Landscaping").

Everything is written through :class:`Company`, so every rule, total, tax, document number and
balance comes out exactly as it would for API writes. Deterministic per seed number: one seeded
``Faker`` and one ``random.Random``, never the global random state, and no iteration over sets.
Dates are relative to the virtual clock's today (the last ~90 days).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from faker import Faker

from ..core.runtime import Runtime
from .company import Company, name_key
from .entities import TYPES
from .tenant import ISO3
from .transactions import enabled_custom_fields

LOCALES = {"US": "en_US", "GB": "en_GB", "CA": "en_CA", "AU": "en_AU"}
EMAIL_TLD = {"US": "com", "GB": "co.uk", "CA": "ca", "AU": "com.au"}
CENT = Decimal("0.01")
# Income accounts the sample company adds to the ones every company has.
EXTRA_ACCOUNTS = (("Design income", "Income", "ServiceFeeIncome"),
                  ("Landscaping Services", "Income", "ServiceFeeIncome"))
# (name, type, unit price, Sku or None, description, income account name)
ITEMS = (
    ("Design", "Service", "75", None, "Custom Design", "Design income"),
    ("Gardening", "Service", "25", None, "Weekly Gardening Service", "Landscaping Services"),
    ("Installation", "Service", "50", None, "Installation of landscape design", "Landscaping Services"),
    ("Trimming", "Service", "35", None, "Tree and Shrub Trimming", "Landscaping Services"),
    ("Pest Control", "Service", "35", "SVC-PEST-01", "Pest Control Services", "Services"),
    ("Maintenance & Repair", "Service", "60", None, "Maintenance & Repair", "Landscaping Services"),
    ("Lighting", "NonInventory", "22.50", "LGT-0150", "Garden Lighting", "Sales of Product Income"),
    ("Rocks", "NonInventory", "12.25", "RCK-0200", "Garden Rocks", "Sales of Product Income"),
    ("Soil", "NonInventory", "10", "SOIL-2CF", "2 cubic ft. bag", "Sales of Product Income"),
    ("Sprinklers", "NonInventory", "4.75", "SPR-0010", "Sprinkler Heads", "Sales of Product Income"),
    ("Sod", "NonInventory", "8.50", None, "Sod, per square metre", "Sales of Product Income"),
    ("Pump", "Inventory", "15", "PMP-0120", "Fountain Pump", "Sales of Product Income"),
)
PUMP_STOCK, PUMP_COST = 25, "10"
QTY_MAX = {"Service": 8, "NonInventory": 20, "Inventory": 3}  # hours, bags/heads, pumps per line
N_COMPANIES, N_PEOPLE, N_JOBS, N_NO_EMAIL = 14, 9, 2, 3
N_VENDOR_COMPANIES, N_VENDOR_PEOPLE, N_EMPLOYEES = 6, 2, 4
N_INVOICES, DAYS_BACK = 20, 89
MEMO = "Thank you for your business and have a great day!"


def seed_sample(runtime: Runtime, realm: str, seed: int = 0) -> None:
    """Fill an empty company (made by ``create_company``) with the sample company's lists and transactions."""
    with runtime.store.transaction():  # one commit; a refused write leaves no half-seeded company
        _Seeder(Company(runtime, realm), seed).run()


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class _Seeder:
    def __init__(self, co: Company, seed: int) -> None:
        self.co = co
        self.country = co.country
        self.fake = Faker(LOCALES.get(self.country, "en_US"))
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.today = co.today()
        close = co.pref("AccountingInfoPrefs", "BookCloseDate")
        self.earliest = date.fromisoformat(str(close)[:10]) + timedelta(days=1) if close else None
        self.taken: set[str] = set()  # name keys used in the Customer/Vendor/Employee namespace
        self.custom_numbers = bool(co.pref("SalesFormsPrefs", "CustomTxnNumbers", False))
        self.rev_rec = bool(co.settings.get("revenueRecognition"))
        custom = enabled_custom_fields(co)
        self.custom_slot = min(custom) if custom else None
        self.accounts = self._by(self._all("Account"), "Name")
        self.terms = self._by(self._all("Term"), "Name")
        self.methods = self._by(self._all("PaymentMethod"), "Name")
        self.tax_codes = [c for c in self._all("TaxCode") if c.get("Taxable")]
        self.items: list[dict] = []

    def run(self) -> None:
        self.items = self._items()
        customers, jobs, inactive = self._customers()
        self._vendors()
        self._employees()
        invoices, split = self._invoices(customers + jobs, jobs)
        self._payments(invoices, split, customers + jobs)
        self._estimates(customers)
        self._sales_receipt(customers)
        self._inactivate(inactive)

    # -- helpers --------------------------------------------------------------------------------
    def _all(self, entity: str) -> list[dict]:
        return self.co.query(f"select * from {entity} maxresults 1000").get(entity, [])

    @staticmethod
    def _by(rows: list[dict], field: str) -> dict[str, dict]:
        return {r[field]: r for r in rows}

    @staticmethod
    def _ref(row: dict, field: str = "Name") -> dict:
        return {"value": row["Id"], "name": row[field]}

    def _create(self, entity: str, body: dict) -> dict:
        return self.co.create(TYPES[entity], body)

    def _date(self, days_ago: int) -> date:
        day = self.today - timedelta(days=max(0, days_ago))
        if self.earliest is not None and day < self.earliest:
            day = self.earliest  # a closing date was asked for: stay after it
        return day

    def _unique(self, make: Callable[[], str]) -> str:
        """A DisplayName no customer, vendor or employee holds yet (6240 otherwise)."""
        for _ in range(50):
            name = " ".join(make().replace(":", " ").split())
            if name and name_key(name) not in self.taken:
                self.taken.add(name_key(name))
                return name
        raise RuntimeError("faker ran out of distinct names")

    def _person(self) -> tuple[str, str, str]:
        """(GivenName, FamilyName, DisplayName) of someone whose name is still free."""
        picked: list[tuple[str, str]] = []

        def make() -> str:
            picked.append((self.fake.first_name(), self.fake.last_name()))
            return " ".join(picked[-1])

        name = self._unique(make)
        return picked[-1][0], picked[-1][1], name

    def _phone(self) -> dict:
        return {"FreeFormNumber": self.fake.phone_number().split("x")[0].strip()[:30]}

    def _region(self) -> str:
        if self.country == "GB":
            return self.fake.county()
        if self.country == "CA":
            return self.fake.province_abbr()
        return self.fake.state_abbr()

    def _address(self) -> dict:
        street = [part.strip() for part in self.fake.street_address().split("\n") if part.strip()]
        addr = {"Line1": street[0]}
        if len(street) > 1:
            addr["Line2"] = ", ".join(street[1:])
        addr.update(City=self.fake.city(), CountrySubDivisionCode=self._region(), PostalCode=self.fake.postcode(),
                    Country=ISO3.get(self.country, self.country))
        return addr

    def _person_email(self, given: str, family: str) -> dict:
        local = f"{_slug(given)}.{_slug(family)}" if self.rng.random() < 0.6 else f"{_slug(given)[:1]}{_slug(family)}"
        return {"Address": f"{local}@{self.fake.free_email_domain()}"}

    def _company_email(self, contact: str, company: str) -> dict:
        domain = _slug(company)[:40] or "example"
        return {"Address": f"{_slug(contact) or 'info'}@{domain}.{EMAIL_TLD.get(self.country, 'com')}"}

    # -- lists ----------------------------------------------------------------------------------
    def _items(self) -> list[dict]:
        for name, atype, subtype in EXTRA_ACCOUNTS:
            self.accounts[name] = self._create("Account", {"Name": name, "AccountType": atype,
                                                           "AccountSubType": subtype})
        standard = self.tax_codes[0] if self.country != "US" and self.tax_codes else None
        items = []
        for name, kind, price, sku, description, income in ITEMS:
            body: dict = {"Name": name, "Type": kind, "UnitPrice": float(_money(price)), "Description": description,
                          "IncomeAccountRef": self._ref(self.accounts[income]),
                          "Taxable": kind != "Service" and self.country == "US"}
            if sku:
                body["Sku"] = sku
            if standard is not None:
                body["SalesTaxCodeRef"] = self._ref(standard)
            if kind == "Inventory":
                body.update(AssetAccountRef=self._ref(self.accounts["Inventory Asset"]),
                            ExpenseAccountRef=self._ref(self.accounts["Cost of Goods Sold"]),
                            QtyOnHand=PUMP_STOCK, PurchaseCost=float(_money(PUMP_COST)),
                            PurchaseDesc=description, TrackQtyOnHand=True,
                            InvStartDate=self._date(DAYS_BACK + 30).isoformat())
            elif kind == "NonInventory":
                body["ExpenseAccountRef"] = self._ref(self.accounts["Cost of Goods Sold"])
            items.append(self._create("Item", body))
        return items

    def _customers(self) -> tuple[list[dict], list[dict], dict]:
        fake, rng = self.fake, self.rng
        kinds = ["company"] * N_COMPANIES + ["person"] * N_PEOPLE
        rng.shuffle(kinds)
        no_email = set(rng.sample(range(len(kinds)), N_NO_EMAIL))
        inactive_at = rng.choice([i for i, k in enumerate(kinds) if k == "person" and i not in no_email])
        customers, inactive = [], {}
        for i, kind in enumerate(kinds):
            if kind == "company":
                given, family = fake.first_name(), fake.last_name()
                name = self._unique(fake.company)
                body: dict = {"DisplayName": name, "CompanyName": name, "GivenName": given, "FamilyName": family}
                email = self._company_email(given, name)
            else:
                given, family, name = self._person()
                body = {"DisplayName": name, "GivenName": given, "FamilyName": family}
                email = self._person_email(given, family)
            addr = self._address()
            body.update(PrimaryPhone=self._phone(), BillAddr=addr, ShipAddr=dict(addr))
            if i not in no_email:
                body["PrimaryEmailAddr"] = email
                body["PreferredDeliveryMethod"] = "Email"
            if rng.random() < 0.3:
                body["Mobile"] = self._phone()
            if kind == "company" and rng.random() < 0.4:
                body["WebAddr"] = {"URI": f"http://www.{_slug(name)[:40]}.{EMAIL_TLD.get(self.country, 'com')}"}
            row = self._create("Customer", body)
            if i == inactive_at:
                inactive = row
            else:
                customers.append(row)
        parent = rng.choice([c for c in customers if c.get("CompanyName")])
        jobs = []
        for _ in range(N_JOBS):
            name = self._unique(lambda: f"{rng.randint(1, 9999):04d} {fake.street_name()}")
            jobs.append(self._create("Customer", {
                "DisplayName": name, "ParentRef": {"value": parent["Id"]}, "Job": True, "BillWithParent": True,
                "CompanyName": parent["CompanyName"], "BillAddr": parent["BillAddr"],
                "ShipAddr": {**self._address(), "Line1": name},
                **({"PrimaryEmailAddr": parent["PrimaryEmailAddr"]} if parent.get("PrimaryEmailAddr") else {}),
            }))
        return customers, jobs, inactive

    def _inactivate(self, customer: dict) -> None:
        current = self.co.read(TYPES["Customer"], customer["Id"])
        self.co.update(TYPES["Customer"], {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True,
                                           "Active": False})

    def _vendors(self) -> None:
        fake, rng = self.fake, self.rng
        net30 = self.terms.get("Net 30")
        for i in range(N_VENDOR_COMPANIES + N_VENDOR_PEOPLE):
            if i < N_VENDOR_COMPANIES:
                given, family = fake.first_name(), fake.last_name()
                name = self._unique(fake.company)
                body: dict = {"DisplayName": name, "CompanyName": name, "GivenName": given, "FamilyName": family,
                              "PrimaryEmailAddr": self._company_email(given, name)}
            else:
                given, family, name = self._person()
                body = {"DisplayName": name, "GivenName": given, "FamilyName": family,
                        "PrimaryEmailAddr": self._person_email(given, family)}
                if self.country == "US":
                    body["Vendor1099"] = True
            if i == 1:
                body.pop("PrimaryEmailAddr")  # a vendor known only by phone
            body.update(PrimaryPhone=self._phone(), BillAddr=self._address())
            if rng.random() < 0.5:
                body["AcctNum"] = str(rng.randint(10000, 99999))
            if net30 and rng.random() < 0.5:
                body["TermRef"] = self._ref(net30)
            self._create("Vendor", body)

    def _employees(self) -> None:
        rng = self.rng
        for n in range(1, N_EMPLOYEES + 1):
            given, family, name = self._person()
            self._create("Employee", {
                "DisplayName": name, "GivenName": given, "FamilyName": family, "PrimaryAddr": self._address(),
                "PrimaryPhone": self._phone(), "PrimaryEmailAddr": self._person_email(given, family),
                "EmployeeNumber": f"E{n:03d}", "HiredDate": self._date(rng.randint(200, 2000)).isoformat(),
                "BillableTime": n <= 2, **({"BillRate": float(rng.choice((35, 45, 60)))} if n <= 2 else {}),
            })

    # -- sales ----------------------------------------------------------------------------------
    def _tax_code(self) -> dict | None:
        if self.country == "US" or not self.tax_codes:
            return None
        if len(self.tax_codes) > 1 and self.rng.random() < 0.2:
            return self.rng.choice(self.tax_codes[1:])
        return self.tax_codes[0]

    def _lines(self, txn_date: date, count: int | None = None) -> list[dict]:
        """Item lines; non-US lines all carry one taxable code (QBO refuses lines without one)."""
        rng = self.rng
        code = self._tax_code()
        chosen = rng.sample(self.items, count or rng.randint(1, 4))
        lines = []
        for item in chosen:
            qty = rng.randint(1, QTY_MAX[item["Type"]])
            price = _money(item["UnitPrice"])
            detail: dict = {"ItemRef": self._ref(item), "Qty": qty, "UnitPrice": float(price)}
            if code is not None:
                detail["TaxCodeRef"] = {"value": code["Id"]}
            if self.rev_rec or (item["Type"] == "Service" and rng.random() < 0.5):
                detail["ServiceDate"] = txn_date.isoformat()
            lines.append({"DetailType": "SalesItemLineDetail", "Amount": float(price * qty),
                          "Description": item.get("Description", item["Name"]), "SalesItemLineDetail": detail})
        return lines

    def _sales_body(self, customer: dict, txn_date: date, lines: list[dict]) -> dict:
        body: dict = {"CustomerRef": {"value": customer["Id"]}, "TxnDate": txn_date.isoformat(), "Line": lines,
                      "CustomerMemo": {"value": MEMO}}
        if self.custom_numbers:
            body["DocNumber"] = "AUTO_GENERATE"
        if self.country == "US" and customer.get("Taxable") and self.rng.random() < 0.5:
            california = next((c for c in self.tax_codes if c["Name"] == "California"), None)
            if california is not None:
                body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": california["Id"]}}
        if self.custom_slot is not None and self.rng.random() < 0.5:
            body["CustomField"] = [{"DefinitionId": self.custom_slot, "StringValue": str(self.rng.randint(100, 130))}]
        return body

    def _invoices(self, pool: list[dict], jobs: list[dict]) -> tuple[list[tuple[dict, str]], list[int]]:
        """~20 invoices over the last 90 days; returns (invoice, role) oldest first and the split pair."""
        rng = self.rng
        ages = sorted((min(DAYS_BACK, max(0, round((N_INVOICES - 1 - i) * DAYS_BACK / (N_INVOICES - 1))
                                          + rng.randint(-2, 2))) for i in range(N_INVOICES)), reverse=True)
        old, recent = list(range(N_INVOICES // 2)), list(range(N_INVOICES // 2, N_INVOICES))
        roles = ["open"] * N_INVOICES
        for i in rng.sample(old, 3):
            roles[i] = "overdue"
        split = sorted(rng.sample([i for i in old if roles[i] == "open"], 2))
        for i in split:
            roles[i] = "split"
        rest = [i for i in old + recent if roles[i] == "open"]
        for i, role in zip(rng.sample(rest, 8), ["full"] * 5 + ["partial"] * 2 + ["overpaid"], strict=True):
            roles[i] = role
        companies = [c for c in pool if c.get("CompanyName") and not c.get("Job")]
        split_customer = rng.choice(companies or pool)
        owners = [split_customer if roles[i] == "split" else rng.choice(pool) for i in range(N_INVOICES)]
        if jobs:
            owners[rng.choice([i for i in range(N_INVOICES) if roles[i] != "split"])] = rng.choice(jobs)
        term_names = ["Net 15", "Net 30"]
        other_terms = [None, None, "Due on receipt", "Net 15", "Net 30", "Net 30", "Net 60"]
        discounted = rng.choice([i for i in range(N_INVOICES) if roles[i] == "open"])
        out = []
        for i, (age, customer) in enumerate(zip(ages, owners, strict=True)):
            txn_date = self._date(age)
            lines = self._lines(txn_date)
            if i == discounted:
                lines.append({"DetailType": "DiscountLineDetail", "Amount": 0,
                              "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}})
            body = self._sales_body(customer, txn_date, lines)
            term = rng.choice(term_names) if roles[i] == "overdue" else rng.choice(other_terms)
            if term and term in self.terms:
                body["SalesTermRef"] = {"value": self.terms[term]["Id"]}
            if customer.get("PrimaryEmailAddr"):
                body["EmailStatus"] = "EmailSent"
            elif rng.random() < 0.5:
                body["PrintStatus"] = "PrintComplete"
            if rng.random() < 0.2:
                body["PrivateNote"] = rng.choice(("Called customer about the delivery date.",
                                                  "Materials ordered from the nursery.", "Gate code 1234."))
            out.append((self._create("Invoice", body), roles[i]))
        return out, split

    def _pay_date(self, *invoices: dict) -> date:
        start = max(date.fromisoformat(inv["TxnDate"]) for inv in invoices)
        days = (self.today - start).days
        return start + timedelta(days=self.rng.randint(0, max(0, min(days, 30))))

    def _payment(self, customer_id: str, total: Decimal, applied: list[tuple[dict, Decimal]], when: date) -> dict:
        rng = self.rng
        method = rng.choice([m for m in ("Check", "Check", "Cash", "Visa", "MasterCard") if m in self.methods])
        body: dict = {"CustomerRef": {"value": customer_id}, "TotalAmt": float(total), "TxnDate": when.isoformat(),
                      "PaymentMethodRef": self._ref(self.methods[method]),
                      "DepositToAccountRef": {"value": self.accounts["Undeposited Funds"]["Id"]}}
        if method == "Check":
            body["PaymentRefNum"] = str(rng.randint(1000, 9999))
        if applied:
            body["Line"] = [{"Amount": float(amount), "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
                            for inv, amount in applied]
        return self._create("Payment", body)

    def _payments(self, invoices: list[tuple[dict, str]], split: list[int], pool: list[dict]) -> None:
        """Full, partial and over-payments, one payment split over two invoices, one unapplied payment."""
        rng = self.rng
        for inv, role in invoices:
            balance = _money(inv["Balance"])
            customer_id = inv["CustomerRef"]["value"]
            if role == "full":
                self._payment(customer_id, balance, [(inv, balance)], self._pay_date(inv))
            elif role == "partial":
                part = _money(balance * Decimal(rng.randint(25, 75)) / 100)
                self._payment(customer_id, part, [(inv, part)], self._pay_date(inv))
            elif role == "overpaid":
                extra = _money(rng.choice((5, 10, 20, 50)))
                self._payment(customer_id, balance + extra, [(inv, balance)], self._pay_date(inv))
        pair = [invoices[i][0] for i in split]
        applied = [(inv, _money(inv["Balance"])) for inv in pair]
        self._payment(pair[0]["CustomerRef"]["value"], sum((a for _, a in applied), Decimal(0)), applied,
                      self._pay_date(*pair))
        someone = rng.choice(pool)
        self._payment(someone["Id"], _money(rng.choice((100, 150, 250, 300))), [], self._date(rng.randint(1, 20)))

    def _estimates(self, customers: list[dict]) -> None:
        rng = self.rng
        for status, age in (("Pending", rng.randint(1, 10)), ("Accepted", rng.randint(15, 40))):
            customer = rng.choice(customers)
            txn_date = self._date(age)
            body = self._sales_body(customer, txn_date, self._lines(txn_date, rng.randint(2, 4)))
            body.update(TxnStatus=status, ExpirationDate=(txn_date + timedelta(days=30)).isoformat())
            if status == "Accepted":
                body.update(AcceptedBy=customer["DisplayName"],
                            AcceptedDate=(txn_date + timedelta(days=rng.randint(1, 10))).isoformat())
            self._create("Estimate", body)

    def _sales_receipt(self, customers: list[dict]) -> None:
        rng = self.rng
        customer = rng.choice([c for c in customers if not c.get("CompanyName")] or customers)
        txn_date = self._date(rng.randint(1, 30))
        body = self._sales_body(customer, txn_date, self._lines(txn_date, rng.randint(1, 3)))
        method = self.methods.get("Visa") or next(iter(self.methods.values()))
        body.update(PaymentMethodRef=self._ref(method),
                    DepositToAccountRef=self._ref(self.accounts["Undeposited Funds"]))
        self._create("SalesReceipt", body)
