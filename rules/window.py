"""A bounded, time-ordered window of one signal's recent samples (the evidence buffer)."""

from __future__ import annotations

import bisect
import math
import operator
from collections import deque
from itertools import islice

Point = tuple[float, float]  # (ts, value)


class SampleWindow:
    """Keeps the samples of the last ``horizon_s`` seconds of data time, at most ``max_count``.

    Samples are kept sorted by timestamp; a late sample is inserted in place, one older than
    the horizon is dropped, and a timestamp already present keeps its first value.
    """

    __slots__ = ("_band", "_points", "horizon_s", "max_count")

    def __init__(self, horizon_s: float, max_count: int) -> None:
        self.horizon_s = horizon_s
        self.max_count = max_count
        self._points: deque[Point] = deque()
        # (since, upto, lo, hi): bounds on every value at or after ``since`` up to ``upto``
        self._band: tuple[float, float, float, float] | None = None

    def add(self, ts: float, value: float) -> None:
        points = self._points
        if not points or ts > points[-1][0]:
            points.append((ts, value))
        else:
            index = bisect.bisect_left(points, ts, key=lambda p: p[0])
            if index < len(points) and points[index][0] == ts:
                return
            points.insert(index, (ts, value))
            self._band = None  # a point inside the band's span it has not seen
        self._prune()

    def extend(self, ts: list[float], values: list[float], *, increasing: bool = False) -> None:
        """Add a column of samples (sorted by time) without pruning: a batch is absorbed
        whole before its instants are measured, so nothing the earlier instants read may be
        pruned by the later ones; ``prune`` once afterwards. ``increasing``: the caller
        knows the times strictly increase (not checked again)."""
        points = self._points
        if ts and (not points or ts[0] > points[-1][0]) and (increasing or _increasing(ts)):
            points.extend(zip(ts, values, strict=True))
            return
        for t, v in zip(ts, values, strict=True):
            if not points or t > points[-1][0]:
                points.append((t, v))
                continue
            index = bisect.bisect_left(points, t, key=lambda p: p[0])
            if index < len(points) and points[index][0] == t:
                continue
            points.insert(index, (t, v))
            self._band = None

    def extremes(self, since: float, exact: bool = False) -> tuple[float, float] | None:
        """Bounds (lo, hi) on the values at or after ``since`` and the one before it (what
        ``latest`` reads there), or None if the window is empty. Kept from one call to the
        next and grown by the newer points only, so they may be wider than the values are
        (points pruned meanwhile, ``since`` moved on): ``exact`` recomputes them."""
        points = self._points
        if not points:
            return None
        band = self._band
        if band is None or since < band[0] or exact:
            first = max(bisect.bisect_left(points, since, key=lambda p: p[0]) - 1, 0)
            values = [p[1] for p in islice(points, first, None)]
            band = (since, points[-1][0], min(values), max(values))
        elif points[-1][0] > band[1]:
            first = bisect.bisect_right(points, band[1], key=lambda p: p[0])
            values = [p[1] for p in islice(points, first, None)]
            band = (band[0], points[-1][0], min(band[2], *values), max(band[3], *values))
        self._band = band
        return band[2], band[3]

    def prune(self) -> None:
        """Drop what is older than the horizon (or past the count) behind the newest point."""
        if self._points:
            self._prune()

    def between(self, start: float, end: float) -> list[Point]:
        """The samples with ``start <= ts <= end``, oldest first."""
        points = self._points
        lo = bisect.bisect_left(points, start, key=lambda p: p[0])
        hi = bisect.bisect_right(points, end, key=lambda p: p[0])
        return [points[i] for i in range(lo, hi)]

    def values_between(self, start: float, end: float) -> list[float]:
        """The values of ``between(start, end)``."""
        points = self._points
        lo = bisect.bisect_left(points, start, key=lambda p: p[0])
        hi = bisect.bisect_right(points, end, key=lambda p: p[0])
        if hi - lo == len(points):
            return [p[1] for p in points]
        return [points[i][1] for i in range(lo, hi)]

    def latest(self, at: float) -> float | None:
        """The value of the last sample at or before ``at``, or None."""
        points = self._points
        index = bisect.bisect_right(points, at, key=lambda p: p[0])
        return points[index - 1][1] if index else None

    def newest(self) -> list[Point]:
        """The newest sample alone (none if empty): what a cold checkpoint keeps."""
        return [self._points[-1]] if self._points else []

    def last_time(self) -> float:
        """The time of the newest sample (minus infinity if empty)."""
        return self._points[-1][0] if self._points else -math.inf

    def __len__(self) -> int:
        return len(self._points)

    def _prune(self) -> None:
        points = self._points
        oldest = points[-1][0] - self.horizon_s
        if points[0][0] >= oldest and len(points) <= self.max_count:
            return
        drop = bisect.bisect_left(points, oldest, key=_time)  # the points older than that
        for _ in range(max(drop, len(points) - self.max_count)):
            points.popleft()


def _time(point: Point) -> float:
    return point[0]


def _increasing(ts: list[float]) -> bool:
    """Strictly increasing (C-speed pairwise comparison)."""
    return all(map(operator.lt, ts, islice(ts, 1, None)))
