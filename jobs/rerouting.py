"""Re-routing in the network: a rejected job goes at once to the next qualified workshop
(never back to one that declined it), a job nobody could take waits unplaced for the next
sweep, and a critical job that no workshop has accepted within its urgency window escalates
to its owner or fleet (a ``job.escalate`` webhook through the signed outbox).

The rejection and the re-offer are one commit (``JobStore.reject``): a process killed at any
moment leaves the job either still at the workshop that was rejecting it or at the next one,
never lost and never booked twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jobs.booking import book_unbooked, plan_offer
from jobs.errors import JobTransitionError, SlotRefusedError
from jobs.model import Job, Severity
from jobs.network import BookingPolicy
from jobs.store import JobStore

log = logging.getLogger(__name__)

_TRIES = 5


def reject(store: JobStore, job: Job, now: float, reason: str, policy: BookingPolicy) -> Job:
    """The job's workshop declines ``job`` for ``reason`` (required); it is re-offered to the
    best qualified workshop that has not declined it, in the same commit."""
    if not reason.strip():
        raise JobTransitionError("reject needs a reason: say why the workshop cannot take it")
    if job.workshop_id is None:
        raise JobTransitionError(f"job {job.id} is at no workshop: there is nobody to reject it")
    declined = store.declined_by(job.id) | {job.workshop_id}
    for _ in range(_TRIES):
        offer = plan_offer(store, job, policy, now, exclude=declined)
        try:
            done = store.reject(
                job.id, now, workshop_id=job.workshop_id, reason=reason, offer=offer
            )
        except SlotRefusedError:
            continue  # the slot planned went to another job meanwhile: plan again
        log.info(
            "job #%d declined by workshop %d (%s): %s",
            job.id,
            job.workshop_id,
            reason,
            f"re-offered to workshop {done.workshop_id}" if offer else "unplaced",
        )
        return done
    raise JobTransitionError(f"cannot re-offer job {job.id}: every slot planned was taken")


def escalate_overdue(store: JobStore, now: float) -> list[Job]:
    """Escalate every critical job no workshop accepted by its ``due_at`` (once each)."""
    escalated = []
    for job in store.overdue_jobs(now):
        if job.severity is not Severity.CRITICAL:
            continue
        where = (
            "unplaced" if job.workshop_id is None else f"not accepted by workshop {job.workshop_id}"
        )
        done = store.escalate(job.id, now, f"critical and {where} within its urgency window")
        if done is not None:
            log.warning("job #%d for %s escalated: %s", job.id, job.vin, where)
            escalated.append(done)
    return escalated


@dataclass(frozen=True, slots=True)
class SweepResult:
    booked: int
    escalated: int


def sweep(store: JobStore, policy: BookingPolicy, now: float) -> SweepResult:
    """What the rules worker does when it starts and periodically: book every open job without
    a slot, then escalate the critical ones overdue."""
    booked = book_unbooked(store, policy, now)
    escalated = escalate_overdue(store, now)
    return SweepResult(len(booked), len(escalated))
