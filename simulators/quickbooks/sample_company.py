"""``--seed intuit-sample``: a company shaped like Intuit's sandbox sample company, "Sandbox Company_US_1"
(Craig's Design and Landscaping Services), from public facts: its customers, vendors, employees, items and chart of
accounts by the names, types and ids Intuit's sample responses show, and a modest history of transactions.

Deterministic: the same virtual clock gives the same company, byte for byte (dates are relative to its today).
Lists are written as rows with Intuit's ids (like the lists every company starts with, tenant.py); names and
transactions go through :class:`Company`, so balances, totals and the ledger come out as API writes make them.
The company every other seed makes is untouched: this is only reached through the ``intuit-sample`` seed.
"""

from __future__ import annotations

from datetime import timedelta

from ..core.runtime import Runtime
from ..core.storage import Row
from .company import Company, name_key
from .entities import TYPES
from .transactions import classification_of

# (Id, Name, AccountType, AccountSubType, parent Id or None)
ACCOUNTS = (
    (1, "Services", "Income", "ServiceFeeIncome", None),
    (2, "Retained Earnings", "Equity", "RetainedEarnings", None),
    (3, "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", None),
    (4, "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    (5, "Fees Billed", "Income", "ServiceFeeIncome", None),
    (6, "Refunds-Allowances", "Income", "DiscountsRefundsGiven", None),
    (7, "Advertising", "Expense", "AdvertisingPromotional", None),
    (8, "Bank Charges", "Expense", "BankCharges", None),
    (10, "Dues & Subscriptions", "Expense", "DuesSubscriptions", None),
    (11, "Insurance", "Expense", "Insurance", None),
    (12, "Legal & Professional Fees", "Expense", "LegalProfessionalFees", None),
    (13, "Meals and Entertainment", "Expense", "EntertainmentMeals", None),
    (15, "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    (16, "Promotional", "Expense", "AdvertisingPromotional", None),
    (17, "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    (18, "Stationery & Printing", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    (19, "Supplies", "Expense", "SuppliesMaterials", None),
    (20, "Taxes & Licenses", "Expense", "TaxesPaid", None),
    (21, "Travel", "Expense", "Travel", None),
    (22, "Travel Meals", "Expense", "TravelMeals", None),
    (24, "Utilities", "Expense", "Utilities", None),
    (25, "Interest Earned", "Other Income", "InterestEarned", None),
    (28, "Disposal Fees", "Expense", "OtherMiscellaneousServiceCost", None),
    (29, "Equipment Rental", "Expense", "EquipmentRental", None),
    (30, "Other Portfolio Income", "Other Income", "OtherInvestmentIncome", None),
    (31, "Penalties & Settlements", "Other Expense", "PenaltiesSettlements", None),
    (33, "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    (34, "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    (35, "Checking", "Bank", "Checking", None),
    (36, "Savings", "Bank", "Savings", None),
    (37, "Truck", "Fixed Asset", "Vehicles", None),
    (41, "Mastercard", "Credit Card", "CreditCard", None),
    (42, "Visa", "Credit Card", "CreditCard", None),
    (43, "Notes Payable", "Long Term Liability", "NotesPayable", None),
    (44, "Loan Payable", "Other Current Liability", "LoanPayable", None),
    (45, "Landscaping Services", "Income", "ServiceFeeIncome", None),
    (55, "Automobile", "Expense", "Auto", None),
    (56, "Fuel", "Expense", "Auto", 55),
    (58, "Job Expenses", "Expense", "OtherMiscellaneousServiceCost", None),
    (72, "Maintenance and Repair", "Expense", "RepairMaintenance", None),
    (76, "Unapplied Cash Payment Income", "Income", "UnappliedCashPaymentIncome", None),
    (77, "Unapplied Cash Bill Payment Expense", "Expense", "UnappliedCashBillPaymentExpense", None),
    (79, "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    (80, "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    (81, "Inventory Asset", "Other Current Asset", "Inventory", None),
    (82, "Design income", "Income", "ServiceFeeIncome", None),
    (83, "Other Income", "Other Income", "OtherMiscellaneousIncome", None),
    (84, "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    (89, "Board of Equalization Payable", "Other Current Liability", "GlobalTaxPayable", None),
    (90, "Arizona Dept. of Revenue Payable", "Other Current Liability", "GlobalTaxPayable", None),
)
# (Id, Name, Type, UnitPrice, income account Id, description, (qty on hand, purchase cost) for inventory)
ITEMS = (
    (1, "Services", "Service", 0, 1, None, None),
    (2, "Hours", "Service", 0, 1, None, None),
    (3, "Concrete", "Service", 0, 45, "Concrete for fountain installation", None),
    (4, "Design", "Service", 75, 82, "Custom Design", None),
    (5, "Rock Fountain", "Inventory", 275, 79, "Rock Fountain", (2, 125)),
    (6, "Gardening", "Service", 0, 45, "Weekly Gardening Service", None),
    (7, "Installation", "Service", 50, 45, "Installation of landscape design", None),
    (8, "Lighting", "Service", 0, 45, "Garden Lighting", None),
    (9, "Maintenance & Repair", "Service", 0, 45, "Maintenance & Repair", None),
    (10, "Pest Control", "Service", 35, 45, "Pest Control Services", None),
    (11, "Pump", "Inventory", 15, 79, "Fountain Pump", (25, 10)),
    (12, "Refunds & Allowances", "NonInventory", 0, 83, "Income due to refunds or allowances", None),
    (13, "Rocks", "Service", 0, 45, "Garden Rocks", None),
    (14, "Sod", "Service", 0, 45, "Sod", None),
    (15, "Soil", "Service", 10, 45, "2 cubic ft. bag", None),
    (16, "Sprinkler Heads", "Inventory", 2, 79, "Sprinkler Heads", (25, 0.75)),
    (17, "Sprinkler Pipes", "Inventory", 4, 79, "Sprinkler Pipes", (31, 2.5)),
    (18, "Trimming", "Service", 35, 45, "Tree and Shrub Trimming", None),
)
# (Id, DisplayName, GivenName, FamilyName, CompanyName, street, city, state, zip, email, phone, parent Id)
CUSTOMERS = (
    (1, "Amy's Bird Sanctuary", "Amy", "Lauterbach", "Amy's Bird Sanctuary", "4581 Finch St.", "Bayshore", "CA",
     "94326", "Birds@Intuit.com", "(650) 555-3311", None),
    (2, "Bill's Windsurf Shop", "Bill", "Lucchini", "Bill's Windsurf Shop", "12 Ocean Dr.", "Half Moon Bay", "CA",
     "94213", "Surf@Intuit.com", "(415) 444-6538", None),
    (3, "Cool Cars", "Grace", "Pariente", "Cool Cars", "65 Ocean Dr.", "Half Moon Bay", "CA", "94213",
     "Cool_Cars@intuit.com", "(415) 555-9933", None),
    (4, "Diego Rodriguez", "Diego", "Rodriguez", None, "321 Channing", "Palo Alto", "CA", "94303",
     "Diego@Rodriguez.com", "(650) 555-4477", None),
    (5, "Dukes Basketball Camp", "Peter", "Dukes", "Dukes Basketball Camp", "25 Court St.", "Tucson", "AZ", "85719",
     "Dukes_bball@intuit.com", "(520) 420-5638", None),
    (6, "Dylan Sollfrank", "Dylan", "Sollfrank", None, None, None, None, None, None, None, None),
    (7, "Freeman Sporting Goods", "Sasha", "Tillou", "Freeman Sporting Goods", "370 Easy St.", "Middlefield", "CA",
     "94482", "Sporting_goods@intuit.com", "(650) 555-0987", None),
    (8, "0969 Ocean View Road", "Sasha", "Tillou", "Freeman Sporting Goods", "370 Easy St.", "Middlefield", "CA",
     "94482", "Sporting_goods@intuit.com", "(650) 555-0987", 7),
    (9, "55 Twin Lane", "Amelia", None, "Freeman Sporting Goods", "370 Easy St.", "Middlefield", "CA", "94482",
     "Sporting_goods@intuit.com", "(650) 555-0987", 7),
    (10, "Geeta Kalapatapu", "Geeta", "Kalapatapu", None, "1987 Main St.", "Middlefield", "CA", "94303",
     "Geeta@Kalapatapu.com", "(650) 555-0022", None),
    (11, "Gevelber Photography", "Lisa", "Gevelber", "Gevelber Photography", "1103 Cooper St.", "Half Moon Bay",
     "CA", "94304", "Photography@intuit.com", "(415) 222-4345", None),
    (12, "Jeff's Jalopies", "Jeff", "Chin", "Jeff's Jalopies", "12 Willow Rd.", "Menlo Park", "CA", "94305",
     "Jalopies@intuit.com", "(650) 555-8989", None),
    (13, "John Melton", "John", "Melton", None, "85 Pine St.", "Menlo Park", "CA", "94304", "John@Melton.com",
     "(650) 555-5879", None),
    (14, "Kate Whelan", "Kate", "Whelan", None, "45 First St.", "Menlo Park", "CA", "94304", "Kate@Whelan.com",
     "(650) 554-1479", None),
    (15, "Pye's Cakes", "Karen", "Pye", "Pye's Cakes", "350 Mountain View Dr.", "South Orange", "NJ", "07079",
     "pyescakes@intuit.com", "(973) 555-4652", None),
    (16, "Kookies by Kathy", "Kathy", "Kuplis", "Kookies by Kathy", "789 Sugar Lane", "Middlefield", "CA", "94303",
     "qbwebsamplecompany@yahoo.com", "(650) 555-7896", None),
    (17, "Mark Cho", "Mark", "Cho", None, "36 Willow Rd", "Menlo Park", "CA", "94304", "Mark@Cho.com",
     "(650) 554-1479", None),
    (18, "Paulsen Medical Supplies", "Kathy", "Paulsen", "Paulsen Medical Supplies", "900 Main St.", "Middlefield",
     "CA", "94303", "Medical@intuit.com", "(650) 557-8855", None),
    (19, "Rago Travel Agency", "Nicola", "Rago", "Rago Travel Agency", "753 Cedar St.", "Bayshore", "CA", "94326",
     "Rago_Travel@intuit.com", "(650) 555-1596", None),
    (20, "Red Rock Diner", "Stephanie", "Martini", "Red Rock Diner", "500 Red Rock Rd.", "Bayshore", "CA", "94326",
     "qbwebsamplecompany@yahoo.com", "(650) 555-4973", None),
    (21, "Rondonuwu Fruit and Vegi", "Tony", "Rondonuwu", "Rondonuwu Fruit and Vegi", "847 California Ave.",
     "San Jose", "CA", "95021", "Tony@Rondonuwu.com", "(408) 555-5698", None),
    (22, "Shara Barnett", "Shara", "Barnett", "Barnett Design", "19 Main St.", "Middlefield", "CA", "94303",
     "Design@intuit.com", "(650) 555-4563", None),
    (23, "Barnett Design", "Shara", "Barnett", "Barnett Design", "19 Main St.", "Middlefield", "CA", "94303",
     "Design@intuit.com", "(650) 555-4563", 22),
    (24, "Sonnenschein Family Store", "Russ", "Sonnenschein", "Sonnenschein Family Store", "5647 Cypress Hill Ave.",
     "Middlefield", "CA", "94303", "Familiystore@intuit.com", "(650) 557-8463", None),
    (25, "Sushi by Katsuyuki", "Katsuyuki", "Yanagawa", "Sushi by Katsuyuki", "898 Elm St.", "Maplewood", "NJ",
     "07040", "Sushi@intuit.com", "(505) 570-0147", None),
    (26, "Travis Waldron", "Travis", "Waldron", None, "78 First St.", "Monlo Park", "CA", "94304",
     "Travis@Waldron.com", "(650) 555-9874", None),
    (27, "Video Games by Dan", "Dan", "Miller", "Video Games by Dan", "1525 Willow Rd.", "Menlo Park", "CA",
     "94304", "Videogames@intuit.com", "(650) 555-3456", None),
    (28, "Wedding Planning by Whitney", "Whitney", "Rosen", "Wedding Planning by Whitney", "135 Broadway",
     "Menlo Park", "CA", "94304", "Dream_Wedding@intuit.com", "(650) 557-2473", None),
    (29, "Weiskopf Consulting", "Nicola", "Weiskopf", "Weiskopf Consulting", "45612 Main St.", "Bayshore", "CA",
     "94326", "Consulting@intuit.com", "(650) 555-1423", None),
)
# (Id, DisplayName, CompanyName or None, 1099, street, city, state, zip, email)
VENDORS = (
    (30, "Books by Bessie", "Books by Bessie", False, "15 Main St.", "Palo Alto", "CA", "94303", "Books@Intuit.com"),
    (31, "Brosnahan Insurance Agency", "Brosnahan Insurance Agency", False, "P.O. Box 5", "Middlefield", "CA",
     "94482", None),
    (32, "Cal Telephone", "Cal Telephone", False, "10 Main St.", "Palo Alto", "CA", "94303", None),
    (33, "Chin's Gas and Oil", "Chin's Gas and Oil", False, None, None, None, None, None),
    (34, "Cigna Health Care", "Cigna Health Care", False, None, None, None, None, None),
    (35, "Computers by Jenni", "Computers by Jenni", False, "1515 Main St.", "Middlefield", "CA", "94303",
     "Msfixit@Intuit.com"),
    (36, "Diego's Road Warrior Bodyshop", "Diego's Road Warrior Bodyshop", False, None, None, None, None, None),
    (37, "EDD", None, False, None, None, None, None, None),
    (38, "Ellis Equipment Rental", "Ellis Equipment Rental", False, "45896 Main St.", "Middlefield", "CA", "94303",
     "Rental@intuit.com"),
    (39, "Fidelity", None, False, None, None, None, None, None),
    (40, "Hall Properties", "Hall Properties", False, "P.O.Box 357", "South Orange", "NJ", "07079", None),
    (41, "Hicks Hardware", "Hicks Hardware", False, "42 Main St.", "Middlefield", "CA", "94303", None),
    (42, "Lee Advertising", "Lee Advertising", False, "776 Middlefield Rd.", "Palo Alto", "CA", "94301", None),
    (43, "Mahoney Mugs", "Mahoney Mugs", False, None, None, None, None, None),
    (44, "Met Life Dental", "Met Life Dental", False, None, None, None, None, None),
    (45, "National Eye Care", "National Eye Care", False, None, None, None, None, None),
    (46, "Norton Lumber and Building Materials", "Norton Lumber and Building Materials", False, "4528 Center St.",
     "Middlefield", "CA", "94303", "Materials@intuit.com"),
    (47, "PG&E", None, False, None, None, None, None, None),
    (48, "Pam Seitz", None, True, None, None, None, None, None),
    (49, "Robertson & Associates", "Robertson & Associates", True, "P.O. Box 147", "Bayshore", "CA", "94326", None),
    (50, "Squeaky Kleen Car Wash", "Squeaky Kleen Car Wash", False, None, None, None, None, None),
    (51, "Tania's Nursery", "Tania's Nursery", False, "1617 Main St.", "Middlefield", "CA", "94303",
     "plantqueen@taniasnursery.com"),
    (52, "Tim Philip Masonry", "Tim Philip Masonry", True, "3948 Elm St.", "Middlefield", "CA", "94303",
     "tim.philip@timphilipmasonry.com"),
    (53, "Tony Rondonuwu", None, True, None, None, None, None, "tonyrjr@intuit.com"),
    (54, "United States Treasury", None, False, None, None, None, None, None),
)
EMPLOYEES = ((55, "Emily Platt", "Emily", "Platt", 45.0), (56, "John Johnson", "John", "Johnson", None))
TAX_AGENCIES = ((1, "Board of Equalization"), (2, "Arizona Dept. of Revenue"))
MEMO = "Thank you for your business and have a great day!"


def seed_intuit_sample(runtime: Runtime, realm: str) -> None:
    """Fill a new, empty US company (made by ``create_company``) with the sample company; one transaction."""
    with runtime.store.transaction():
        _Sample(Company(runtime, realm)).run()


class _Sample:
    def __init__(self, co: Company) -> None:
        self.co = co
        self.today = co.today()

    def run(self) -> None:
        self._lists()
        self._names()
        self._history()

    # -- lists: rows with Intuit's ids ---------------------------------------------------------------
    def _row(self, kind: str, eid: int, data: dict, name: str | None) -> dict:
        stamp = self.co.stamp()
        data = {"Id": str(eid), "SyncToken": "0", "domain": "QBO", "sparse": False,
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}, **data}
        self.co.store.put(Row(self.co.realm, kind, eid, data, name_key=name_key(name) if name else None,
                              updated_at=self.co.rt.clock.timestamp()))
        self.co.store.set_value(self.co.realm, f"id:{kind}", max(eid, self.co.store.peek_value(self.co.realm,
                                                                                                f"id:{kind}") or 0))
        return data

    def _lists(self) -> None:
        home = self.co.settings["homeCurrency"]
        self.accounts = {}
        names = {eid: name for eid, name, *_ in ACCOUNTS}
        # Rows 1-8 of the accounts and 1-2 of the items every company starts with are replaced by the sample's own.
        for eid, name, atype, sub, parent in ACCOUNTS:
            self.accounts[name] = self._row("Account", eid, {
                "Name": name, "FullyQualifiedName": f"{names[parent]}:{name}" if parent else name,
                "AccountType": atype, "AccountSubType": sub, "Classification": classification_of(atype),
                "Active": True, "SubAccount": parent is not None,
                **({"ParentRef": {"value": str(parent)}} if parent else {}),
                "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0, "CurrencyRef": {"value": home}}, name)
        by_id = {int(a["Id"]): a for a in self.accounts.values()}
        for eid, name, kind, price, income, description, stock in ITEMS:
            body: dict = {"Name": name, "FullyQualifiedName": name, "Type": kind, "Active": True, "Taxable": False,
                          "UnitPrice": price, "IncomeAccountRef": {"value": str(income),
                                                                   "name": by_id[income]["Name"]}}
            if description:
                body["Description"] = description
            if stock:
                body.update(TrackQtyOnHand=True, QtyOnHand=stock[0], PurchaseCost=stock[1], PurchaseDesc=description,
                            InvStartDate=(self.today - timedelta(days=365)).isoformat(), Taxable=True,
                            AssetAccountRef={"value": "81", "name": "Inventory Asset"},
                            ExpenseAccountRef={"value": "80", "name": "Cost of Goods Sold"})
            self._row("Item", eid, body, name)
        for eid, name in TAX_AGENCIES:
            self._row("TaxAgency", eid, {"DisplayName": name, "TaxTrackedOnSales": True,
                                         "TaxTrackedOnPurchases": False, "Active": True}, name)

    # -- customers, vendors, employees: through the rules, at Intuit's ids ---------------------------
    def _create(self, kind: str, eid: int | None, body: dict) -> dict:
        if eid is not None:
            self.co.store.set_value(self.co.realm, f"id:{kind}", eid - 1)
        return self.co.create(TYPES[kind], body)

    def _names(self) -> None:
        for eid, display, given, family, company, street, city, state, zip_code, email, phone, parent in CUSTOMERS:
            body: dict = {"DisplayName": display, "PreferredDeliveryMethod": "Print"}
            for field, value in (("GivenName", given), ("FamilyName", family), ("CompanyName", company)):
                if value:
                    body[field] = value
            if street:
                body["BillAddr"] = {"Line1": street, "City": city, "CountrySubDivisionCode": state,
                                    "PostalCode": zip_code}
                body["ShipAddr"] = dict(body["BillAddr"])
            if email:
                body["PrimaryEmailAddr"] = {"Address": email}
            if phone:
                body["PrimaryPhone"] = {"FreeFormNumber": phone}
            if parent:
                body.update(ParentRef={"value": str(parent)}, Job=True, BillWithParent=True)
            self._create("Customer", eid, body)
        for eid, display, company, is_1099, street, city, state, zip_code, email in VENDORS:
            body = {"DisplayName": display, "Vendor1099": is_1099}
            if company:
                body["CompanyName"] = company
            if street:
                body["BillAddr"] = {"Line1": street, "City": city, "CountrySubDivisionCode": state,
                                    "PostalCode": zip_code}
            if email:
                body["PrimaryEmailAddr"] = {"Address": email}
            self._create("Vendor", eid, body)
        for eid, display, given, family, rate in EMPLOYEES:
            self._create("Employee", eid, {"DisplayName": display, "GivenName": given, "FamilyName": family,
                                           "BillableTime": rate is not None, **({"BillRate": rate} if rate else {})})

    # -- a history -------------------------------------------------------------------------------------
    def _day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    @staticmethod
    def _sale(item: int, qty: float, price: float, taxable: bool = False) -> dict:
        return {"DetailType": "SalesItemLineDetail", "Amount": round(qty * price, 2), "SalesItemLineDetail": {
            "ItemRef": {"value": str(item)}, "Qty": qty, "UnitPrice": price, "TaxCodeRef": {
                "value": "TAX" if taxable else "NON"}}}

    @staticmethod
    def _expense(account: int, amount: float, customer: int | None = None) -> dict:
        detail: dict = {"AccountRef": {"value": str(account)}}
        if customer:
            detail["CustomerRef"] = {"value": str(customer)}
        return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount,
                "AccountBasedExpenseLineDetail": detail}

    def _txn(self, kind: str, body: dict) -> dict:
        return self.co.create(TYPES[kind], body)

    def _history(self) -> None:
        day = self._day
        # opening balances
        self._txn("JournalEntry", {"TxnDate": day(120), "DocNumber": "1", "PrivateNote": "Opening Balance",
                                   "Line": [self._je("Debit", 35, 5000), self._je("Debit", 36, 800),
                                            self._je("Credit", 34, 5800)]})
        tax = {"TxnTaxDetail": {"TxnTaxCodeRef": {"value": "1"}}}
        invoices = [
            (1, 80, [self._sale(6, 4, 20), self._sale(16, 10, 2, True)], 14),
            (2, 70, [self._sale(4, 5, 75)], 30),
            (3, 65, [self._sale(10, 2, 35), self._sale(11, 1, 15, True)], None),
            (5, 60, [self._sale(7, 8, 50)], 30),
            (8, 50, [self._sale(5, 1, 275, True), self._sale(15, 12, 10)], 30),
            (10, 45, [self._sale(13, 3, 12.5), self._sale(18, 2, 35)], 15),
            (12, 40, [self._sale(9, 3, 60)], None),
            (17, 35, [self._sale(8, 4, 22.5)], 30),
            (18, 30, [self._sale(17, 10, 4, True), self._sale(7, 4, 50)], 30),
            (21, 20, [self._sale(4, 2, 75)], 15),
            (24, 15, [self._sale(6, 6, 25), self._sale(11, 2, 15, True)], 30),
            (27, 10, [self._sale(18, 3, 35)], None),
            (28, 5, [self._sale(4, 3, 75), self._sale(7, 2, 50)], 30),
            (29, 3, [self._sale(3, 1, 200)], 30),
        ]
        terms = {14: None, 15: "2", 30: "3"}  # Net 15, Net 30 (tenant.py's TERMS ids)
        made = []
        for customer, age, lines, days in invoices:
            body: dict = {"CustomerRef": {"value": str(customer)}, "TxnDate": day(age), "Line": lines,
                          "CustomerMemo": {"value": MEMO}, "AllowOnlineCreditCardPayment": True,
                          "AllowOnlineACHPayment": True}
            if any(line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX" for line in lines):
                body.update(tax)
            if days and terms.get(days):
                body["SalesTermRef"] = {"value": terms[days]}
            made.append(self._txn("Invoice", body))
        # payments: three in full, one in part; two into Undeposited Funds, later deposited
        undeposited = []
        for inv, share, age, account in ((made[0], 1, 70, "4"), (made[1], 1, 55, "35"), (made[4], 0.5, 40, "4"),
                                         (made[6], 1, 20, "35")):
            amount = round(inv["TotalAmt"] * share, 2)
            pay = self._txn("Payment", {"CustomerRef": inv["CustomerRef"], "TotalAmt": amount, "TxnDate": day(age),
                                        "PaymentMethodRef": {"value": "2"}, "PaymentRefNum": str(1000 + age),
                                        "DepositToAccountRef": {"value": account},
                                        "Line": [{"Amount": amount,
                                                  "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})
            if account == "4":
                undeposited.append(pay)
        receipt = self._txn("SalesReceipt", {"CustomerRef": {"value": "4"}, "TxnDate": day(25),
                                             "Line": [self._sale(10, 1, 35), self._sale(15, 5, 10)],
                                             "PaymentMethodRef": {"value": "1"},
                                             "DepositToAccountRef": {"value": "4"}})
        self._txn("Deposit", {"TxnDate": day(24), "DepositToAccountRef": {"value": "35"}, "Line": [
            {"Amount": p["TotalAmt"], "LinkedTxn": [{"TxnId": p["Id"], "TxnType": "Payment"}]} for p in undeposited]
            + [{"Amount": receipt["TotalAmt"], "LinkedTxn": [{"TxnId": receipt["Id"], "TxnType": "SalesReceipt"}]}]})
        self._txn("CreditMemo", {"CustomerRef": {"value": "2"}, "TxnDate": day(50), "Line": [self._sale(4, 1, 75)]})
        self._txn("Estimate", {"CustomerRef": {"value": "10"}, "TxnDate": day(12), "Line": [
            self._sale(4, 6, 75), self._sale(7, 4, 50)], "TxnStatus": "Pending",
            "ExpirationDate": day(-18), "CustomerMemo": {"value": MEMO}})
        self._txn("RefundReceipt", {"CustomerRef": {"value": "4"}, "TxnDate": day(22),
                                    "DepositToAccountRef": {"value": "35"}, "Line": [self._sale(15, 1, 10)]})
        # purchases
        bills = [
            self._txn("Bill", {"VendorRef": {"value": "46"}, "TxnDate": day(75), "SalesTermRef": {"value": "3"},
                               "Line": [self._expense(58, 205, 7), self._expense(19, 103.55)]}),
            self._txn("Bill", {"VendorRef": {"value": "47"}, "TxnDate": day(45), "Line": [self._expense(24, 86.44)]}),
            self._txn("Bill", {"VendorRef": {"value": "32"}, "TxnDate": day(40), "Line": [self._expense(24, 56.50)]}),
            self._txn("Bill", {"VendorRef": {"value": "41"}, "TxnDate": day(20), "SalesTermRef": {"value": "3"},
                               "Line": [self._expense(58, 250, 3)]}),
            self._txn("Bill", {"VendorRef": {"value": "40"}, "TxnDate": day(10), "Line": [self._expense(17, 900)]}),
        ]
        for bill, age in ((bills[0], 50), (bills[1], 30)):
            self._txn("BillPayment", {"VendorRef": bill["VendorRef"], "TxnDate": day(age), "PayType": "Check",
                                      "TotalAmt": bill["TotalAmt"], "CheckPayment": {"BankAccountRef": {"value": "35"}},
                                      "Line": [{"Amount": bill["TotalAmt"], "LinkedTxn": [{"TxnId": bill["Id"],
                                                                                           "TxnType": "Bill"}]}]})
        self._txn("PurchaseOrder", {"VendorRef": {"value": "51"}, "TxnDate": day(8), "Line": [
            {"DetailType": "ItemBasedExpenseLineDetail", "Amount": 25, "ItemBasedExpenseLineDetail": {
                "ItemRef": {"value": "11"}, "Qty": 2.5, "UnitPrice": 10}}]})
        self._txn("VendorCredit", {"VendorRef": {"value": "51"}, "TxnDate": day(6), "Line": [self._expense(19, 20)]})
        for vendor, age, kind, account, expense, amount in ((33, 62, "CreditCard", "41", 56, 63.15),
                                                            (50, 33, "Cash", "35", 55, 19.99),
                                                            (38, 18, "Check", "35", 29, 112),
                                                            (33, 9, "CreditCard", "41", 56, 52.14)):
            self._txn("Purchase", {"TxnDate": day(age), "PaymentType": kind, "AccountRef": {"value": account},
                                   "EntityRef": {"value": str(vendor), "type": "Vendor"},
                                   "Line": [self._expense(expense, amount)]})
        self._txn("Transfer", {"TxnDate": day(28), "FromAccountRef": {"value": "35"},
                               "ToAccountRef": {"value": "36"}, "Amount": 500})
        self._txn("CreditCardPayment", {"TxnDate": day(7), "CreditCardAccountRef": {"value": "41"},
                                        "BankAccountRef": {"value": "35"}, "Amount": 63.15})
        self._txn("TimeActivity", {"TxnDate": day(4), "NameOf": "Employee", "EmployeeRef": {"value": "55"},
                                   "CustomerRef": {"value": "8"}, "ItemRef": {"value": "6"}, "Hours": 3,
                                   "Minutes": 30, "Description": "Weekly gardening"})

    @staticmethod
    def _je(posting: str, account: int, amount: float) -> dict:
        return {"DetailType": "JournalEntryLineDetail", "Amount": amount,
                "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {"value": str(account)}}}
