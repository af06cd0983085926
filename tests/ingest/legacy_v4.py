"""Schema 4 as it was (one row per sample), for the upgrade tests and as the oracle the packed
layout is compared with: batches written the way schema 4 stored them, and its answers read
with its own SQL over ``samples``. Not the code under test: a reference kept plain."""

from __future__ import annotations

import sqlite3
from itertools import repeat
from pathlib import Path

from ingest.buckets import plan
from ingest.ledger import content_digest
from ingest.repeats import ranks
from pitstop.codec import TelemetryColumns

_ROLLUP = (
    "CREATE TABLE {t} (vin TEXT NOT NULL, signal TEXT NOT NULL, bucket_ms INTEGER NOT NULL, "
    "n INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, total REAL NOT NULL, "
    "last_us INTEGER NOT NULL, last REAL NOT NULL, PRIMARY KEY (vin, signal, bucket_ms)) "
    "WITHOUT ROWID;"
)
SCHEMA_4 = (
    "CREATE TABLE samples (vin TEXT NOT NULL, signal TEXT NOT NULL, ts_us INTEGER NOT NULL, "
    "value REAL NOT NULL, PRIMARY KEY (vin, signal, ts_us)) WITHOUT ROWID;"
    "CREATE TABLE latest (vin TEXT NOT NULL, signal TEXT NOT NULL, ts_us INTEGER NOT NULL, "
    "value REAL NOT NULL, PRIMARY KEY (vin, signal)) WITHOUT ROWID;"
    "CREATE TABLE batches (vin TEXT NOT NULL, instance TEXT NOT NULL DEFAULT '', "
    "seq INTEGER NOT NULL, received_at REAL NOT NULL, profile TEXT NOT NULL, digest TEXT, "
    "PRIMARY KEY (vin, instance, seq)) WITHOUT ROWID;"
    "CREATE TABLE vehicles (vin TEXT PRIMARY KEY, profile TEXT NOT NULL, "
    "first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;"
    + _ROLLUP.format(t="rollup_1m")
    + _ROLLUP.format(t="rollup_1h")
)
_FOLD = (
    "INSERT OR REPLACE INTO {t} SELECT vin, signal, ts_us / {w} * {ms} AS b, count(*), "
    "min(value), max(value), sum(value), max(ts_us), value FROM samples GROUP BY vin, signal, b"
)


def write_v4(path: Path, batches: list[TelemetryColumns]) -> None:
    """A schema 4 file holding ``batches`` (the ledger first: a name seen twice is skipped)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_4)
        for c in batches:
            name = (c.vin, c.instance, c.seq)
            cur = conn.execute(
                "INSERT OR IGNORE INTO batches VALUES (?,?,?,0,?,?)",
                (*name, c.profile, content_digest(c)),
            )
            if cur.rowcount == 0:
                continue
            for signal, s in c.series.items():
                k = ranks(s.ts_ms) or [0] * len(s.ts_ms)
                conn.executemany(
                    "INSERT OR IGNORE INTO samples VALUES (?,?,? * 1000 + ?,?)",
                    zip(repeat(c.vin), repeat(signal), s.ts_ms, k, s.values),
                )
            times = [ms for s in c.series.values() for ms in s.ts_ms]
            if times:
                conn.execute(
                    "INSERT INTO vehicles VALUES (?,?,?,?) ON CONFLICT (vin) DO UPDATE SET "
                    "first_seen = min(first_seen, excluded.first_seen), "
                    "last_seen = max(last_seen, excluded.last_seen), profile = excluded.profile",
                    (c.vin, c.profile, min(times), max(times)),
                )
        conn.execute(
            "INSERT INTO latest SELECT vin, signal, max(ts_us), value FROM samples "
            "GROUP BY vin, signal"
        )
        for table, width in (("rollup_1m", 60_000), ("rollup_1h", 3_600_000)):
            conn.execute(_FOLD.format(t=table, w=width * 1000, ms=width))
        conn.execute("PRAGMA user_version = 4")


def points(path: Path, vin: str, signal: str) -> list[tuple[float, float]]:
    """Every sample of a signal as schema 4 read it: (seconds, value) in key order."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT ts_us, value FROM samples WHERE vin = ? AND signal = ? ORDER BY ts_us",
            (vin, signal),
        )
        return [(us // 1000 / 1000, v) for us, v in rows]


def buckets(
    path: Path, vin: str, signal: str, start: float, end: float, *, max_points: int
) -> list[tuple[float, int, float, float, float, float]]:
    """Schema 4's buckets (start, count, min, max, mean, last) from its samples, on the plan
    the store makes (its rollups agreed with these: the tests of schema 4 checked it)."""
    p = plan(start, end, max_points, (("1m", 60_000), ("1h", 3_600_000)))
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT (ts_us / 1000 - ?) / ? AS b, count(*), min(value), max(value), sum(value), "
            "max(ts_us), value FROM samples WHERE vin = ? AND signal = ? AND ts_us >= ? "
            "AND ts_us < ? GROUP BY b ORDER BY b",
            (p.origin_ms, p.width_ms, vin, signal, p.origin_ms * 1000, p.end_ms * 1000),
        ).fetchall()
    return [
        ((p.origin_ms + b * p.width_ms) / 1000, n, lo, hi, total / n, last)
        for b, n, lo, hi, total, _last_us, last in rows
    ]
