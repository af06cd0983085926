"""The rules worker's core without MQTT: decoded telemetry and DTC reports -> engine -> sink.

``RulesCore`` owns the engine state of the vehicles of its shard. It evaluates a batch, then
hands what the firings ask to its ``FiringSink`` (rules/sink.py) in one go: open a job for a
firing, add a refiring or an escalation to the open job, and attach the window after the
trigger (``evidence.after``) once data time has passed it. It checkpoints the engine state of
the vehicles it touched into its ``StateStore`` (rules/checkpoint.py), so a restart neither
re-fires nor forgets what was pending. The clock is a parameter: the benchmark drives it in
simulated time, the worker with ``time.time``.

The windows after a firing wait in ``_after``, keyed by (vin, rule_id, fired_at) (the sink
finds the job from that key), and are checkpointed with the vehicle (``"after"``), so a
restart within ``after_s`` of a firing still attaches them.

Checkpoints cost per interval, not per message: ``checkpoint`` writes every vehicle touched
since the last one in one transaction, built in one pass over the state
(``EngineState.vehicles_to_json``). A vehicle with an alert pending or firing, or a window
after a firing to attach, is *hot*: its document keeps the raw windows its evidence reads; any
other keeps the newest point of each series (buckets, alerts that are not inactive, service
marks in full). ``evict`` forgets the memory of vehicles idle for ``idle_s`` once they are
checkpointed; their next message loads them back.

Maintenance intervals count from the last service the sink knows (completed jobs and the
service book): read when a vehicle is first seen, and again before a maintenance firing or
reminder is acted on, so a service recorded meanwhile (outside work entered by the owner)
clears it instead of booking a job. With ``reminders`` (a ``rules.reminders.Lead``), a
maintenance item coming due within the lead asks the sink to remind the owner (``Remind``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobs.model import JobDraft
from pitstop.codec import Sample
from pitstop.dtc import DtcReport
from rules.checkpoint import StateStore
from rules.draft import ODOMETER, job_evidence, trigger, window_json
from rules.engine import (
    AlertState,
    EngineState,
    Transition,
    evaluate,
    evaluate_columns,
    evaluate_dtc,
    evidence_after,
    tick,
)
from rules.intake import index_of
from rules.measure import dtc_json
from rules.model import Rule
from rules.quiet import Column
from rules.reminders import Lead
from rules.shard import Shard, shard_of
from rules.sink import AddEvidence, Addition, Ask, AttachAfter, FiringSink, OpenJob, Receipt
from rules.upkeep import Upkeep

__all__ = ["CoreStats", "RulesCore", "Shard", "shard_of"]

log = logging.getLogger(__name__)

_EVERY_VEHICLE = Shard()
PERSIST_WINDOW_S = 600.0
"""Sample windows are persisted for at most this much data time (evidence, window stats)."""


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
    reminders: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _After:
    """A firing's window after the trigger, waiting for data time to pass ``until``."""

    rule: Rule
    fired_at: float
    until: float


