"""Triggers: a kept sample meeting a rule's condition closes its batch at once.

The checker alone (``Triggers``: edge, hold, hysteresis, rate limit, trouble codes, the
document's validation), then the reader on a real recorded log (canmod_gps.log's 100 Hz IMU
message): with a long batch interval the whole stretch is one batch, and a trigger whose level
the data crosses closes it right after the crossing frame, with every sample still sent once.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import can
import pytest

from gateway.decode import Decoder
from gateway.errors import PlanError
from gateway.handover import ReaderControl
from gateway.plan import parse_plan
from gateway.profile import Profile, load_profile
from gateway.reader import BatchPolicy, Reader
from gateway.sources import SourceSpec, open_source
from gateway.spool import Spool
from gateway.triggers import DtcTrigger, Trigger, TriggerPlan, Triggers, parse_triggers
from pitstop.codec import Sample, TelemetryBatch, decode_telemetry
from tests.gateway.test_fastdecode import write_full_profile

VIN = "PITSTOPDEMO000001"
VOLTS = "Vehicle.LowVoltageBattery.CurrentVoltage"
IMU = 0x9
SIGNAL = "gnss_imu.AccelerationX"


def _low_volts(hold: float = 20.0, gap: float = 5.0) -> Triggers:
    return Triggers(TriggerPlan((Trigger("lv", VOLTS, "below", 11.8, 12.2, hold),), (), gap))


def _feed(triggers: Triggers, values: list[tuple[float, float]]) -> list[float]:
    """The timestamps of the samples that asked for a flush."""
    return [ts for ts, v in values if triggers.check([Sample(VOLTS, ts, v)])]


def test_a_crossing_flushes_and_so_does_the_sample_that_completes_the_hold() -> None:
    values = [(0.0, 12.6), (1.0, 11.0), (10.0, 11.0), (20.9, 11.0), (21.0, 11.0), (30.0, 11.0)]
    assert _feed(_low_volts(), values) == [1.0, 21.0]  # the edge, then the hold's end


def test_no_crossing_asks_for_nothing() -> None:
    triggers = _low_volts()
    assert _feed(triggers, [(float(t), 12.6 - t / 100) for t in range(60)]) == []
    assert triggers.check([Sample("Vehicle.Speed", 1.0, 0.0)]) is False  # no trigger: no check


def test_a_break_in_the_hold_starts_it_again() -> None:
    values = [(0.0, 11.0), (15.0, 11.0), (16.0, 11.9), (17.0, 11.0), (36.9, 11.0), (37.0, 11.0)]
    assert _feed(_low_volts(gap=0.0), values) == [0.0, 17.0, 37.0]


def test_hysteresis_a_held_trigger_rearms_only_past_the_clear_level() -> None:
    # held at 20 s; 12.0 is back above the level but not past the clear level (12.2)
    values = [(0.0, 11.0), (20.0, 11.0), (30.0, 12.0), (40.0, 11.0), (60.0, 11.0)]
    assert _feed(_low_volts(gap=0.0), values) == [0.0, 20.0]
    values = [(70.0, 12.3), (80.0, 11.0), (100.0, 11.0)]
    triggers = _low_volts(gap=0.0)
    _feed(triggers, [(0.0, 11.0), (20.0, 11.0)])
    assert _feed(triggers, values) == [80.0, 100.0]  # cleared at 70 s: armed again


def test_a_flapping_signal_flushes_at_most_once_per_min_gap() -> None:
    triggers = Triggers(TriggerPlan((Trigger("lv", VOLTS, "below", 11.8, 11.8, 0.0),), (), 5.0))
    flapping = [(t / 10, 11.0 if t % 2 else 12.6) for t in range(300)]  # 30 s, a change each 0.1 s
    flushes = _feed(triggers, flapping)
    assert len(flushes) == 6  # 0.1, 5.1, ... 25.1: one per 5 s of frame time
    assert all(b - a >= 5.0 for a, b in itertools.pairwise(flushes))


def test_the_hold_flush_is_not_rate_limited_when_the_hold_is_longer_than_the_gap() -> None:
    triggers = _low_volts(hold=6.0, gap=5.0)
    assert _feed(triggers, [(0.0, 11.0), (6.0, 11.0)]) == [0.0, 6.0]
    short = _low_volts(hold=2.0, gap=5.0)
    assert _feed(short, [(0.0, 11.0), (2.0, 11.0), (5.0, 11.0)]) == [0.0]  # the hold's: refused


def test_equals_and_trouble_code_triggers() -> None:
    plan = parse_triggers(
        {
            "min_gap": 1,
            "triggers": [
                {"rule": "lvl", "signal": "Vehicle.Powertrain.CoolantLevelLow", "equals": 1},
                {"rule": "iso", "dtc": "P0AA6*"},
            ],
        }
    )
    triggers = Triggers(plan)
    level = "Vehicle.Powertrain.CoolantLevelLow"
    assert not triggers.check([Sample(level, 0.0, 0.0)])
    assert triggers.check([Sample(level, 1.0, 1.0)])
    assert not triggers.check([Sample(level, 3.0, 1.0)])  # still equal: held, no new edge
    assert not triggers.check([Sample(level, 4.0, 0.0)])
    assert triggers.check([Sample(level, 5, 1)])
    assert triggers.dtc(["P0AA6"], 10.0)
    assert not triggers.dtc(["P0AA6"], 10.5)
    assert not triggers.dtc(["P0300"], 20.0)
    assert triggers.dtc(["P0300", "P0AA61"], 20.0)


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"triggers": [{"signal": VOLTS}]}, "exactly one of"),
        ({"triggers": [{"signal": VOLTS, "below": 11.8, "clear": 11.0}]}, "healthy side"),
        ({"triggers": [{"signal": VOLTS, "above": "x"}]}, "must be a number"),
        ({"triggers": [{"signal": VOLTS, "below": 1, "when": 2}]}, "unknown field 'when'"),
        ({"triggers": [{"dtc": ""}]}, "dtc trigger"),
        ({"min_gap": -1}, "min_gap"),
        ([], "a mapping"),
    ],
)
def test_a_bad_triggers_document_is_refused_naming_the_field(doc: object, says: str) -> None:
    with pytest.raises(PlanError, match=says):
        parse_triggers(doc, "t.yaml")


# --- the reader, on a real log ---------------------------------------------------------------


@pytest.fixture(scope="module")
def imu_frames(shared_data: Path) -> list[can.Message]:
    """Ten seconds of the IMU message."""
    frames = (
        m for m in can.LogReader(shared_data / "logs/css/canmod_gps.log") if m.arbitration_id == IMU
    )
    out: list[can.Message] = []
    for msg in frames:
        if out and msg.timestamp - out[0].timestamp > 10.0:
            break
        out.append(msg)
    return out


@pytest.fixture(scope="module")
def profile(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Profile:
    dbc = shared_data / "dbc" / "css" / "canmod_gps.dbc"
    return load_profile(write_full_profile(tmp_path_factory.mktemp("profile"), dbc, False))


def _batches(
    tmp: Path,
    profile: Profile,
    frames: list[can.Message],
    triggers: TriggerPlan | None,
    control: ReaderControl | None = None,
) -> list[TelemetryBatch]:
    policy = BatchPolicy(VIN, "p", interval=3600.0)  # only a trigger (or the end) closes one
    with Spool(tmp / "spool.db") as spool, open_source(SourceSpec.memory(frames)) as source:
        reader = Reader(source, Decoder(profile), spool, policy, control=control, triggers=triggers)
        reader.run(threading.Event())
        assert reader.state.error is None
        return [decode_telemetry(e.payload) for e in spool.unacked(limit=1000)]


def _accel(profile: Profile, frames: list[can.Message]) -> list[Sample]:
    decoder = Decoder(profile)
    return [s for m in frames for s in decoder.decode(m) if s.signal == SIGNAL]


def test_the_reader_closes_the_batch_after_the_crossing_frame(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    accel = _accel(profile, imu_frames)
    first = accel[0].value
    level = max(s.value for s in accel)
    crossing = next(s for s in accel if s.value >= level)  # the first sample at the maximum
    assert crossing.value > first
    assert crossing.ts > accel[0].ts
    plain = _batches(tmp_path / "plain", profile, imu_frames, None)
    assert len(plain) == 1  # no trigger: one batch for the whole stretch
    edge = Trigger("imu", SIGNAL, "above", level - 1e-9, level - 1e-9, 0.0)
    trig = TriggerPlan((edge,), (), min_gap_s=3600.0)
    batches = _batches(tmp_path / "trig", profile, imu_frames, trig)
    assert len(batches) == 2
    last_of_first = max(s.ts for s in batches[0].samples if s.signal == SIGNAL)
    assert round(last_of_first * 1000) == round(crossing.ts * 1000)  # closed right after it
    sent = [s for b in batches for s in b.samples]
    assert sorted(sent) == sorted(plain[0].samples)  # the same samples, nothing lost or added


def test_a_plan_s_triggers_replace_the_gateway_s_own(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    """What ``set_plan`` installs: a plan carrying triggers; the reader follows them, not the
    file's (here: one that never fires)."""
    names = [m.canonical for m in profile.signals]
    level = max(s.value for s in _accel(profile, imu_frames)) - 1e-9
    doc = {"min_gap": 3600, "triggers": [{"rule": "r", "signal": SIGNAL, "above": level}]}
    plan = parse_plan({"name": "p", "default": {"interval": 0}, "triggers": doc}, names)
    assert plan.triggers is not None
    assert plan.triggers.signals == (Trigger("r", SIGNAL, "above", level, level, 0.0),)
    never = TriggerPlan((Trigger("x", SIGNAL, "above", 1e9, 1e9, 0.0),))
    batches = _batches(tmp_path, profile, imu_frames, never, ReaderControl(plan))
    assert len(batches) == 2
    with pytest.raises(PlanError, match="triggers"):
        parse_plan({"name": "p", "triggers": {"triggers": [{"signal": SIGNAL}]}}, names)


def test_a_matching_trouble_code_closes_the_open_batch(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    """``Reader.dtc_seen`` is what the diagnostics decoder's report calls on the reader thread;
    a code matching a ``dtc`` trigger makes the open batch due, another code does not."""
    plan = TriggerPlan((), (DtcTrigger("iso", "P0AA6*"),))
    policy = BatchPolicy(VIN, "p", interval=3600.0)
    for code, expected in (("P0300", 1), ("P0AA61", 2)):
        folder = tmp_path / code
        folder.mkdir()
        with (
            Spool(folder / "spool.db") as spool,
            open_source(SourceSpec.memory(imu_frames)) as source,
        ):
            reader = Reader(source, Decoder(profile), spool, policy, triggers=plan)
            reader.dtc_seen([code], imu_frames[0].timestamp)  # before the first frame
            reader.run(threading.Event())
            assert len(spool.unacked(limit=1000)) == expected
