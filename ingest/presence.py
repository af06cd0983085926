"""MQTT -> the gateways' status and events -> the telemetry store (``write_status``,
``write_event``).

One persistent session of its own (client id ``pitstop-presence``, QoS 1, PUBACK held back
until the message is stored: ``make_client(manual_ack=True)``) on ``pitstop/v1/+/status``
(retained: ``online`` with the gateway's version, profile hash and counters; the broker's
last will ``offline``) and ``pitstop/v1/+/event`` (DBC problems, spool overflow, capture
windows, value tables, the plan in force, command outcomes). For each message, on the
worker's thread (paho's callback only enqueues, ``pitstop.mqtt.wire_inbox``):

1. the VIN comes from the topic; the payload must decode and name the same VIN, and an event's
   type must be a plain name: otherwise the message is counted (``refused``), logged and
   acknowledged, never stored;
2. strings are cleaned and the event's data bounded (``ingest.presence_model``);
3. the store writes it (committed on return; an event seen before changes nothing), retried
   with backoff while the store fails;
4. PUBACK. A crash before it gets the message delivered again, and stored once.

A retained status the broker replays on subscribing is marked so, and changes nothing when
the stored state is the same (``TelemetryStore.write_status``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt

from ingest.errors import StoreError
from ingest.presence_model import PresenceLimits, RefusedError, clean_event, clean_status
from ingest.store import TelemetryStore
from pitstop.messages import Event, Status, decode_event, decode_status
from pitstop.mqtt import BrokerAddress, Received, make_client, wire_inbox
from pitstop.topics import Kind, parse_topic, subscription

log = logging.getLogger(__name__)

_POLL_S = 0.2
_BACKOFF_S = (0.1, 5.0)
_KEEPALIVE_S = 30


@dataclass(frozen=True, slots=True)
class PresenceConfig:
    broker_url: str
    client_id: str = "pitstop-presence"
    share_group: str | None = None  # with several ingest processes: $share/<group>/...
    queue_size: int = 1000
    limits: PresenceLimits = field(default_factory=PresenceLimits)


@dataclass(slots=True)
class PresenceStats:
    statuses: int = 0  # status messages stored
    events: int = 0  # events newly stored
    duplicates: int = 0  # events stored before (a redelivery)
    refused: int = 0  # forged VIN, undecodable, bad type: logged, never stored
    store_errors: int = 0  # failed store attempts (each retried)


def run_presence(
    config: PresenceConfig,
    store: TelemetryStore,
    stop: threading.Event,
    ready: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> PresenceStats:
    """Store status and events until ``stop`` is set; return what was done."""
    inbox: queue.Queue[Received] = queue.Queue(maxsize=config.queue_size)
    address = BrokerAddress.parse(config.broker_url)
    client = make_client(address, config.client_id, persistent_session=True, manual_ack=True)
    patterns = [subscription(k, config.share_group) for k in (Kind.STATUS, Kind.EVENT)]
    wire_inbox(client, patterns, inbox, stop, ready=ready, name="presence")
    worker = _Worker(client, store, config.limits, stop, clock)
    client.connect_async(address.host, address.port, keepalive=_KEEPALIVE_S)
    client.loop_start()
    log.info("presence: connecting to %s as %s", address.url(), config.client_id)
    try:
        worker.run(inbox)
    finally:
        client.disconnect()
        client.loop_stop()
    log.info("presence stopped: %s", worker.stats)
    return worker.stats


class _Worker:
    def __init__(
        self,
        client: mqtt.Client,
        store: TelemetryStore,
        limits: PresenceLimits,
        stop: threading.Event,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.store = store
        self.limits = limits
        self.stop = stop
        self.clock = clock
        self.stats = PresenceStats()

    def run(self, inbox: queue.Queue[Received]) -> None:
        while not self.stop.is_set():
            try:
                message = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if not self._handle(message):
                return  # stopping: the message stays unacknowledged at the broker
            self.client.ack(message.mid, message.qos)

    def _handle(self, message: Received) -> bool:
        """Check and store one message; False if ``stop`` came before it was stored."""
        try:
            item = _checked(message, self.limits)
        except (ValueError, TypeError) as err:  # TopicError, CodecError, RefusedError, and
            # the codec's int() of odd counter values
            self.stats.refused += 1
            log.warning("presence: refused a message on %s: %s", message.topic, err)
            return True
        now = self.clock()
        if isinstance(item, Status):
            return self._retry(lambda: self._status(item, now, message.retain), message.topic)
        return self._retry(lambda: self._event(item, now), message.topic)

    def _status(self, status: Status, now: float, retained: bool) -> None:
        self.store.write_status(status, now, retained=retained)
        self.stats.statuses += 1

    def _event(self, event: Event, now: float) -> None:
        if self.store.write_event(event, now):
            self.stats.events += 1
        else:
            self.stats.duplicates += 1

    def _retry(self, action: Callable[[], None], where: str) -> bool:
        pause = _BACKOFF_S[0]
        while True:
            try:
                action()
                return True
            except StoreError:
                self.stats.store_errors += 1
                log.warning("presence: store failed for %s; retrying", where, exc_info=True)
            if self.stop.wait(pause):
                return False
            pause = min(pause * 2, _BACKOFF_S[1])


def _checked(message: Received, limits: PresenceLimits) -> Status | Event:
    """The message decoded and cleaned; the VIN of its topic is the only one believed."""
    vin, kind = parse_topic(message.topic)
    item: Status | Event
    if kind is Kind.STATUS:
        item = clean_status(decode_status(message.payload))
    elif kind is Kind.EVENT:
        item = clean_event(decode_event(message.payload), limits)
    else:
        raise RefusedError(f"not a status or event topic: {message.topic}")
    if item.vin != vin:
        raise RefusedError(f"the payload names VIN {item.vin}, the topic {vin}")
    return item
