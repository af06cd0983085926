"""Server-rendered pages: no script, nothing from elsewhere, readable on a phone."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api import fleet, pages
from api import jobs as views
from api.deps import JobsDep, TelemetryDep
from api.routes.jobs import JobId

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def home(telemetry: TelemetryDep, jobs: JobsDep) -> HTMLResponse:
    page = pages.fleet_page(fleet.list_vehicles(telemetry, jobs), views.list_jobs(jobs))
    return HTMLResponse(page)


@router.get("/jobs/{job_id}/page")
def job(job_id: JobId, jobs: JobsDep) -> HTMLResponse:
    return HTMLResponse(pages.job_page(views.get_job(jobs, job_id)))
