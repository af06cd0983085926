"""One place that turns a broker URL into a configured paho client.

Every part (gateway, ingest, rules) connects through ``make_client`` so that the protocol
version, the callback API and reconnect behaviour are the same everywhere.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from pitstop.errors import ConfigError

_DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """Parse ``mqtt://[user:password@]host[:port]`` (``mqtts://`` for TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ConfigError(f"broker URL {url!r}: scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise ConfigError(f"broker URL {url!r} has no host")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError as err:
            raise ConfigError(f"broker URL {url!r}: {err}") from err
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme in ("mqtts", "ssl"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


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
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=not persistent_session,
        protocol=MQTTProtocolVersion.MQTTv311,
        manual_ack=manual_ack,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
