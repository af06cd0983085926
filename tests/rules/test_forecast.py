from __future__ import annotations

import random

import pytest

from rules.forecast import forecast, humanize, theil_sen

DAY = 86400.0


def test_theil_sen_ignores_outliers() -> None:
    points = [(float(t), 2.0 * t + 1.0) for t in range(20)]
    points[3] = (3.0, 500.0)
    points[11] = (11.0, -400.0)
    slope, intercept = theil_sen(points)
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(1.0)
    with pytest.raises(ValueError, match="two samples"):
        theil_sen([(1.0, 2.0), (1.0, 3.0)])


def test_a_declining_rest_voltage_is_forecast_to_cross() -> None:
    rng = random.Random(7)
    # 12.6 V falling 20 mV a day with 30 mV noise and a few cranking dips, over 14 days.
    points = [(d * DAY / 4, 12.6 - 0.02 * d / 4 + rng.gauss(0, 0.03)) for d in range(56)]
    points[10] = (points[10][0], 10.5)
    now = points[-1][0]
    result = forecast(points, 11.8, now, falling=True)
    eta = result.eta_s()
    assert eta is not None
    # On the line: 12.6 - 0.02 * 13.75 = 12.325 V now, (12.325 - 11.8) / 0.02 ~ 26 days.
    assert 22 * DAY < eta < 30 * DAY
    assert "12 V rest voltage reaches 11.8 V in about 2" in result.describe(
        "12 V rest voltage", 11.8, " V"
    )


def test_flat_or_rising_never_crosses_and_already_past_crosses_now() -> None:
    flat = [(float(t), 12.5) for t in range(10)]
    assert forecast(flat, 11.8, 9.0, falling=True).crossing_at is None
    rising = [(float(t), 80.0 + t) for t in range(10)]
    assert forecast(rising, 70.0, 9.0, falling=True).crossing_at is None
    assert forecast(rising, 100.0, 9.0, falling=False).crossing_at == pytest.approx(20.0)
    assert forecast(rising, 85.0, 9.0, falling=False).crossing_at == 9.0


def test_humanize() -> None:
    assert humanize(9 * DAY + 3600) == "9 days"
    assert humanize(3600) == "1 hour"
    assert humanize(5) == "less than a minute"
