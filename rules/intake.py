"""What a sample does to the engine's state before any rule looks at it (pure).

``index_of`` reads the catalogue once: which rules each series triggers, the derived series and
bucket series to keep, and how much history the windows hold. ``absorb`` adds one instant's
samples to the windows, derived series, bucket series and running hours; ``derive`` does
the part after the raw windows (the engine absorbs a batch column by column first).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pitstop.codec import Sample
from rules.conditions import (
    Buckets,
    Combination,
    Condition,
    Maintenance,
    RateOfChange,
    Threshold,
    Trend,
    WindowStat,
    bucket_specs,
)
from rules.model import Difference, Rule
from rules.state import EngineState
from rules.window import SampleWindow

RUNNING_GAP_S = 60.0
"""Running hours count the time between samples up to this gap (longer: the car was off)."""


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """What a catalogue reads, worked out once per catalogue."""

    rules: tuple[Rule, ...]
    by_trigger: Mapping[str, tuple[Rule, ...]]
    derived: tuple[Difference, ...]
    buckets: tuple[Buckets, ...]
    window_signals: frozenset[str]
    horizon_s: float
    running: frozenset[str]
    horizons: Mapping[str, float]  # per series: the history some rule reads (else 0: latest)
    bucket_keys: tuple[tuple[Buckets, str], ...] = ()  # each bucket spec with its key, made once
    memo: dict[frozenset[str], tuple[Rule, ...]] = field(default_factory=dict, compare=False)

    def due(self, updated: Collection[str]) -> tuple[Rule, ...]:
        """The rules that new points of ``updated`` trigger, in catalogue order, each once
        (memoised per set of names: a fleet sends the same signals at every instant)."""
        key = frozenset(updated)
        found = self.memo.get(key)
        if found is None:
            ids = {id(r) for name in key for r in self.by_trigger.get(name, ())}
            found = self.memo[key] = tuple(r for r in self.rules if id(r) in ids)
        return found

    def keep_s(self, name: str) -> float:
        """How much data time of series ``name`` the windows hold: what the rules reading it
        need (condition window, hold, evidence before and after), not the catalogue's longest."""
        return self.horizons.get(name, 0.0)


def triggers(cond: Condition) -> tuple[str, ...]:
    """The series whose new points make the engine evaluate ``cond``: a signal, a derived
    series, or a bucket series key (a closed bucket)."""
    if isinstance(cond, Threshold | WindowStat):
        return (cond.signal,)
    if isinstance(cond, RateOfChange | Trend):
        return (cond.series.key,)
    if isinstance(cond, Maintenance):
        return (cond.distance_signal,)
    if isinstance(cond, Combination):
        return tuple(dict.fromkeys(t for part in cond.parts for t in triggers(part)))
    return ()


def horizon(cond: Condition) -> float:
    """How much raw sample history ``cond`` reads."""
    if isinstance(cond, WindowStat):
        return cond.window_s
    if isinstance(cond, Combination):
        return max((horizon(p) for p in cond.parts), default=0.0)
    return 0.0


def _reach(rule: Rule) -> float:
    ev = rule.evidence
    return ev.before_s + rule.condition.hold_s + horizon(rule.condition) + ev.after_s


def _horizons(rules: tuple[Rule, ...]) -> dict[str, float]:
    found: dict[str, float] = {}
    for rule in rules:
        for name in rule.signals:
            found[name] = max(found.get(name, 0.0), _reach(rule))
    return found


def _index(rules: tuple[Rule, ...]) -> RuleIndex:
    by_trigger: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in triggers(rule.condition):
            by_trigger.setdefault(name, []).append(rule)
    derived = tuple(dict.fromkeys(d for r in rules for d in r.derived))
    buckets = tuple(dict.fromkeys(b for r in rules for b in bucket_specs(r.condition)))
    raw = {s for r in rules for s in r.signals} | {b.signal for b in buckets}
    raw |= {b.when.signal for b in buckets if b.when is not None}
    raw |= {s for d in derived for s in (d.minuend, d.subtrahend)}
    return RuleIndex(
        rules=rules,
        by_trigger={name: tuple(rs) for name, rs in by_trigger.items()},
        derived=derived,
        buckets=buckets,
        window_signals=frozenset(raw),
        horizon_s=max((_reach(r) for r in rules), default=0.0),
        horizons=_horizons(rules),
        bucket_keys=tuple((b, b.key) for b in buckets),
        running=frozenset(
            r.condition.running_signal for r in rules if isinstance(r.condition, Maintenance)
        ),
    )


def index_of(state: EngineState, rules: tuple[Rule, ...]) -> RuleIndex:
    """The index of ``rules``, cached on ``state`` until the catalogue changes."""
    cached = state.index_cache
    if not isinstance(cached, RuleIndex) or cached.rules != rules:
        cached = state.index_cache = _index(rules)
    return cached


def absorb(
    index: RuleIndex, state: EngineState, vin: str, ts: float, moment: list[Sample]
) -> set[str]:
    """Add one instant's samples to the windows, derived series and buckets; return the names
    of everything that got a new point (signals, derived series, closed bucket series)."""
    for sample in moment:
        state.window(vin, sample.signal, index.keep_s(sample.signal)).add(sample.ts, sample.value)
    return derive(index, state, vin, ts, {s.signal for s in moment})


def derive(
    index: RuleIndex, state: EngineState, vin: str, ts: float, updated: set[str]
) -> set[str]:
    """The derived series, buckets and running hours at instant ``ts``, once the raw windows
    hold its samples (windows are read at ``ts``, so later samples of the batch already in
    them change nothing); ``updated`` grown by what got a new point."""
    for diff in index.derived:
        if diff.minuend in updated or diff.subtrahend in updated:
            a = state.window(vin, diff.minuend, index.keep_s(diff.minuend)).latest(ts)
            b = state.window(vin, diff.subtrahend, index.keep_s(diff.subtrahend)).latest(ts)
            if a is not None and b is not None:
                state.window(vin, diff.name, index.keep_s(diff.name)).add(ts, a - b)
                updated.add(diff.name)
    windows = state.windows
    for spec, key in index.bucket_keys:
        if spec.signal not in updated or not _passes(windows, vin, spec, ts):
            continue
        window = windows.get((vin, spec.signal))
        value = window.latest(ts) if window is not None else None
        if value is not None:
            series = state.buckets.get((vin, key)) or state.bucket_series(vin, spec)
            if series.add(ts, value):
                updated.add(key)
    for signal in index.running & updated:
        _count_running(state, vin, ts, state.window(vin, signal, index.keep_s(signal)).latest(ts))
    return updated


def _passes(
    windows: Mapping[tuple[str, str], SampleWindow], vin: str, spec: Buckets, ts: float
) -> bool:
    if spec.when is None:
        return True
    window = windows.get((vin, spec.when.signal))
    value = window.latest(ts) if window is not None else None
    return value is not None and abs(value - spec.when.equals) < 1e-9


def _count_running(state: EngineState, vin: str, ts: float, value: float | None) -> None:
    last, hours = state.running_hours.get(vin, (ts, 0.0))
    if value is not None and value > 0 and 0 < ts - last <= RUNNING_GAP_S:
        hours += (ts - last) / 3600.0
    state.running_hours[vin] = (max(ts, last), hours)
