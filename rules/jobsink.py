"""The job store as the rules engine's ``FiringSink`` (rules/sink.py).

An ``OpenJob`` opens the job and books it (``jobs.booking.open_and_book``: the owner's preferred
workshop if it qualifies, else the best-ranked qualified workshop by score, comebacks, distance
and first free slot of the job's labour time within the rule's urgency; a job of the same rule
on the same car closed "fixed" lately reopens as a comeback); an
``AddEvidence`` or ``AttachAfter`` appends to the job's evidence (``JobStore.append_evidence``);
a ``Remind`` goes to the owner's webhook once per key (``JobStore.notify_once``,
event ``service.reminder``). The last services come from the completed jobs and the service
book (``rules.lastservice``). Each job it opens is in the audit log (actor ``rules``).
The store keeps at most one open job per (vin, rule_id), so the sink needs no memory of its own
but ``opened``, the jobs it created, for benchmarks and tests. Errors of the store
(``jobs.errors.JobStoreError``) pass through to the caller.

An escalation that finds no open job, while the same rule's job on the car was closed "fixed"
within the comeback window, means the alert never cleared: the fault persists, worse; it
reopens as a comeback job.

``sweep`` is what the worker runs when it starts and periodically (``jobs.rerouting.sweep``):
it books every open job left without a slot (a worker killed between opening and booking, no
slot free then, every workshop declined) and escalates critical jobs nobody accepted in time.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

from jobs.audit import AuditEntry, AuditLog
from jobs.booking import open_and_book
from jobs.model import OPEN_STATUSES, Job, JobDraft, JobStatus, Outcome
from jobs.network import BookingPolicy
from jobs.rerouting import SweepResult, sweep
from jobs.store import JobStore
from rules import lastservice
from rules.sink import (
    AddEvidence,
    Addition,
    Ask,
    AttachAfter,
    LastService,
    OpenJob,
    Receipt,
    Remind,
)

REMINDER_EVENT = "service.reminder"

log = logging.getLogger(__name__)


class JobSink:
    def __init__(
        self,
        store: JobStore,
        policy: BookingPolicy | None = None,
        *,
        audit: AuditLog | None = None,
    ) -> None:
        self.store = store
        self.policy = policy or BookingPolicy()
        self.audit = audit  # where each job it opens is recorded, actor "rules"
        self.opened: list[Job] = []  # every job this sink created, oldest first

    def sweep(self, now: float) -> SweepResult:
        """Book the open jobs without a slot; escalate the critical ones overdue."""
        done = sweep(self.store, self.policy, now)
        if done.booked or done.escalated:
            log.info("sweep: %d unbooked jobs booked, %d escalated", done.booked, done.escalated)
        return done

    def emit(self, asks: Sequence[Ask], now: float) -> list[Receipt]:
        return [self._carry(ask, now) for ask in asks]

    def last_services(
        self, vin: str, wanted: Mapping[str, Collection[str]]
    ) -> dict[str, LastService]:
        done = self.store.list_jobs(vin=vin, status=JobStatus.COMPLETED)
        return lastservice.last_services(wanted, done, self.store.service_records(vin))

    def _carry(self, ask: Ask, now: float) -> Receipt:
        if isinstance(ask, OpenJob):
            return self._open(ask, now)
        if isinstance(ask, AddEvidence):
            return self._add(ask, now)
        if isinstance(ask, Remind):
            sent = self.store.notify_once(ask.vin, ask.key, REMINDER_EVENT, dict(ask.doc), now)
            if sent:
                log.info("reminder for %s: %s (%s)", ask.vin, ask.rule_id, ask.key)
            return Receipt(None, created=sent)
        return self._attach(ask, now)

    def _open(self, ask: OpenJob, now: float) -> Receipt:
        draft = ask.draft
        job, created, workshop = open_and_book(
            self.store, draft, urgency_s=ask.urgency_s, now=now, policy=self.policy
        )
        if created:
            self.opened.append(job)
            self.store.note_fired_again(job.vin, job.rule_id, job.id, job.created_at)
            where = workshop.name if workshop else "no workshop (none qualified with a free slot)"
            self._audit(job, draft.rule_id, where, now)
            log.info(
                "job #%d opened for %s: %s (rule %s) at %s",
                job.id,
                job.vin,
                draft.title,
                draft.rule_id,
                where,
            )
        return Receipt(job.id, created)

    def _audit(self, job: Job, rule_id: str, where: str, now: float) -> None:
        if self.audit is None:
            return
        entry = AuditEntry(
            at=now,
            actor="rules",
            action="job.open",
            target=f"job {job.id}, vehicle {job.vin}",
            detail={"rule": rule_id, "booked_at": where},
        )
        self.audit.record(entry)

    def _add(self, ask: AddEvidence, now: float) -> Receipt:
        job = self._open_job(ask.vin, ask.rule_id)
        if job is None and ask.kind is Addition.ESCALATION:
            return self._still_failing(ask, now)
        if job is None or (ask.kind is Addition.REFIRING and job.fired_at == ask.fired_at):
            return Receipt(None)
        self.store.append_evidence(
            job.id, ask.kind.value, ask.entry, severity=ask.severity, now=now
        )
        if ask.kind is Addition.REFIRING:
            log.info(
                "job #%d for %s fired again (rule %s): evidence added", job.id, job.vin, ask.rule_id
            )
        else:
            log.info("job #%d for %s escalated to %s", job.id, ask.vin, ask.severity)
        return Receipt(job.id)

    def _still_failing(self, ask: AddEvidence, now: float) -> Receipt:
        """An escalation of a fault whose job was closed "fixed" lately: the alert never
        cleared, so the fault is back (worse). It reopens as a comeback job."""
        fixed = [
            j
            for j in self.store.list_jobs(vin=ask.vin, status=JobStatus.COMPLETED)
            if j.rule_id == ask.rule_id
            and j.outcome is Outcome.FIXED
            and now - (j.completed_at or j.updated_at) <= self.policy.comeback_s
        ]
        if not fixed:
            return Receipt(None)
        last = max(fixed, key=lambda j: (j.completed_at or j.updated_at, j.id))
        skills = tuple(s for s in last.diagnosis.get("skills", ()) if isinstance(s, str))
        draft = JobDraft(
            vin=ask.vin,
            rule_id=ask.rule_id,
            title=last.title,
            severity=ask.severity,
            fired_at=ask.fired_at,
            diagnosis=last.diagnosis,
            evidence=dict(ask.entry),
            required_skills=skills,
        )
        job, created, _ = open_and_book(
            self.store, draft, urgency_s=None, now=now, policy=self.policy
        )
        if created:
            self.opened.append(job)
            log.info("job #%d for %s: the fault is back after job #%d", job.id, ask.vin, last.id)
        return Receipt(job.id, created)

    def _attach(self, ask: AttachAfter, now: float) -> Receipt:
        job = self._job_of_firing(ask.vin, ask.rule_id, ask.fired_at)
        if job is None:
            return Receipt(None)
        self.store.append_evidence(job.id, "after", ask.entry, now=now)
        return Receipt(job.id)

    def _open_job(self, vin: str, rule_id: str) -> Job | None:
        live = [
            j
            for j in self.store.list_jobs(vin=vin)
            if j.rule_id == rule_id and j.status in OPEN_STATUSES
        ]
        return live[-1] if live else None

    def _job_of_firing(self, vin: str, rule_id: str, fired_at: float) -> Job | None:
        """The job a firing at ``fired_at`` opened or fired again: the latest of (vin, rule_id)
        opened at or before it (a later one opens only after that one closed), open or not."""
        jobs = [
            j
            for j in self.store.list_jobs(vin=vin)
            if j.rule_id == rule_id and j.fired_at <= fired_at
        ]
        return max(jobs, key=lambda j: (j.fired_at, j.id), default=None)
