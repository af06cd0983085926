"""The service network in the SQL job store: hand-offs (reject and re-offer in one commit,
escalations), ratings and each workshop's record. A mixin of ``jobs.sql.store.SqlJobStore``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from jobs.errors import JobTransitionError, RatingError
from jobs.model import OPEN_STATUSES, Job, JobStatus
from jobs.network import Handoff, JobEvent, Offer, Rating, WorkshopRecord
from jobs.sql import handoff, history, ratings, rows, schema
from jobs.sql.database import SqlStore

_OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
_RETRIES = 5


class SqlNetwork(SqlStore):
    """Hand-offs, escalations and ratings (see ``jobs.store.JobStore``)."""

    def reject(
        self, job_id: int, now: float, *, workshop_id: int, reason: str, offer: Offer | None
    ) -> Job:
        for _ in range(_RETRIES):
            try:
                with self._begin() as conn:
                    return handoff.reject(
                        conn, job_id, now, workshop_id=workshop_id, reason=reason, offer=offer
                    )
            except IntegrityError:
                continue  # another booking took the bay after our look: look again
        raise JobTransitionError(f"cannot reject job {job_id}: the next slot is contended")

    def escalate(self, job_id: int, now: float, reason: str) -> Job | None:
        with self._begin() as conn:
            return handoff.escalate(conn, job_id, now, reason)

    def handoffs(self, job_id: int) -> list[Handoff]:
        with self._begin() as conn:
            return handoff.handoffs(conn, job_id)

    def events(self, job_id: int) -> list[JobEvent]:
        with self._begin() as conn:
            return history.events(conn, job_id)

    def declined_by(self, job_id: int) -> set[int]:
        with self._begin() as conn:
            return handoff.declined_by(conn, job_id)

    def unbooked_jobs(self) -> list[Job]:
        jobs = schema.jobs
        query = (
            sa.select(jobs)
            .where(jobs.c.status.in_(_OPEN), jobs.c.slot_start.is_(None))
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        with self._begin() as conn:
            return [rows.job(row._mapping) for row in conn.execute(query)]

    def overdue_jobs(self, now: float) -> list[Job]:
        """Open jobs no workshop has accepted by their ``due_at``, not yet escalated."""
        jobs = schema.jobs
        waiting = (JobStatus.PROPOSED.value, JobStatus.CONFIRMED.value)
        query = (
            sa.select(jobs)
            .where(
                jobs.c.status.in_(waiting),
                jobs.c.due_at.is_not(None),
                jobs.c.due_at <= now,
                jobs.c.escalated_at.is_(None),
            )
            .order_by(jobs.c.due_at, jobs.c.id)
        )
        with self._begin() as conn:
            return [rows.job(row._mapping) for row in conn.execute(query)]

    def rate(self, rating: Rating) -> Rating:
        try:
            with self._begin() as conn:
                return ratings.rate(conn, rating)
        except IntegrityError as err:
            raise RatingError(f"job {rating.job_id} is rated already") from err

    def ratings(self, workshop_id: int | None = None) -> list[Rating]:
        with self._begin() as conn:
            return ratings.ratings(conn, workshop_id)

    def rating(self, job_id: int) -> Rating | None:
        with self._begin() as conn:
            return ratings.rating_of(conn, job_id)

    def workshop_records(self) -> list[WorkshopRecord]:
        with self._begin() as conn:
            return ratings.records(conn)
