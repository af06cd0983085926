"""The satisfaction report (pure): what matters most and scores worst comes first."""

from __future__ import annotations

import random
import statistics

import pytest

from jobs.network import ASPECTS, Rating
from jobs.satisfaction import CONCENTRATE, KEEP_UP, correlation, report


def test_correlation() -> None:
    assert correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert correlation([3, 3, 3], [1, 2, 3]) == 0.0
    assert correlation([1], [1]) == 0.0


def test_the_aspect_that_drives_overall_and_scores_low_stands_out() -> None:
    rng = random.Random(7)
    ratings = []
    for i in range(300):
        quality = rng.randint(1, 3)  # poor, and it decides how owners feel
        reception = rng.randint(4, 5)  # good, and it hardly matters
        speed = rng.randint(1, 5)
        overall = max(1, min(5, quality + rng.choice([1, 2])))
        ratings.append(
            Rating(
                i, 1, 0.0, overall, quality, speed, rng.randint(2, 4), rng.randint(3, 5), reception
            )
        )
    found = report(ratings)
    assert found.ratings == 300
    first = found.aspects[0]
    assert first.aspect == "quality"
    assert first.quadrant == CONCENTRATE
    assert first.importance is not None
    assert first.importance > 0.7
    by_name = {a.aspect: a for a in found.aspects}
    assert {a.aspect for a in found.aspects} == set(ASPECTS)
    welcome = by_name["reception"]
    assert welcome.mean is not None
    assert welcome.mean > 4
    assert welcome.quadrant != CONCENTRATE
    assert by_name["quality"].spread == pytest.approx(
        statistics.stdev([r.quality for r in ratings])
    )
    assert KEEP_UP not in {by_name["quality"].quadrant}


def test_no_ratings_no_figures() -> None:
    empty = report([])
    assert empty.ratings == 0
    assert empty.overall_mean is None
    assert all(a.mean is None for a in empty.aspects)
