"""run_ingest against a real Mosquitto and a real SQLite file."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.consumer import IngestConfig, IngestStats, run_ingest
from ingest.sqlite import SqliteStore
from pitstop.topics import Kind, topic
from tests.ingest.helpers import (
    T0,
    VIN,
    VIN2,
    AckCollector,
    connected_client,
    create_session,
    make_batch,
    publish_all,
    wait_until,
)
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration
CLIENT_ID = "test-ingest"


@dataclass
class Ingest:
    """run_ingest on a thread of its own, started and stopped by the test."""

    url: str
    store: SqliteStore
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)
    stats: list[IngestStats] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> None:
        config = IngestConfig(broker_url=self.url, client_id=CLIENT_ID, queue_size=50)
        self.stop.clear()
        self.ready.clear()

        def target() -> None:
            self.stats.append(run_ingest(config, self.store, self.stop, self.ready, clock))

        self.thread = threading.Thread(target=target, name="ingest")
        self.thread.start()
        assert self.ready.wait(10), "ingest did not subscribe"

    def finish(self) -> IngestStats:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(10)
            assert not self.thread.is_alive()
            self.thread = None
        return self.stats[-1]


def clock() -> float:
    return T0 + 86_400.0  # the test batches are a day old: inside the 30-day window


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    yield opened
    opened.close()


@pytest.fixture
def ingest(mosquitto: Mosquitto, store: SqliteStore) -> Iterator[Ingest]:
    runner = Ingest(mosquitto.url, store)
    yield runner
    runner.finish()


@pytest.fixture
def acks(mosquitto: Mosquitto) -> Iterator[AckCollector]:
    collector = AckCollector(mosquitto.url)
    yield collector
    collector.close()


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[mqtt.Client]:
    client = connected_client(mosquitto.url, "test-car")
    yield client
    client.disconnect()
    client.loop_stop()


def test_batches_are_stored_once_and_acked_and_bad_ones_dead_lettered(
    ingest: Ingest, store: SqliteStore, acks: AckCollector, publisher: mqtt.Client
) -> None:
    ingest.start()
    batches = [make_batch(vin, seq) for seq in range(150) for vin in (VIN, VIN2)]
    publish_all(publisher, batches[:200])
    bad = [b"", b"not even zlib", b'{"v": 1}', b"\x78\x9c\x03\x00\x00\x00\x00\x01"]
    for payload in bad:
        publisher.publish(topic(VIN, Kind.TELEMETRY), payload, qos=1).wait_for_publish(5)
    publish_all(publisher, batches[150:])  # 50 of these are sent a second time

    wait_until(lambda: acks.acked(VIN) == set(range(150)), what="VIN acked")
    wait_until(lambda: acks.acked(VIN2) == set(range(150)), what="VIN2 acked")
    wait_until(lambda: len(store.dead_letters()) == len(bad), what="dead letters")
    assert store.count() == 300 * 6
    assert store.batch_count() == 300
    assert sorted(d.payload for d in store.dead_letters()) == sorted(bad)
    stats = ingest.finish()
    assert (stats.stored, stats.samples, stats.dead_letters) == (300, 1800, 4)
    assert stats.duplicates == 50


def test_messages_queued_while_ingest_was_away_all_arrive(
    mosquitto: Mosquitto, ingest: Ingest, store: SqliteStore, publisher: mqtt.Client
) -> None:
    create_session(mosquitto.url, CLIENT_ID)
    publish_all(publisher, [make_batch(VIN, seq) for seq in range(500)])
    ingest.start()
    wait_until(lambda: store.batch_count() == 500, what="500 queued batches stored")
    assert store.count(VIN) == 500 * 6


def test_a_failing_store_is_retried_without_acking_or_losing(
    ingest: Ingest,
    acks: AckCollector,
    publisher: mqtt.Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ingest.consumer")
    with sqlite3.connect(tmp_path / "telemetry.db") as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON batches BEGIN "
                     "SELECT RAISE(ABORT, 'disk says no'); END")  # fmt: skip
    ingest.start()
    publish_all(publisher, [make_batch(VIN, seq) for seq in range(20)])
    # it fails and retries; nothing is stored or acknowledged meanwhile
    wait_until(
        lambda: sum("store failed" in r.getMessage() for r in caplog.records) >= 3,
        what="three failed attempts",
    )
    assert acks.acked(VIN) == set()
    assert ingest.store.count() == 0
    with sqlite3.connect(tmp_path / "telemetry.db") as conn:
        conn.execute("DROP TRIGGER refuse")
    wait_until(lambda: acks.acked(VIN) == set(range(20)), what="acked after recovery")
    assert ingest.store.count(VIN) == 20 * 6
    stats = ingest.finish()
    assert stats.stored == 20
    assert stats.store_errors >= 1


def test_ingest_recovers_from_a_broker_killed_and_restarted(
    mosquitto: Mosquitto, ingest: Ingest, store: SqliteStore, acks: AckCollector
) -> None:
    ingest.start()
    db = mosquitto.workdir / "mosquitto.db"
    wait_until(db.exists, what="the broker saved the session")  # autosave_interval 1
    first = connected_client(mosquitto.url, "test-car")
    publish_all(first, [make_batch(VIN, seq) for seq in range(100)])
    wait_until(lambda: store.batch_count() == 100, what="first 100 stored")
    first.disconnect()
    first.loop_stop()

    mosquitto.kill()
    mosquitto.start()
    again = connected_client(mosquitto.url, "test-car-2")
    publish_all(again, [make_batch(VIN, seq) for seq in range(100, 300)])
    again.disconnect()
    again.loop_stop()
    wait_until(lambda: store.batch_count() == 300, timeout=40, what="all 300 stored")
    wait_until(lambda: acks.acked(VIN) >= set(range(100, 300)), timeout=40, what="acked")
    assert store.count(VIN) == 300 * 6
    assert ingest.thread is not None
    assert ingest.thread.is_alive()


def test_what_the_broker_had_saved_survives_its_sigkill(
    mosquitto: Mosquitto, ingest: Ingest, store: SqliteStore
) -> None:
    create_session(mosquitto.url, CLIENT_ID)
    car = connected_client(mosquitto.url, "test-car")
    publish_all(car, [make_batch(VIN, seq) for seq in range(200)])  # queued: ingest is away
    car.disconnect()
    car.loop_stop()
    published = time.time_ns()
    db = mosquitto.workdir / "mosquitto.db"
    wait_until(lambda: db.exists() and db.stat().st_mtime_ns > published, what="a save")
    mosquitto.kill()
    mosquitto.start()
    ingest.start()
    wait_until(lambda: store.batch_count() == 200, what="the saved queue stored")
    assert store.count(VIN) == 200 * 6
