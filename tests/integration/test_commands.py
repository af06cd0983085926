"""A command's round trip: the API publishes it through a real Mosquitto, a real gateway
(``python -m cli gateway`` replaying a demo-EV log the simulator's encoder wrote) answers with
an event carrying its id, the presence service stores that event, and the API shows it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.open import open_store
from ingest.presence import PresenceConfig, run_presence
from jobs.open import open_command_log, open_job_store
from tests.gateway.demo_log import write_demo_log
from tests.gateway.procs import start_gateway
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
VIN = "WPITSTOPDEMO00001"


@pytest.fixture
def cloud(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Presence on a thread and the API (with an engineer's key) on one telemetry store."""
    telemetry = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    jobs, keys, log = open_job_store(jobs_url), KeyStore.open(jobs_url), open_command_log(jobs_url)
    stop, ready = threading.Event(), threading.Event()
    config = PresenceConfig(mosquitto.url, client_id="test-presence")
    presence = threading.Thread(target=run_presence, args=(config, telemetry, stop, ready))
    presence.start()
    try:
        assert ready.wait(10)
        secret = keys.create("alice", Role.ENGINEER, 0.0)[1]
        app = create_app(telemetry, jobs, keys=keys, commands=log, broker_url=mosquitto.url)
        with TestClient(app) as client:
            yield client, {"Authorization": f"Bearer {secret}"}
    finally:
        stop.set()
        presence.join(10)
        for closing in (log, keys, jobs, telemetry):
            closing.close()


def test_read_dtcs_is_accepted_and_a_bad_plan_refused_with_the_reason(
    cloud: tuple[TestClient, dict[str, str]], mosquitto: Mosquitto, tmp_path: Path
) -> None:
    client, headers = cloud
    drive = write_demo_log(tmp_path / "drive.log", seconds=120)
    args = ["--vin", VIN, "--broker", mosquitto.url, "--spool", str(tmp_path / "spool.db")]
    gateway = start_gateway([*args, "replay", str(drive.path)], tmp_path)
    try:
        wait_until(lambda: _online(client, headers), 30, "the gateway online")
        read = client.post(f"/vehicles/{VIN}/commands", json={"type": "read_dtcs"}, headers=headers)
        assert read.status_code == 202, read.text
        done = wait_until(lambda: _answered(client, headers, read.json()["url"]), 20, "answer")
        assert done["state"] == "accepted", done
        assert done["data"] == {"requested": "read_dtcs", "passive": True, "id": read.json()["id"]}
        assert done["sent_by"] == {"name": "alice", "role": "engineer"}

        bad_plan = {"name": "typo", "signals": {"Vehicle.Sped": {"interval": 1}}}
        plan = client.post(
            f"/vehicles/{VIN}/commands",
            json={"type": "set_plan", "plan": bad_plan},
            headers=headers,
        )
        assert plan.status_code == 202, plan.text
        refused = wait_until(lambda: _answered(client, headers, plan.json()["url"]), 20, "answer")
        assert refused["state"] == "refused"
        reason = str(refused["reason"])
        assert "Vehicle.Sped" in reason
        assert "profile" in reason

        events = client.get(f"/vehicles/{VIN}/events", headers=headers).json()["events"]
        assert {"read_dtcs_accepted", "command_refused"} <= {e["type"] for e in events}
    finally:
        gateway.kill()
        gateway.wait(10)


def _online(client: TestClient, headers: dict[str, str]) -> bool:
    response = client.get(f"/vehicles/{VIN}/status", headers=headers)
    return response.status_code == 200 and bool(response.json()["state"] == "online")


def _answered(client: TestClient, headers: dict[str, str], url: str) -> dict[str, object] | None:
    shown: dict[str, object] = client.get(url, headers=headers).json()
    return shown if shown["state"] != "pending" else None
