"""The service book in headless Chromium: an owner adds outside work through the form (the
odometer left for the car to fill in), uploads a LubeLogger export through the file picker
(twice: added once) and downloads the book; a workshop with consent sees it; the owner answers
the follow-up question on the job page. Hostile text stays text."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.keys import Role
from jobs.model import FollowUpAnswer, JobAction, Outcome, RecordSource, ServiceEntry, ServiceKind
from pitstop.codec import Sample, TelemetryBatch
from tests.web.conftest import NOW, VIN, Site, Visit, sign_in

pytestmark = pytest.mark.integration

BOOK = f"/vehicles/{VIN}/page"
HOSTILE = "<img src=x onerror=alert(1)>"
LUBELOGGER = (
    "Date,Odometer,Description,Notes,Cost,Tags\r\n"
    '1/15/2024,45210,Oil change,"5W-30, filter","$1,234.50",oil\r\n'
    "2/3/2024,46000,Winter tyre change,,$80.00,\r\n"
)


def test_an_owner_keeps_the_book_by_form_and_by_file(
    site: Site, desktop: Visit, tmp_path: Path
) -> None:
    odometer = (Sample("Vehicle.TraveledDistance", NOW - 600, 48_123.0),)
    site.telemetry.write_batch(TelemetryBatch(VIN, 999, "profile-web", odometer))
    page = desktop.page
    sign_in(page, site, Role.OWNER)
    page.goto(site.url + BOOK)
    page.select_option("select[name=kind]", "repair")
    page.fill("input[name=done_on]", "2025-11-26")
    page.fill("input[name=work]", HOSTILE)
    page.fill("input[name=cost]", "120.50")
    page.click("button[value=add]")
    page.wait_for_selector("text=48,123 km")  # the car's own reading, filled in
    assert page.locator(f"td:has-text('{HOSTILE}')").count() == 1  # shown as text
    assert page.locator("img[src=x]").count() == 0

    upload = tmp_path / "lubelogger.csv"
    upload.write_text(LUBELOGGER, encoding="utf-8")
    for _ in range(2):  # the same file twice: its rows once
        page.goto(site.url + f"/vehicles/{VIN}/service-book/page")
        page.set_input_files("input[type=file]", str(upload))
        page.wait_for_function("document.querySelector('textarea[name=csv]').value.length > 0")
        page.click("button[value=import]")
        page.wait_for_selector("text=Winter tyre change")
    records = site.jobs.service_records(VIN)
    assert sorted(r.entry.work for r in records) == [HOSTILE, "Oil change", "Winter tyre change"]
    with page.expect_download() as download:
        page.click("text=Download as CSV")
    saved = tmp_path / "book.csv"
    download.value.save_as(saved)
    assert "2024-01-15,45210,service,Oil change" in saved.read_text(encoding="utf-8")
    desktop.assert_only_own_origin(site.url)


def test_a_workshop_with_consent_reads_the_book(site: Site, desktop: Visit) -> None:
    entry = ServiceEntry(kind=ServiceKind.INSPECTION, done_on="2025-06-01", work="TÜV passed")
    site.jobs.add_record(VIN, entry, source=RecordSource.OWNER, now=NOW)
    page = desktop.page
    sign_in(page, site, Role.OWNER)
    page.goto(site.url + f"/vehicles/{VIN}/page")
    shop_id = site.workshop_job.workshop_id
    status = page.evaluate(  # the consent route, signed by the cookie: same origin, JSON
        """async (url) => (await fetch(url, {method: "PUT", headers: {"Content-Type":
        "application/json"}, body: JSON.stringify({signals: ["service-book"]})})).status""",
        f"{site.url}/vehicles/{VIN}/consent/{shop_id}",
    )
    assert status == 200
    desktop.page.context.clear_cookies()
    sign_in(page, site, Role.WORKSHOP)
    page.goto(site.url + f"/vehicles/{VIN}/service-book/page")
    assert page.locator("td:has-text('TÜV passed')").count() == 1
    assert page.locator("button[value=delete]").count() == 0  # the owner's record


def test_the_owner_answers_the_follow_up_on_the_job_page(site: Site, desktop: Visit) -> None:
    job = site.workshop_job.id
    for action in (JobAction.ACCEPT, JobAction.START):
        site.jobs.act(job, action, NOW)
    site.jobs.act(job, JobAction.COMPLETE, NOW, outcome=Outcome.FIXED)
    site.jobs.ask_followups(NOW + 8 * 86_400, after_s=7 * 86_400)
    page = desktop.page
    sign_in(page, site, Role.OWNER)
    page.goto(f"{site.url}/jobs/{job}/page")
    assert page.locator(".car-verdict").inner_text() == "the fault has not come back"
    page.click("button[name=answer][value=yes]")
    page.wait_for_selector(".answer")
    found = site.jobs.followup(job)
    assert found is not None
    assert found.answer is FollowUpAnswer.SOLVED
