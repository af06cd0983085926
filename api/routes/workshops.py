from __future__ import annotations

from fastapi import APIRouter

from api import jobs as views
from api.deps import JobsDep
from api.schemas import Workshop, problem

UNAVAILABLE = problem(503, "The job store is unavailable.")

router = APIRouter(prefix="/workshops", tags=["workshops"], responses=UNAVAILABLE)


@router.get("", summary="Workshops")
def list_workshops(jobs: JobsDep) -> list[Workshop]:
    """Every workshop jobs can be booked into, with the skills it offers."""
    return views.list_workshops(jobs)
