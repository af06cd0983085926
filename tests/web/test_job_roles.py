"""The job page in Chromium, as each role reads it: the owner in plain words, confirming and
moving the booking; the workshop accepting, starting and completing with an outcome; reject and
cancel refusing to go through without a reason and a ticked confirmation; after each action a
message, and the timeline of who did what."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from api.keys import Role
from jobs.model import JobStatus, Outcome
from tests.web.conftest import SLOT, Site, Visit, console_errors, sign_in

pytestmark = pytest.mark.integration

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # hold_s, in_service, no_fault_found
PYTHON_LIST = re.compile(r"\['")


def act_with_reason(page: Page, action: str, reason: str) -> None:
    """Fill the action's reason, tick its confirmation and press it, as a person would."""
    form = page.locator(f"form:has(button[value={action}])")
    form.locator("textarea[name=reason]").fill(reason)
    form.locator("input[name=confirm]").check()
    page.click(f"button[value={action}]")


def flash(page: Page) -> str:
    return page.locator("[role=status].flash").inner_text()


def fact(page: Page, name: str) -> str:
    return page.locator(f"th:text-is('{name}') + td").inner_text()


def timeline(page: Page) -> list[str]:
    return page.locator("ol.timeline li").all_inner_texts()


def status_of(site: Site, job_id: int) -> JobStatus:
    job = site.jobs.get_job(job_id)
    assert job is not None
    return job.status


def test_the_owner_reads_plain_words_confirms_and_moves(site: Site, desktop: Visit) -> None:
    page = desktop.page
    errors = console_errors(page)
    sign_in(page, site, Role.OWNER)
    assert page.locator("nav .badge").inner_text() == "Signed in as Owner · Anna"
    page.click(f"a[href='/jobs/{site.owner_job.id}/page']")
    page.wait_for_url(f"**/jobs/{site.owner_job.id}/page")
    text = page.locator("body").inner_text()
    for plain in (
        "What is wrong",
        "The 12 V battery no longer holds charge.",
        "You can drive to the workshop, but have it seen to by the booked slot.",
        "Friday 28 November 2025, 10:00 to 11:00 (UTC time)",
        "Garage Nord, Hamburg",
        "The workshop will tell you the price before it starts the work.",
    ):
        assert plain in text
    assert not SNAKE.findall(text), SNAKE.findall(text)
    assert not PYTHON_LIST.search(text)
    assert "Vehicle.LowVoltageBattery" not in text  # a signal's path is for workshops
    assert fact(page, "Status") == "waiting for the owner to confirm"
    page.click("button[value=confirm]")
    page.wait_for_url(re.compile(r"done=confirm"))
    assert flash(page) == "Booking confirmed. The workshop has been asked to accept it."
    assert fact(page, "Status") == "waiting for the workshop to accept"
    assert status_of(site, site.owner_job.id) is JobStatus.CONFIRMED
    page.fill("input[name=slot]", "2025-11-28T14:00")
    page.click("button[value=move]")
    page.wait_for_url(re.compile(r"done=move"))
    assert flash(page) == "Booking moved to the new time."
    assert "Friday 28 November 2025, 14:00 to 15:00 (UTC time)" in page.locator("body").inner_text()
    moved = site.jobs.get_job(site.owner_job.id)
    assert moved is not None
    assert moved.slot_start == SLOT + 5 * 3600
    steps = timeline(page)
    assert any("Owner · Anna confirmed the booking." in s for s in steps), steps
    assert "Owner · Anna moved the booking." in steps[-1]
    desktop.assert_only_own_origin(site.url)
    assert not errors, errors


def test_the_workshop_accepts_starts_and_completes_with_an_outcome(
    site: Site, desktop: Visit
) -> None:
    page = desktop.page
    errors = console_errors(page)
    sign_in(page, site, Role.WORKSHOP)
    assert page.locator("nav .badge").inner_text() == "Signed in as Workshop · Garage Nord"
    assert page.locator("a[href^='/vehicles/']").count() == 0  # pages a workshop cannot open
    page.click(f"a[href='/jobs/{site.workshop_job.id}/page']")
    page.wait_for_url(f"**/jobs/{site.workshop_job.id}/page")
    assert fact(page, "Condition") == "below 11.8 V"  # the evidence, in words
    assert fact(page, "Vehicle") == "Anna's car"
    assert page.locator("a[href^='/vehicles/']").count() == 0
    assert not PYTHON_LIST.search(page.locator("body").inner_text())
    for action, message, status in (
        ("accept", "Job accepted.", "booked: the workshop expects the car"),
        ("start", "Work started.", "in the workshop now"),
    ):
        page.click(f"button[value={action}]")
        page.wait_for_url(re.compile(f"done={action}"))
        assert flash(page).startswith(message)
        assert fact(page, "Status") == status
    page.select_option("select[name=outcome]", label="no fault found")
    page.fill("textarea[name=note]", "Load test passed; terminals cleaned.")
    page.click("button[value=complete]")
    page.wait_for_url(re.compile(r"done=complete"))
    assert flash(page).startswith("Job completed.")
    assert fact(page, "Status") == "done"
    assert fact(page, "Outcome").startswith("No fault found")
    stored = site.jobs.get_job(site.workshop_job.id)
    assert stored is not None
    assert stored.outcome is Outcome.NO_FAULT_FOUND
    steps = timeline(page)
    assert "Workshop · Garage Nord accepted the job." in steps[-3]
    assert "Workshop · Garage Nord started the work." in steps[-2]
    assert "Workshop · Garage Nord completed the job: no fault found." in steps[-1]
    assert "Load test passed; terminals cleaned." in steps[-1]
    assert any("Owner · Anna confirmed the booking." in s for s in steps)
    assert page.locator("button[value=complete]").count() == 0
    assert not errors, errors


