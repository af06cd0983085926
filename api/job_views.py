"""Jobs and workshops, as the API shows them: pure reads over the job store.

A job's diagnosis and evidence are JSON written by the rules; they are checked here, at the
seam, so that one malformed job shows what it can instead of failing the request.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api import network_views as network
from api.network_schemas import Standing
from api.schemas import (
    Calendar,
    Diagnosis,
    Evidence,
    JobDetail,
    JobSummary,
    OpeningSpan,
    PointPair,
    RulePrecision,
    SlotCapacity,
    Trigger,
    Workshop,
    WorkshopRef,
)
from jobs.booking import candidate_slots
from jobs.model import OPEN_STATUSES, SLOT_S, Job, Outcome, Reservation
from jobs.model import Workshop as StoredWorkshop
from jobs.store import JobStore

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def summaries(jobs: JobStore, found: Iterable[Job]) -> list[JobSummary]:
    """The given jobs as the API shows them in lists."""
    refs = _workshop_refs(jobs)
    return [_summary(job, refs) for job in found]


def detail(jobs: JobStore, job: Job) -> JobDetail:
    """One job with its diagnosis and evidence package, its way through the network (why this
    workshop, who declined it) and the owner's rating."""
    summary = _summary(job, _workshop_refs(jobs))
    return JobDetail(
        **summary.model_dump(),
        updated_at=job.updated_at,
        diagnosis=_checked(Diagnosis, job.diagnosis, job.id),
        evidence=_evidence(job.evidence, job.id),
        booking_reason=network.reason_json(job.booking_reason),
        handoffs=network.handoffs(jobs, job),
        rating=network.rating_out(jobs.rating(job.id)),
    )


def list_workshops(jobs: JobStore, prior_weight: float = 5.0) -> list[Workshop]:
    """Every workshop, with its standing (score, comebacks) in the network."""
    ranked = network.standings(jobs, prior_weight)
    return [_workshop(w, ranked.get(w.id)) for w in jobs.workshops()]


def _workshop(w: StoredWorkshop, standing: Standing | None = None) -> Workshop:
    return Workshop(
        id=w.id,
        name=w.name,
        location=w.location,
        skills=list(w.skills),
        bays=w.bays,
        hours=[OpeningSpan(weekday=d, opens=o, closes=c) for d, o, c in w.hours],
        timezone=w.timezone,
        kind=w.kind,
        brands=list(w.brands),
        high_voltage=w.hv_certified,
        standing=standing,
    )


def _workshop_refs(jobs: JobStore) -> dict[int, WorkshopRef]:
    return {w.id: WorkshopRef(id=w.id, name=w.name) for w in jobs.workshops()}


def _summary(job: Job, refs: Mapping[int, WorkshopRef]) -> JobSummary:
    workshop = None
    if job.workshop_id is not None:
        workshop = refs.get(job.workshop_id) or WorkshopRef(
            id=job.workshop_id, name=f"workshop {job.workshop_id}"
        )
    return JobSummary(
        id=job.id,
        vin=job.vin,
        rule_id=job.rule_id,
        title=job.title,
        severity=job.severity,
        status=job.status,
        workshop=workshop,
        fired_at=job.fired_at,
        created_at=job.created_at,
        slot_start=job.slot_start,
        slot_end=job.slot_end,
        outcome=job.outcome,
        comeback_of=job.comeback_of,
        due_at=job.due_at,
        escalated_at=job.escalated_at,
    )


def _evidence(raw: Mapping[str, Any], job_id: int) -> Evidence:
    """The stored evidence, each part checked on its own: a part that does not fit is left
    out (and logged), the rest is still shown."""
    trigger = raw.get("trigger")
    window = raw.get("window")
    rest = {k: v for k, v in raw.items() if k not in ("trigger", "window") and _strict_json(v)}
    base = _checked(Evidence, rest, job_id)
    return base.model_copy(
        update={
            "trigger": _checked(Trigger, trigger, job_id) if isinstance(trigger, Mapping) else None,
            "window": _window(window) if isinstance(window, Mapping) else {},
        }
    )


def _strict_json(value: object) -> bool:
    """Whether ``value`` is JSON a client can read (no NaN or infinity), as a response must be."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _window(raw: Mapping[str, Any]) -> dict[str, list[PointPair]]:
    """Signal -> [ts, value] pairs; anything that is not a pair of finite numbers is left out."""
    return {str(name): _pairs(points) for name, points in raw.items() if isinstance(points, list)}


def _pairs(points: list[Any]) -> list[PointPair]:
    pairs: list[PointPair] = []
    for point in points:
        if isinstance(point, list | tuple) and len(point) == 2 and all(map(_finite, point)):
            pairs.append((float(point[0]), float(point[1])))
    return pairs


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _checked(model: type[M], raw: Mapping[str, Any], job_id: int) -> M:
    try:
        return model.model_validate(dict(raw))
    except ValidationError as err:
        log.warning("job %d: its %s does not fit the schema: %s", job_id, model.__name__, err)
        return model()


def calendar(jobs: JobStore, workshop: StoredWorkshop, start: float, end: float) -> Calendar:
    booked = [job for job in jobs.list_jobs(workshop_id=workshop.id) if job.status in OPEN_STATUSES]
    slotted = sorted(
        (j for j in booked if j.slot_start is not None and start <= j.slot_start < end),
        key=lambda j: j.slot_start or 0.0,
    )
    unscheduled = [j for j in booked if j.slot_start is None]
    return Calendar(
        workshop=_workshop(workshop),
        bookings=summaries(jobs, slotted),
        unscheduled=summaries(jobs, unscheduled),
        capacity=capacity(workshop, jobs.reservations(workshop.id, start, end), start, end),
    )


def capacity(
    workshop: StoredWorkshop, taken: Iterable[Reservation], start: float, end: float
) -> list[SlotCapacity]:
    """Each opening hour starting in [start, end) with its bays, those reserved and those free."""
    booked = Counter(r.slot_start for r in taken)
    return [
        SlotCapacity(
            start=slot,
            end=slot_end,
            bays=workshop.bays,
            booked=booked[slot],
            free=max(workshop.bays - booked[slot], 0),
        )
        for slot, slot_end in candidate_slots(workshop, start, end, SLOT_S)
    ]


def precision(found: Iterable[Job]) -> list[RulePrecision]:
    """Per rule: its jobs, how they ended, and how many of its fixes came back (a comeback
    job points at the fixed one); a fix that came back does not count as right."""
    jobs = list(found)
    came_back = {job.comeback_of for job in jobs if job.comeback_of is not None}
    counts: dict[str, Counter[str]] = {}
    for job in jobs:
        tally = counts.setdefault(job.rule_id, Counter())
        tally["jobs"] += 1
        if job.outcome is not None:
            tally[job.outcome.value] += 1
        if job.outcome is Outcome.FIXED and job.id in came_back:
            tally["comebacks"] += 1
    result = []
    for rule_id, tally in sorted(counts.items()):
        fixed, nff = tally[Outcome.FIXED.value], tally[Outcome.NO_FAULT_FOUND.value]
        result.append(
            RulePrecision(
                rule_id=rule_id,
                jobs=tally["jobs"],
                fixed=fixed,
                no_fault_found=nff,
                comebacks=tally["comebacks"],
                precision=(fixed - tally["comebacks"]) / (fixed + nff) if fixed + nff else None,
            )
        )
    return result
