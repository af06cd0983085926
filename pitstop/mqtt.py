"""One place that turns a broker URL into a configured paho client.

Every part (gateway, ingest, rules) connects through ``make_client`` so that the protocol
version, the callback API and reconnect behaviour are the same everywhere.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from pitstop.errors import ConfigError

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is and who we are to it. ``url()`` renders it for logs: never with the
    password (nor the username or the files)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # the CA that signed the broker's certificate (else the system's)
    cert_file: str | None = None  # our client certificate, for mutual TLS
    key_file: str | None = None  # its private key

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """Parse ``mqtt://[user:password@]host[:port]`` (``mqtts://`` for TLS, optionally with
        ``?ca=FILE&cert=FILE&key=FILE`` for a private CA and a client certificate)."""
        shown = redact(url)
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ConfigError(f"broker URL {shown!r}: scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise ConfigError(f"broker URL {shown!r} has no host")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError as err:
            raise ConfigError(f"broker URL {shown!r}: invalid port") from err
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - {"ca", "cert", "key"})
        if unknown:
            raise ConfigError(f"broker URL {shown!r}: unknown parameter(s) {', '.join(unknown)}")
        address = cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme in ("mqtts", "ssl"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )
        return address.with_tls_files(
            *(query[name][-1] if name in query else None for name in ("ca", "cert", "key"))
        )

    def with_tls_files(
        self, ca_file: str | None, cert_file: str | None, key_file: str | None
    ) -> BrokerAddress:
        """This address with the TLS files that are given (None keeps what it has)."""
        address = replace(
            self,
            ca_file=ca_file or self.ca_file,
            cert_file=cert_file or self.cert_file,
            key_file=key_file or self.key_file,
        )
        if (address.cert_file is None) != (address.key_file is None):
            raise ConfigError("a client certificate needs its key, and a key its certificate")
        if not address.tls and (address.ca_file or address.cert_file):
            raise ConfigError(
                f"{address.url()}: a CA file or client certificate needs TLS (mqtts://)"
            )
        return address

    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def redact(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``: the form for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


_PAUSED_S = 0.005  # while reading is paused, how long paho's loop waits between looks


class PitstopClient(mqtt.Client):
    """paho's client that can stop *reading* without blocking its network thread.

    While ``read_paused()`` is true (a consumer's inbox is full) the loop reads no packet: TCP
    holds the broker back, and the broker keeps the rest for the session, while the thread
    goes on writing (PUBACKs, acks to the cars, hand-ons) and keeping the connection alive. It
    checks before every packet, so an inbox overshoots its bound by no message at all. A
    pause longer than the keepalive ends in paho's keepalive timeout: a reconnect, and the
    broker delivers the unacknowledged messages again (nothing is lost). While paused, the
    PUBACKs of our own publishes wait unread too: a consumer that releases its work on them
    (ingest's hand-ons) resumes reading by taking from its inbox. ``loop_stop`` reads on.
    """

    read_paused: Callable[[], bool] = staticmethod(lambda: False)
    pauses: int = 0  # how often reading was paused (back-pressure, for the metrics)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        if self._sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        budget = max(len(self._out_messages) + len(self._in_messages), max_packets, 1)
        for _ in range(budget):
            if self.read_paused() and not self._thread_terminate:  # loop_stop: read on
                self.pauses += 1
                time.sleep(_PAUSED_S)  # the socket stays readable: do not spin on select
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return MQTTErrorCode.MQTT_ERR_SUCCESS


def make_client(
    address: BrokerAddress,
    client_id: str,
    *,
    persistent_session: bool,
    max_inflight: int = 100,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho client speaking MQTT 3.1.1 with the VERSION2 callback API.

    ``persistent_session`` keeps the broker-side session (subscriptions and queued QoS 1
    messages) across disconnects; it needs a stable ``client_id``. Connect with
    ``client.connect_async(address.host, address.port)`` and ``client.loop_start()``;
    paho reconnects by itself with a backoff of one to thirty seconds.

    ``manual_ack`` holds back the PUBACK of received QoS 1 messages until ``client.ack(mid,
    qos)`` is called: the broker redelivers whatever was not acknowledged before a crash.

    ``mqtts://`` verifies the broker's certificate (against ``address.ca_file``, else the
    system's CAs) and, given ``cert_file`` and ``key_file``, presents ours (mutual TLS).
    """
    client = PitstopClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=not persistent_session,
        protocol=MQTTProtocolVersion.MQTTv311,
        manual_ack=manual_ack,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:  # the broker's name is checked against its certificate
        try:
            client.tls_set(
                ca_certs=address.ca_file,
                certfile=address.cert_file,
                keyfile=address.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            raise ConfigError(f"{address.url()}: cannot load the TLS files: {err}") from err
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client


@dataclass(frozen=True, slots=True)
class Received:
    """A message taken from the broker, waiting for its consumer (and its manual ack)."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool = False  # a retained message the broker replays (e.g. on subscribing)


def wire_inbox(
    client: mqtt.Client,
    patterns: Sequence[str],
    inbox: queue.Queue[Received],
    stop: threading.Event,
    *,
    ready: threading.Event | None = None,
    name: str = "consumer",
) -> None:
    """Thin paho callbacks for a consumer: subscribe to ``patterns`` (QoS 1) on every connect,
    put every message onto the bounded ``inbox``, set ``ready`` once all are subscribed.

    The callback never blocks paho's thread: while the inbox is full a ``PitstopClient``
    (``make_client``'s) stops reading from the socket instead, so PUBACKs and outgoing
    publishes keep flowing; that is the back-pressure, and the broker keeps what is not taken.
    (A plain paho client has no such pause: its callback waits for room, as before.)
    """
    if isinstance(client, PitstopClient):
        client.read_paused = lambda: inbox.full() and not stop.is_set()
    granted: set[int] = set()
    expected: set[int] = set()

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("%s: the broker refused the connection: %s", name, reason)
            return
        granted.clear()
        expected.clear()
        for pattern in patterns:
            _result, mid = c.subscribe(pattern, qos=1)
            if mid is not None:
                expected.add(mid)

    def on_subscribe(_c: mqtt.Client, _u: Any, mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error("%s: a subscription to %s was refused: %s", name, patterns, reasons)
            return
        granted.add(mid)
        if granted >= expected:
            log.info("%s: subscribed to %s", name, ", ".join(patterns))
            if ready is not None:
                ready.set()

    def on_disconnect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not stop.is_set():
            log.warning("%s: disconnected from the broker (%s); reconnecting", name, reason)

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        item = Received(msg.topic, bytes(msg.payload), msg.mid, msg.qos, bool(msg.retain))
        try:
            inbox.put_nowait(item)  # a PitstopClient read it only because there was room
            return
        except queue.Full:
            pass
        while not stop.is_set():
            try:
                inbox.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_disconnect = on_disconnect
    client.on_message = on_message
