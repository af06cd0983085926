"""The upgrade to packed chunks (schema 4 to 5) SIGKILLed half-way leaves the schema 4 file
whole, and the next opening upgrades it with every sample."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ingest.sqlite import SqliteStore
from ingest.sqlite_schema import SCHEMA_VERSION
from pitstop.codec import Series, TelemetryColumns
from tests.ingest import legacy_v4
from tests.ingest.helpers import SIGNALS, T0, VIN

_OPEN = """
import sys
from ingest.sqlite import SqliteStore
print("opening", flush=True)
SqliteStore.open(f"sqlite:///{sys.argv[1]}").close()
print("opened", flush=True)
"""


def _batches(count: int, per_signal: int) -> list[TelemetryColumns]:
    start = round(T0 * 1000)
    return [
        TelemetryColumns(
            VIN,
            seq,
            "p",
            {
                name: Series(
                    [start + seq * 10_000 + 10 * i for i in range(per_signal)],
                    [float(seq + i + j) for i in range(per_signal)],
                )
                for j, name in enumerate(SIGNALS)
            },
        )
        for seq in range(count)
    ]


def test_a_kill_during_the_upgrade_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    legacy_v4.write_v4(path, _batches(600, 1_000))  # 1.8 million samples: a few seconds
    with sqlite3.connect(path) as conn:
        total = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    want = legacy_v4.points(path, VIN, SIGNALS[1])
    child = subprocess.Popen(
        [sys.executable, "-c", _OPEN, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "opening\n"
    time.sleep(0.5)  # inside the upgrade's transaction
    child.kill()
    child.wait()
    assert child.stdout.read() == "", "too late: the upgrade had finished before the SIGKILL"
    with sqlite3.connect(path) as conn:  # as it was: schema 4, every sample
        assert conn.execute("PRAGMA user_version").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM samples").fetchone()[0] == total
    store = SqliteStore.open(f"sqlite:///{path}")
    try:
        assert store.count(VIN) == total
        got = store.query(VIN, SIGNALS[1], 0, float("inf"), limit=10_000_000)
        assert [(p.ts, p.value) for p in got] == want
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
