from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import jobs as views
from api.deps import JobsDep, OptionalVin
from api.schemas import JobDetail, JobSummary, problem
from rules.jobs import JobStatus

MAX_ID = 2**63 - 1
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="The job's id.")]
WorkshopId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this workshop's.")]
StatusFilter = Annotated[JobStatus | None, Query(description="Only jobs in this status.")]

UNAVAILABLE = problem(503, "The job store is unavailable.")
NOT_FOUND = problem(404, "No such job.")

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=UNAVAILABLE)


@router.get("", summary="Jobs, newest first")
def list_jobs(
    jobs: JobsDep,
    status: StatusFilter = None,
    vin: OptionalVin = None,
    workshop_id: WorkshopId = None,
) -> list[JobSummary]:
    """Jobs matching every filter given, newest first. Times are epoch seconds (UTC)."""
    return views.list_jobs(jobs, status=status, vin=vin, workshop_id=workshop_id)


@router.get("/{job_id}", summary="One job with its evidence", responses=NOT_FOUND)
def get_job(job_id: JobId, jobs: JobsDep) -> JobDetail:
    """The job, its diagnosis and its evidence: the trigger and the signal window around it
    (``{signal: [[ts, value], ...]}``, ts in epoch seconds, UTC)."""
    return views.get_job(jobs, job_id)
