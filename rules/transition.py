"""The alert state machine shared by every kind of rule: a measurement moves an alert
(pending, firing, escalated, resolved) and yields ``Transition`` values with their evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.model import Severity
from rules.conditions import bucket_specs, past
from rules.measure import Measurement
from rules.model import Rule
from rules.state import Alert, AlertState, EngineState
from rules.window import Point


@dataclass(frozen=True, slots=True)
class Transition:
    """An alert changed state. ``evidence`` is filled for FIRING only: signal -> [(ts, v)].

    ``severity`` is the alert's severity now (the rule's, or higher after an escalation);
    ``details`` carries what the condition knows besides a value (a forecast, the trouble codes).
    """

    vin: str
    rule: Rule
    from_state: AlertState
    to_state: AlertState
    at: float
    value: float
    since: float  # when the condition began (pending) or began to clear (resolved)
    severity: Severity
    evidence: Mapping[str, tuple[Point, ...]] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def escalated(self) -> bool:
        return self.from_state is AlertState.FIRING and self.to_state is AlertState.FIRING


def advance(
    state: EngineState, rule: Rule, alert: Alert, vin: str, *, at: float, found: Measurement
) -> list[Transition]:
    out: list[Transition] = []

    def move(to: AlertState, since: float, evidence: Mapping[str, tuple[Point, ...]]) -> None:
        severity = alert.severity or rule.severity
        out.append(
            Transition(
                vin,
                rule,
                alert.state,
                to,
                at,
                found.value,
                since,
                severity,
                evidence,
                found.details,
            )
        )
        alert.state = to

    if alert.state in (AlertState.INACTIVE, AlertState.RESOLVED) and found.breached:
        alert.since = at
        move(AlertState.PENDING, at, {})
    elif alert.state is AlertState.PENDING and not found.breached:
        move(AlertState.INACTIVE, alert.since, {})
        return out
    if alert.state is AlertState.PENDING and at - alert.since >= rule.condition.hold_s:
        alert.clear_since = None
        alert.severity = _escalation(rule, found.value, rule.severity)
        move(AlertState.FIRING, alert.since, _evidence(state, rule, vin, alert.since, at))
    elif alert.state is AlertState.FIRING and not out:
        raised = _escalation(rule, found.value, alert.severity or rule.severity)
        if raised is not (alert.severity or rule.severity):
            alert.severity = raised
            move(AlertState.FIRING, alert.since, _evidence(state, rule, vin, alert.since, at))
        if not found.cleared:
            alert.clear_since = None
        else:
            if alert.clear_since is None:
                alert.clear_since = at
            if at - alert.clear_since >= rule.condition.clear_hold_s:
                move(AlertState.RESOLVED, alert.clear_since, {})
                alert.severity = None
    return out


def _escalation(rule: Rule, value: float, current: Severity) -> Severity:
    """The highest severity among ``current`` and every escalation ``value`` is past."""
    best = current
    for step in rule.escalate:
        if past(step.direction, step.level, value):
            best = Severity.worse(best, step.severity)
    return best


def _evidence(
    state: EngineState, rule: Rule, vin: str, since: float, fired_at: float
) -> dict[str, tuple[Point, ...]]:
    start = since - rule.evidence.before_s
    evidence: dict[str, tuple[Point, ...]] = {}
    for signal in rule.signals:
        window = state.windows.get((vin, signal))
        evidence[signal] = tuple(window.between(start, fired_at)) if window else ()
    for spec in bucket_specs(rule.condition):
        series = state.buckets.get((vin, spec.key))
        name = f"{spec.signal} (mean per {spec.resolution_s:g}s)"
        evidence[name] = tuple(series.recent(fired_at)) if series else ()
    return evidence


def evidence_after(
    state: EngineState, rule: Rule, vin: str, fired_at: float, until: float
) -> dict[str, tuple[Point, ...]]:
    """The samples of ``rule``'s signals in ``(fired_at, until]``: the window after a trigger."""
    evidence: dict[str, tuple[Point, ...]] = {}
    for signal in rule.signals:
        window = state.windows.get((vin, signal))
        points = window.between(fired_at, until) if window else []
        evidence[signal] = tuple(p for p in points if p[0] > fired_at)
    return evidence
