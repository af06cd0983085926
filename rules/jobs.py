"""The job store interface: workshops and the pre-diagnosed jobs booked into them.

Chosen by URL in ``open_job_store``: ``sqlite:///path/jobs.db`` (default), ``sqlite://`` in
memory, ``postgresql://...`` in production. The schema is created and upgraded by Alembic
migrations when the store is opened. Every store is safe to use from several threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pitstop.errors import PitstopError


class JobStoreError(PitstopError):
    """The job store could not do what was asked."""


class JobStatus(StrEnum):
    PROPOSED = "proposed"  # booked by pitstop, waiting for the owner
    CONFIRMED = "confirmed"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


OPEN_STATUSES = frozenset({JobStatus.PROPOSED, JobStatus.CONFIRMED, JobStatus.IN_SERVICE})


@dataclass(frozen=True, slots=True)
class Workshop:
    id: int
    name: str
    location: str
    skills: tuple[str, ...]


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

    def add_workshop(self, name: str, location: str, skills: tuple[str, ...]) -> Workshop: ...

    def workshops(self) -> list[Workshop]: ...

    def close(self) -> None: ...


def open_job_store(url: str) -> JobStore:
    """Open (and migrate to the newest schema) the job store a URL names."""
    from rules.jobstore import SqlJobStore

    return SqlJobStore.open(url)
