"""Jobs and workshops, as the API shows them: pure reads over the job store.

A job's diagnosis and evidence are JSON written by the rules; they are checked here, at the
seam, so that one malformed job shows what it can instead of failing the request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.errors import NotFoundError
from api.schemas import (
    Diagnosis,
    Evidence,
    JobDetail,
    JobSummary,
    PointPair,
    Trigger,
    Workshop,
    WorkshopRef,
)
from rules import jobs as store

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def list_jobs(
    jobs: store.JobStore,
    *,
    status: store.JobStatus | None = None,
    vin: str | None = None,
    workshop_id: int | None = None,
) -> list[JobSummary]:
    """Jobs matching every given filter, newest first."""
    refs = _workshop_refs(jobs)
    found = jobs.list_jobs(vin=vin, status=status, workshop_id=workshop_id)
    return [_summary(job, refs) for job in found]


def get_job(jobs: store.JobStore, job_id: int) -> JobDetail:
    job = jobs.get_job(job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    summary = _summary(job, _workshop_refs(jobs))
    return JobDetail(
        **summary.model_dump(),
        updated_at=job.updated_at,
        diagnosis=_checked(Diagnosis, job.diagnosis, job.id),
        evidence=_evidence(job.evidence, job.id),
    )


def list_workshops(jobs: store.JobStore) -> list[Workshop]:
    return [
        Workshop(id=w.id, name=w.name, location=w.location, skills=list(w.skills))
        for w in jobs.workshops()
    ]


def _workshop_refs(jobs: store.JobStore) -> dict[int, WorkshopRef]:
    return {w.id: WorkshopRef(id=w.id, name=w.name) for w in jobs.workshops()}


def _summary(job: store.Job, refs: Mapping[int, WorkshopRef]) -> JobSummary:
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
    )


def _evidence(raw: Mapping[str, Any], job_id: int) -> Evidence:
    trigger = raw.get("trigger")
    window = raw.get("window")
    return Evidence(
        trigger=_checked(Trigger, trigger, job_id) if isinstance(trigger, Mapping) else None,
        window=_window(window) if isinstance(window, Mapping) else {},
    )


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
