"""What a batch does to the derived series, buckets and running hours, per column (pure).

``rules.intake.derive`` works instant by instant: at each one it reads the windows' latest
values (a bisect each), adds a difference, feeds each bucket series and counts running hours.
A fleet's batch has one shape that makes all of that a column operation: every column shares
one list of strictly increasing times, and each lands after its window's newest point. Then
the latest value of a signal at the k-th instant is simply the column's k-th value, so

- a difference is the element-wise difference of its two columns (a column of its own,
  which the quiet check reads like a raw one);
- a bucket series takes the column's values (those whose filter column passes) in one go
  when they all fall in its open bucket (no measurement reads an open bucket); a column
  that closes one is fed instant by instant with the rules stepped (``Derived.closed``);
- running hours are counted over the column, and kept per instant for the rules stepped.

``derive_columns`` returns None for any other shape (a late or partial batch, a difference
or filter with one side absent): the engine then derives per instant as before. Nothing here
changes a value: the same additions in the same order as ``derive``.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice

from rules.intake import RUNNING_GAP_S, RuleIndex
from rules.quiet import Column
from rules.series import BucketSeries
from rules.state import EngineState


@dataclass(slots=True)
class Derived:
    """A batch's derived part: the instants (shared by every column), the difference columns,
    the bucket series still to feed per instant, and the running hours after each instant."""

    times: list[float]
    columns: dict[str, Column] = field(default_factory=dict)
    feeds: list[tuple[BucketSeries, str, dict[float, float]]] = field(default_factory=list)
    hours: list[tuple[float, float]] | None = None

    def closed(self, ts: float) -> list[str]:
        """Feed the bucket series that close a bucket in this batch with their sample at
        ``ts`` (in time order, so that a rule stepped at ``ts`` reads only the buckets
        closed by then, as ``derive`` has it); the keys of those that closed one."""
        return [key for series, key, at in self.feeds if ts in at and series.add(ts, at[ts])]


def derive_columns(
    index: RuleIndex, state: EngineState, vin: str, mine: Mapping[str, Column]
) -> Derived | None:
    """The batch's derived part per column, or None when its shape does not allow it (see
    the module docstring). Feeds the bucket series; sets the running hours to the batch's
    end (``Derived.hours`` holds them per instant)."""
    times = _shared_times(state, vin, mine)
    if times is None or not _complete(index, mine):
        return None
    derived = Derived(times)
    for diff in index.derived:
        if diff.minuend in mine:
            window = state.windows.get((vin, diff.name))
            if window is not None and window.last_time() >= times[0]:
                return None  # its window is ahead of the batch: it reads older points
            a, b = mine[diff.minuend][1], mine[diff.subtrahend][1]
            derived.columns[diff.name] = (times, list(map(operator.sub, a, b)))
    for spec, key in index.bucket_keys:
        if spec.signal not in mine:
            continue
        values = mine[spec.signal][1]
        at = times
        if spec.when is not None:
            equals = spec.when.equals
            passes = [abs(w - equals) < 1e-9 for w in mine[spec.when.signal][1]]
            if not any(passes):
                continue
            if not all(passes):
                at = [t for t, ok in zip(times, passes, strict=True) if ok]
                values = [v for v, ok in zip(values, passes, strict=True) if ok]
        series = state.buckets.get((vin, key)) or state.bucket_series(vin, spec)
        if not series.add_inside(at, values):  # it closes a bucket: fed instant by instant
            derived.feeds.append((series, key, dict(zip(at, values, strict=True))))
    for signal in index.running & mine.keys():
        derived.hours = _running(state, vin, times, mine[signal][1])
    return derived


def _shared_times(state: EngineState, vin: str, mine: Mapping[str, Column]) -> list[float] | None:
    """The one list of strictly increasing times every column has, each after its window's
    newest point; else None."""
    names = list(mine)
    times = mine[names[0]][0]
    if not all(map(operator.lt, times, islice(times, 1, None))):
        return None
    windows = state.windows
    for name in names:
        if mine[name][0] != times:
            return None
        window = windows.get((vin, name))
        if window is not None and window.last_time() >= times[0]:
            return None
    return times


def _complete(index: RuleIndex, mine: Mapping[str, Column]) -> bool:
    """Every difference and bucket filter the batch moves has all its columns in the batch
    (one side alone would read a window's older value: the per-instant path does that), and
    at most one running-hours signal is in it."""
    for diff in index.derived:
        if (diff.minuend in mine) != (diff.subtrahend in mine):
            return False
    if len(index.running & mine.keys()) > 1:  # counted interleaved per instant: not a column
        return False
    return all(
        spec.when is None or spec.signal not in mine or spec.when.signal in mine
        for spec in index.buckets
    )


def _running(
    state: EngineState, vin: str, times: list[float], values: list[float]
) -> list[tuple[float, float]]:
    """``rules.intake._count_running`` over a column; the (last, hours) after each instant."""
    out: list[tuple[float, float]] = []
    hours_by_vin = state.running_hours
    for ts, value in zip(times, values, strict=True):
        last, hours = hours_by_vin.get(vin, (ts, 0.0))
        if value > 0 and 0 < ts - last <= RUNNING_GAP_S:
            hours += (ts - last) / 3600.0
        hours_by_vin[vin] = after = (max(ts, last), hours)
        out.append(after)
    return out
