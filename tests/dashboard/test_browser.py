"""The dashboard in a real browser: what a person demoing or debugging does, page by page (issue 15).

Each test also saves a screenshot of the page it is about for the README (docs/screenshots/).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import requests
from dashboard_helpers import START, shoot
from openpyxl import load_workbook

from sync import status


def count_cell(page, pair: str, state: str) -> int:
    return int(page.locator(f"#sync-counts tr[data-pair='{pair}'] td[data-status='{state}']").inner_text())


def test_the_overview_shows_the_sync_and_both_systems_side_by_side(site, page):
    page.goto(site.url + "/")
    counts = site.engine.state.counts("contacts")
    assert counts["failed"] > 0 and counts["excluded"] > 0  # the demo's D2 failures and D3 exclusions
    for state in ("synced", "failed", "excluded", "pending"):
        assert count_cell(page, "contacts", state) == counts[state]
    reasons = page.locator("#sync-counts tr[data-pair='contacts'] .reasons").inner_text()
    assert "D2" in reasons and "duplicate_display_name" in reasons
    quickbooks, hubspot = page.locator(".side.quickbooks"), page.locator(".side.hubspot")
    assert site.company["realmId"] in quickbooks.inner_text() and "Customer" in quickbooks.inner_text()
    assert str(site.portal["portalId"]) in hubspot.inner_text() and "line_items" in hubspot.inner_text()
    shoot(page, "overview")


def test_failed_records_lead_to_their_activity_and_the_quickbooks_record(site, page):
    page.goto(site.url + "/sync/records")
    page.select_option("#filters select[name=status]", "failed")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=failed"))
    statuses = page.locator("#sync-records td.col-status").all_inner_texts()
    expected = site.engine.state.count_records(status="failed")
    assert statuses and {s.strip() for s in statuses} == {"failed"}
    assert f"{expected} record" in page.locator(".pager").inner_text()
    shoot(page, "records-failed", full_page=False)

    first = page.locator("#sync-records tbody tr").first
    record = site.engine.state.get(int(first.get_attribute("data-id")))
    first.locator("a.activity").click()
    timeline = page.locator("#activity").inner_text()
    assert "failed" in timeline and "duplicate_display_name" in timeline and "D2" in timeline
    assert page.locator("#link-hubspot").inner_text() == f"contacts {record.hubspot_id}"
    shoot(page, "activity")

    holder = re.search(r"Id=(\d+)", record.message).group(1)  # QBO's refusal names the customer holding the name
    page.click("#link-quickbooks")
    page.wait_for_url(re.compile(rf"/systems/quickbooks/{site.company['realmId']}/Customer/{holder}$"))
    customer = site.sims.runtime.store.get(site.company["realmId"], "Customer", int(holder)).data
    assert page.locator("#record-title").inner_text().startswith(customer["DisplayName"])
    assert f'"DisplayName": "{customer["DisplayName"]}"' in page.locator("#raw-json").inner_text()
    shoot(page, "quickbooks-record")


def test_export_of_the_filtered_view_as_csv_and_xlsx(site, page):
    page.goto(site.url + "/sync/records?pair=contacts&status=excluded")
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "hsqbo-records.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    wanted = site.engine.state.records("contacts", "excluded")
    assert [r["label"] for r in rows] == [r.label for r in wanted]
    assert {r["status"] for r in rows} == {"excluded"} and {r["rule"] for r in rows} == {"D3"}
    assert list(rows[0]) == status.DEFAULT_COLUMNS

    page.click("#filters summary")
    page.check("#filters input[name=col][value=message]")
    page.click("#filters button[type=submit]")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename == "hsqbo-records.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    values = list(sheet.values)
    assert values[0] == (*status.DEFAULT_COLUMNS, "message")
    assert len(values) - 1 == len(wanted)


def test_sync_now_changes_the_counts(site, page):
    page.goto(site.url + "/")
    before = count_cell(page, "contacts", "synced")
    made = site.hubspot("POST", "/crm/v3/objects/contacts", {"properties": {
        "email": "grace@hopper.example", "firstname": "Grace", "lastname": "Hopper"}})
    assert made.status_code == 201, made.text
    page.click("text=Sync now")
    assert "Sync now:" in page.locator(".flash").inner_text()
    assert count_cell(page, "contacts", "synced") == before + 1
    # the new contact's page: its raw JSON, its sync status, and its history of writes from the journal
    page.goto(f"{site.url}/systems/hubspot/{site.portal['portalId']}/contacts/{made.json()['id']}")
    assert '"email": "grace@hopper.example"' in page.locator("#raw-json").inner_text()
    assert "synced" in page.locator(".card").first.inner_text()
    assert "/crm/v3/objects/contacts" in page.locator("#history").inner_text()


def test_records_of_each_system_by_type_with_search_and_paging(site, page):
    realm = site.company["realmId"]
    page.goto(f"{site.url}/systems/quickbooks/{realm}/Customer")
    total = site.sims.runtime.store.count(realm, "Customer")
    assert total > 25 and f"{total} records · page 1 of 2" in page.locator(".pager").inner_text()
    first_page = page.locator("#records tbody tr").count()
    page.click("a[rel=next]")
    # count() does not wait: a click returns once the next page starts, before its rows are there
    page.wait_for_url(re.compile(r"[?&]page=2\b"))  # (waits for its load)
    assert page.locator("#records tbody tr").count() == total - first_page
    page.fill("input[name=q]", "demo widgets")  # no such customer in the sample company
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"[?&]q=demo"))
    assert "No Customer holding" in page.locator("#records").inner_text()
    invoice = site.sims.runtime.store.select(realm, "Invoice", limit=1)[0].data
    name = invoice["CustomerRef"]["name"]
    page.goto(f"{site.url}/systems/quickbooks/{realm}/Invoice/{invoice['Id']}")
    links = page.locator("#links").inner_text()
    assert "CustomerRef" in links and name in links  # the invoice's customer, linked
    page.click(f"#links a:text-is('{name}')")
    assert f"Invoice {invoice.get('DocNumber') or ''}".strip() in page.locator("#linked-from").inner_text()


def test_pairs_settings_and_switching_a_pair_off_and_on(site, page):
    page.goto(site.url + "/sync")
    products = page.locator("#pair-products")
    assert "direction:" in products.locator("pre.yaml").inner_text()
    assert "generation current" in page.locator("h1").inner_text()
    shoot(page, "sync")
    products.locator("button:text('Turn off')").click()
    assert site.engine.settings.pairs["products"].enabled is False
    assert "off" in page.locator("#pair-products h2").inner_text()
    page.locator("#pair-products button:text('Turn on')").click()
    assert site.engine.settings.pairs["products"].enabled is True


def test_the_clock_advances_and_freezes(site, page):
    page.goto(site.url + "/harness")
    shoot(page, "harness", full_page=False)
    before = datetime.fromisoformat(site.sims.runtime.clock.describe()["now"])
    page.click("button:text('+ 1 day')")
    after = datetime.fromisoformat(site.sims.runtime.clock.describe()["now"])
    assert after - before == timedelta(days=1)  # frozen: exactly one day later
    assert after.strftime("%Y-%m-%d %H:%M:%S") in page.locator("#clock-value").inner_text()
    assert page.locator("#clock-now").inner_text() == after.strftime("%Y-%m-%d %H:%M:%S")
    page.click("button:text('Let it run')")
    assert site.sims.runtime.clock.mode == "real"
    page.click("button:text('Freeze')")
    assert site.sims.runtime.clock.mode == "frozen"
    assert START[:4] in page.locator("#clock-now").inner_text()


def test_faults_snapshots_and_the_journal(site, page):
    realm = site.company["realmId"]
    page.goto(site.url + "/harness")
    page.fill("textarea[name=rule]", '{"method": "POST", "path": "*/customer", "action": "status", "status": 503}')
    page.click("#faults button:text('Add the rule')")
    assert "*/customer" in page.locator("#faults .rules").inner_text()
    refused = site.qbo("POST", "customer", {"DisplayName": "Faulty Towers"})
    assert refused.status_code == 503
    page.click("#faults button:text('Clear the plan')")
    assert site.sims.runtime.faults.describe() == []
    page.fill("textarea[name=rule]", '{"action": "explode"}')
    page.click("#faults button:text('Add the rule')")
    assert "refused" in page.locator(".flash.error").inner_text()

    page.click("#snapshots button:text('Take a snapshot')")
    assert site.qbo("POST", "customer", {"DisplayName": "Made after the snapshot"}).status_code == 200
    page.locator("#snapshots button:text('Restore')").last.click()
    assert "restored" in page.locator(".flash").inner_text()
    assert site.sims.runtime.store.find_name(realm, ["Customer"], "made after the snapshot") is None

    page.goto(site.url + "/journal")
    shoot(page, "journal", full_page=False)
    page.select_option("select[name=system]", "quickbooks")
    page.fill("input[name=status]", "503")
    page.click("#journal-filters button[type=submit]")
    page.wait_for_load_state()  # the filtered journal's rows, not the page before it (count() does not wait)
    rows = page.locator("#journal tbody tr")
    assert rows.count() >= 1 and "/customer" in rows.first.inner_text() and "503" in rows.first.inner_text()
    rows.first.locator("td.id a").click()
    assert '"DisplayName": "Faulty Towers"' in page.locator("#request-body").inner_text()
    assert "503" in page.locator("h2:has-text('Response')").inner_text()


def test_a_failing_scenario_as_a_report(site, page):
    page.goto(site.url + "/scenarios")
    page.locator("#files tr:has-text('failing.yaml') button").click()
    assert page.locator("#verdict").inner_text() == "failed"
    failure = page.locator("#failures tbody tr, #failures tr").filter(has_text="quickbooks Customer").first
    assert failure.locator("td.expected").inner_text() == "2"
    assert failure.locator("td.found").inner_text() == "1"
    steps = page.locator("#steps > li")
    assert steps.count() == 2  # given, then the sync
    assert "Ada Lovelace" in steps.nth(1).inner_text() and "Customer 1" in steps.nth(1).inner_text()
    assert "Customer" not in steps.nth(0).locator("div.sides3 > div").first.inner_text()
    shoot(page, "scenario-report")


def test_state_changes_need_the_csrf_token(site):
    before = site.engine.state.counts("contacts")
    answer = requests.post(site.url + "/sync/now", timeout=10)
    assert answer.status_code == 400 and "CSRF" in answer.text
    forged = requests.post(site.url + "/sync/pairs/contacts", data={"on": "0", "csrf_token": "guess"}, timeout=10)
    assert forged.status_code == 400
    assert site.engine.settings.pairs["contacts"].enabled is True
    assert site.engine.state.counts("contacts") == before
