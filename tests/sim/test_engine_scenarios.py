"""Combustion cars and trucks through the real rules core in simulated time: each new rule
books its scenario before the driver notices, and a healthy car and truck book nothing in 30
simulated days."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.replay import EPOCH, replay
from sim import scenarios_engine as se
from sim.combustion import CAR, ECT, EOP, LTFT, RPM, TRUCK, CombustionVehicle
from sim.scenarios import DAY, Scenario

CASES: list[tuple[Callable[[], Scenario], str, float]] = [
    (se.misfire, "engine-misfire", 60.0),
    (se.misfire, "engine-rough-running", 10.0),  # idle windows want the adapter's fast polling
    (se.engine_overheating, "engine-coolant-temperature-high", 60.0),
    (se.truck_overheating, "engine-coolant-temperature-high", 60.0),
    (se.weak_alternator, "charging-voltage-low", 60.0),
    (se.overcharging, "charging-voltage-high", 60.0),
    (se.lean_condition, "fuel-trim-lean", 60.0),
    (se.lean_condition, "fuel-system-lean-code", 120.0),
    (se.rich_condition, "fuel-trim-rich", 60.0),
    (se.rich_condition, "fuel-system-rich-code", 120.0),
    (se.catalyst, "catalyst-efficiency-low", 120.0),
    (se.truck_oil_pressure_loss, "engine-oil-pressure-low", 60.0),
    (se.truck_dm1_amber, "j1939-amber-warning-lamp", 120.0),
]


@pytest.mark.parametrize(
    ("make", "rule_id", "step_s"), CASES, ids=[f"{m.__name__}:{r}" for m, r, _ in CASES]
)
def test_the_rule_books_its_scenario_before_the_driver_notices(
    make: Callable[[], Scenario], rule_id: str, step_s: float
) -> None:
    scenario = make()
    assert rule_id in scenario.rules
    (outcome,) = replay([scenario], step_s=step_s)
    job = next((j for j in outcome.jobs if j.rule_id == rule_id), None)
    assert job is not None, f"{rule_id} never fired on {scenario.name}: {outcome.jobs}"
    assert scenario.noticed_at_s is not None
    assert job.fired_at < EPOCH + scenario.noticed_at_s
    assert outcome.unexpected == []


def test_the_red_stop_lamp_books_a_critical_job_at_the_derate() -> None:
    scenario = se.truck_dm1_amber()
    (outcome,) = replay([scenario], step_s=300.0)
    amber, red = (next(j for j in outcome.jobs if j.rule_id == r) for r in scenario.rules)
    assert red.severity == "critical"
    assert amber.fired_at < red.fired_at == EPOCH + 3 * DAY
    (code,) = amber.evidence["dtcs"]
    assert (code["code"], code["protocol"]) == ("SPN157-FMI18", "j1939")
    assert amber.evidence["lamp_on"] == "amber_warning"


def test_a_misfire_job_carries_the_code_and_the_engine_skill() -> None:
    (outcome,) = replay([se.misfire()], step_s=120.0)
    job = outcome.booked
    assert job is not None
    assert job.rule_id == "engine-misfire"
    assert [d["code"] for d in job.evidence["dtcs"]] == ["P0301"]
    assert job.diagnosis["skills"] == ["engine"]


@pytest.mark.parametrize("make", [se.healthy_car, se.healthy_truck])
def test_a_healthy_combustion_vehicle_books_nothing_in_30_days(
    make: Callable[[int, int, float], Scenario],
) -> None:
    fleet = [make(i, 500 + i, 30.0) for i in range(2)]
    outcomes = replay(fleet, step_s=120.0)
    assert [o.samples > 0 for o in outcomes] == [True, True]
    assert [j.rule_id for o in outcomes for j in o.jobs] == []


def test_a_combustion_vehicle_publishes_only_while_its_engine_runs() -> None:
    car = CombustionVehicle("PITSTOPTESTCAR001", 1, CAR)
    truck = CombustionVehicle("PITSTOPTESTTRK001", 1, TRUCK)
    assert car.values(3600.0) == {}  # 01:00: parked
    drive = next(t for t in range(0, 86400, 60) if car.running(t))
    assert {RPM, ECT, LTFT} <= set(car.values(drive))
    assert EOP not in car.values(drive)
    drive = next(t for t in range(0, 86400, 60) if truck.running(t))
    assert {RPM, ECT, EOP} <= set(truck.values(drive))
    assert LTFT not in truck.values(drive)
