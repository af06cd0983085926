"""The batch ledger by (VIN, spool instance, seq) and the bounded dead letters, on every
backend (SQLite and a real InfluxDB 1.6), then through a real Mosquitto and ingest, with ingest
SIGKILLed while it trims a car to its quota."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.dead_model import DAY_S, DeadLetterLimits
from ingest.ledger import SEQ_REUSED, Seen
from ingest.open import open_store
from ingest.sqlite import SqliteStore
from ingest.sqlite_schema import SCHEMA_VERSION
from ingest.store import TelemetryStore
from pitstop.codec import Sample, TelemetryColumns, encode_telemetry
from pitstop.topics import Kind, topic
from tests.conftest import REPO
from tests.ingest.helpers import (
    T0,
    VIN,
    VIN2,
    AckCollector,
    Ingest,
    create_session,
    make_batch,
    wait_until,
)
from tests.ingest.servers_mqtt import DeployMosquitto
from tests.ingest.test_store_contract import _url, influxd  # noqa: F401 (a fixture)

TELEMETRY = topic(VIN, Kind.TELEMETRY)
LIMITS = DeadLetterLimits(max_payload_bytes=1_000, retention_days=30.0, per_vin=50)


@pytest.fixture(params=["sqlite-file", "influxdb-1.6"])
def bounded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    if request.param.startswith("influx"):
        request.applymarker(pytest.mark.integration)
    opened = open_store(_url(request.param, tmp_path, request), LIMITS)
    yield opened
    opened.close()


def _columns(seq: int, t0: float = T0, instance: str = "") -> TelemetryColumns:
    return TelemetryColumns.from_batch(replace(make_batch(VIN, seq, t0=t0), instance=instance))


def test_a_batch_is_named_by_vin_instance_and_seq_and_a_reused_seq_is_a_conflict(
    bounded: TelemetryStore,
) -> None:
    assert bounded.write_batches_seen([_columns(1)]) == [Seen.STORED]
    assert bounded.write_batches_seen([_columns(1)]) == [Seen.DUPLICATE]
    assert bounded.write_batches_seen([_columns(1, t0=T0 + 50)]) == [Seen.CONFLICT]
    fresh = [_columns(1, t0=T0 + 90, instance="new1"), _columns(2, instance="new1")]
    assert bounded.write_batches_seen(fresh) == [Seen.STORED, Seen.STORED]
    assert bounded.write_batches_seen([_columns(1, t0=T0 + 90, instance="new1")]) == [
        Seen.DUPLICATE
    ]
    assert bounded.count(VIN) == 3 * 6


def test_dead_letters_keep_a_capped_payload_a_quota_per_vin_and_a_retention(
    bounded: TelemetryStore,
) -> None:
    big = [b"%05d" % i + b"x" * 4_995 for i in range(120)]
    for i, payload in enumerate(big):
        bounded.keep_dead_letter(TELEMETRY, payload, "undecodable", T0 + i, "undecodable")
    for i in range(5):
        bounded.write_dead_letter(topic(VIN2, Kind.TELEMETRY), b"small %d" % i, "r", T0 + i)
    mine = bounded.dead_letters(limit=1_000, vin=VIN)
    assert len(mine) == 50  # the newest 50 of 120
    assert [d.payload[:5] for d in mine] == [b"%05d" % i for i in range(119, 69, -1)]
    assert all(len(d.payload) == 1_000 and d.true_size == 5_000 and d.trimmed for d in mine)
    assert mine[0].digest == hashlib.sha256(big[119]).hexdigest()
    assert len(bounded.dead_letters(limit=1_000, vin=VIN2)) == 5  # another car is untouched
    totals = bounded.dead_letter_totals()
    assert (totals.trimmed, totals.dropped) == (120, 70)
    # a month and more later, the next dead letter expires every older one
    later = T0 + 31 * DAY_S
    kept = bounded.keep_dead_letter(TELEMETRY, b"late", "r", later, "time")
    assert kept.new
    assert kept.expired == 55
    assert not kept.trimmed
    assert [d.payload for d in bounded.dead_letters(limit=1_000)] == [b"late"]


def test_purge_by_vin_and_age(bounded: TelemetryStore) -> None:
    for i in range(4):
        bounded.write_dead_letter(TELEMETRY, b"a%d" % i, "r", T0 + i)
        bounded.write_dead_letter(topic(VIN2, Kind.TELEMETRY), b"b%d" % i, "r", T0 + i)
    assert bounded.purge_dead_letters(vin=VIN, before=T0 + 2) == 2
    assert bounded.purge_dead_letters(vin=VIN2) == 4
    assert sorted(d.payload for d in bounded.dead_letters()) == [b"a2", b"a3"]


def test_5000_refused_messages_of_one_car_stay_within_its_quota_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "telemetry.db"
    limits = DeadLetterLimits(max_payload_bytes=4_096, per_vin=100)
    store = SqliteStore.open(f"sqlite:///{path}", limits)
    for i in range(5_000):
        payload = i.to_bytes(4, "big") + bytes(20_000)  # 100 MB unbounded
        store.keep_dead_letter(TELEMETRY, payload, "too large", T0 + i / 100, "too_large")
    assert len(store.dead_letters(limit=10_000)) == 100
    assert store.dead_letter_totals().dropped == 4_900
    store.close()
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("telemetry.db*"))
    assert on_disk < 4 * 1024 * 1024, on_disk  # 100 rows of 4 KiB, WAL and pages freed on top


# --- through a real Mosquitto and ingest ------------------------------------------------------


def test_a_reused_seq_and_a_bad_signal_name_are_dead_letters_answered_as_rejected(
    make_ingest: Callable[..., Ingest],
    store: SqliteStore,
    publisher: mqtt.Client,
    acks: AckCollector,
) -> None:
    ingest = make_ingest("test-ingest-conflict")
    ingest.start()
    first = make_batch(VIN, 7, t0=T0)
    for payload in (encode_telemetry(first), encode_telemetry(first)):  # stored, a duplicate
        publisher.publish(TELEMETRY, payload, qos=1).wait_for_publish(5)
    wait_until(lambda: 7 in acks.acked(VIN), what="stored")
    reused = make_batch(VIN, 7, t0=T0 + 40)
    publisher.publish(TELEMETRY, encode_telemetry(reused), qos=1).wait_for_publish(5)
    bad = replace(make_batch(VIN, 8), samples=(Sample("<script>alert(1)</script>", T0, 1.0),))
    publisher.publish(TELEMETRY, encode_telemetry(bad), qos=1).wait_for_publish(5)
    wait_until(lambda: {7, 8} <= set(acks.refused(VIN)), what="both refused")
    assert "re-used" in acks.reasons[VIN][7]
    assert "dotted path" in acks.reasons[VIN][8]
    codes = sorted(d.code for d in store.dead_letters())
    assert codes == [SEQ_REUSED, "signal_name"]
    assert store.count(VIN) == 6  # the first content only
    stats = ingest.finish()
    assert (stats.stored, stats.duplicates, stats.dead_letters) == (1, 1, 2)


def _start_ingest(broker: DeployMosquitto, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "-v", "ingest", "--broker", broker.url,
             "--store", f"sqlite:///{db}", "--client-id", "test-ingest-quota",
             "--dead-letter-quota", "100", "--dead-letter-max-bytes", "256", "--no-presence"],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _counts(db: Path) -> tuple[int, int]:
    """(dead letters of VIN, samples of VIN), 0s while the file is not there yet."""
    if not db.exists():
        return 0, 0
    try:
        store = SqliteStore.open(f"sqlite:///{db}")
    except Exception:
        return 0, 0
    try:
        return len(store.dead_letters(limit=100_000, vin=VIN)), store.count(VIN)
    finally:
        store.close()


def test_ingest_sigkilled_while_trimming_a_quota_loses_no_sample_and_the_quota_holds(
    mosquitto: DeployMosquitto, tmp_path: Path, acks: AckCollector, publisher: mqtt.Client
) -> None:
    create_session(mosquitto.url, "test-ingest-quota")  # the broker keeps what comes meanwhile
    good = [make_batch(VIN, seq, t0=T0) for seq in range(400)]
    refused = [encode_telemetry(make_batch(VIN2, 1_000 + i, n=100)) for i in range(1_600)]
    payloads = [encode_telemetry(b) for b in good]
    mixed = [p for pair in zip(refused[::4], payloads, strict=True) for p in pair]
    mixed += refused[1::4] + refused[2::4] + refused[3::4]
    for info in [publisher.publish(TELEMETRY, p, qos=1) for p in mixed]:
        info.wait_for_publish(30)
    db, log = tmp_path / "telemetry.db", tmp_path / "ingest.log"
    first = _start_ingest(mosquitto, db, log)
    try:
        wait_until(lambda: _counts(db)[0] >= 100, timeout=60, what="the quota reached")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert len(acks.refused(VIN)) < len(refused), "too late: ingest had finished"
    assert _counts(db)[0] <= 100
    second = _start_ingest(mosquitto, db, log)
    try:
        wait_until(lambda: len(acks.refused(VIN)) == len(refused), timeout=90, what="answered")
        wait_until(lambda: acks.acked(VIN) >= set(range(400)), timeout=30, what="stored")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    letters, samples = _counts(db)
    assert letters == 100
    assert samples == 400 * 6  # every accepted sample, once
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        kept = store.dead_letters(limit=1_000)
        assert all(len(d.payload) <= 256 < d.true_size for d in kept)
        assert store.dead_letter_totals().dropped >= len(refused) - 100
    finally:
        store.close()


def test_a_schema_3_ledger_is_migrated_in_place_to_the_legacy_instance(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SqliteStore.open(f"sqlite:///{path}")
    for seq in range(5):
        store.write_batch(make_batch(VIN, seq))
    store.close()
    with sqlite3.connect(path) as conn:  # the ledger as schema 3 had it
        conn.executescript(
            "CREATE TABLE b3 (vin TEXT NOT NULL, seq INTEGER NOT NULL, received_at REAL NOT NULL,"
            " profile TEXT NOT NULL, PRIMARY KEY (vin, seq)) WITHOUT ROWID;"
            "INSERT INTO b3 SELECT vin, seq, received_at, profile FROM batches;"
            "DROP TABLE batches; ALTER TABLE b3 RENAME TO batches; PRAGMA user_version = 3;"
        )
    again = SqliteStore.open(f"sqlite:///{path}")
    try:
        assert again.batch_count() == 5
        # an old row has no digest: whatever comes under its name is a duplicate, as before
        assert again.write_batches_seen([_columns(1, t0=T0 + 77)]) == [Seen.DUPLICATE]
        assert again.write_batches_seen([_columns(1, instance="fresh")]) == [Seen.STORED]
        assert again.count(VIN) == 5 * 6  # the new instance's samples share their keys
    finally:
        again.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
