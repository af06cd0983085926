"""MQTT clients for the security tests, built with pitstop's own ``make_client``: a car or a
service with a certificate (or a password), that records what it receives and whether the
broker ever closed its connection."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from pitstop.mqtt import BrokerAddress, make_client

QUIET = 1.0  # how long "nothing arrives" is watched for


def tls_address(
    port: int,
    pki: Path,
    name: str | None,
    *,
    password: str | None = None,
    ca: Path | None = None,
) -> BrokerAddress:
    """``name``'s certificate from ``pki`` (none if ``password`` or ``name`` is None)."""
    files = (None, None) if password or name is None else _files(pki, name)
    return BrokerAddress(
        "127.0.0.1",
        port,
        tls=True,
        username=name if password else None,
        password=password,
        ca_file=str(ca or pki / "ca.crt"),
        cert_file=files[0],
        key_file=files[1],
    )


def _files(pki: Path, name: str) -> tuple[str, str]:
    return str(pki / "clients" / f"{name}.crt"), str(pki / "clients" / f"{name}.key")


class Peer:
    """One connection; ``with Peer(...) as peer`` connects in the background."""

    def __init__(self, address: BrokerAddress, client_id: str) -> None:
        self.address = address
        self.client = make_client(address, client_id, persistent_session=False)
        self.connected = threading.Event()
        self.disconnects = 0
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._subacks: queue.Queue[bool] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def __enter__(self) -> Peer:
        self.client.connect_async(self.address.host, self.address.port)
        self.client.loop_start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.connected.wait(timeout)

    def subscribe(self, pattern: str) -> bool:
        """Subscribe (QoS 1); whether the broker granted it."""
        self.client.subscribe(pattern, qos=1)
        return self._subacks.get(timeout=5)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def next_message(self, timeout: float = 5.0) -> tuple[str, bytes] | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self.connected.is_set():
            self.disconnects += 1

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.messages.put((msg.topic, bytes(msg.payload)))

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _m: int, reasons: Any, _p: Any) -> None:
        self._subacks.put(not any(r.is_failure for r in reasons))


def can_connect(address: BrokerAddress, client_id: str, timeout: float = 3.0) -> bool:
    """Whether the broker accepts this connection (and keeps it a moment)."""
    with Peer(address, client_id) as peer:
        if not peer.wait_connected(timeout):
            return False
        time.sleep(0.3)  # TLS 1.3 reports a refused client certificate after the handshake
        return peer.disconnects == 0 and peer.client.is_connected()
