"""What each kind of condition measures at an instant, read from the engine's state (pure).

A ``Measurement`` says the value the rule looks at, whether it is breached (past the level) and
whether it is cleared (back past the clear level); the engine's state machine does the rest.
``None`` means "not enough data to say": the alert does not move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from pitstop.dtc import Dtc, DtcReport, describe
from rules.conditions import (
    Buckets,
    Combination,
    Condition,
    Direction,
    DtcPattern,
    Maintenance,
    NoData,
    RateOfChange,
    Stat,
    Threshold,
    Trend,
    WindowStat,
)
from rules.forecast import forecast, theil_sen
from rules.state import DtcTrack, EngineState

MIN_BUCKETS = 4
"""A rate or trend needs at least this many bucket means to say anything."""


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    breached: bool
    cleared: bool
    details: Mapping[str, Any] = field(default_factory=dict)


def measure(
    cond: Condition, state: EngineState, vin: str, ts: float, rule_id: str = ""
) -> Measurement | None:
    """``cond`` at ``ts``; ``rule_id`` files the service marks of a maintenance rule."""
    if isinstance(cond, Threshold):
        value = _latest(state, vin, cond.signal, ts)
        if value is None:
            return None
        return Measurement(value, cond.breached(value), cond.cleared(value))
    if isinstance(cond, WindowStat):
        return _window_stat(cond, state, vin, ts)
    if isinstance(cond, RateOfChange):
        return _rate(cond, state, vin, ts)
    if isinstance(cond, Trend):
        return _trend(cond, state, vin, ts)
    if isinstance(cond, Maintenance):
        return _maintenance(cond, state, vin, ts, rule_id)
    if isinstance(cond, Combination):
        return _combination(cond, state, vin, ts, rule_id)
    return None  # DtcPattern and NoData: dtc_measure and no_data, on reports and the clock


def _latest(state: EngineState, vin: str, signal: str, ts: float) -> float | None:
    window = state.windows.get((vin, signal))
    if window is None:
        return None
    return window.latest(ts)


def _window_stat(cond: WindowStat, state: EngineState, vin: str, ts: float) -> Measurement | None:
    window = state.windows.get((vin, cond.signal))
    values = window.values_between(ts - cond.window_s, ts) if window else []
    if not values:
        return None
    if cond.stat is Stat.MEAN:
        value = math.fsum(values) / len(values)
    elif cond.stat is Stat.MIN:
        value = min(values)
    elif cond.stat is Stat.MAX:
        value = max(values)
    else:
        value = _pstdev(values)
    return Measurement(value, cond.limit.breached(value), cond.limit.cleared(value))


def _pstdev(values: list[float]) -> float:
    """The population standard deviation, two passes in floats (``statistics.pstdev`` works
    in exact fractions: a hundred times slower on a window of 1 Hz samples)."""
    if len(values) < 2:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _fit_points(
    spec: Buckets, state: EngineState, vin: str, ts: float
) -> list[tuple[float, float]]:
    series = state.buckets.get((vin, spec.key))
    if series is None:
        return []
    points = series.recent(ts)
    if len(points) < MIN_BUCKETS or points[-1][0] - points[0][0] < spec.min_span_s:
        return []
    return points


def _rate(cond: RateOfChange, state: EngineState, vin: str, ts: float) -> Measurement | None:
    points = _fit_points(cond.series, state, vin, ts)
    if not points:
        return None
    slope, _ = theil_sen(points)
    value = slope * cond.per_s
    return Measurement(value, cond.limit.breached(value), cond.limit.cleared(value))


def _trend(cond: Trend, state: EngineState, vin: str, ts: float) -> Measurement | None:
    points = _fit_points(cond.series, state, vin, ts)
    if not points:
        return None
    fit = forecast(points, cond.level, ts, falling=cond.direction is Direction.BELOW)
    eta = fit.eta_s()
    value = math.inf if eta is None else eta
    details = {
        "forecast": {
            "text": fit.describe(cond.what, cond.level, cond.unit),
            "limit": cond.level,
            "crossing_at": fit.crossing_at,
            "eta_s": eta,
            "slope_per_day": fit.slope_per_s * 86400.0,
            "value_now": fit.value_now,
            "points": len(points),
        }
    }
    return Measurement(value, value <= cond.horizon_s, value > cond.horizon_s, details)


def _maintenance(
    cond: Maintenance, state: EngineState, vin: str, ts: float, rule_id: str
) -> Measurement | None:
    mark = state.services.get((vin, rule_id))
    km = _latest(state, vin, cond.distance_signal, ts)
    if mark is None or km is None or mark.km is None:
        return None
    hours = state.running_hours.get(vin, (ts, 0.0))[1] - mark.hours
    used_km, used_s = km - mark.km, ts - mark.at
    due = (
        (cond.every_km is not None and used_km >= cond.every_km - cond.ahead_km)
        or (cond.every_s is not None and used_s >= cond.every_s - cond.ahead_s)
        or (cond.every_hours is not None and hours >= cond.every_hours)
    )
    details = {"service": {"km_since": used_km, "days_since": used_s / 86400.0, "hours": hours}}
    return Measurement(1.0 if due else 0.0, due, not due, details)


def _combination(
    cond: Combination, state: EngineState, vin: str, ts: float, rule_id: str
) -> Measurement | None:
    parts = [measure(p, state, vin, ts, rule_id) for p in cond.parts]
    known = [p for p in parts if p is not None]
    if cond.mode == "all":
        if len(known) < len(parts):
            return None
        breached = all(p.breached for p in known)
        cleared = any(p.cleared for p in known)
    else:
        if not known:
            return None
        breached = any(p.breached for p in known)
        cleared = all(p.cleared for p in known)
    details: dict[str, Any] = {}
    for part in known:
        details.update(part.details)
    return Measurement(1.0 if breached else 0.0, breached, cleared, details)


def dtc_pattern_matches(cond: DtcPattern, code: str, protocol: str, statuses: set[str]) -> bool:
    if cond.code is not None and not fnmatchcase(code, cond.code):
        return False
    if cond.protocol is not None and protocol != cond.protocol:
        return False
    return not cond.statuses or bool(cond.statuses & statuses)


def dtc_measure(
    cond: DtcPattern, state: EngineState, rule_id: str, report: DtcReport
) -> Measurement | None:
    """How often the codes ``cond`` matches rose in ``report`` (edges, or the ECU's count).

    A lamp rule holds while the report says its lamp is on (and a code matches, if it names
    one); a report that says nothing about the lamp (``None``) does not move it.
    """
    lit = None if cond.lamp is None else report.lamps.get(cond.lamp)
    if cond.lamp is not None and lit is None:
        return None
    track = state.dtc.setdefault((report.vin, rule_id), DtcTrack())
    matching = [
        d
        for d in report.codes
        if dtc_pattern_matches(cond, d.code, d.protocol.value, {s.value for s in d.status})
    ]
    holds = (cond.code is None or bool(matching)) and lit is not False
    if holds and not track.matching:
        track.edges += 1
    track.matching = holds
    seen = max([track.edges, *(d.occurrences or 0 for d in matching)]) if holds else 0
    details: dict[str, Any] = {"dtcs": [dtc_json(d) for d in matching]} if matching else {}
    if holds:
        details["occurrences"] = seen
        if cond.lamp is not None:
            details["lamp"] = cond.lamp
    return Measurement(float(seen), seen >= cond.repeat, not holds, details)


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


def no_data(cond: NoData, last_seen: float, now: float) -> Measurement:
    silent = now - last_seen
    return Measurement(silent, silent >= cond.silence_s, silent < cond.silence_s)
