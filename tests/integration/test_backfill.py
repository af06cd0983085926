"""Backfill: a real log recorded years ago, replayed while ingest is SIGKILLed in the middle.

The real truck log (150,411 frames, November 2023) goes through the gateway as a process, a real
Mosquitto and ``pitstop ingest`` as a process. Ingest is killed with SIGKILL once part of the
log is stored and started again; the gateway sends again what was not answered. In the end every
sample the gateway spooled is stored exactly once, as history, and the gateway exits 0.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import dbc
from ingest.sqlite import SqliteStore
from tests.conftest import REPO
from tests.gateway.procs import start_gateway
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

VIN = "WPITSTOPBACKFILL1"


def _ingest(broker: Mosquitto, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "-v", "ingest", "--broker", broker.url,
             "--store", f"sqlite:///{db}", "--client-id", "backfill-ingest"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        return store.count(VIN)
    finally:
        store.close()


def test_a_years_old_log_survives_ingest_killed_mid_backfill(
    tmp_path: Path, mosquitto: Mosquitto, shared_data: Path
) -> None:
    db, log = tmp_path / "telemetry.db", tmp_path / "ingest.log"
    truck = shared_data / "logs" / "css" / "j1939_truck.log"
    args = [
        *("--vin", VIN, "--profile", str(dbc.DIR / "j1939_truck.yaml")),
        *("--dbc-dir", str(shared_data / "dbc" / "css"), "--broker", mosquitto.url),
        *("--spool", str(tmp_path / "spool.db"), "--ack-timeout", "1", "--batch-interval", "0.2"),
    ]
    processes: list[subprocess.Popen[Any]] = [_ingest(mosquitto, db, log)]
    try:
        wait_until(lambda: "subscribed" in log.read_text(errors="replace"), 20, "ingest subscribed")
        gateway = start_gateway([*args, "replay", str(truck), "--speed", "40"], tmp_path)
        processes.append(gateway)
        wait_until(lambda: _count(db) > 500, 60, "part of the log stored")
        processes[0].kill()  # SIGKILL in the middle of the backfill
        processes[0].wait(10)
        killed_at = _count(db)
        processes.append(_ingest(mosquitto, db, log))
        output, _ = gateway.communicate(timeout=120)
    finally:
        for process in processes:
            process.kill()
            process.wait(20)
    assert gateway.returncode == 0, output
    spooled = int(re.findall(r"\((\d+) samples\) spooled", output)[-1])
    assert spooled == 7986  # every mapped sample of the log (EEC1, CCVS1)
    assert 0 < killed_at < spooled
    assert _count(db) == spooled  # nothing lost, nothing doubled
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        (summary,) = [v for v in store.vehicles() if v.vin == VIN]
        assert summary.last_seen < time.time() - 365 * 86400  # the log's own time (2023)
    finally:
        store.close()
    assert "history" in log.read_text(errors="replace")
