"""Names a car chose, in Chromium: a signal named like a path does not make the page fetch
another route (nor sign the viewer out), and one named like a link shows as text in its chart
title, with no link; and no page trips the Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage

from api.keys import Role
from pitstop.codec import Sample, TelemetryBatch
from tests.web.conftest import NOW, VIN, Site, Visit, sign_in

pytestmark = pytest.mark.integration

HOSTILE_VIN = "WPITSTOPWEB000666"
TRAVERSAL = "../../../signout?x="
LINK = '<a href="//evil">x</a>'
CHART_TIMEOUT_MS = 15_000


def blocking(text: str, url: str) -> bool:
    """A console error that matters: anything but the missing favicon."""
    return not url.endswith("/favicon.ico")


def test_hostile_signal_names_stay_text(site: Site, desktop: Visit) -> None:
    samples = tuple(
        Sample(name, NOW - 600 + 10 * i, float(i)) for name in (TRAVERSAL, LINK) for i in range(30)
    )
    site.telemetry.write_batch(TelemetryBatch(HOSTILE_VIN, 1, "profile-evil", samples))
    page = desktop.page
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and blocking(message.text, message.location.get("url", "")):
            problems.append(message.text)

    page.on("console", console)
    sign_in(page, site, Role.ENGINEER)
    page.goto(f"{site.url}/vehicles/{HOSTILE_VIN}/page")
    page.wait_for_selector(".chart[data-points] .main-svg", timeout=CHART_TIMEOUT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.chart[data-points]').length === 2", timeout=CHART_TIMEOUT_MS
    )
    paths = [urlsplit(url).path for url in desktop.requests]
    assert "/signout" not in paths
    assert all(not p.startswith("/signout") for p in paths), paths
    titles = page.locator("figure figcaption strong").all_inner_texts()  # the charts' titles
    assert sorted(titles) == sorted([TRAVERSAL, LINK])
    assert page.locator(".chart svg a").count() == 0  # no name made a link in a chart
    page.goto(site.url + "/")
    assert urlsplit(page.url).path == "/"  # still signed in
    desktop.assert_only_own_origin(site.url)
    assert not problems, problems


def test_no_page_trips_the_content_security_policy(site: Site, desktop: Visit) -> None:
    page = desktop.page
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and blocking(message.text, message.location.get("url", "")):
            violations.append(message.text)

    page.on("console", console)
    sign_in(page, site, Role.OWNER)
    for path in ("/", f"/vehicles/{VIN}/page", f"/jobs/{site.owner_job.id}/page", "/api"):
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        if "vehicles" in path or "jobs" in path:
            page.wait_for_selector(".chart .main-svg", timeout=CHART_TIMEOUT_MS)
    assert not violations, violations
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "960px"  # pitstop.css


def test_signing_out_takes_a_button_and_ends_the_session(site: Site, desktop: Visit) -> None:
    page = desktop.page
    sign_in(page, site, Role.OWNER)
    cookie = next(c for c in page.context.cookies() if c.get("name") == "pitstop_session")
    assert cookie.get("value") != site.keys[Role.OWNER]
    assert cookie.get("httpOnly") is True
    page.click("nav a:has-text('Sign out')")
    page.click("button:has-text('Sign out')")
    page.wait_for_url(site.url + "/signin")
    page.goto(site.url + "/")
    assert urlsplit(page.url).path == "/signin"
