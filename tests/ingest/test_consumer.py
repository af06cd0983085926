"""run_ingest against a real Mosquitto and a real SQLite file."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.consumer import IngestConfig, run_ingest
from ingest.ledger import Seen
from ingest.sqlite import SqliteStore
from pitstop.codec import TelemetryColumns
from pitstop.dtc import encode_dtc_report
from pitstop.topics import Kind, topic
from tests.ingest.helpers import (
    T0,
    VIN,
    VIN2,
    AckCollector,
    Ingest,
    clock,
    connected_client,
    create_session,
    make_batch,
    make_dtc_report,
    publish_all,
    wait_until,
)
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration
CLIENT_ID = "test-ingest"


@pytest.fixture
def ingest(make_ingest: Callable[..., Ingest]) -> Ingest:
    return make_ingest(CLIENT_ID)


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


def test_5000_messages_published_while_ingest_was_down_all_arrive(
    mosquitto: Mosquitto,
    ingest: Ingest,
    store: SqliteStore,
    acks: AckCollector,
    publisher: mqtt.Client,
) -> None:
    create_session(mosquitto.url, CLIENT_ID)
    publish_all(publisher, [make_batch(VIN, seq) for seq in range(5000)])
    ingest.start()
    wait_until(lambda: store.batch_count() == 5000, timeout=60, what="5,000 queued batches stored")
    assert store.count(VIN) == 5000 * 6
    wait_until(lambda: acks.acked(VIN) == set(range(5000)), what="all 5,000 acked")
    assert ingest.finish().duplicates == 0


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


def test_dtc_reports_join_the_history_once_and_bad_ones_are_dead_lettered(
    ingest: Ingest, store: SqliteStore, acks: AckCollector, publisher: mqtt.Client
) -> None:
    ingest.start()
    reports = [make_dtc_report(VIN, T0 + i, seq=1000 + i, codes=i % 3) for i in range(20)]
    unnumbered = make_dtc_report(VIN2, T0 + 5)  # no seq: stored, nothing to ack
    bad = [b"{}", encode_dtc_report(make_dtc_report(VIN2, T0))]  # the second: VIN2 on VIN's topic
    messages = [(VIN, encode_dtc_report(r)) for r in [*reports, *reports[:5]]]  # 5 redelivered
    messages += [(VIN2, encode_dtc_report(unnumbered)), *((VIN, payload) for payload in bad)]
    for vin, payload in messages:
        publisher.publish(topic(vin, Kind.DTC), payload, qos=1).wait_for_publish(5)
    publish_all(publisher, [make_batch(VIN, 0)])  # telemetry on the same session
    wait_until(lambda: acks.acked(VIN) == {0, *range(1000, 1020)}, what="seqs acked")
    wait_until(lambda: len(store.dead_letters()) == 2, what="dead letters")
    assert store.dtc_history(VIN, T0, T0 + 100) == reports
    assert store.dtc_history(VIN2, T0, T0 + 100) == [unnumbered]
    assert "differs" in store.dead_letters()[0].reason
    stats = ingest.finish()
    assert (stats.dtc_reports, stats.stored, stats.dead_letters) == (21, 1, 2)


class _DefectiveStore(SqliteStore):
    """A real SQLite store with a programming error in its write path."""

    def write_batches_seen(
        self, batches: Sequence[TelemetryColumns], received_at: float | None = None
    ) -> list[Seen]:
        raise TypeError("a defect, not a passing fault")


def test_a_defect_stops_ingest_loudly_instead_of_retrying_for_ever(
    mosquitto: Mosquitto, acks: AckCollector, publisher: mqtt.Client, tmp_path: Path
) -> None:
    store = _DefectiveStore.open(f"sqlite:///{tmp_path / 'defect.db'}")
    errors: list[BaseException] = []
    stop = threading.Event()
    ready = threading.Event()
    config = IngestConfig(broker_url=mosquitto.url, client_id="test-defect")

    def target() -> None:
        try:
            run_ingest(config, store, stop, ready, clock)
        except TypeError as err:
            errors.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    assert ready.wait(10)
    publish_all(publisher, [make_batch(VIN, seq) for seq in range(5)])
    thread.join(20)
    stop.set()
    assert not thread.is_alive(), "ingest kept retrying a defect"
    assert [str(e) for e in errors] == ["a defect, not a passing fault"]
    assert acks.acked(VIN) == set()  # nothing acknowledged: delivered again after the fix
    store.close()
