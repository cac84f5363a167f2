"""Large realms, fast: one customer and one invoice go through the business rules, then get cloned.

The clones have the JSON shapes ``Company.create`` produces (new Ids, names, e-mails, amounts, document
numbers, timestamps) and go into the store with ``put_many`` in batches, with the indexed columns set the
way ``Company._save`` sets them. The realm's Id and document-number sequences are moved past the clones, so
creates through the API afterwards keep working.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from simulators.core.storage import Row
from simulators.quickbooks.company import Company, name_key
from simulators.quickbooks.entities import TYPES
from simulators.sims import Simulators

BATCH = 5_000


class Dataset:
    """One simulator runtime with one realm (rate limits off) and templates to clone."""

    def __init__(self, sims: Simulators | None = None) -> None:
        self.sims = sims or Simulators()
        self.runtime = self.sims.runtime
        self.runtime.limits.enabled = False
        creds = self.runtime.systems["quickbooks"].create_tenant({"seed": "empty", "country": "US"})
        self.realm: str = creds["realmId"]
        self.token: str = creds["accessToken"]
        co = Company(self.runtime, self.realm)
        self.customer = co.create(TYPES["Customer"], {
            "DisplayName": "Template Customer", "GivenName": "Ada", "FamilyName": "Lovelace",
            "CompanyName": "Analytical Engines Ltd", "PrimaryEmailAddr": {"Address": "ada@example.com"},
            "PrimaryPhone": {"FreeFormNumber": "(555) 555-0100"},
            "BillAddr": {"Line1": "12 Babbage Street", "City": "Mountain View", "CountrySubDivisionCode": "CA",
                         "PostalCode": "94043", "Country": "USA"},
            "Notes": "Created by the benchmark",
        })
        self.invoice = co.create(TYPES["Invoice"], {
            "CustomerRef": {"value": self.customer["Id"]},
            "Line": [
                {"Amount": 150.0, "DetailType": "SalesItemLineDetail",
                 "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 3, "UnitPrice": 50}},
                {"Amount": 80.0, "DetailType": "SalesItemLineDetail", "Description": "Two hours of work",
                 "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 2, "UnitPrice": 40}},
            ],
        })
        self.customers = 1
        self.invoices = 1

    @property
    def base_url(self) -> str:
        return f"{self.sims.qbo_url}/v3/company/{self.realm}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    # -- clones ------------------------------------------------------------------------------------
    def _customer_rows(self, first: int, n: int, now: float) -> Iterator[Row]:
        t = self.customer
        for eid in range(first, first + n):
            name = f"Customer {eid:06d} {_surname(eid)}"
            data = dict(t)
            data.update(Id=str(eid), DisplayName=name, PrintOnCheckName=name, FullyQualifiedName=name,
                        GivenName="Customer", FamilyName=_surname(eid), CompanyName=f"{_surname(eid)} & Co {eid}",
                        PrimaryEmailAddr={"Address": f"customer{eid}@example.com"},
                        PrimaryPhone={"FreeFormNumber": f"(555) {eid // 10000 % 1000:03d}-{eid % 10000:04d}"})
            yield Row(self.realm, "Customer", eid, data, name_key=name_key(name), active=True,
                      updated_at=now - (first + n - eid))

    def _invoice_rows(self, first: int, n: int, now: float) -> Iterator[Row]:
        t = self.invoice
        line1, line2 = t["Line"][0], t["Line"][1]
        for eid in range(first, first + n):
            cust = (eid - 1) % max(self.customers, 1) + 1
            qty = eid % 7 + 1
            amount = float(qty * 50 + 80)
            doc = str(1000 + eid)
            data = dict(t)
            data.update(
                Id=str(eid), DocNumber=doc, TotalAmt=amount, Balance=amount,
                CustomerRef={"value": str(cust), "name": f"Customer {cust:06d} {_surname(cust)}"},
                BillEmail={"Address": f"customer{cust}@example.com"},
                Line=[{**line1, "Amount": float(qty * 50),
                       "SalesItemLineDetail": {**line1["SalesItemLineDetail"], "Qty": qty}},
                      line2, {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}],
            )
            yield Row(self.realm, "Invoice", eid, data, doc_number=doc, active=True,
                      updated_at=now - (first + n - eid))

    def add_customers(self, n: int) -> float:
        """Insert ``n`` more customers; returns the seconds it took."""
        started = time.perf_counter()
        self._insert(self._customer_rows(self.customers + 1, n, self.runtime.clock.timestamp()), n)
        self.customers += n
        self.runtime.store.set_value(self.realm, "id:Customer", self.customers)
        return time.perf_counter() - started

    def add_invoices(self, n: int) -> float:
        """Insert ``n`` more invoices spread over the realm's customers; returns the seconds it took."""
        started = time.perf_counter()
        self._insert(self._invoice_rows(self.invoices + 1, n, self.runtime.clock.timestamp()), n)
        self.invoices += n
        self.runtime.store.set_value(self.realm, "id:Invoice", self.invoices)
        self.runtime.store.set_value(self.realm, "doc:Invoice", 1000 + self.invoices)
        return time.perf_counter() - started

    def _insert(self, rows: Iterator[Row], n: int) -> None:
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self.runtime.store.put_many(batch)
                batch = []
        self.runtime.store.put_many(batch)


SURNAMES = ("Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Tanaka", "Kowalski", "Haddad", "Silva",
            "O'Brien", "Johansson", "Dubois", "Patel", "Kim", "Novak")


def _surname(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)]
