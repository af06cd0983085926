"""Bay reservations: the database, not a lock, keeps two bookings out of one bay.

A job holding a slot [start, end) at a workshop owns one ``reservations`` row per
(workshop, bay, hour) the slot touches; the primary key (workshop_id, bay, slot_start) makes a
second booking of the same bay-hour fail with an IntegrityError, whichever process tries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.errors import JobStoreError, JobTransitionError
from jobs.model import OPEN_STATUSES, SLOT_S, Job, JobStatus, Outcome, Reservation, RuleOutcomes
from jobs.network import HandoffKind
from jobs.sql import history, rows, schema


def units(start: float, end: float) -> list[float]:
    """The hour starts [start, end) touches."""
    first = math.floor(start / SLOT_S)
    last = max(first + 1, math.ceil(end / SLOT_S))
    return [k * SLOT_S for k in range(first, last)]


def taken_bays(conn: Connection, workshop_id: int, start: float, end: float) -> set[int]:
    table = schema.reservations
    query = sa.select(table.c.bay).where(
        table.c.workshop_id == workshop_id,
        table.c.slot_start.in_(units(start, end)),
    )
    return {int(bay) for bay in conn.execute(query).scalars()}


def reserve_in_transaction(
    conn: Connection, job_id: int, workshop_id: int, start: float, end: float
) -> int | None:
    """Reserve the lowest free bay for [start, end); the bay, or None when all are taken.

    Raises IntegrityError when another transaction took the bay after our look: the caller
    retries its whole transaction.
    """
    bays = conn.execute(
        sa.select(schema.workshops.c.bays).where(schema.workshops.c.id == workshop_id)
    ).scalar()
    taken = taken_bays(conn, workshop_id, start, end)
    free = next((bay for bay in range(1, int(bays or 0) + 1) if bay not in taken), None)
    if free is None:
        return None
    conn.execute(
        sa.insert(schema.reservations),
        [
            {"workshop_id": workshop_id, "bay": free, "slot_start": unit, "job_id": job_id}
            for unit in units(start, end)
        ],
    )
    return free


def book(  # noqa: PLR0917 - a booking's parts
    conn: Connection,
    job_id: int,
    workshop_id: int,
    slot: tuple[float, float],
    now: float,
    reason: Mapping[str, Any] | None = None,
) -> Job | None:
    """Put the job into a free bay for ``slot`` (freeing what it held); None when all are taken.
    A booking into another workshop than the job's is a hand-off ("offered"), with ``reason``."""
    jobs = schema.jobs
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobStoreError(f"there is no job {job_id}")
    if JobStatus(row.status) not in OPEN_STATUSES:
        raise JobTransitionError(f"job {job_id} is {row.status}; only an open job is booked")
    conn.execute(sa.delete(schema.reservations).where(schema.reservations.c.job_id == job_id))
    bay = reserve_in_transaction(conn, job_id, workshop_id, slot[0], slot[1])
    if bay is None:
        return None
    values: dict[str, Any] = {
        "workshop_id": workshop_id,
        "bay": bay,
        "slot_start": slot[0],
        "slot_end": slot[1],
        "updated_at": float(now),
    }
    if reason is not None:
        values["booking_reason"] = dict(reason)
    conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(values))
    if row.workshop_id != workshop_id or row.slot_start is None:
        why = str((reason or {}).get("summary", ""))
        history.handoff(conn, job_id, now, HandoffKind.OFFERED, workshop_id, why)
    note = f"workshop {workshop_id} bay {bay} at {slot[0]:.0f}"
    status = JobStatus(row.status)
    history.record(conn, job_id, now, "book", status, status, note)
    return rows.job({**row._mapping, **values})


def between(
    conn: Connection, workshop_id: int | None, since: float, until: float
) -> list[Reservation]:
    """The bay-hours taken in [since, until) at one workshop (None: at every workshop)."""
    table = schema.reservations
    query = (
        sa.select(table)
        .where(table.c.slot_start >= since, table.c.slot_start < until)
        .order_by(table.c.slot_start, table.c.workshop_id, table.c.bay)
    )
    if workshop_id is not None:
        query = query.where(table.c.workshop_id == workshop_id)
    return [
        Reservation(workshop_id=r.workshop_id, bay=r.bay, slot_start=r.slot_start, job_id=r.job_id)
        for r in conn.execute(query)
    ]


def rule_outcomes(conn: Connection, comebacks: Mapping[str, int]) -> list[RuleOutcomes]:
    """Per rule: its completed jobs by outcome, and of the fixed ones how many came back."""
    jobs = schema.jobs
    query = (
        sa.select(jobs.c.rule_id, jobs.c.outcome, sa.func.count())
        .where(jobs.c.status == JobStatus.COMPLETED.value)
        .group_by(jobs.c.rule_id, jobs.c.outcome)
    )
    counts: dict[str, dict[str, int]] = {}
    for rule_id, outcome, count in conn.execute(query):
        counts.setdefault(rule_id, {})[str(outcome)] = int(count)
    return [
        RuleOutcomes(
            rule_id=rule_id,
            completed=sum(by.values()),
            fixed=by.get(Outcome.FIXED.value, 0),
            no_fault_found=by.get(Outcome.NO_FAULT_FOUND.value, 0),
            comebacks=comebacks.get(rule_id, 0),
        )
        for rule_id, by in sorted(counts.items())
    ]
