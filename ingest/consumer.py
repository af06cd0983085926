"""MQTT -> validation -> telemetry store -> acknowledgement.

Order of work for each message, on the caller's thread (never on paho's):

1. validate; a payload that fails goes whole to the dead letters, then on to step 4;
2. ``store.write_batch`` (committed when it returns; a duplicate returns False);
3. publish an ``Ack`` to ``pitstop/v1/{vin}/ack`` so the gateway may drop it from its spool;
4. PUBACK to the broker (``client.ack``: the broker forgets the message only now).

The ``Ack`` goes out before the PUBACK (both on paho's one ordered outgoing queue): if ingest
dies between the two, the broker delivers the message again, it is a duplicate, and it is
acknowledged again. The other order could leave a stored batch that no ``Ack`` ever names.
Messages already waiting are handled together (up to ``_DRAIN``), one ``Ack`` per vehicle.

If the store fails, the same message is retried with backoff until it succeeds or ``stop`` is
set, and nothing is acknowledged: the persistent session keeps it at the broker. paho's
``on_message`` only puts onto a bounded queue and blocks while it is full, so the broker holds
whatever ingest cannot take yet (back-pressure) and memory stays bounded.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt

from ingest.errors import ValidationError
from ingest.store import TelemetryStore
from ingest.validate import Policy, validate
from pitstop.codec import Ack, TelemetryBatch, encode_ack
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, subscription, topic

log = logging.getLogger(__name__)

_POLL_S = 0.2  # how often blocked loops look at ``stop``
_DRAIN = 200  # messages handled before their acks are published together
_BACKOFF_S = (0.1, 5.0)  # first and longest pause between store retries
_KEEPALIVE_S = 30


@dataclass(frozen=True, slots=True)
class IngestConfig:
    broker_url: str
    client_id: str = "pitstop-ingest"
    share_group: str | None = None  # set: subscribe as $share/<group>/... to scale out
    queue_size: int = 1000
    policy: Policy = field(default_factory=Policy)
    report_interval_s: float = 10.0


@dataclass(frozen=True, slots=True)
class IngestStats:
    messages: int = 0  # handled to the end (acknowledged)
    stored: int = 0  # batches newly stored
    samples: int = 0  # samples in newly stored batches
    duplicates: int = 0  # batches stored before, acknowledged again
    dead_letters: int = 0
    store_errors: int = 0  # failed store attempts (each retried)


class _Message(NamedTuple):
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass(slots=True)
class _Counters:
    messages: int = 0
    stored: int = 0
    samples: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    store_errors: int = 0

    def snapshot(self) -> IngestStats:
        return IngestStats(
            self.messages,
            self.stored,
            self.samples,
            self.duplicates,
            self.dead_letters,
            self.store_errors,
        )


def run_ingest(
    config: IngestConfig,
    store: TelemetryStore,
    stop: threading.Event,
    ready: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> IngestStats:
    """Consume telemetry until ``stop`` is set; return what was done."""
    inbox: queue.Queue[_Message] = queue.Queue(maxsize=config.queue_size)
    address = BrokerAddress.parse(config.broker_url)
    client = make_client(
        address,
        config.client_id,
        persistent_session=True,
        max_inflight=1000,
        manual_ack=True,
    )
    _wire_callbacks(client, config, inbox, stop, ready)
    worker = _Worker(client, store, config.policy, stop, clock)
    client.connect_async(address.host, address.port, keepalive=_KEEPALIVE_S)
    client.loop_start()
    log.info("ingest: connecting to %s as %s", address.url(), config.client_id)
    try:
        worker.run(inbox, config.report_interval_s)
    finally:
        client.disconnect()
        client.loop_stop()
    stats = worker.counters.snapshot()
    log.info("ingest stopped: %s", stats)
    return stats


def _wire_callbacks(
    client: mqtt.Client,
    config: IngestConfig,
    inbox: queue.Queue[_Message],
    stop: threading.Event,
    ready: threading.Event | None,
) -> None:
    """Thin paho callbacks: subscribe on every connect, enqueue messages, flag readiness."""
    pattern = subscription(Kind.TELEMETRY, config.share_group)

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("ingest: broker refused the connection: %s", reason)
            return
        c.subscribe(pattern, qos=1)

    def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error("ingest: subscription to %s refused: %s", pattern, reasons)
            return
        log.info("ingest: subscribed to %s", pattern)
        if ready is not None:
            ready.set()

    def on_disconnect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not stop.is_set():
            log.warning("ingest: disconnected from the broker (%s); reconnecting", reason)

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        item = _Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos)
        while not stop.is_set():  # block paho while full: the broker holds the rest
            try:
                inbox.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue
        # stopping: left unacknowledged, so the broker delivers it again next session

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_disconnect = on_disconnect
    client.on_message = on_message


class _Worker:
    """Takes messages off the queue and runs them through validate -> store -> ack."""

    def __init__(
        self,
        client: mqtt.Client,
        store: TelemetryStore,
        policy: Policy,
        stop: threading.Event,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.store = store
        self.policy = policy
        self.stop = stop
        self.clock = clock
        self.counters = _Counters()

    def run(self, inbox: queue.Queue[_Message], report_interval_s: float) -> None:
        report = _Reporter(self.counters, report_interval_s)
        while not self.stop.is_set():
            try:
                first = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                report.maybe_log()
                continue
            acks: dict[str, list[int]] = defaultdict(list)
            done: list[_Message] = []
            for message in _drain(inbox, first, _DRAIN):
                if not self._handle(message, acks):
                    break
                done.append(message)
            self._publish_acks(acks)
            for message in done:
                self.client.ack(message.mid, message.qos)
            self.counters.messages += len(done)
            report.maybe_log()

    def _handle(self, message: _Message, acks: dict[str, list[int]]) -> bool:
        """Store one message, noting its ack; False if ``stop`` came first."""
        now = self.clock()
        try:
            batch = validate(message.topic, message.payload, now, self.policy)
        except ValidationError as err:
            if not self._dead_letter(message, err.reason, now):
                return False
        else:
            if not self._store(message, batch):
                return False
            acks[batch.vin].append(batch.seq)
        return True

    def _dead_letter(self, message: _Message, reason: str, now: float) -> bool:
        def write() -> None:
            self.store.write_dead_letter(message.topic, message.payload, reason, now)

        if not self._retry(write, message.topic):
            return False
        self.counters.dead_letters += 1
        log.warning("ingest: dead letter from %s: %s", message.topic, reason)
        return True

    def _store(self, message: _Message, batch: TelemetryBatch) -> bool:
        outcome: list[bool] = []
        if not self._retry(lambda: outcome.append(self.store.write_batch(batch)), message.topic):
            return False
        if outcome[0]:
            self.counters.stored += 1
            self.counters.samples += len(batch.samples)
        else:
            self.counters.duplicates += 1
        return True

    def _retry(self, action: Callable[[], None], where: str) -> bool:
        """Run ``action`` until it succeeds (True) or ``stop`` is set (False)."""
        pause = _BACKOFF_S[0]
        while True:
            try:
                action()
                return True
            except Exception:  # the loop boundary: any store failure is retried, not lost
                self.counters.store_errors += 1
                log.warning(
                    "ingest: store failed for %s; retrying in %.1f s", where, pause, exc_info=True
                )
            if self.stop.wait(pause):
                return False
            pause = min(pause * 2, _BACKOFF_S[1])

    def _publish_acks(self, acks: dict[str, list[int]]) -> None:
        for vin, seqs in acks.items():
            self.client.publish(topic(vin, Kind.ACK), encode_ack(Ack(vin, tuple(seqs))), qos=1)


def _drain(inbox: queue.Queue[_Message], first: _Message, most: int) -> Iterator[_Message]:
    """``first`` and then what is already waiting, ``most`` messages in all."""
    yield first
    for _ in range(most - 1):
        try:
            yield inbox.get_nowait()
        except queue.Empty:
            return


class _Reporter:
    """Logs throughput every ``interval_s`` seconds at INFO."""

    def __init__(self, counters: _Counters, interval_s: float) -> None:
        self.counters = counters
        self.interval_s = interval_s
        self.since = time.monotonic()
        self.last = counters.snapshot()

    def maybe_log(self) -> None:
        now = time.monotonic()
        elapsed = now - self.since
        if elapsed < self.interval_s:
            return
        current = self.counters.snapshot()
        log.info(
            "ingest: %.0f messages/s, %.0f samples/s (stored %d, duplicates %d, dead letters %d, "
            "store errors %d)",
            (current.messages - self.last.messages) / elapsed,
            (current.samples - self.last.samples) / elapsed,
            current.stored,
            current.duplicates,
            current.dead_letters,
            current.store_errors,
        )
        self.since, self.last = now, current
