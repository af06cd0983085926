"""The production broker (deploy/mosquitto.conf and deploy/mosquitto.acl, rendered with the
test's ports and paths) and identities made by ``pitstop admin ca|vehicles|services``."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.main import main
from tests.conftest import REPO
from tests.servers import Mosquitto, free_port, render_production_config

VIN_A = "WPITSTOPSECA00001"
VIN_B = "WPITSTOPSECB00002"
SERVICES = ("ingest", "rules", "presence")

pytestmark = pytest.mark.integration


def pitstop(*argv: str) -> str:
    """Run ``pitstop ARGV...`` in this process; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def provision_password(pki: Path, vin: str) -> str:
    """Provision ``vin`` with a password; the password (the last line printed)."""
    return pitstop("admin", "vehicles", "provision", vin, "--dir", str(pki), "--password").split()[
        -1
    ]


@dataclass
class Broker:
    server: Mosquitto
    pki: Path
    cars: int  # mutual TLS, client id = the certificate's CN
    cars_password: int  # TLS and password, client id = the username
    services: int  # mutual TLS, client ids of the services' own

    def restart(self) -> None:
        self.server.stop()
        self.server.start()


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    pitstop("admin", "ca", "init", "--dir", str(folder), "--host", "127.0.0.1")
    for vin in (VIN_A, VIN_B):
        pitstop("admin", "vehicles", "provision", vin, "--dir", str(folder))
    for service in SERVICES:
        pitstop("admin", "services", "provision", service, "--dir", str(folder))
    return folder


@pytest.fixture
def broker(pki: Path, tmp_path: Path) -> Iterator[Broker]:
    ports = {8883: free_port(), 8884: free_port(), 8885: free_port()}
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    text = render_production_config(
        (REPO / "deploy" / "mosquitto.conf").read_text(),
        ports=ports,
        certs=pki,
        passwd=pki / "passwd",
        acl=REPO / "deploy" / "mosquitto.acl",
        workdir=workdir,
    )
    server = Mosquitto(workdir, ports[8885], config_text=text)
    server.start()
    yield Broker(server, pki, ports[8883], ports[8884], ports[8885])
    server.kill()
