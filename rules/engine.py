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

Ordering: each batch is processed in timestamp order. A sample older than the last one an alert
has seen (a late batch) does not move that alert, but it does go into the evidence window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport, describe
from rules.measure import (
    Measurement,
    bucket_specs,
    dtc_pattern_matches,
    horizon,
    measure,
    no_data,
    triggers,
)
from rules.model import (
    Buckets,
    Difference,
    DtcPattern,
    Maintenance,
    NoData,
    Rule,
)
from rules.state import DEFAULT_WINDOW_CAP, AlertState, DtcTrack, EngineState, ServiceMark
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

RUNNING_GAP_S = 60.0
"""Running hours count the time between samples up to this gap (longer: the car was off)."""


@dataclass(frozen=True, slots=True)
class _Index:
    rules: tuple[Rule, ...]
    by_trigger: Mapping[str, tuple[Rule, ...]]
    derived: tuple[Difference, ...]
    buckets: tuple[Buckets, ...]
    window_signals: frozenset[str]
    horizon_s: float
    running: frozenset[str]


def _index(rules: tuple[Rule, ...]) -> _Index:
    by_trigger: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in triggers(rule.condition):
            by_trigger.setdefault(name, []).append(rule)
    derived = tuple(dict.fromkeys(d for r in rules for d in r.derived))
    buckets = tuple(dict.fromkeys(b for r in rules for b in bucket_specs(r.condition)))
    raw = {s for r in rules for s in r.signals} | {b.signal for b in buckets}
    raw |= {b.when.signal for b in buckets if b.when is not None}
    raw |= {s for d in derived for s in (d.minuend, d.subtrahend)}
    return _Index(
        rules=rules,
        by_trigger={name: tuple(rs) for name, rs in by_trigger.items()},
        derived=derived,
        buckets=buckets,
        window_signals=frozenset(raw),
        horizon_s=max(
            (
                r.evidence.before_s + r.condition.hold_s + horizon(r.condition) + r.evidence.after_s
                for r in rules
            ),
            default=0.0,
        ),
        running=frozenset(
            r.condition.running_signal for r in rules if isinstance(r.condition, Maintenance)
        ),
    )


def index_of(state: EngineState, rules: tuple[Rule, ...]) -> _Index:
    cached = state.index_cache
    if not isinstance(cached, _Index) or cached.rules != rules:
        cached = state.index_cache = _index(rules)
    return cached


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
    for ts, group in groupby(ordered, key=lambda s: s.ts):
        if ts > latest:
            state.future_samples += sum(1 for _ in group)
            continue
        moment = list(group)  # every signal at this instant joins its window before any step
        updated = _absorb(index, state, vin, ts, moment)
        transitions.extend(_resolve_silence(rules, state, vin, ts))
        due = dict.fromkeys(r for name in updated for r in index.by_trigger.get(name, ()))
        for rule in due:
            transitions.extend(_step(state, rule, vin, ts))
    return transitions


def _absorb(
    index: _Index, state: EngineState, vin: str, ts: float, moment: list[Sample]
) -> set[str]:
    """Add one instant's samples to the windows, derived series and buckets; return the names
    of everything that got a new point (signals, derived series, closed bucket series)."""
    updated = {s.signal for s in moment}
    for sample in moment:
        state.window(vin, sample.signal, index.horizon_s).add(sample.ts, sample.value)
    for diff in index.derived:
        if diff.minuend in updated or diff.subtrahend in updated:
            a = state.window(vin, diff.minuend, index.horizon_s).latest(ts)
            b = state.window(vin, diff.subtrahend, index.horizon_s).latest(ts)
            if a is not None and b is not None:
                state.window(vin, diff.name, index.horizon_s).add(ts, a - b)
                updated.add(diff.name)
    for spec in index.buckets:
        if spec.signal in updated and _passes(state, vin, spec, ts, index.horizon_s):
            value = state.window(vin, spec.signal, index.horizon_s).latest(ts)
            if value is not None and state.bucket_series(vin, spec).add(ts, value):
                updated.add(spec.key)
    for signal in index.running & updated:
        _count_running(state, vin, ts, state.window(vin, signal, index.horizon_s).latest(ts))
    return updated


def _passes(state: EngineState, vin: str, spec: Buckets, ts: float, horizon_s: float) -> bool:
    if spec.when is None:
        return True
    value = state.window(vin, spec.when.signal, horizon_s).latest(ts)
    return value is not None and abs(value - spec.when.equals) < 1e-9


def _count_running(state: EngineState, vin: str, ts: float, value: float | None) -> None:
    last, hours = state.running_hours.get(vin, (ts, 0.0))
    if value is not None and value > 0 and 0 < ts - last <= RUNNING_GAP_S:
        hours += (ts - last) / 3600.0
    state.running_hours[vin] = (max(ts, last), hours)


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
    """A service was done at ``at`` (at ``km`` when known): the interval counts from here."""
    state.services[(vin, rule_id)] = ServiceMark(at=at, km=km)
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
        alert.last_ts = ts
        found = _dtc_measure(cond, state, rule.id, report)
        out.extend(advance(state, rule, alert, report.vin, at=ts, found=found))
    return out


def _dtc_measure(
    cond: DtcPattern, state: EngineState, rule_id: str, report: DtcReport
) -> Measurement:
    track = state.dtc.setdefault((report.vin, rule_id), DtcTrack())
    matching = [
        d
        for d in report.codes
        if dtc_pattern_matches(cond, d.code, d.protocol.value, {s.value for s in d.status})
    ]
    if matching and not track.matching:
        track.edges += 1
    track.matching = bool(matching)
    seen = max([track.edges, *(d.occurrences or 0 for d in matching)]) if matching else 0
    codes = [dtc_json(d) for d in matching]
    details = {"dtcs": codes, "occurrences": seen} if codes else {}
    return Measurement(float(seen), seen >= cond.repeat, not matching, details)


def dtc_json(dtc: Dtc) -> dict[str, Any]:
    """A trouble code as a job's evidence carries it."""
    return {
        "code": dtc.code,
        "protocol": dtc.protocol.value,
        "ecu": dtc.ecu,
        "status": sorted(s.value for s in dtc.status),
        "description": dtc.description or describe(dtc.code),
        "occurrences": dtc.occurrences,
        "freeze_frame": dict(dtc.snapshot),
    }


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
