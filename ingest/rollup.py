"""Rollups: a batch's samples folded into per-minute and per-hour aggregates (pure, no I/O).

An aggregate keeps what merges exactly: count, min, max, sum, and the last value with its key
(microseconds, ``ingest.repeats``: the last of several samples in one millisecond wins). The
mean is sum / count when read. Aggregates of the same bucket merge in any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ingest.repeats import last
from pitstop.codec import Series

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


class Agg(NamedTuple):
    bucket_ms: int
    n: int
    lo: float
    hi: float
    total: float
    last_us: int
    last: float


def fold(series: Series, width_ms: int) -> list[Agg]:
    """The aggregates of one signal's samples in buckets of ``width_ms`` (epoch-aligned)."""
    ts, values = series.ts_ms, series.values
    if not ts:
        return []
    first, newest = min(ts), max(ts)
    if first // width_ms == newest // width_ms:  # the common case: one bucket, C-speed passes
        bucket = first - first % width_ms
        return [Agg(bucket, len(ts), min(values), max(values), sum(values), *last(ts, values))]
    groups: dict[int, Series] = {}
    for ms, value in zip(ts, values, strict=True):
        bucket = ms - ms % width_ms
        group = groups.get(bucket)
        if group is None:
            group = groups[bucket] = Series([], [])
        group.ts_ms.append(ms)
        group.values.append(value)
    return [fold(group, width_ms)[0] for group in groups.values()]


def merge(aggs: Iterable[Agg], width_ms: int) -> list[Agg]:
    """Finer aggregates merged into buckets of ``width_ms`` (a multiple of theirs)."""
    merged: dict[int, Agg] = {}
    for agg in aggs:
        bucket = agg.bucket_ms - agg.bucket_ms % width_ms
        kept = merged.get(bucket)
        if kept is None:
            merged[bucket] = agg._replace(bucket_ms=bucket)
            continue
        newer = agg.last_us > kept.last_us
        merged[bucket] = Agg(
            bucket,
            kept.n + agg.n,
            min(kept.lo, agg.lo),
            max(kept.hi, agg.hi),
            kept.total + agg.total,
            agg.last_us if newer else kept.last_us,
            agg.last if newer else kept.last,
        )
    return list(merged.values())


def newest(series: Series) -> tuple[int, float] | None:
    """The newest (key in microseconds, value) of a signal's samples."""
    if not series.ts_ms:
        return None
    return last(series.ts_ms, series.values)
