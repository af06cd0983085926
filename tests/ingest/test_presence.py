"""The presence service against a real Mosquitto (deploy/mosquitto.conf): a real gateway's
retained status and its last will, events under the topic's VIN only, and ``pitstop ingest``
SIGKILLed while events stream."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.presence import PresenceConfig, PresenceStats, run_presence
from ingest.presence_model import VehicleStatus
from ingest.sqlite import SqliteStore
from pitstop.messages import Event, encode_event
from pitstop.topics import Kind, topic
from tests.gateway.demo_log import write_demo_log
from tests.gateway.procs import start_gateway
from tests.ingest.helpers import connected_client
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
VIN = "WPITSTOPDEMO00001"
OTHER = "WPITSTOPDEMO00002"


@dataclass
class Presence:
    """run_presence on a thread of the test's own."""

    url: str
    store: SqliteStore
    stop: threading.Event = field(default_factory=threading.Event)
    stats: list[PresenceStats] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> Presence:
        ready = threading.Event()
        config = PresenceConfig(self.url, client_id="test-presence")

        def run() -> None:
            self.stats.append(run_presence(config, self.store, self.stop, ready))

        self.thread = threading.Thread(target=run, name="presence")
        self.thread.start()
        assert ready.wait(10), "presence did not subscribe"
        return self

    def finish(self) -> PresenceStats:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(10)
        return self.stats[-1]


@pytest.fixture
def presence(mosquitto: Mosquitto, store: SqliteStore) -> Iterator[Presence]:
    runner = Presence(mosquitto.url, store)
    yield runner
    if runner.thread is not None and runner.thread.is_alive():
        runner.finish()


def test_a_gateways_retained_online_then_its_last_will_when_killed(
    mosquitto: Mosquitto, store: SqliteStore, presence: Presence, tmp_path: Path
) -> None:
    drive = write_demo_log(tmp_path / "drive.log", seconds=120)
    args = ["--vin", VIN, "--broker", mosquitto.url, "--spool", str(tmp_path / "spool.db")]
    gateway = start_gateway([*args, "replay", str(drive.path)], tmp_path)
    try:
        retained = _wait_retained_online(mosquitto.url)  # the gateway is up, presence not yet
        presence.start()  # so the online status reaches it as the broker's retained copy
        status = wait_until(lambda: store.vehicle_status(VIN), 15, "the retained status")
        assert status.state == "online"
        assert status.profile == retained["profile"]
        assert status.version == retained["version"]
        assert "frames" in status.counters
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(10)
        gone = wait_until(lambda: _offline(store), 15, "the broker's last will (offline) stored")
        assert gone.since >= status.since
        assert gone.profile == status.profile
    finally:
        if gateway.poll() is None:
            gateway.kill()
            gateway.wait(10)
    stats = presence.finish()
    assert stats.refused == 0
    assert stats.statuses >= 2


def _offline(store: SqliteStore) -> VehicleStatus | None:
    found = store.vehicle_status(VIN)
    return found if found is not None and found.state == "offline" else None


def _wait_retained_online(url: str) -> dict[str, object]:
    got: list[dict[str, object]] = []
    client = connected_client(url, "test-status-peek")
    client.on_message = lambda _c, _u, m: got.append(json.loads(m.payload))
    client.subscribe(topic(VIN, Kind.STATUS), qos=1)
    try:
        return wait_until(
            lambda: next((d for d in got if d.get("state") == "online"), None), 30, "online"
        )
    finally:
        client.disconnect()
        client.loop_stop()


def test_events_are_stored_under_the_vin_of_their_topic_only(
    presence: Presence, publisher: mqtt.Client, store: SqliteStore
) -> None:
    presence.start()
    now = round(time.time() * 1000)
    good = Event(VIN, "spool_overflow", now, {"dropped": 2, "total": 2})
    forged = Event(OTHER, "spool_overflow", now, {"dropped": 999, "total": 999})
    for payload in (encode_event(good), encode_event(forged), b"\x00 not json", b"{}"):
        publisher.publish(topic(VIN, Kind.EVENT), payload, qos=1).wait_for_publish(10)
    publisher.publish(topic(VIN, Kind.EVENT), encode_event(good), qos=1).wait_for_publish(10)
    publisher.publish(topic(VIN, Kind.STATUS), b'{"v":1,"vin":"' + OTHER.encode() + b'",'
                      b'"state":"online"}', qos=1).wait_for_publish(10)  # fmt: skip
    last = Event(VIN, "plan", now + 1, {"name": "last"})  # handled in order: all before it too
    publisher.publish(topic(VIN, Kind.EVENT), encode_event(last), qos=1).wait_for_publish(10)
    wait_until(lambda: len(store.events(VIN, 0, float("inf"))) == 2, 10, "the last event")
    stats = presence.finish()
    assert (stats.events, stats.duplicates, stats.refused) == (2, 1, 4)
    stored = store.events(VIN, 0, float("inf"), ["spool_overflow"])
    assert [(e.vin, dict(e.data)) for e in stored] == [(VIN, {"dropped": 2, "total": 2})]
    assert store.events(OTHER, 0, float("inf")) == []
    assert store.vehicle_status(OTHER) is None


# --- SIGKILL of `pitstop ingest` while events stream ------------------------------------------

EVENTS = 600
CLIENT_ID = "test-ingest-presence"


def start_ingest(broker: Mosquitto, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "-v", "ingest", "--broker", broker.url,
             "--store", f"sqlite:///{db}", "--client-id", CLIENT_ID],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_sigkill_of_ingest_while_events_stream_stores_each_event_once(
    mosquitto: Mosquitto, publisher: mqtt.Client, tmp_path: Path
) -> None:
    db, log = tmp_path / "telemetry.db", tmp_path / "ingest.log"
    process = start_ingest(mosquitto, db, log)
    reader = SqliteStore.open(f"sqlite:///{db}")
    try:
        wait_until(lambda: "presence: subscribed" in log.read_text(), 20, "presence subscribed")
        base = round(time.time() * 1000)
        events = [Event(VIN, "capture", base + i, {"name": f"w{i}", "samples": i})
                  for i in range(EVENTS)]  # fmt: skip
        stream = threading.Thread(target=_publish_slowly, args=(publisher, events))
        stream.start()
        wait_until(lambda: _count(reader) >= EVENTS // 4, 30, "a quarter stored")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        killed_at = _count(reader)
        assert killed_at < EVENTS, "the stream was over before the kill"
        stream.join(60)
        process = start_ingest(mosquitto, db, log)
        wait_until(lambda: _count(reader) == EVENTS, 60, "every event stored")
        time.sleep(0.5)  # nothing more arrives: no event stored twice
        assert _count(reader) == EVENTS
        names = {e.data["name"] for e in reader.events(VIN, 0, float("inf"), limit=EVENTS + 10)}
        assert names == {f"w{i}" for i in range(EVENTS)}
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        reader.close()


def _publish_slowly(car: mqtt.Client, events: list[Event]) -> None:
    for i in range(0, len(events), 20):
        infos = [car.publish(topic(VIN, Kind.EVENT), encode_event(e), qos=1)
                 for e in events[i : i + 20]]  # fmt: skip
        for info in infos:
            info.wait_for_publish(15)
        time.sleep(0.02)


def _count(store: SqliteStore) -> int:
    return len(store.events(VIN, 0, float("inf"), limit=EVENTS * 2))
