"""``pitstop gateway --obd`` SIGKILLed while it polls, the broker down: every PID batch it had
spooled reaches the cloud after a restart, once each, whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import dbc
from gateway.spool import Spool
from pitstop.codec import TelemetryBatch, decode_telemetry
from pitstop.topics import Kind
from tests.conftest import REPO
from tests.gateway.cloud import FakeCloud
from tests.gateway.procs import start_gateway
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

VIN = "WPITSTOPOBD000002"


def _spooled(path: Path) -> dict[int, TelemetryBatch]:
    if not path.exists():
        return {}
    with Spool(path) as spool:
        entries = spool.unacked(None, 10_000)
    return {e.seq: decode_telemetry(e.payload) for e in entries if e.kind is Kind.TELEMETRY}


def test_a_killed_gateway_loses_no_spooled_pid_batch(tmp_path: Path, mosquitto: Mosquitto) -> None:
    spool = tmp_path / "spool.db"
    args = ["--vin", VIN, "--spool", str(spool), "--broker", mosquitto.url, "--ack-timeout", "2"]
    mosquitto.stop()
    env = {**os.environ, "PITSTOP_DATA_DIR": str(tmp_path / "data")}
    channel = f"obd-{uuid.uuid4().hex}"
    first = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.diag.obd_child", channel, *args, "--obd"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:  # SIGKILL it while it polls, the broker still down
        wait_until(lambda: len(_spooled(spool)) >= 4, 30, "four PID batches in the spool")
        assert first.poll() is None, "the gateway exited with the broker down"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    kept = _spooled(spool)
    assert {s.signal for b in kept.values() for s in b.samples} >= {
        "Vehicle.Speed",
        "Vehicle.Powertrain.CombustionEngine.Speed",
        "Vehicle.TraveledDistance",
    }
    mosquitto.start()
    with FakeCloud(mosquitto.url, VIN) as cloud:
        quiet = f"quiet-{uuid.uuid4().hex}"  # no ECU there: it only drains the spool
        second = start_gateway(
            [*args, "--bus", "virtual", "--channel", quiet, "--profile", str(dbc.OBD2_PROFILE)],
            tmp_path,
        )
        try:
            wait_until(lambda: cloud.batches.keys() >= kept.keys(), 30, "every spooled batch")
            wait_until(lambda: not _spooled(spool).keys() & kept.keys(), 30, "acks to clear them")
        finally:
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=30)
        assert second.returncode == 0, output
    for seq, batch in kept.items():
        assert cloud.batches[seq].samples == batch.samples, f"batch {seq} arrived changed"
