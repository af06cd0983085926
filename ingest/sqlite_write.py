"""One batch into SQLite inside the caller's transaction: samples, rollups, latest, vehicle.

Each sample is keyed ``ms * 1000 + k`` (``ingest.repeats``): two samples of a signal in one
millisecond are two rows. Rollups are merged from the batch itself when every one of its
samples was new (the usual case, cheap); when some were already stored (a re-sent batch under
a new sequence number), the touched buckets are recomputed from what is stored, so a sample is
never counted twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import chain, repeat

from ingest import sqlite_schema as sql
from ingest.ledger import Seen, content_digest, judge
from ingest.repeats import ranks
from ingest.rollup import Agg, fold, merge, newest
from pitstop.codec import Series, TelemetryColumns

_UPSERTS = {table: sql.upsert_rollup(table) for _level, table, _w, _src in sql.ROLLUPS}
_MINUTE = sql.ROLLUPS[0]
_HOUR = sql.ROLLUPS[1]


def write_columns(conn: sqlite3.Connection, columns: TelemetryColumns, received: float) -> Seen:
    """Write one batch, unless its (VIN, instance, seq) is in the ledger already: then
    nothing is written, and it is a duplicate or, with other content, a conflict."""
    vin = columns.vin
    digest = content_digest(columns)
    name = (vin, columns.instance, columns.seq)
    cur = conn.execute(sql.INSERT_BATCH, (*name, received, columns.profile, digest))
    if cur.rowcount == 0:
        return judge(conn.execute(sql.SELECT_BATCH_DIGEST, name).fetchone()[0], digest)
    series = {name: s for name, s in columns.series.items() if s.ts_ms}
    if not series:
        return Seen.STORED
    before = conn.total_changes
    rows = chain.from_iterable(_rows(vin, name, s) for name, s in series.items())
    conn.executemany(sql.INSERT_SAMPLE, rows)
    all_new = conn.total_changes - before == sum(len(s.ts_ms) for s in series.values())
    minutes = {name: fold(s, _MINUTE[2]) for name, s in series.items()}
    if all_new:
        _merge_rollups(conn, vin, minutes)
    else:
        _rebuild_rollups(conn, vin, minutes)
    latest = [(vin, name, *point) for name, s in series.items() if (point := newest(s))]
    conn.executemany(sql.UPSERT_LATEST, latest)
    first = min(min(s.ts_ms) for s in series.values())
    last = max(max(s.ts_ms) for s in series.values())
    conn.execute(sql.UPSERT_VEHICLE, (vin, columns.profile, first, last))
    return Seen.STORED


def _rows(vin: str, name: str, s: Series) -> Iterable[tuple[str, str, int, int, float]]:
    """(vin, signal, ms, k, value) for ``INSERT_SAMPLE``."""
    k = ranks(s.ts_ms)
    return zip(repeat(vin), repeat(name), s.ts_ms, repeat(0) if k is None else k, s.values)


def _merge_rollups(conn: sqlite3.Connection, vin: str, minutes: dict[str, list[Agg]]) -> None:
    minute_rows = [(vin, name, *agg) for name, aggs in minutes.items() for agg in aggs]
    hour_rows = [
        (vin, name, *agg) for name, aggs in minutes.items() for agg in merge(aggs, _HOUR[2])
    ]
    conn.executemany(_UPSERTS[_MINUTE[1]], minute_rows)
    conn.executemany(_UPSERTS[_HOUR[1]], hour_rows)


def _rebuild_rollups(conn: sqlite3.Connection, vin: str, minutes: dict[str, list[Agg]]) -> None:
    for _level, table, width, source in sql.ROLLUPS:
        time_col, scale = ("ts_us", 1000) if source == "samples" else ("bucket_ms", 1)
        where = f"WHERE vin = ? AND signal = ? AND {time_col} >= ? AND {time_col} < ?"
        statement = sql.rebuild_rollup(table, width, source, where)
        buckets = {
            (name, agg.bucket_ms - agg.bucket_ms % width)
            for name, aggs in minutes.items()
            for agg in aggs
        }
        for name, bucket in buckets:
            conn.execute(statement, (vin, name, bucket * scale, (bucket + width) * scale))
