"""The condition types a rule fires on, one per kind (threshold, window statistic, rate of
change, trend forecast, DTC pattern, maintenance interval, no data, all/any), with the levels
and directions they share. Plain frozen values: rules/measure.py measures them against the
engine's state, rules/kinds.py builds them from the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    BELOW = "below"
    ABOVE = "above"


def format_duration(seconds: float) -> str:
    """``20s``, ``5m``, ``2h``, ``7d`` when whole, else seconds."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def past(direction: Direction, level: float, value: float) -> bool:
    """Whether ``value`` lies strictly past ``level`` in ``direction``."""
    return value < level if direction is Direction.BELOW else value > level


@dataclass(frozen=True, slots=True)
class Limit:
    """A level with hysteresis: breached past ``level``, cleared back past ``clear_level``."""

    direction: Direction
    level: float
    clear_level: float

    def breached(self, value: float) -> bool:
        return past(self.direction, self.level, value)

    def cleared(self, value: float) -> bool:
        flipped = Direction.ABOVE if self.direction is Direction.BELOW else Direction.BELOW
        return past(flipped, self.clear_level, value)

    def describe(self) -> str:
        return f"{'<' if self.direction is Direction.BELOW else '>'} {self.level:g}"


@dataclass(frozen=True, slots=True)
class Threshold:
    """Fires when ``signal`` is past ``level`` for ``hold_s`` seconds (Prometheus ``for:``).

    It clears when the signal is back past ``clear_level`` (hysteresis: above it for a
    ``below`` rule, below it for an ``above`` rule) for ``clear_hold_s`` seconds.
    """

    signal: str
    direction: Direction
    level: float
    hold_s: float
    clear_level: float
    clear_hold_s: float

    @property
    def limit(self) -> Limit:
        return Limit(self.direction, self.level, self.clear_level)

    def breached(self, value: float) -> bool:
        return value < self.level if self.direction is Direction.BELOW else value > self.level

    def cleared(self, value: float) -> bool:  # Limit.cleared, without building a Limit
        if self.direction is Direction.BELOW:
            return value > self.clear_level
        return value < self.clear_level

    def describe(self) -> str:
        """The condition in a few characters, e.g. ``< 11.8``."""
        return self.limit.describe()

    @property
    def signals(self) -> tuple[str, ...]:
        return (self.signal,)


