"""Ingest throughput: MQTT (a local Mosquitto) -> one ingest -> committed storage.

    .venv/bin/python -m bench.ingest

Runs twice, into SQLite and into an InfluxDB 1.6 server the benchmark starts, each beside the
raw write rate of the same store in the same run (SQLite: idempotent INSERT OR IGNORE of the
same rows, executemany, no rollups; InfluxDB: the same line protocol POSTed straight to
/write). Goals: >= 150,000 samples/s into SQLite, >= 250,000 field values/s into InfluxDB.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import httpx

from bench.report import emit
from ingest import influx_proto
from ingest.consumer import IngestConfig, run_ingest
from ingest.open import open_store
from ingest.store import TelemetryStore
from pitstop.codec import Sample, TelemetryBatch, TelemetryColumns, encode_telemetry
from tests.ingest.helpers import connected_client, create_session
from tests.ingest.servers_influx import InfluxDB1
from tests.servers import Mosquitto

VINS = [f"PITSTOPBENCH{i:05d}" for i in range(20)]
SIGNALS = [f"Vehicle.Bench.Signal{i}" for i in range(10)]
BATCHES = 1200  # x 500 samples = 600,000 samples
PER_SIGNAL = 50  # 5 s at 10 Hz per signal, the signals of a frame sharing timestamps


def make_batches(now: float) -> list[TelemetryBatch]:
    rng = random.Random(5)
    out = []
    for i in range(BATCHES):
        vin, seq = VINS[i % len(VINS)], i // len(VINS)
        t0 = now - 3600 + seq * 5
        samples = tuple(
            Sample(name, t0 + k * 0.1, round(rng.uniform(0, 100), 2))
            for name in SIGNALS
            for k in range(PER_SIGNAL)
        )
        out.append(TelemetryBatch(vin, seq, "benchprofile", samples))
    return out


class _Counting:
    """The store with a tally of newly stored samples (polling count() would compete)."""

    def __init__(self, store: TelemetryStore, total: int) -> None:
        self.store, self.total, self.stored = store, total, 0
        self.done = threading.Event()

    def write_batches(self, batches: Sequence[TelemetryColumns]) -> list[bool]:
        flags = self.store.write_batches(batches)
        self.stored += sum(b.sample_count for b, new in zip(batches, flags, strict=True) if new)
        if self.stored >= self.total:
            self.done.set()
        return flags

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def end_to_end(
    broker: Mosquitto, store: TelemetryStore, payloads: list[tuple[str, bytes]]
) -> float:
    """Queue everything at the broker, then time one ingest draining it into ``store``."""
    client_id = f"bench-ingest-{time.monotonic_ns()}"
    create_session(broker.url, client_id)
    car = connected_client(broker.url, f"bench-car-{time.monotonic_ns()}")
    infos = [car.publish(topic, payload, qos=1) for topic, payload in payloads]
    for info in infos:
        info.wait_for_publish(60)
    car.disconnect()
    car.loop_stop()
    stop, ready = threading.Event(), threading.Event()
    config = IngestConfig(broker_url=broker.url, client_id=client_id, report_interval_s=3600)
    total = BATCHES * len(SIGNALS) * PER_SIGNAL
    counting = _Counting(store, total)
    thread = threading.Thread(target=run_ingest, args=(config, counting, stop, ready))
    started = time.perf_counter()
    thread.start()
    counting.done.wait(300)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(30)
    if store.count() != total:
        raise SystemExit(f"only {store.count()} of {total} samples stored")
    return total / elapsed


def sqlite_raw(path: Path, columns: list[TelemetryColumns]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE samples (vin TEXT NOT NULL, signal TEXT NOT NULL, ts_ms INTEGER NOT NULL, "
        "value REAL NOT NULL, PRIMARY KEY (vin, signal, ts_ms)) WITHOUT ROWID"
    )
    started = time.perf_counter()
    rows = 0
    for i in range(0, len(columns), 200):
        conn.execute("BEGIN")
        for c in columns[i : i + 200]:
            conn.executemany(
                "INSERT OR IGNORE INTO samples VALUES (?,?,?,?)",
                chain.from_iterable(
                    zip(repeat(c.vin), repeat(n), s.ts_ms, s.values) for n, s in c.series.items()
                ),
            )
            rows += c.sample_count
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


def influx_raw(server: InfluxDB1, columns: list[TelemetryColumns]) -> float:
    server.create_database("raw")
    bodies = []
    for i in range(0, len(columns), 200):
        lines: list[str] = []
        for c in columns[i : i + 200]:
            lines += influx_proto.telemetry_lines(f"telemetry,vin={c.vin}", c)
        bodies.append("\n".join(lines).encode())
    started = time.perf_counter()
    with httpx.Client(base_url=server.http, timeout=60) as http:
        for body in bodies:
            http.post(
                "/write",
                params={"db": "raw", "precision": influx_proto.TELEMETRY_PRECISION},
                content=body,
            ).raise_for_status()
    return sum(c.sample_count for c in columns) / (time.perf_counter() - started)


def main() -> None:
    batches = make_batches(time.time())
    payloads = [(f"pitstop/v1/{b.vin}/telemetry", encode_telemetry(b)) for b in batches]
    columns = [TelemetryColumns.from_batch(b) for b in batches]
    print(
        f"{len(batches)} batches, {len(batches) * len(SIGNALS) * PER_SIGNAL:,} samples", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "mosquitto")
        influxd = InfluxDB1(work / "influxd")
        broker.start()
        influxd.start()
        try:
            figures = measure(work, broker, influxd, payloads, columns)
        finally:
            broker.kill()
            influxd.kill()
    emit(
        "ingest: MQTT -> one ingest process -> committed storage",
        figures,
        {
            "sqlite_samples_per_s": "goal >= 150,000",
            "influx_fields_per_s": "goal >= 250,000",
        },
    )


def measure(
    work: Path,
    broker: Mosquitto,
    influxd: InfluxDB1,
    payloads: list[tuple[str, bytes]],
    columns: list[TelemetryColumns],
) -> dict[str, float]:
    print("raw SQLite ...", flush=True)
    sqlite_raw_rate = sqlite_raw(work / "raw.db", columns)
    print("MQTT -> ingest -> SQLite ...", flush=True)
    sqlite_store = open_store(f"sqlite:///{work / 'telemetry.db'}")
    try:
        sqlite_rate = end_to_end(broker, sqlite_store, payloads)
    finally:
        sqlite_store.close()
    print("raw InfluxDB ...", flush=True)
    influx_raw_rate = influx_raw(influxd, columns)
    print("MQTT -> ingest -> InfluxDB ...", flush=True)
    influx_store = open_store(influxd.url("pitstop"))
    try:
        influx_rate = end_to_end(broker, influx_store, payloads)
    finally:
        influx_store.close()
    return {
        "sqlite_samples_per_s": round(sqlite_rate),
        "sqlite_raw_rows_per_s": round(sqlite_raw_rate),
        "sqlite_ratio": round(sqlite_rate / sqlite_raw_rate, 3),
        "influx_fields_per_s": round(influx_rate),
        "influx_raw_fields_per_s": round(influx_raw_rate),
        "influx_ratio": round(influx_rate / influx_raw_rate, 3),
    }


if __name__ == "__main__":
    main()
