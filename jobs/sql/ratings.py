"""Owners' ratings of completed jobs and each workshop's record (ratings, fixes, comebacks),
inside the caller's transaction."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.errors import JobStoreError, RatingError
from jobs.model import JobStatus, Outcome
from jobs.network import ASPECTS, MAX_MARK, MIN_MARK, Rating, WorkshopRecord
from jobs.sql import schema


def rate(conn: Connection, rating: Rating) -> Rating:
    """Keep the owner's rating of a completed job (once); ``RatingError`` if it cannot be."""
    for aspect in ("overall", *ASPECTS):
        mark = rating.mark(aspect)
        if not MIN_MARK <= mark <= MAX_MARK:
            raise RatingError(f"{aspect} must be {MIN_MARK} to {MAX_MARK}, not {mark}")
    jobs = schema.jobs
    job = conn.execute(sa.select(jobs).where(jobs.c.id == rating.job_id)).first()
    if job is None:
        raise JobStoreError(f"there is no job {rating.job_id}")
    if JobStatus(job.status) is not JobStatus.COMPLETED or job.workshop_id is None:
        raise RatingError(f"job {rating.job_id} is {job.status}: only a completed job is rated")
    values = {
        "job_id": rating.job_id,
        "workshop_id": job.workshop_id,
        "at": rating.at,
        "comment": rating.comment[:2000],
        **{aspect: rating.mark(aspect) for aspect in ("overall", *ASPECTS)},
    }
    if rating_of(conn, rating.job_id) is not None:
        raise RatingError(f"job {rating.job_id} is rated already")
    conn.execute(sa.insert(schema.ratings).values(values))  # a racing twin: IntegrityError
    return replace(rating, workshop_id=int(job.workshop_id), comment=rating.comment[:2000])


def ratings(conn: Connection, workshop_id: int | None = None) -> list[Rating]:
    table = schema.ratings
    query = sa.select(table).order_by(table.c.at, table.c.job_id)
    if workshop_id is not None:
        query = query.where(table.c.workshop_id == workshop_id)
    return [
        Rating(
            job_id=r.job_id,
            workshop_id=r.workshop_id,
            at=r.at,
            overall=r.overall,
            quality=r.quality,
            speed=r.speed,
            price=r.price,
            communication=r.communication,
            reception=r.reception,
            comment=r.comment,
        )
        for r in conn.execute(query)
    ]


def rating_of(conn: Connection, job_id: int) -> Rating | None:
    table = schema.ratings
    row = conn.execute(sa.select(table.c.job_id).where(table.c.job_id == job_id)).first()
    if row is None:
        return None
    return next(r for r in ratings(conn, _workshop_of(conn, job_id)) if r.job_id == job_id)


def _workshop_of(conn: Connection, job_id: int) -> int | None:
    table = schema.ratings
    found = conn.execute(sa.select(table.c.workshop_id).where(table.c.job_id == job_id)).scalar()
    return int(found) if found is not None else None


def records(conn: Connection) -> list[WorkshopRecord]:
    """Every workshop's ratings, fixes and comebacks, by workshop id."""
    jobs, marks = schema.jobs, schema.ratings
    rated = {
        int(w): (int(n), float(total or 0))
        for w, n, total in conn.execute(
            sa.select(marks.c.workshop_id, sa.func.count(), sa.func.sum(marks.c.overall)).group_by(
                marks.c.workshop_id
            )
        )
    }
    fixed = {
        int(w): int(n)
        for w, n in conn.execute(
            sa.select(jobs.c.workshop_id, sa.func.count())
            .where(
                jobs.c.status == JobStatus.COMPLETED.value,
                jobs.c.outcome == Outcome.FIXED.value,
                jobs.c.workshop_id.is_not(None),
            )
            .group_by(jobs.c.workshop_id)
        )
    }
    back = jobs.alias("back")
    comebacks = {
        int(w): int(n)
        for w, n in conn.execute(
            sa.select(jobs.c.workshop_id, sa.func.count(sa.distinct(jobs.c.id)))
            .select_from(jobs.join(back, back.c.comeback_of == jobs.c.id))
            .where(jobs.c.workshop_id.is_not(None))
            .group_by(jobs.c.workshop_id)
        )
    }
    ids = sorted(int(w) for w in conn.execute(sa.select(schema.workshops.c.id)).scalars())
    return [
        WorkshopRecord(
            workshop_id=w,
            ratings=rated.get(w, (0, 0.0))[0],
            overall_sum=rated.get(w, (0, 0.0))[1],
            fixed=fixed.get(w, 0),
            comebacks=comebacks.get(w, 0),
        )
        for w in ids
    ]


def comebacks_by_rule(conn: Connection) -> dict[str, int]:
    """Per rule: how many of its jobs closed "fixed" came back."""
    jobs = schema.jobs
    back = jobs.alias("back")
    query = (
        sa.select(jobs.c.rule_id, sa.func.count(sa.distinct(jobs.c.id)))
        .select_from(jobs.join(back, back.c.comeback_of == jobs.c.id))
        .where(jobs.c.outcome == Outcome.FIXED.value)
        .group_by(jobs.c.rule_id)
    )
    return {str(rule): int(n) for rule, n in conn.execute(query)}
