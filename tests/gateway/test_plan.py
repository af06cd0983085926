"""Collection plans: validation, reduction rules, budget levels, and the demo's default plan."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import can
import pytest

import dbc
from gateway.decode import Decoder
from gateway.errors import PlanError
from gateway.plan import PRIORITIES, SignalRule, load_plan, parse_plan
from gateway.profile import load_profile
from gateway.reduce import Reducer, budget_level, month_key
from pitstop.codec import Sample
from tests.conftest import DEMO_PROFILE
from tests.gateway.demo_log import write_demo_log

PROFILE = load_profile(DEMO_PROFILE)
NAMES = [m.canonical for m in PROFILE.signals]
VOLTAGE = "Vehicle.LowVoltageBattery.CurrentVoltage"
SPEED = "Vehicle.Speed"
DEMO_PLAN = dbc.DIR / "demo_ev.plan.yaml"


def _plan(signals: Mapping[str, object], **extra: object) -> dict[str, object]:
    return {"name": "test", "signals": signals, **extra}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_plan({"No.Such": {}}), r"signal 'No\.Such': not a signal of the vehicle profile"),
        (_plan({VOLTAGE: {"interval": -1}}), r"signal '.*CurrentVoltage': field 'interval'"),
        (_plan({VOLTAGE: {"interval": "fast"}}), r"field 'interval' must be a number"),
        (_plan({VOLTAGE: {"on_change": -0.1}}), r"field 'on_change'"),
        (_plan({VOLTAGE: {"priority": "urgent"}}), r"field 'priority' must be one of"),
        (_plan({VOLTAGE: {"every": 5}}), r"unknown field 'every'"),
        (_plan({}, budget_mb_per_month=0), r"'budget_mb_per_month' must be a positive number"),
        (_plan({}, colour="red"), r"unknown keys \['colour'\]"),
        ({"signals": {}}, r"'name' must be a non-empty string"),
        ([1, 2], r"a plan must be a mapping"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(doc: object, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(doc, NAMES, "p.yaml")


def test_a_plan_file_names_itself_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("name: x\nsignals: {Vehicle.Speed: {interval: [1]}}\n")
    with pytest.raises(PlanError, match=r"plan\.yaml: signal 'Vehicle\.Speed': field 'interval'"):
        load_plan(path, NAMES)


def test_interval_deadband_and_heartbeat() -> None:
    plan = parse_plan(_plan({VOLTAGE: {"interval": 1, "on_change": 0.05, "heartbeat": 10}}), NAMES)
    reducer = Reducer(plan)
    values = [12.60, 12.61, 12.62, 12.70, 12.70, 12.70, 12.70]
    times = [0.0, 0.5, 1.0, 2.0, 5.0, 12.5, 13.0]
    out: list[Sample] = []
    reducer.keep_into([Sample(VOLTAGE, t, v) for t, v in zip(times, values, strict=True)], out)
    # 0.5 s: inside the interval; 1.0 s: within the deadband; 2.0 s: a change;
    # 5.0 s: no change; 12.5 s: the heartbeat (10 s after 2.0); 13.0 s: inside the interval.
    assert [(s.ts, s.value) for s in out] == [(0.0, 12.60), (2.0, 12.70), (12.5, 12.70)]
    assert reducer.dropped == 4
    reducer.keep_into([Sample(SPEED, 20.0, 1.0)], out)
    assert out[-1].signal == VOLTAGE  # a signal the plan does not list is not collected


def test_the_budget_slows_low_priority_first() -> None:
    rules = {
        SPEED: {"interval": 1, "priority": "low"},
        VOLTAGE: {"interval": 1, "priority": "high"},
    }
    reducer = Reducer(parse_plan(_plan(rules), NAMES))
    reducer.set_level(1)
    out: list[Sample] = []
    samples = [Sample(name, float(t), 1.0) for t in range(8) for name in (SPEED, VOLTAGE)]
    reducer.keep_into(samples, out)
    assert [s.ts for s in out if s.signal == VOLTAGE] == [float(t) for t in range(8)]
    assert [s.ts for s in out if s.signal == SPEED] == [0.0, 4.0]


def test_budget_levels_follow_the_month_pace() -> None:
    mid_month = 1_763_596_800.0  # 2025-11-20 00:00 UTC, 19 days into November
    budget = 100 * 1024 * 1024
    share = budget * 19 / 30
    assert budget_level(int(share * 0.9), budget, mid_month) == 0
    assert budget_level(int(share * 1.2), budget, mid_month) == 1
    assert budget_level(int(share * 2.1), budget, mid_month) == 2
    assert budget_level(budget, budget, mid_month) == 2
    assert budget_level(10**12, None, mid_month) == 0
    assert month_key(mid_month) == 202511


def test_the_demo_plan_keeps_what_the_rules_need() -> None:
    plan = load_plan(DEMO_PLAN, NAMES)
    assert plan.budget_bytes == 300 * 1024 * 1024
    needed = [
        VOLTAGE,
        "Vehicle.Powertrain.ElectricMotor.CoolantTemperature",
        "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure",
        "Vehicle.Chassis.Axle.Row2.Wheel.Right.Brake.PadWear",
        "Vehicle.TraveledDistance",
    ]
    for name in needed:
        assert plan.rules[name].priority >= PRIORITIES["normal"], name
    assert plan.rules[VOLTAGE] == SignalRule(5.0, 0.02, 30.0, PRIORITIES["high"])
    assert 1 < plan.rules[SPEED].interval <= 10
    assert set(plan.rules) == set(NAMES)  # the default covers the rest


def test_the_decoder_skips_frames_no_signal_is_due(tmp_path: Path) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=10)
    decoder = Decoder(PROFILE)
    decoder.apply_plan({VOLTAGE: 2.0})
    got = [s for msg in can.LogReader(demo.path) for s in decoder.decode(msg)]
    assert {s.signal for s in got} == {VOLTAGE}
    assert 5 <= len(got) <= 6  # one DCDC_12V frame in every two seconds
    assert decoder.counters.not_due > 0
    decoder.apply_plan(None)
    assert {s.signal for msg in can.LogReader(demo.path) for s in decoder.decode(msg)} >= {
        VOLTAGE,
        SPEED,
    }


COOLANT = "Vehicle.Powertrain.ElectricMotor.CoolantTemperature"


def test_a_capture_window_sends_before_and_after_at_full_rate() -> None:
    doc = _plan(
        {SPEED: {"interval": 60}},
        captures=[
            {
                "name": "overheat",
                "when": {"signal": COOLANT, "op": ">", "value": 105},
                "before": 2,
                "after": 3,
                "signals": [SPEED],
            }
        ],
    )
    plan = parse_plan(doc, NAMES)
    assert plan.decode_intervals()[SPEED] == 0.0
    reducer = Reducer(plan)
    out: list[Sample] = []
    samples = []
    for tenth in range(200):  # 20 s at 10 Hz; coolant crosses 105 at t = 10 s
        t = tenth / 10
        samples += [Sample(SPEED, t, t), Sample(COOLANT, t, 100 + t / 2)]
    reducer.keep_into(samples, out)
    speeds = [s.ts for s in out if s.signal == SPEED]
    window = [round(t, 1) for t in speeds if t > 0]
    # The plan's own 60 s interval sends t=0; the window sends 8.0 .. 13.2 at full rate.
    assert speeds[0] == 0.0
    assert window[0] == 8.1  # 2 s before the trigger at 10.1 (coolant 105.05 > 105)
    assert window[-1] == 13.1
    assert len(window) == len(set(window)) == 51
    assert reducer.captures is not None
    assert reducer.captures.events == [
        (
            "capture",
            {
                "name": "overheat",
                "trigger": {"signal": COOLANT, "op": ">", "value": 105.0},
                "trigger_ts": 10_100,
                "start": 8_100,
                "end": 13_100,
                "signals": [SPEED],
                "samples": 51,
            },
        )
    ]


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        (
            {"name": "x", "when": {"signal": SPEED, "op": "~", "value": 1}, "signals": [SPEED]},
            "when",
        ),
        (
            {"name": "x", "when": {"signal": "Nope", "op": ">", "value": 1}, "signals": [SPEED]},
            "when",
        ),
        (
            {"name": "x", "when": {"signal": SPEED, "op": ">", "value": 1}, "signals": ["Nope"]},
            "signals",
        ),
        (
            {
                "name": "x",
                "when": {"signal": SPEED, "op": ">", "value": 1},
                "signals": [SPEED],
                "before": -1,
            },
            "before",
        ),
    ],
)
def test_a_bad_capture_is_refused_naming_the_field(capture: object, message: str) -> None:
    with pytest.raises(PlanError, match=rf"captures\[0\] \(x\): field '{message}'"):
        parse_plan(_plan({}, captures=[capture]), NAMES, "p.yaml")
