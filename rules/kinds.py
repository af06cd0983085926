"""The catalogue's vocabulary: one strict input model per kind of condition, and how each becomes
a condition value (rules/conditions.py). Unknown fields are errors; rules/loader.py names the rule.

Kinds: ``threshold``, ``window`` (mean/min/max/stddev over a window), ``rate`` (change per
``per`` over ``over``), ``trend`` (forecast crossing within ``horizon``), ``dtc`` (code glob,
status, protocol, repeat, warning lamp), ``maintenance`` (distance, running hours, time,
counted from the last service of the kinds in ``counts_from``, default ``[service]``),
``no_data``, and ``all`` / ``any`` of threshold, window, rate and trend parts.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from jobs.model import ServiceKind
from rules.conditions import (
    Buckets,
    Combination,
    Condition,
    Direction,
    DtcPattern,
    Limit,
    Maintenance,
    NoData,
    RateOfChange,
    Stat,
    StateFilter,
    Threshold,
    Trend,
    WindowStat,
)
from rules.errors import RuleError
from rules.model import Difference

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
DISTANCE = "Vehicle.TraveledDistance"
RUNNING = "Vehicle.Speed"


def parse_duration(value: object) -> float:
    """Seconds from ``20s``, ``5m``, ``1.5h``, ``3d`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 2h, 3d)")
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{value!r} is not a duration of zero or more seconds")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
Name = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Field(allow_inf_nan=False)]


class FieldProblemError(Exception):
    """A problem with one field of a rule, named by its dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True)


class DifferenceIn(Strict):
    difference: Annotated[list[Name], Field(min_length=2, max_length=2)]


Source = Name | DifferenceIn


class WhenIn(Strict):
    signal: Name
    equals: Number


class _LimitIn(Strict):
    below: Number | None = None
    above: Number | None = None
    clear: Number | None = None


class _Held(Strict):
    for_: Annotated[Duration, Field(alias="for")] = 0.0
    clear_for: Duration = 0.0


class ThresholdIn(_LimitIn, _Held):
    kind: Literal["threshold"]
    signal: Source


class WindowIn(_LimitIn, _Held):
    kind: Literal["window"]
    signal: Source
    stat: Stat
    window: Duration


class _BucketsIn(Strict):
    signal: Name
    window: Duration
    resolution: Duration = 900.0
    when: WhenIn | None = None
    min_span: Duration | None = None


class RateIn(_LimitIn, _Held, _BucketsIn):
    kind: Literal["rate"]
    per: Duration = 3600.0


class TrendIn(_LimitIn, _Held, _BucketsIn):
    kind: Literal["trend"]
    horizon: Duration
    what: Name | None = None
    unit: str = ""


class DtcIn(_Held):
    kind: Literal["dtc"]
    code: Annotated[str | None, Field(pattern=r"^[A-Z0-9*?\[\]-]{1,24}$")] = None
    lamp: Literal["mil", "red_stop", "amber_warning", "protect"] | None = None
    status: list[Literal["pending", "confirmed", "permanent", "active", "previously_active"]] = []
    protocol: Literal["obd", "uds", "j1939"] | None = None
    repeat: Annotated[int, Field(ge=1)] = 1


class EveryIn(Strict):
    km: Annotated[float | None, Field(gt=0, allow_inf_nan=False)] = None
    hours: Annotated[float | None, Field(gt=0, allow_inf_nan=False)] = None
    time: Duration | None = None


class AheadIn(Strict):
    km: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    time: Duration = 0.0


class MaintenanceIn(_Held):
    kind: Literal["maintenance"]
    every: EveryIn
    ahead: AheadIn = AheadIn()
    counts_from: Annotated[list[ServiceKind], Field(max_length=4)] = [ServiceKind.SERVICE]
    distance_signal: Name = DISTANCE
    running_signal: Name = RUNNING


class NoDataIn(_Held):
    kind: Literal["no_data"]
    after: Duration


Part = Annotated[ThresholdIn | WindowIn | RateIn | TrendIn, Field(discriminator="kind")]


class CombinationIn(_Held):
    kind: Literal["all", "any"]
    conditions: Annotated[list[Part], Field(min_length=2)]


ConditionIn = (
    ThresholdIn | WindowIn | RateIn | TrendIn | DtcIn | MaintenanceIn | NoDataIn | CombinationIn
)
CONDITION_MODELS: dict[str, type[Strict]] = {
    "threshold": ThresholdIn,
    "window": WindowIn,
    "rate": RateIn,
    "trend": TrendIn,
    "dtc": DtcIn,
    "maintenance": MaintenanceIn,
    "no_data": NoDataIn,
    "all": CombinationIn,
    "any": CombinationIn,
}
KINDS = tuple(CONDITION_MODELS)


def source_name(source: Source, derived: list[Difference]) -> str:
    """A signal name, or the name of a derived difference (which is recorded in ``derived``)."""
    if isinstance(source, str):
        return source
    diff = Difference(source.difference[0], source.difference[1])
    derived.append(diff)
    return diff.name


def limit(raw: _LimitIn, prefix: str = "") -> Limit:
    if raw.below is not None and raw.above is None:
        direction, level = Direction.BELOW, raw.below
    elif raw.above is not None and raw.below is None:
        direction, level = Direction.ABOVE, raw.above
    else:
        raise FieldProblemError(f"{prefix}below", "give exactly one of 'below' and 'above'")
    clear = level if raw.clear is None else raw.clear
    if (direction is Direction.BELOW and clear < level) or (
        direction is Direction.ABOVE and clear > level
    ):
        side = "at or above 'below'" if direction is Direction.BELOW else "at or below 'above'"
        raise FieldProblemError(f"{prefix}clear", f"{clear:g} must be {side} ({level:g})")
    return Limit(direction, level, clear)


def condition(raw: ConditionIn, derived: list[Difference], prefix: str = "") -> Condition:
    """The condition value of a validated input model; ``prefix`` names a part's fields."""
    if isinstance(raw, ThresholdIn):
        lim = limit(raw, prefix)
        name = source_name(raw.signal, derived)
        return Threshold(name, lim.direction, lim.level, raw.for_, lim.clear_level, raw.clear_for)
    if isinstance(raw, WindowIn):
        name = source_name(raw.signal, derived)
        return WindowStat(name, raw.stat, raw.window, limit(raw, prefix), raw.for_, raw.clear_for)
    if isinstance(raw, RateIn):
        series = _buckets(raw, prefix)
        return RateOfChange(series, raw.per, limit(raw, prefix), raw.for_, raw.clear_for)
    if isinstance(raw, TrendIn):
        return _trend(raw, prefix)
    if isinstance(raw, DtcIn):
        if raw.code is None and raw.lamp is None:
            raise FieldProblemError(f"{prefix}code", "give a 'code' pattern, a 'lamp', or both")
        statuses = frozenset(raw.status)
        return DtcPattern(
            raw.code, statuses, raw.protocol, raw.repeat, raw.for_, raw.clear_for, raw.lamp
        )
    if isinstance(raw, MaintenanceIn):
        return _maintenance(raw, prefix)
    if isinstance(raw, NoDataIn):
        return NoData(raw.after, raw.for_, raw.clear_for)
    parts = tuple(
        condition(part, derived, f"{prefix}conditions.{i}.")
        for i, part in enumerate(raw.conditions)
    )
    assert all(isinstance(p, Threshold | WindowStat | RateOfChange | Trend) for p in parts)
    return Combination(raw.kind, parts, raw.for_, raw.clear_for)  # type: ignore[arg-type]


def _buckets(raw: _BucketsIn, prefix: str) -> Buckets:
    if raw.resolution <= 0 or raw.window < 4 * raw.resolution:
        raise FieldProblemError(f"{prefix}window", "must hold at least 4 'resolution' buckets")
    when = None if raw.when is None else StateFilter(raw.when.signal, raw.when.equals)
    span = raw.window / 4 if raw.min_span is None else raw.min_span
    return Buckets(raw.signal, raw.window, raw.resolution, when, span)


def _trend(raw: TrendIn, prefix: str) -> Trend:
    lim = limit(raw, prefix)
    if raw.clear is not None:
        raise FieldProblemError(
            f"{prefix}clear", "a trend clears when the crossing leaves the horizon"
        )
    what = raw.what or raw.signal.rsplit(".", 1)[-1]
    return Trend(
        _buckets(raw, prefix),
        lim.direction,
        lim.level,
        raw.horizon,
        what,
        raw.unit,
        raw.for_,
        raw.clear_for,
    )


def _maintenance(raw: MaintenanceIn, prefix: str) -> Maintenance:
    every = raw.every
    if every.km is None and every.hours is None and every.time is None:
        raise FieldProblemError(f"{prefix}every", "give at least one of 'km', 'hours' and 'time'")
    return Maintenance(
        raw.distance_signal,
        every.km,
        every.hours,
        raw.running_signal,
        every.time,
        raw.ahead.km,
        raw.ahead.time,
        raw.for_,
        raw.clear_for,
        tuple(dict.fromkeys(k.value for k in raw.counts_from)),
    )


__all__ = ["KINDS", "RuleError"]
