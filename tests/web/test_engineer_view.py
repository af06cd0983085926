"""The engineer's view in Debian's Chromium: a range picked from presets and from/to inputs and
carried in the URL, a zoom that moves every chart and the URL, CSV and Parquet downloads that
hold what the store holds, units on the axes, state names, the rule's levels on the evidence
chart, and one time zone (the browser's, named, with UTC on hover). No console errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from api.keys import Role
from api.timerange import parse_instant
from pitstop.codec import Sample, TelemetryBatch
from pitstop.messages import Event
from tests.web.conftest import DESKTOP, LV, NOW, SLOT, SPEED, VIN, Site, sign_in

DCDC = "Vehicle.Powertrain.DCDC.State"
PAGE = f"/vehicles/{VIN}/page"


class Watched:
    """A page in a context of its own (a time zone, downloads) and the errors it logged."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.errors.append(str(err)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def watched(browser: Browser, timezone: str) -> Iterator[Watched]:
    context = browser.new_context(
        viewport=DESKTOP,  # type: ignore[arg-type]
        timezone_id=timezone,
        accept_downloads=True,
    )
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


@pytest.fixture
def utc(browser: Browser) -> Iterator[Watched]:
    yield from watched(browser, "UTC")


@pytest.fixture
def berlin(browser: Browser) -> Iterator[Watched]:
    yield from watched(browser, "Europe/Berlin")


def charts_drawn(page: Page, count: int) -> None:
    """Every bucket chart has drawn what it fetched."""
    page.wait_for_function(
        "n => [...document.querySelectorAll('.chart[data-buckets]')]"
        ".filter(c => c.dataset.points && c.querySelector('.main-svg')).length === n",
        arg=count,
    )


def url_range(page: Page) -> tuple[float, float]:
    query = parse_qs(urlsplit(page.url).query)
    return parse_instant(query["from"][0], "from"), parse_instant(query["to"][0], "to")


def chart_range(page: Page, index: int) -> tuple[float, float]:
    """The x range a chart shows, in epoch seconds (plotly's strings are the browser's time)."""
    found: list[float] = page.evaluate(
        "i => document.querySelectorAll('.chart')[i].layout.xaxis.range.map("
        "r => (r instanceof Date ? r : new Date(String(r).replace(' ', 'T'))).getTime() / 1000)",
        index,
    )
    return found[0], found[1]


