"""Store-and-forward against the real cloud side: Mosquitto plus ``ingest.consumer.run_ingest``
writing to ``ingest.sqlite.SqliteStore``. Things get SIGKILLed mid-stream; we count what arrived."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import can
import pytest

from gateway.runner import GatewayStats, run_gateway
from gateway.sources import SourceSpec
from gateway.spool import Spool
from ingest.consumer import IngestConfig, run_ingest
from ingest.sqlite import SqliteStore
from ingest.validate import Policy
from pitstop.codec import Sample, TelemetryBatch, decode_telemetry, encode_telemetry
from pitstop.messages import decode_event
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic
from tests.conftest import DEMO_PROFILE
from tests.gateway.cloud import FakeCloud
from tests.gateway.configs import demo_gateway
from tests.gateway.demo_log import DEMO_DBC, T0, DemoLog, load_can_database, write_demo_log
from tests.gateway.procs import start_gateway
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

VIN = "WPITSTOPTEST00003"


class Cloud:
    """The real ingest on a thread, storing into a real SQLite file."""

    def __init__(self, url: str, path: Path) -> None:
        self.store = SqliteStore(str(path))
        self.stop = threading.Event()
        self.ready = threading.Event()
        config = IngestConfig(broker_url=url, client_id="test-ingest-gw", policy=Policy())
        self.thread = threading.Thread(
            target=run_ingest, args=(config, self.store, self.stop, self.ready), name="ingest"
        )

    def __enter__(self) -> Cloud:
        self.thread.start()
        assert self.ready.wait(15), "ingest did not subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(15)
        self.store.close()

    def stored(self, demo: DemoLog) -> Counter[tuple[str, int]]:
        """How many times each expected (signal, ms) is in the store."""
        found: Counter[tuple[str, int]] = Counter()
        for name in {name for name, _ in demo.expected}:
            for point in self.store.query(VIN, name, T0 - 10, T0 + 3600, limit=1_000_000):
                found[(name, round(point.ts * 1000))] += 1
        return found


def _complete(cloud: Cloud, demo: DemoLog) -> bool:
    return cloud.stored(demo).keys() >= demo.expected.keys()


def _wait(condition: object, timeout: float) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def _spooled(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT payload FROM entries").fetchall()
    except sqlite3.OperationalError:
        return 0
    return sum(len(decode_telemetry(p).samples) for (p,) in rows)


def test_gateway_killed_while_the_broker_is_down_stores_every_sample_once(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=10)
    spool = tmp_path / "spool.db"
    args = ["--vin", VIN, "--spool", str(spool), "--broker", mosquitto.url, "--ack-timeout", "2"]
    mosquitto.stop()
    first = start_gateway([*args, "replay", str(demo.path), "--speed", "4"], tmp_path)
    try:  # SIGKILL it half-way through the log, the broker still down
        assert _wait(lambda: _spooled(spool) >= len(demo.expected) // 3, 20)
        assert first.poll() is None, "the gateway exited with the broker down"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    mosquitto.start()
    with Cloud(mosquitto.url, tmp_path / "telemetry.db") as cloud:
        second = start_gateway([*args, "replay", str(demo.path), "--fast"], tmp_path)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert _wait(lambda: _complete(cloud, demo), 20)
        counts = cloud.stored(demo)
    assert counts.keys() >= demo.expected.keys()
    assert set(counts.values()) == {1}, "a sample is stored more than once"


def test_broker_killed_mid_stream_loses_nothing(tmp_path: Path, mosquitto: Mosquitto) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=20)
    config = demo_gateway(
        VIN,
        SourceSpec.replay(demo.path, speed=5.0),
        tmp_path / "spool.db",
        mosquitto.url,
        ack_timeout=2.0,
    )
    with Cloud(mosquitto.url, tmp_path / "telemetry.db") as cloud:
        stop = threading.Event()
        result: list[GatewayStats] = []
        thread = threading.Thread(target=lambda: result.append(run_gateway(config, stop)))
        thread.start()
        try:
            assert _wait(lambda: len(cloud.stored(demo)) > len(demo.expected) // 5, 20)
            mosquitto.kill()  # SIGKILL: whatever it held in memory is gone
            time.sleep(0.5)  # the broker stays down while the gateway keeps spooling
            mosquitto.start()
            thread.join(60)
        finally:
            stop.set()
            thread.join(10)
        assert result
        assert result[0].completed
        assert _wait(lambda: _complete(cloud, demo), 10)
    assert result[0].spool_count == 0


@pytest.fixture
def listener(mosquitto: Mosquitto) -> Iterator[list[tuple[str, bytes]]]:
    got: list[tuple[str, bytes]] = []
    address = BrokerAddress.parse(mosquitto.url)
    client = make_client(address, "test-listener", persistent_session=False)
    subscribed = threading.Event()
    client.on_message = lambda c, u, m: got.append((m.topic, bytes(m.payload)))
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(address.host, address.port)
    client.subscribe([(topic(VIN, Kind.EVENT), 1)])
    client.loop_start()
    assert subscribed.wait(10)
    yield got
    client.disconnect()
    client.loop_stop()


def _cmd(url: str, doc: dict[str, object]) -> None:
    address = BrokerAddress.parse(url)
    client = make_client(address, "test-cmd", persistent_session=False)
    client.connect(address.host, address.port)
    client.loop_start()
    info = client.publish(topic(VIN, Kind.CMD), json.dumps(doc), qos=1)
    info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_a_plan_replaced_over_cmd_is_validated_first(
    tmp_path: Path, mosquitto: Mosquitto, listener: list[tuple[str, bytes]]
) -> None:
    config = demo_gateway(
        VIN,
        SourceSpec.bus("virtual", f"cmd-test-{os.getpid()}"),
        tmp_path / "spool.db",
        mosquitto.url,
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_gateway, args=(config, stop))
    thread.start()

    def events() -> dict[str, dict[str, object]]:
        decoded = [decode_event(p) for _, p in listener]
        return {e.type: dict(e.data) for e in decoded}

    try:
        assert _wait(lambda: "value_tables" in events(), 10)
        bad = {"name": "x", "signals": {"Vehicle.Speed": {"interval": "often"}}}
        _cmd(mosquitto.url, {"v": 1, "vin": VIN, "type": "set_plan", "plan": bad})
        assert _wait(lambda: "command_refused" in events(), 10)
        reason = str(events()["command_refused"]["reason"])
        assert "'Vehicle.Speed'" in reason
        assert "'interval'" in reason
        good = {"name": "slow", "signals": {"Vehicle.Speed": {"interval": 10}}}
        _cmd(mosquitto.url, {"v": 1, "vin": VIN, "type": "set_plan", "plan": good})
        assert _wait(lambda: "set_plan_accepted" in events(), 10)
        assert events()["set_plan_accepted"]["name"] == "slow"
    finally:
        stop.set()
        thread.join(15)
    labels = events()["value_tables"]["labels"]
    assert isinstance(labels, dict)


def test_a_full_spool_drops_oldest_counts_and_never_blocks_the_reader(tmp_path: Path) -> None:
    """No broker at all: the reader reads the whole log anyway; the spool keeps its bound."""
    from gateway.decode import Decoder
    from gateway.profile import load_profile
    from gateway.reader import BatchPolicy, Reader
    from gateway.sources import open_source
    from gateway.spool import Spool

    demo = write_demo_log(tmp_path / "drive.log", seconds=60)
    profile = load_profile(DEMO_PROFILE)
    with Spool(tmp_path / "spool.db", max_bytes=8_000) as spool:
        with open_source(SourceSpec.replay(demo.path)) as source:
            reader = Reader(source, Decoder(profile), spool, BatchPolicy(VIN, profile.hash))
            started = time.monotonic()
            reader.run(threading.Event())
            assert time.monotonic() - started < 10
        assert reader.state.frames == demo.frames
        assert reader.state.batches == 60
        assert spool.depth().bytes <= 8_000
        assert spool.dropped == 60 - spool.depth().count > 0
        kept = [e.seq for e in spool.unacked(None, 1000)]
        assert kept == list(range(61 - len(kept), 61)), "the newest batches are kept"


def test_spool_overflow_is_reported_as_an_event_and_in_the_status(tmp_path: Path) -> None:
    from gateway.control import Commands
    from gateway.decode import Decoder
    from gateway.handover import ReaderControl
    from gateway.profile import load_profile
    from gateway.publisher import MqttPublisher
    from gateway.reader import BatchPolicy, Reader
    from gateway.sender import Sender, SenderConfig
    from gateway.sources import open_source
    from gateway.spool import Spool
    from pitstop.mqtt import BrokerAddress

    demo = write_demo_log(tmp_path / "drive.log", seconds=20)
    profile = load_profile(DEMO_PROFILE)
    config = demo_gateway(
        VIN,
        SourceSpec.replay(demo.path),
        tmp_path / "spool.db",
        "mqtt://127.0.0.1:9",
    )
    with Spool(config.spool, max_bytes=4_000) as spool, open_source(config.source) as source:
        control = ReaderControl()
        reader = Reader(
            source, Decoder(profile), spool, BatchPolicy(VIN, profile.hash), control=control
        )
        sender = Sender(
            SenderConfig(VIN, profile.hash),
            MqttPublisher(BrokerAddress.parse(config.broker_url), VIN, config.max_in_flight),
            spool,
            Commands(VIN),
            control=control,
            reader_report=reader.report,
            clock=time.time,
        )
        reader.run(threading.Event())
        sender.periodic()
        kinds = [decode_event(p).type for k, p in sender.outbox if k == Kind.EVENT]
        assert kinds == ["spool_overflow"]
        data = decode_event(sender.outbox[0][1]).data
        assert data["dropped"] == spool.dropped > 0
        assert sender.status("online").counters["dropped"] == spool.dropped


def _one_sample_batch(sample: Sample) -> Callable[[int], bytes]:
    return lambda seq: encode_telemetry(TelemetryBatch(VIN, seq, "p", (sample,)))


def test_a_backlog_drains_at_a_capped_rate_without_starving_live_data(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    spool_path = tmp_path / "spool.db"
    with Spool(spool_path) as spool:  # an outage's worth of batches, waiting
        for i in range(150):
            spool.append(_one_sample_batch(Sample("Vehicle.Speed", T0 + i, float(i))))
    channel = f"backlog-{os.getpid()}"
    config = demo_gateway(
        VIN,
        SourceSpec.bus("virtual", channel),
        spool_path,
        mosquitto.url,
        batch_interval=0.2,
        max_publishes_per_s=25,
    )
    message = load_can_database(DEMO_DBC).get_message_by_name("DCDC_12V")
    frame = message.encode({"LvBatteryVoltage": 12.4, "LvBatteryCurrent": 0, "DcdcState": 1})
    stop = threading.Event()
    with (
        FakeCloud(mosquitto.url, VIN) as cloud,
        can.Bus(interface="virtual", channel=channel) as bus,
    ):
        thread = threading.Thread(target=run_gateway, args=(config, stop))
        thread.start()
        try:
            assert _wait(lambda: cloud.deliveries > 0, 10)
            bus.send(can.Message(arbitration_id=message.frame_id, data=frame, is_extended_id=False))
            assert _wait(lambda: any(seq > 150 for _, seq in cloud.arrivals), 10)
            live_at = next(i for i, (_, seq) in enumerate(cloud.arrivals) if seq > 150)
            assert live_at < 100, "the live batch waited behind the whole backlog"
            assert _wait(lambda: len(cloud.batches) >= 151, 20)
        finally:
            stop.set()
            thread.join(15)
    backlog = [seq for _, seq in cloud.arrivals if seq <= 150]
    assert backlog[: len(set(backlog))] == sorted(set(backlog))  # oldest first
    times = [t for t, _ in cloud.arrivals]
    span = times[-1] - times[0]
    assert len(times) <= 25 * span + 25 + 5  # the rate cap (plus one full bucket, plus status)


def test_a_service_publishes_events_and_handles_its_commands(
    tmp_path: Path, mosquitto: Mosquitto, listener: list[tuple[str, bytes]]
) -> None:
    """The hook the diagnostics service uses: a thread with the publisher and the cmd dispatch."""
    from gateway.services import GatewayContext

    def service(context: GatewayContext, stop: threading.Event) -> None:
        context.register_command("ping", lambda doc: {"pong": doc.get("n")})
        context.publish_event("service_started", {"profile": context.profile.name})
        stop.wait()

    config = demo_gateway(
        VIN,
        SourceSpec.bus("virtual", f"svc-test-{os.getpid()}"),
        tmp_path / "spool.db",
        mosquitto.url,
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=run_gateway, args=(config, stop), kwargs={"services": [service]}
    )
    thread.start()

    def events() -> dict[str, dict[str, object]]:
        return {e.type: dict(e.data) for e in (decode_event(p) for _, p in listener)}

    try:
        assert _wait(lambda: "service_started" in events(), 10)
        assert events()["service_started"] == {"profile": "demo-ev"}
        _cmd(mosquitto.url, {"v": 1, "vin": VIN, "type": "ping", "n": 7})
        assert _wait(lambda: "ping_accepted" in events(), 10)
        assert events()["ping_accepted"] == {"pong": 7}
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
