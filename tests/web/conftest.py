"""The app served by uvicorn on a free port, over real SQLite stores filled through their public
methods, and Debian's Chromium driven by Playwright, with nothing fetched from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    sync_playwright,
)

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.open import open_store
from ingest.store import TelemetryStore
from jobs.model import Job, JobAction, JobDraft, Severity
from jobs.open import open_job_store
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from tests.servers import require_binary, serving

NOW = 1_764_201_600.0  # Thursday 2025-11-27T00:00:00Z: the server's clock
VIN = "WPITSTOPWEB000001"
SPEED = "Vehicle.Speed"
LV = "Vehicle.LowVoltageBattery.CurrentVoltage"
HISTORY_S = 2 * 3600  # two hours of 1 Hz speed, sent in one-minute batches
MISFIRE = Dtc("P0301", Protocol.UDS, 0x7E8, frozenset({DtcStatus.CONFIRMED}))
SLOT = NOW + 33 * 3600  # Friday 09:00 UTC
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass(frozen=True)
class Site:
    """A served app and what its stores hold."""

    url: str
    jobs: JobStore
    telemetry: TelemetryStore
    keys: dict[Role, str]
    workshop_job: Job  # confirmed by the owner: the workshop's to accept
    owner_job: Job  # proposed: the owner's to confirm and move


def fill_telemetry(store: TelemetryStore) -> None:
    start = NOW - HISTORY_S
    for seq, minute in enumerate(range(0, HISTORY_S, 60), start=1):
        speed = tuple(
            Sample(SPEED, start + minute + s, 50.0 + (minute + s) % 97) for s in range(60)
        )
        volts = (Sample(LV, start + minute, 12.6 - 0.4 * minute / HISTORY_S),)
        store.write_batch(TelemetryBatch(VIN, seq, "profile-web", speed + volts))
    store.write_dtc_report(DtcReport(VIN, NOW - 600, (MISFIRE,), source="uds:0x7E8"), NOW)


def _draft(rule_id: str, title: str) -> JobDraft:
    window = [[NOW - 400 + 10 * i, 12.4 - 0.02 * i] for i in range(40)]
    return JobDraft(
        vin=VIN,
        rule_id=rule_id,
        title=title,
        severity=Severity.WARNING,
        fired_at=NOW - 10,
        diagnosis={"summary": "The 12 V battery no longer holds charge.", "skills": ["electrical"]},
        evidence={
            "trigger": {"signal": LV, "condition": "< 11.8", "since": NOW - 30, "fired_at": NOW},
            "window": {LV: window},
        },
        required_skills=("electrical",),
    )


def fill_jobs(store: JobStore) -> tuple[int, int, Job, Job]:
    """A workshop with two bays, a private owner, and two booked jobs of their vehicle."""
    workshop = store.add_workshop("Garage Nord", "Hamburg", ("electrical",), bays=2)
    owner = store.add_owner("Anna", "private", preferred_workshop_id=workshop.id)
    store.register_vehicle(VIN, owner.id, "Anna's car")
    booked = []
    for hour, (rule_id, title) in enumerate(
        [("lv-battery-low", "12 V battery voltage low"), ("lv-battery-aging", "Battery aging")]
    ):
        job, _ = store.open_job(_draft(rule_id, title), workshop.id, now=NOW - 9)
        slot = SLOT + 3600 * hour
        found = store.book(job.id, workshop.id, slot, slot + 3600, now=NOW - 8)
        assert found is not None
        booked.append(found)
    workshop_job = store.act(booked[0].id, JobAction.CONFIRM, NOW - 7)
    return workshop.id, owner.id, workshop_job, booked[1]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    telemetry = open_store("sqlite:///" + str(tmp_path / "telemetry.db"))
    jobs = open_job_store("sqlite:///" + str(tmp_path / "jobs.db"))
    keys = KeyStore.open("sqlite:///" + str(tmp_path / "jobs.db"))
    fill_telemetry(telemetry)
    workshop_id, owner_id, workshop_job, owner_job = fill_jobs(jobs)
    scopes: dict[Role, dict[str, int]] = {
        Role.WORKSHOP: {"workshop_id": workshop_id},
        Role.OWNER: {"owner_id": owner_id},
    }
    secrets = {
        role: keys.create(role.value, role, NOW, **scopes.get(role, {}))[1]  # type: ignore[arg-type]
        for role in (Role.ENGINEER, Role.WORKSHOP, Role.OWNER)
    }
    app = create_app(telemetry, jobs, clock=lambda: NOW, keys=keys)
    try:
        with serving(app, "uvicorn-web-test") as url:
            yield Site(url, jobs, telemetry, secrets, workshop_job, owner_job)
    finally:
        keys.close()
        jobs.close()
        telemetry.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    require_binary("chromium")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=require_binary("chromium"), args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@dataclass
class Visit:
    """A browser page and every URL it requested."""

    page: Page
    requests: list[str]

    def assert_only_own_origin(self, origin: str) -> None:
        foreign = [url for url in self.requests if not url.startswith(origin + "/")]
        assert not foreign, f"requests to other origins: {foreign}"


def visit(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Iterator[Visit]:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    requests: list[str] = []

    def seen(request: Request) -> None:
        requests.append(request.url)

    page.on("request", seen)
    try:
        yield Visit(page, requests)
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Visit]:
    yield from visit(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Visit]:
    yield from visit(browser, PHONE)


def console_errors(page: Page) -> list[str]:
    """The errors the page's console will log from now on (a missing favicon aside)."""
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("favicon.ico"):
            found.append(message.text)

    page.on("console", seen)
    return found


def sign_in(page: Page, site: Site, role: Role) -> None:
    page.goto(site.url + "/signin")
    page.fill("input[name=key]", site.keys[role])
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")
