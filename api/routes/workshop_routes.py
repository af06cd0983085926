from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import job_views as views
from api.deps import MAX_ID, JobsDep, PolicyDep, TimeRangeDep
from api.errors import NotFoundError
from api.schemas import Calendar, Workshop, problem
from api.scope import AccessDep

UNAVAILABLE = problem(503, "The job store is unavailable.")
NOT_FOUND = problem(404, "No such workshop, or not yours to see.")
WorkshopId = Annotated[int, Path(ge=1, le=MAX_ID, description="The workshop's id.")]

router = APIRouter(prefix="/workshops", tags=["workshops"], responses=UNAVAILABLE)


@router.get("", summary="Workshops")
def list_workshops(access: AccessDep, jobs: JobsDep, policy: PolicyDep) -> list[Workshop]:
    """The workshops you may see (a workshop's key: its own), own and partner, with skills,
    brands, high-voltage certification, bays, hours, and their standing: score (owners'
    ratings, Bayesian-averaged) and comeback rate."""
    shown = views.list_workshops(jobs, policy.prior_weight)
    return [w for w in shown if access.sees_workshop(w.id)]


@router.get("/{workshop_id}/calendar", summary="Calendar and capacity", responses=NOT_FOUND)
def calendar(
    workshop_id: WorkshopId, span: TimeRangeDep, access: AccessDep, jobs: JobsDep
) -> Calendar:
    """The workshop's open jobs with a slot in ``from``..``to`` (by default the last hour; ask
    for the coming week with ``to``), its bays and opening hours, open jobs without a slot, and
    its capacity: each opening hour in the range with its bays, those booked and those free."""
    workshop = next((w for w in jobs.workshops() if w.id == workshop_id), None)
    if workshop is None or not access.sees_workshop(workshop_id):
        raise NotFoundError(f"no workshop {workshop_id}")
    return views.calendar(jobs, workshop, span.start, span.end)
