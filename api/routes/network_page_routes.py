"""The service network's pages: a workshop's calendar (by day or week), the network with its
satisfaction report, and the owner's rating form of a completed job (CSRF-checked)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import job_views as views
from api import network_pages as pages
from api import network_views as network
from api.csrf import check_form
from api.deps import ClockDep, JobId, JobsDep, PolicyDep
from api.errors import InvalidInputError, NotFoundError
from api.routes.network_routes import REPORT_ROLES, WorkshopId
from api.routes.page_routes import PageAccess, read_form
from api.scope import OWNERS, scoped_job
from jobs.network import ASPECTS, Rating

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
DAY_S = 86400.0


@router.get("/workshops/{workshop_id}/calendar/page")
def calendar(
    *,
    workshop_id: WorkshopId,
    access: PageAccess,
    jobs: JobsDep,
    clock: ClockDep,
    view: Annotated[Literal["day", "week"], Query()] = "week",
    start: Annotated[date | None, Query(description="The day (or a day of the week).")] = None,
) -> HTMLResponse:
    workshop = next((w for w in jobs.workshops() if w.id == workshop_id), None)
    if workshop is None or not access.sees_workshop(workshop_id) or access.role in OWNERS:
        raise NotFoundError(f"no workshop {workshop_id}")
    today = start or datetime.fromtimestamp(clock(), UTC).date()
    first = today - timedelta(days=today.weekday()) if view == "week" else today
    count = 7 if view == "week" else 1
    begin = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    days = [begin + i * DAY_S for i in range(count)]
    shown = views.calendar(jobs, workshop, begin, begin + count * DAY_S)
    step = timedelta(days=count)
    href = f"/workshops/{workshop_id}/calendar/page?"
    other = "day" if view == "week" else "week"
    links = [
        ("< earlier", href + urlencode({"view": view, "start": (first - step).isoformat()})),
        (f"by {other}", href + urlencode({"view": other, "start": first.isoformat()})),
        ("later >", href + urlencode({"view": view, "start": (first + step).isoformat()})),
    ]
    page = pages.calendar_page(
        shown.workshop, days, shown.capacity, shown.bookings, shown.unscheduled, links
    )
    return HTMLResponse(page)


@router.get("/network/page")
def network_page(access: PageAccess, jobs: JobsDep, policy: PolicyDep) -> HTMLResponse:
    access.require(REPORT_ROLES, "see the service network")
    workshops = views.list_workshops(jobs, policy.prior_weight)
    return HTMLResponse(pages.network_page(workshops, network.satisfaction_report(jobs)))


@router.post("/jobs/{job_id}/rating/page")
async def rate(
    request: Request, job_id: JobId, access: PageAccess, jobs: JobsDep, clock: ClockDep
) -> Response:
    form = await read_form(request)
    if access.session is not None:
        check_form(request, access.session, form)
    job = scoped_job(job_id, access, jobs)
    access.require(OWNERS, "rate a job")
    marks = {name: _mark(form, name) for name in ("overall", *ASPECTS)}
    comment = form.get("comment", "")[:2000]
    jobs.rate(Rating(job.id, job.workshop_id or 0, clock(), comment=comment, **marks))
    return RedirectResponse(f"/jobs/{job.id}/page", status_code=303)


def _mark(form: dict[str, str], name: str) -> int:
    value = form.get(name, "")
    if value not in {"1", "2", "3", "4", "5"}:
        raise InvalidInputError(("body", name), f"{name}: choose a mark from 1 to 5", value)
    return int(value)
