"""Job actions inside a transaction: the status change (compare-and-set), the slot, the history.

``jobs.lifecycle`` decides what an action may do; this module applies it to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs import calendar, lifecycle
from jobs.errors import JobStoreError, JobTransitionError, SlotRefusedError
from jobs.model import SLOT_S, Job, JobAction, JobStatus, Outcome, Workshop
from jobs.sql import aftercare, history, rows, schema, servicebook
from jobs.sql.reserve import between, reserve_in_transaction

ALTERNATIVES_SPAN_S = 14 * 86400.0


def act(
    conn: Connection,
    job_id: int,
    action: JobAction,
    now: float,
    *,
    outcome: Outcome | None,
    slot_start: float | None,
    note: str,
) -> Job:
    """Apply ``action`` inside the caller's transaction (see ``JobStore.act``)."""
    jobs = schema.jobs
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobStoreError(f"there is no job {job_id}")
    current = rows.job(row._mapping)
    target = lifecycle.next_status(current.status, action, outcome=outcome, slot_start=slot_start)
    values: dict[str, Any] = {"status": target.value, "updated_at": float(now)}
    if action == JobAction.COMPLETE and outcome is not None:
        values["outcome"] = Outcome(outcome).value
        values["completed_at"] = float(now)
    if action == JobAction.MOVE and slot_start is not None:
        values.update(_move(conn, row._mapping, slot_start, now))
    changed = conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == current.status.value)
        .values(values)
    ).rowcount
    if changed != 1:
        raise JobTransitionError(f"job {job_id} changed while we acted on it; try again")
    if target in lifecycle.RELEASES_SLOT:
        conn.execute(sa.delete(schema.reservations).where(schema.reservations.c.job_id == job_id))
    history.record(conn, job_id, now, JobAction(action).value, current.status, target, note)
    after = {**row._mapping, **values}
    if target is JobStatus.COMPLETED:  # the service book and the follow-up, in this transaction
        servicebook.record_job(conn, after, now, note)
        aftercare.followup_on_completion(conn, after, now)
    return rows.job(after)


def _move(
    conn: Connection, job: Mapping[Any, Any], slot_start: float, now: float
) -> dict[str, Any]:
    """The new slot's values, with a bay reserved for every hour of it; ``SlotRefusedError``
    (with the free slots it could take instead) when it is in the past, outside the opening
    hours, or every bay is taken then."""
    if job["workshop_id"] is None:
        raise JobTransitionError("the job has no workshop yet: it is booked before it is moved")
    shop_row = conn.execute(
        sa.select(schema.workshops).where(schema.workshops.c.id == job["workshop_id"])
    ).first()
    if shop_row is None:
        raise JobStoreError(f"there is no workshop {job['workshop_id']}")
    workshop = rows.workshop(shop_row._mapping)
    length = calendar.slot_length_s(job["diagnosis"] or {})
    why = calendar.refusal(workshop, slot_start, length, now)
    conn.execute(sa.delete(schema.reservations).where(schema.reservations.c.job_id == job["id"]))
    bay = None
    if why is None:
        bay = reserve_in_transaction(conn, job["id"], workshop.id, slot_start, slot_start + length)
        why = None if bay is not None else "every bay is taken at that time"
    if bay is None:
        raise SlotRefusedError(
            f"{why}; choose another slot", _alternatives(conn, workshop, slot_start, length, now)
        )
    return {"slot_start": slot_start, "slot_end": slot_start + length, "bay": bay}


def _alternatives(
    conn: Connection, workshop: Workshop, wanted: float, length: float, now: float
) -> tuple[tuple[float, float], ...]:
    """The first free slots from the day asked for (or now, if that is past), two weeks on."""
    earliest = max(now, wanted - 86400.0)
    latest = earliest + ALTERNATIVES_SPAN_S
    taken = calendar.taken_bays(between(conn, workshop.id, earliest - SLOT_S * 40, latest))
    return tuple(calendar.free_slots(workshop, taken, earliest, latest, length, limit=5))