class RulesCore:
    def __init__(
        self,
        rules: tuple[Rule, ...],
        sink: FiringSink,
        *,
        shard: Shard = _EVERY_VEHICLE,
        clock: Callable[[], float],
        state: StateStore | None = None,
        stats: CoreStats | None = None,
        reminders: Lead | None = None,
    ) -> None:
        self.rules = rules
        self.sink = sink
        self.shard = shard
        self.clock = clock
        self.state = state  # None: nothing is persisted (backtests, benchmarks)
        self.engine = EngineState()
        self.stats = CoreStats() if stats is None else stats
        self._dirty: set[str] = set()
        # (vin, rule_id, fired_at) -> the window after that firing, for the job it opened
        self._after: dict[tuple[str, str, float], _After] = {}
        self._profile: dict[str, str] = {}
        self._active_dtcs: dict[str, DtcReport] = {}  # latest full report per vehicle
        self.upkeep = Upkeep(rules, sink, self.engine, reminders)
        self._by_id = {r.id: r for r in rules}
        self._evicted: set[str] = set()

    def restore(self) -> int:
        """Load the persisted state of this shard's vehicles; return how many."""
        if self.state is None:
            return 0
        saved = self.state.load(self.shard.scope)
        for scope, doc in saved.items():
            self._load(scope.removeprefix(self.shard.scope), doc)
        return len(saved)

    def _load(self, vin: str, doc: dict[str, Any]) -> None:
        index = index_of(self.engine, self.rules)
        self.engine.load_vehicle(vin, doc, self.rules, index.keep_s)
        for rule_id, fired_at, until in doc.get("after", []):
            rule = self._by_id.get(rule_id)
            if rule is not None:
                key = (vin, rule_id, float(fired_at))
                self._after.setdefault(key, _After(rule, float(fired_at), float(until)))

    @property
    def wanted(self) -> frozenset[str]:
        """The series some rule reads: the others need no sample object (only a time)."""
        return index_of(self.engine, self.rules).window_signals

    @property
    def dirty(self) -> bool:
        """Whether some vehicle's state changed since the last checkpoint."""
        return bool(self._dirty)

    def hot(self) -> set[str]:
        """Vehicles whose evidence windows a job will read: an alert pending or firing, or a
        window after a firing still to attach."""
        busy = (AlertState.PENDING, AlertState.FIRING)
        found = {vin for (vin, _r), alert in self.engine.alerts.items() if alert.state in busy}
        return found | {key[0] for key in self._after}

    def checkpoint(self) -> int:
        """Persist the state of every vehicle touched since the last checkpoint, in one
        transaction; return how many."""
        if self.state is None or not self._dirty:
            self._dirty.clear()
            return 0
        keep = min(PERSIST_WINDOW_S, index_of(self.engine, self.rules).horizon_s)
        docs = self.engine.vehicles_to_json(sorted(self._dirty), keep, self.hot())
        for (vin, rule_id, fired_at), item in self._after.items():
            if vin in docs:
                docs[vin].setdefault("after", []).append([rule_id, fired_at, item.until])
        self.state.save_many([(self.shard.scope + v, d) for v, d in docs.items()], self.clock())
        self._dirty.clear()
        return len(docs)

    def evict(self, idle_s: float) -> int:
        """Forget the memory of vehicles silent for ``idle_s`` of data time that are
        checkpointed and not hot (only with a state store: it holds them); return how many."""
        if self.state is None:
            return 0
        now = self.clock()
        hot = self.hot()
        idle = {
            vin
            for vin, last in self.engine.last_seen.items()
            if now - last > idle_s and vin not in self._dirty and vin not in hot
        } - self._evicted
        if idle:
            self.engine.forget(idle)
            self._evicted |= idle
        return len(idle)

    def _wake(self, vin: str) -> None:
        """An evicted vehicle sends again: load its checkpoint back first."""
        self._evicted.discard(vin)
        if self.state is not None:
            scope = self.shard.scope + vin
            doc = self.state.load(scope).get(scope)
            if doc is not None:
                self._load(vin, doc)

    def telemetry(self, vin: str, samples: Sequence[Sample], profile: str = "") -> list[Transition]:
        self.stats.samples += len(samples)
        return self._telemetry(
            vin, profile, lambda: evaluate(self.rules, self.engine, samples, vin, self.clock())
        )

    def telemetry_columns(
        self,
        vin: str,
        columns: Mapping[str, Column],
        profile: str = "",
        count: int = 0,
        *,
        others: Sequence[float] = (),
    ) -> list[Transition]:
        """``telemetry`` on a batch kept column-wise (``rules.engine.evaluate_columns``);
        ``count`` is its number of samples, for the figures; ``others`` the newest times of
        the series no rule reads (``rules.decode.Batch.others``)."""
        self.stats.samples += count
        return self._telemetry(
            vin,
            profile,
            lambda: evaluate_columns(
                self.rules, self.engine, columns, vin, self.clock(), others=others
            ),
        )

    def _telemetry(
        self, vin: str, profile: str, evaluated: Callable[[], list[Transition]]
    ) -> list[Transition]:
        if vin in self._evicted:
            self._wake(vin)
        if vin not in self.engine.last_seen:
            self._dirty.update(self.upkeep.sync(vin))
        if profile:
            self._profile[vin] = profile
        transitions = self._not_serviced_meanwhile(evaluated())
        self._dirty.add(vin)
        self._act(transitions)
        self._flush_after(vin)
        moved, reminded = self.upkeep.remind(vin, self.clock())
        self._dirty.update(moved)
        self.stats.reminders += reminded
        return transitions

    def dtc(self, report: DtcReport) -> list[Transition]:
        self.stats.dtc_reports += 1
        if report.vin in self._evicted:
            self._wake(report.vin)
        if report.source is None:  # the full set of every ECU: what the car has now
            self._active_dtcs[report.vin] = report
        transitions = evaluate_dtc(self.rules, self.engine, report, self.clock())
        self._dirty.add(report.vin)
        self._act(transitions)
        return transitions

    def tick(self) -> list[Transition]:
        for vin, rule_id in list(self.engine.alerts):
            alert = self.engine.alerts[(vin, rule_id)]
            if self.upkeep.counts(rule_id) and alert.state is AlertState.FIRING:
                self._dirty.update(self.upkeep.sync(vin, only=rule_id))
        transitions = tick(self.rules, self.engine, self.clock())
        transitions = self._not_serviced_meanwhile(transitions)
        self._dirty.update(t.vin for t in transitions)
        self._act(transitions)
        return transitions

    def _not_serviced_meanwhile(self, transitions: list[Transition]) -> list[Transition]:
        """Without the maintenance firings that a service recorded since the last look voids."""
        kept: list[Transition] = []
        for t in transitions:
            if t.to_state is AlertState.FIRING and self.upkeep.counts(t.rule.id):
                moved = self.upkeep.sync(t.vin, only=t.rule.id)
                self._dirty.update(moved)
                if moved:
                    continue
            kept.append(t)
        return kept

    def _act(self, transitions: list[Transition]) -> None:
        """Hand what the FIRING transitions ask to the sink in one go, then count the receipts
        and keep the window after each new firing."""
        plans: list[tuple[Transition, list[Ask]]] = []
        for transition in transitions:
            self.stats.transitions += 1
            if transition.to_state is AlertState.FIRING:
                plans.append((transition, self.asks(transition)))
            else:
                log.debug(
                    "%s %s: %s -> %s",
                    transition.vin,
                    transition.rule.id,
                    transition.from_state,
                    transition.to_state,
                )
        asks = [ask for _, group in plans for ask in group]
        if not asks:
            return
        receipts = self.sink.emit(asks, self.clock())
        if len(receipts) != len(asks):
            raise ValueError(f"the sink answered {len(receipts)} of {len(asks)} asks")
        start = 0
        for transition, group in plans:
            self._account(transition, receipts[start : start + len(group)])
            start += len(group)

    def asks(self, transition: Transition) -> list[Ask]:
        """What a FIRING transition asks: an escalation adds to the open job; a firing opens
        the job, or adds a refiring to the one open from an earlier firing."""
        entry = {"trigger": trigger(transition), "window": window_json(transition.evidence)}
        t = transition
        if t.escalated:
            return [AddEvidence(t.vin, t.rule.id, Addition.ESCALATION, t.at, entry, t.severity)]
        return [
            OpenJob(self.draft(t), t.rule.urgency_s),
            AddEvidence(t.vin, t.rule.id, Addition.REFIRING, t.at, entry, t.severity),
        ]

    def _account(self, transition: Transition, receipts: list[Receipt]) -> None:
        rule = transition.rule
        if transition.escalated:
            (added,) = receipts
            if added.done:
                self.stats.escalations += 1
            return
        opened, again = receipts
        if opened.created:
            self.stats.jobs_opened += 1
            self.stats.by_rule[rule.id] = self.stats.by_rule.get(rule.id, 0) + 1
        elif again.done:
            self.stats.refirings += 1
        else:
            self.stats.jobs_existing += 1  # the same firing again (a redelivered message)
        if rule.evidence.after_s > 0 and (opened.created or again.done):
            until = transition.at + rule.evidence.after_s
            self._after[(transition.vin, rule.id, transition.at)] = _After(
                rule, transition.at, until
            )

    def _flush_after(self, vin: str) -> None:
        """Attach every window after a firing of ``vin`` that data time has passed."""
        latest = self.engine.last_seen.get(vin)
        if latest is None or not self._after:
            return
        due = [key for key, item in self._after.items() if key[0] == vin and latest >= item.until]
        if not due:
            return
        asks: list[Ask] = []
        for key in due:
            item = self._after[key]
            points = evidence_after(self.engine, item.rule, vin, item.fired_at, item.until)
            entry = {"from": item.fired_at, "until": item.until, "window": window_json(points)}
            asks.append(AttachAfter(vin, item.rule.id, item.fired_at, entry))
        receipts = self.sink.emit(asks, self.clock())
        for key in due:
            del self._after[key]
        self._dirty.add(vin)
        self.stats.after_windows += sum(1 for r in receipts if r.done)

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
