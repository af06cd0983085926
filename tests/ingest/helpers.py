"""Shared pieces of the ingest tests: batches, polling with a deadline, MQTT peers."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from ingest.consumer import IngestConfig, IngestStats, run_ingest
from ingest.store import TelemetryStore
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from pitstop.messages import decode_ack
from pitstop.mqtt import BrokerAddress, Received, make_client
from pitstop.topics import Kind, subscription, topic

VIN = "PITSTOPDEMO000001"
VIN2 = "PITSTOPDEMO000002"
T0 = 1_764_201_600.0  # seconds; tests pass it (plus a little) as their clock
SIGNALS = ("Vehicle.Speed", "Vehicle.LowVoltageBattery.CurrentVoltage", "Vehicle.TraveledDistance")


def make_batch(vin: str, seq: int, n: int = 6, t0: float = T0) -> TelemetryBatch:
    """``n`` samples spread over SIGNALS, distinct per (vin, seq) by time."""
    base = t0 + seq  # one second per batch: timestamps never collide across batches
    samples = tuple(
        Sample(SIGNALS[i % len(SIGNALS)], base + (i // len(SIGNALS)) * 0.01, float(seq * 100 + i))
        for i in range(n)
    )
    return TelemetryBatch(vin=vin, seq=seq, profile="3f9a1c2b7d4e", samples=samples)


def make_dtc_report(
    vin: str, ts: float, *, seq: int | None = None, source: str | None = None, codes: int = 2
) -> DtcReport:
    """A report of ``codes`` confirmed UDS codes P0301, P0302, ... from ECU 0x7E8."""
    found = tuple(
        Dtc(f"P030{i + 1}", Protocol.UDS, 0x7E8, frozenset({DtcStatus.CONFIRMED}), ftb=0)
        for i in range(codes)
    )
    return DtcReport(vin, ts, found, seq=seq, source=source, lamps={"mil": bool(found)})


def clock() -> float:
    """Ingest's clock in tests: the test batches are about a day old (``T0 + seq`` seconds),
    just inside the default one-day live window."""
    return T0 + 86_400.0


@dataclass
class Ingest:
    """run_ingest on a thread of its own, started and stopped by the test.

    ``inbox`` is the queue between paho and the worker, there for the test to watch.
    """

    url: str
    store: TelemetryStore
    client_id: str = "test-ingest"
    share_group: str | None = None
    queue_size: int = 50
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)
    stats: list[IngestStats] = field(default_factory=list)
    thread: threading.Thread | None = None
    inbox: queue.Queue[Received] = field(init=False)

    def start(self) -> None:
        config = IngestConfig(
            broker_url=self.url,
            client_id=self.client_id,
            share_group=self.share_group,
            queue_size=self.queue_size,
        )
        self.stop.clear()
        self.ready.clear()
        self.inbox = queue.Queue(maxsize=self.queue_size)

        def target() -> None:
            stats = run_ingest(config, self.store, self.stop, self.ready, clock, inbox=self.inbox)
            self.stats.append(stats)

        self.thread = threading.Thread(target=target, name=f"ingest-{self.client_id}")
        self.thread.start()
        assert self.ready.wait(10), "ingest did not subscribe"

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def finish(self) -> IngestStats:
        """Stop it (if it runs) and return the stats of its last run."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(10)
            assert not self.thread.is_alive()
            self.thread = None
        return self.stats[-1] if self.stats else IngestStats()


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} s: {what}")
        time.sleep(0.02)


def connected_client(url: str, client_id: str, *, persistent: bool = False) -> mqtt.Client:
    address = BrokerAddress.parse(url)
    client = make_client(address, client_id, persistent_session=persistent, max_inflight=1000)
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect(address.host, address.port)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError(f"{client_id} did not connect to {url}")
    return client


def publish_all(client: mqtt.Client, batches: Iterable[TelemetryBatch]) -> None:
    """Publish QoS 1 and wait until the broker has taken every one (PUBACK)."""
    infos = [
        client.publish(topic(b.vin, Kind.TELEMETRY), encode_telemetry(b), qos=1) for b in batches
    ]
    for info in infos:
        info.wait_for_publish(15)


def create_session(url: str, client_id: str) -> None:
    """Subscribe ingest's persistent session before ingest first runs, then leave."""
    client = connected_client(url, client_id, persistent=True)
    done = threading.Event()
    client.on_subscribe = lambda *_args: done.set()
    client.subscribe([(subscription(Kind.TELEMETRY), 1), (subscription(Kind.DTC), 1)])
    if not done.wait(10):
        raise TimeoutError("subscription not acknowledged")
    client.disconnect()
    client.loop_stop()


class AckCollector:
    """A car's-eye view: every sequence number acknowledged on ``pitstop/v1/+/ack``, and how
    often each refused one was answered, with the last reason."""

    def __init__(self, url: str) -> None:
        self.seqs: dict[str, set[int]] = {}
        self.refusals: dict[str, Counter[int]] = {}
        self.reasons: dict[str, dict[int, str]] = {}
        self.lock = threading.Lock()
        subscribed = threading.Event()
        address = BrokerAddress.parse(url)
        self.client = make_client(address, "test-ack-collector", persistent_session=False)
        # subscribe on every connect: the broker may be killed and restarted under us
        self.client.on_connect = lambda c, *_args: c.subscribe(subscription(Kind.ACK), qos=1)
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise TimeoutError("ack subscription not acknowledged")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        ack = decode_ack(bytes(msg.payload))
        with self.lock:
            self.seqs.setdefault(ack.vin, set()).update(ack.seqs)
            self.refusals.setdefault(ack.vin, Counter()).update(ack.rejected.keys())
            self.reasons.setdefault(ack.vin, {}).update(ack.rejected)

    def acked(self, vin: str) -> set[int]:
        with self.lock:
            return set(self.seqs.get(vin, ()))

    def refused(self, vin: str) -> dict[int, str]:
        """Refused seq -> the reason it was last answered with."""
        with self.lock:
            return dict(self.reasons.get(vin, {}))

    def times_refused(self, vin: str) -> Counter[int]:
        with self.lock:
            return Counter(self.refusals.get(vin, Counter()))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
