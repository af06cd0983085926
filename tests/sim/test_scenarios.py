"""Scenarios through the real rules core in simulated time: booked before the driver notices,
and a healthy fleet books nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.replay import EPOCH, replay
from sim import scenarios
from sim.run import demo_fleet
from sim.scenarios import DAY, Scenario


def lead_days(scenario: Scenario, step_s: float = 60.0) -> float:
    (outcome,) = replay([scenario], step_s=step_s)
    booked = outcome.booked
    assert booked is not None, f"{scenario.name}: never booked ({outcome.jobs})"
    assert scenario.noticed_at_s is not None
    return (EPOCH + scenario.noticed_at_s - booked.fired_at) / DAY


def test_a_slow_puncture_is_booked_a_day_or_more_before_the_tpms_lamp() -> None:
    assert lead_days(scenarios.slow_puncture()) > 1.0


def test_an_intermittent_inverter_code_is_booked_before_it_is_confirmed() -> None:
    scenario = scenarios.inverter_code()
    (outcome,) = replay([scenario], step_s=120.0)
    booked = outcome.booked
    assert booked is not None
    assert booked.rule_id == "inverter-code-intermittent"
    (dtc,) = booked.evidence["dtcs"]
    assert dtc["code"] == "P0A78"
    assert dtc["freeze_frame"]
    assert (EPOCH + 3 * DAY - booked.fired_at) / DAY > 1.0


def test_a_service_falling_due_is_booked_days_ahead() -> None:
    scenario = scenarios.service_due()
    (outcome,) = replay([scenario], step_s=600.0)
    booked = outcome.booked
    assert booked is not None
    assert booked.evidence["service"]["days_since"] == pytest.approx(355, abs=0.1)
    assert booked.evidence["odometer_km"] > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        scenarios.battery_12v_decline,
        scenarios.brake_pad_wear,
        scenarios.hv_cell_imbalance,
        scenarios.coolant_loss,
    ],
)
def test_slow_faults_are_booked_ahead(make: Callable[[], Scenario]) -> None:
    scenario = make()
    assert lead_days(scenario) >= (3.0 if scenario.slow_wear else 0.1)


def test_the_12v_forecast_says_when() -> None:
    scenario = scenarios.battery_12v_decline()
    short = Scenario(scenario.name, scenario.vehicle, 4 * DAY, None, scenario.rules)
    (outcome,) = replay([short], step_s=300.0)
    booked = outcome.booked
    assert booked is not None
    assert booked.rule_id == "lv-battery-rest-voltage-trend"
    text = booked.evidence["forecast"]["text"]
    assert text.startswith("12 V rest voltage reaches 11.8 V in about ")
    assert text.endswith(" days")


def test_the_healthy_demo_fleet_books_nothing_in_an_hour() -> None:
    fleet = demo_fleet(n=3, faulty=0, seed=11)
    healthy = [Scenario("healthy", v, 3600.0, None, ()) for v in fleet]
    outcomes = replay(healthy, step_s=1.0)
    assert [j for o in outcomes for j in o.jobs] == []
    assert all(o.samples > 3600 * 20 for o in outcomes)


def test_healthy_daily_drivers_book_nothing_in_three_days() -> None:
    outcomes = replay([scenarios.healthy(i, 500 + i) for i in range(2)], step_s=120.0)
    assert [j for o in outcomes for j in o.jobs] == []