def test_rejecting_takes_a_reason_and_a_confirmation(site: Site, desktop: Visit) -> None:
    page = desktop.page
    job_id = site.workshop_job.id
    sign_in(page, site, Role.WORKSHOP)
    page.goto(f"{site.url}/jobs/{job_id}/page")
    form = page.locator("form:has(button[value=reject])")
    page.click("button[value=reject]")  # nothing filled in: the browser keeps the form
    assert form.locator("textarea[name=reason]").evaluate("box => box.validity.valueMissing")
    assert status_of(site, job_id) is JobStatus.CONFIRMED
    form.locator("textarea[name=reason]").fill("No bay free that week.")
    page.click("button[value=reject]")  # the box is not ticked
    assert form.locator("input[name=confirm]").evaluate("box => box.validity.valueMissing")
    assert status_of(site, job_id) is JobStatus.CONFIRMED
    form.locator("input[name=confirm]").evaluate("box => box.removeAttribute('required')")
    page.click("button[value=reject]")  # past the browser: the server refuses it too
    page.wait_for_load_state()
    assert "Not done: tick the box to confirm" in page.locator("[role=alert]").inner_text()
    assert status_of(site, job_id) is JobStatus.CONFIRMED
    act_with_reason(page, "reject", "No bay free that week.")
    page.wait_for_url(re.compile(r"/\?done=reject"))
    assert flash(page).startswith("Job turned down.")
    job = site.jobs.get_job(job_id)
    assert job is not None
    assert job.workshop_id is None  # no other workshop: it waits, unplaced
    assert page.locator(f"a[href='/jobs/{job_id}/page']").count() == 0


def test_cancelling_takes_a_reason_and_a_confirmation(site: Site, desktop: Visit) -> None:
    page = desktop.page
    job_id = site.owner_job.id
    sign_in(page, site, Role.OWNER)
    page.goto(f"{site.url}/jobs/{job_id}/page")
    form = page.locator("form:has(button[value=cancel])")
    form.locator("input[name=confirm]").check()
    page.click("button[value=cancel]")  # ticked but no reason: the browser keeps the form
    assert form.locator("textarea[name=reason]").evaluate("box => box.validity.valueMissing")
    assert status_of(site, job_id) is JobStatus.PROPOSED
    form.locator("textarea[name=reason]").evaluate("box => box.removeAttribute('required')")
    page.click("button[value=cancel]")
    page.wait_for_load_state()
    assert "Not done: say why" in page.locator("[role=alert]").inner_text()
    assert status_of(site, job_id) is JobStatus.PROPOSED
    act_with_reason(page, "cancel", "We sold the car.")
    page.wait_for_url(re.compile(r"done=cancel"))
    assert flash(page).startswith("Job cancelled.")
    assert fact(page, "Status") == "cancelled"
    assert status_of(site, job_id) is JobStatus.CANCELLED
    last = timeline(page)[-1]
    assert "Owner · Anna cancelled the job." in last
    assert "Reason:" in last
    assert "We sold the car." in last
    assert page.locator("button[value=cancel]").count() == 0


def test_the_engineer_sees_the_evidence_and_the_badge(site: Site, desktop: Visit) -> None:
    page = desktop.page
    errors = console_errors(page)
    sign_in(page, site, Role.ENGINEER)
    assert page.locator("nav .badge").inner_text() == "Signed in as Engineer · engineer"
    page.goto(f"{site.url}/jobs/{site.workshop_job.id}/page")
    assert fact(page, "Rule") == "lv-battery-low"
    assert fact(page, "Signal").startswith("Low-voltage battery voltage")
    assert page.locator("form button[name=action]").count() == 0  # engineers only look
    assert "What is wrong" not in page.locator("body").inner_text()
    assert not errors, errors
