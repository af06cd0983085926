"""Who the production broker lets in: provisioned identities only, never a revoked one."""

from __future__ import annotations

from pathlib import Path

from tests.security.conftest import VIN_A, VIN_B, Broker, pitstop, provision_password
from tests.security.peers import Peer, can_connect, tls_address

VIN_C = "WPITSTOPSECC00003"


def test_a_provisioned_car_connects_over_mutual_tls(broker: Broker) -> None:
    assert can_connect(tls_address(broker.cars, broker.pki, VIN_A), "any-id")


def test_a_client_without_a_certificate_cannot_connect(broker: Broker) -> None:
    assert not can_connect(tls_address(broker.cars, broker.pki, None), "pitstop-gw-x")
    assert not can_connect(tls_address(broker.services, broker.pki, None), "pitstop-ingest")


def test_a_certificate_from_another_ca_cannot_connect(broker: Broker, tmp_path: Path) -> None:
    other = tmp_path / "other-ca"
    pitstop("admin", "ca", "init", "--dir", str(other), "--host", "127.0.0.1")
    pitstop("admin", "vehicles", "provision", VIN_A, "--dir", str(other))
    forged = tls_address(broker.cars, other, VIN_A, ca=broker.pki / "ca.crt")
    assert not can_connect(forged, f"pitstop-gw-{VIN_A}")


def test_a_revoked_certificate_cannot_connect(broker: Broker) -> None:
    pki = str(broker.pki)
    pitstop("admin", "vehicles", "provision", VIN_C, "--dir", pki)
    car = tls_address(broker.cars, broker.pki, VIN_C)
    assert can_connect(car, f"pitstop-gw-{VIN_C}")
    pitstop("admin", "vehicles", "revoke", VIN_C, "--dir", pki)
    broker.restart()
    assert not can_connect(car, f"pitstop-gw-{VIN_C}")
    assert can_connect(tls_address(broker.cars, broker.pki, VIN_A), "a")


def test_a_rotated_certificate_replaces_the_old_one(broker: Broker) -> None:
    old = (broker.pki / "clients" / f"{VIN_B}.crt").read_bytes()
    old_key = (broker.pki / "clients" / f"{VIN_B}.key").read_bytes()
    pitstop("admin", "vehicles", "rotate", VIN_B, "--dir", str(broker.pki))
    broker.restart()
    assert can_connect(tls_address(broker.cars, broker.pki, VIN_B), "b")
    stale = broker.pki / "stale"
    (stale / "clients").mkdir(parents=True)
    (stale / "clients" / f"{VIN_B}.crt").write_bytes(old)
    (stale / "clients" / f"{VIN_B}.key").write_bytes(old_key)
    assert not can_connect(tls_address(broker.cars, stale, VIN_B, ca=broker.pki / "ca.crt"), "b")


def test_a_password_identity_connects_publishes_its_own_vin_and_nothing_else(
    broker: Broker,
) -> None:
    password = provision_password(broker.pki, VIN_C)
    broker.restart()  # Mosquitto reads the password file when it starts (or on SIGHUP)
    car = tls_address(broker.cars_password, broker.pki, VIN_C, password=password)
    assert not can_connect(
        tls_address(broker.cars_password, broker.pki, VIN_C, password=password + "x"), "c"
    )
    assert not can_connect(
        tls_address(broker.cars_password, broker.pki, VIN_A, password=password), "a"
    )
    ingest = tls_address(broker.services, broker.pki, "pitstop-ingest")
    with Peer(ingest, "pitstop-ingest") as cloud, Peer(car, "pitstop-ingest") as peer:
        assert cloud.wait_connected()
        assert peer.wait_connected()
        assert cloud.subscribe("pitstop/v1/+/telemetry")
        peer.publish(f"pitstop/v1/{VIN_B}/telemetry", b"forged")
        peer.publish(f"pitstop/v1/{VIN_C}/telemetry", b"mine")
        assert cloud.next_message() == (f"pitstop/v1/{VIN_C}/telemetry", b"mine")
        assert cloud.disconnects == 0
