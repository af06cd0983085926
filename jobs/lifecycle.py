"""The job lifecycle as data: which action takes which status where (pure).

See ``jobs.model.JobStatus`` for the picture. ``next_status`` is the one place that decides;
the job store applies its answer with a compare-and-set so two actors racing on one job cannot
both win.
"""

from __future__ import annotations

from jobs.errors import JobTransitionError
from jobs.model import JobAction, JobStatus, Outcome

_BOOKED = frozenset({JobStatus.PROPOSED, JobStatus.CONFIRMED, JobStatus.ACCEPTED})

#: action -> (the statuses it applies to, the status it leads to)
TRANSITIONS: dict[JobAction, tuple[frozenset[JobStatus], JobStatus]] = {
    JobAction.CONFIRM: (frozenset({JobStatus.PROPOSED}), JobStatus.CONFIRMED),
    JobAction.ACCEPT: (frozenset({JobStatus.CONFIRMED}), JobStatus.ACCEPTED),
    JobAction.START: (frozenset({JobStatus.ACCEPTED}), JobStatus.IN_SERVICE),
    JobAction.COMPLETE: (frozenset({JobStatus.IN_SERVICE}), JobStatus.COMPLETED),
    JobAction.REJECT: (_BOOKED, JobStatus.REJECTED),
    JobAction.CANCEL: (_BOOKED, JobStatus.CANCELLED),
    JobAction.MOVE: (_BOOKED, JobStatus.CONFIRMED),
}

#: Statuses after which a job holds no bay.
RELEASES_SLOT = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.REJECTED})


def next_status(
    current: JobStatus,
    action: JobAction,
    *,
    outcome: Outcome | None = None,
    slot_start: float | None = None,
) -> JobStatus:
    """The status ``action`` leads to from ``current``; JobTransitionError when not allowed."""
    try:
        action = JobAction(action)
    except ValueError as err:
        raise JobTransitionError(f"unknown action {action!r}") from err
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise JobTransitionError(
            f"cannot {action.value} a job that is {current.value} (only when {names})"
        )
    if action is JobAction.COMPLETE and outcome is None:
        raise JobTransitionError("complete needs an outcome: fixed or no_fault_found")
    if action is JobAction.MOVE and slot_start is None:
        raise JobTransitionError("move needs the new slot's start (slot_start)")
    return target
