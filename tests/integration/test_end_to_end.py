"""The whole loop: simulated CAN -> gateway -> broker -> ingest -> rules -> job -> API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.demo import run_demo
from cli.demo_config import DemoConfig, DemoEndpoints
from sim.run import demo_vins
from tests.servers import Mosquitto, free_port, wait_for_port
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

LV_SIGNAL = "Vehicle.LowVoltageBattery.CurrentVoltage"
JOB_TIMEOUT_S = 150


def _get(api: httpx.Client, path: str) -> Any:
    response = api.get(path)
    response.raise_for_status()
    return response.json()


def _assert_the_faulty_car_got_its_job(api_url: str, key: str, vins: tuple[str, ...]) -> None:
    with httpx.Client(
        base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=5
    ) as api:
        _assert_job(api, vins)


def _assert_job(api: httpx.Client, vins: tuple[str, ...]) -> None:
    jobs = wait_until(lambda: _get(api, "/jobs"), JOB_TIMEOUT_S, "a job at /jobs", interval=1)
    faulty, healthy = vins[-1], vins[:-1]

    assert len(jobs) == 1, jobs
    summary = jobs[0]
    assert summary["vin"] == faulty
    assert summary["rule_id"] == "lv-battery-low"
    assert summary["workshop"] is not None

    job = _get(api, f"/jobs/{summary['id']}")
    trigger = job["evidence"]["trigger"]
    assert trigger["signal"] == LV_SIGNAL
    assert trigger["value"] < 11.8
    window = job["evidence"]["window"][LV_SIGNAL]
    held = [value for ts, value in window if ts >= trigger["since"]]
    assert held, "the evidence holds no sample from the moment the condition started"
    assert all(value < 11.8 for value in held)
    assert job["diagnosis"]["parts"], "the job carries no parts"

    # The faulty car's ECU stored a trouble code at the crossing: read by the gateway's
    # diagnostics, spooled, stored by ingest, carried by the job, served by the API.
    codes = wait_until(
        lambda: _get(api, f"/vehicles/{faulty}/dtcs")["codes"], 30, "the 12 V trouble code"
    )
    assert [c["code"] for c in codes] == ["P0562"]
    assert [c["code"] for c in job["evidence"].get("dtcs", [])] == ["P0562"]

    vehicles = {v["vin"] for v in _get(api, "/vehicles")}
    assert vehicles == set(vins)
    for vin in healthy:
        latest = _get(api, f"/vehicles/{vin}/latest")["values"]
        assert latest[LV_SIGNAL]["value"] > 12.2
        assert "Vehicle.Speed" in latest


def test_the_loop_through_a_real_mosquitto(mosquitto: Mosquitto, tmp_path: Path) -> None:
    stop = threading.Event()
    ready: list[DemoEndpoints] = []
    result: list[int] = []
    config = DemoConfig(data_dir=tmp_path / "demo", broker_url=mosquitto.url, api_port=free_port())
    runner = threading.Thread(
        target=lambda: result.append(run_demo(config, stop, on_ready=ready.append)), daemon=True
    )
    runner.start()
    try:
        endpoints = wait_until(lambda: ready, 60, "the demo to start")[0]
        assert endpoints.vins == tuple(demo_vins(3))
        _assert_the_faulty_car_got_its_job(
            endpoints.api_url, endpoints.keys["engineer"], endpoints.vins
        )
    finally:
        stop.set()
        runner.join(30)
    assert result == [0]


def _engineer_key(lines: list[str]) -> str | None:
    for line in lines:
        if line.split()[:2] == ["key", "engineer"]:
            return line.split()[2]
    return None


def test_the_demo_command_with_its_embedded_broker(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "cli", "demo",
            "--api-port", str(port), "--data-dir", str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        key = wait_until(lambda: _engineer_key(list(lines)), 60, "the demo's banner with keys")
        wait_for_port(port, timeout=30)
        _assert_the_faulty_car_got_its_job(f"http://127.0.0.1:{port}", key, tuple(demo_vins(3)))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        reader.join(10)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "JOB #1 for PITSTOPDEMO000003" in output
    assert "pitstop demo stopped" in output
    assert "pitstop demo: data: new, in" in output
