"""The query endpoint as python-quickbooks' ListMixin drives it (API notes §2, §10)."""

from __future__ import annotations

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from sdk_helpers import item_line, new_customer, ref

from simulators.sims import Simulators

NAMES = ["Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars", "Diego Rodriguez", "Dukes Basketball Camp",
         "Freeman Sporting Goods", "Geeta Kalapatapu", "Jane O'Neil", "Jeff's Jalopies", "John Melton", "Kate Whelan",
         "Mark Cho"]


@pytest.fixture
def customers(qb: QuickBooks) -> dict[str, Customer]:
    out = {name: new_customer(qb, name, CompanyName=f"{name} Inc") for name in NAMES}
    gone = new_customer(qb, "Zed Inactive")
    gone.Active = False
    out["Zed Inactive"] = gone.save(qb=qb)
    return out


def _statements(sims: Simulators) -> list[str]:
    entries = requests.get(f"{sims.qbo_url}/_sim/journal", params={"path": "*/query"}, timeout=5).json()["entries"]
    return [e["requestBody"] for e in entries if e["path"].endswith("/query")]


def test_all_excludes_inactive_and_pages(qb: QuickBooks, customers: dict) -> None:
    everyone = Customer.all(qb=qb)
    assert [c.DisplayName for c in everyone] == NAMES  # Id order; the inactive one is left out
    first = Customer.all(order_by="DisplayName DESC", start_position=1, max_results=5, qb=qb)
    second = Customer.all(order_by="DisplayName DESC", start_position=6, max_results=5, qb=qb)
    third = Customer.all(order_by="DisplayName DESC", start_position=11, max_results=5, qb=qb)
    assert [len(first), len(second), len(third)] == [5, 5, 2]
    assert [c.DisplayName for c in first + second + third] == sorted(NAMES, reverse=True)
    assert Customer.all(start_position=13, max_results=5, qb=qb) == []


def test_raw_query_envelope(qb: QuickBooks, customers: dict) -> None:
    page = qb.query("SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 3 MAXRESULTS 4")
    body = page["QueryResponse"]
    assert body["startPosition"] == 3 and body["maxResults"] == 4
    assert [c["DisplayName"] for c in body["Customer"]] == sorted(NAMES)[2:6]
    assert isinstance(page["time"], str)
    assert qb.query("SELECT * FROM Customer WHERE DisplayName = 'Nobody'")["QueryResponse"] == {}


def test_filter_escapes_apostrophes_and_compares_case_insensitively(qb: QuickBooks, customers: dict) -> None:
    [jane] = Customer.filter(DisplayName="Jane O'Neil", qb=qb)
    assert jane.Id == customers["Jane O'Neil"].Id
    [cars] = Customer.filter(CompanyName="COOL CARS INC", qb=qb)
    assert cars.DisplayName == "Cool Cars"
    [inactive] = Customer.filter(Active=False, qb=qb)  # mentioning Active lifts the implicit Active = true
    assert inactive.DisplayName == "Zed Inactive"
    assert len(Customer.filter(Active=True, qb=qb)) == len(NAMES)


def test_where_like_in_and_orderby(qb: QuickBooks, customers: dict) -> None:
    found = Customer.where("DisplayName LIKE 'J%'", order_by="DisplayName DESC", qb=qb)
    assert [c.DisplayName for c in found] == ["John Melton", "Jeff's Jalopies", "Jane O'Neil"]
    found = Customer.where("DisplayName LIKE '%in%' AND Active IN (true, false)", order_by="Id", qb=qb)
    assert [c.DisplayName for c in found] == ["Bill's Windsurf Shop", "Freeman Sporting Goods", "Zed Inactive"]
    found = Customer.where("Id > '3' AND Id <= '5'", qb=qb)
    assert [c.DisplayName for c in found] == NAMES[3:5]
    paged = Customer.where("DisplayName LIKE 'J%'", order_by="DisplayName", start_position=2, max_results=1, qb=qb)
    assert [c.DisplayName for c in paged] == ["Jeff's Jalopies"]


def test_choose_sends_lowercase_in(sims: Simulators, qb: QuickBooks, customers: dict) -> None:
    ids = [customers["Cool Cars"].Id, customers["Mark Cho"].Id, "999"]
    chosen = Customer.choose(ids, qb=qb)
    assert sorted(c.DisplayName for c in chosen) == ["Cool Cars", "Mark Cho"]
    by_name = Customer.choose(["Kate Whelan", "Jane O'Neil"], field="DisplayName", qb=qb)
    assert sorted(c.DisplayName for c in by_name) == ["Jane O'Neil", "Kate Whelan"]
    assert any(" in ('" in s for s in _statements(sims))


def test_count(qb: QuickBooks, customers: dict) -> None:
    assert Customer.count(qb=qb) == len(NAMES)
    assert Customer.count("Active = false", qb=qb) == 1
    assert Customer.count("DisplayName LIKE 'J%'", qb=qb) == 3
    assert Customer.count("DisplayName = 'Nobody'", qb=qb) == 0


def test_query_classmethod_and_transactions(qb: QuickBooks, customers: dict) -> None:
    amy = customers["Amy's Bird Sanctuary"]
    for amount in (10, 20, 30):
        inv = Invoice()
        inv.CustomerRef = amy.to_ref()
        inv.Line = [item_line(amount)]
        inv.save(qb=qb)
    found = Invoice.query(f"select * from invoice where CustomerRef = '{amy.Id}' and TotalAmt >= '20' "
                          "orderby TotalAmt desc", qb=qb)
    assert [i.TotalAmt for i in found] == [30.0, 20.0]
    assert Invoice.count(f"CustomerRef = '{amy.Id}'", qb=qb) == 3
    assert [i.DocNumber for i in Invoice.filter(DocNumber="1002", qb=qb)] == ["1002"]


def test_item_all_selects_sku(sims: Simulators, qb: QuickBooks) -> None:
    item = Item()
    item.Name, item.Type, item.Sku, item.IncomeAccountRef = "Rock Fountain", "Service", "RF-275", ref("7")
    item.save(qb=qb)
    items = Item.all(qb=qb)
    assert "SELECT *, Sku FROM Item MAXRESULTS 100" in _statements(sims)
    assert {i.Name: i.Sku for i in items}["Rock Fountain"] == "RF-275"
    assert [i.Name for i in Item.filter(Sku="RF-275", qb=qb)] == ["Rock Fountain"]


@pytest.mark.parametrize("statement, code, message, detail", [
    ("SELECT * FROM Customer WHERE", "4000", "Error parsing query", "QueryParserError: Encountered"),
    ("SELECT * FROM Customer WHERE NoSuchField = 'x'", "4001", "Invalid query",
     "QueryValidationError: Property NoSuchField not found for Entity Customer"),
])
def test_invalid_query_through_the_sdk(qb: QuickBooks, statement: str, code: str, message: str, detail: str) -> None:
    with pytest.raises(ValidationException) as exc:
        Customer.query(statement, qb=qb)
    assert exc.value.error_code == int(code)
    assert exc.value.message == message
    assert exc.value.detail.startswith(detail)
