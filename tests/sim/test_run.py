from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import can
import pytest

from sim.frames import frames, load_db
from sim.run import channel_for, demo_fleet, demo_vins, run_on_bus, write_log
from sim.vehicle import SimVehicle

T0 = 1_700_000_000.0
REPO = Path(__file__).resolve().parents[2]


def test_demo_vins() -> None:
    assert demo_vins(2) == ["PITSTOPDEMO000001", "PITSTOPDEMO000002"]
    assert channel_for("PITSTOPDEMO000001") == "pitstop-PITSTOPDEMO000001"


def test_written_log_reads_back_whole_and_in_order(tmp_path: Path) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 4)
    path = tmp_path / f"{vehicle.vin}.log"
    count = write_log(vehicle, path, 120.0, T0)
    read = list(can.LogReader(path))
    assert len(read) == count == 120 * 30 + 120 // 5
    stamps = [m.timestamp for m in read]
    assert all(b >= a for a, b in itertools.pairwise(stamps))
    expected = list(frames(SimVehicle("PITSTOPTEST000001", 4), load_db(), 0.0, 120.0, T0))
    assert [(m.arbitration_id, bytes(m.data)) for m in read] == [
        (m.arbitration_id, bytes(m.data)) for m in expected
    ]
    assert read[0].timestamp == pytest.approx(T0, abs=1e-6)
    assert list(tmp_path.iterdir()) == [path], "no partial file left behind"


KILLED_WRITER = """
import sys
from pathlib import Path
from sim.run import write_log
from sim.vehicle import SimVehicle
write_log(SimVehicle("PITSTOPTEST000001", 1), Path(sys.argv[1]), 1e6, 0.0)
"""


def test_sigkilled_writer_never_leaves_a_half_log(tmp_path: Path) -> None:
    path = tmp_path / "PITSTOPTEST000001.log"
    partial = tmp_path / f".{path.name}.partial.log"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], cwd=REPO)
    try:
        deadline = time.monotonic() + 20.0
        while not (partial.exists() and partial.stat().st_size > 200_000):
            assert time.monotonic() < deadline, "writer did not get going"
            assert proc.poll() is None
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not path.exists(), "the log appears only when whole"
    # what reached the disk before the kill is a valid prefix of the stream, bar the torn line
    text = partial.read_text()
    whole = tmp_path / "whole-lines.log"
    whole.write_text(text[: text.rindex("\n") + 1])
    arrived = list(can.LogReader(whole))
    assert len(arrived) > 1000
    stream = frames(SimVehicle("PITSTOPTEST000001", 1), load_db(), 0.0, 1e6, 0.0)
    expected = [next(stream) for _ in arrived]
    assert [bytes(m.data) for m in arrived] == [bytes(m.data) for m in expected]
    whole.unlink()
    # a rerun replaces the partial file with a whole log
    count = write_log(SimVehicle("PITSTOPTEST000001", 1), path, 10.0, 0.0)
    assert len(list(can.LogReader(path))) == count == 302
    assert not partial.exists()


class Collector(can.Listener):
    def __init__(self) -> None:
        self.messages: list[can.Message] = []
        self.lock = threading.Lock()

    def on_message_received(self, msg: can.Message) -> None:
        with self.lock:
            self.messages.append(msg)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@pytest.fixture
def listeners() -> Iterator[dict[str, tuple[can.BusABC, Collector]]]:
    opened: dict[str, tuple[can.BusABC, Collector]] = {}
    notifiers = []
    for vin in demo_vins(3):
        bus = can.Bus(interface="virtual", channel=channel_for(vin))
        collector = Collector()
        notifiers.append(can.Notifier(bus, [collector], timeout=0.05))
        opened[vin] = (bus, collector)
    yield opened
    for notifier in notifiers:
        notifier.stop()
    for bus, _ in opened.values():
        bus.shutdown()


def test_run_on_bus_delivers_each_vehicle_on_its_channel_and_stops_promptly(
    listeners: dict[str, tuple[can.BusABC, Collector]],
) -> None:
    fleet = demo_fleet(3, 1, seed=5)
    stop = threading.Event()
    result: dict[str, dict[str, int]] = {}
    started = time.time()
    thread = threading.Thread(target=lambda: result.update(sent=run_on_bus(fleet, stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 10.0
        while min(c.count() for _, c in listeners.values()) < 60:
            assert time.monotonic() < deadline, "frames did not arrive"
            time.sleep(0.02)
    finally:
        stop.set()
        stopped = time.monotonic()
        thread.join(timeout=5.0)
    assert not thread.is_alive()
    assert time.monotonic() - stopped < 1.0
    db = load_db()
    for vehicle in fleet:
        _, collector = listeners[vehicle.vin]
        odometer = [
            db.decode_message(m.arbitration_id, m.data)["Odometer"]
            for m in collector.messages
            if m.arbitration_id == 0x110
        ]
        assert odometer[0] == pytest.approx(vehicle.values(0.0)["Odometer"], abs=0.05)
        assert collector.messages[0].timestamp == pytest.approx(started, abs=1.0)
    sent = result["sent"]
    assert set(sent) == set(demo_vins(3))
    # paced in real time: about 30 frames per second per vehicle, not a burst
    elapsed = time.time() - started
    assert all(n <= 31 * elapsed + 10 for n in sent.values())
    time.sleep(0.2)
    for vin, (_, collector) in listeners.items():
        assert collector.count() == sent[vin], "every frame sent arrived"


def test_run_on_bus_ends_after_duration_at_speed(
    listeners: dict[str, tuple[can.BusABC, Collector]],
) -> None:
    fleet = demo_fleet(3, 1)
    began = time.monotonic()
    sent = run_on_bus(fleet, threading.Event(), duration_s=4.0, speed=4.0)
    took = time.monotonic() - began
    assert 0.9 < took < 3.0
    assert sent == dict.fromkeys(demo_vins(3), 4 * 30 + 1)


def test_simulate_command_writes_one_log_per_vehicle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from cli.commands import simulate
    from cli.settings import Settings

    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), "--duration", "60", "--vehicles", "2"])
    assert simulate.run(args, Settings()) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "PITSTOPDEMO000001.log",
        "PITSTOPDEMO000002.log",
    ]
    out = capsys.readouterr().out
    assert "1812 frames" in out
    assert "PITSTOPDEMO000002: battery_12v_decline crosses 11.8 at ~40 s" in out
