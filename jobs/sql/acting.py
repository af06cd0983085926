"""Job actions inside a transaction: the status change (compare-and-set), the slot, the history.

``jobs.lifecycle`` decides what an action may do; this module applies it to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs import lifecycle
from jobs.errors import JobStoreError, JobTransitionError
from jobs.model import SLOT_S, Job, JobAction, JobStatus, Outcome
from jobs.sql import aftercare, history, rows, schema, servicebook
from jobs.sql.reserve import reserve_in_transaction


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
    if action == JobAction.MOVE and slot_start is not None:
        values.update(_move(conn, row._mapping, slot_start))
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


def _move(conn: Connection, job: Mapping[Any, Any], slot_start: float) -> dict[str, Any]:
    """The new slot's values; re-reserves a bay when the job held one."""
    old_start, old_end = job["slot_start"], job["slot_end"]
    length = (old_end - old_start) if old_start is not None and old_end else SLOT_S
    values: dict[str, Any] = {"slot_start": slot_start, "slot_end": slot_start + length}
    if job["workshop_id"] is not None and job["bay"] is not None:
        conn.execute(
            sa.delete(schema.reservations).where(schema.reservations.c.job_id == job["id"])
        )
        bay = reserve_in_transaction(
            conn, job["id"], job["workshop_id"], slot_start, slot_start + length
        )
        if bay is None:
            raise JobTransitionError("every bay is taken at that time; choose another slot")
        values["bay"] = bay
    return values
