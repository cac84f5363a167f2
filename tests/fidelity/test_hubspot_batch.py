"""CRM v3 batch endpoints through hubspot-api-client 12.0.0: read, create, update, upsert, archive, the 207
multi-status answer with write-trace ids and the whole-batch 409 without them (API notes §1.2, §1.5)."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot_sdk import counter, refused

from simulators.sims import Simulators


def _create(hs: HubSpot, *emails: str, trace: bool = False) -> object:
    inputs = [SimplePublicObjectBatchInputForCreate(properties={"email": e}, associations=[],
                                                    object_write_trace_id=f"trace-{i}" if trace else None)
              for i, e in enumerate(emails)]
    return hs.crm.contacts.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))


def test_batch_create_read_update_archive(hs: HubSpot) -> None:
    created = _create(hs, "a@example.com", "b@example.com", "c@example.com")
    assert type(created).__name__ == "BatchResponseSimplePublicObject" and created.status == "COMPLETE"
    assert created.started_at <= created.completed_at
    ids = [r.id for r in created.results]
    assert [r.properties["email"] for r in created.results] == ["a@example.com", "b@example.com", "c@example.com"]

    read = hs.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids], properties=["email", "firstname"],
        properties_with_history=[]))
    assert type(read).__name__ == "BatchResponseSimplePublicObject"
    assert sorted((r.id, r.properties["email"]) for r in read.results) == sorted(
        zip(ids, ["a@example.com", "b@example.com", "c@example.com"], strict=True))

    updated = hs.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=ids[0], properties={"firstname": "Ann"}),
        SimplePublicObjectBatchInput(id=ids[1], properties={"firstname": "Bob", "lifecyclestage": "customer"})]))
    assert type(updated).__name__ == "BatchResponseSimplePublicObject"
    assert sorted(r.properties["firstname"] for r in updated.results) == ["Ann", "Bob"]
    assert hs.crm.contacts.basic_api.get_by_id(ids[1], properties=["lifecyclestage"]).properties == {
        "lifecyclestage": "customer"}

    assert hs.crm.contacts.batch_api.archive(BatchInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=ids[2])])) is None
    assert [r.id for r in hs.crm.contacts.get_all()] == ids[:2]


def test_batch_read_by_email_and_with_missing_ids(hs: HubSpot) -> None:
    """D3: batch read by `idProperty=email`; ids that don't exist make a 207 with OBJECT_NOT_FOUND."""
    [a] = _create(hs, "a@example.com").results
    by_email = hs.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id="A@EXAMPLE.COM")], id_property="email", properties=["email"],
        properties_with_history=[]))
    assert [r.id for r in by_email.results] == [a.id]

    partial = hs.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=a.id), SimplePublicObjectId(id="999")], properties=["email"],
        properties_with_history=[]))
    assert type(partial).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert [r.id for r in partial.results] == [a.id] and partial.num_errors == 1
    assert partial.errors[0].category == "OBJECT_NOT_FOUND" and partial.errors[0].context == {"ids": ["999"]}


def test_batch_upsert_by_email(hs: HubSpot) -> None:
    """D3: upsert matches contacts by email; `new` tells which records were created (§1.2)."""
    [existing] = _create(hs, "known@example.com").results
    result = hs.crm.contacts.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="KNOWN@example.com", id_property="email",
                                           properties={"firstname": "Known"}),
        SimplePublicObjectBatchInputUpsert(id="fresh@example.com", id_property="email",
                                           properties={"firstname": "Fresh"})]))
    assert type(result).__name__ == "BatchResponseSimplePublicUpsertObject" and result.status == "COMPLETE"
    by_email = {r.properties["email"]: r for r in result.results}
    assert by_email["known@example.com"].id == existing.id and by_email["known@example.com"]._new is False
    assert by_email["fresh@example.com"]._new is True
    assert by_email["known@example.com"].properties["firstname"] == "Known"
    fresh = hs.crm.contacts.basic_api.get_by_id("fresh@example.com", id_property="email", properties=["firstname"])
    assert fresh.properties == {"firstname": "Fresh"}
    assert len(hs.crm.contacts.get_all()) == 2


