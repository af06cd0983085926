"""Every message gets an end-to-end answer, and only what ingest stored reaches the rules.

Against a real Mosquitto (deploy/mosquitto.conf) and a real SQLite file: refused messages are
answered once they are dead letters, kept once however often they are sent, and answered
again; old samples are stored as history and never handed on; a SIGKILL of ingest between the
dead-letter write and the answer loses nothing and doubles nothing.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from ingest.sqlite import SqliteStore
from pitstop.codec import encode_telemetry
from pitstop.dtc import encode_dtc_report
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, cloud_subscription, cloud_topic, topic
from tests.conftest import REPO
from tests.ingest.helpers import (
    T0,
    VIN,
    VIN2,
    AckCollector,
    Ingest,
    create_session,
    make_batch,
    make_dtc_report,
    publish_all,
    wait_until,
)
from tests.ingest.servers_mqtt import DeployMosquitto

pytestmark = pytest.mark.integration

TELEMETRY = topic(VIN, Kind.TELEMETRY)
YEARS_AGO = T0 - 5 * 365 * 86_400.0  # like a log recorded on a real truck years ago


class CloudListener:
    """What the rules would see: everything on pitstop/cloud/v1/+/telemetry and .../dtc."""

    def __init__(self, url: str) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        subscribed = threading.Event()
        address = BrokerAddress.parse(url)
        self.client = make_client(address, "test-cloud-listener", persistent_session=False)
        patterns = [(cloud_subscription(kind), 1) for kind in (Kind.TELEMETRY, Kind.DTC)]
        self.client.on_connect = lambda c, *_a: c.subscribe(patterns)
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        assert subscribed.wait(10), "cloud subscription not acknowledged"

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.got.append((msg.topic, bytes(msg.payload)))

    def received(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def cloud(mosquitto: DeployMosquitto) -> Iterator[CloudListener]:
    listener = CloudListener(mosquitto.url)
    yield listener
    listener.close()


def nan_batch(seq: int) -> bytes:
    doc = {"v": 1, "vin": VIN, "seq": seq, "profile": "p", "t0": int(T0 * 1000),
           "s": {"Vehicle.Speed": [[0], [float("nan")]]}}  # fmt: skip
    return json.dumps(doc).encode()  # NaN: JSON that Python writes, we refuse


def test_refused_messages_are_answered_and_a_resent_one_is_kept_once(
    make_ingest: Callable[..., Ingest],
    store: SqliteStore,
    publisher: mqtt.Client,
    acks: AckCollector,
) -> None:
    ingest = make_ingest("test-ingest-answers")
    ingest.start()
    refused = {
        5: encode_telemetry(make_batch(VIN2, 5)),  # another car's batch on this car's topic
        6: nan_batch(6),
    }
    for sent in range(1, 4):  # a gateway that never heard the answer sends them again
        for payload in refused.values():
            publisher.publish(TELEMETRY, payload, qos=1).wait_for_publish(5)
        wait_until(partial(_answered, acks, {5: sent, 6: sent}), what=f"answered {sent}x")
    publisher.publish(TELEMETRY, b"no seq in here", qos=1).wait_for_publish(5)
    publish_all(publisher, [make_batch(VIN, 1)])
    wait_until(lambda: acks.acked(VIN) == {1}, what="the good batch acked")
    reasons = acks.refused(VIN)
    assert set(reasons) == {5, 6}
    assert "differs" in reasons[5]
    assert "NaN" in reasons[6]
    assert acks.times_refused(VIN) == {5: 3, 6: 3}
    letters = store.dead_letters()
    assert sorted(d.payload for d in letters) == sorted([*refused.values(), b"no seq in here"])
    assert {d.code for d in letters} == {"vin_mismatch", "undecodable"}
    assert {d.vin for d in letters} == {VIN}
    stats = ingest.finish()
    assert (stats.dead_letters, stats.dead_letter_repeats, stats.unanswerable) == (3, 4, 1)
    assert (stats.stored, stats.messages) == (1, 8)


def _answered(acks: AckCollector, expected: dict[int, int]) -> bool:
    return acks.times_refused(VIN) == expected


def test_old_samples_are_stored_as_history_and_never_reach_the_rules(
    make_ingest: Callable[..., Ingest],
    store: SqliteStore,
    publisher: mqtt.Client,
    acks: AckCollector,
    cloud: CloudListener,
) -> None:
    ingest = make_ingest("test-ingest-history")
    ingest.start()
    old, live = make_batch(VIN, 1, t0=YEARS_AGO), make_batch(VIN, 2, t0=T0 + 80_000)
    old_dtc = make_dtc_report(VIN, YEARS_AGO + 60, seq=3)
    live_dtc = make_dtc_report(VIN, T0 + 80_000, seq=4)
    publish_all(publisher, [old, live])
    for report in (old_dtc, live_dtc):
        payload = encode_dtc_report(report)
        publisher.publish(topic(VIN, Kind.DTC), payload, qos=1).wait_for_publish(5)
    wait_until(lambda: acks.acked(VIN) == {1, 2, 3, 4}, what="all four acked")
    wait_until(lambda: len(cloud.received()) == 2, what="the live ones handed on")
    time.sleep(0.5)  # nothing else comes
    assert sorted(cloud.received()) == sorted(
        [
            (cloud_topic(VIN, Kind.TELEMETRY), encode_telemetry(live)),
            (cloud_topic(VIN, Kind.DTC), encode_dtc_report(live_dtc)),
        ]
    )
    assert store.count(VIN) == 12  # both batches stored
    assert [p.ts for p in store.query(VIN, "Vehicle.Speed", YEARS_AGO, YEARS_AGO + 10)]
    assert len(store.dtc_history(VIN, 0, T0 + 86_400)) == 2
    assert store.dead_letters() == []
    stats = ingest.finish()
    assert (stats.history, stats.handed_on, stats.stored, stats.dtc_reports) == (2, 2, 2, 2)


def test_a_message_already_dead_lettered_is_answered_again_without_a_second_row(
    make_ingest: Callable[..., Ingest],
    store: SqliteStore,
    publisher: mqtt.Client,
    acks: AckCollector,
) -> None:
    """Ingest died after the dead-letter write and before the answer: the broker delivers the
    message again; it is found dead-lettered already, and answered."""
    payload = nan_batch(9)
    assert store.write_dead_letter(TELEMETRY, payload, "an earlier ingest's reason", T0, "x")
    ingest = make_ingest("test-ingest-again")
    ingest.start()
    publisher.publish(TELEMETRY, payload, qos=1).wait_for_publish(5)
    wait_until(lambda: 9 in acks.refused(VIN), what="answered")
    assert [d.payload for d in store.dead_letters()] == [payload]
    stats = ingest.finish()
    assert (stats.dead_letters, stats.dead_letter_repeats) == (0, 1)


def _start_ingest(broker: DeployMosquitto, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "-v", "ingest", "--broker", broker.url,
             "--store", f"sqlite:///{db}", "--client-id", "test-ingest-kill",
             "--dead-letter-quota", "10000"],  # every one kept: idempotence, not the quota
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_ingest_sigkilled_while_dead_lettering_loses_nothing_and_doubles_nothing(
    mosquitto: DeployMosquitto, tmp_path: Path, acks: AckCollector, publisher: mqtt.Client
) -> None:
    create_session(mosquitto.url, "test-ingest-kill")  # the broker keeps what comes meanwhile
    count = 3000
    refused = [encode_telemetry(make_batch(VIN2, seq)) for seq in range(count)]  # wrong VIN
    infos = [publisher.publish(TELEMETRY, p, qos=1) for p in refused]
    for info in infos:
        info.wait_for_publish(30)
    db, log = tmp_path / "telemetry.db", tmp_path / "ingest.log"
    first = _start_ingest(mosquitto, db, log)
    try:
        wait_until(lambda: _rows(db) >= count // 4, timeout=60, what="a quarter dead-lettered")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    at_kill = _rows(db)
    assert at_kill < count, "too late: ingest had finished before the SIGKILL"
    second = _start_ingest(mosquitto, db, log)
    try:
        wait_until(
            lambda: set(acks.refused(VIN)) == set(range(count)), timeout=90, what="all answered"
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    assert _rows(db) == count  # each once: none lost, none doubled
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        payloads = [d.payload for d in store.dead_letters(limit=2 * count)]
    finally:
        store.close()
    assert sorted(payloads) == sorted(refused)
    assert acks.acked(VIN) == set()
    text = log.read_text()
    assert "sent again" in text, text[-2000:]


def _rows(db: Path) -> int:
    """Dead letters in ``db``, read only: opening the store would migrate a file that the
    ingest process under test may be creating at that very moment."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
