"""The owner's "describe the problem" box in headless Chromium: ask in Chinese, see the
answers in Chinese with the job already open for the battery, book the brake pads with one
button and land on the new job's page; the owner's words are shown escaped, never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from api.app import create_app
from api.keys import KeyStore, Role
from assist.assistant import Assistant
from assist.semantic import load_model
from ingest.open import open_store
from jobs.open import open_job_store, open_state_store
from rules.loader import DEFAULT_CATALOG, load_catalog
from tests.servers import serving
from tests.web.conftest import NOW, VIN, Site, Visit, fill_jobs, fill_telemetry, sign_in


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant.build(load_catalog(DEFAULT_CATALOG), load_model())


@pytest.fixture
def assist_site(tmp_path: Path, assistant: Assistant) -> Iterator[Site]:
    telemetry = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs = open_job_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    keys = KeyStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    state = open_state_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    fill_telemetry(telemetry)
    _, owner_id, workshop_job, owner_job = fill_jobs(jobs)
    secrets = {Role.OWNER: keys.create("owner", Role.OWNER, NOW, owner_id=owner_id)[1]}
    app = create_app(
        telemetry, jobs, clock=lambda: NOW, keys=keys, assistant=assistant, rule_state=state
    )
    try:
        with serving(app, "uvicorn-assist-test") as url:
            yield Site(url, jobs, telemetry, secrets, workshop_job, owner_job)
    finally:
        state.close()
        keys.close()
        jobs.close()
        telemetry.close()


def test_an_owner_asks_in_chinese_and_books_the_top_answer(
    assist_site: Site, desktop: Visit
) -> None:
    site, page = assist_site, desktop.page
    _ask(page, site, "刹车的时候有刺耳的尖叫声")
    answers = page.locator("ol.assist-list > li")
    answers.first.wait_for()
    assert answers.count() == 3
    assert answers.first.locator("strong").inner_text().startswith("刹车")
    assert page.locator(".assist-answer").get_attribute("lang") == "zh"
    answers.first.locator("button", has_text="预约此项").click()
    page.wait_for_url(f"{site.url}/jobs/*/page")
    assert "Brake pads worn" in page.locator("h1").inner_text()
    job_id = int(page.url.rsplit("/", 2)[-2])
    job = site.jobs.get_job(job_id)
    assert job is not None
    assert job.evidence["owner_report"]["text"] == "刹车的时候有刺耳的尖叫声"
    desktop.assert_only_own_origin(site.url)


def test_the_open_job_is_shown_instead_of_a_second_booking(
    assist_site: Site, desktop: Visit
) -> None:
    site, page = assist_site, desktop.page
    hostile = "<img src=x onerror=alert(1)> it struggles to start in the morning"
    _ask(page, site, hostile)
    battery = page.locator("ol.assist-list > li", has_text="12 V battery voltage low")
    battery.wait_for()
    link = battery.locator(".assist-open a")
    assert link.get_attribute("href") == f"/jobs/{site.workshop_job.id}/page"
    assert battery.locator("button").count() == 0
    assert page.locator("section.assist img").count() == 0  # the words are text, not markup
    assert page.locator("section.assist textarea").input_value() == hostile


def test_nothing_matching_well_offers_a_general_inspection(
    assist_site: Site, desktop: Visit
) -> None:
    site, page = assist_site, desktop.page
    _ask(page, site, "the cup holder is broken")
    page.locator(".assist-unsure").wait_for()
    page.click("button:has-text('Book a general inspection')")
    page.wait_for_url(f"{site.url}/jobs/*/page")
    assert "General inspection" in page.locator("h1").inner_text()


def _ask(page: Page, site: Site, text: str) -> None:
    """Sign in as the owner and ask the vehicle page's assistant ``text``."""
    sign_in(page, site, Role.OWNER)
    page.goto(f"{site.url}/vehicles/{VIN}/page")
    page.fill("section.assist textarea[name=text]", text)
    page.click("section.assist form.assist-form button[type=submit]")