def test_batch_create_with_write_trace_ids_is_multi_status(sims: Simulators, hs: HubSpot,
                                                           hubspot_portal: dict) -> None:
    """With a unique objectWriteTraceId on every input, a failing input fails alone: 207, its error carries its
    trace id, the others are written (§1.5)."""
    _create(hs, "taken@example.com")
    counts = counter(sims, hubspot_portal["portalId"])
    result = _create(hs, "new@example.com", "TAKEN@example.com", "other@example.com", trace=True)
    assert type(result).__name__ == "BatchResponseSimplePublicObjectWithErrors" and result.num_errors == 1
    assert sorted(r.properties["email"] for r in result.results) == ["new@example.com", "other@example.com"]
    [error] = result.errors
    assert error.status == "error" and error.category == "CONFLICT"
    assert error.context == {"objectWriteTraceId": ["trace-1"]}
    assert error.message.startswith("Contact already exists. Existing ID: ")
    assert counts()["contacts"] == 3


def test_batch_create_without_trace_ids_fails_whole(sims: Simulators, hs: HubSpot, hubspot_portal: dict) -> None:
    """D3: one existing email refuses the whole batch with 409 CONFLICT (the first conflict only), nothing is
    written (§1.5, hubspot-api-python#51)."""
    [taken] = _create(hs, "taken@example.com").results
    counts = counter(sims, hubspot_portal["portalId"])
    before = counts()
    body = refused(409, lambda: _create(hs, "new@example.com", "Taken@Example.com", "other@example.com"))
    assert set(body) == {"status", "message", "correlationId", "category"}
    assert body["category"] == "CONFLICT" and body["message"] == f"Contact already exists. Existing ID: {taken.id}"
    assert counts() == before
    refused(404, lambda: hs.crm.contacts.basic_api.get_by_id("new@example.com", id_property="email"))


def test_batch_create_with_a_duplicate_inside_the_batch_fails_whole(sims: Simulators, hs: HubSpot,
                                                                    hubspot_portal: dict) -> None:
    counts = counter(sims, hubspot_portal["portalId"])
    before = counts()
    body = refused(409, lambda: _create(hs, "twice@example.com", "TWICE@example.com"))
    assert body["category"] == "CONFLICT"
    assert counts() == before


def test_batch_update_with_a_bad_value_fails_whole(hs: HubSpot) -> None:
    a, b = _create(hs, "a@example.com", "b@example.com").results
    body = refused(400, lambda: hs.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=a.id, properties={"firstname": "Ann"}),
        SimplePublicObjectBatchInput(id=b.id, properties={"lifecyclestage": "Customer"})])))
    assert body["category"] == "VALIDATION_ERROR" and body["errors"][0]["code"] == "INVALID_OPTION"
    assert hs.crm.contacts.basic_api.get_by_id(a.id, properties=["firstname"]).properties == {"firstname": None}


def test_products_batch_by_sku(hs: HubSpot) -> None:
    """E1: products carry their SKU (hs_sku) through batch create and read."""
    from hubspot.crm.products import BatchInputSimplePublicObjectBatchInputForCreate as ProductsCreate
    from hubspot.crm.products import BatchReadInputSimplePublicObjectId as ProductsRead

    created = hs.crm.products.batch_api.create(ProductsCreate(inputs=[
        {"properties": {"name": "Widget", "hs_sku": "W-1", "price": "9.99"}},
        {"properties": {"name": "Gadget", "hs_sku": "G-1", "price": "20"}}]))
    assert type(created).__name__ == "BatchResponseSimplePublicObject"
    read = hs.crm.products.batch_api.read(ProductsRead(inputs=[{"id": r.id} for r in created.results],
                                                       properties=["hs_sku", "price"], properties_with_history=[]))
    assert sorted((r.properties["hs_sku"], r.properties["price"]) for r in read.results) == [
        ("G-1", "20"), ("W-1", "9.99")]
