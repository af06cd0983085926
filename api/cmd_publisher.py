"""The API's way to the cars: ``CommandPublisher``, and ``MqttCommandPublisher`` on paho.

The app creates the publisher in its lifespan from a broker URL (``create_app(...,
broker_url=...)``, ``pitstop api --broker``); without one, or while it is not connected, the
command routes answer 503 and nothing is recorded or sent. The client id is ``pitstop-api-``
plus a random suffix, with a clean session: several API processes never take each other's
connection, and a command is never queued for later delivery behind the caller's back.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from api.errors import BrokerUnavailableError
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic

log = logging.getLogger(__name__)

PUBACK_TIMEOUT_S = 5.0


class CommandPublisher(Protocol):
    def check(self) -> None:
        """Raise ``BrokerUnavailableError`` unless a command can be sent now."""
        ...

    def publish(self, vin: str, payload: bytes) -> None:
        """Publish on ``pitstop/v1/{vin}/cmd`` with QoS 1 and wait for the broker's PUBACK."""
        ...

    def close(self) -> None: ...


class MqttCommandPublisher:
    def __init__(self, broker_url: str) -> None:
        self.address = BrokerAddress.parse(broker_url)
        client_id = f"pitstop-api-{secrets.token_hex(4)}"
        self._client = make_client(self.address, client_id, persistent_session=False)
        self._connected = threading.Event()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def start(self, wait_s: float = 5.0) -> MqttCommandPublisher:
        """Connect in the background (paho reconnects by itself); wait a moment for it."""
        self._client.connect_async(self.address.host, self.address.port)
        self._client.loop_start()
        if not self._connected.wait(wait_s):
            log.warning("api: not connected to %s yet; commands answer 503", self.address.url())
        return self

    def check(self) -> None:
        if not self._connected.is_set():
            raise BrokerUnavailableError(
                f"not connected to the broker at {self.address.url()}: no command can be sent"
            )

    def publish(self, vin: str, payload: bytes) -> None:
        self.check()
        info = self._client.publish(topic(vin, Kind.CMD), payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise BrokerUnavailableError(f"the broker refused the command ({info.rc})")
        try:
            info.wait_for_publish(PUBACK_TIMEOUT_S)
        except (RuntimeError, ValueError) as err:
            raise BrokerUnavailableError(f"the command was not sent: {err}") from err
        if not info.is_published():
            log.warning("api: no PUBACK for a command to %s within %s s", vin, PUBACK_TIMEOUT_S)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("api: the broker refused the connection: %s", reason)
            return
        self._connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        self._connected.clear()
