from __future__ import annotations

from typing import Any

import pytest

from cli.broker import EmbeddedBroker
from pitstop.errors import ConfigError
from pitstop.mqtt import BrokerAddress, make_client
from tests.waiting import wait_until

STATUS = "pitstop/v1/PITSTOPDEMO000001/status"
TELEMETRY = "pitstop/v1/PITSTOPDEMO000001/telemetry"


def test_embedded_broker_carries_retained_and_qos1_messages_in_order() -> None:
    received: list[tuple[str, bytes, bool]] = []

    def on_message(_client: Any, _userdata: Any, message: Any) -> None:
        received.append((message.topic, message.payload, message.retain))

    with EmbeddedBroker() as broker:
        address = BrokerAddress.parse(broker.url)
        publisher = make_client(address, "test-pub", persistent_session=False)
        subscriber = make_client(address, "test-sub", persistent_session=False)
        subscriber.on_message = on_message
        try:
            publisher.connect(address.host, address.port)
            publisher.loop_start()
            publisher.publish(STATUS, b"online", qos=1, retain=True).wait_for_publish(5)

            subscriber.connect(address.host, address.port)
            subscriber.loop_start()
            subscriber.subscribe("pitstop/v1/+/#", qos=1)
            wait_until(lambda: received, 10, "the retained status")
            for i in range(100):
                publisher.publish(TELEMETRY, str(i).encode(), qos=1)
            wait_until(lambda: len(received) == 101, 20, "100 QoS 1 messages")
        finally:
            for client in (publisher, subscriber):
                client.disconnect()
                client.loop_stop()

    assert received[0] == (STATUS, b"online", True)
    assert [int(payload) for _, payload, _ in received[1:]] == list(range(100))


def test_a_taken_port_is_a_clear_error() -> None:
    with EmbeddedBroker() as first:
        second = EmbeddedBroker(port=first.port)
        with pytest.raises(ConfigError, match=str(first.port)):
            second.start()
        second.stop()
