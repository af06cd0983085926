"""Server-rendered pages, readable on a phone; charts by plotly.js from the installed package.

A person signs in with an API key (``api.routes.signin_routes``); the browser then holds only a
session id in an HttpOnly, SameSite=Strict cookie, which the JSON routes accept too (the charts
fetch their buckets with it). Every form that changes state carries the session's CSRF token
(``api.csrf``), checked on every POST here.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import dtcs, fleet, network_pages, network_views, service_book
from api import job_views as views
from api import presence_views as presence
from api.apidoc import api_page
from api.assist_page import assist_box
from api.assist_schemas import AssistAnswer
from api.csrf import check_form
from api.deps import (
    HISTORY_SPAN_S,
    ClockDep,
    JobId,
    JobsDep,
    PolicyDep,
    Stores,
    TelemetryDep,
    Vin,
    get_stores,
)
from api.errors import InvalidInputError, NotFoundError, SignInRequiredError, UnauthenticatedError
from api.evidence_view import fired_signals
from api.fleet_page import Filters, Home, home_page
from api.html import SIGNED_IN, Html
from api.job_context import allowed_actions, badge_of, job_view
from api.job_page import job_page
from api.keys import Role
from api.scope import OWNERS, Access, authenticate, scoped_job, visible_vin
from api.signal_meta import vehicle_labels
from api.timerange import TimeRange, parse_instant, resolve_range
from api.vehicle_page import vehicle_page
from jobs import rerouting
from jobs.errors import SlotRefusedError
from jobs.model import OPEN_STATUSES, Job, JobAction, Outcome

MAX_FORM_BYTES = 4096
STATIC = {
    "charts.js": "application/javascript",
    "pitstop.css": "text/css",
    "favicon.svg": "image/svg+xml",
    "service-book.js": "application/javascript",
    "time.js": "application/javascript",
    "fleet.js": "application/javascript",
}


async def page_access(request: Request, stores: Annotated[Stores, Depends(get_stores)]) -> Access:
    """The caller of a page (a form's POST checks its CSRF token itself); else to sign in.

    It also names the caller for the nav's badge (``api.html.SIGNED_IN``). It is async so
    that the context variable it sets is the request's own, which the handler (run in a
    worker thread with a copy of that context) then sees."""
    try:
        access = await run_in_threadpool(authenticate, request, stores)
    except UnauthenticatedError as err:
        raise SignInRequiredError(str(err)) from err
    SIGNED_IN.set(await run_in_threadpool(badge_of, access, stores.jobs))
    return access


PageAccess = Annotated[Access, Depends(page_access)]
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def home(  # noqa: PLR0917 - FastAPI's parameters
    access: PageAccess,
    telemetry: TelemetryDep,
    jobs: JobsDep,
    health: str = "any",
    online: str = "any",
    q: Annotated[str, Query(max_length=64)] = "",
    done: str | None = None,
) -> HTMLResponse:
    """Workshops: their jobs; owners: their vehicles; fleet managers and engineers: the fleet,
    filtered by ``health``, ``online`` and ``q`` (part of a name or VIN)."""
    mine = [j for j in jobs.list_jobs() if access.sees_job(j)]
    shown = {j.vin for j in mine}
    names = {v.vin: v.label for v in jobs.vehicles() if v.label and v.vin in shown}
    if access.role is Role.WORKSHOP:
        found = views.summaries(jobs, mine)
        links = _links(access)
        home = Home(
            "Your jobs", None, found, links=links, names=names, done=done, vehicle_links=False
        )
    else:
        title = "Your vehicles" if access.role is Role.OWNER else "Fleet"
        home = Home(
            title,
            fleet.fleet_rows(telemetry, jobs, access.sees_vin),
            views.summaries(jobs, mine),
            Filters.of(health, online, q),
            _links(access),
            names,
            done,
        )
    return HTMLResponse(home_page(home))


def _links(access: Access) -> list[tuple[str, str]]:
    """The network's pages this caller may open."""
    links = []
    if access.role is Role.WORKSHOP and access.key.workshop_id is not None:
        links.append(("Our calendar", f"/workshops/{access.key.workshop_id}/calendar/page"))
    if access.role in {Role.ENGINEER, Role.ADMIN, Role.FLEET_MANAGER}:
        links.append(("Service network", "/network/page"))
    if access.role is Role.ENGINEER:
        links.append(("Rules and backtests", "/rules/page"))
    return links


