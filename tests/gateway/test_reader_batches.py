"""The reader never splits one millisecond of one signal across two batches (so the store can
number the samples of a millisecond the same way in every copy of a batch), and a batch
carries each sample once even when a capture window hands it on again.

Frames: canmod_gps.log's 100 Hz IMU message (id 0x9, seven signals), which the logger recorded
twice in one millisecond once; cut points are placed right between those two frames.
"""

from __future__ import annotations

import threading
from pathlib import Path

import can
import pytest

from gateway.decode import Decoder
from gateway.handover import ReaderControl
from gateway.plan import parse_plan
from gateway.profile import Profile, load_profile
from gateway.reader import BatchPolicy, Reader
from gateway.sources import SourceSpec, open_source
from gateway.spool import Spool
from pitstop.codec import TelemetryBatch, decode_telemetry
from tests.gateway.test_fastdecode import write_full_profile

VIN = "PITSTOPDEMO000001"
IMU = 0x9
SIGNAL = "gnss_imu.AccelerationX"


def _ms(msg: can.Message) -> int:
    return round(msg.timestamp * 1000)


@pytest.fixture(scope="module")
def imu_frames(shared_data: Path) -> list[can.Message]:
    """Four IMU frames: one before, the two in one millisecond (a, b), one after."""
    frames = [
        m for m in can.LogReader(shared_data / "logs/css/canmod_gps.log") if m.arbitration_id == IMU
    ]
    at = next(i for i in range(1, len(frames)) if _ms(frames[i]) == _ms(frames[i - 1]))
    return frames[at - 2 : at + 2]


@pytest.fixture(scope="module")
def profile(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Profile:
    dbc = shared_data / "dbc" / "css" / "canmod_gps.dbc"
    return load_profile(write_full_profile(tmp_path_factory.mktemp("profile"), dbc, False))


def _batches(
    tmp: Path, profile: Profile, frames: list[can.Message], policy: BatchPolicy, plan: object = None
) -> list[TelemetryBatch]:
    names = [m.canonical for m in profile.signals]
    control = ReaderControl(None if plan is None else parse_plan(plan, names))
    with Spool(tmp / "spool.db") as spool, open_source(SourceSpec.memory(frames)) as source:
        reader = Reader(source, Decoder(profile), spool, policy, control=control)
        reader.run(threading.Event())
        assert reader.state.error is None
        return [decode_telemetry(e.payload) for e in spool.unacked(limit=1000)]


def _signal_ms(batch: TelemetryBatch) -> list[int]:
    return [round(s.ts * 1000) for s in batch.samples if s.signal == SIGNAL]


def test_a_batch_due_between_two_frames_of_one_millisecond_waits_for_the_next(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    before, a, b, after = imu_frames
    assert _ms(a) == _ms(b) != _ms(after)
    interval = (a.timestamp + b.timestamp) / 2 - before.timestamp  # due at b, not at a
    batches = _batches(tmp_path, profile, imu_frames, BatchPolicy(VIN, "p", interval=interval))
    assert [_signal_ms(batch) for batch in batches] == [
        [_ms(before), _ms(a), _ms(b)],
        [_ms(after)],
    ]


def test_a_full_batch_takes_the_rest_of_its_millisecond(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    per_frame = len(Decoder(profile).decode(imu_frames[0]))
    policy = BatchPolicy(VIN, "p", max_samples=2 * per_frame)  # full after a, b is due next
    batches = _batches(tmp_path, profile, imu_frames, policy)
    assert [len(batch.samples) for batch in batches] == [3 * per_frame, per_frame]


def test_a_sample_sent_by_the_plan_and_a_capture_window_travels_once(
    tmp_path: Path, profile: Profile, imu_frames: list[can.Message]
) -> None:
    accel = [s.value for m in imu_frames for s in Decoder(profile).decode(m) if s.signal == SIGNAL]
    assert accel[0] > min(accel)  # a later frame opens the window: the ring goes out again
    plan = {
        "name": "both",
        "default": {"interval": 0},
        "signals": {SIGNAL: {"interval": 0}},
        "captures": [
            {
                "name": "any",
                "when": {"signal": SIGNAL, "op": "<=", "value": min(accel)},
                "before": 10,
                "after": 10,
                "signals": [SIGNAL],
            }
        ],
    }
    batches = _batches(tmp_path, profile, imu_frames, BatchPolicy(VIN, "p"), plan)
    sent = [s for batch in batches for s in batch.samples if s.signal == SIGNAL]
    assert len(sent) == len(set(sent)) == 4
