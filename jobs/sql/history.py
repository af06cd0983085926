"""A job's history: one ``job_events`` row per event and, in the same transaction, the webhook
outbox rows of that event (``jobs.sql.outbox``), so a crash never loses either."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.model import JobStatus
from jobs.network import HandoffKind, JobEvent
from jobs.sql import outbox, schema


def record(  # noqa: PLR0917 - one row's columns
    conn: Connection,
    job_id: int,
    at: float,
    action: str,
    before: JobStatus | None,
    after: JobStatus,
    note: str = "",
) -> None:
    """Append to the job's history (job_events) and, in the same transaction, the webhook
    outbox rows of this event (jobs.sql.outbox)."""
    values = {
        "job_id": job_id,
        "at": at,
        "action": action,
        "from_status": before.value if before else None,
        "to_status": after.value,
        "note": note[:1000],
    }
    conn.execute(sa.insert(schema.job_events).values(values))
    outbox.enqueue(conn, job_id, action, at)


def handoff(  # noqa: PLR0917 - one row's columns
    conn: Connection,
    job_id: int,
    at: float,
    kind: HandoffKind,
    workshop_id: int | None,
    reason: str = "",
) -> None:
    """Append one step to the job's hand-off history (``job_handoffs``)."""
    values = {
        "job_id": job_id,
        "at": at,
        "kind": kind.value,
        "workshop_id": workshop_id,
        "reason": reason[:1000],
    }
    conn.execute(sa.insert(schema.job_handoffs).values(values))


def events(conn: Connection, job_id: int) -> list[JobEvent]:
    """The job's history, oldest first (in the order it was written)."""
    table = schema.job_events
    query = sa.select(table).where(table.c.job_id == job_id).order_by(table.c.id)
    return [
        JobEvent(r.job_id, r.at, r.action, r.from_status, r.to_status, r.note)
        for r in conn.execute(query)
    ]
