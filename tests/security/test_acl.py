"""A car publishes and reads under its own VIN only, on the production broker."""

from __future__ import annotations

from tests.security.conftest import VIN_A, VIN_B, Broker
from tests.security.peers import QUIET, Peer, tls_address


def _service(broker: Broker, name: str) -> Peer:
    return Peer(tls_address(broker.services, broker.pki, f"pitstop-{name}"), f"pitstop-{name}")


def _car(broker: Broker, vin: str, client_id: str | None = None) -> Peer:
    return Peer(tls_address(broker.cars, broker.pki, vin), client_id or f"pitstop-gw-{vin}")


def test_a_car_publishes_under_its_own_vin_and_ingest_receives_it(broker: Broker) -> None:
    with _service(broker, "ingest") as ingest, _car(broker, VIN_A) as car:
        assert ingest.wait_connected()
        assert car.wait_connected()
        assert ingest.subscribe("pitstop/v1/+/telemetry")
        car.publish(f"pitstop/v1/{VIN_A}/telemetry", b"mine")
        assert ingest.next_message() == (f"pitstop/v1/{VIN_A}/telemetry", b"mine")


def test_a_car_cannot_publish_under_another_vin(broker: Broker) -> None:
    with _service(broker, "ingest") as ingest, _car(broker, VIN_A) as car:
        assert ingest.wait_connected()
        assert car.wait_connected()
        assert ingest.subscribe("pitstop/v1/+/telemetry")
        assert ingest.subscribe("pitstop/v1/+/dtc")
        car.publish(f"pitstop/v1/{VIN_B}/telemetry", b"forged")
        car.publish(f"pitstop/v1/{VIN_B}/dtc", b"forged")
        car.publish(f"pitstop/cloud/v1/part/0/{VIN_A}/telemetry", b"forged")
        car.publish(f"pitstop/v1/{VIN_A}/telemetry", b"mine")
        # in order: had the broker passed a forged one on, it would come first
        assert ingest.next_message() == (f"pitstop/v1/{VIN_A}/telemetry", b"mine")
        assert ingest.next_message(QUIET) is None


def test_a_car_cannot_read_another_cars_acks_and_commands(broker: Broker) -> None:
    with _service(broker, "rules") as rules, _car(broker, VIN_A) as car:
        assert rules.wait_connected()
        assert car.wait_connected()
        for pattern in (f"pitstop/v1/{VIN_B}/cmd", f"pitstop/v1/{VIN_B}/ack", "pitstop/v1/+/cmd"):
            car.subscribe(pattern)  # granted or not: nothing of B's may arrive
        assert car.subscribe(f"pitstop/v1/{VIN_A}/cmd")
        rules.publish(f"pitstop/v1/{VIN_B}/cmd", b"for B")
        rules.publish(f"pitstop/v1/{VIN_A}/cmd", b"for A")
        assert car.next_message() == (f"pitstop/v1/{VIN_A}/cmd", b"for A")
        assert car.next_message(QUIET) is None


def test_a_car_claiming_ingests_client_id_does_not_knock_ingest_off(broker: Broker) -> None:
    with _service(broker, "ingest") as ingest:
        assert ingest.wait_connected()
        assert ingest.subscribe("pitstop/v1/+/telemetry")
        with _car(broker, VIN_A, client_id="pitstop-ingest") as intruder:
            assert intruder.wait_connected()
            intruder.publish(f"pitstop/v1/{VIN_A}/telemetry", b"hello")
            assert ingest.next_message() == (f"pitstop/v1/{VIN_A}/telemetry", b"hello")
        assert ingest.disconnects == 0
        assert ingest.client.is_connected()


def test_a_car_claiming_another_gateways_client_id_does_not_knock_it_off(
    broker: Broker,
) -> None:
    with _service(broker, "rules") as rules, _car(broker, VIN_B) as victim:
        assert rules.wait_connected()
        assert victim.wait_connected()
        assert victim.subscribe(f"pitstop/v1/{VIN_B}/cmd")
        for claimed in (f"pitstop-gw-{VIN_B}", VIN_B):
            with _car(broker, VIN_A, client_id=claimed) as intruder:
                assert intruder.wait_connected()
                rules.publish(f"pitstop/v1/{VIN_B}/cmd", claimed.encode())
                assert victim.next_message() == (f"pitstop/v1/{VIN_B}/cmd", claimed.encode())
        assert victim.disconnects == 0
        assert victim.client.is_connected()
