"""The service network as the API shows it: pure reads over the job store (standings,
hand-offs, ratings, the satisfaction report)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from api.network_schemas import (
    AspectOut,
    FreeSlot,
    HandoffOut,
    RatingOut,
    SatisfactionOut,
    Standing,
)
from jobs import ranking, satisfaction
from jobs.model import Job
from jobs.network import Rating
from jobs.store import JobStore


def standings(jobs: JobStore, prior_weight: float) -> dict[int, Standing]:
    return {
        w: Standing(
            score=round(s.score, 3),
            ratings=s.ratings,
            comeback_rate=round(s.comeback_rate, 4),
            fixed=s.fixed,
            comebacks=s.comebacks,
        )
        for w, s in ranking.standings(jobs.workshop_records(), prior_weight).items()
    }


def handoffs(jobs: JobStore, job: Job) -> list[HandoffOut]:
    names = {w.id: w.name for w in jobs.workshops()}
    return [
        HandoffOut(
            at=h.at,
            kind=h.kind.value,
            workshop_id=h.workshop_id,
            workshop=names.get(h.workshop_id) if h.workshop_id is not None else None,
            reason=h.reason,
        )
        for h in jobs.handoffs(job.id)
    ]


def rating_out(rating: Rating | None) -> RatingOut | None:
    return None if rating is None else rating_model(rating)


def rating_model(rating: Rating) -> RatingOut:
    return RatingOut(
        job_id=rating.job_id,
        workshop_id=rating.workshop_id,
        at=rating.at,
        overall=rating.overall,
        quality=rating.quality,
        speed=rating.speed,
        price=rating.price,
        communication=rating.communication,
        reception=rating.reception,
        comment=rating.comment,
    )


def reason_json(reason: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored booking reason, if it is JSON a client can read."""
    if reason is None:
        return None
    try:
        return dict(json.loads(json.dumps(dict(reason), allow_nan=False)))
    except (TypeError, ValueError):
        return None


def free_slots(alternatives: tuple[tuple[float, float], ...]) -> list[FreeSlot]:
    return [FreeSlot(start=start, end=end) for start, end in alternatives]


def satisfaction_report(jobs: JobStore) -> SatisfactionOut:
    found = satisfaction.report(jobs.ratings())
    return SatisfactionOut(
        ratings=found.ratings,
        overall_mean=found.overall_mean,
        aspects=[
            AspectOut(
                aspect=a.aspect,
                ratings=a.ratings,
                mean=a.mean,
                spread=a.spread,
                importance=a.importance,
                quadrant=a.quadrant,
                priority=a.priority,
            )
            for a in found.aspects
        ],
    )
