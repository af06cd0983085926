"""The rules engine: a pure function of (rules, state, samples, time), Prometheus semantics.

Per (vin, rule) an alert moves ``inactive -> pending -> firing -> resolved``:

- pending when the condition first holds, at the sample's timestamp (data time, not wall time);
- back to inactive if the condition breaks before ``for`` has passed;
- firing once it has held for ``for``; the FIRING transition carries the evidence window;
- resolved once the signal is past the clear level (hysteresis) for ``clear_for``; a resolved
  alert behaves like an inactive one and may go pending again.

``EngineState`` is owned by its caller and updated in place (copying it per batch would cost
more than the evaluation). No I/O, no clock: ``now`` only bounds how far in the future a sample
may lie (a gateway with a wrong clock must not lock an alert into the future).

Ordering: each batch is processed in timestamp order. A sample older than the last one an alert
has seen (a late batch) does not move that alert, but it does go into the evidence window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby

from pitstop.codec import Sample
from rules.model import Rule, Threshold
from rules.window import Point, SampleWindow

FUTURE_TOLERANCE_S = 300.0
"""Samples more than this far ahead of ``now`` are ignored and counted."""

DEFAULT_WINDOW_CAP = 10_000
"""Most samples kept per (vin, signal) for evidence, whatever the time horizon."""


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Transition:
    """An alert changed state. ``evidence`` is filled for FIRING only: signal -> [(ts, v)]."""

    vin: str
    rule: Rule
    from_state: AlertState
    to_state: AlertState
    at: float
    value: float
    since: float  # when the condition began (pending) or began to clear (resolved)
    evidence: Mapping[str, tuple[Point, ...]] = field(default_factory=dict)


class _Alert:
    __slots__ = ("clear_since", "last_ts", "since", "state")

    def __init__(self) -> None:
        self.state = AlertState.INACTIVE
        self.since = 0.0
        self.clear_since: float | None = None
        self.last_ts = float("-inf")


@dataclass(frozen=True, slots=True)
class _Index:
    rules: tuple[Rule, ...]
    by_signal: Mapping[str, tuple[Rule, ...]]
    window_signals: frozenset[str]
    horizon_s: float


def _index(rules: tuple[Rule, ...]) -> _Index:
    by_signal: dict[str, list[Rule]] = {}
    for rule in rules:
        for signal in rule.condition.signals:
            by_signal.setdefault(signal, []).append(rule)
    return _Index(
        rules=rules,
        by_signal={signal: tuple(rs) for signal, rs in by_signal.items()},
        window_signals=frozenset(s for rule in rules for s in rule.signals),
        horizon_s=max((r.evidence.before_s + r.condition.hold_s for r in rules), default=0.0),
    )


class EngineState:
    """Alert states per (vin, rule) and evidence windows per (vin, signal); owned by one caller.

    Memory grows with the number of vehicles seen (a later issue: evict idle vehicles).
    """

    def __init__(self, window_cap: int = DEFAULT_WINDOW_CAP) -> None:
        self.window_cap = window_cap
        self.alerts: dict[tuple[str, str], _Alert] = {}
        self.windows: dict[tuple[str, str], SampleWindow] = {}
        self.late_samples = 0
        self.future_samples = 0
        self._index: _Index | None = None

    def index(self, rules: tuple[Rule, ...]) -> _Index:
        if self._index is None or self._index.rules != rules:
            self._index = _index(rules)
        return self._index

    def alert_state(self, vin: str, rule_id: str) -> AlertState:
        alert = self.alerts.get((vin, rule_id))
        return alert.state if alert else AlertState.INACTIVE

    def window(self, vin: str, signal: str, horizon_s: float) -> SampleWindow:
        key = (vin, signal)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = SampleWindow(horizon_s, self.window_cap)
        return window


def evaluate(
    rules: tuple[Rule, ...],
    state: EngineState,
    samples: Sequence[Sample],
    vin: str,
    now: float,
) -> list[Transition]:
    """Feed one vehicle's samples through every rule; update ``state``; return what changed."""
    index = state.index(rules)
    ordered = sorted((s for s in samples if s.signal in index.window_signals), key=lambda s: s.ts)
    latest = now + FUTURE_TOLERANCE_S
    transitions: list[Transition] = []
    for ts, group in groupby(ordered, key=lambda s: s.ts):
        if ts > latest:
            state.future_samples += sum(1 for _ in group)
            continue
        moment = list(group)  # every signal at this instant joins its window before any step
        for sample in moment:
            state.window(vin, sample.signal, index.horizon_s).add(sample.ts, sample.value)
        for sample in moment:
            for rule in index.by_signal.get(sample.signal, ()):
                transitions.extend(_step(state, rule, vin, sample))
    return transitions


def _step(state: EngineState, rule: Rule, vin: str, sample: Sample) -> list[Transition]:
    key = (vin, rule.id)
    alert = state.alerts.get(key)
    if alert is None:
        alert = state.alerts[key] = _Alert()
    if sample.ts < alert.last_ts:
        state.late_samples += 1
        return []
    alert.last_ts = sample.ts
    return _threshold(state, rule, alert, vin, sample)


def _threshold(
    state: EngineState, rule: Rule, alert: _Alert, vin: str, sample: Sample
) -> list[Transition]:
    cond: Threshold = rule.condition
    ts, value = sample.ts, sample.value
    out: list[Transition] = []

    def move(to: AlertState, since: float, evidence: Mapping[str, tuple[Point, ...]]) -> None:
        out.append(Transition(vin, rule, alert.state, to, ts, value, since, evidence))
        alert.state = to

    if alert.state in (AlertState.INACTIVE, AlertState.RESOLVED) and cond.breached(value):
        alert.since = ts
        move(AlertState.PENDING, ts, {})
    elif alert.state is AlertState.PENDING and not cond.breached(value):
        move(AlertState.INACTIVE, alert.since, {})
        return out
    if alert.state is AlertState.PENDING and ts - alert.since >= cond.hold_s:
        alert.clear_since = None
        move(AlertState.FIRING, alert.since, _evidence(state, rule, vin, alert.since, ts))
    elif alert.state is AlertState.FIRING and not out:
        if not cond.cleared(value):
            alert.clear_since = None
        else:
            if alert.clear_since is None:
                alert.clear_since = ts
            if ts - alert.clear_since >= cond.clear_hold_s:
                move(AlertState.RESOLVED, alert.clear_since, {})
    return out


def _evidence(
    state: EngineState, rule: Rule, vin: str, since: float, fired_at: float
) -> dict[str, tuple[Point, ...]]:
    start = since - rule.evidence.before_s
    evidence: dict[str, tuple[Point, ...]] = {}
    for signal in rule.signals:
        window = state.windows.get((vin, signal))
        evidence[signal] = tuple(window.between(start, fired_at)) if window else ()
    return evidence