def stored(
    site: Site, signals: list[str], span: tuple[float, float]
) -> list[tuple[float, str, float]]:
    rows = [
        (p.ts, s, p.value)
        for s in signals
        for p in site.telemetry.query(VIN, s, span[0], span[1], limit=100_000)
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def test_the_engineer_picks_a_range_zooms_and_exports(site: Site, utc: Watched) -> None:
    page = utc.page
    sign_in(page, site, Role.ENGINEER)
    page.goto(f"{site.url}{PAGE}?signal={SPEED}&signal={LV}")
    charts_drawn(page, 2)
    for index, unit in enumerate(["km/h", "V"]):  # the units, from the canonical names
        ticks = page.locator(".chart").nth(index).locator(".ytick text").all_text_contents()
        assert ticks, index
        assert all(t.endswith(f" {unit}") for t in ticks), ticks
    assert page.locator("figcaption strong").all_inner_texts() == [
        "Speed",
        "Low-voltage battery voltage",
    ]
    assert page.locator(".chart .xtitle").first.text_content() == "Time (UTC)"

    page.get_by_role("link", name="6 h", exact=True).click()
    charts_drawn(page, 2)
    assert url_range(page) == (NOW - 6 * 3600, NOW)
    assert parse_qs(urlsplit(page.url).query)["signal"] == [SPEED, LV]

    page.fill("input[data-range=from]", "2025-11-26T22:30")
    page.fill("input[data-range=to]", "2025-11-26T23:30")
    page.get_by_role("button", name="Show").click()
    charts_drawn(page, 2)
    assert url_range(page) == (NOW - 5400, NOW - 1800)
    assert chart_range(page, 1) == pytest.approx((NOW - 5400, NOW - 1800), abs=1)

    box = page.locator(".chart").first.locator(".nsewdrag").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('from') !== '2025-11-26T22:30:00.000Z'"
    )
    zoomed = url_range(page)
    assert NOW - 5400 < zoomed[0] < zoomed[1] < NOW - 1800
    assert zoomed[1] - zoomed[0] == pytest.approx(900, rel=0.1)  # a quarter of the hour
    page.wait_for_function(
        "f => Math.abs(Number(document.querySelectorAll('.chart')[1].dataset.shownFrom) - f) < 1",
        arg=zoomed[0],
    )
    assert chart_range(page, 1) == pytest.approx(zoomed, abs=1)  # the other chart followed
    assert chart_range(page, 0) == pytest.approx(zoomed, abs=1)

    with page.expect_download() as csv_download:
        page.locator("a.export-csv").click()
    text = Path(csv_download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = stored(site, [SPEED, LV], zoomed)
    assert len(expected) > 800  # 1 Hz speed over a quarter of an hour, and the voltages
    assert [(float(r["ts"]), r["signal"], float(r["value"])) for r in rows] == [
        (round(ts, 3), s, v) for ts, s, v in expected
    ]
    with page.expect_download() as parquet_download:
        page.locator("a.export-parquet").click()
    table = pq.read_table(parquet_download.value.path())
    assert table.num_rows == len(expected)
    assert table.column("ts").to_pylist() == [ts for ts, _, _ in expected]

    page.reload()  # the URL keeps the zoomed view
    charts_drawn(page, 2)
    assert chart_range(page, 0) == pytest.approx(zoomed, abs=1)
    assert utc.errors == []


def test_the_browser_zone_is_used_and_named_with_utc_on_hover(site: Site, berlin: Watched) -> None:
    page = berlin.page
    sign_in(page, site, Role.ENGINEER)
    page.goto(f"{site.url}{PAGE}?signal={LV}")
    charts_drawn(page, 1)
    fired = page.locator("time[datetime='2025-11-26T23:59:50Z']").first  # the job's firing
    assert fired.inner_text() == "2025-11-27 00:59:50 CET"
    assert fired.get_attribute("title") == "2025-11-26 23:59:50 UTC"
    texts = page.locator("time[datetime]").all_inner_texts()
    assert texts
    assert all(t.endswith(" CET") for t in texts), texts
    assert page.input_value("input[data-range=from]") == "2025-11-27T00:00"  # 23:00 UTC
    assert page.locator(".chart .xtitle").first.text_content() == "Time (CET)"
    assert page.locator("[data-zone]").first.inner_text() == "CET"

    page.fill("input[data-range=from]", "2025-11-26T23:00")  # Berlin's: 22:00 UTC
    page.get_by_role("button", name="Show").click()
    charts_drawn(page, 1)
    assert url_range(page)[0] == NOW - 7200
    assert berlin.errors == []


def test_the_job_page_draws_the_rule_and_leads_to_the_signal_that_fired(
    site: Site, utc: Watched
) -> None:
    page = utc.page
    sign_in(page, site, Role.ENGINEER)
    page.goto(f"{site.url}/jobs/{site.workshop_job.id}/page")
    page.wait_for_selector(".chart[data-series] .main-svg")
    notes = page.locator(".chart .annotation-text").all_text_contents()
    assert "fires: < 11.8" in notes
    assert "clears: > 12.2" in notes
    ticks = page.locator(".chart .ytick text").all_text_contents()
    assert ticks
    assert all(t.endswith(" V") for t in ticks), ticks

    page.get_by_role("link", name="See on the vehicle page").click()
    charts_drawn(page, 1)
    assert parse_qs(urlsplit(page.url).query)["signal"] == [LV]
    start, end = url_range(page)
    assert start < NOW - 400 < NOW - 10 < end  # the window and the firing are in view
    assert page.locator("figcaption strong").first.inner_text() == "Low-voltage battery voltage"
    assert utc.errors == []


def test_a_state_signal_is_drawn_as_steps_named_by_the_car(site: Site, utc: Watched) -> None:
    states = tuple(Sample(DCDC, NOW - 1800 + 60 * i, float(i % 4)) for i in range(30))
    site.telemetry.write_batch(TelemetryBatch(VIN, 9_000, "profile-web", states))
    labels = {DCDC: {"0": "Off", "1": "On", "2": "<b>Derated</b>", "3": "Fault"}}  # car's text
    site.telemetry.write_event(
        Event(VIN, "value_tables", int(NOW * 1000) - 5000, {"labels": labels}), NOW
    )
    page = utc.page
    sign_in(page, site, Role.ENGINEER)
    page.goto(f"{site.url}{PAGE}?signal={DCDC}")
    charts_drawn(page, 1)
    ticks = page.locator(".chart .ytick text").all_text_contents()
    assert ticks == ["Off", "On", "<b>Derated</b>", "Fault"]  # shown as the text it is
    shape = page.evaluate("document.querySelector('.chart').data[0].line.shape")
    assert shape == "hv"
    assert utc.errors == []


def test_the_slot_picker_speaks_the_browser_zone(site: Site, berlin: Watched) -> None:
    """The owner's move form shows the slot in Berlin time and books the instant meant."""
    page = berlin.page
    sign_in(page, site, Role.OWNER)
    page.goto(f"{site.url}/jobs/{site.owner_job.id}/page")
    assert page.input_value("input[name=slot]") == "2025-11-28T11:00"  # 10:00 UTC
    assert page.locator("label:has(input[name=slot]) [data-zone]").inner_text() == "CET"
    page.click("button[value=confirm]")
    page.wait_for_selector("button[value=confirm]", state="detached")
    page.fill("input[name=slot]", "2025-11-28T15:00")
    page.click("button[value=move]")
    page.wait_for_function("document.querySelector('input[name=slot]').value.endsWith('15:00')")
    moved = site.jobs.get_job(site.owner_job.id)
    assert moved is not None
    assert moved.slot_start == SLOT + 5 * 3600  # 14:00 UTC
    shown = page.locator("time[datetime='2025-11-28T14:00:00Z']").first
    assert shown.inner_text() == "2025-11-28 15:00:00 CET"
    assert berlin.errors == []
