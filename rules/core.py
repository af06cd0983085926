"""The rules worker's core without MQTT: decoded telemetry and DTC reports -> engine -> jobs.

``RulesCore`` owns the engine state of the vehicles of its shard. It opens and books a job for
every firing, adds evidence to the open job when a rule fires again or escalates, appends the
window after the trigger (``evidence.after``) once data time has passed it, and checkpoints the
engine state of the vehicles it touched into the job store (``rule_state``), so a restart
neither re-fires nor forgets what was pending. The clock is a parameter: the benchmark drives it
in simulated time, the worker with ``time.time``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from jobs.booking import open_and_book
from jobs.model import OPEN_STATUSES, Job, JobDraft, JobStatus
from jobs.store import JobStore
from pitstop.codec import Sample
from pitstop.dtc import DtcReport
from rules.checkpoint import StateStore
from rules.conditions import Maintenance
from rules.draft import ODOMETER, job_evidence, trigger, window_json
from rules.engine import (
    AlertState,
    EngineState,
    Transition,
    evaluate,
    evaluate_dtc,
    evidence_after,
    mark_serviced,
    tick,
)
from rules.intake import index_of
from rules.measure import dtc_json
from rules.model import Rule

log = logging.getLogger(__name__)

PERSIST_WINDOW_S = 600.0
"""Sample windows are persisted for at most this much data time (evidence, window stats)."""


def shard_of(vin: str, shards: int) -> int:
    """A stable shard number for ``vin`` in ``range(shards)`` (the same on every machine)."""
    digest = hashlib.sha256(vin.encode("ascii", "replace")).digest()
    return int.from_bytes(digest[:8], "big") % shards


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/n"`` with ``0 <= i < n``; raise ValueError naming the problem."""
        left, sep, right = text.partition("/")
        if not sep or not left.isdigit() or not right.isdigit():
            raise ValueError(f"shard {text!r} is not of the form i/n (e.g. 0/3)")
        index, count = int(left), int(right)
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {text!r}: need 0 <= i < n")
        return cls(index, count)

    def owns(self, vin: str) -> bool:
        return self.count == 1 or shard_of(vin, self.count) == self.index

    @property
    def scope(self) -> str:
        return f"{self.index}/{self.count}:"


@dataclass(slots=True)
class CoreStats:
    samples: int = 0
    dtc_reports: int = 0
    transitions: int = 0
    jobs_opened: int = 0
    jobs_existing: int = 0
    refirings: int = 0
    escalations: int = 0
    after_windows: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _After:
    vin: str
    job_id: int
    rule: Rule
    fired_at: float
    until: float


