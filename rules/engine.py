"""The rules engine: a pure function of (rules, state, samples, time), Prometheus semantics.

Per (vin, rule) an alert moves ``inactive -> pending -> firing -> resolved``:

- pending when the condition first holds, at the sample's timestamp (data time, not wall time);
- back to inactive if the condition breaks before ``for`` has passed;
- firing once it has held for ``for``; the FIRING transition carries the evidence window;
- while firing, a value past an ``escalate`` level raises the severity (FIRING -> FIRING);
- resolved once the condition is cleared (hysteresis) for ``clear_for``; a resolved alert
  behaves like an inactive one and may go pending again.

Entry points: ``evaluate`` (telemetry samples) and ``evaluate_columns`` (the same batch kept
column-wise, what the worker reads; ``evaluate`` is that path too), ``evaluate_dtc`` (a
trouble-code report) and ``tick`` (the clock: no-data rules, which fire on silence, not on
samples). A batch is evaluated per column where the rules allow (rules/batch.py: derived
series per column, the rules it cannot move found from the columns' extremes, only the others
stepped instant by instant).

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

from collections.abc import Sequence

from pitstop.codec import Sample
from pitstop.dtc import DtcReport
from rules.batch import FUTURE_TOLERANCE_S, evaluate_columns, resolve_silence
from rules.conditions import DtcPattern, NoData
from rules.measure import dtc_measure, no_data
from rules.model import Rule
from rules.quiet import Column
from rules.state import DEFAULT_WINDOW_CAP, AlertState, EngineState, ServiceMark
from rules.transition import Transition, advance, evidence_after

__all__ = [
    "DEFAULT_WINDOW_CAP",
    "FUTURE_TOLERANCE_S",
    "AlertState",
    "EngineState",
    "Transition",
    "evaluate",
    "evaluate_columns",
    "evaluate_dtc",
    "evidence_after",
    "mark_serviced",
    "tick",
]


def evaluate(
    rules: tuple[Rule, ...],
    state: EngineState,
    samples: Sequence[Sample],
    vin: str,
    now: float,
) -> list[Transition]:
    """Feed one vehicle's samples through every rule; update ``state``; return what changed."""
    columns: dict[str, Column] = {}
    for sample in sorted(samples, key=lambda s: s.ts):
        column = columns.get(sample.signal)
        if column is None:
            column = columns[sample.signal] = ([], [])
        column[0].append(sample.ts)
        column[1].append(sample.value)
    return evaluate_columns(rules, state, columns, vin, now)


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
    out: list[Transition] = list(resolve_silence(rules, state, report.vin, ts))
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
