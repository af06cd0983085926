"""The pages in headless Chromium: a workshop accepts a job after seeing its evidence chart, an
owner confirms and moves a booking, an engineer zooms into a signal; all served by the app
alone, and readable on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page

from api.keys import Role
from jobs.model import JobStatus
from tests.web.conftest import NOW, SLOT, SPEED, VIN, Site, Visit, sign_in

pytestmark = pytest.mark.integration

CHART_TIMEOUT_MS = 15_000


def drawn_points(page: Page, chart: str) -> int:
    """How many markers plotly drew in the chart's first trace (its SVG, not our data)."""
    page.wait_for_selector(f"{chart} .scatterlayer .trace", timeout=CHART_TIMEOUT_MS)
    count: int = page.locator(f"{chart} .scatterlayer .trace .points path").count()
    return count


def test_a_workshop_sees_the_evidence_and_accepts_the_job(site: Site, desktop: Visit) -> None:
    page = desktop.page
    sign_in(page, site, Role.WORKSHOP)
    page.click(f"a[href='/jobs/{site.workshop_job.id}/page']")  # the job board links the job
    page.wait_for_url(f"**/jobs/{site.workshop_job.id}/page")
    assert drawn_points(page, ".chart[data-series]") == 40  # every window point, as a marker
    line = page.locator(".chart[data-series] .scatterlayer .trace path.js-line")
    path = line.first.get_attribute("d") or ""  # a straight decline: plotly keeps two ends
    assert path.startswith("M")
    assert "L" in path
    page.click("button[value=accept]")
    page.wait_for_selector("button[value=accept]", state="detached")
    status = page.locator("th:has-text('Status') + td").inner_text()
    assert status == "booked: the workshop expects the car"
    stored = site.jobs.get_job(site.workshop_job.id)
    assert stored is not None
    assert stored.status is JobStatus.ACCEPTED
    assert page.locator("button[value=start]").count() == 1
    desktop.assert_only_own_origin(site.url)


def test_a_workshop_completes_a_job_with_an_outcome(site: Site, desktop: Visit) -> None:
    page = desktop.page
    sign_in(page, site, Role.WORKSHOP)
    page.goto(f"{site.url}/jobs/{site.workshop_job.id}/page")
    for action in ("accept", "start"):
        page.click(f"button[value={action}]")
        page.wait_for_selector(f"button[value={action}]", state="detached")
    page.select_option("select[name=outcome]", "no_fault_found")
    page.click("button[value=complete]")
    page.wait_for_selector("button[value=complete]", state="detached")
    stored = site.jobs.get_job(site.workshop_job.id)
    assert stored is not None
    assert stored.status is JobStatus.COMPLETED
    assert stored.outcome is not None
    assert stored.outcome.value == "no_fault_found"


def test_an_owner_confirms_and_moves_a_booking(site: Site, desktop: Visit) -> None:
    page = desktop.page
    sign_in(page, site, Role.OWNER)
    page.goto(f"{site.url}/jobs/{site.owner_job.id}/page")
    assert page.locator("input[name=slot]").input_value() == "2025-11-28T10:00"
    page.click("button[value=confirm]")
    page.wait_for_selector("button[value=confirm]", state="detached")
    stored = site.jobs.get_job(site.owner_job.id)
    assert stored is not None
    assert stored.status is JobStatus.CONFIRMED
    page.fill("input[name=slot]", "2025-11-28T14:00")
    page.click("button[value=move]")
    page.wait_for_function("document.querySelector('input[name=slot]').value.endsWith('14:00')")
    moved = site.jobs.get_job(site.owner_job.id)
    assert moved is not None
    assert moved.slot_start == SLOT + 5 * 3600
    assert moved.status is JobStatus.CONFIRMED
    assert "2025-11-28 14:00:00 UTC" in page.content()
    desktop.assert_only_own_origin(site.url)


def test_an_engineer_zooms_into_a_signal_and_gets_finer_buckets(site: Site, desktop: Visit) -> None:
    page = desktop.page
    sign_in(page, site, Role.ENGINEER)
    page.click(f"a[href='/vehicles/{VIN}/page']")
    page.wait_for_url(f"**/vehicles/{VIN}/page")
    for box in page.locator("input[name=signal]").all():
        box.set_checked(box.get_attribute("value") == SPEED)
    two_hours = page.evaluate("t => pitstopTime.inputValue(new Date(t * 1000))", NOW - 2 * 3600)
    page.fill("input[data-range=from]", two_hours)  # typed in the browser's zone
    with page.expect_response(re.compile(r"/buckets\?")) as first:
        page.click("button:has-text('Show')")
    wide = first.value.json()
    chart = page.locator(".chart[data-buckets]")
    assert chart.count() == 1
    page.wait_for_selector(".chart[data-points] .scatterlayer .trace", timeout=CHART_TIMEOUT_MS)
    area = page.locator(".chart .nsewdrag").first.bounding_box()
    assert area is not None
    y = area["y"] + area["height"] / 2
    with page.expect_response(re.compile(r"/buckets\?")) as second:
        page.mouse.move(area["x"] + area["width"] * 0.40, y)
        page.mouse.down()
        page.mouse.move(area["x"] + area["width"] * 0.45, y, steps=5)
        page.mouse.up()
    query = parse_qs(urlsplit(second.value.url).query)
    fine = second.value.json()
    span = float(query["to"][0]) - float(query["from"][0])
    assert NOW - 2 * 3600 < float(query["from"][0]) < float(query["to"][0]) < NOW
    assert span < 0.1 * 2 * 3600
    assert fine["bucket_s"] < wide["bucket_s"] / 10
    assert fine["buckets"]
    codes = page.locator("table:has(th:has-text('Code')) tbody tr")
    assert codes.count() == 1
    assert "P0301" in codes.inner_text()
    assert "uds:0x7E8" in codes.inner_text()
    desktop.assert_only_own_origin(site.url)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_pages_fit_the_screen(site: Site, viewport: str, request: pytest.FixtureRequest) -> None:
    """Nothing wider than the screen on a phone or a desktop; screenshots kept in tmp for a look."""
    visit: Visit = request.getfixturevalue(viewport)
    page = visit.page
    shots = Path(request.getfixturevalue("tmp_path"))
    sign_in(page, site, Role.OWNER)  # the owner's job page has the most on it: its forms
    for name, path in (
        ("fleet", "/"),
        ("vehicle", f"/vehicles/{VIN}/page"),
        ("job", f"/jobs/{site.owner_job.id}/page"),
    ):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        if name != "fleet":
            page.wait_for_selector(".chart .main-svg", timeout=CHART_TIMEOUT_MS)
        page.screenshot(path=str(shots / f"{name}-{viewport}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than a {viewport} screen"
    visit.assert_only_own_origin(site.url)
