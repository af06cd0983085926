"""Every page, for every role that may see it, on a desktop (1280x900) and a phone (375x812), in
headless Chromium under the site's own CSP: no console error, no page error, no failed request
for the site's own assets, nothing wider than the screen, and no serious or critical violation
that axe-core finds; one full-page screenshot each, ``<page>-<role>-<desktop|phone>.png`` in
``$PITSTOP_SCREENSHOTS`` (default ``build/screenshots/``).

axe-core comes from the npm registry, installed once by ``make axe`` (a prerequisite of
``make test``) into ``.venv/axe``; the tests never fetch it. Without it the axe check is
skipped, or fails under CI (``CI=true``). It is loaded as a same-origin script that Playwright
answers from that file (the server never sees the request), so the page's CSP stays on: a page
that broke it would log the violation as a console error.

To add a page, add a row to ``PAGES``: its name, its address (from the ``Fleet``), the roles
that may open it and the status it answers with.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.open import open_store
from jobs.model import JobAction, Outcome
from jobs.open import open_job_store
from tests.servers import serving
from tests.web.conftest import NOW, SLOT, VIN, _draft, fill_jobs, fill_telemetry

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("PITSTOP_AXE_JS") or REPO / ".venv/axe/node_modules/axe-core/axe.min.js")
AXE_PATH = "/__axe-core.js"  # answered by Playwright from AXE, never by the server
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
BLOCKING = ("serious", "critical")
ANONYMOUS = "anonymous"
EVERYONE = (Role.ENGINEER, Role.WORKSHOP, Role.OWNER, Role.FLEET_MANAGER, Role.ADMIN)
CHART_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Fleet:
    """The served site and the ids its pages are addressed by."""

    url: str
    keys: dict[Role, str]
    workshop_id: int
    jobs: dict[str, int]  # a job of each status the lifecycle allows, by status


@dataclass(frozen=True)
class PageCase:
    name: str
    path: Callable[[Fleet], str]
    roles: tuple[Role | str, ...]
    status: int = 200
    charts: bool = False  # wait for plotly to draw before looking


def _job(status: str) -> Callable[[Fleet], str]:
    return lambda fleet: f"/jobs/{fleet.jobs[status]}/page"


PAGES = (
    PageCase("home", lambda f: "/", EVERYONE),
    PageCase(
        "vehicle",
        lambda f: f"/vehicles/{VIN}/page",
        (Role.ENGINEER, Role.OWNER, Role.FLEET_MANAGER, Role.ADMIN),
        charts=True,
    ),
    *(
        PageCase(f"job-{status}", _job(status), EVERYONE, charts=True)
        for status in ("proposed", "confirmed", "accepted", "in_service", "completed", "cancelled")
    ),
    PageCase(
        "service-book",
        lambda f: f"/vehicles/{VIN}/service-book/page",
        (Role.ENGINEER, Role.OWNER, Role.FLEET_MANAGER, Role.ADMIN),
    ),
    PageCase("network", lambda f: "/network/page", (Role.ENGINEER, Role.FLEET_MANAGER, Role.ADMIN)),
    PageCase(
        "calendar",
        lambda f: f"/workshops/{f.workshop_id}/calendar/page",
        (Role.WORKSHOP, Role.ENGINEER, Role.ADMIN),
    ),
    PageCase("rules", lambda f: "/rules/page", (Role.ENGINEER, Role.ADMIN)),
    PageCase(
        "rules-backtest", lambda f: f"/rules/page?rule=lv-battery-low&vin={VIN}", (Role.ENGINEER,)
    ),
    PageCase(
        "rules-bad-vin",
        lambda f: "/rules/page?rule=lv-battery-low&vin=NOTAVIN",
        (Role.ENGINEER,),
        status=422,
    ),
    PageCase("api", lambda f: "/api", (Role.ENGINEER, ANONYMOUS)),  # no role shapes it
    PageCase("signin", lambda f: "/signin", (ANONYMOUS,)),
    PageCase("error-404", lambda f: "/no-such-page", (*EVERYONE, ANONYMOUS), status=404),
    PageCase(
        "error-403",
        lambda f: "/rules/page",
        (Role.WORKSHOP, Role.OWNER, Role.FLEET_MANAGER),
        status=403,
    ),
)
CASES = [
    pytest.param(case, role, viewport, id=f"{case.name}-{_name}-{viewport}")
    for case in PAGES
    for role in case.roles
    for _name in [role.value if isinstance(role, Role) else role]
    for viewport in VIEWPORTS
]


def screenshots() -> Path:
    folder = Path(os.environ.get("PITSTOP_SCREENSHOTS") or REPO / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """One site for every page: the web tests' fleet, a key per role, a job of each status."""
    tmp = tmp_path_factory.mktemp("every-page")
    telemetry = open_store(f"sqlite:///{tmp / 'telemetry.db'}")
    jobs = open_job_store(f"sqlite:///{tmp / 'jobs.db'}")
    keys = KeyStore.open(f"sqlite:///{tmp / 'jobs.db'}")
    fill_telemetry(telemetry)
    workshop_id, owner_id, confirmed, proposed = fill_jobs(jobs)
    by_status = {"confirmed": confirmed.id, "proposed": proposed.id}
    steps = {
        "accepted": [JobAction.CONFIRM, JobAction.ACCEPT],
        "in_service": [JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START],
        "completed": [JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START, JobAction.COMPLETE],
        "cancelled": [JobAction.CANCEL],
    }
    for n, (status, actions) in enumerate(steps.items()):
        job, _ = jobs.open_job(_draft(f"page-{status}", f"A {status} job"), workshop_id, NOW - 9)
        slot = SLOT + 3600 * (2 + n)
        jobs.book(job.id, workshop_id, slot, slot + 3600, now=NOW - 8)
        for action in actions:
            outcome = Outcome.FIXED if action is JobAction.COMPLETE else None
            job = jobs.act(job.id, action, NOW - 7, outcome=outcome)
        assert job.status.value == status
        by_status[status] = job.id
    scopes: dict[Role, dict[str, Any]] = {
        Role.WORKSHOP: {"workshop_id": workshop_id},
        Role.OWNER: {"owner_id": owner_id},
        Role.FLEET_MANAGER: {"owner_id": owner_id},
    }
    secrets = {
        role: keys.create(role.value, role, NOW, **scopes.get(role, {}))[1] for role in EVERYONE
    }
    app = create_app(telemetry, jobs, clock=lambda: NOW, keys=keys)
    try:
        with serving(app, "uvicorn-every-page") as url:
            yield Fleet(url, secrets, workshop_id, by_status)
    finally:
        keys.close()
        jobs.close()
        telemetry.close()


