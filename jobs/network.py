"""The service network's values: ratings, hand-offs between workshops, the booking policy and
what the store knows of each workshop's record. Plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The aspects an owner rates, besides the overall mark (each 1-5).
ASPECTS = ("quality", "speed", "price", "communication", "reception")
MIN_MARK, MAX_MARK = 1, 5


class HandoffKind(StrEnum):
    OFFERED = "offered"  # booked into a workshop (first booking or a re-offer)
    DECLINED = "declined"  # the workshop rejected it, with a reason
    UNPLACED = "unplaced"  # no qualified workshop had a slot: waiting for one
    ESCALATED = "escalated"  # critical and not taken within its urgency window


@dataclass(frozen=True, slots=True)
class Handoff:
    """One step of a job's way through the network: who, what, why, when."""

    job_id: int
    at: float
    kind: HandoffKind
    workshop_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One step of a job's history (``job_events``): the action and the statuses around it.

    ``action`` is a ``JobAction`` value or one of the store's own: ``open``, ``book``,
    ``reoffer``, ``unplaced``, ``escalate``; ``note`` is the reason or remark that came with it
    (a rejection's or a cancellation's reason, a completion's remark), untrusted text."""

    job_id: int
    at: float
    action: str
    from_status: str | None
    to_status: str
    note: str


@dataclass(frozen=True, slots=True)
class Rating:
    """An owner's marks for a completed job (1-5 each) and a comment (untrusted text)."""

    job_id: int
    workshop_id: int
    at: float
    overall: int
    quality: int
    speed: int
    price: int
    communication: int
    reception: int
    comment: str = ""

    def mark(self, aspect: str) -> int:
        """The mark of one of ``ASPECTS`` (or ``overall``)."""
        marks = {
            "overall": self.overall,
            "quality": self.quality,
            "speed": self.speed,
            "price": self.price,
            "communication": self.communication,
            "reception": self.reception,
        }
        return marks[aspect]


@dataclass(frozen=True, slots=True)
class WorkshopRecord:
    """What the store counts for one workshop: its ratings' overall marks, and its jobs closed
    "fixed" and how many of those came back (the same rule on the same car soon after)."""

    workshop_id: int
    ratings: int = 0
    overall_sum: float = 0.0
    fixed: int = 0
    comebacks: int = 0


@dataclass(frozen=True, slots=True)
class Offer:
    """Where a job goes: a workshop, a slot there, and why (JSON-ready)."""

    workshop_id: int
    slot_start: float
    slot_end: float
    reason: dict[str, object]


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    """How booking weighs what it knows (from the settings; see ``jobs.ranking``).

    A candidate's cost is ``score_weight * (5 - score) + comeback_weight * comeback_rate * 5
    + distance_weight * km / 10 + wait_weight * days to its first free slot``: lower wins.
    ``prior_weight`` is how many ratings at the network mean each workshop's score starts
    with (a Bayesian average), so that a handful of ratings moves it only a little.
    """

    score_weight: float = 1.0
    comeback_weight: float = 1.0
    distance_weight: float = 0.5
    wait_weight: float = 0.5
    prior_weight: float = 5.0
    comeback_days: float = 30.0
    default_urgency_s: float = 7 * 86400.0

    @property
    def comeback_s(self) -> float:
        return self.comeback_days * 86400.0


DISTANCE_ONLY = BookingPolicy(score_weight=0.0, comeback_weight=0.0, wait_weight=0.0)
