"""Finding 1 refuted end to end: car A, connected with its own certificate to the production
broker, sends a telemetry batch and a trouble-code report that name car B. Real ``pitstop
ingest`` and ``pitstop rules run`` processes (with their own service certificates) store
neither, keep both as dead letters (``vin_mismatch``) and open no job for B; the same messages
naming A itself open A's job, so the loop was live all along."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol, encode_dtc_report
from tests.conftest import REPO
from tests.security.conftest import VIN_A, VIN_B, Broker
from tests.security.peers import Peer, tls_address
from tests.waiting import wait_until

LV = "Vehicle.LowVoltageBattery.CurrentVoltage"
HV_ISOLATION = Dtc("P0AA6", Protocol.UDS, 0x7E3, frozenset({DtcStatus.CONFIRMED}))


def _service_url(broker: Broker, name: str) -> str:
    pki = broker.pki
    return (
        f"mqtts://127.0.0.1:{broker.services}?ca={pki / 'ca.crt'}"
        f"&cert={pki / 'clients' / f'pitstop-{name}.crt'}"
        f"&key={pki / 'clients' / f'pitstop-{name}.key'}"
    )


@pytest.fixture
def cloud(broker: Broker, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``pitstop ingest`` and ``pitstop rules run`` on the production broker; their stores."""
    telemetry, jobs = tmp_path / "telemetry.db", tmp_path / "jobs.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PITSTOP_DATA_DIR": str(tmp_path)}
    commands = [
        ["ingest", "--broker", _service_url(broker, "ingest"), "--store", f"sqlite:///{telemetry}",
         "--no-presence"],
        ["rules", "run", "--broker", _service_url(broker, "rules"), "--jobs", f"sqlite:///{jobs}",
         "--seed-demo-workshops"],
    ]  # fmt: skip
    logs = [tmp_path / "ingest.log", tmp_path / "rules.log"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", *command],
            cwd=REPO,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for command, log in zip(commands, logs, strict=True)
    ]
    try:
        for log in logs:

            def started(log: Path = log) -> bool:
                return "pitstop" in log.read_text()

            wait_until(started, 30, f"{log.name} started")
        time.sleep(1.0)  # both subscribed (their banners come just before)
        yield telemetry, jobs
    finally:
        for process in processes:
            process.terminate()
        for process, log in zip(processes, logs, strict=True):
            assert process.wait(30) == 0, log.read_text()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def _messages(named: str, seq: int) -> tuple[bytes, bytes]:
    now = time.time()
    samples = tuple(Sample(LV, now - 30 + i, 11.2) for i in range(31))
    batch = encode_telemetry(TelemetryBatch(named, seq, "demo_ev", samples))
    report = encode_dtc_report(DtcReport(named, now, (HV_ISOLATION,), seq=seq + 1))
    return batch, report


def test_a_car_naming_another_car_opens_no_job_for_it(
    broker: Broker, cloud: tuple[Path, Path]
) -> None:
    telemetry, jobs = cloud
    car = Peer(tls_address(broker.cars, broker.pki, VIN_A), f"pitstop-gw-{VIN_A}")
    with car:
        assert car.wait_connected()
        forged_batch, forged_report = _messages(VIN_B, seq=1)
        car.publish(f"pitstop/v1/{VIN_A}/telemetry", forged_batch)
        car.publish(f"pitstop/v1/{VIN_A}/dtc", forged_report)
        own_batch, own_report = _messages(VIN_A, seq=10)
        car.publish(f"pitstop/v1/{VIN_A}/telemetry", own_batch)
        car.publish(f"pitstop/v1/{VIN_A}/dtc", own_report)

        def opened() -> list[tuple[object, ...]]:
            return (
                _rows(jobs, "SELECT vin, rule_id FROM jobs ORDER BY rule_id")
                if jobs.exists()
                else []
            )

        wait_until(lambda: len(opened()) >= 2, 60, "car A's own two jobs")
    assert opened() == [(VIN_A, "hv-isolation-fault"), (VIN_A, "lv-battery-low")]
    letters = _rows(telemetry, "SELECT vin, code FROM dead_letters ORDER BY id")
    assert letters == [(VIN_A, "vin_mismatch"), (VIN_A, "vin_mismatch")]
    assert _rows(telemetry, f"SELECT COUNT(*) FROM series WHERE vin = '{VIN_B}'") == [(0,)]
