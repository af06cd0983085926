"""Server-rendered pages, readable on a phone; charts by plotly.js from the installed package.

A person signs in with an API key (``api.routes.signin_routes``); the browser then holds only a
session id in an HttpOnly, SameSite=Strict cookie, which the JSON routes accept too (the charts
fetch their buckets with it). Every form that changes state carries the session's CSRF token
(``api.csrf``), checked on every POST here.
"""

from __future__ import annotations

import functools
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import dtcs, fleet, network_pages, network_views, service_book
from api import job_views as views
from api import presence_views as presence
from api import web_pages as pages
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
from api.html import Html
from api.keys import Role
from api.scope import OWNERS, Access, authenticate, scoped_job, visible_vin
from api.timerange import TimeRange, parse_instant
from api.vehicle_page import vehicle_page
from jobs import rerouting
from jobs.errors import SlotRefusedError
from jobs.lifecycle import TRANSITIONS
from jobs.model import Job, JobAction, JobStatus, Outcome

MAX_FORM_BYTES = 4096
STATIC = {
    "charts.js": "application/javascript",
    "pitstop.css": "text/css",
    "favicon.svg": "image/svg+xml",
    "service-book.js": "application/javascript",
}


def page_access(request: Request, stores: Annotated[Stores, Depends(get_stores)]) -> Access:
    """The caller of a page (a form's POST checks its CSRF token itself); else to sign in."""
    try:
        return authenticate(request, stores)
    except UnauthenticatedError as err:
        raise SignInRequiredError(str(err)) from err


PageAccess = Annotated[Access, Depends(page_access)]
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def home(access: PageAccess, telemetry: TelemetryDep, jobs: JobsDep) -> HTMLResponse:
    vehicles = fleet.list_vehicles(telemetry, jobs, access.sees_vin)
    visible = views.summaries(jobs, [j for j in jobs.list_jobs() if access.sees_job(j)])
    return HTMLResponse(pages.fleet_page(vehicles, visible, _links(access)))


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
    hours: Annotated[float, Query(gt=0, le=744)] = 1.0,
) -> HTMLResponse:
    visible_vin(access, vin)
    return HTMLResponse(vehicle_html(stores, access, vin, signal=signal, hours=hours))


def vehicle_html(
    stores: Stores,
    access: Access,
    vin: str,
    *,
    signal: list[str] | None = None,
    hours: float = 1.0,
    answer: AssistAnswer | None = None,
    text: str = "",
) -> Html:
    """The vehicle page (``vin`` already checked to be the caller's); an owner's page has the
    assistant's box, with ``answer`` to ``text`` when one was asked."""
    telemetry, jobs = stores.telemetry, stores.jobs
    detail = fleet.get_vehicle(telemetry, jobs, vin)
    shown = [s for s in signal or [] if s in detail.signals] or detail.signals[:2]
    now = stores.clock()
    visible = views.summaries(jobs, [j for j in jobs.list_jobs(vin=vin) if access.sees_job(j)])
    month = TimeRange(now - HISTORY_SPAN_S, now)
    codes = dtcs.history(telemetry, vin, month)
    span = (now - hours * 3600, now)
    status = presence.optional_status(telemetry, vin)
    events = presence.events(telemetry, vin, month, presence.PAGE_TYPES, 100)
    owner = access.role in OWNERS and stores.assistant is not None
    box = assist_box(vin, access.csrf, answer, text) if owner else None
    return vehicle_page(
        detail,
        shown=shown,
        span=span,
        jobs=visible,
        codes=codes,
        status=status,
        events=events,
        book=service_book.page_section(access, vin, jobs, now, stores.keys),
        assist=box,
    )


@router.get("/jobs/{job_id}/page")
def job(
    job: Annotated[Job, Depends(scoped_job)],
    access: PageAccess,
    jobs: JobsDep,
    stores: Annotated[Stores, Depends(get_stores)],
) -> HTMLResponse:
    detail = views.detail(jobs, job)
    followup = service_book.job_page_extras(access, job, jobs, stores.keys)
    rates = access.role in OWNERS and job.status is JobStatus.COMPLETED and detail.rating is None
    network = network_pages.job_network(detail, access.csrf, can_rate=rates)
    page = pages.job_page(
        detail, allowed_actions(access, job), access.csrf, network, followup=followup
    )
    return HTMLResponse(page)


@router.post("/jobs/{job_id}/page")
async def act(  # noqa: PLR0917 - FastAPI's dependencies
    request: Request,
    job_id: JobId,
    access: PageAccess,
    jobs: JobsDep,
    clock: ClockDep,
    policy: PolicyDep,
) -> Response:
    form = await read_form(request)
    if access.session is not None:  # signed by the cookie, not by a Bearer key
        check_form(request, access.session, form)
    job = scoped_job(job_id, access, jobs)
    action = form.get("action", "")
    if action not in allowed_actions(access, job):
        raise InvalidInputError(("body", "action"), f"you cannot {action!r} this job now", action)
    outcome = _outcome(form) if action == JobAction.COMPLETE else None
    slot = parse_instant(form.get("slot", ""), "slot") if action == JobAction.MOVE else None
    if action == JobAction.REJECT:
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidInputError(("body", "reason"), "say why you cannot take the job", "")
        rerouting.reject(jobs, job, clock(), reason, policy)
        return RedirectResponse("/", status_code=303)  # it is another workshop's job now
    try:
        jobs.act(job.id, JobAction(action), clock(), outcome=outcome, slot_start=slot)
    except SlotRefusedError as err:
        slots = network_views.free_slots(err.alternatives)
        page = network_pages.move_refused_page(
            views.detail(jobs, job), str(err), slots, access.csrf
        )
        return HTMLResponse(page, status_code=409)
    return RedirectResponse(f"/jobs/{job.id}/page", status_code=303)


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

# The actions each role takes on the job page, in the order of its buttons; which of them a job
# allows now is the lifecycle's to say. "move" is a form with the new slot, "complete" one with
# the outcome.
_ACTIONS: dict[Role, tuple[JobAction, ...]] = {
    Role.WORKSHOP: (JobAction.ACCEPT, JobAction.START, JobAction.COMPLETE, JobAction.REJECT),
    Role.OWNER: (JobAction.CONFIRM, JobAction.MOVE, JobAction.CANCEL),
}


def allowed_actions(access: Access, job: Job) -> list[str]:
    role = Role.OWNER if access.role in OWNERS else access.role
    return [a.value for a in _ACTIONS.get(role, ()) if job.status in TRANSITIONS[a][0]]


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
