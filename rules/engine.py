"""The rules engine: a pure function of (rules, state, samples, time), Prometheus semantics.

Per (vin, rule) an alert moves ``inactive -> pending -> firing -> resolved``:

- pending when the condition first holds, at the sample's timestamp (data time, not wall time);
- back to inactive if the condition breaks before ``for`` has passed;
- firing once it has held for ``for``; the FIRING transition carries the evidence window;
- while firing, a value past an ``escalate`` level raises the severity (FIRING -> FIRING);
- resolved once the condition is cleared (hysteresis) for ``clear_for``; a resolved alert
  behaves like an inactive one and may go pending again.

Three entry points: ``evaluate`` (telemetry samples), ``evaluate_dtc`` (a trouble-code report)
and ``tick`` (the clock: no-data rules, which fire on silence, not on samples).

``EngineState`` (rules/state.py) is owned by the caller and updated in place. No I/O, no clock:
``now`` only bounds how far in the future a sample may lie (a gateway with a wrong clock must
not lock an alert into the future) and drives ``tick``.

What a sample does to the state first (windows, derived series, buckets, running hours) is
rules/intake.py; what each condition measures is rules/measure.py; the alert state machine is
rules/transition.py.

Ordering: each batch is processed in timestamp order. A sample older than the last one an alert
has seen (a late batch) does not move that alert, but it does go into the evidence window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby

from pitstop.codec import Sample
from pitstop.dtc import DtcReport
from rules.conditions import DtcPattern, Maintenance, NoData, Threshold
from rules.intake import absorb, index_of
from rules.measure import Measurement, dtc_measure, measure, no_data
from rules.model import Rule
from rules.state import DEFAULT_WINDOW_CAP, AlertState, EngineState, ServiceMark
from rules.transition import Transition, advance, evidence_after

__all__ = [
    "DEFAULT_WINDOW_CAP",
    "FUTURE_TOLERANCE_S",
    "AlertState",
    "EngineState",
    "Transition",
    "evaluate",
    "evaluate_dtc",
    "evidence_after",
    "mark_serviced",
    "tick",
]

FUTURE_TOLERANCE_S = 300.0
"""Samples more than this far ahead of ``now`` are ignored and counted."""


def evaluate(
    rules: tuple[Rule, ...],
    state: EngineState,
    samples: Sequence[Sample],
    vin: str,
    now: float,
) -> list[Transition]:
    """Feed one vehicle's samples through every rule; update ``state``; return what changed."""
    index = index_of(state, rules)
    ordered = sorted((s for s in samples if s.signal in index.window_signals), key=lambda s: s.ts)
    latest = now + FUTURE_TOLERANCE_S
    transitions: list[Transition] = []
    heard = max((s.ts for s in samples if s.ts <= latest), default=None)
    if heard is not None and not ordered:
        transitions.extend(_resolve_silence(rules, state, vin, heard))
    if heard is not None and heard > state.last_seen.get(vin, float("-inf")):
        state.last_seen[vin] = heard
    quiet = _quiet_thresholds(rules, state, vin, ordered, latest)
    for ts, group in groupby(ordered, key=lambda s: s.ts):
        if ts > latest:
            state.future_samples += sum(1 for _ in group)
            continue
        moment = list(group)  # every signal at this instant joins its window before any step
        updated = absorb(index, state, vin, ts, moment)
        transitions.extend(_resolve_silence(rules, state, vin, ts))
        for rule in index.due(updated):
            if rule.id not in quiet:
                transitions.extend(_step(state, rule, vin, ts))
    for rule_id, last in quiet.items():
        alert = state.alert(vin, rule_id)
        alert.last_ts = max(alert.last_ts, last)
    return transitions


def _quiet_thresholds(
    rules: tuple[Rule, ...], state: EngineState, vin: str, ordered: list[Sample], latest: float
) -> dict[str, float]:
    """The threshold rules this batch cannot move, with its newest time of their signal: the
    alert is inactive (or resolved), no sample is older than what it has seen, and no value of
    the column is past the level (one pass over the column, not one step per sample). The
    usual case of a healthy fleet; every other rule is stepped sample by sample."""
    columns: dict[str, list[float]] = {}
    span: dict[str, tuple[float, float]] = {}
    for sample in ordered:
        if sample.ts > latest:
            break
        columns.setdefault(sample.signal, []).append(sample.value)
        first, _ = span.get(sample.signal, (sample.ts, sample.ts))
        span[sample.signal] = (first, sample.ts)
    quiet: dict[str, float] = {}
    for rule in rules:
        cond = rule.condition
        if not isinstance(cond, Threshold) or cond.signal not in columns:
            continue
        alert = state.alerts.get((vin, rule.id))
        first, last = span[cond.signal]
        if alert is not None and (alert.state in _BUSY or first < alert.last_ts):
            continue
        values = columns[cond.signal]
        if not (cond.breached(min(values)) or cond.breached(max(values))):
            quiet[rule.id] = last
    return quiet


