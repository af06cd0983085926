"""The network's satisfaction report: an importance-performance analysis of owners' ratings,
as a pure function of the ratings.

For each aspect (``jobs.network.ASPECTS``): its **performance** is the mean mark (with the
spread, the sample standard deviation), and its **importance** is how much it drives overall
satisfaction, measured as the Pearson correlation of the aspect's marks with the overall marks
over the same ratings (0 when either does not vary). Aspects are then placed in the four
quadrants of importance-performance analysis, split at the mean importance and the mean
performance of all aspects:

- ``concentrate here``: important and scoring low: fix these first;
- ``keep up the good work``: important and scoring high;
- ``low priority``: neither;
- ``possible overkill``: scoring high on what matters little.

``priority = importance * (5 - mean)`` orders them: what matters most and scores worst first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.network import ASPECTS, MAX_MARK, Rating

CONCENTRATE = "concentrate here"
KEEP_UP = "keep up the good work"
LOW_PRIORITY = "low priority"
OVERKILL = "possible overkill"


@dataclass(frozen=True, slots=True)
class AspectFigures:
    aspect: str
    ratings: int
    mean: float | None
    spread: float | None  # sample standard deviation
    importance: float | None  # correlation with the overall mark, -1..1
    quadrant: str | None
    priority: float | None


@dataclass(frozen=True, slots=True)
class SatisfactionReport:
    ratings: int
    overall_mean: float | None
    aspects: tuple[AspectFigures, ...]  # highest priority first


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r of two equally long series; 0 when either has no spread."""
    if len(xs) != len(ys) or len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


def report(ratings: Sequence[Rating]) -> SatisfactionReport:
    """The importance-performance analysis of ``ratings`` (see the module's doc)."""
    overall = [float(r.overall) for r in ratings]
    if not ratings:
        empty = tuple(AspectFigures(a, 0, None, None, None, None, None) for a in ASPECTS)
        return SatisfactionReport(0, None, empty)
    figures = []
    for aspect in ASPECTS:
        marks = [float(r.mark(aspect)) for r in ratings]
        mean = statistics.fmean(marks)
        spread = statistics.stdev(marks) if len(marks) > 1 else 0.0
        figures.append((aspect, mean, spread, correlation(marks, overall)))
    mean_importance = statistics.fmean(f[3] for f in figures)
    mean_performance = statistics.fmean(f[1] for f in figures)
    out = [
        AspectFigures(
            aspect=aspect,
            ratings=len(ratings),
            mean=mean,
            spread=spread,
            importance=importance,
            quadrant=_quadrant(importance >= mean_importance, mean >= mean_performance),
            priority=importance * (MAX_MARK - mean),
        )
        for aspect, mean, spread, importance in figures
    ]
    out.sort(key=lambda f: -(f.priority or 0.0))
    return SatisfactionReport(len(ratings), statistics.fmean(overall), tuple(out))


def _quadrant(important: bool, performing: bool) -> str:
    if important:
        return KEEP_UP if performing else CONCENTRATE
    return OVERKILL if performing else LOW_PRIORITY