@dataclass
class Watch:
    """What went wrong while one page loaded: console errors, page errors, failed requests."""

    origin: str
    document: str = ""
    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if where == self.document and "Failed to load resource" in message.text:
            return  # the page's own status (a 404 page is a 404): checked on its own
        self.problems.append(f"console error: {message.text} ({where})")

    def page_error(self, error: Exception) -> None:
        self.problems.append(f"page error: {error}")

    def failed(self, request: Request) -> None:
        if request.resource_type == "eventsource" and request.failure == "net::ERR_ABORTED":
            return  # a live stream cut when the check moves on; EventSource reconnects by itself
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def response(self, response: Response) -> None:
        url = response.url
        if url != self.document and url.startswith(self.origin) and response.status >= 400:
            self.problems.append(f"asset answered {response.status}: {url}")
        if not url.startswith(self.origin):
            self.problems.append(f"request to another origin: {url}")


@pytest.fixture(scope="module")
def signed_in(browser: Browser, fleet: Fleet) -> Iterator[Callable[[str, str], Page]]:
    """One signed-in browser context (and page) per role and viewport, made when first asked."""
    made: dict[tuple[str, str], Page] = {}
    opened: list[BrowserContext] = []

    def page_for(role: str, viewport: str) -> Page:
        if (role, viewport) not in made:
            context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
            opened.append(context)
            if AXE.exists():
                context.route(
                    f"{fleet.url}{AXE_PATH}",
                    lambda route: route.fulfill(
                        path=str(AXE), content_type="application/javascript"
                    ),
                )
            page = context.new_page()
            if role != ANONYMOUS:
                page.goto(fleet.url + "/signin")
                page.fill("input[name=key]", fleet.keys[Role(role)])
                page.click("button[type=submit]")
                page.wait_for_url(fleet.url + "/")
            made[role, viewport] = page
        return made[role, viewport]

    yield page_for
    for context in opened:
        context.close()