_BUSY = (AlertState.PENDING, AlertState.FIRING)


def _step(state: EngineState, rule: Rule, vin: str, ts: float) -> list[Transition]:
    alert = state.alert(vin, rule.id)
    if ts < alert.last_ts:
        state.late_samples += 1
        return []
    if isinstance(rule.condition, Maintenance):
        _ensure_mark(state, rule, vin, ts)
    found = measure(rule.condition, state, vin, ts, rule.id)
    if found is None:
        return []
    alert.last_ts = ts
    return advance(state, rule, alert, vin, at=ts, found=found)


def _ensure_mark(state: EngineState, rule: Rule, vin: str, ts: float) -> None:
    """A maintenance interval counts from the last service, else from when the car was first
    seen; the odometer of a fresh mark is filled in from the first reading after it."""
    cond = rule.condition
    assert isinstance(cond, Maintenance)
    mark = state.services.get((vin, rule.id))
    if mark is None:
        mark = state.services[(vin, rule.id)] = ServiceMark(at=ts)
    if mark.km is None:
        window = state.windows.get((vin, cond.distance_signal))
        mark.km = window.latest(ts) if window else None
        mark.hours = state.running_hours.get(vin, (ts, 0.0))[1]


def mark_serviced(
    state: EngineState, vin: str, rule_id: str, at: float, km: float | None = None
) -> None:
    """A service was done at ``at`` (at ``km`` when known): the interval counts from here (the
    running hours from the next reading, or from now when ``km`` is known)."""
    hours = state.running_hours.get(vin, (at, 0.0))[1]
    state.services[(vin, rule_id)] = ServiceMark(at=at, km=km, hours=hours, serviced=True)
    alert = state.alerts.get((vin, rule_id))
    if alert is not None and alert.state is AlertState.FIRING:
        alert.state, alert.severity = AlertState.RESOLVED, None


def evaluate_dtc(
    rules: tuple[Rule, ...], state: EngineState, report: DtcReport, now: float
) -> list[Transition]:
    """Match a trouble-code report against every DTC-pattern rule."""
    ts = min(report.ts, now + FUTURE_TOLERANCE_S)
    if ts > state.last_seen.get(report.vin, float("-inf")):
        state.last_seen[report.vin] = ts
    out: list[Transition] = list(_resolve_silence(rules, state, report.vin, ts))
    for rule in rules:
        cond = rule.condition
        if not isinstance(cond, DtcPattern):
            continue
        alert = state.alert(report.vin, rule.id)
        if ts < alert.last_ts:
            state.late_samples += 1
            continue
        found = dtc_measure(cond, state, rule.id, report)
        if found is None:
            continue
        alert.last_ts = ts
        out.extend(advance(state, rule, alert, report.vin, at=ts, found=found))
    return out


def tick(rules: tuple[Rule, ...], state: EngineState, now: float) -> list[Transition]:
    """The clock: fire no-data rules for every vehicle silent for their period."""
    out: list[Transition] = []
    silence_rules = [r for r in rules if isinstance(r.condition, NoData)]
    for vin, last in list(state.last_seen.items()):
        for rule in silence_rules:
            assert isinstance(rule.condition, NoData)
            alert = state.alert(vin, rule.id)
            if alert.state is AlertState.FIRING:
                continue
            found = no_data(rule.condition, last, now)
            alert.last_ts = max(alert.last_ts, now)
            out.extend(advance(state, rule, alert, vin, at=now, found=found))
    return out


def _resolve_silence(
    rules: Iterable[Rule], state: EngineState, vin: str, ts: float
) -> list[Transition]:
    """Data arrived: every firing or pending no-data alert of this vehicle clears."""
    out: list[Transition] = []
    for rule in rules:
        if not isinstance(rule.condition, NoData):
            continue
        alert = state.alerts.get((vin, rule.id))
        if alert is None or alert.state not in (AlertState.FIRING, AlertState.PENDING):
            continue
        found = Measurement(0.0, False, True)
        alert.last_ts = ts
        out.extend(advance(state, rule, alert, vin, at=ts, found=found))
    return out
