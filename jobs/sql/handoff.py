"""Hand-offs between workshops inside one transaction: a rejection (with its reason) and the
re-offer to the next workshop are one commit, so a crash between them cannot lose the job or
book it twice; an escalation is a compare-and-set on ``escalated_at`` with its webhook in the
same commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs import lifecycle
from jobs.errors import JobStoreError, JobTransitionError, SlotRefusedError
from jobs.model import OPEN_STATUSES, Job, JobAction, JobStatus
from jobs.network import Handoff, HandoffKind, Offer
from jobs.sql import history, rows, schema
from jobs.sql.reserve import reserve_in_transaction


def auto_confirms(conn: Connection, vin: str) -> bool:
    """Whether the vehicle's owner confirms bookings by policy (a fleet)."""
    query = (
        sa.select(schema.owners.c.auto_confirm)
        .select_from(schema.vehicles.join(schema.owners))
        .where(schema.vehicles.c.vin == vin)
    )
    return bool(conn.execute(query).scalar())


def reject(
    conn: Connection,
    job_id: int,
    now: float,
    *,
    workshop_id: int,
    reason: str,
    offer: Offer | None,
) -> Job:
    """The job's workshop declines it (``reason`` required); it goes to ``offer`` at once, or,
    with none, waits unplaced (open, no workshop) for the booking sweep."""
    jobs = schema.jobs
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id).with_for_update()).first()
    if row is None:
        raise JobStoreError(f"there is no job {job_id}")
    current = JobStatus(row.status)
    lifecycle.next_status(current, JobAction.REJECT)
    if not reason.strip():
        raise JobTransitionError("reject needs a reason")
    if row.workshop_id != workshop_id:
        raise JobTransitionError(f"job {job_id} is not at workshop {workshop_id} (any more)")
    if offer is not None and offer.workshop_id == workshop_id:
        raise JobTransitionError("a declined job is not offered to the workshop that declined it")
    history.record(conn, job_id, now, JobAction.REJECT.value, current, current, reason)
    history.handoff(conn, job_id, now, HandoffKind.DECLINED, workshop_id, reason)
    conn.execute(sa.delete(schema.reservations).where(schema.reservations.c.job_id == job_id))
    target = JobStatus.CONFIRMED if auto_confirms(conn, row.vin) else JobStatus.PROPOSED
    values: dict[str, Any] = {
        "status": target.value,
        "updated_at": float(now),
        "workshop_id": None,
        "bay": None,
        "slot_start": None,
        "slot_end": None,
    }
    if offer is not None:
        bay = reserve_in_transaction(
            conn, job_id, offer.workshop_id, offer.slot_start, offer.slot_end
        )
        if bay is None:
            raise SlotRefusedError("every bay of the next workshop is taken then")
        values.update(
            workshop_id=offer.workshop_id,
            bay=bay,
            slot_start=offer.slot_start,
            slot_end=offer.slot_end,
            booking_reason=offer.reason,
        )
    changed = conn.execute(
        sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == current.value).values(values)
    ).rowcount
    if changed != 1:
        raise JobTransitionError(f"job {job_id} changed while it was rejected; try again")
    if offer is None:
        history.handoff(
            conn,
            job_id,
            now,
            HandoffKind.UNPLACED,
            None,
            "no other qualified workshop has a free slot",
        )
        history.record(conn, job_id, now, "unplaced", current, target)
    else:
        why = str(offer.reason.get("summary", ""))
        history.handoff(conn, job_id, now, HandoffKind.OFFERED, offer.workshop_id, why)
        history.record(conn, job_id, now, "reoffer", current, target, why)
    return rows.job({**row._mapping, **values})


def escalate(conn: Connection, job_id: int, now: float, reason: str) -> Job | None:
    """Mark the job escalated (once) and tell its owner or fleet; None if it already was."""
    jobs = schema.jobs
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobStoreError(f"there is no job {job_id}")
    if JobStatus(row.status) not in OPEN_STATUSES:
        return None
    changed = conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.escalated_at.is_(None))
        .values(escalated_at=float(now))
    ).rowcount
    if changed != 1:
        return None
    status = JobStatus(row.status)
    history.handoff(conn, job_id, now, HandoffKind.ESCALATED, row.workshop_id, reason)
    history.record(conn, job_id, now, "escalate", status, status, reason)
    return rows.job({**row._mapping, "escalated_at": float(now)})


def handoffs(conn: Connection, job_id: int) -> list[Handoff]:
    table = schema.job_handoffs
    query = sa.select(table).where(table.c.job_id == job_id).order_by(table.c.at, table.c.id)
    return [
        Handoff(
            job_id=r.job_id,
            at=r.at,
            kind=HandoffKind(r.kind),
            workshop_id=r.workshop_id,
            reason=r.reason,
        )
        for r in conn.execute(query)
    ]


def declined_by(conn: Connection, job_id: int) -> set[int]:
    table = schema.job_handoffs
    query = sa.select(table.c.workshop_id).where(
        table.c.job_id == job_id, table.c.kind == HandoffKind.DECLINED.value
    )
    return {int(w) for w in conn.execute(query).scalars() if w is not None}
