"""The pipelines API (deal stages validated against it) and the owners API through hubspot-api-client 12.0.0."""

from __future__ import annotations

import json

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.deals import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput, PipelineStagePatchInput
from hubspot_sdk import Raw, error_body, refused

from simulators.sims import HUBSPOT_URL, Simulators

DEFAULT_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
                  "contractsent", "closedwon", "closedlost"]


def _renewals(hs: HubSpot) -> object:
    return hs.crm.pipelines.pipelines_api.create("deals", PipelineInput(label="Renewals", display_order=1, stages=[
        PipelineStageInput(label="Up for renewal", display_order=0, metadata={"probability": "0.5"}),
        PipelineStageInput(label="Renewed", display_order=1, metadata={"probability": "1.0", "isClosed": "true"}),
    ]))


def _deal(hs: HubSpot, **props: str) -> object:
    return hs.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "Pump", **props}))


# -- pipelines -----------------------------------------------------------------------------------------

def test_every_portal_has_the_default_sales_pipeline(hs: HubSpot) -> None:
    found = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, p.label) for p in found] == [("default", "Sales Pipeline")]
    assert [s.id for s in found[0].stages] == DEFAULT_STAGES
    won = hs.crm.pipelines.pipeline_stages_api.get_by_id("deals", "default", "closedwon")
    assert won.metadata == {"isClosed": "true", "probability": "1.0"}


def test_create_a_pipeline_and_use_its_stages_on_deals(hs: HubSpot) -> None:
    made = _renewals(hs)
    assert made.label == "Renewals" and [s.label for s in made.stages] == ["Up for renewal", "Renewed"]
    assert made.stages[0].metadata == {"probability": "0.5", "isClosed": "false"}
    assert hs.crm.pipelines.pipelines_api.get_by_id("deals", made.id).id == made.id
    deal = _deal(hs, pipeline=made.id, dealstage=made.stages[0].id)
    assert deal.properties["pipeline"] == made.id and deal.properties["dealstage"] == made.stages[0].id
    listed = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert [p.label for p in listed] == ["Sales Pipeline", "Renewals"]
    # the deal property's options follow the pipelines (Properties API)
    options = [o.value for o in hs.crm.properties.core_api.get_by_name("deals", "dealstage").options]
    assert options == [*DEFAULT_STAGES, made.stages[0].id, made.stages[1].id]


def test_a_deal_stage_must_belong_to_the_deal_pipeline(hs: HubSpot) -> None:
    made = _renewals(hs)
    body = refused(400, lambda: _deal(hs, pipeline=made.id, dealstage="closedwon"))
    assert body["category"] == "VALIDATION_ERROR"
    item = json.loads(body["message"].split("Property values were not valid: ", 1)[1])[0]
    assert item["error"] == "INVALID_OPTION" and item["name"] == "dealstage"
    assert item["message"] == f"closedwon was not one of the allowed options: [{made.stages[0].id}, " \
                              f"{made.stages[1].id}]"
    refused(400, lambda: _deal(hs, dealstage="nosuchstage"))
    refused(400, lambda: _deal(hs, pipeline="999", dealstage="closedwon"))
    deal = _deal(hs, dealstage="qualifiedtobuy")  # no pipeline: the default one
    assert deal.properties["pipeline"] == "default"
    refused(400, lambda: hs.crm.deals.basic_api.update(deal.id, SimplePublicObjectInput(
        properties={"pipeline": made.id})))  # its stage is not one of the new pipeline's
    moved = hs.crm.deals.basic_api.update(deal.id, SimplePublicObjectInput(
        properties={"pipeline": made.id, "dealstage": made.stages[1].id}))
    assert moved.properties["dealstage"] == made.stages[1].id


def test_rename_replace_stages_and_archive(hs: HubSpot) -> None:
    api, stages = hs.crm.pipelines.pipelines_api, hs.crm.pipelines.pipeline_stages_api
    made = _renewals(hs)
    assert api.update("deals", made.id, PipelinePatchInput(label="Renewals 2026")).label == "Renewals 2026"
    extra = stages.create("deals", made.id, PipelineStageInput(label="Lost", display_order=2,
                                                                 metadata={"probability": "0.0"}))
    assert extra.metadata["isClosed"] == "true"
    changed = stages.update("deals", made.id, extra.id, PipelineStagePatchInput(label="Churned"))
    assert changed.label == "Churned"
    stages.archive("deals", made.id, extra.id)
    assert [s.label for s in stages.get_all("deals", made.id).results] == ["Up for renewal", "Renewed"]
    refused(400, lambda: _deal(hs, pipeline=made.id, dealstage=extra.id))
    api.archive("deals", made.id)
    assert [p.id for p in api.get_all("deals").results] == ["default"]
    refused(404, lambda: api.get_by_id("deals", made.id))
    refused(400, lambda: api.archive("deals", "default"))  # the last pipeline stays


