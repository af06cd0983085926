"""The telemetry store's read queries on SQLite: samples, pages, buckets, latest values, DTCs.

Each function takes ``read`` (``SqliteStore._read``: SQL and parameters -> rows, on the calling
thread's connection, ``StoreError`` for a failure) and turns the rows into the values of
``ingest.store``. Samples are keyed in µs (``ms * 1000 + k``, see ``ingest.sqlite``); a bound in
seconds is rounded up to its whole millisecond, so ``ts >= start`` holds in ms too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ingest import sqlite_schema as sql
from ingest.buckets import plan
from ingest.errors import StoreError
from ingest.repeats import US_PER_MS, ms_of
from ingest.store import Bucket, Page, Point, VehicleSummary, decode_cursor, encode_cursor
from pitstop.dtc import DtcReport, decode_dtc_report
from pitstop.errors import CodecError

Read = Callable[[str, tuple[object, ...]], list[Any]]
"""SQL and its parameters -> the rows (``SqliteStore._read``)."""

_MAX_MS = 2**53 + 1  # past every timestamp the codec allows; in µs still a 64-bit integer

_LEVELS = tuple((level, width) for level, _table, width, _source in sql.ROLLUPS)
_RAW_COLS = "count(*), min(value), max(value), sum(value), max(ts_us), value"
_ROLLUP_COLS = "sum(n), min(lo), max(hi), sum(total), max(last_us), last"
# bucket number, n, lo, hi, total, last_us, last; a bare column beside max() is from its row.
# Parameters: origin_ms, width_ms, vin, signal, start, end (µs for raw, ms for the rollups).
_DOWNSAMPLE = {
    level: f"SELECT ({ms} - ?) / ? AS b, {cols} FROM {table} WHERE vin = ? AND signal = ? "
    f"AND {t} >= ? AND {t} < ? GROUP BY b ORDER BY b"
    for level, table, t, ms, cols in [
        ("raw", "samples", "ts_us", "ts_us / 1000", _RAW_COLS),
        ("1m", "rollup_1m", "bucket_ms", "bucket_ms", _ROLLUP_COLS),
        ("1h", "rollup_1h", "bucket_ms", "bucket_ms", _ROLLUP_COLS),
    ]
}
_SELECT_RAW = (
    "SELECT ts_us, value FROM samples WHERE vin = ? AND signal = ? "
    "AND ts_us >= ? AND ts_us < ? ORDER BY ts_us LIMIT ?"
)


def dtc_history(read: Read, vin: str, start: float, end: float, limit: int) -> list[DtcReport]:
    rows = read(sql.SELECT_DTC, (vin, _ms_bound(start), _ms_bound(end), max(limit, 0)))
    try:
        return [decode_dtc_report(bytes(r[0])) for r in rows]
    except CodecError as err:
        raise StoreError(f"a stored DTC report does not decode: {err}") from err


def vehicles(read: Read) -> list[VehicleSummary]:
    select = "SELECT vin, profile, first_seen, last_seen FROM vehicles ORDER BY vin"
    return [VehicleSummary(r[0], r[1], r[2] / 1000, r[3] / 1000) for r in read(select, ())]


def signals(read: Read, vin: str) -> list[str]:
    rows = read("SELECT signal FROM latest WHERE vin = ? ORDER BY signal", (vin,))
    return [r[0] for r in rows]


def latest(read: Read, vin: str) -> dict[str, Point]:
    rows = read("SELECT signal, ts_us, value FROM latest WHERE vin = ?", (vin,))
    return {r[0]: Point(ms_of(r[1]) / 1000, r[2]) for r in rows}


def query(
    read: Read, vin: str, signal: str, start: float, end: float, *, limit: int
) -> list[Point]:
    params = (vin, signal, _us_bound(start), _us_bound(end), max(limit, 0))
    return [Point(ms_of(r[0]) / 1000, r[1]) for r in read(_SELECT_RAW, params)]


def query_page(
    read: Read, vin: str, signal: str, start: float, end: float, *, limit: int, cursor: str | None
) -> Page:
    first = decode_cursor(cursor) if cursor is not None else _us_bound(start)
    limit = max(limit, 1)
    rows = read(_SELECT_RAW, (vin, signal, first, _us_bound(end), limit + 1))
    after = encode_cursor(rows[limit - 1][0] + 1) if len(rows) > limit else None
    return Page([Point(ms_of(r[0]) / 1000, r[1]) for r in rows[:limit]], after)


def downsample(
    read: Read, vin: str, signal: str, start: float, end: float, *, max_points: int
) -> list[Bucket]:
    p = plan(start, end, max_points, _LEVELS)
    scale = 1000 if p.level == "raw" else 1
    bounds = (p.origin_ms * scale, p.end_ms * scale)
    rows = read(_DOWNSAMPLE[p.level], (p.origin_ms, p.width_ms, vin, signal, *bounds))
    return [
        Bucket((p.origin_ms + b * p.width_ms) / 1000, n, lo, hi, total / n, last)
        for b, n, lo, hi, total, _last_us, last in rows
    ]


def _us_bound(seconds: float) -> int:
    """The key of the first sample at or after ``seconds``: its whole millisecond, in µs."""
    return _ms_bound(seconds) * US_PER_MS


def _ms_bound(seconds: float) -> int:
    """The smallest whole millisecond >= ``seconds`` (so ``ts >= start`` holds in ms too)."""
    if math.isnan(seconds):
        raise StoreError("query bound is NaN")
    if math.isinf(seconds):
        return _MAX_MS if seconds > 0 else -_MAX_MS
    ms = seconds * 1000
    nearest = round(ms)
    whole = nearest if abs(ms - nearest) < 1e-6 else math.ceil(ms)
    return max(-_MAX_MS, min(_MAX_MS, whole))