@router.get("/vehicles/{vin}/page")
def vehicle(
    *,
    vin: Vin,
    access: PageAccess,
    stores: Annotated[Stores, Depends(get_stores)],
    signal: Annotated[list[str], Query(max_length=12)] = [],  # noqa: B006 (FastAPI copies it)
    hours: Annotated[float | None, Query(gt=0, le=744)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> HTMLResponse:
    """``?signal=..&from=..&to=..`` (epoch seconds or ISO 8601, UTC without an offset) is the
    view: a link reproduces it; ``hours`` (back from now) is the older form of a range."""
    visible_vin(access, vin)
    span = resolve_range(start, end, stores.clock(), (hours or 1.0) * 3600)
    return HTMLResponse(vehicle_html(stores, access, vin, signal=signal, span=span))


def vehicle_html(
    stores: Stores,
    access: Access,
    vin: str,
    *,
    signal: list[str] | None = None,
    span: TimeRange | None = None,
    answer: AssistAnswer | None = None,
    text: str = "",
) -> Html:
    """The vehicle page (``vin`` already checked to be the caller's) over ``span`` (by default
    the last hour), on the chosen signals, else on those of its newest job the caller sees (the
    signal that fired first), else on its first two; an owner's page has the assistant's box,
    with ``answer`` to ``text`` when one was asked."""
    telemetry, jobs = stores.telemetry, stores.jobs
    detail = fleet.get_vehicle(telemetry, jobs, vin)
    now = stores.clock()
    own_jobs = [j for j in jobs.list_jobs(vin=vin) if access.sees_job(j)]
    visible = views.summaries(jobs, own_jobs)
    shown = [s for s in signal or [] if s in detail.signals]
    shown = shown or _fired_signals(own_jobs, detail.signals) or detail.signals[:2]
    month = TimeRange(now - HISTORY_SPAN_S, now)
    codes = dtcs.history(telemetry, vin, month)
    status = presence.optional_status(telemetry, vin)
    events = presence.events(telemetry, vin, month, presence.PAGE_TYPES, 100)
    owner = access.role in OWNERS and stores.assistant is not None
    box = assist_box(vin, access.csrf, answer, text) if owner else None
    shown_span = span or TimeRange(now - 3600, now)
    return vehicle_page(
        detail,
        shown=shown,
        span=(shown_span.start, shown_span.end),
        now=now,
        labels=vehicle_labels(telemetry, vin, now),
        jobs=visible,
        codes=codes,
        status=status,
        events=events,
        book=service_book.page_section(access, vin, jobs, now, stores.keys),
        assist=box,
    )


def _fired_signals(jobs: list[Job], stored: list[str]) -> list[str]:
    """The signals of the newest open job (the one that fired first), that the car has."""
    open_jobs = sorted((j for j in jobs if j.status in OPEN_STATUSES), key=lambda j: -j.fired_at)
    for job in open_jobs:
        names = fired_signals(job.evidence)
        found = [s for s in names if s in stored]
        if found:
            return found[:4]
    return []


@router.get("/jobs/{job_id}/page")
def job(
    job: Annotated[Job, Depends(scoped_job)],
    access: PageAccess,
    stores: Annotated[Stores, Depends(get_stores)],
    done: str | None = None,
) -> HTMLResponse:
    return HTMLResponse(job_page(job_view(stores, access, job, done)))


@router.post("/jobs/{job_id}/page")
async def act(  # noqa: PLR0917 - FastAPI's dependencies
    request: Request,
    job_id: JobId,
    access: PageAccess,
    stores: Annotated[Stores, Depends(get_stores)],
    clock: ClockDep,
    policy: PolicyDep,
) -> Response:
    """One action from the job page, then back to the page with a message (Post/Redirect/Get);
    reject and cancel need a reason and the ticked confirmation."""
    form = await read_form(request)
    if access.session is not None:  # signed by the cookie, not by a Bearer key
        check_form(request, access.session, form)
    jobs = stores.jobs
    job = scoped_job(job_id, access, jobs)
    action = form.get("action", "")
    if action not in allowed_actions(access, job):
        raise InvalidInputError(("body", "action"), f"you cannot {action!r} this job now", action)
    outcome = _outcome(form) if action == JobAction.COMPLETE else None
    slot = parse_instant(form.get("slot", ""), "slot") if action == JobAction.MOVE else None
    note = form.get("note", "").strip()[:500] if action == JobAction.COMPLETE else ""
    if action in {JobAction.REJECT, JobAction.CANCEL}:
        try:
            note = _reason(form)
        except InvalidInputError as err:  # the page again, with the form and what is missing
            view = job_view(stores, access, job)
            page = job_page(replace(view, problem=f"Not done: {err}."))
            return HTMLResponse(page, status_code=422)
    if action == JobAction.REJECT:
        rerouting.reject(jobs, job, clock(), note, policy)
        return RedirectResponse("/?done=reject", status_code=303)  # another workshop's job now
    try:
        jobs.act(job.id, JobAction(action), clock(), outcome=outcome, slot_start=slot, note=note)
    except SlotRefusedError as err:
        slots = network_views.free_slots(err.alternatives)
        page = network_pages.move_refused_page(
            views.detail(jobs, job), str(err), slots, access.csrf
        )
        return HTMLResponse(page, status_code=409)
    return RedirectResponse(f"/jobs/{job.id}/page?done={action}", status_code=303)


def _reason(form: dict[str, str]) -> str:
    """A rejection's or a cancellation's reason, confirmed with the form's tick box."""
    reason = form.get("reason", "").strip()[:500]
    if not reason:
        raise InvalidInputError(("body", "reason"), "say why, in a few words", "")
    if form.get("confirm") != "yes":
        message = "tick the box to confirm: this cannot be undone"
        raise InvalidInputError(("body", "confirm"), message, form.get("confirm"))
    return reason


@router.get("/api")
def api_docs(request: Request) -> HTMLResponse:
    return HTMLResponse(api_page(request.app.openapi()))


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    return Response(_plotly(), media_type="application/javascript", headers=_CACHE)


@router.get("/favicon.ico")
def favicon() -> Response:
    """pitstop's icon (SVG; every current browser shows it, also under this name)."""
    return Response(_static("favicon.svg"), media_type="image/svg+xml", headers=_CACHE)


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC:
        raise NotFoundError(f"no static file {name!r}")
    return Response(_static(name), media_type=STATIC[name], headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=86400"}


def _outcome(form: dict[str, str]) -> Outcome:
    try:
        return Outcome(form.get("outcome", ""))
    except ValueError as err:
        choices = ", ".join(o.value for o in Outcome)
        message = f"choose an outcome: {choices}"
        raise InvalidInputError(("body", "outcome"), message, form.get("outcome")) from err


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInputError(("body", "form"), "the form is too large", len(body))
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


@functools.cache
def _plotly() -> str:
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    script: str = get_plotlyjs()
    return script


@functools.cache
def _static(name: str) -> bytes:
    from importlib.resources import files

    return files("api").joinpath("static", name).read_bytes()
