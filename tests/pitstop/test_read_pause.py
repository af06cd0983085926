"""A full inbox never blocks paho's network thread: it stops reading, and what it must send
(PUBACKs, acks to the cars, hand-ons) keeps flowing; the inbox never grows past its bound."""

from __future__ import annotations

import queue
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from pitstop.mqtt import BrokerAddress, Received, make_client, wire_inbox
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

BOUND = 5


def _client(url: str, name: str) -> mqtt.Client:
    address = BrokerAddress.parse(url)
    client = make_client(address, name, persistent_session=False)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def test_a_full_inbox_pauses_reading_while_publishes_keep_flowing(mosquitto: Mosquitto) -> None:
    address = BrokerAddress.parse(mosquitto.url)
    stop, ready = threading.Event(), threading.Event()
    inbox: queue.Queue[Received] = queue.Queue(maxsize=BOUND)  # nobody drains it
    consumer = make_client(address, "paused-consumer", persistent_session=True, manual_ack=True)
    wire_inbox(consumer, ["load/#"], inbox, stop, ready=ready, name="test")
    consumer.connect_async(address.host, address.port)
    consumer.loop_start()
    heard: list[bytes] = []
    watcher = _client(mosquitto.url, "watcher")
    watcher.on_message = lambda _c, _u, m: heard.append(bytes(m.payload))
    watcher.subscribe("out/#", qos=1)
    car = _client(mosquitto.url, "car")
    try:
        assert ready.wait(10)
        for i in range(50):
            car.publish(f"load/{i}", b"x" * 100, qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 10
        while not inbox.full() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert inbox.full()
        time.sleep(0.5)  # paho's thread is now where a blocking callback would wait
        for i in range(20):
            consumer.publish("out/ack", str(i).encode(), qos=1)
        deadline = time.monotonic() + 10
        while len(heard) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(heard) == 20, "publishes stalled behind the full inbox"
        assert inbox.qsize() == BOUND  # never past its bound
        taken = [inbox.get_nowait() for _ in range(BOUND)]
        for message in taken:
            consumer.ack(message.mid, message.qos)
        deadline = time.monotonic() + 10
        while not inbox.full() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert inbox.full()  # reading resumed once there was room
        assert consumer.is_connected()
    finally:
        stop.set()
        for client in (consumer, watcher, car):
            client.loop_stop()
            client.disconnect()
