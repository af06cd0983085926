from __future__ import annotations

from assist.evidence import Reading, StoredCode
from assist.explain import explain, number, signal_name
from assist.relate import Reason
from assist.watch import Watch
from rules.conditions import Direction

DAY = 86400.0
LV = "Vehicle.LowVoltageBattery.CurrentVoltage"


def _falling() -> Reason:
    watch = Watch("lv-battery-low", LV, Direction.BELOW, 11.8, 12.2)
    return Reason("near_limit", "lv-battery-low", reading=Reading(watch, 12.6, 0.0, 12.1, 9 * DAY))


def test_the_issue_sentence_in_both_languages() -> None:
    code = Reason("code", "lv-battery-low", code=StoredCode("P0562", "", True, 0.0))
    assert explain([_falling(), code], "en") == (
        "your 12 V battery voltage has fallen from 12.6 V to 12.1 V in 9 days, "
        "close to the limit of 11.8 V; P0562 is stored"
    )
    assert explain([_falling(), code], "zh") == (
        "您的12V蓄电池电压在9天内从12.6 V降到12.1 V，接近限值11.8 V；已存储故障码 P0562"
    )


def test_wheels_are_named_and_unknown_signals_fall_back_to_their_last_part() -> None:
    pads = "Vehicle.Chassis.Axle.Row2.Wheel.Right.Brake.PadWear"
    assert signal_name(pads, "en") == ("brake pad wear, rear right", " %")
    assert signal_name(pads, "zh") == ("右后刹车片磨损", " %")
    assert signal_name("Vehicle.Cabin.Odd", "en") == ("Odd", "")
    assert (number(12.0), number(-0.04), number(180.25)) == ("12", "0", "180.2")


def test_a_recent_code_a_job_and_a_steady_reading() -> None:
    watch = Watch(
        "charging-voltage-low", "Vehicle.OBD.ControlModuleVoltage", Direction.BELOW, 13.2, 13.2
    )
    steady = Reason("past_limit", "x", reading=Reading(watch, 12.9, 0.0, 12.9, 3600.0))
    recent = Reason("code_recent", "x", code=StoredCode("P0301", "Misfire", False, 0.0))
    job = Reason("open_job", "x", job_id=7, job_status="confirmed")
    assert explain([steady, recent, job], "en") == (
        "your charging voltage is 12.9 V, past the limit of 13.2 V; "
        "P0301 was stored recently (Misfire); a job is already open for it: #7 (confirmed)"
    )
    assert explain([], "en") == ""
