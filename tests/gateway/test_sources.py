from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import can
import pytest

from gateway.decode import Decoder
from gateway.errors import SourceError
from gateway.profile import load_profile
from gateway.sources import SourceSpec, open_source
from tests.conftest import DEMO_PROFILE
from tests.gateway.demo_log import write_demo_log


def test_a_live_bus_gets_the_profile_filters(tmp_path: Path) -> None:
    channel = f"src-test-{os.getpid()}"
    filters = Decoder(load_profile(DEMO_PROFILE)).frame_filters()
    assert {(f.can_id, f.can_mask, f.extended) for f in filters} >= {(0x100, 0x7FF, False)}
    stop = threading.Event()
    with (
        open_source(SourceSpec.bus("virtual", channel), filters) as source,
        can.Bus(interface="virtual", channel=channel) as sender,
    ):
        for arbitration_id in (0x7DF, 0x100, 0x123, 0x400):
            sender.send(
                can.Message(arbitration_id=arbitration_id, data=bytes(8), is_extended_id=False)
            )
        got = []
        for msg in source.messages(stop):
            if msg is None:
                break
            got.append(msg.arbitration_id)
    assert got == [0x100, 0x400]


def test_a_replay_keeps_the_recorded_pace_scaled(tmp_path: Path) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=2)
    stop = threading.Event()
    with open_source(SourceSpec.replay(demo.path, speed=4.0)) as source:
        started = time.monotonic()
        frames = [m for m in source.messages(stop) if m is not None]
        elapsed = time.monotonic() - started
    assert len(frames) == demo.frames
    span = frames[-1].timestamp - frames[0].timestamp
    assert span / 4 - 0.05 <= elapsed <= span / 4 + 0.5


def test_a_fast_replay_stops_when_told(tmp_path: Path, shared_data: Path) -> None:
    stop = threading.Event()
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    with open_source(SourceSpec.replay(log)) as source:
        count = 0
        for _ in source.messages(stop):
            count += 1
            if count == 2000:
                stop.set()
    assert count < 5000


def test_missing_logs_and_bad_speeds_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        open_source(SourceSpec.replay(tmp_path / "absent.log"))
    with pytest.raises(SourceError, match="positive"):
        SourceSpec.replay(tmp_path / "x.log", speed=0)
    with pytest.raises(SourceError, match="cannot open"):
        open_source(SourceSpec.bus("no-such-interface", "x"))


@pytest.mark.parametrize("suffix", [".log.gz", ".asc", ".blf", ".trc"])
def test_every_log_format_replays_the_same_frames(tmp_path: Path, suffix: str) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=2)
    original = list(can.LogReader(demo.path))
    converted = tmp_path / f"drive{suffix}"
    with can.Logger(converted) as writer:
        for msg in original:
            writer.on_message_received(msg)
    stop = threading.Event()
    with open_source(SourceSpec.replay(converted)) as source:
        frames = [m for m in source.messages(stop) if m is not None]
    assert [(m.arbitration_id, bytes(m.data)) for m in frames] == [
        (m.arbitration_id, bytes(m.data)) for m in original
    ]
    assert frames[-1].timestamp == pytest.approx(original[-1].timestamp, abs=1e-3)


def test_several_buses_at_once_each_with_its_own_dbc(tmp_path: Path) -> None:
    """Two virtual buses; the same id 0x100 means VCU_Status on one and nothing on the other."""
    pid = os.getpid()
    chassis, body = f"mb-a-{pid}", f"mb-b-{pid}"
    dbc = DEMO_PROFILE.parent / "demo_ev.dbc"
    other = tmp_path / "other.dbc"
    other.write_text(
        'VERSION ""\n\nBU_: X\n\nBO_ 512 Doors: 1 X\n SG_ DoorOpen : 0|1@1+ (1,0) [0|1] "" X\n'
    )
    profile = tmp_path / "two.yaml"
    profile.write_text(
        f"name: two\nbuses:\n  - name: {chassis}\n    dbc: [{dbc}]\n"
        f"  - name: {body}\n    dbc: [{other}]\n"
        "signals:\n"
        "  Vehicle.Speed: {message: VCU_Status, signal: VehicleSpeed}\n"
        "  Vehicle.Body.DoorOpen: {message: Doors, signal: DoorOpen}\n"
    )
    decoder = Decoder(load_profile(profile))
    channels = {name: decoder.frame_filters(name) for name in (chassis, body)}
    stop = threading.Event()
    with (
        open_source(SourceSpec.bus("virtual", "unused"), (), channels) as source,
        can.Bus(interface="virtual", channel=chassis) as send_a,
        can.Bus(interface="virtual", channel=body) as send_b,
    ):
        send_a.send(can.Message(arbitration_id=0x100, data=bytes(8), is_extended_id=False))
        send_b.send(can.Message(arbitration_id=0x100, data=bytes(8), is_extended_id=False))
        send_b.send(can.Message(arbitration_id=0x200, data=b"\x01", is_extended_id=False))
        got: list[str] = []
        deadline = time.monotonic() + 5
        for msg in source.messages(stop):
            if msg is not None:
                got += [s.signal for s in decoder.decode(msg)]
            if len(got) >= 2 or time.monotonic() > deadline:
                break
    assert sorted(got) == ["Vehicle.Body.DoorOpen", "Vehicle.Speed"]
