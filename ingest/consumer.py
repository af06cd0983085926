"""MQTT -> validation -> telemetry store -> hand-on to the rules -> acknowledgement.

Ingest takes ``pitstop/v1/+/telemetry`` (batches) and ``pitstop/v1/+/dtc`` (trouble-code
reports, kept as each vehicle's DTC history) on one persistent session. Order of work for each
message, on the caller's thread (never on paho's):

1. validate; a payload that fails goes whole to the dead letters (idempotent on topic and
   payload: a message sent again is kept once, and answered again);
2. ``store.write_batches_seen`` / ``store.write_dtc_report`` (committed when it returns; a
   duplicate, same (VIN, instance, seq) and content, is answered as stored; the same name
   with other content, a sequence number re-used, goes to the dead letters, ``seq_reused``);
3. hand each accepted *live* batch and report on to the rules: its original payload on
   ``pitstop/cloud/v1/{vin}/telemetry|dtc`` (also a duplicate's: ingest may have died between
   store and hand-on). A *history* batch (newest sample older than ``Policy.live_window_s``)
   is stored, counted, and not handed on: no live job is booked for the past;
4. publish an ``Ack`` to ``pitstop/v1/{vin}/ack`` naming the stored sequence numbers and the
   refused ones with their reasons (``Ack.rejected``), so the gateway drops both from its
   spool; a refused message whose seq (or VIN) cannot be read cannot be answered: counted;
5. once the broker has taken the group's hand-ons (their PUBACKs came), PUBACK to the broker
   (``client.ack``: the broker forgets the message only now). The worker does not wait for
   that: it goes on with the next messages (paho's thread, which reads those PUBACKs, may be
   blocked on a full inbox) and releases the PUBACKs of finished groups in order.

If ingest dies anywhere before step 5, the broker delivers the message again: it is found a
duplicate (or already dead-lettered), handed on and answered again; nothing is lost or doubled.
Messages are handled in groups bounded by count and time: the first one and whatever arrives
in the next ``_LINGER_S`` (up to ``_DRAIN``; a fleet's batches trickle in one by one, and a
commit per message would cap ingest at a few hundred a second), decoded column-wise,
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

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import paho.mqtt.client as mqtt

from ingest.answers import Answers
from ingest.errors import StoreError, ValidationError
from ingest.ledger import SEQ_REUSED, Seen, conflict_reason
from ingest.stats import Counters, IngestStats, Reporter
from ingest.store import Kept, TelemetryStore
from ingest.validate import Policy, is_history, validate_message
from pitstop.codec import TelemetryColumns, peek_seq
from pitstop.dtc import DtcReport
from pitstop.messages import encode_ack
from pitstop.mqtt import BrokerAddress, Received, make_client, wire_inbox
from pitstop.topics import Kind, cloud_topic, subscription, topic

log = logging.getLogger(__name__)


class Observer(Protocol):
    def observe(self, amount: float) -> None: ...


_POLL_S = 0.2  # how often blocked loops look at ``stop``
_PENDING_POLL_S = 0.005  # ... and at hand-ons the broker may have taken meanwhile
_DRAIN = 200  # messages handled before their acks are published together
_LINGER_S = 0.05  # how long a group waits for more messages after its first
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
    partitions: int = 1  # cloud topics' partition count (``pitstop.topics.cloud_topic``)
    metrics_port: int | None = None  # serve Prometheus metrics on this port (ingest.metrics)


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
    worker = _Worker(client, store, config.policy, stop, clock, partitions=config.partitions)
    stop_metrics = _serve_metrics(config.metrics_port, worker, inbox, client)
    client.connect_async(address.host, address.port, keepalive=_KEEPALIVE_S)
    client.loop_start()
    log.info("ingest: connecting to %s as %s", address.url(), config.client_id)
    try:
        worker.run(inbox, config.report_interval_s)
    finally:
        client.disconnect()
        client.loop_stop()
        stop_metrics()
    stats = worker.counters.snapshot()
    log.info("ingest stopped: %s", stats)
    return stats


Accepted = tuple[Received, TelemetryColumns | DtcReport]


def _serve_metrics(
    port: int | None, worker: _Worker, inbox: queue.Queue[Received], client: mqtt.Client
) -> Callable[[], None]:
    """Prometheus metrics on ``port`` (none without one); what stops serving them."""
    if port is None:
        return lambda: None
    from prometheus_client import CollectorRegistry

    from ingest import metrics
    from pitstop.metrics import serve

    registry = CollectorRegistry()

    def backlog() -> dict[str, float]:
        return {
            "inbox_messages": float(inbox.qsize()),
            "awaiting_hand_on_groups": float(len(worker.pending)),
            "read_pauses": float(getattr(client, "pauses", 0)),
        }

    registry.register(metrics.IngestCollector(worker.counters, backlog))
    worker.lag = metrics.store_lag(registry)
    return serve(port, registry)


class _Worker:
    """Takes messages off the queue and runs them through validate -> store -> hand on ->
    answer."""

    def __init__(
        self,
        client: mqtt.Client,
        store: TelemetryStore,
        policy: Policy,
        stop: threading.Event,
        clock: Callable[[], float],
        *,
        partitions: int = 1,
    ) -> None:
        self.client = client
        self.partitions = partitions
        self.store = store
        self.policy = policy
        self.stop = stop
        self.clock = clock
        self.counters = Counters()
        self.lag: Observer | None = None  # the store lag histogram, when metrics are served
        # groups stored and answered, waiting for the broker to take their hand-ons
        self.pending: collections.deque[tuple[list[mqtt.MQTTMessageInfo], list[Received]]] = (
            collections.deque()
        )

    def run(self, inbox: queue.Queue[Received], report_interval_s: float) -> None:

        def backlog() -> int:
            return inbox.qsize() + sum(len(m) for _h, m in self.pending)

        report = Reporter(self.counters, report_interval_s, backlog)
        while not self.stop.is_set():
            self._release()
            try:
                first = inbox.get(timeout=_POLL_S if not self.pending else _PENDING_POLL_S)
            except queue.Empty:
                report.maybe_log()
                continue
            messages = list(_drain(inbox, first, _DRAIN, _LINGER_S))
            handed = self._handle(messages)
            if handed is None:
                return  # stopping: what was not stored stays unacknowledged at the broker
            self.pending.append((handed, messages))
            report.maybe_log()

    def _release(self) -> None:
        """PUBACK the groups whose hand-ons the broker has taken, in order. (Never wait for
        them: paho's thread may be blocked on a full inbox, and it is the one reading them.)"""
        while self.pending and all(map(_taken, self.pending[0][0])):
            _handed, messages = self.pending.popleft()
            for message in messages:
                self.client.ack(message.mid, message.qos)
            self.counters.messages += len(messages)

    def _handle(self, messages: list[Received]) -> list[mqtt.MQTTMessageInfo] | None:
        """Validate, store in one commit, hand on, answer; the hand-ons to wait for before the
        PUBACKs, or None if ``stop`` came first."""
        now = self.clock()
        answers = Answers()
        accepted: list[Accepted] = []
        for message in messages:
            try:
                accepted.append(
                    (message, validate_message(message.topic, message.payload, now, self.policy))
                )
            except ValidationError as err:
                if not self._dead_letter(message, err, now, answers):
                    return None
        batches = [(m, c) for m, c in accepted if isinstance(c, TelemetryColumns)]
        conflicts = self._store(batches) if batches else []
        if conflicts is None:
            return None
        for message, columns in conflicts:
            reused = ValidationError(conflict_reason(columns), SEQ_REUSED)
            if not self._dead_letter(message, reused, now, answers):
                return None
        refused = {id(m) for m, _c in conflicts}
        accepted = [(m, c) for m, c in accepted if id(m) not in refused]
        reports = [r for _m, r in accepted if isinstance(r, DtcReport)]
        if not all(self._store_dtc(report, now) for report in reports):
            return None
        handed = self._hand_on(accepted, now)
        if self.lag is not None:
            self._observe_lag(accepted)
        for _message, checked in accepted:
            answers.stored(checked.vin, checked.seq)
        for vin, ack in answers.acks():
            self.client.publish(topic(vin, Kind.ACK), encode_ack(ack), qos=1)
        return handed

    def _observe_lag(self, accepted: list[Accepted]) -> None:
        stored_at = self.clock()
        for _message, checked in accepted:
            if isinstance(checked, TelemetryColumns):
                span = checked.time_span()
                if span is not None and self.lag is not None:
                    self.lag.observe(max(0.0, stored_at - span[1] / 1000))

    def _dead_letter(
        self, message: Received, err: ValidationError, now: float, answers: Answers
    ) -> bool:
        kept: list[Kept] = []

        def write() -> None:
            kept.append(
                self.store.keep_dead_letter(
                    message.topic, message.payload, err.reason, now, err.code
                )
            )

        if not self._retry(write, message.topic):
            return False
        self.counters.dead_letters_dropped += kept[0].dropped
        self.counters.dead_letters_trimmed += kept[0].trimmed
        if kept[0].new:
            self.counters.dead_letters += 1
            log.warning("ingest: dead letter from %s: %s", message.topic, err.reason)
        else:
            self.counters.dead_letter_repeats += 1
        if not answers.refused(message.topic, peek_seq(message.payload), err.reason):
            self.counters.unanswerable += 1
            log.warning("ingest: cannot answer a dead letter on %s (no seq or VIN)", message.topic)
        return True

    def _hand_on(self, accepted: list[Accepted], now: float) -> list[mqtt.MQTTMessageInfo]:
        """Republish each live batch and report for the rules; count the history."""
        handed = []
        for message, checked in accepted:
            if is_history(checked, now, self.policy):
                self.counters.history += 1
                continue
            kind = Kind.DTC if isinstance(checked, DtcReport) else Kind.TELEMETRY
            handed.append(
                self.client.publish(
                    cloud_topic(checked.vin, kind, self.partitions), message.payload, qos=1
                )
            )
        self.counters.handed_on += len(handed)
        return handed

    def _store(
        self, batches: list[tuple[Received, TelemetryColumns]]
    ) -> list[tuple[Received, TelemetryColumns]] | None:
        """Store the batches in one commit; the conflicts (a re-used seq), or None if
        ``stop`` came first."""
        outcome: list[list[Seen]] = []
        columns = [c for _m, c in batches]
        where = f"{len(batches)} batches from {columns[0].vin} on"
        if not self._retry(lambda: outcome.append(self.store.write_batches_seen(columns)), where):
            return None
        conflicts = []
        for (message, batch), seen in zip(batches, outcome[0], strict=True):
            if seen is Seen.STORED:
                self.counters.stored += 1
                self.counters.samples += batch.sample_count
            elif seen is Seen.DUPLICATE:
                self.counters.duplicates += 1
            else:
                conflicts.append((message, batch))
        return conflicts

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


def _taken(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker has taken a QoS 1 publish (its PUBACK came)."""
    if info.rc == mqtt.MQTT_ERR_NO_CONN:
        info.rc = mqtt.MQTT_ERR_SUCCESS  # made while disconnected: queued, sent on reconnect
    return info.is_published()


def _drain(
    inbox: queue.Queue[Received], first: Received, most: int, linger_s: float = 0.0
) -> Iterator[Received]:
    """``first`` and then what waits or arrives within ``linger_s``, ``most`` messages in all."""
    yield first
    until = time.monotonic() + linger_s
    for _ in range(most - 1):
        try:
            yield inbox.get(timeout=max(0.0, until - time.monotonic()))
        except queue.Empty:
            return


__all__ = ["IngestConfig", "IngestStats", "run_ingest"]
