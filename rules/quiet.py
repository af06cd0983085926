"""Which rules a batch cannot move, decided per column in one pass (pure).

A healthy fleet sends batch after batch in which no rule comes near its level; stepping every
rule at every instant of such a batch is most of the engine's work for nothing. A rule is
*quiet* for a batch when its alert is inactive (or resolved), no instant of the batch is older
than what the alert has seen, and its measurement can be shown not breached at every instant
from the column's extremes alone:

- a threshold: no value of the signal the instants read (the batch's, those already in the
  window from the batch's start on, and the one before it) is past the level;
- a window statistic (mean, min, max): no value in the window reach of any instant is past
  the level (a mean, a min or a max of values none of which is past a level is not past it;
  the mean with a margin for rounding); a standard deviation above a level: half the range
  of those values is below it (a population standard deviation is at most half the range);
- ``all`` of parts: one quiet part is enough; ``any``: every part must be quiet;
- a maintenance interval (when the running hours at the batch's end are known): the
  largest odometer value, the batch's last instant and those hours are all short of due;
- a derived series (a difference) when the engine made its column (rules/columns.py).

Anything else (rates, trends, busy alerts) is stepped instant by instant as before. A quiet
alert only records the newest instant it saw (``last_ts``): ``quiet_rules`` does that. Each
rule's check is compiled once per catalogue (``QuietPlan``): a closure over its signal, level
and direction, not the condition tree walked again per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rules.conditions import (
    Combination,
    Condition,
    Direction,
    Limit,
    Maintenance,
    Stat,
    Threshold,
    WindowStat,
)
from rules.model import Rule
from rules.state import AlertState, EngineState

Column = tuple[list[float], list[float]]
"""One signal of a batch: times (seconds, sorted) and values."""

_BUSY = (AlertState.PENDING, AlertState.FIRING)
_MARGIN = 1e-9  # relative: a mean computed in floats may round past a level it only touches


def quiet_rules(
    rules: tuple[Rule, ...],
    state: EngineState,
    vin: str,
    columns: Mapping[str, Column],
    first: float,
    *,
    hours: float | None = None,
    shared: bool = False,
) -> dict[str, float]:
    """The rules this batch cannot move, with the newest time of the signals they read; each
    quiet alert records that time as the newest it saw. ``columns`` are the batch's (not yet
    in the windows); ``first`` its oldest instant; ``hours`` the running hours at the
    batch's end (None: unknown, maintenance is stepped); ``shared``: every column has the
    same times, each after its window's newest point (rules/columns.py), so a threshold on a
    signal of the batch reads the batch's values only, not the window's older one."""
    batch = _Batch(state, vin, columns, first, shared)
    quiet: dict[str, float] = {}
    alerts = state.alerts
    for item in plan_of(state, rules).items:
        if item.maintenance is not None:
            newest = batch.maintenance_quiet(item.maintenance, item.rule_id, hours)
            if newest is not None:
                quiet[item.rule_id] = newest
                _seen(state, vin, item.rule_id, newest)
            continue
        newest = batch.newest(item.signals)
        if newest is None:
            continue
        alert = alerts.get((vin, item.rule_id))
        if alert is not None and (alert.state in _BUSY or first < alert.last_ts):
            continue
        if item.check(batch):
            quiet[item.rule_id] = newest
            if alert is None:
                alert = state.alert(vin, item.rule_id)
            alert.last_ts = max(alert.last_ts, newest)
    return quiet


def _seen(state: EngineState, vin: str, rule_id: str, newest: float) -> None:
    alert = state.alert(vin, rule_id)
    alert.last_ts = max(alert.last_ts, newest)


Check = Callable[["_Batch"], bool]


@dataclass(frozen=True, slots=True)
class _Item:
    rule_id: str
    signals: tuple[str, ...]
    check: Check
    maintenance: Maintenance | None = None


@dataclass(frozen=True, slots=True)
class QuietPlan:
    """The quiet check of every rule that can have one, compiled from a catalogue."""

    rules: tuple[Rule, ...]
    items: tuple[_Item, ...]


def plan_of(state: EngineState, rules: tuple[Rule, ...]) -> QuietPlan:
    """The plan of ``rules``, cached on ``state`` until the catalogue changes."""
    cached = state.quiet_cache
    if not isinstance(cached, QuietPlan) or cached.rules != rules:
        items = []
        for rule in rules:
            cond = rule.condition
            if isinstance(cond, Maintenance):
                items.append(_Item(rule.id, (), _never, cond))
            elif isinstance(cond, Threshold | WindowStat | Combination):
                items.append(_Item(rule.id, cond.signals, _compile(cond)))
        cached = state.quiet_cache = QuietPlan(rules, tuple(items))
    return cached


def _never(_batch: _Batch) -> bool:
    return False


def _compile(cond: Condition) -> Check:
    """The quiet check of one condition (see the module docstring)."""
    if isinstance(cond, Combination):
        parts = [p for p in cond.parts if isinstance(p, Threshold | WindowStat)]
        parts.sort(key=lambda p: isinstance(p, WindowStat))  # thresholds (no window) first
        known = [_compile(p) for p in parts]
        if cond.mode == "all":  # one quiet part is enough
            return lambda batch: any(check(batch) for check in known)
        if len(known) < len(cond.parts):  # ``any`` with a rate or trend part: never quiet
            return _never
        return lambda batch: all(check(batch) for check in known)
    if isinstance(cond, Threshold):
        signal, level = cond.signal, cond.level
        below = cond.direction is Direction.BELOW

        def threshold(batch: _Batch) -> bool:
            found = batch.column(signal)
            if found is not None and batch.shared:  # every instant reads the batch's value
                return found[0] >= level if below else found[1] <= level
            return batch.held(cond, 0.0, found)

        return threshold
    if isinstance(cond, WindowStat):
        reach = cond.window_s
        return lambda batch: batch.held(cond, reach, batch.column(cond.signal))
    return _never


class _Batch:
    """One batch's columns as the quiet checks read them: the extremes of each column made
    once, however many rules read it."""

    __slots__ = ("bounds", "columns", "first", "shared", "state", "times", "vin")

    def __init__(
        self,
        state: EngineState,
        vin: str,
        columns: Mapping[str, Column],
        first: float,
        shared: bool,
    ) -> None:
        self.state, self.vin, self.columns, self.first = state, vin, columns, first
        self.shared = shared
        self.times = next(iter(columns.values()))[0] if shared and columns else None
        self.bounds: dict[str, tuple[float, float]] = {}

    def newest(self, signals: tuple[str, ...]) -> float | None:
        """The newest time of the batch's columns of ``signals`` (None: it has none)."""
        columns = self.columns
        if self.times is not None:  # every column has the same times
            return self.times[-1] if any(map(columns.__contains__, signals)) else None
        return max((columns[s][0][-1] for s in signals if s in columns), default=None)

    def column(self, signal: str) -> tuple[float, float] | None:
        found = self.bounds.get(signal)
        if found is None:
            column = self.columns.get(signal)
            if column is None:
                return None
            values = column[1]
            found = (values[0], values[0]) if len(values) == 1 else (min(values), max(values))
            self.bounds[signal] = found
        return found

    def held(
        self, cond: Threshold | WindowStat, reach: float, batch: tuple[float, float] | None
    ) -> bool:
        """Whether no measurement of ``cond`` can be breached, over the batch's values and
        the window's from ``reach`` before the batch's start (and the one before that)."""
        window = self.state.windows.get((self.vin, cond.signal))
        since = self.first - reach
        held = _holds(cond, _join(window.extremes(since) if window else None, batch))
        if not held and window is not None:  # the kept bounds may be loose: look again
            held = _holds(cond, _join(window.extremes(since, exact=True), batch))
        return held

    def maintenance_quiet(
        self, cond: Maintenance, rule_id: str, hours: float | None
    ) -> float | None:
        """The newest odometer time of the batch if no instant of it can make the interval
        due (the largest odometer value, the batch's end and its running hours all short of
        it); else None. Needs a service mark with its odometer (else the first step makes
        one)."""
        state, vin, first = self.state, self.vin, self.first
        column = self.columns.get(cond.distance_signal)
        mark = state.services.get((vin, rule_id))
        if hours is None or column is None or mark is None or mark.km is None:
            return None
        alert = state.alerts.get((vin, rule_id))
        if alert is not None and (alert.state in _BUSY or first < alert.last_ts):
            return None
        window = state.windows.get((vin, cond.distance_signal))
        top = _join(window.extremes(first) if window else None, self.column(cond.distance_signal))
        if top is None:
            return None
        last = column[0][-1]
        due = (
            (cond.every_km is not None and top[1] - mark.km >= cond.every_km - cond.ahead_km)
            or (cond.every_s is not None and last - mark.at >= cond.every_s - cond.ahead_s)
            or (cond.every_hours is not None and hours - mark.hours >= cond.every_hours)
        )
        return None if due else last


def _join(
    a: tuple[float, float] | None, b: tuple[float, float] | None
) -> tuple[float, float] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


def _holds(cond: Threshold | WindowStat, extremes: tuple[float, float] | None) -> bool:
    """Whether no measurement of ``cond`` over values within ``extremes`` is breached."""
    if extremes is None:
        return True  # no value at all: every measurement is "not enough data"
    lo, hi = extremes
    if isinstance(cond, Threshold):
        return _inside(cond.limit, lo, hi, 0.0)
    if cond.stat is Stat.STDDEV:
        return cond.limit.direction is Direction.ABOVE and (hi - lo) / 2 < _less(cond.limit.level)
    margin = _MARGIN * max(1.0, abs(cond.limit.level)) if cond.stat is Stat.MEAN else 0.0
    return _inside(cond.limit, lo, hi, margin)


def _inside(limit: Limit, lo: float, hi: float, margin: float) -> bool:
    """No value in ``[lo, hi]`` is past the limit's level (by ``margin`` at least)."""
    if limit.direction is Direction.BELOW:
        return lo >= limit.level + margin
    return hi <= limit.level - margin


def _less(level: float) -> float:
    return level - _MARGIN * max(1.0, abs(level))
