"""The job store interface: workshops, owners, vehicles and the pre-diagnosed jobs booked
into workshops.

Chosen by URL in ``open_job_store``: ``sqlite:///path/jobs.db`` (default), ``sqlite://`` in
memory, ``postgresql://...`` in production. The schema is created and upgraded by Alembic
migrations when the store is opened. Every store is safe to use from several threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pitstop.errors import PitstopError

if TYPE_CHECKING:
    from rules.outbox import OutboxItem


class JobStoreError(PitstopError):
    """The job store could not do what was asked."""


class JobTransitionError(JobStoreError, ValueError):
    """An action the job's status does not allow, or one missing its argument."""


class JobStatus(StrEnum):
    """A job's lifecycle::

        proposed --owner confirm--> confirmed --workshop accept--> accepted
            --workshop start--> in_service --workshop complete(outcome)--> completed
        proposed | confirmed | accepted --workshop reject--> rejected
        proposed | confirmed | accepted --owner cancel--> cancelled
        proposed | confirmed | accepted --owner move(slot)--> confirmed

    A fleet whose policy confirms automatically gets its jobs created as ``confirmed``.
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
    severity: str  # "info" | "warning" | "critical"
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
    severity: str
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


@dataclass(frozen=True, slots=True)
class Reservation:
    """One bay-hour a job holds at a workshop (the calendar's unit)."""

    workshop_id: int
    bay: int
    slot_start: float
    job_id: int


@dataclass(frozen=True, slots=True)
class RuleOutcomes:
    """How a rule's completed jobs ended: its precision is fixed / completed."""

    rule_id: str
    completed: int
    fixed: int
    no_fault_found: int

    @property
    def precision(self) -> float | None:
        return self.fixed / self.completed if self.completed else None


class JobStore(Protocol):
    def open_job(self, draft: JobDraft, workshop_id: int | None, now: float) -> tuple[Job, bool]:
        """Create the job, or return the one already open for (vin, rule_id).

        Returns (job, created). At most one job per (vin, rule_id) is ever open, also when
        several workers call this at once (enforced by the database, not by a lock here).
        """
        ...

    def get_job(self, job_id: int) -> Job | None: ...

    def list_jobs(
        self,
        *,
        vin: str | None = None,
        status: JobStatus | None = None,
        workshop_id: int | None = None,
    ) -> list[Job]:
        """Jobs matching every given filter, newest first."""
        ...

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
        """Apply an owner's or a workshop's action and return the job as it is afterwards.

        Raises ``JobTransitionError`` when the status does not allow the action, or when
        ``outcome`` (complete) or ``slot_start`` (move) is missing; ``JobStoreError`` for an
        unknown job.
        """
        ...

    def add_workshop(
        self,
        name: str,
        location: str,
        skills: tuple[str, ...],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        brands: tuple[str, ...] = (),
        bays: int = 1,
        hours: OpeningHours = WEEKDAYS_8_TO_17,
        timezone: str = "UTC",
        webhook_url: str | None = None,
    ) -> Workshop: ...

    def workshops(self) -> list[Workshop]: ...

    def add_owner(
        self,
        name: str,
        kind: str,
        *,
        preferred_workshop_id: int | None = None,
        auto_confirm: bool = False,
        webhook_url: str | None = None,
    ) -> Owner: ...

    def owners(self) -> list[Owner]: ...

    def register_vehicle(self, vin: str, owner_id: int | None, label: str = "") -> Vehicle:
        """Create or update the record of ``vin``."""
        ...

    def vehicle(self, vin: str) -> Vehicle | None: ...

    def vehicles(self, owner_id: int | None = None) -> list[Vehicle]: ...

    def book(
        self, job_id: int, workshop_id: int, slot_start: float, slot_end: float, now: float
    ) -> Job | None:
        """Reserve a free bay of ``workshop_id`` for [slot_start, slot_end) and put the job
        there; None when every bay is taken then. Two bookings never share a bay-hour, also
        across processes (the database refuses the second). A job booked before moves."""
        ...

    def reservations(self, workshop_id: int, since: float, until: float) -> list[Reservation]:
        """The workshop's bay-hours taken with ``since <= slot_start < until``."""
        ...

    def rule_outcomes(self) -> list[RuleOutcomes]:
        """Per rule with completed jobs: how many were fixed / no fault found, by rule id."""
        ...

    def append_evidence(
        self,
        job_id: int,
        key: str,
        entry: Mapping[str, Any],
        *,
        severity: str | None = None,
        now: float,
    ) -> Job:
        """Append ``entry`` to the list ``evidence[key]`` of a job (e.g. ``"refirings"``,
        ``"after"``) and raise its severity to ``severity`` if that is higher; never lowers."""
        ...

    def save_rule_state(self, scope: str, state: Mapping[str, Any], now: float) -> None:
        """Persist the rules engine's state of one scope (e.g. ``"0/1:<VIN>"``), JSON-ready."""
        ...

    def load_rule_state(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every persisted scope starting with ``prefix``: scope -> state."""
        ...

    def due_webhooks(self, now: float, limit: int = 100) -> list[OutboxItem]:
        """Outbox rows not yet delivered whose next attempt is due, oldest first."""
        ...

    def webhook_delivered(self, item_id: int, now: float) -> None: ...

    def webhook_failed(self, item_id: int, now: float, error: str, attempts: int) -> float:
        """Record a failed attempt; return when the next one is due (backoff)."""
        ...

    def pending_webhooks(self) -> int:
        """How many outbox rows are not delivered yet."""
        ...

    def close(self) -> None: ...


def open_job_store(url: str) -> JobStore:
    """Open (and migrate to the newest schema) the job store a URL names."""
    from rules.jobstore import SqlJobStore

    return SqlJobStore.open(url)
