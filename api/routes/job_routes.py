from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from api import job_views as views
from api.deps import MAX_ID, ClockDep, JobsDep, OptionalVin, PolicyDep
from api.errors import InvalidInputError
from api.keys import Role
from api.network_schemas import SlotRefused
from api.schemas import ActionRequest, JobDetail, JobSummary, problem
from api.scope import OWNERS, AccessDep, scoped_job
from api.timerange import instant_query, parse_instant
from jobs import rerouting
from jobs.model import Job, JobAction, JobStatus

WorkshopId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this workshop's.")]
StatusFilter = Annotated[JobStatus | None, Query(description="Only jobs in this status.")]
Since = Annotated[
    str | None, instant_query("from", "Only jobs booked (or, unbooked, opened) from.")
]
Until = Annotated[str | None, instant_query("to", "... and before.")]
ScopedJob = Annotated[Job, Depends(scoped_job)]

UNAVAILABLE = problem(503, "The job store is unavailable.")
NOT_FOUND = problem(404, "No such job, or not yours to see.")
ACTION_ERRORS = {
    **NOT_FOUND,
    **problem(403, "Your role may not take this action."),
    **problem(409, "The job's status does not allow this action now."),
}
ACTION_ERRORS[409] = {
    "model": SlotRefused,
    "description": "The job's status does not allow this action now, or (move) the slot does "
    "not fit the workshop's calendar: then 'alternatives' lists free slots it could take.",
}
WORKSHOP_ACTIONS = frozenset(
    {JobAction.ACCEPT, JobAction.REJECT, JobAction.START, JobAction.COMPLETE}
)

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=UNAVAILABLE)


@router.get("", summary="The job queue, newest first")
def list_jobs(
    *,
    access: AccessDep,
    jobs: JobsDep,
    status: StatusFilter = None,
    vin: OptionalVin = None,
    workshop_id: WorkshopId = None,
    since: Since = None,
    until: Until = None,
) -> list[JobSummary]:
    """The jobs you may see matching every filter given, newest first. ``from``/``to`` filter
    on the booked slot's start (or, for a job without a slot, when it was opened)."""
    start = None if since is None else parse_instant(since, "from")
    end = None if until is None else parse_instant(until, "to")
    found = [
        job
        for job in jobs.list_jobs(status=status, vin=vin, workshop_id=workshop_id)
        if access.sees_job(job) and _within(job, start, end)
    ]
    return views.summaries(jobs, found)


@router.get("/{job_id}", summary="One job with its evidence", responses=NOT_FOUND)
def get_job(job: ScopedJob, jobs: JobsDep) -> JobDetail:
    """The job, its diagnosis and its evidence: the trigger and the signal window around it
    (``{signal: [[ts, value], ...]}``, ts in epoch seconds, UTC)."""
    return views.detail(jobs, job)


@router.post("/{job_id}/{action}", summary="Act on a job", responses=ACTION_ERRORS)
def act(
    *,
    job: ScopedJob,
    action: JobAction,
    access: AccessDep,
    jobs: JobsDep,
    clock: ClockDep,
    policy: PolicyDep,
    body: Annotated[ActionRequest | None, Body()] = None,
) -> JobDetail:
    """Owners and fleet managers ``confirm``, ``move`` (with ``slot_start``: on the hour,
    inside opening hours, not past, with a bay free for the job's labour time; else 409 with
    free ``alternatives``) or ``cancel``; the job's workshop ``accept``s, ``reject``s (with the
    reason in ``note``: the job is re-offered at once to the next qualified workshop that has
    not declined it), ``start``s and ``complete``s it (with an ``outcome``: ``fixed`` or
    ``no_fault_found``). Returns the job as it is afterwards."""
    request = body or ActionRequest()
    who = frozenset({Role.WORKSHOP}) if action in WORKSHOP_ACTIONS else OWNERS
    access.require(who, f"{action.value} a job")
    if action is JobAction.REJECT:
        if not request.note.strip():
            message = "reject needs the reason in 'note'"
            raise InvalidInputError(("body", "note"), message, request.note)
        return views.detail(jobs, rerouting.reject(jobs, job, clock(), request.note, policy))
    done = jobs.act(
        job.id,
        action,
        clock(),
        outcome=request.outcome,
        slot_start=request.slot_start,
        note=request.note,
    )
    return views.detail(jobs, done)


def _within(job: Job, start: float | None, end: float | None) -> bool:
    when = job.slot_start if job.slot_start is not None else job.created_at
    return (start is None or when >= start) and (end is None or when < end)
