"""Trend-to-threshold forecasting (pure): a Theil-Sen line through a window of samples and
when it crosses a limit.

Theil-Sen takes the median of the pairwise slopes, so a few outliers (a cranking dip, a
charging spike) do not tilt the line the way least squares would.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Forecast:
    slope_per_s: float
    value_now: float  # the fitted line at ``at``
    at: float
    crossing_at: float | None  # when the line reaches the limit; None if it never does

    def eta_s(self) -> float | None:
        return None if self.crossing_at is None else max(0.0, self.crossing_at - self.at)

    def describe(self, what: str, limit: float, unit: str = "") -> str:
        """E.g. ``12 V rest voltage reaches 11.8 V in about 9 days``."""
        eta = self.eta_s()
        if eta is None:
            return f"{what} is not heading for {limit:g}{unit}"
        return f"{what} reaches {limit:g}{unit} in about {humanize(eta)}"


def theil_sen(points: Sequence[Point]) -> tuple[float, float]:
    """(slope, intercept) of the Theil-Sen line; needs two points with different times."""
    slopes = [
        (v2 - v1) / (t2 - t1)
        for i, (t1, v1) in enumerate(points)
        for t2, v2 in points[i + 1 :]
        if t2 != t1
    ]
    if not slopes:
        raise ValueError("a trend needs at least two samples at different times")
    slope = statistics.median(slopes)
    intercept = statistics.median(v - slope * t for t, v in points)
    return slope, intercept


def forecast(points: Sequence[Point], limit: float, at: float, *, falling: bool) -> Forecast:
    """Fit ``points``; when does the line reach ``limit`` from above (``falling``) or below?

    Already past the limit: crossing at ``at``. Heading away or flat: no crossing.
    """
    slope, intercept = theil_sen(points)
    value_now = slope * at + intercept
    gap = limit - value_now  # negative when the limit lies below
    crossing: float | None = None
    if (falling and gap >= 0) or (not falling and gap <= 0):
        crossing = at
    elif (falling and slope < 0) or (not falling and slope > 0):
        crossing = at + gap / slope
    return Forecast(slope_per_s=slope, value_now=value_now, at=at, crossing_at=crossing)


def humanize(seconds: float) -> str:
    for unit, size in (("day", 86400.0), ("hour", 3600.0), ("minute", 60.0)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"
