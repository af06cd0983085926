"""The gateway (a real ``pitstop gateway`` process) connects to the production broker with its
certificate or its password, and never prints the password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.gateway.demo_log import write_demo_log
from tests.security.conftest import VIN_A, Broker, provision_password
from tests.security.peers import Peer, tls_address


@pytest.mark.parametrize("identity", ["certificate", "password"])
def test_the_gateway_connects_as_itself_and_never_prints_its_password(
    broker: Broker, tmp_path: Path, identity: str
) -> None:
    pki = broker.pki
    password = provision_password(pki, VIN_A)
    broker.restart()
    env = {**os.environ, "PITSTOP_DATA_DIR": str(tmp_path / "data")}
    if identity == "certificate":  # the settings route; the URL's password is ignored there
        url = f"mqtts://{VIN_A}:{password}@127.0.0.1:{broker.cars}"
        env |= {
            "PITSTOP_BROKER_CERT_FILE": str(pki / "clients" / f"{VIN_A}.crt"),
            "PITSTOP_BROKER_KEY_FILE": str(pki / "clients" / f"{VIN_A}.key"),
        }
    else:
        url = f"mqtts://{VIN_A}:{password}@127.0.0.1:{broker.cars_password}"
    log = write_demo_log(tmp_path / "drive.log", seconds=2.0).path
    presence = tls_address(broker.services, pki, "pitstop-presence")
    with Peer(presence, "pitstop-presence") as cloud:
        assert cloud.wait_connected()
        assert cloud.subscribe(f"pitstop/v1/{VIN_A}/status")
        gateway = subprocess.Popen(
            [sys.executable, "-m", "cli", "-vv", "gateway", "--vin", VIN_A, "--broker", url,
             "--ca-file", str(pki / "ca.crt"), "replay", str(log), "--fast"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            status = cloud.next_message(timeout=20)
        finally:
            gateway.terminate()
            output, _ = gateway.communicate(timeout=20)
    assert status is not None, output
    assert status[0] == f"pitstop/v1/{VIN_A}/status"
    assert b"online" in status[1]
    assert password not in output
    assert (
        f"mqtts://127.0.0.1:{broker.cars if identity == 'certificate' else broker.cars_password}"
        in output
    )
