"""Records built from a scenario's data, as a person would make them through each system's API: refs become
ids, and the QBO shorthands (``customer``, ``lines``, ``applied``) become the bodies QBO expects."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from harness.scenario.model import lineno, unknown_keys

if TYPE_CHECKING:
    from harness.scenario.world import World

LINE_KEYS = ("item", "qty", "price", "amount", "description", "service_date", "tax_code", "discount")
# The group a property a person adds in HubSpot's settings lands in.
PROPERTY_GROUPS = {"invoices": "invoiceinformation", "deals": "dealinformation", "contacts": "contactinformation",
                   "companies": "companyinformation"}


def hubspot_create(world: World, raw: dict) -> None:
    """A HubSpot record; ``associations`` name refs (a default association type, or ``{to, type}``);
    ``line_items`` are created on it (an invoice is created as a draft, given its lines, then set to its
    status, as HubSpot's invoices guide orders it)."""
    line = lineno(raw)
    otype = raw.get("type", "contacts")
    associations = []
    if raw.get("primary_company"):
        _, _, company = world.ref({"ref": raw["primary_company"]}, line)
        associations.append(association(company, 1))
    for link in raw.get("associations") or []:  # ref, or {to: ref, type: association type id}
        link = link if isinstance(link, dict) else {"to": link}
        side, to_type, to_id = world.ref({"ref": link.get("to")}, lineno(link, line))
        if side != "hubspot":
            raise world.fail(lineno(link, line), f"associations: {link.get('to')!r} is not a HubSpot record")
        type_id = link.get("type") or default_association(otype, to_type)
        if type_id is None:
            raise world.fail(lineno(link, line), f"associations: HubSpot has no association from {otype} to "
                             f"{to_type}")
        associations.append(association(to_id, int(type_id)))
    if otype == "properties":
        _hubspot_property(world, raw, line)
        return
    from simulators.hubspot.catalog import OBJECT_TYPES, resolve_type

    if resolve_type(str(otype)) is None:
        raise world.fail(line, f"type: HubSpot has no object type {otype!r}; the simulator has "
                               f"{', '.join(sorted(OBJECT_TYPES))} (and properties)")
    properties = world.resolve(raw.get("properties") or {})
    items = raw.get("line_items") or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise world.fail(line, "line_items: expected a list of properties, e.g. [{name: Work, quantity: 1, "
                         "price: 80}]")
    status = properties.get("hs_invoice_status") if otype == "invoices" else None
    if items and status not in (None, "draft"):
        properties = {**properties, "hs_invoice_status": "draft"}
    made = world.hs.create(otype, properties, associations or None)
    if raw.get("ref"):
        world.refs[str(raw["ref"])] = ("hubspot", otype, str(made["id"]))
    for item in items:
        props = {k: hubspot_text(v) for k, v in world.resolve(item).items() if k not in ("ref", "product")}
        if "product" in item:  # a ref, or {of: item}: the product the sync made of a QBO item
            props["hs_product_id"] = world.named(item["product"], lineno(item, line))[2]
        type_id = default_association("line_items", otype)
        if type_id is None:
            raise world.fail(line, f"line_items: HubSpot line items cannot be associated with {otype}")
        made_item = world.hs.create("line_items", props, [association(str(made["id"]), type_id)])
        if item.get("ref"):
            world.refs[str(item["ref"])] = ("hubspot", "line_items", str(made_item["id"]))
    if items and status not in (None, "draft"):
        world.hs.update(otype, str(made["id"]), {"hs_invoice_status": status})


def _hubspot_property(world: World, raw: dict, line: int | None) -> None:
    """A property definition a person adds in HubSpot's settings (``type: properties``)."""
    definition = {"type": "string", "fieldType": "text", **world.resolve(raw.get("properties") or {})}
    definition.setdefault("label", definition.get("name"))
    if not raw.get("object_type") or not definition.get("name"):
        raise world.fail(line, "a HubSpot property needs object_type and properties.name, e.g. {type: "
                         "properties, object_type: invoices, properties: {name: po_number}}")
    if "groupName" not in definition:
        definition["groupName"] = PROPERTY_GROUPS.get(str(raw["object_type"]), "")
    world.hs.create_property(str(raw["object_type"]), definition)


def quickbooks_create(world: World, raw: dict) -> None:
    """A QBO entity (an item gets the company's income account and is a service unless told otherwise), in the
    first company or, legacy A5, in the further one ``company:`` names."""
    entity = raw.get("entity", "Customer")
    _known_entity(world, entity, lineno(raw))
    qbo = world.quickbooks(raw.get("company"), lineno(raw))
    body = qbo_body(world, raw, lineno(raw))
    if raw.get("number") is not None:  # "offered": the number QBO's form offers a person (F6), else that number
        body["DocNumber"] = offered_number(world, entity) if raw["number"] == "offered" else str(raw["number"])
    if entity == "Item" and "IncomeAccountRef" not in body:
        account = next(iter(qbo.query("SELECT * FROM Account WHERE AccountType = 'Income'")))
        body["IncomeAccountRef"] = {"value": account["Id"]}
        body.setdefault("Type", "Service")
    made = qbo.create(entity, body, request_id=uuid.uuid4().hex)
    if raw.get("ref"):
        world.refs[str(raw["ref"])] = ("quickbooks", entity, str(made["Id"]))


def _known_entity(world: World, entity: object, line: int | None) -> None:
    from simulators.quickbooks.entities import TYPES

    if entity not in TYPES:
        raise world.fail(line, f"entity: QuickBooks has no entity {entity!r}; the simulator has "
                               f"{', '.join(sorted(TYPES))}")


def offered_number(world: World, entity: str) -> str:
    """The DocNumber QBO's form offers with custom transaction numbers on: the last one used, incremented."""
    r = world.qbo.session.get(f"{world.qbo.base_url}/_sim/quickbooks/{world.company['realmId']}/next-number",
                              params={"entity": entity}, headers=world.sims.admin_headers(), timeout=10)
    r.raise_for_status()
    return str(r.json()["DocNumber"])


def qbo_body(world: World, raw: dict, line: int | None) -> dict:
    """``body`` with refs resolved (``"@ref"``; ``XxxRef: ref``; ``LinkedTxn: [ref]``), plus the shorthands
    ``customer: ref``, ``lines: [{item, qty, price, ...}]`` and, for payments, ``applied: {ref: amount}``
    with ``total`` (default: what is applied, credit memos counting against it)."""
    body = _qbo_refs(world, world.resolve(raw.get("body") or {}), line)
    if raw.get("customer") is not None:
        body["CustomerRef"] = {"value": world.named(raw["customer"], line)[2]}
    if raw.get("lines") is not None:
        body["Line"] = [qbo_line(world, spec, lineno(spec, line)) for spec in raw["lines"]]
    if raw.get("applied") is not None:
        lines, total = [], Decimal(0)
        applied = raw["applied"]  # {ref: amount}, or [{to: ref or {of: ref}, amount}]
        if not isinstance(applied, dict) and not (isinstance(applied, list)
                                                  and all(isinstance(e, dict) for e in applied)):
            raise world.fail(line, "applied: expected {ref: amount} or [{to: ref, amount: …}]")
        targets = list(applied.items()) if isinstance(applied, dict) else \
            [(entry.get("to"), entry.get("amount")) for entry in applied]
        for target, amount in targets:
            _, kind, txn = world.named(target, line)
            lines.append({"Amount": json_money(amount), "LinkedTxn": [{"TxnId": txn, "TxnType": kind}]})
            total += decimal(amount) if kind != "CreditMemo" else -decimal(amount)
        body["Line"] = lines
        body["TotalAmt"] = json_money(raw.get("total", total))
    elif raw.get("total") is not None:
        body["TotalAmt"] = json_money(raw["total"])
    return body


def _qbo_refs(world: World, value: Any, line: int | None, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _qbo_refs(world, v, line, k) for k, v in value.items()}
    if isinstance(value, list):
        if key == "LinkedTxn":
            return [_linked(world, v, line) if isinstance(v, str) else _qbo_refs(world, v, line) for v in value]
        return [_qbo_refs(world, v, line, key) for v in value]
    if isinstance(value, str) and key.endswith("Ref") and value in world.refs:
        return {"value": world.refs[value][2]}
    return value


def _linked(world: World, ref: str, line: int | None) -> dict:
    _, kind, txn = world.ref({"ref": ref}, line)
    return {"TxnId": txn, "TxnType": kind}


def qbo_line(world: World, spec: dict, line: int | None) -> dict:
    """``{item: ref, qty: 2, price: "12.50", description, service_date, tax_code, amount}``: a sales line
    whose Amount is qty × price, exactly; ``{discount: "5.00"}``: a discount line."""
    if not isinstance(spec, dict):
        raise world.fail(line, f"lines: each line is a mapping such as {{item: widget, qty: 2, price: '12.50'}}"
                         f", not {spec!r}")
    problem = unknown_keys("lines", spec, LINE_KEYS)
    if problem:
        raise world.fail(line, problem)
    if "discount" in spec:
        return {"DetailType": "DiscountLineDetail", "Amount": json_money(spec["discount"]),
                "DiscountLineDetail": {"PercentBased": False}}
    item = spec.get("item") or ""
    item_id = world.named(item, line)[2] if isinstance(item, dict) or item in world.refs else world.resolve(item)
    if not item_id:
        raise world.fail(line, "lines: each line names its item (a ref)")
    qty, price = decimal(spec.get("qty", 1)), decimal(spec.get("price", 0))
    detail: dict = {"ItemRef": {"value": str(item_id)}, "Qty": json_money(qty), "UnitPrice": json_money(price)}
    if spec.get("service_date"):
        detail["ServiceDate"] = str(spec["service_date"])
    if spec.get("tax_code") in ("TAX", "NON"):  # a US line: taxable or not
        detail["TaxCodeRef"] = {"value": spec["tax_code"]}
    elif spec.get("tax_code"):
        found = next(iter(world.qbo.query(f"SELECT * FROM TaxCode WHERE Name = '{spec['tax_code']}'")), None)
        if found is None:
            raise world.fail(line, f"lines: QuickBooks has no tax code named {spec['tax_code']!r}")
        detail["TaxCodeRef"] = {"value": found["Id"]}
    out = {"DetailType": "SalesItemLineDetail", "Amount": json_money(spec.get("amount", qty * price)),
           "SalesItemLineDetail": detail}
    if spec.get("description"):
        out["Description"] = str(spec["description"])
    return out


def association(to_id: str, type_id: int) -> dict:
    return {"to": {"id": str(to_id)}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                 "associationTypeId": int(type_id)}]}


def default_association(from_type: str, to_type: str) -> int | None:
    from simulators.hubspot.catalog import default_association_type

    return default_association_type(from_type, to_type)


def hubspot_text(value: object) -> object:
    """HubSpot property values travel as text: numbers from YAML become their exact text."""
    if isinstance(value, bool) or value is None:
        return value
    return str(value) if isinstance(value, (int, float)) else value


def decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except ArithmeticError as err:
        raise ValueError(f"{value!r} is not an amount") from err


def json_money(value: object) -> object:
    """An exact amount as QBO's JSON carries it: an integer, or the float whose text is the amount."""
    amount = decimal(value).normalize()
    return int(amount) if amount == amount.to_integral_value() else float(amount)
