"""MQTT -> validation -> telemetry store -> acknowledgement.

Ingest takes ``pitstop/v1/+/telemetry`` (batches) and ``pitstop/v1/+/dtc`` (trouble-code
reports, kept as each vehicle's DTC history) on one persistent session. Order of work for each
message, on the caller's thread (never on paho's):

1. validate; a payload that fails goes whole to the dead letters, then on to step 4;
2. ``store.write_batches`` / ``store.write_dtc_report`` (committed when it returns; a
   duplicate returns False);
3. publish an ``Ack`` to ``pitstop/v1/{vin}/ack`` naming the batches' sequence numbers (and a
   DTC report's, when it carries one) so the gateway may drop them from its spool;
4. PUBACK to the broker (``client.ack``: the broker forgets the message only now).

The ``Ack`` goes out before the PUBACK (both on paho's one ordered outgoing queue): if ingest
dies between the two, the broker delivers the message again, it is a duplicate, and it is
acknowledged again. The other order could leave a stored batch that no ``Ack`` ever names.
Messages already waiting are handled together (up to ``_DRAIN``): decoded column-wise,
stored in one commit (``store.write_batches``), one ``Ack`` per vehicle.

If the store fails (``StoreError``), the same message is retried with backoff until it succeeds
or ``stop`` is set, and nothing is acknowledged: the persistent session keeps it at the broker.
Any other exception is a defect, not a passing fault: it stops ingest loudly (the message stays
unacknowledged and is delivered again to the fixed ingest) instead of stalling every vehicle
behind a retry that can never succeed. paho's
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

import paho.mqtt.client as mqtt

from ingest.errors import StoreError, ValidationError
from ingest.store import TelemetryStore
from ingest.validate import Policy, validate_message
from pitstop.codec import Ack, TelemetryColumns, encode_ack
from pitstop.dtc import DtcReport
from pitstop.mqtt import BrokerAddress, Received, make_client, wire_inbox
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
    dtc_reports: int = 0  # DTC reports newly added to the history


@dataclass(slots=True)
class _Counters:
    messages: int = 0
    stored: int = 0
    samples: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    store_errors: int = 0
    dtc_reports: int = 0

    def snapshot(self) -> IngestStats:
        return IngestStats(
            self.messages,
            self.stored,
            self.samples,
            self.duplicates,
            self.dead_letters,
            self.store_errors,
            self.dtc_reports,
        )


def run_ingest(
    config: IngestConfig,
    store: TelemetryStore,
    stop: threading.Event,
    ready: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    *,
    inbox: queue.Queue[Received] | None = None,
) -> IngestStats:
    """Consume telemetry and DTC reports until ``stop`` is set; return what was done.

    ``inbox`` is the bounded queue between paho and the worker (default: a new one of
    ``config.queue_size``); pass your own to watch its depth.
    """
    if inbox is None:
        inbox = queue.Queue(maxsize=config.queue_size)
    address = BrokerAddress.parse(config.broker_url)
    client = make_client(
        address,
        config.client_id,
        persistent_session=True,
        max_inflight=1000,
        manual_ack=True,
    )
    patterns = [subscription(kind, config.share_group) for kind in (Kind.TELEMETRY, Kind.DTC)]
    wire_inbox(client, patterns, inbox, stop, ready=ready, name="ingest")
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

    def run(self, inbox: queue.Queue[Received], report_interval_s: float) -> None:
        report = _Reporter(self.counters, report_interval_s)
        while not self.stop.is_set():
            try:
                first = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                report.maybe_log()
                continue
            messages = list(_drain(inbox, first, _DRAIN))
            if not self._handle(messages):
                return  # stopping: what was not stored stays unacknowledged at the broker
            for message in messages:
                self.client.ack(message.mid, message.qos)
            self.counters.messages += len(messages)
            report.maybe_log()

    def _handle(self, messages: list[Received]) -> bool:
        """Validate, store in one commit, publish the acks; False if ``stop`` came first."""
        now = self.clock()
        valid: list[TelemetryColumns] = []
        reports: list[DtcReport] = []
        for message in messages:
            try:
                checked = validate_message(message.topic, message.payload, now, self.policy)
            except ValidationError as err:
                if not self._dead_letter(message, err.reason, now):
                    return False
                continue
            if isinstance(checked, DtcReport):
                reports.append(checked)
            else:
                valid.append(checked)
        if valid and not self._store(valid):
            return False
        if not all(self._store_dtc(report, now) for report in reports):
            return False
        acks: dict[str, list[int]] = defaultdict(list)
        for columns in valid:
            acks[columns.vin].append(columns.seq)
        for report in reports:
            if report.seq is not None:
                acks[report.vin].append(report.seq)
        self._publish_acks(acks)
        return True

    def _dead_letter(self, message: Received, reason: str, now: float) -> bool:
        def write() -> None:
            self.store.write_dead_letter(message.topic, message.payload, reason, now)

        if not self._retry(write, message.topic):
            return False
        self.counters.dead_letters += 1
        log.warning("ingest: dead letter from %s: %s", message.topic, reason)
        return True

    def _store(self, batches: list[TelemetryColumns]) -> bool:
        outcome: list[list[bool]] = []
        where = f"{len(batches)} batches from {batches[0].vin} on"
        if not self._retry(lambda: outcome.append(self.store.write_batches(batches)), where):
            return False
        for columns, stored in zip(batches, outcome[0], strict=True):
            if stored:
                self.counters.stored += 1
                self.counters.samples += columns.sample_count
            else:
                self.counters.duplicates += 1
        return True

    def _store_dtc(self, report: DtcReport, now: float) -> bool:
        outcome: list[bool] = []
        where = f"a DTC report from {report.vin} on"
        if not self._retry(lambda: outcome.append(self.store.write_dtc_report(report, now)), where):
            return False
        self.counters.dtc_reports += outcome[0]
        return True

    def _retry(self, action: Callable[[], None], where: str) -> bool:
        """Run ``action`` until it succeeds (True) or ``stop`` is set (False)."""
        pause = _BACKOFF_S[0]
        while True:
            try:
                action()
                return True
            except StoreError:  # the store failed (down, full, locked): retried, not lost
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


def _drain(inbox: queue.Queue[Received], first: Received, most: int) -> Iterator[Received]:
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
