"""The job store's interfaces: ``JobStore`` (jobs, bookings, workshops, owners, vehicles, and
through ``ServiceBook`` and ``AfterCare`` the service book, follow-ups and reminders),
``WebhookOutbox`` (the durable queue of job events for webhooks) and ``CommandLog`` (every
request sent to a car, for the audit).

A backend is chosen by URL in ``jobs.open``; the SQL backend (``jobs.sql.store.SqlJobStore``)
implements both. Every store is safe to use from several threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from jobs.model import (
    WEEKDAYS_8_TO_17,
    CommandRecord,
    FollowUp,
    ImportOutcome,
    Job,
    JobAction,
    JobDraft,
    JobStatus,
    OpeningHours,
    OutboxItem,
    Outcome,
    Owner,
    RecordSource,
    Reservation,
    RuleOutcomes,
    ServiceEntry,
    ServiceRecord,
    Severity,
    Vehicle,
    Workshop,
)
from jobs.network import Handoff, JobEvent, Offer, Rating, WorkshopRecord


class ServiceBook(Protocol):
    """Each vehicle's service book: what was done, when, at what odometer, by whom.

    A completed job writes its record itself (in the transaction of the completion); these
    methods are for work done outside pitstop. ``ServiceBookError`` for an unknown record or a
    value that does not fit (a day that is not YYYY-MM-DD, a negative odometer).
    """

    def add_record(
        self,
        vin: str,
        entry: ServiceEntry,
        *,
        source: RecordSource,
        now: float,
        workshop_id: int | None = None,
    ) -> ServiceRecord: ...

    def update_record(self, record_id: int, entry: ServiceEntry, now: float) -> ServiceRecord: ...

    def delete_record(self, record_id: int) -> None: ...

    def service_record(self, record_id: int) -> ServiceRecord | None: ...

    def service_records(self, vin: str) -> list[ServiceRecord]:
        """The vehicle's records, newest first."""
        ...

    def import_records(
        self,
        vin: str,
        entries: Sequence[ServiceEntry],
        *,
        now: float,
        progress: Callable[[int], object] | None = None,
    ) -> ImportOutcome:
        """Add a file's rows in one transaction (all or nothing); rows already imported (by
        content hash) are skipped, so importing a file twice adds nothing the second time."""
        ...


class AfterCare(Protocol):
    """The follow-up after a completed job, and notices sent once (maintenance reminders)."""

    def ask_followups(self, now: float, after_s: float) -> int:
        """Ask the owner of every job completed ``after_s`` ago or more whether the problem is
        gone (a ``job.followup`` webhook, once), recording what the car's data says; how many."""
        ...

    def answer_followup(self, job_id: int, solved: bool, now: float) -> FollowUp: ...

    def note_fired_again(self, vin: str, rule_id: str, job_id: int, at: float) -> int:
        """A new job ``job_id`` of (vin, rule_id) opened at ``at``: the follow-ups of that rule's
        jobs completed shortly before (30 days) say the car's data showed the fault again."""
        ...

    def followup(self, job_id: int) -> FollowUp | None: ...

    def notify_once(self, vin: str, key: str, event: str, doc: dict[str, Any], now: float) -> bool:
        """Send ``doc`` as ``event`` to the owner's webhook once per (vin, key), also across
        restarts; True when it is sent now, False when it was sent before."""
        ...


