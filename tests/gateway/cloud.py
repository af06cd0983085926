"""The test plays the cloud: it records the telemetry it receives and acknowledges it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt

from pitstop.codec import TelemetryBatch, decode_telemetry
from pitstop.messages import Ack, encode_ack
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic


class FakeCloud:
    """Subscribes to one vehicle's telemetry, records samples by seq, publishes acks."""

    def __init__(self, url: str, vin: str, *, ack: bool = True) -> None:
        self.vin = vin
        self.ack = ack
        self.batches: dict[int, TelemetryBatch] = {}
        self.deliveries = 0
        self.arrivals: list[tuple[float, int]] = []  # (monotonic time, seq) of every delivery
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._address = BrokerAddress.parse(url)
        self._client = make_client(self._address, f"cloud-{vin}", persistent_session=False)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *args: self._subscribed.set()
        self._client.on_message = self._on_message

    def __enter__(self) -> FakeCloud:
        self._client.connect(self._address.host, self._address.port)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("the test cloud could not subscribe")
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def samples(self) -> dict[tuple[str, int], float]:
        """Every sample received, keyed by (signal, ts in ms)."""
        with self._lock:
            batches = list(self.batches.values())
        return {(s.signal, round(s.ts * 1000)): s.value for b in batches for s in b.samples}

    def values(self, signal: str) -> list[float]:
        """Every value of one signal received, in sequence order (duplicates included)."""
        with self._lock:
            batches = [self.batches[seq] for seq in sorted(self.batches)]
        return [s.value for b in batches for s in b.samples if s.signal == signal]

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return condition()

    def _on_connect(self, client: mqtt.Client, *args: object) -> None:
        client.subscribe(topic(self.vin, Kind.TELEMETRY), qos=1)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        batch = decode_telemetry(bytes(msg.payload))
        with self._lock:
            self.batches[batch.seq] = batch
            self.deliveries += 1
            self.arrivals.append((time.monotonic(), batch.seq))
        if self.ack:
            client.publish(
                topic(self.vin, Kind.ACK), encode_ack(Ack(self.vin, (batch.seq,))), qos=1
            )
