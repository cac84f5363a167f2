"""The sample portal: a faker-made HubSpot account to sync against QBO's sample company.

Everything is written through a :class:`Portal`'s records and associations, so every validation, default and
association rule applies exactly as it would for API writes. Deterministic per seed number: one seeded ``Faker`` and
one ``random.Random``, never the global random state, and no iteration over sets. Dates are relative to the
virtual clock's today. Seeding fires no webhooks (the portal's events are dropped at the end).

What it holds (the sync's edge cases on purpose):

- 8 companies (name, domain, city, phone, address), each with 2-4 contacts whose primary company it is, so
  several contacts share one company name (the sync's "duplicate display name");
- 4 contacts without a company, and 3 contacts without an email (the sync excludes those);
- 12 products, some with ``hs_sku`` and some without (by default only products with a SKU sync); six SKUs
  are the ones QBO's sample company uses for the same items;
- 6 deals (pipeline "default"), each with a primary company, a contact and 1-3 line items;
- 4 quotes on four of those deals: approved, approval not needed, draft, and expired;
- 5 invoices (2 draft, 3 open) in the portal's currency, each with a contact, its company and line items.

Line items belong to one parent in HubSpot: quotes and invoices get their own copies, never a deal's.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from faker import Faker

from ..core.runtime import Runtime
from . import catalog
from .portal import Portal

N_COMPANIES, CONTACTS_PER_COMPANY, N_LONE_CONTACTS, N_NO_EMAIL = 8, (2, 4), 4, 3
N_DEALS = 6
# (name, unit price, hs_sku or None, description, hs_product_type)
PRODUCTS = (
    ("Design", "75", None, "Custom Design", "service"),
    ("Gardening", "25", None, "Weekly Gardening Service", "service"),
    ("Installation", "50", None, "Installation of landscape design", "service"),
    ("Pest Control", "35", "SVC-PEST-01", "Pest Control Services", "service"),
    ("Irrigation Audit", "120", "SVC-IRR-01", "Irrigation system inspection and report", "service"),
    ("Lighting", "22.50", "LGT-0150", "Garden Lighting", "non_inventory"),
    ("Rocks", "12.25", "RCK-0200", "Garden Rocks", "non_inventory"),
    ("Soil", "10", "SOIL-2CF", "2 cubic ft. bag", "non_inventory"),
    ("Sprinklers", "4.75", "SPR-0010", "Sprinkler Heads", "non_inventory"),
    ("Mulch", "6.40", "MUL-0300", "Hardwood mulch, 3 cubic ft. bag", "non_inventory"),
    ("Sod", "8.50", None, "Sod, per square metre", "non_inventory"),
    ("Pump", "15", "PMP-0120", "Fountain Pump", "inventory"),
)
QTY_MAX = {"service": 8, "non_inventory": 20, "inventory": 3}
# Two won, one lost, three open: closed deals closed in the past, open ones close in the future.
DEAL_STAGES = ("closedwon", "closedwon", "closedlost", "contractsent", "presentationscheduled", "qualifiedtobuy")
DEAL_THEMES = ("Garden redesign", "Spring planting", "Irrigation upgrade", "Patio lighting", "Lawn renovation",
               "Annual maintenance", "Water feature", "Pest control plan")
# (hs_status, expires in the future?)
QUOTES = (("APPROVED", True), ("APPROVAL_NOT_NEEDED", True), ("DRAFT", True), ("APPROVAL_NOT_NEEDED", False))
INVOICES = ("draft", "draft", "open", "open", "open")
PAYMENT_DAYS = 30
LIFECYCLE = ("lead", "opportunity", "customer", "customer")


def seed_sample(runtime: Runtime, portal: str, seed: int = 0) -> None:
    """Fill an empty portal (made by ``create_portal``) with the sample CRM; fires no webhooks."""
    p = Portal(runtime, portal)
    with runtime.store.transaction():  # one commit; a refused write leaves no half-seeded portal
        _Seeder(p, seed).run()
    p.ctx.events.clear()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _otype(kind: str) -> catalog.ObjectType:
    return catalog.OBJECT_TYPES[kind]


class _Seeder:
    def __init__(self, p: Portal, seed: int) -> None:
        self.p = p
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.today = p.ctx.rt.clock.now().date()
        self.currency = str(p.ctx.settings.get("currency", "USD"))
        self.taken: set[str] = set()  # company names, domains and emails already used (membership tests only)
        self.products: list[tuple[str, tuple]] = []  # (id, PRODUCTS row)

    def run(self) -> None:
        companies = self._companies()
        sizes = [self.rng.randint(*CONTACTS_PER_COMPANY) for _ in companies]
        no_email = self.rng.sample(range(sum(sizes) + N_LONE_CONTACTS), N_NO_EMAIL)  # staff and lone contacts alike
        emails = iter([i not in no_email for i in range(sum(sizes) + N_LONE_CONTACTS)])
        staff = {c["id"]: self._staff(c, size, emails) for c, size in zip(companies, sizes, strict=True)}
        for _ in range(N_LONE_CONTACTS):
            self._contact(None, next(emails))
        self.products = self._products()
        deals = self._deals(companies, staff)
        self._quotes(deals)
        self._invoices(companies, staff)

    # -- helpers --------------------------------------------------------------------------------
    def _create(self, kind: str, properties: dict) -> dict:
        return self.p.records.create(_otype(kind), {"properties": properties})

    def _associate(self, from_kind: str, from_id: str, to_kind: str, to_id: str, type_id: int | None = None) -> None:
        types = None if type_id is None else [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
        self.p.associations.associate(_otype(from_kind), from_id, _otype(to_kind), to_id, types)

    def _unique(self, text: str) -> str:
        """``text``, or ``text`` numbered before its "@" (emails) or first dot (domains), never a used value."""
        candidate, n = text, 1
        while candidate in self.taken:
            n += 1
            head, dot, tail = text.partition("@") if "@" in text else text.partition(".")
            candidate = f"{head}{n}{dot}{tail}"
        self.taken.add(candidate)
        return candidate

    def _phone(self) -> str:
        return self.fake.phone_number().split("x")[0].strip()

    def _day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    # -- contacts and companies ------------------------------------------------------------------
    def _companies(self) -> list[dict]:
        out = []
        for _ in range(N_COMPANIES):
            name = self.fake.company()
            while name in self.taken:
                name = self.fake.company()
            self.taken.add(name)
            domain = self._unique(f"{_slug(name)[:40] or 'company'}.com")
            out.append(self._create("companies", {
                "name": name, "domain": domain, "website": f"https://www.{domain}", "phone": self._phone(),
                "address": self.fake.street_address(), "city": self.fake.city(), "state": self.fake.state_abbr(),
                "zip": self.fake.postcode(), "country": "United States", "industry": self.rng.choice(
                    ("Construction", "Real Estate", "Hospitality", "Retail", "Facilities Services")),
            }))
        return out

    def _staff(self, company: dict, size: int, emails: Iterator[bool]) -> list[dict]:
        people = [self._contact(company, next(emails)) for _ in range(size)]
        for person in people:
            self._associate("contacts", person["id"], "companies", company["id"], 1)  # primary (adds 279)
        return people

    def _contact(self, company: dict | None, with_email: bool) -> dict:
        first, last = self.fake.first_name(), self.fake.last_name()
        if company is not None:
            domain = company["properties"]["domain"]
            local = f"{_slug(first)}.{_slug(last)}" if self.rng.random() < 0.7 else f"{_slug(first)[:1]}{_slug(last)}"
        else:
            domain = self.fake.free_email_domain()
            local = f"{_slug(first)}.{_slug(last)}{self.rng.randint(1, 99)}"
        props = {"firstname": first, "lastname": last, "phone": self._phone(), "city": self.fake.city(),
                 "lifecyclestage": self.rng.choice(LIFECYCLE)}
        if with_email:
            props["email"] = self._unique(f"{local}@{domain}")
        if company is not None:
            props.update(company=company["properties"]["name"], jobtitle=self.fake.job()[:80])
        return self._create("contacts", props)

    # -- products and line items ---------------------------------------------------------------
    def _products(self) -> list[tuple[str, tuple]]:
        out = []
        for row in PRODUCTS:
            name, price, sku, description, kind = row
            props = {"name": name, "price": price, "description": description, "hs_product_type": kind}
            if sku:
                props["hs_sku"] = sku
            out.append((self._create("products", props)["id"], row))
        return out

    def _line_items(self, count: int, picks: list[tuple[str, tuple, int]] | None = None
                    ) -> tuple[list[tuple[str, tuple, int]], list[str], Decimal]:
        """New line items (``picks`` copied, or ``count`` products drawn); returns (picks, ids, total)."""
        if picks is None:
            picks = [(pid, row, self.rng.randint(1, QTY_MAX[row[4]])) for pid, row in self.rng.sample(self.products,
                                                                                                      count)]
        ids, total = [], Decimal(0)
        for pid, (name, price, sku, description, _), qty in picks:
            props = {"name": name, "description": description, "quantity": qty, "price": price, "hs_product_id": pid}
            if sku:
                props["hs_sku"] = sku  # HubSpot copies the product's SKU onto its line items
            ids.append(self._create("line_items", props)["id"])
            total += Decimal(price) * qty
        return picks, ids, total

    # -- deals and quotes ------------------------------------------------------------------------
    def _deals(self, companies: list[dict], staff: dict[str, list[dict]]) -> list[dict]:
        stages = list(DEAL_STAGES[:N_DEALS])
        self.rng.shuffle(stages)
        themes = self.rng.sample(DEAL_THEMES, N_DEALS)
        deals = []
        for company, stage, theme in zip(self.rng.sample(companies, N_DEALS), stages, themes, strict=True):
            contact = self.rng.choice(staff[company["id"]])
            picks, items, total = self._line_items(self.rng.randint(1, 3))
            closed = stage.startswith("closed")
            close = self._day(-self.rng.randint(3, 60) if closed else self.rng.randint(7, 90))
            deal = self._create("deals", {
                "dealname": f"{company['properties']['name']} - {theme}", "amount": str(total), "dealstage": stage,
                "closedate": close, "pipeline": "default", "deal_currency_code": self.currency,
                "dealtype": self.rng.choice(("newbusiness", "existingbusiness")),
            })
            self._associate("deals", deal["id"], "companies", company["id"], 5)  # primary (adds 341)
            self._associate("deals", deal["id"], "contacts", contact["id"])
            for item in items:
                self._associate("line_items", item, "deals", deal["id"])
            deals.append({"deal": deal, "company": company, "contact": contact, "picks": picks, "stage": stage})
        return deals

    def _quotes(self, deals: list[dict]) -> None:
        # The expired quote goes to the lost deal when there is one: the buyer let it lapse.
        ordered = sorted(deals, key=lambda d: d["stage"] == "closedlost")
        for (status, future), d in zip(QUOTES, ordered[-len(QUOTES):], strict=True):
            expires = self._day(self.rng.randint(14, 45) if future else -self.rng.randint(1, 20))
            props = {"hs_title": f"{d['deal']['properties']['dealname']} - quote", "hs_expiration_date": expires,
                     "hs_status": status, "hs_currency": self.currency}
            if status != "DRAFT":
                props["hs_public_url_key"] = f"{self.rng.getrandbits(128):032x}"  # published: it has a public link
            quote = self._create("quotes", props)
            self._associate("quotes", quote["id"], "deals", d["deal"]["id"])
            self._associate("quotes", quote["id"], "contacts", d["contact"]["id"])
            self._associate("quotes", quote["id"], "companies", d["company"]["id"])
            for item in self._line_items(0, d["picks"])[1]:
                self._associate("quotes", quote["id"], "line_items", item)

    # -- invoices --------------------------------------------------------------------------------
    def _invoices(self, companies: list[dict], staff: dict[str, list[dict]]) -> None:
        """Created as drafts, associated, then opened: the invoices guide's order."""
        for status in INVOICES:
            company = self.rng.choice(companies)
            people = staff[company["id"]]
            contact = self.rng.choice([c for c in people if c["properties"].get("email")] or people)
            issued = self.today - timedelta(days=0 if status == "draft" else self.rng.randint(1, 40))
            invoice = self._create("invoices", {
                "hs_currency": self.currency, "hs_invoice_status": "draft", "hs_invoice_source": "hubspot",
                "hs_invoice_date": issued.isoformat(),
                "hs_due_date": (issued + timedelta(days=PAYMENT_DAYS)).isoformat(),
                "hs_title": f"{company['properties']['name']} - {self.rng.choice(DEAL_THEMES)}",
            })
            self._associate("invoices", invoice["id"], "contacts", contact["id"])
            self._associate("invoices", invoice["id"], "companies", company["id"])
            for item in self._line_items(self.rng.randint(1, 3))[1]:
                self._associate("invoices", invoice["id"], "line_items", item)
            if status != "draft":
                self.p.records.update(_otype("invoices"), invoice["id"], {"properties": {"hs_invoice_status": status}})


__all__ = ["seed_sample"]