@pytest.mark.parametrize(("case", "role", "viewport"), CASES)
def test_every_page(
    case: PageCase,
    role: Role | str,
    viewport: str,
    fleet: Fleet,
    signed_in: Callable[[str, str], Page],
) -> None:
    who = role.value if isinstance(role, Role) else role
    page = signed_in(who, viewport)
    watch = Watch(fleet.url, fleet.url + case.path(fleet))
    handlers = (
        ("console", watch.console),
        ("pageerror", watch.page_error),
        ("requestfailed", watch.failed),
        ("response", watch.response),
    )
    for event, handler in handlers:
        page.on(event, handler)  # type: ignore[call-overload]
    try:
        answer = page.goto(watch.document)
        assert answer is not None
        assert answer.status == case.status, f"{watch.document} answered {answer.status}"
        if case.charts:  # charts.js fetches its buckets after the load: wait for them too
            page.wait_for_load_state("networkidle")
            for chart in page.locator(".chart").all():  # each drawn (no eval: the CSP)
                chart.locator(".main-svg").first.wait_for(timeout=CHART_TIMEOUT_MS)
        page.screenshot(
            path=str(screenshots() / f"{case.name}-{who}-{viewport}.png"), full_page=True
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{watch.document} is {overflow} px wider than the {viewport} screen"
        violations = axe_violations(page, fleet.url)
    finally:
        for event, handler in handlers:
            page.remove_listener(event, handler)
    assert not watch.problems, "\n".join(watch.problems)
    if violations is None:
        no_axe()
    assert not violations, f"{watch.document} ({viewport}):\n" + "\n".join(violations)


def no_axe() -> NoReturn:
    """Without axe-core: a skip here, a failure under CI (``CI=true``)."""
    missing = f"axe-core is not installed at {AXE} (run `make axe`)"
    if os.environ.get("CI") == "true":
        pytest.fail(missing)
    pytest.skip(missing)


def axe_violations(page: Page, origin: str) -> list[str] | None:
    """axe-core's serious and critical violations, one readable line per element; None when
    axe-core is not installed."""
    if not AXE.exists():
        return None
    page.add_script_tag(url=origin + AXE_PATH)
    found: list[dict[str, Any]] = page.evaluate(
        """async (blocking) => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.filter(v => blocking.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), why: n.failureSummary})),
            }));
        }""",
        list(BLOCKING),
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {node['target']}: "
        + " ".join(str(node["why"]).split())
        for v in found
        for node in v["nodes"]
    ]


def test_the_checks_can_fail(fleet: Fleet, signed_in: Callable[[str, str], Page]) -> None:
    """The yardstick itself: an image without a text and an inline script, put into a real
    page, are a serious axe violation and a CSP error in the console."""
    page = signed_in(ANONYMOUS, "desktop")
    watch = Watch(fleet.url, fleet.url + "/signin")
    page.on("console", watch.console)
    try:
        page.goto(watch.document)
        page.evaluate(
            """() => {
                const img = document.createElement("img");
                img.src = "/favicon.ico";
                document.querySelector("main").append(img);
                const script = document.createElement("script");
                script.textContent = "window.ran = true";
                document.body.append(script);
            }"""
        )
        page.wait_for_timeout(200)  # the console message arrives on its own
        violations = axe_violations(page, fleet.url)
    finally:
        page.remove_listener("console", watch.console)
    assert page.evaluate("window.ran === undefined")
    assert any("Content Security Policy" in p for p in watch.problems), watch.problems
    if violations is None:
        no_axe()
    assert any("image-alt" in v for v in violations), violations
