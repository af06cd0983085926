"""The fleet page in Chromium, as a fleet manager keeps it open: three vans, one with a
critical fault; the manager sees it marked (colour and words), filters to it, opens its job and
reads the evidence; and a new value the van sends shows in its row without a reload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.keys import KeyStore, Role
from jobs.model import Job, JobDraft, Severity
from pitstop.codec import Sample, TelemetryBatch
from pitstop.messages import Status
from tests.web.conftest import LV, NOW, SLOT, SPEED, Site, Visit, console_errors, sign_in

pytestmark = pytest.mark.integration

VANS = {"WPITSTOPVAN000001": "Van 1", "WPITSTOPVAN000002": "Van 2", "WPITSTOPVAN000003": "Van 3"}
FAULTY = "WPITSTOPVAN000002"
LIVE_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class FleetSite:
    site: Site
    faulty_job: Job


def add_fleet(site: Site, tmp_path: Path) -> FleetSite:
    """A fleet operator with three vans reporting, one of them with a critical, booked job, and
    a fleet manager's key for it (made in the site's own key store file)."""
    jobs, telemetry = site.jobs, site.telemetry
    fleet = jobs.add_owner("Nordfracht", "fleet")
    for n, (vin, label) in enumerate(sorted(VANS.items())):
        jobs.register_vehicle(vin, fleet.id, label)
        volts = 11.2 if vin == FAULTY else 12.5 + 0.1 * n
        samples = tuple(
            s
            for i in range(10)
            for s in (
                Sample(SPEED, NOW - 100 + 10 * i, 30.0 + i),
                Sample(LV, NOW - 100 + 10 * i, volts),
            )
        )
        telemetry.write_batch(TelemetryBatch(vin, 1, "profile-van", samples))
    telemetry.write_status(Status("WPITSTOPVAN000001", "online"), NOW - 50)
    telemetry.write_status(Status(FAULTY, "online"), NOW - 50)
    telemetry.write_status(Status("WPITSTOPVAN000003", "offline"), NOW - 40)
    workshop = jobs.workshops()[0]
    draft = JobDraft(
        vin=FAULTY,
        rule_id="lv-battery-low",
        title="12 V battery voltage low",
        severity=Severity.CRITICAL,
        fired_at=NOW - 20,
        diagnosis={"summary": "The 12 V battery no longer holds charge; the van may not start."},
        evidence={
            "trigger": {"signal": LV, "condition": "< 11.8", "hold_s": 20, "value": 11.2},
            "window": {LV: [[NOW - 100 + 10 * i, 11.2] for i in range(10)]},
        },
    )
    job, _ = jobs.open_job(draft, workshop.id, now=NOW - 19)
    booked = jobs.book(job.id, workshop.id, SLOT + 7200, SLOT + 10800, now=NOW - 18)
    assert booked is not None
    keys = KeyStore.open("sqlite:///" + str(tmp_path / "jobs.db"))  # the site's own key store
    try:
        site.keys[Role.FLEET_MANAGER] = keys.create(
            "dispatch", Role.FLEET_MANAGER, NOW, owner_id=fleet.id
        )[1]
    finally:
        keys.close()
    return FleetSite(site, booked)


def row(page: Page, vin: str) -> str:
    return f"#fleet-rows tr[data-vin='{vin}']"


def test_the_fleet_manager_spots_the_faulty_van_and_opens_its_evidence(
    site: Site, desktop: Visit, tmp_path: Path
) -> None:
    fleet = add_fleet(site, tmp_path)
    page = desktop.page
    errors = console_errors(page)
    sign_in(page, site, Role.FLEET_MANAGER)
    assert page.locator("nav .badge").inner_text() == "Signed in as Fleet manager · Nordfracht"
    rows = page.locator("#fleet-rows tr")
    assert rows.count() == 3
    first = rows.first  # the worst first
    assert first.get_attribute("data-vin") == FAULTY
    health = first.locator("td").first
    assert health.inner_text() == "Critical fault"  # words, not only a colour
    colour = "e => getComputedStyle(e).backgroundColor"
    assert health.locator("span").evaluate(colour) == "rgb(255, 214, 210)"  # pitstop.css's red
    ok = page.locator(row(page, "WPITSTOPVAN000001")).locator("td").first
    assert ok.inner_text() == "OK"
    assert ok.locator("span").evaluate(colour) == "rgb(212, 240, 217)"  # and green
    assert "11.2 V" in first.inner_text()
    assert page.locator(row(page, "WPITSTOPVAN000003")).locator("text=offline").count() == 1
    assert page.locator(row(page, "WPITSTOPVAN000001")).inner_text().count("online") == 1
    page.select_option("select[name=health]", "critical")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"health=critical"))
    assert page.locator("#fleet-rows tr").count() == 1
    assert "Van 2" in page.locator("#fleet-rows tr").inner_text()
    page.fill("input[name=q]", "van 1")
    page.select_option("select[name=health]", "any")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"q=van\+1"))
    assert page.locator("#fleet-rows tr").count() == 1
    assert page.locator("#fleet-rows tr").get_attribute("data-vin") == "WPITSTOPVAN000001"
    page.goto(site.url + "/?health=critical")
    page.click(f"{row(page, FAULTY)} a[href='/jobs/{fleet.faulty_job.id}/page']")
    page.wait_for_url(f"**/jobs/{fleet.faulty_job.id}/page")
    text = page.locator("main, body").first.inner_text()
    assert "Stop driving as soon as it is safe" in text
    assert "below 11.8 V" in page.locator("th:has-text('Condition') + td").inner_text()
    assert page.locator("th:has-text('Held for') + td").inner_text() == "20 s"
    assert page.locator("th:has-text('Value') + td").inner_text() == "11.2 V"
    page.click(f"a[href='/vehicles/{FAULTY}/page']")  # the VIN is a link here too
    page.wait_for_url(f"**/vehicles/{FAULTY}/page")
    assert page.locator("nav .badge").inner_text() == "Signed in as Fleet manager · Nordfracht"
    desktop.assert_only_own_origin(site.url)
    assert not errors, errors


def test_a_new_value_changes_its_row_without_a_reload(
    site: Site, desktop: Visit, tmp_path: Path
) -> None:
    add_fleet(site, tmp_path)
    page = desktop.page
    errors = console_errors(page)
    sign_in(page, site, Role.FLEET_MANAGER)
    cell = page.locator(f"{row(page, 'WPITSTOPVAN000001')} td[data-signal='{LV}']")
    assert cell.inner_text() == "12.5 V"
    page.evaluate("window.sameDocument = true")
    site.telemetry.write_batch(
        TelemetryBatch("WPITSTOPVAN000001", 2, "profile-van", (Sample(LV, NOW + 5, 12.05),))
    )
    expect(cell).to_have_text("12.05 V", timeout=LIVE_TIMEOUT_MS)  # from the stream
    assert page.evaluate("window.sameDocument") is True  # no reload: the script swapped the row
    assert page.locator("#fleet-live").inner_text().startswith("Updated")
    assert not errors, errors


def test_the_fleet_page_fits_a_phone(site: Site, phone: Visit, tmp_path: Path) -> None:
    """The table scrolls inside its box; the page itself is never wider than the screen."""
    add_fleet(site, tmp_path)
    page = phone.page
    sign_in(page, site, Role.FLEET_MANAGER)
    page.screenshot(path=str(tmp_path / "fleet-phone.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the fleet page is {overflow} px wider than a phone"
    assert page.locator("#fleet-rows tr").count() == 3
