"""What the job page and the nav's badge show a caller, gathered from the stores: the values
``api.job_page`` and ``api.html.document`` build from (the routes stay three lines long)."""

from __future__ import annotations

from api import job_timeline as timeline
from api import job_views as views
from api import network_pages, service_book, words
from api.deps import Stores
from api.evidence_view import evidence_view
from api.html import Badge
from api.job_page import JobView
from api.keys import Role
from api.scope import OWNERS, Access
from jobs.audit import MAX_LIMIT, AuditEntry, AuditQuery
from jobs.lifecycle import TRANSITIONS
from jobs.model import Job, JobAction, JobStatus
from jobs.network import JobEvent
from jobs.store import JobStore


def badge_of(access: Access, jobs: JobStore) -> Badge:
    """Who the key speaks for: its workshop, its owner or fleet, else the key's own name."""
    key = access.key
    name = key.name
    if access.role is Role.WORKSHOP:
        name = next((w.name for w in jobs.workshops() if w.id == key.workshop_id), name)
    elif access.role in OWNERS and key.owner_id is not None:
        name = next((o.name for o in jobs.owners() if o.id == key.owner_id), name)
    return words.badge(access.role, name)


def _audited(stores: Stores, job: Job, events: list[JobEvent]) -> list[AuditEntry]:
    """The audit log's requests on this job while its events happened (none when the server
    keeps no log): those on the job's routes, whatever their action's path parameter."""
    if stores.audit is None or not events:
        return []
    query = AuditQuery(
        since=events[0].at - 1.0,
        until=events[-1].at + timeline.AUDIT_LAG_S,
        action="POST /jobs/{job_id}/",
        limit=MAX_LIMIT,
    )
    mine = (f"job {job.id}", f"job {job.id},")
    return [
        e
        for e in stores.audit.entries(query)
        if e.target == mine[0] or e.target.startswith(mine[1])
    ]


def job_view(stores: Stores, access: Access, job: Job, done: str | None = None) -> JobView:
    """What the job page shows this caller: owners the plain words, workshops and engineers
    the evidence, fleet managers both; everyone the timeline."""
    jobs = stores.jobs
    detail = views.detail(jobs, job)
    events = jobs.events(job.id)
    followup = service_book.job_page_extras(access, job, jobs, stores.keys)
    rates = access.role in OWNERS and job.status is JobStatus.COMPLETED and detail.rating is None
    vehicle = jobs.vehicle(job.vin)
    charts = evidence_view(stores, access, job)
    place = next((w for w in views.list_workshops(jobs) if w.id == job.workshop_id), None)
    return JobView(
        job=detail,
        actions=allowed_actions(access, job),
        csrf=access.csrf,
        plain=access.role in OWNERS,
        technical=access.role is not Role.OWNER,
        steps=timeline.attribute(
            timeline.steps(
                events,
                detail.handoffs,
                _owner(jobs, job),
                job.outcome,
                place.name if place is not None else "the workshop",
            ),
            _audited(stores, job, events),
        ),
        place=place,
        vehicle_name=vehicle.label if vehicle else "",
        vehicle_link=access.sees_vin(job.vin),
        done=done,
        network=network_pages.job_network(detail, access.csrf, can_rate=rates),
        followup=followup,
        levels=charts["levels"],
        labels=charts["labels"],
        evidence_link=charts["vehicle_link"],
    )


def _owner(jobs: JobStore, job: Job) -> tuple[str, str]:
    """(role, name) of whoever confirms, moves and cancels this vehicle's jobs."""
    vehicle = jobs.vehicle(job.vin)
    owner = next((o for o in jobs.owners() if vehicle and o.id == vehicle.owner_id), None)
    if owner is None:
        return ("Owner", "the owner")
    return ("Fleet manager" if owner.kind == "fleet" else "Owner", owner.name)


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