def test_pipeline_input_rules(hs: HubSpot) -> None:
    api = hs.crm.pipelines.pipelines_api
    body = refused(400, lambda: api.create("deals", PipelineInput(label="No chance", display_order=2, stages=[
        PipelineStageInput(label="Maybe", display_order=0, metadata={})])))
    assert "probability" in body["message"]
    refused(409, lambda: api.create("deals", PipelineInput(label="sales pipeline", display_order=3, stages=[
        PipelineStageInput(label="A", display_order=0, metadata={"probability": "0.1"})])))
    refused(400, lambda: api.get_all("contacts"))  # contacts have no pipelines


def test_an_untouched_portal_stores_no_pipeline(sims: Simulators, hubspot_portal: dict, hs: HubSpot) -> None:
    hs.crm.pipelines.pipelines_api.get_all("deals")
    _deal(hs, dealstage="closedwon")
    assert sims.runtime.store.count(hubspot_portal["portalId"], "pipeline:deals") == 0


# -- owners ---------------------------------------------------------------------------------------------

def test_owners_list_and_get(hs: HubSpot, hubspot_portal: dict) -> None:
    owners = hs.crm.owners.owners_api.get_page().results
    assert len(owners) == 2 and all(o.type == "PERSON" and not o.archived for o in owners)
    admin = owners[0]
    assert admin.email == f"admin@portal{hubspot_portal['portalId']}.hsqbo.example"
    assert hs.crm.owners.owners_api.get_by_id(int(admin.id)).email == admin.email
    by_user = hs.crm.owners.owners_api.get_by_id(admin.user_id, id_property="userId")
    assert by_user.id == admin.id
    assert [o.id for o in hs.crm.owners.owners_api.get_page(email=admin.email.upper()).results] == [admin.id]
    page = hs.crm.owners.owners_api.get_page(limit=1)
    assert len(page.results) == 1 and page.paging.next.after == "1"
    refused(404, lambda: hs.crm.owners.owners_api.get_by_id(1))


def test_owners_added_and_deactivated_in_settings(hs: HubSpot, hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    r = requests.post(f"{HUBSPOT_URL}/_sim/hubspot/{portal}/owners", timeout=5,
                      json={"email": "craig@example.com", "firstName": "Craig", "lastName": "Carlson"})
    assert r.status_code == 201
    craig = r.json()
    assert [o.email for o in hs.crm.owners.owners_api.get_page().results][-1] == "craig@example.com"
    r = requests.patch(f"{HUBSPOT_URL}/_sim/hubspot/{portal}/owners/{craig['id']}", json={"archived": True}, timeout=5)
    assert r.status_code == 200
    assert "craig@example.com" not in [o.email for o in hs.crm.owners.owners_api.get_page().results]
    gone = hs.crm.owners.owners_api.get_page(archived=True).results
    assert [(o.email, o.user_id, o.user_id_including_inactive) for o in gone] == [
        ("craig@example.com", None, craig["userIdIncludingInactive"])]
    refused(404, lambda: hs.crm.owners.owners_api.get_by_id(int(craig["id"])))
    assert hs.crm.owners.owners_api.get_by_id(int(craig["id"]), archived=True).archived is True


@pytest.mark.parametrize("body", [{}, {"email": "nope"}])
def test_an_owner_needs_an_email(hubspot_portal: dict, body: dict) -> None:
    r = requests.post(f"{HUBSPOT_URL}/_sim/hubspot/{hubspot_portal['portalId']}/owners", json=body, timeout=5)
    assert r.status_code == 400


def test_scopes(sims: Simulators, hubspot_portal: dict) -> None:
    portal = hubspot_portal["portalId"]
    token = "pat-na1-99999999-2222-3333-4444-555555555555"
    sims.runtime.store.put_credential(token, "access", portal, f"private-app-{portal}-deals", None,
                                      {"kind": "private", "scopes": ["crm.objects.deals.read"]})
    raw = Raw(token)
    assert raw.get("/crm/v3/pipelines/deals").status_code == 200
    body = error_body(raw.post("/crm/v3/pipelines/deals", {"label": "X", "displayOrder": 1, "stages": []}), 403,
                      "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.deals.write"]
    body = error_body(raw.get("/crm/v3/owners"), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.owners.read"]
    body = error_body(raw.get("/crm/v3/pipelines/tickets"), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["tickets"]
