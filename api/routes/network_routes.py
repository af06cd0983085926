"""The service network: owners rate completed jobs, workshops' ratings, and the network's
satisfaction report (importance-performance analysis)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api import network_views as network
from api.deps import MAX_ID, ClockDep, JobsDep
from api.errors import NotFoundError
from api.keys import Role
from api.network_schemas import RatingOut, RatingRequest, SatisfactionOut
from api.schemas import problem
from api.scope import OWNERS, AccessDep, scoped_job
from jobs.model import Job
from jobs.network import Rating

UNAVAILABLE = problem(503, "The job store is unavailable.")
REPORT_ROLES = frozenset({Role.ENGINEER, Role.FLEET_MANAGER})
WorkshopId = Annotated[int, Path(ge=1, le=MAX_ID, description="The workshop's id.")]
ScopedJob = Annotated[Job, Depends(scoped_job)]

router = APIRouter(tags=["network"], responses=UNAVAILABLE)
jobs_router = APIRouter(prefix="/jobs", tags=["jobs"], responses=UNAVAILABLE)


@jobs_router.post(
    "/{job_id}/rating",
    summary="Rate a completed job",
    responses={
        **problem(404, "No such job, or not yours to see."),
        **problem(403, "Only the owner or fleet manager rates a job."),
        **problem(409, "The job is not completed yet, or is rated already."),
    },
)
def rate_job(
    job: ScopedJob, body: RatingRequest, access: AccessDep, jobs: JobsDep, clock: ClockDep
) -> RatingOut:
    """The owner's marks (1-5) overall and per aspect, and a comment, once per completed job.
    They count towards the workshop's score, which steers the next bookings."""
    access.require(OWNERS, "rate a job")
    marks = body.model_dump()
    kept = jobs.rate(Rating(job_id=job.id, workshop_id=job.workshop_id or 0, at=clock(), **marks))
    rated = network.rating_out(kept)
    assert rated is not None  # a kept rating is never None
    return rated


@router.get(
    "/workshops/{workshop_id}/ratings",
    summary="A workshop's ratings",
    responses=problem(404, "No such workshop, or not yours to see."),
)
def workshop_ratings(workshop_id: WorkshopId, access: AccessDep, jobs: JobsDep) -> list[RatingOut]:
    """Every rating of the workshop's jobs, oldest first (a workshop's key: its own only)."""
    if not access.sees_workshop(workshop_id) or access.role in OWNERS:
        raise NotFoundError(f"no workshop {workshop_id}")
    if not any(w.id == workshop_id for w in jobs.workshops()):
        raise NotFoundError(f"no workshop {workshop_id}")
    return [network.rating_model(r) for r in jobs.ratings(workshop_id)]


@router.get(
    "/network/satisfaction",
    summary="The network's satisfaction report",
    responses=problem(403, "Only engineers, fleet managers and admins see the report."),
)
def satisfaction(access: AccessDep, jobs: JobsDep) -> SatisfactionOut:
    """Per aspect of the owners' ratings: the mean mark and its spread (performance) against
    its correlation with the overall mark (importance), in the quadrants of an
    importance-performance analysis; what matters most and scores worst comes first."""
    access.require(REPORT_ROLES, "see the satisfaction report")
    return network.satisfaction_report(jobs)
