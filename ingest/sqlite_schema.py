"""The SQLite telemetry schema, the statements that keep it, and ``migrate`` (the only I/O).

``samples`` holds the raw values; ``rollup_1m`` and ``rollup_1h`` hold per-minute and per-hour
aggregates (count ``n``, ``lo``, ``hi``, ``total``, and the ``last`` value at ``last_ms``),
updated in the same transaction as the samples they fold. Schema version 2 added the rollups;
opening a version-1 file builds them once from its samples. ``dtc_reports`` is the trouble-code
history: one row per report, keyed (vin, ts_ms, source; ``''`` for every source), holding the
report's JSON wire form (``pitstop.dtc``); created on open in any older file.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 2

_ROLLUP_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    bucket_ms INTEGER NOT NULL,
    n INTEGER NOT NULL,
    lo REAL NOT NULL,
    hi REAL NOT NULL,
    total REAL NOT NULL,
    last_ms INTEGER NOT NULL,
    last REAL NOT NULL,
    PRIMARY KEY (vin, signal, bucket_ms)
) WITHOUT ROWID;
"""

SCHEMA = (
    """
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
CREATE TABLE IF NOT EXISTS dtc_reports (
    vin TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    seq INTEGER,
    received_at REAL NOT NULL,
    report BLOB NOT NULL,
    PRIMARY KEY (vin, ts_ms, source)
) WITHOUT ROWID;
"""
    + _ROLLUP_TABLE.format(table="rollup_1m")
    + _ROLLUP_TABLE.format(table="rollup_1h")
)

# (level name, table, bucket width in ms, the table it is rebuilt from)
ROLLUPS = (("1m", "rollup_1m", 60_000, "samples"), ("1h", "rollup_1h", 3_600_000, "rollup_1m"))

INSERT_BATCH = "INSERT OR IGNORE INTO batches (vin, seq, received_at, profile) VALUES (?,?,?,?)"
INSERT_DTC = (
    "INSERT OR IGNORE INTO dtc_reports (vin, ts_ms, source, seq, received_at, report) "
    "VALUES (?,?,?,?,?,?)"
)
SELECT_DTC = (
    "SELECT report FROM dtc_reports WHERE vin = ? AND ts_ms >= ? AND ts_ms < ? "
    "ORDER BY ts_ms, source LIMIT ?"
)
INSERT_SAMPLE = "INSERT OR IGNORE INTO samples (vin, signal, ts_ms, value) VALUES (?,?,?,?)"
UPSERT_LATEST = (
    "INSERT INTO latest (vin, signal, ts_ms, value) VALUES (?,?,?,?) "
    "ON CONFLICT (vin, signal) DO UPDATE SET ts_ms = excluded.ts_ms, value = excluded.value "
    "WHERE excluded.ts_ms > latest.ts_ms"
)
UPSERT_VEHICLE = (
    "INSERT INTO vehicles (vin, profile, first_seen, last_seen) VALUES (?,?,?,?) "
    "ON CONFLICT (vin) DO UPDATE SET "
    "profile = CASE WHEN excluded.last_seen >= vehicles.last_seen "
    "THEN excluded.profile ELSE vehicles.profile END, "
    "first_seen = min(vehicles.first_seen, excluded.first_seen), "
    "last_seen = max(vehicles.last_seen, excluded.last_seen)"
)


def upsert_rollup(table: str) -> str:
    """Merge one aggregate row (vin, signal, bucket_ms, n, lo, hi, total, last_ms, last)."""
    return (
        f"INSERT INTO {table} VALUES (?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (vin, signal, bucket_ms) DO UPDATE SET "
        "n = n + excluded.n, lo = min(lo, excluded.lo), hi = max(hi, excluded.hi), "
        "total = total + excluded.total, "
        "last = CASE WHEN excluded.last_ms > last_ms THEN excluded.last ELSE last END, "
        "last_ms = max(last_ms, excluded.last_ms)"
    )


def rebuild_rollup(table: str, width_ms: int, source: str, where: str = "") -> str:
    """Recompute aggregates of ``table`` from ``source`` (exact; SQLite's bare column with
    max() takes ``last`` from the newest row)."""
    if source == "samples":
        cols = "count(*), min(value), max(value), sum(value), max(ts_ms), value"
        time = "ts_ms"
    else:
        cols = "sum(n), min(lo), max(hi), sum(total), max(last_ms), last"
        time = "bucket_ms"
    return (
        f"INSERT OR REPLACE INTO {table} SELECT vin, signal, "
        f"{time} - {time} % {width_ms} AS b, {cols} FROM {source} {where} "
        "GROUP BY vin, signal, b"
    )


def migrate(conn: sqlite3.Connection) -> None:
    """Create the schema; a version-1 file gets its rollups built once from its samples."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.executescript(SCHEMA)
    if version >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    for _level, table, width_ms, source in ROLLUPS:
        conn.execute(rebuild_rollup(table, width_ms, source))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")
