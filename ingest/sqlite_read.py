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

import numpy as np

from ingest import sqlite_schema as sql
from ingest.buckets import plan
from ingest.chunks import SPAN_US, Agg, Floats, Ints, fold, merge_into, unpack_many
from ingest.errors import StoreError
from ingest.repeats import US_PER_MS, ms_of
from ingest.store import Bucket, Page, Point, VehicleSummary, decode_cursor, encode_cursor
from pitstop.dtc import DtcReport, decode_dtc_report
from pitstop.errors import CodecError

Read = Callable[[str, tuple[object, ...]], list[Any]]
"""SQL and its parameters -> the rows (``SqliteStore._read``)."""

_MAX_MS = 2**53 + 1  # past every timestamp the codec allows; in µs still a 64-bit integer

_LEVELS = tuple((level, width) for level, _table, width in sql.ROLLUPS)
_SERIES = "(SELECT id FROM series WHERE vin = ? AND signal = ?)"
# the chunks that may hold keys in [start, end): params vin, signal, start - SPAN, end, start
_CHUNKS_IN = (
    f"FROM chunks WHERE series = {_SERIES} AND first_us > ? AND first_us < ? AND last_us >= ?"
)
_SELECT_CHUNKS = f"SELECT first_us, ms, k, vals {_CHUNKS_IN} ORDER BY first_us LIMIT ?"
# chunks inside [start, end) and inside one bucket, folded in SQL from their aggregates; the
# bare ``newest`` beside max(last_us) is from that row. Params: origin, width, origin, width,
# then _CHUNKS_IN's, then start, end.
_WHOLE = "(first_us / 1000 - ?) / ? = (last_us / 1000 - ?) / ? AND first_us >= ? AND last_us < ?"
_FOLD_WHOLE = (
    "SELECT (first_us / 1000 - ?) / ? AS b, sum(n), min(lo), max(hi), sum(total), "
    f"max(last_us), newest {_CHUNKS_IN} AND {_WHOLE} GROUP BY b"
)
_SELECT_CUT = f"SELECT ms, k, vals {_CHUNKS_IN} AND NOT ({_WHOLE})"
_FOLD_ARCHIVE = (
    "SELECT (bucket_ms - ?) / ? AS b, sum(n), min(lo), max(hi), sum(total), max(last_us), last "
    "FROM {table} WHERE vin = ? AND signal = ? AND bucket_ms >= ? AND bucket_ms < ? GROUP BY b"
)
_PAGE_CHUNKS = 64  # chunks read per query while a page of points fills


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
    rows = read("SELECT signal FROM series WHERE vin = ? ORDER BY signal", (vin,))
    return [r[0] for r in rows]


def latest(read: Read, vin: str) -> dict[str, Point]:
    rows = read("SELECT signal, last_us, last FROM series WHERE vin = ?", (vin,))
    return {r[0]: Point(ms_of(r[1]) / 1000, r[2]) for r in rows}


def count(read: Read, vin: str | None) -> int:
    if vin is None:
        return int(read("SELECT coalesce(sum(n), 0) FROM chunks", ())[0][0])
    where = "series IN (SELECT id FROM series WHERE vin = ?)"
    return int(read(f"SELECT coalesce(sum(n), 0) FROM chunks WHERE {where}", (vin,))[0][0])


def query(
    read: Read, vin: str, signal: str, start: float, end: float, *, limit: int
) -> list[Point]:
    keys, values = _points(read, vin, signal, _us_bound(start), _us_bound(end), limit=max(limit, 0))
    return _as_points(keys, values)


def query_page(
    read: Read, vin: str, signal: str, start: float, end: float, *, limit: int, cursor: str | None
) -> Page:
    first = decode_cursor(cursor) if cursor is not None else _us_bound(start)
    limit = max(limit, 1)
    keys, values = _points(read, vin, signal, first, _us_bound(end), limit=limit + 1)
    after = encode_cursor(int(keys[limit - 1]) + 1) if len(keys) > limit else None
    return Page(_as_points(keys[:limit], values[:limit]), after)


def _as_points(keys: Ints, values: Floats) -> list[Point]:
    seconds = (keys // US_PER_MS / 1000).tolist()
    return list(map(Point, seconds, values.tolist()))


def _points(
    read: Read, vin: str, signal: str, first: int, end: int, *, limit: int
) -> tuple[Ints, Floats]:
    """The first ``limit`` samples with ``first <= key < end``, in key order. Chunks are read
    in order of their first key, more at a time as the page goes on, until no later one can
    come before the ``limit``-th key found (chunks may interleave: late samples)."""
    parts: list[tuple[Ints, Floats]] = []
    found = 0
    after = first - SPAN_US
    size = _PAGE_CHUNKS
    while limit:
        rows = read(_SELECT_CHUNKS, (vin, signal, after, end, first, size))
        keys, values = unpack_many([row[1:] for row in rows])
        if len(keys) and (keys[0] < first or keys[-1] >= end):
            inside = (keys >= first) & (keys < end)
            keys, values = keys[inside], values[inside]
        parts.append((keys, values))
        found += len(keys)
        if len(rows) < size:
            break
        after = rows[-1][0]
        if found >= limit and _merged(parts)[0][limit - 1] <= after:
            break
        size = min(size * 4, 16_384)
    keys, values = _merged(parts)
    return keys[:limit], values[:limit]


def _merged(parts: list[tuple[Ints, Floats]]) -> tuple[Ints, Floats]:
    """The parts' samples in key order (one part, the usual page: as it is)."""
    if len(parts) == 1:
        return parts[0]
    keys, values = unpack_many([])
    if parts:
        keys = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
    if len(keys) > 1 and bool(np.any(keys[1:] < keys[:-1])):
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
    return keys, values


def downsample(
    read: Read, vin: str, signal: str, start: float, end: float, *, max_points: int
) -> list[Bucket]:
    """Buckets folded from three sources that never hold the same sample: the aggregates of
    chunks inside one bucket (in SQL), the points of the chunks cut by a bucket edge or the
    range (``chunks.fold``), and, for a rollup level, the rollup archive of what raw retention
    dropped."""
    p = plan(start, end, max_points, _LEVELS)
    lo_us, hi_us = p.origin_ms * US_PER_MS, p.end_ms * US_PER_MS
    chunked = (vin, signal, lo_us - SPAN_US, hi_us, lo_us)
    whole = (p.origin_ms, p.width_ms, p.origin_ms, p.width_ms, lo_us, hi_us)
    out: dict[int, Agg] = {}
    for b, *agg in read(_FOLD_WHOLE, (p.origin_ms, p.width_ms, *chunked, *whole)):
        merge_into(out, b, Agg(*agg))
    keys, values = unpack_many(read(_SELECT_CUT, (*chunked, *whole)))
    inside = (keys >= lo_us) & (keys < hi_us)
    for b, agg in fold(keys[inside], values[inside], p.origin_ms, p.width_ms).items():
        merge_into(out, b, agg)
    tables = {level: table for level, table, _width in sql.ROLLUPS}
    if p.level in tables:
        archive = _FOLD_ARCHIVE.format(table=tables[p.level])
        params = (p.origin_ms, p.width_ms, vin, signal, p.origin_ms, p.end_ms)
        for b, *agg in read(archive, params):
            merge_into(out, b, Agg(*agg))
    return [
        Bucket((p.origin_ms + b * p.width_ms) / 1000, a.n, a.lo, a.hi, a.total / a.n, a.last)
        for b, a in sorted(out.items())
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