class JobStore(ServiceBook, AfterCare, Protocol):
    def open_job(
        self,
        draft: JobDraft,
        workshop_id: int | None,
        now: float,
        *,
        due_at: float | None = None,
        comeback_of: int | None = None,
    ) -> tuple[Job, bool]:
        """Create the job, or return the one already open for (vin, rule_id). ``due_at`` ends
        its urgency window; ``comeback_of`` is the "fixed" job whose fault this is, back.

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
        kind: str = "own",
        high_voltage: bool = False,
    ) -> Workshop:
        """``kind``: own or partner; ``high_voltage``: certified for high-voltage work."""
        ...

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

    def register_vehicle(
        self,
        vin: str,
        owner_id: int | None,
        label: str = "",
        *,
        brand: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> Vehicle:
        """Create or update the record of ``vin`` (its brand and where it usually is)."""
        ...

    def vehicle(self, vin: str) -> Vehicle | None: ...

    def vehicles(self, owner_id: int | None = None) -> list[Vehicle]: ...

    def book(  # noqa: PLR0917 - a booking's parts
        self,
        job_id: int,
        workshop_id: int,
        slot_start: float,
        slot_end: float,
        now: float,
        reason: Mapping[str, Any] | None = None,
    ) -> Job | None:
        """Reserve a free bay of ``workshop_id`` for [slot_start, slot_end) and put the job
        there; None when every bay is taken then. Two bookings never share a bay-hour, also
        across processes (the database refuses the second). A job booked before moves. A new
        workshop is a hand-off ("offered") kept with ``reason`` (why this one)."""
        ...

    def reservations(
        self, workshop_id: int | None, since: float, until: float
    ) -> list[Reservation]:
        """The workshop's bay-hours taken with ``since <= slot_start < until`` (with
        ``workshop_id`` None: every workshop's, for booking to compare them in one read)."""
        ...

    def rule_outcomes(self) -> list[RuleOutcomes]:
        """Per rule with completed jobs: how many were fixed / no fault found, and how many of
        the fixed came back (comebacks), by rule id."""
        ...

    def reject(
        self, job_id: int, now: float, *, workshop_id: int, reason: str, offer: Offer | None
    ) -> Job:
        """``workshop_id`` declines the job for ``reason``; in the same commit it goes to
        ``offer`` (status proposed, or confirmed by a fleet's policy) or, with none, waits
        unplaced (open, no workshop). ``SlotRefusedError`` if the offer's bay is taken."""
        ...

    def escalate(self, job_id: int, now: float, reason: str) -> Job | None:
        """Mark an open job escalated and notify its owner (webhook ``job.escalate``), once;
        None if it was escalated already or is closed."""
        ...

    def handoffs(self, job_id: int) -> list[Handoff]:
        """The job's way through the network (offered, declined, unplaced, escalated), oldest
        first."""
        ...

    def events(self, job_id: int) -> list[JobEvent]:
        """The job's history (every action on it, the store's own included), oldest first."""
        ...

    def declined_by(self, job_id: int) -> set[int]:
        """The workshops that declined the job."""
        ...

    def unbooked_jobs(self) -> list[Job]:
        """Open jobs without a slot, oldest first."""
        ...

    def overdue_jobs(self, now: float) -> list[Job]:
        """Open jobs not accepted by their ``due_at``, not escalated yet."""
        ...

    def rate(self, rating: Rating) -> Rating:
        """Keep the owner's rating of a completed job (once); ``RatingError`` otherwise."""
        ...

    def ratings(self, workshop_id: int | None = None) -> list[Rating]: ...

    def rating(self, job_id: int) -> Rating | None: ...

    def workshop_records(self) -> list[WorkshopRecord]:
        """Every workshop's ratings, fixed jobs and comebacks."""
        ...

    def append_evidence(
        self,
        job_id: int,
        key: str,
        entry: Mapping[str, Any],
        *,
        severity: Severity | None = None,
        now: float,
    ) -> Job:
        """Append ``entry`` to the list ``evidence[key]`` of a job (e.g. ``"refirings"``,
        ``"after"``) and raise its severity to ``severity`` if that is higher; never lowers."""
        ...

    def close(self) -> None: ...


class WebhookOutbox(Protocol):
    """Job events waiting for delivery, written in the same transaction as the event."""

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


class CommandLog(Protocol):
    """Every command sent to a car: who, when, what, to which vehicle, under which id."""

    def record(self, command: CommandRecord) -> None:
        """Keep the command (committed on return); ``JobStoreError`` if its id is taken."""
        ...

    def command(self, command_id: str) -> CommandRecord | None: ...

    def commands(self, vin: str | None = None, limit: int = 100) -> list[CommandRecord]:
        """The most recent commands (of one vehicle, or all), newest first."""
        ...

    def close(self) -> None: ...
