"""A long signal thinned to one mean per bucket: what rate and trend rules fit a line through.

Days of 1 Hz samples are too many for a pairwise (Theil-Sen) fit; one mean per ``resolution_s``
keeps a few hundred points over a week, and a mean over many samples is itself less noisy.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from functools import reduce

from rules.window import Point


class BucketSeries:
    """Closed bucket means over the last ``window_s`` seconds, plus the bucket being filled.

    ``add`` returns True when the sample closed the previous bucket (a new point exists). A
    sample older than the open bucket is dropped (late data does not rewrite a closed mean).
    """

    __slots__ = ("_count", "_start", "_sum", "points", "resolution_s", "window_s")

    def __init__(self, resolution_s: float, window_s: float) -> None:
        self.resolution_s = resolution_s
        self.window_s = window_s
        self.points: deque[Point] = deque()
        self._start = -math.inf
        self._sum = 0.0
        self._count = 0

    def add(self, ts: float, value: float) -> bool:
        start = self._bucket(ts)
        if start < self._start:
            return False
        closed = False
        if start > self._start:
            closed = self._close()
            self._start, self._sum, self._count = start, 0.0, 0
        self._sum += value
        self._count += 1
        return closed

    def add_inside(self, times: list[float], values: list[float]) -> bool:
        """``add`` for each sample in order (times increasing) if they all fall in the open
        bucket (one C-speed sum: the same additions in the same order), and True; else
        nothing and False (the caller adds them one by one: one closes a bucket)."""
        if not times or not self._bucket(times[0]) == self._start == self._bucket(times[-1]):
            return False
        self._sum = reduce(operator.add, values, self._sum)
        self._count += len(values)
        return True

    def _bucket(self, ts: float) -> float:
        return math.floor(ts / self.resolution_s) * self.resolution_s

    def recent(self, now: float) -> list[Point]:
        """The closed bucket means of the last ``window_s`` before ``now``."""
        return [p for p in self.points if p[0] >= now - self.window_s]

    def span(self) -> float:
        return self.points[-1][0] - self.points[0][0] if len(self.points) > 1 else 0.0

    def _close(self) -> bool:
        if self._count == 0:
            return False
        middle = self._start + self.resolution_s / 2.0
        self.points.append((middle, self._sum / self._count))
        while self.points and self.points[0][0] < middle - self.window_s:
            self.points.popleft()
        return True

    def to_json(self) -> dict[str, object]:
        return {
            "points": [list(p) for p in self.points],
            "open": [self._start, self._sum, self._count] if self._count else None,
        }

    @classmethod
    def from_json(
        cls, doc: dict[str, object], resolution_s: float, window_s: float
    ) -> BucketSeries:
        series = cls(resolution_s, window_s)
        points = doc.get("points")
        if isinstance(points, list):
            series.points.extend((float(t), float(v)) for t, v in points)
        open_ = doc.get("open")
        if isinstance(open_, list) and len(open_) == 3:
            series._start, series._sum, series._count = (
                float(open_[0]),
                float(open_[1]),
                int(open_[2]),
            )
        return series
