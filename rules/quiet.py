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
- ``all`` of parts: one quiet part is enough; ``any``: every part must be quiet.

Anything else (rates, trends, maintenance, derived series, busy alerts) is stepped instant by
instant as before. A quiet alert only records the newest instant it saw (``last_ts``).
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.conditions import Combination, Direction, Limit, Stat, Threshold, WindowStat
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
) -> dict[str, float]:
    """The rules this batch cannot move, with the newest time of the signals they read.
    ``columns`` are the batch's (not yet in the windows); ``first`` its oldest instant."""
    quiet: dict[str, float] = {}
    for rule in rules:
        cond = rule.condition
        if not isinstance(cond, Threshold | WindowStat | Combination):
            continue
        newest = max((columns[s][0][-1] for s in cond.signals if s in columns), default=None)
        if newest is None:
            continue
        alert = state.alerts.get((vin, rule.id))
        if alert is not None and (alert.state in _BUSY or first < alert.last_ts):
            continue
        if _quiet(cond, state, vin, columns, first):
            quiet[rule.id] = newest
    return quiet


def _quiet(
    cond: Threshold | WindowStat | Combination,
    state: EngineState,
    vin: str,
    columns: Mapping[str, Column],
    first: float,
) -> bool:
    if isinstance(cond, Combination):
        if not all(isinstance(p, Threshold | WindowStat) for p in cond.parts):
            return cond.mode == "all" and any(
                _quiet(p, state, vin, columns, first)
                for p in cond.parts
                if isinstance(p, Threshold | WindowStat)
            )
        parts = (_quiet(p, state, vin, columns, first) for p in cond.parts)  # type: ignore[arg-type]
        return any(parts) if cond.mode == "all" else all(parts)
    reach = cond.window_s if isinstance(cond, WindowStat) else 0.0
    window = state.windows.get((vin, cond.signal))
    column = columns.get(cond.signal)
    batch = (min(column[1]), max(column[1])) if column is not None else None
    held = _holds(cond, _join(window.extremes(first - reach) if window else None, batch))
    if not held and window is not None:  # the kept bounds may be loose: look again
        held = _holds(cond, _join(window.extremes(first - reach, exact=True), batch))
    return held


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