class RulesCore:
    def __init__(
        self,
        rules: tuple[Rule, ...],
        jobs: JobStore,
        *,
        shard: Shard = Shard(),
        clock: Callable[[], float],
        state: StateStore | None = None,
        stats: CoreStats | None = None,
    ) -> None:
        self.rules = rules
        self.jobs = jobs
        self.shard = shard
        self.clock = clock
        self.state = state  # None: nothing is persisted (backtests, benchmarks)
        self.engine = EngineState()
        self.stats = CoreStats() if stats is None else stats
        self.opened: list[Job] = []  # every job this core opened, oldest first
        self._dirty: set[str] = set()
        self._after: list[_After] = []
        self._profile: dict[str, str] = {}
        self._active_dtcs: dict[str, DtcReport] = {}  # latest full report per vehicle
        self._maintenance = {r.id for r in rules if isinstance(r.condition, Maintenance)}

    def restore(self) -> int:
        """Load the persisted state of this shard's vehicles; return how many."""
        if self.state is None:
            return 0
        horizon = index_of(self.engine, self.rules).horizon_s
        saved = self.state.load(self.shard.scope)
        for scope, doc in saved.items():
            vin = scope.removeprefix(self.shard.scope)
            self.engine.load_vehicle(vin, doc, self.rules, horizon)
        return len(saved)

    def checkpoint(self) -> None:
        """Persist the state of every vehicle touched since the last checkpoint."""
        if self.state is None:
            self._dirty.clear()
            return
        keep = min(PERSIST_WINDOW_S, index_of(self.engine, self.rules).horizon_s)
        docs = [
            (self.shard.scope + vin, self.engine.vehicle_to_json(vin, keep))
            for vin in sorted(self._dirty)
        ]
        self.state.save_many(docs, self.clock())
        self._dirty.clear()

    def telemetry(self, vin: str, samples: Sequence[Sample], profile: str = "") -> list[Transition]:
        self.stats.samples += len(samples)
        if vin not in self.engine.last_seen:
            self._sync_services(vin)
        if profile:
            self._profile[vin] = profile
        transitions = evaluate(self.rules, self.engine, samples, vin, self.clock())
        self._dirty.add(vin)
        self._act(transitions)
        self._flush_after(vin)
        return transitions

    def dtc(self, report: DtcReport) -> list[Transition]:
        self.stats.dtc_reports += 1
        if report.source is None:  # the full set of every ECU: what the car has now
            self._active_dtcs[report.vin] = report
        transitions = evaluate_dtc(self.rules, self.engine, report, self.clock())
        self._dirty.add(report.vin)
        self._act(transitions)
        return transitions

    def tick(self) -> list[Transition]:
        for vin, rule_id in list(self.engine.alerts):
            alert = self.engine.alerts[(vin, rule_id)]
            if rule_id in self._maintenance and alert.state is AlertState.FIRING:
                self._sync_services(vin, only=rule_id)
        transitions = tick(self.rules, self.engine, self.clock())
        self._dirty.update(t.vin for t in transitions)
        self._act(transitions)
        return transitions

    def _sync_services(self, vin: str, only: str | None = None) -> None:
        """Count maintenance intervals from the vehicle's last completed job of each such rule
        (the odometer of that service is taken from the next reading)."""
        wanted = self._maintenance if only is None else {only}
        if not wanted:
            return
        done = self.jobs.list_jobs(vin=vin, status=JobStatus.COMPLETED)
        for rule_id in wanted:
            finished = [j.updated_at for j in done if j.rule_id == rule_id]
            mark = self.engine.services.get((vin, rule_id))
            if finished and (mark is None or max(finished) > mark.at):
                mark_serviced(self.engine, vin, rule_id, max(finished))
                self._dirty.add(vin)

    def _act(self, transitions: list[Transition]) -> None:
        for transition in transitions:
            self.stats.transitions += 1
            if transition.to_state is not AlertState.FIRING:
                log.debug(
                    "%s %s: %s -> %s",
                    transition.vin,
                    transition.rule.id,
                    transition.from_state,
                    transition.to_state,
                )
            elif transition.escalated:
                self._escalate(transition)
            else:
                self._fire(transition)

    def _fire(self, transition: Transition) -> None:
        rule = transition.rule
        draft = self.draft(transition)
        now = self.clock()
        job, created, workshop = open_and_book(self.jobs, draft, urgency_s=rule.urgency_s, now=now)
        if created:
            self.stats.jobs_opened += 1
            self.stats.by_rule[rule.id] = self.stats.by_rule.get(rule.id, 0) + 1
            self.opened.append(job)
            where = workshop.name if workshop else "no workshop (none has the skills)"
            log.info(
                "job #%d opened for %s: %s (rule %s) at %s",
                job.id,
                job.vin,
                rule.title,
                rule.id,
                where,
            )
        elif job.fired_at == transition.at:
            self.stats.jobs_existing += 1  # the same firing again (a redelivered message)
        else:
            self.stats.refirings += 1
            entry = {"trigger": trigger(transition), "window": window_json(transition.evidence)}
            sev = transition.severity
            self.jobs.append_evidence(job.id, "refirings", entry, severity=sev, now=now)
            log.info(
                "job #%d for %s fired again (rule %s): evidence added", job.id, job.vin, rule.id
            )
        if rule.evidence.after_s > 0 and (created or job.fired_at != transition.at):
            until = transition.at + rule.evidence.after_s
            self._after.append(_After(transition.vin, job.id, rule, transition.at, until))

    def _escalate(self, transition: Transition) -> None:
        rule = transition.rule
        open_jobs = [j for j in self.jobs.list_jobs(vin=transition.vin) if j.rule_id == rule.id]
        live = [j for j in open_jobs if j.status in OPEN_STATUSES]
        if not live:
            return
        self.stats.escalations += 1
        entry = {"trigger": trigger(transition), "window": window_json(transition.evidence)}
        sev = transition.severity
        self.jobs.append_evidence(live[-1].id, "escalations", entry, severity=sev, now=self.clock())
        log.info("job #%d for %s escalated to %s", live[-1].id, transition.vin, sev)

    def _flush_after(self, vin: str) -> None:
        latest = self.engine.last_seen.get(vin)
        if latest is None or not self._after:
            return
        waiting: list[_After] = []
        for item in self._after:
            if item.vin != vin or latest < item.until:
                waiting.append(item)
                continue
            points = evidence_after(self.engine, item.rule, vin, item.fired_at, item.until)
            entry = {"from": item.fired_at, "until": item.until, "window": window_json(points)}
            self.jobs.append_evidence(item.job_id, "after", entry, now=self.clock())
            self.stats.after_windows += 1
        self._after = waiting

    def draft(self, transition: Transition) -> JobDraft:
        """The job a FIRING transition asks for, evidence and diagnosis JSON-ready."""
        rule = transition.rule
        window = self.engine.windows.get((transition.vin, ODOMETER))
        odometer = window.latest(transition.at) if window else None
        evidence = job_evidence(
            transition, odometer=odometer, profile_hash=self._profile.get(transition.vin)
        )
        active = self._active_dtcs.get(transition.vin)
        if active is not None and active.codes and "dtcs" not in evidence:
            evidence["dtcs"] = [dtc_json(d) for d in active.codes]  # what else the car reports
        return JobDraft(
            vin=transition.vin,
            rule_id=rule.id,
            title=rule.title,
            severity=transition.severity,
            fired_at=transition.at,
            diagnosis=rule.diagnosis.to_json(),
            evidence=evidence,
            required_skills=rule.diagnosis.skills,
        )
