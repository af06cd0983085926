"""The gateway's MQTT seam: the ``Publisher`` interface the sender uses, and ``MqttPublisher``,
one paho client per vehicle, built with ``pitstop.mqtt.make_client``.

paho's callbacks only put an event on a bounded queue (``Publisher.events``); the sender loop
(``gateway.sender``) takes them off and does the work on its own thread. An event is one of:

    ("connected", None)      the broker accepted the connection (also after a reconnect)
    ("disconnected", None)   the connection is gone; paho reconnects by itself
    ("ack", payload)         a message on the vehicle's ack topic, still encoded
    ("cmd", payload)         a message on the vehicle's cmd topic, still encoded

The client id is ``pitstop-gw-{vin}`` with a persistent session, so acks published while the car
is offline wait at the broker. The broker's last will is the retained ``offline`` status.
"""

from __future__ import annotations

import logging
import queue
import time
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from pitstop.messages import Status, encode_status
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic

log = logging.getLogger(__name__)

EVENT_QUEUE_SIZE = 10_000
UNREACHABLE_REPEAT_S = 60.0  # how often "cannot reach the broker" is repeated while it lasts

Event = tuple[str, bytes | None]


class Publisher(Protocol):
    """What the sender needs of the broker connection (``MqttPublisher`` is the paho one)."""

    @property
    def events(self) -> queue.Queue[Event]:
        """Connects, disconnects, acks and cmds received, in order (see the module docstring)."""
        ...

    @property
    def url(self) -> str:
        """The broker, for logs."""
        ...

    def start(self, will: Status) -> None:
        """Connect in the background, with ``will`` as the broker's last will; keep
        reconnecting until ``stop``."""
        ...

    def on_connected(self, status: Status) -> None: ...

    def publish_status(self, status: Status) -> None: ...

    def publish(self, kind: Kind, payload: bytes) -> bool: ...

    def stop(self, offline: Status, connected: bool) -> None: ...


class MqttPublisher:
    """Connects, publishes the vehicle's messages and status, hands what it receives on."""

    def __init__(self, address: BrokerAddress, vin: str, max_in_flight: int) -> None:
        self.address = address
        self.vin = vin
        self.events: queue.Queue[Event] = queue.Queue(EVENT_QUEUE_SIZE)
        self.lost_events = 0
        self._status = topic(vin, Kind.STATUS)
        self._ack = topic(vin, Kind.ACK)
        self._cmd = topic(vin, Kind.CMD)
        # paho's own window is twice ours: resends of timed-out entries must not queue in paho.
        self._client = make_client(
            address,
            f"pitstop-gw-{vin}",
            persistent_session=True,
            max_inflight=2 * max_in_flight,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_connect_fail = self._on_connect_fail
        self._unreachable_since: float | None = None  # monotonic time of the first failure
        self._unreachable_said = 0.0  # when the last warning was logged

    @property
    def url(self) -> str:
        return self.address.url()

    def start(self, will: Status) -> None:
        """Connect in the background; paho keeps reconnecting until ``stop``."""
        self._client.will_set(self._status, encode_status(will), qos=1, retain=True)
        log.info("connecting to %s as pitstop-gw-%s", self.address.url(), self.vin)
        self._client.connect_async(self.address.host, self.address.port)
        self._client.loop_start()

    def on_connected(self, status: Status) -> None:
        """What the sender does on every (re)connect: retained ``online`` status, ack and cmd."""
        self.publish_status(status)
        self._client.subscribe([(self._ack, 1), (self._cmd, 1)])

    def publish_status(self, status: Status) -> None:
        """The retained status (``online`` with counters), also republished periodically."""
        self._client.publish(self._status, encode_status(status), qos=1, retain=True)

    def publish(self, kind: Kind, payload: bytes) -> bool:
        """Publish one message of the vehicle on its topic ``kind`` (QoS 1); False if refused."""
        info = self._client.publish(topic(self.vin, kind), payload, qos=1)
        return bool(info.rc == mqtt.MQTT_ERR_SUCCESS)

    def stop(self, offline: Status, connected: bool, timeout: float = 2.0) -> None:
        """Say ``offline`` (retained) if connected, disconnect cleanly, stop paho's thread."""
        if connected:
            info = self._client.publish(self._status, encode_status(offline), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as err:
                log.warning("offline status not confirmed by the broker: %s", err)
        self._client.disconnect()
        self._client.loop_stop()

    # --- paho callbacks: enqueue only ---------------------------------------------------------

    def _put(self, event: Event) -> None:
        try:
            self.events.put_nowait(event)
        except queue.Full:
            self.lost_events += 1  # a lost ack only means a resend; the cloud is idempotent

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.address.url(), reason)
            return
        if self._unreachable_since is not None:
            down = time.monotonic() - self._unreachable_since
            log.warning("broker %s reached again after %.0f s", self.address.url(), down)
            self._unreachable_since = None
        self._put(("connected", None))

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        """No connection (refused port, no route, TLS failure): say so at once, then once a
        minute while it lasts; the spool keeps everything meanwhile."""
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since = now
        elif now - self._unreachable_said < UNREACHABLE_REPEAT_S:
            return
        self._unreachable_said = now
        log.warning(
            "cannot reach the broker %s (for %.0f s); retrying, data waits in the spool",
            self.address.url(),
            now - self._unreachable_since,
        )

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._put(("disconnected", None))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._ack:
            self._put(("ack", bytes(message.payload)))
        elif message.topic == self._cmd:
            self._put(("cmd", bytes(message.payload)))
