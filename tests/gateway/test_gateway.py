"""End to end with a real Mosquitto: the test plays the cloud and acknowledges what it stores."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import can
import pytest

from gateway.runner import GatewayConfig, GatewayStats, run_gateway
from gateway.sources import SourceSpec
from pitstop.codec import decode_telemetry
from pitstop.messages import decode_status
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic
from tests.conftest import DEMO_PROFILE
from tests.gateway.cloud import FakeCloud
from tests.gateway.configs import demo_gateway
from tests.gateway.demo_log import DEMO_DBC, load_can_database, write_demo_log
from tests.gateway.procs import start_gateway
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

VIN = "WPITSTOPTEST00001"


def _run_in_thread(
    config: GatewayConfig, stop: threading.Event
) -> tuple[threading.Thread, list[GatewayStats]]:
    result: list[GatewayStats] = []
    thread = threading.Thread(target=lambda: result.append(run_gateway(config, stop)))
    thread.start()
    return thread, result


def _retained_status(url: str) -> str:
    address = BrokerAddress.parse(url)
    got: list[bytes] = []
    client = make_client(address, "status-reader", persistent_session=False)
    client.on_message = lambda c, u, m: got.append(bytes(m.payload))
    client.connect(address.host, address.port)
    client.subscribe(topic(VIN, Kind.STATUS), qos=1)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    assert got, "no retained status"
    return decode_status(got[0]).state


def test_a_replayed_log_arrives_whole_and_the_gateway_exits(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=20)
    config = demo_gateway(
        VIN,
        SourceSpec.replay(demo.path),
        tmp_path / "spool.db",
        mosquitto.url,
        max_in_flight=5,
    )
    with FakeCloud(mosquitto.url, VIN) as cloud:
        stop = threading.Event()
        thread, result = _run_in_thread(config, stop)
        thread.join(30)
        stop.set()
        assert not thread.is_alive(), "the gateway did not exit after the replay"
        thread.join(10)
    stats = result[0]
    assert stats.completed
    assert stats.frames == demo.frames
    assert stats.unknown_id == demo.unknown > 0
    assert stats.spool_count == 0
    assert 19 <= stats.batches <= 21  # about one batch per second of frame time
    received = cloud.samples()
    assert received.keys() >= demo.expected.keys()
    for key, value in demo.expected.items():
        assert received[key] == pytest.approx(value), key
    assert sorted(cloud.batches) == list(range(1, stats.batches + 1))
    assert {b.profile for b in cloud.batches.values()} == {stats_hash()}
    assert _retained_status(mosquitto.url) == "offline"


def stats_hash() -> str:
    from gateway.profile import load_profile

    return load_profile(DEMO_PROFILE).hash


def test_unacked_batches_are_published_again(tmp_path: Path, mosquitto: Mosquitto) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=3)
    config = demo_gateway(
        VIN,
        SourceSpec.replay(demo.path),
        tmp_path / "spool.db",
        mosquitto.url,
        ack_timeout=0.5,
    )
    with FakeCloud(mosquitto.url, VIN, ack=False) as cloud:
        stop = threading.Event()
        thread, result = _run_in_thread(config, stop)
        try:
            assert cloud.wait_for(lambda: cloud.deliveries >= 2 * len(cloud.batches) > 0, 10)
            assert thread.is_alive(), "a replay must wait for its acks"
            cloud.ack = True  # the cloud comes back: the next resend is acknowledged
            thread.join(15)
        finally:
            stop.set()
            thread.join(10)
        assert not thread.is_alive()
    assert result[0].completed
    assert result[0].resent > 0
    assert cloud.samples().keys() >= demo.expected.keys()


def test_a_live_virtual_bus_flushes_and_stops_cleanly(tmp_path: Path, mosquitto: Mosquitto) -> None:
    channel = f"gw-test-{os.getpid()}"
    db = load_can_database(DEMO_DBC)
    message = db.get_message_by_name("DCDC_12V")
    config = demo_gateway(
        VIN,
        SourceSpec.bus("virtual", channel),
        tmp_path / "spool.db",
        mosquitto.url,
        batch_interval=0.3,
    )
    with (
        FakeCloud(mosquitto.url, VIN) as cloud,
        can.Bus(interface="virtual", channel=channel) as bus,
    ):
        stop = threading.Event()
        thread, result = _run_in_thread(config, stop)
        try:
            assert cloud.wait_for(lambda: _retained_is(mosquitto.url, "online"), 10)
            for volts in (12.1, 12.2, 12.3):
                data = message.encode(
                    {"LvBatteryVoltage": volts, "LvBatteryCurrent": 1.0, "DcdcState": 1}
                )
                bus.send(
                    can.Message(arbitration_id=message.frame_id, data=data, is_extended_id=False)
                )
                bus.send(
                    can.Message(arbitration_id=0x7DF, data=b"\x02\x01\x0d", is_extended_id=False)
                )
            # The bus then goes quiet: the open batch must still be flushed by the wall clock.
            voltage = "Vehicle.LowVoltageBattery.CurrentVoltage"
            assert cloud.wait_for(lambda: len(cloud.values(voltage)) == 3, 10)
            assert cloud.values(voltage) == pytest.approx([12.1, 12.2, 12.3])
        finally:
            stop.set()
            thread.join(10)
        assert not thread.is_alive()
    stats = result[0]
    assert stats.unknown_id == 0  # the bus filters handed to python-can kept 0x7DF out
    assert stats.decoded == 3
    assert not stats.completed
    assert _retained_status(mosquitto.url) == "offline"


def _retained_is(url: str, state: str) -> bool:
    try:
        return _retained_status(url) == state
    except AssertionError:
        return False


# --- the kill test ---------------------------------------------------------------------------


def _spooled_samples(path: Path) -> set[tuple[str, int]]:
    if not path.exists():
        return set()
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT payload FROM entries").fetchall()
        except sqlite3.OperationalError:  # the gateway is still creating the schema
            return set()
    return {
        (s.signal, round(s.ts * 1000))
        for (payload,) in rows
        for s in decode_telemetry(payload).samples
    }


def test_sigkill_with_the_broker_down_loses_nothing(tmp_path: Path, mosquitto: Mosquitto) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=10)
    spool = tmp_path / "spool.db"
    args = [
        "--vin",
        VIN,
        "--replay",
        str(demo.path),
        "--fast",
        "--spool",
        str(spool),
        "--broker",
        mosquitto.url,
        "--ack-timeout",
        "2",
    ]
    mosquitto.stop()
    first = start_gateway(args, tmp_path)
    try:
        deadline = time.monotonic() + 20
        while not _spooled_samples(spool) >= demo.expected.keys() and time.monotonic() < deadline:
            assert first.poll() is None, "the gateway exited with the broker down"
            time.sleep(0.1)
        assert _spooled_samples(spool) >= demo.expected.keys()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)

    with sqlite3.connect(spool) as db:
        spooled_before_kill = {seq for (seq,) in db.execute("SELECT seq FROM entries")}

    mosquitto.start()
    with FakeCloud(mosquitto.url, VIN) as cloud:
        second = start_gateway(args, tmp_path)
        try:
            output, _ = second.communicate(timeout=30)
        finally:
            if second.poll() is None:
                second.kill()
        assert second.returncode == 0, output
        received = cloud.samples()
    missing = demo.expected.keys() - received.keys()
    assert not missing, f"{len(missing)} samples never arrived"
    # The second run replays the log again under new seqs; what the first run spooled before
    # its SIGKILL must have arrived by itself, whole.
    assert spooled_before_kill <= cloud.batches.keys()
    from_first_run = {
        (s.signal, round(s.ts * 1000))
        for seq in spooled_before_kill
        for s in cloud.batches[seq].samples
    }
    assert from_first_run >= demo.expected.keys()
    assert min(cloud.batches.keys() - spooled_before_kill) > max(spooled_before_kill)
