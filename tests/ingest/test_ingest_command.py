"""``pitstop ingest`` as a real process: SIGKILLed mid-stream, stopped with SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.sqlite import SqliteStore
from pitstop.codec import TelemetryBatch
from tests.ingest.helpers import (
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
CLIENT_ID = "test-ingest-process"
BATCHES = 1000  # per vehicle: 2,000 batches, 24,000 samples
SAMPLES = 12


@pytest.fixture
def broker(mosquitto: Mosquitto) -> Mosquitto:
    return mosquitto  # deploy/mosquitto.conf (tests/ingest/conftest.py)


def start_ingest(broker: Mosquitto, db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", "--broker", broker.url,
         "--store", f"sqlite:///{db}", "--client-id", CLIENT_ID],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_sigkill_mid_stream_loses_and_duplicates_nothing(broker: Mosquitto, tmp_path: Path) -> None:
    db = tmp_path / "telemetry.db"
    create_session(broker.url, CLIENT_ID)
    acks = AckCollector(broker.url)
    car = connected_client(broker.url, "test-car")
    base = time.time() - 3600  # real clock in the subprocess: recent samples
    batches = [make_batch(v, s, n=SAMPLES, t0=base) for s in range(BATCHES) for v in (VIN, VIN2)]
    stream = threading.Thread(target=_publish_slowly, args=(car, batches))
    process = start_ingest(broker, db)
    reader = SqliteStore.open(f"sqlite:///{db}")
    try:
        stream.start()
        wait_until(lambda: reader.batch_count() >= len(batches) // 4, what="a quarter stored")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        killed_at = reader.batch_count()
        assert killed_at < len(batches), "the stream was over before the kill"
        stream.join(30)
        process = start_ingest(broker, db)
        wait_until(lambda: reader.batch_count() == len(batches), timeout=30, what="all stored")
        wait_until(lambda: acks.acked(VIN) == set(range(BATCHES)), what="every batch acked")
        wait_until(lambda: acks.acked(VIN2) == set(range(BATCHES)), what="every batch acked")
        assert reader.count() == len(batches) * SAMPLES  # 0 lost, 0 duplicated
        assert reader.count(VIN) == reader.count(VIN2) == BATCHES * SAMPLES
        assert reader.dead_letters() == []
        process.send_signal(signal.SIGTERM)  # and a clean stop
        output = process.communicate(timeout=15)[0].decode()
        assert process.returncode == 0, output
        assert "stopped; stored" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        reader.close()
        car.disconnect()
        car.loop_stop()
        acks.close()


def _publish_slowly(car: mqtt.Client, batches: list[TelemetryBatch]) -> None:
    """Publish in small groups so that the kill lands in the middle of the stream."""
    for i in range(0, len(batches), 50):
        publish_all(car, batches[i : i + 50])
        time.sleep(0.02)


def test_help_documents_the_store_urls_scaling_out_and_retention() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for needle in ("sqlite:///", "influxdb://", "api=v1", "token=", "--share-group",
                   "--client-id", "--retention-days", "examples:"):  # fmt: skip
        assert needle in result.stdout


def test_retention_days_deletes_old_raw_samples_and_exits(tmp_path: Path) -> None:
    db = tmp_path / "telemetry.db"
    store = SqliteStore.open(f"sqlite:///{db}")
    now = time.time()
    store.write_batch(make_batch(VIN, 1, n=6, t0=now - 10 * 86_400))  # ten days old
    store.write_batch(make_batch(VIN, 2, n=6, t0=now - 3600))  # an hour old
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--store", f"sqlite:///{db}",
         "--retention-days", "7"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "deleted 6 raw samples" in result.stdout
    assert store.count(VIN) == 6
    assert store.downsample(VIN, "Vehicle.Speed", now - 11 * 86_400, now)  # rollups stay
    store.close()


def test_a_bad_store_url_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--store", "mysql://x/y"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "pitstop ingest: error: telemetry store URL" in result.stderr
    assert "Traceback" not in result.stderr
