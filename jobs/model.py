"""The service domain's values: jobs, their lifecycle states and actions, workshops, owners,
vehicles, bay reservations, rule outcomes, webhook outbox items, service-book records and
follow-ups. Plain frozen data, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How urgent a fault is, in rising order: ``max(a, b, key=Severity.rank)`` is the worse."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def worse(cls, current: Severity, proposed: Severity | None) -> Severity:
        """The more severe of the two; ``current`` when nothing is proposed."""
        if proposed is None:
            return current
        return proposed if proposed.rank > current.rank else current


_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)


class JobStatus(StrEnum):
    """A job's lifecycle::

        proposed --owner confirm--> confirmed --workshop accept--> accepted
            --workshop start--> in_service --workshop complete(outcome)--> completed
        proposed | confirmed | accepted --workshop reject--> rejected
        proposed | confirmed | accepted --owner cancel--> cancelled
        proposed | confirmed | accepted --owner move(slot)--> confirmed

    A fleet whose policy confirms automatically gets its jobs created as ``confirmed``.
    ``rejected`` is what the bare ``act(REJECT)`` leads to; a workshop's rejection in the
    network (``jobs.rerouting.reject``) re-offers the job instead: it stays open, proposed
    (or confirmed) at the next workshop, or unplaced until one has a slot.
    """

    PROPOSED = "proposed"  # booked by pitstop into a slot, waiting for the owner
    CONFIRMED = "confirmed"  # the owner (or a fleet's policy) agreed to the slot
    ACCEPTED = "accepted"  # the workshop agreed too
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


OPEN_STATUSES = frozenset(
    {JobStatus.PROPOSED, JobStatus.CONFIRMED, JobStatus.ACCEPTED, JobStatus.IN_SERVICE}
)


class JobAction(StrEnum):
    CONFIRM = "confirm"  # owner
    MOVE = "move"  # owner, with a new slot
    CANCEL = "cancel"  # owner
    ACCEPT = "accept"  # workshop
    REJECT = "reject"  # workshop
    START = "start"  # workshop
    COMPLETE = "complete"  # workshop, with an outcome


class Outcome(StrEnum):
    FIXED = "fixed"
    NO_FAULT_FOUND = "no_fault_found"


#: Opening hours: (weekday 0=Monday..6, opens at hour, closes at hour), local to the workshop.
OpeningHours = tuple[tuple[int, float, float], ...]
WEEKDAYS_8_TO_17: OpeningHours = tuple((day, 8.0, 17.0) for day in range(5))

#: The calendar's unit: slots start on the hour and a bay is reserved by the hour.
SLOT_S = 3600.0


@dataclass(frozen=True, slots=True)
class Workshop:
    id: int
    name: str
    location: str
    skills: tuple[str, ...]
    latitude: float | None = None
    longitude: float | None = None
    brands: tuple[str, ...] = ()  # empty: serves every brand
    bays: int = 1
    hours: OpeningHours = WEEKDAYS_8_TO_17
    timezone: str = "UTC"  # an IANA zone name; ``hours`` are local to it
    webhook_url: str | None = None
    kind: str = "own"  # "own" | "partner" (a third-party workshop of the network)
    high_voltage: bool = False  # certified for work on high-voltage systems

    @property
    def hv_certified(self) -> bool:
        return self.high_voltage or "high-voltage" in self.skills


@dataclass(frozen=True, slots=True)
class Owner:
    """A private owner or a fleet operator."""

    id: int
    name: str
    kind: str  # "private" | "fleet"
    preferred_workshop_id: int | None = None
    auto_confirm: bool = False  # a fleet's policy: bookings need no confirmation
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class Vehicle:
    vin: str
    owner_id: int | None
    label: str = ""  # e.g. "Van 12" or "Anna's car"
    brand: str | None = None  # e.g. "VW"; None: any workshop serves it
    latitude: float | None = None  # where it usually is (its home or depot)
    longitude: float | None = None

    @property
    def home(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


@dataclass(frozen=True, slots=True)
class JobDraft:
    """What a firing rule asks for: one job for (vin, rule_id).

    ``evidence`` is JSON-ready::

        {"trigger": {"signal": ..., "condition": "< 11.8", "hold_s": 20,
                     "since": <ts>, "fired_at": <ts>, "value": 11.71},
         "window": {"<canonical signal>": [[ts, value], ...]}}

    ``diagnosis`` is JSON-ready: ``{"summary": ..., "likely_causes": [...], "checks": [...],
    "parts": [...], "labour_hours": 0.5, "skills": [...]}``.
    """

    vin: str
    rule_id: str
    title: str
    severity: Severity
    fired_at: float
    diagnosis: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    required_skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    vin: str
    rule_id: str
    title: str
    severity: Severity
    status: JobStatus
    workshop_id: int | None
    fired_at: float
    created_at: float
    updated_at: float
    diagnosis: Mapping[str, Any]
    evidence: Mapping[str, Any]
    slot_start: float | None = None  # the booked slot at the workshop (epoch seconds)
    slot_end: float | None = None
    outcome: Outcome | None = None  # set when completed
    comeback_of: int | None = None  # the job closed "fixed" whose fault this is, back again
    booking_reason: Mapping[str, Any] | None = None  # why this workshop (jobs.ranking)
    due_at: float | None = None  # the end of its urgency window: booked and accepted by then
    escalated_at: float | None = None  # when no workshop had taken it by ``due_at``
    completed_at: float | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    """One bay-hour a job holds at a workshop (the calendar's unit)."""

    workshop_id: int
    bay: int
    slot_start: float
    job_id: int


@dataclass(frozen=True, slots=True)
class RuleOutcomes:
    """How a rule's completed jobs ended: its precision is the share of them that were fixed
    and stayed fixed (a "fixed" whose fault came back as a comeback was not a fix)."""

    rule_id: str
    completed: int
    fixed: int
    no_fault_found: int
    comebacks: int = 0  # of the fixed ones, how many came back

    @property
    def precision(self) -> float | None:
        return (self.fixed - self.comebacks) / self.completed if self.completed else None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One webhook waiting in the outbox (see ``jobs.sql.outbox`` for the body)."""

    id: int
    url: str
    event: str
    body: str
    attempts: int

    @property
    def delivery_id(self) -> str:
        doc = json.loads(self.body)
        return str(doc.get("id", self.id))


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A request sent to a car on its ``cmd`` topic, as the audit log keeps it."""

    id: str  # the command id, echoed by the gateway in its outcome event
    vin: str
    type: str  # read_dtcs | set_plan
    body: Mapping[str, Any]  # the arguments sent (the plan of a set_plan)
    key_name: str  # who sent it: the API key's name...
    role: str  # ...and role
    sent_at: float


class ServiceKind(StrEnum):
    """What a service-book record is."""

    SERVICE = "service"  # scheduled maintenance (oil, filters, the yearly service)
    REPAIR = "repair"
    INSPECTION = "inspection"  # a roadworthiness test (MOT, TÜV, contrôle technique)
    TYRE_CHANGE = "tyre_change"


class RecordSource(StrEnum):
    """Who wrote a service-book record."""

    JOB = "job"  # a completed pitstop job, written with its completion
    OWNER = "owner"
    WORKSHOP = "workshop"
    IMPORT = "import"  # a CSV file (from another maintenance tracker)


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """What a service-book record says; ``done_on`` is the day (ISO 8601, ``2026-03-01``)."""

    kind: ServiceKind
    done_on: str
    odometer_km: float | None = None
    workshop: str = ""
    work: str = ""
    parts: tuple[str, ...] = ()
    labour_hours: float | None = None
    cost: float | None = None
    currency: str = ""
    notes: str = ""
    rule_id: str | None = None  # the maintenance rule this record counts as (yearly-service)


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: int
    vin: str
    entry: ServiceEntry
    source: RecordSource
    created_at: float
    updated_at: float
    job_id: int | None = None  # the pitstop job that wrote it
    workshop_id: int | None = None  # the pitstop workshop that wrote or did it
    row_hash: str | None = None  # an imported row's content hash (a file imported twice)
    done_at: float | None = None  # epoch seconds: the completion of a job; else None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What importing one file did: rows added, and rows already in the book (skipped)."""

    added: int
    skipped: int


FOLLOWUP_QUESTION = "Is the problem gone?"


class FollowUpAnswer(StrEnum):
    SOLVED = "solved"
    NOT_SOLVED = "not_solved"


class CarVerdict(StrEnum):
    """What the car's own data said by the time of the follow-up."""

    CLEAR = "clear"  # the rule that opened the job has not fired again
    FIRED_AGAIN = "fired_again"  # it fired again: a new job for (vin, rule) after completion


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The question put to the owner some days after a job was completed."""

    job_id: int
    vin: str
    rule_id: str
    completed_at: float
    asked_at: float | None = None
    answer: FollowUpAnswer | None = None
    answered_at: float | None = None
    car_verdict: CarVerdict | None = None
    car_job_id: int | None = None  # the job of the firing again
