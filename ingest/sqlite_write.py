"""A group of batches into SQLite inside the caller's transaction: samples, rollups, latest,
vehicles, one statement per table for the whole group.

Each sample is keyed ``ms * 1000 + k`` (``ingest.repeats``): two samples of a signal in one
millisecond are two rows. Rollups are merged from the batches themselves when every one of the
group's samples was new (the usual case, cheap); when some were already stored (a batch re-sent
under a new sequence number, maybe in the same group), the touched buckets are recomputed from
what is stored, so a sample is never counted twice.

Per message the cost is one ledger row and the executemany rows; per signal, one pass of C
builtins (min, max, sum) makes its minute and hour aggregate and its latest point when its
samples lie in one minute (the usual case: a batch spans seconds), ``ingest.rollup`` otherwise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from ingest import sqlite_schema as sql
from ingest.ledger import Seen, content_digest, judge
from ingest.repeats import US_PER_MS, last, ranks
from ingest.rollup import fold, merge
from pitstop.codec import TelemetryColumns

_UPSERTS = {table: sql.upsert_rollup(table) for _level, table, _w, _src in sql.ROLLUPS}
_MINUTE = sql.ROLLUPS[0]
_HOUR = sql.ROLLUPS[1]
_MINUTE_MS, _HOUR_MS = _MINUTE[2], _HOUR[2]


def write_group(
    conn: sqlite3.Connection, batches: Sequence[TelemetryColumns], received: float
) -> list[Seen]:
    """Write every batch whose (VIN, instance, seq) is not in the ledger yet; the others are
    duplicates or, with other content, conflicts, and write nothing."""
    seen: list[Seen] = []
    fresh: list[TelemetryColumns] = []
    for columns in batches:
        digest = content_digest(columns)
        name = (columns.vin, columns.instance, columns.seq)
        cur = conn.execute(sql.INSERT_BATCH, (*name, received, columns.profile, digest))
        if cur.rowcount == 0:
            seen.append(judge(conn.execute(sql.SELECT_BATCH_DIGEST, name).fetchone()[0], digest))
        else:
            seen.append(Seen.STORED)
            fresh.append(columns)
    if fresh:
        _write_samples(conn, fresh)
    return seen


class _Rows:
    """The rows of a group, per table."""

    def __init__(self) -> None:
        self.samples: list[tuple[Any, ...]] = []
        self.minutes: list[tuple[Any, ...]] = []
        self.hours: list[tuple[Any, ...]] = []
        self.latest: list[tuple[Any, ...]] = []
        self.vehicles: list[tuple[Any, ...]] = []
        self.count = 0


def _write_samples(conn: sqlite3.Connection, batches: list[TelemetryColumns]) -> None:
    rows = _Rows()
    for columns in batches:
        _add(rows, columns)
    before = conn.total_changes
    conn.executemany(sql.INSERT_SAMPLE, rows.samples)
    if conn.total_changes - before == rows.count:
        conn.executemany(_UPSERTS[_MINUTE[1]], rows.minutes)
        conn.executemany(_UPSERTS[_HOUR[1]], rows.hours)
    else:
        _rebuild_rollups(conn, rows.minutes)
    conn.executemany(sql.UPSERT_LATEST, rows.latest)
    conn.executemany(sql.UPSERT_VEHICLE, rows.vehicles)


def _add(rows: _Rows, columns: TelemetryColumns) -> None:
    """One batch's rows: samples (vin, signal, ms, k, value), minute and hour aggregates
    (vin, signal, bucket, n, lo, hi, total, last_us, last), latest and vehicle."""
    vin = columns.vin
    first = newest = None
    for name, s in columns.series.items():
        ts, values = s.ts_ms, s.values
        if not ts:
            continue
        k = ranks(ts)
        rows.samples += zip(repeat(vin), repeat(name), ts, repeat(0) if k is None else k, values)
        rows.count += len(ts)
        lo_ms, hi_ms = (ts[0], ts[0]) if len(ts) == 1 else (min(ts), max(ts))
        if k is None and ts[-1] == hi_ms:  # in time order, no repeats: the newest is last
            point = (hi_ms * US_PER_MS, values[-1])
        else:
            point = last(ts, values)
        rows.latest.append((vin, name, *point))
        if lo_ms // _MINUTE_MS == hi_ms // _MINUTE_MS:
            agg = (len(ts), min(values), max(values), sum(values), *point)
            rows.minutes.append((vin, name, lo_ms - lo_ms % _MINUTE_MS, *agg))
            rows.hours.append((vin, name, lo_ms - lo_ms % _HOUR_MS, *agg))
        else:
            minutes = fold(s, _MINUTE_MS)
            rows.minutes += ((vin, name, *agg) for agg in minutes)
            rows.hours += ((vin, name, *agg) for agg in merge(minutes, _HOUR_MS))
        first = lo_ms if first is None or lo_ms < first else first
        newest = hi_ms if newest is None or hi_ms > newest else newest
    if first is not None:
        rows.vehicles.append((vin, columns.profile, first, newest))


def _rebuild_rollups(conn: sqlite3.Connection, minutes: list[tuple[Any, ...]]) -> None:
    """Recompute every bucket the group's minute aggregates touch, from what is stored."""
    for _level, table, width, source in sql.ROLLUPS:
        time_col, scale = ("ts_us", 1000) if source == "samples" else ("bucket_ms", 1)
        where = f"WHERE vin = ? AND signal = ? AND {time_col} >= ? AND {time_col} < ?"
        statement = sql.rebuild_rollup(table, width, source, where)
        buckets = {(vin, name, bucket - bucket % width) for vin, name, bucket, *_agg in minutes}
        for vin, name, bucket in sorted(buckets):
            conn.execute(statement, (vin, name, bucket * scale, (bucket + width) * scale))
