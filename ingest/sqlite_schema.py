"""The SQLite telemetry schema and the rows one batch turns into (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from pitstop.codec import TelemetryBatch

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    vin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_at REAL NOT NULL,
    profile TEXT NOT NULL,
    PRIMARY KEY (vin, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (vin, signal, ts_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (vin, signal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vehicles (
    vin TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    topic TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
);
PRAGMA user_version = 1;
"""

Row = tuple[str, str, int, float]


@dataclass(frozen=True, slots=True)
class BatchRows:
    samples: list[Row]  # (vin, signal, ts_ms, value)
    latest: list[Row]  # the newest sample of each signal in the batch
    first_ms: int
    last_ms: int


def batch_rows(batch: TelemetryBatch) -> BatchRows:
    """The sample rows of a batch, the newest row of each signal, and its time span."""
    vin = batch.vin
    samples = [(vin, s.signal, round(s.ts * 1000), s.value) for s in batch.samples]
    newest: dict[str, Row] = {}
    for row in samples:
        kept = newest.get(row[1])
        if kept is None or row[2] > kept[2]:
            newest[row[1]] = row
    times = [row[2] for row in samples]
    return BatchRows(
        samples=samples,
        latest=list(newest.values()),
        first_ms=min(times, default=0),
        last_ms=max(times, default=0),
    )
