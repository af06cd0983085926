"""The SQL job store (SQLAlchemy Core): SQLite embedded, PostgreSQL in production.

``SqlJobStore.open(url)`` connects, migrates to the newest schema with Alembic
(``jobs.sql.database``), and returns a store that is safe to use from several threads. "At most
one open job per (vin, rule_id)" is a partial unique index; ``open_job`` inserts and, when the
index refuses, returns the open job. Actions (``act``) are compare-and-set on the status and
leave a row in ``job_events`` (``jobs.sql.history``); a booked bay-hour is a ``reservations``
row whose primary key refuses a double booking (``jobs.sql.reserve``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from jobs.errors import JobStoreError, JobTransitionError
from jobs.model import (
    OPEN_STATUSES,
    Job,
    JobAction,
    JobDraft,
    JobStatus,
    OutboxItem,
    Outcome,
    Reservation,
    RuleOutcomes,
    Severity,
)
from jobs.sql import acting, amend, handoff, history, outbox, ratings, reserve, rows, schema
from jobs.sql.bookstore import SqlServiceBook
from jobs.sql.database import MIGRATIONS, open_migrated
from jobs.sql.directory import SqlDirectory
from jobs.sql.network import SqlNetwork

_OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
_OPEN_RETRIES = 5


class SqlJobStore(SqlServiceBook, SqlDirectory, SqlNetwork):
    """``jobs.store.JobStore`` and ``jobs.store.WebhookOutbox`` over SQLAlchemy Core (the
    service book and follow-ups are ``SqlServiceBook``'s, the directory of workshops, owners
    and vehicles ``SqlDirectory``'s, hand-offs and ratings ``SqlNetwork``'s)."""

    WHAT = "job store"
    PASSES_INTEGRITY_ERRORS = True

    @classmethod
    def open(cls, url: str) -> SqlJobStore:
        return cls(open_migrated(url, MIGRATIONS))

    def open_job(
        self,
        draft: JobDraft,
        workshop_id: int | None,
        now: float,
        *,
        due_at: float | None = None,
        comeback_of: int | None = None,
    ) -> tuple[Job, bool]:
        row: dict[str, Any] = {
            "vin": draft.vin,
            "rule_id": draft.rule_id,
            "title": draft.title,
            "severity": draft.severity,
            "status": JobStatus.PROPOSED.value,  # or confirmed, by the owner's policy
            "workshop_id": workshop_id,
            "fired_at": draft.fired_at,
            "created_at": now,
            "updated_at": now,
            "diagnosis": dict(draft.diagnosis),
            "evidence": dict(draft.evidence),
            "due_at": due_at,
            "comeback_of": comeback_of,
        }
        for _ in range(_OPEN_RETRIES):
            try:
                with self._begin() as conn:
                    if handoff.auto_confirms(conn, draft.vin):
                        row["status"] = JobStatus.CONFIRMED.value
                    job_id = conn.execute(
                        sa.insert(schema.jobs).values(row).returning(schema.jobs.c.id)
                    ).scalar_one()
                    history.record(conn, job_id, now, "open", None, JobStatus(row["status"]))
                return rows.job(dict(row, id=job_id)), True
            except IntegrityError:
                existing = self._open_job_for(draft.vin, draft.rule_id)
                if existing is not None:
                    return existing, False
                # The open job closed between our insert and our look; try again.
        raise JobStoreError(f"cannot open a job for {draft.vin} / {draft.rule_id}: contention")

    def get_job(self, job_id: int) -> Job | None:
        with self._begin() as conn:
            row = conn.execute(sa.select(schema.jobs).where(schema.jobs.c.id == job_id)).first()
        return rows.job(row._mapping) if row else None

    def list_jobs(
        self,
        *,
        vin: str | None = None,
        status: JobStatus | None = None,
        workshop_id: int | None = None,
    ) -> list[Job]:
        query = sa.select(schema.jobs)
        if vin is not None:
            query = query.where(schema.jobs.c.vin == vin)
        if status is not None:
            query = query.where(schema.jobs.c.status == JobStatus(status).value)
        if workshop_id is not None:
            query = query.where(schema.jobs.c.workshop_id == workshop_id)
        query = query.order_by(schema.jobs.c.created_at.desc(), schema.jobs.c.id.desc())
        with self._begin() as conn:
            return [rows.job(row._mapping) for row in conn.execute(query)]

    def act(
        self,
        job_id: int,
        action: JobAction,
        now: float,
        *,
        outcome: Outcome | None = None,
        slot_start: float | None = None,
        note: str = "",
    ) -> Job:
        for _ in range(_OPEN_RETRIES):
            try:
                with self._begin() as conn:
                    return acting.act(
                        conn, job_id, action, now, outcome=outcome, slot_start=slot_start, note=note
                    )
            except IntegrityError:
                continue  # another booking took the bay between our look and our insert
        raise JobTransitionError(f"cannot {action} job {job_id}: the slot is contended")

    def book(  # noqa: PLR0917 - a booking's parts
        self,
        job_id: int,
        workshop_id: int,
        slot_start: float,
        slot_end: float,
        now: float,
        reason: Mapping[str, Any] | None = None,
    ) -> Job | None:
        for _ in range(_OPEN_RETRIES):
            try:
                with self._begin() as conn:
                    slot = (slot_start, slot_end)
                    return reserve.book(conn, job_id, workshop_id, slot, now, reason)
            except IntegrityError:
                continue  # another worker took the bay after our look: look again
        return None

    def reservations(
        self, workshop_id: int | None, since: float, until: float
    ) -> list[Reservation]:
        with self._begin() as conn:
            return reserve.between(conn, workshop_id, since, until)

    def rule_outcomes(self) -> list[RuleOutcomes]:
        with self._begin() as conn:
            return reserve.rule_outcomes(conn, ratings.comebacks_by_rule(conn))

    def append_evidence(
        self,
        job_id: int,
        key: str,
        entry: Mapping[str, Any],
        *,
        severity: Severity | None = None,
        now: float,
    ) -> Job:
        with self._begin() as conn:
            return amend.append_evidence(conn, job_id, key, entry, severity=severity, now=now)

    def due_webhooks(self, now: float, limit: int = 100) -> list[OutboxItem]:
        with self._begin() as conn:
            return outbox.due(conn, now, limit)

    def webhook_delivered(self, item_id: int, now: float) -> None:
        with self._begin() as conn:
            outbox.delivered(conn, item_id, now)

    def webhook_failed(self, item_id: int, now: float, error: str, attempts: int) -> float:
        with self._begin() as conn:
            return outbox.failed(conn, item_id, now, error, attempts)

    def pending_webhooks(self) -> int:
        with self._begin() as conn:
            return outbox.pending_count(conn)

    def _open_job_for(self, vin: str, rule_id: str) -> Job | None:
        query = sa.select(schema.jobs).where(
            schema.jobs.c.vin == vin,
            schema.jobs.c.rule_id == rule_id,
            schema.jobs.c.status.in_(_OPEN),
        )
        with self._begin() as conn:
            row = conn.execute(query).first()
        return rows.job(row._mapping) if row else None