class Stat(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    STDDEV = "stddev"


@dataclass(frozen=True, slots=True)
class WindowStat:
    """A statistic of ``signal`` over the last ``window_s`` seconds, past a limit."""

    signal: str
    stat: Stat
    window_s: float
    limit: Limit
    hold_s: float
    clear_hold_s: float

    def describe(self) -> str:
        return f"{self.stat.value} over {format_duration(self.window_s)} {self.limit.describe()}"

    @property
    def signals(self) -> tuple[str, ...]:
        return (self.signal,)


@dataclass(frozen=True, slots=True)
class StateFilter:
    """Only samples taken while ``signal`` equals ``equals`` (e.g. DC/DC off: parked)."""

    signal: str
    equals: float


@dataclass(frozen=True, slots=True)
class Buckets:
    """A long series thinned to one mean per ``resolution_s``, over ``window_s``, filtered."""

    signal: str
    window_s: float
    resolution_s: float
    when: StateFilter | None
    min_span_s: float

    @property
    def key(self) -> str:
        when = "" if self.when is None else f"|{self.when.signal}={self.when.equals:g}"
        return f"{self.signal}|{self.resolution_s:g}|{self.window_s:g}{when}"


@dataclass(frozen=True, slots=True)
class RateOfChange:
    """The robust slope of ``series`` (per ``per_s`` seconds), past a limit."""

    series: Buckets
    per_s: float
    limit: Limit
    hold_s: float
    clear_hold_s: float

    def describe(self) -> str:
        return f"change per {format_duration(self.per_s)} {self.limit.describe()}"

    @property
    def signals(self) -> tuple[str, ...]:
        return _filtered_signals(self.series)


@dataclass(frozen=True, slots=True)
class Trend:
    """Fires when the robust trend of ``series`` reaches ``limit`` within ``horizon_s``."""

    series: Buckets
    direction: Direction
    level: float
    horizon_s: float
    what: str
    unit: str
    hold_s: float = 0.0
    clear_hold_s: float = 0.0

    def describe(self) -> str:
        side = "falls below" if self.direction is Direction.BELOW else "rises above"
        return f"trend {side} {self.level:g} within {format_duration(self.horizon_s)}"

    @property
    def signals(self) -> tuple[str, ...]:
        return _filtered_signals(self.series)


@dataclass(frozen=True, slots=True)
class DtcPattern:
    """A trouble code matching ``code`` (a glob), seen ``repeat`` times (rising edges).

    With ``lamp`` (``mil``, ``red_stop``, ``amber_warning``, ``protect``) the report must also
    say that lamp is on; without ``code`` the lamp alone is enough (a J1939 DM1 lamp).
    """

    code: str | None
    statuses: frozenset[str]
    protocol: str | None
    repeat: int
    hold_s: float = 0.0
    clear_hold_s: float = 0.0
    lamp: str | None = None

    def describe(self) -> str:
        status = "/".join(sorted(self.statuses)) or "any status"
        lamp = "" if self.lamp is None else f"{self.lamp} lamp on, "
        return f"DTC {self.code or '*'} ({lamp}{status}) x{self.repeat}"

    @property
    def signals(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Maintenance:
    """Due after ``every_km`` of ``distance_signal``, ``every_hours`` of running or ``every_s``
    since the last service, whichever comes first; fires ``ahead_*`` before it is due. The last
    service is the latest completed job of the rule or service-book record of the rule or of
    one of the kinds in ``counts_from`` (``jobs.model.ServiceKind`` values)."""

    distance_signal: str
    every_km: float | None
    every_hours: float | None
    running_signal: str
    every_s: float | None
    ahead_km: float = 0.0
    ahead_s: float = 0.0
    hold_s: float = 0.0
    clear_hold_s: float = 0.0
    counts_from: tuple[str, ...] = ("service",)

    def describe(self) -> str:
        parts = [
            f"{self.every_km:g} km" if self.every_km else "",
            f"{self.every_hours:g} h running" if self.every_hours else "",
            f"{self.every_s / 86400:g} days" if self.every_s else "",
        ]
        return "service due every " + " or ".join(p for p in parts if p)

    @property
    def signals(self) -> tuple[str, ...]:
        return (self.distance_signal, self.running_signal)


@dataclass(frozen=True, slots=True)
class NoData:
    """Fires when a vehicle has sent nothing for ``silence_s`` (checked on the clock)."""

    silence_s: float
    hold_s: float = 0.0
    clear_hold_s: float = 0.0

    def describe(self) -> str:
        return f"no data for {format_duration(self.silence_s)}"

    @property
    def signals(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Combination:
    """``all`` (every part holds) or ``any`` (one part holds) of sample-driven conditions."""

    mode: str  # "all" | "any"
    parts: tuple[Threshold | WindowStat | RateOfChange | Trend, ...]
    hold_s: float
    clear_hold_s: float

    def describe(self) -> str:
        return f" {self.mode.upper()} ".join(f"({p.describe()})" for p in self.parts)

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for p in self.parts for s in p.signals))


def _filtered_signals(series: Buckets) -> tuple[str, ...]:
    return (series.signal,) if series.when is None else (series.signal, series.when.signal)


Condition = (
    Threshold | WindowStat | RateOfChange | Trend | DtcPattern | Maintenance | NoData | Combination
)


def bucket_specs(cond: Condition) -> list[Buckets]:
    """The bucket series ``cond`` fits a line through (rate and trend parts)."""
    if isinstance(cond, RateOfChange | Trend):
        return [cond.series]
    if isinstance(cond, Combination):
        return [b for part in cond.parts for b in bucket_specs(part)]
    return []
