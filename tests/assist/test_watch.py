from __future__ import annotations

from assist.watch import watches
from rules.model import Rule


def _rule(rules: tuple[Rule, ...], rule_id: str) -> Rule:
    return next(r for r in rules if r.id == rule_id)


def test_a_threshold_is_near_between_its_clear_level_and_its_limit(
    rules: tuple[Rule, ...],
) -> None:
    (watch,) = watches(_rule(rules, "lv-battery-low"))  # below 11.8, clears at 12.2
    assert (watch.level, watch.clear_level) == (11.8, 12.2)
    assert watch.near(12.1)
    assert not watch.past(12.1)
    assert watch.past(11.7)
    assert not watch.near(11.7)
    assert not watch.near(12.5)
    assert watch.towards(12.6, 12.1)
    assert not watch.towards(12.1, 12.6)


def test_a_combination_watches_its_last_part_and_a_trend_its_quantity(
    rules: tuple[Rule, ...],
) -> None:
    (oil,) = watches(_rule(rules, "engine-oil-pressure-low"))
    assert oil.signal == "Vehicle.Powertrain.CombustionEngine.EOP"  # not "engine running"
    (trend,) = watches(_rule(rules, "lv-battery-rest-voltage-trend"))
    assert (trend.what, trend.filtered, trend.clear_level) == ("12 V rest voltage", True, None)
    assert trend.near(12.1)  # within 5 % above 11.8
    assert watches(_rule(rules, "engine-misfire")) == ()  # a trouble code has no level
    assert watches(_rule(rules, "engine-rough-running")) == ()  # a standard deviation neither
