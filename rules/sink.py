"""Where firings go: what a firing asks of the jobs side, and the narrow interface that does it.

Evaluation stays pure (rules/core.py builds these values from the engine's transitions, the way
Prometheus's rule manager builds alerts); once a batch is evaluated, the asks are handed to a
``FiringSink`` in order, and each gets a ``Receipt`` back:

- ``OpenJob``: a rule fired; open (and book) a job from the draft, unless one is open for its
  (vin, rule_id) already. Receipt: that job, and whether it was created.
- ``AddEvidence``: add a refiring or an escalation to the open job of (vin, rule_id). A
  refiring is not added to the job its own firing opened (``fired_at`` equal: the same firing,
  e.g. a redelivered message). Receipt: the job, or none when nothing was added.
- ``AttachAfter``: the window after a firing, once data time has passed it, for the job that
  firing opened or fired again. Receipt: that job, or none when it is gone.
- ``Remind``: a maintenance item comes due soon; tell the owner, once per ``key`` (also across
  restarts). Receipt: no job; ``created`` when it was sent now.

The sink also answers the one question evaluation needs from the jobs side: when each
maintenance rule's service was last done (its completed jobs and the service book), and at what
odometer if known. The job store's sink is ``rules.jobsink.JobSink``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from jobs.model import JobDraft, Severity


@dataclass(frozen=True, slots=True)
class OpenJob:
    draft: JobDraft
    urgency_s: float | None  # book within this long; None: the booking default

    @property
    def vin(self) -> str:
        return self.draft.vin

    @property
    def rule_id(self) -> str:
        return self.draft.rule_id


class Addition(StrEnum):
    """What ``AddEvidence`` adds; the value is the evidence key it goes under."""

    REFIRING = "refirings"
    ESCALATION = "escalations"


@dataclass(frozen=True, slots=True)
class AddEvidence:
    vin: str
    rule_id: str
    kind: Addition
    fired_at: float  # when this firing or escalation happened (data time)
    entry: Mapping[str, Any]  # JSON-ready: the trigger and its evidence window
    severity: Severity  # the job's severity is raised to this, never lowered


@dataclass(frozen=True, slots=True)
class AttachAfter:
    vin: str
    rule_id: str
    fired_at: float  # the firing whose window this is
    entry: Mapping[str, Any]  # JSON-ready: from, until and the samples in between


@dataclass(frozen=True, slots=True)
class Remind:
    vin: str
    rule_id: str
    key: str  # one reminder per key: the rule and the service it counts from
    doc: Mapping[str, Any]  # JSON-ready: what is due and in how long


Ask = OpenJob | AddEvidence | AttachAfter | Remind


@dataclass(frozen=True, slots=True)
class LastService:
    """Where a maintenance interval counts from: when (epoch s) and, if known, the odometer."""

    at: float
    km: float | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of one ask: the job it went to (None: nothing was done), and for an
    ``OpenJob`` whether that job is new."""

    job_id: int | None
    created: bool = False

    @property
    def done(self) -> bool:
        return self.job_id is not None


class FiringSink(Protocol):
    def emit(self, asks: Sequence[Ask], now: float) -> list[Receipt]:
        """Carry out ``asks`` in order (a later ask sees what an earlier one did); one receipt
        per ask, in the same order."""
        ...

    def last_services(
        self, vin: str, wanted: Mapping[str, Collection[str]]
    ) -> dict[str, LastService]:
        """The last service of each maintenance rule in ``wanted`` (rule id -> the service-book
        kinds it counts from) for ``vin``: rule id -> when and at what odometer; rules never
        serviced are absent."""
        ...
