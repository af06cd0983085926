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
