"""A bounded, time-ordered window of one signal's recent samples (the evidence buffer)."""

from __future__ import annotations

import bisect
from collections import deque

Point = tuple[float, float]  # (ts, value)


class SampleWindow:
    """Keeps the samples of the last ``horizon_s`` seconds of data time, at most ``max_count``.

    Samples are kept sorted by timestamp; a late sample is inserted in place, one older than
    the horizon is dropped, and a timestamp already present keeps its first value.
    """

    __slots__ = ("_points", "horizon_s", "max_count")

    def __init__(self, horizon_s: float, max_count: int) -> None:
        self.horizon_s = horizon_s
        self.max_count = max_count
        self._points: deque[Point] = deque()

    def add(self, ts: float, value: float) -> None:
        points = self._points
        if not points or ts > points[-1][0]:
            points.append((ts, value))
        else:
            index = bisect.bisect_left(points, ts, key=lambda p: p[0])
            if index < len(points) and points[index][0] == ts:
                return
            points.insert(index, (ts, value))
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

    def __len__(self) -> int:
        return len(self._points)

    def _prune(self) -> None:
        points = self._points
        oldest = points[-1][0] - self.horizon_s
        while points and (points[0][0] < oldest or len(points) > self.max_count):
            points.popleft()
