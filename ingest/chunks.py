"""Packed chunks: how SQLite holds samples, one row per (series, batch), pure (no I/O).

A chunk is one signal's samples of one batch, in key order (``ingest.repeats``: key
``ms * 1000 + k``), its times and values packed as arrays (``ms`` int64, ``vals`` float64, ``k``
int64 or NULL when no two samples share a millisecond, nearly always), with the aggregates a
bucket wider than the chunk is read from: first and last key, count, min, max, sum and the
newest value. Storing a batch is then one row per signal instead of one per sample, built by
C-speed passes (``array``, ``min``, ``max``, ``sum``) rather than Python work per sample.

A chunk spans less than ``SPAN_US`` (a batch spanning an hour or more is cut at the hours), so
the chunks that may hold a key are found by a bounded range of ``first_us``.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from itertools import groupby
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ingest.repeats import US_PER_MS, ranks

HOUR_MS = 3_600_000
SPAN_US = HOUR_MS * US_PER_MS  # a chunk's last key - first key is less than this
_PAIR = struct.Struct("=qd")  # native order, as ``array`` packs
_INT = struct.Struct("=q")


class Chunk(NamedTuple):
    """A row of ``chunks`` without its series id."""

    first_us: int
    last_us: int
    n: int
    lo: float
    hi: float
    total: float
    newest: float
    ms: bytes
    k: bytes | None
    vals: bytes


def pack(
    ts: list[int],
    values: Sequence[float],
    k: list[int] | None = None,
    *,
    increasing: bool = False,
) -> list[Chunk]:
    """One signal's samples as chunks; ``k`` their ranks (``ranks(ts)`` when not given);
    ``increasing``: the times are known to be strictly increasing (``Series.increasing``)."""
    if not ts:
        return []
    if len(ts) == 1:  # a 1 Hz signal in a 1 s batch: the same row without the passes
        key, value = ts[0] * US_PER_MS + (k[0] if k else 0), values[0]
        pair = _PAIR.pack(ts[0], value)
        rank = None if not k or not k[0] else _INT.pack(k[0])
        return [Chunk(key, key, 1, value, value, value, value, pair[:8], rank, pair[8:])]
    if increasing:
        k = None
    elif k is None:
        k = ranks(ts)
    if not increasing and ts != sorted(ts):  # rare: sorted by time, stable (ranks kept)
        order = sorted(range(len(ts)), key=ts.__getitem__)
        ts, values = [ts[i] for i in order], [values[i] for i in order]
        k = None if k is None else [k[i] for i in order]
    if ts[-1] - ts[0] < HOUR_MS:
        return [_one(ts, values, k)]
    out = []
    at = 0
    for _hour, group in groupby(ts, lambda ms: ms // HOUR_MS):
        size = len(list(group))
        part = slice(at, at + size)
        out.append(_one(ts[part], values[part], None if k is None else k[part]))
        at += size
    return out


def _one(ts: list[int], values: Sequence[float], k: list[int] | None) -> Chunk:
    first_k, last_k = (0, 0) if k is None else (k[0], k[-1])
    return Chunk(
        ts[0] * US_PER_MS + first_k,
        ts[-1] * US_PER_MS + last_k,
        len(ts),
        min(values),
        max(values),
        sum(values),
        values[-1],
        array("q", ts).tobytes(),
        None if k is None or not any(k) else array("q", k).tobytes(),
        array("d", values).tobytes(),
    )


Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def unpack(ms: bytes, k: bytes | None, vals: bytes) -> tuple[Ints, Floats]:
    """A chunk's keys (µs) and values."""
    keys = np.frombuffer(ms, dtype=np.int64) * US_PER_MS
    if k is not None:
        keys = keys + np.frombuffer(k, dtype=np.int64)
    return keys, np.frombuffer(vals, dtype=np.float64)


def unpack_many(rows: Sequence[tuple[bytes, bytes | None, bytes]]) -> tuple[Ints, Floats]:
    """Several chunks' samples, in key order (chunks may interleave: late samples); their
    arrays joined first, so the cost is per byte, not per chunk."""
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    keys = np.frombuffer(b"".join(r[0] for r in rows), dtype=np.int64) * US_PER_MS
    values = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float64)
    if any(r[1] is not None for r in rows):
        ranks = [r[1] if r[1] is not None else bytes(len(r[0])) for r in rows]
        keys = keys + np.frombuffer(b"".join(ranks), dtype=np.int64)
    if len(keys) > 1 and bool(np.any(keys[1:] < keys[:-1])):
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
    return keys, values


class Agg(NamedTuple):
    """What a bucket keeps while it is built: count, min, max, sum, newest key and value."""

    n: int
    lo: float
    hi: float
    total: float
    last_us: int
    last: float


def fold(keys: Ints, values: Floats, origin_ms: int, width_ms: int) -> dict[int, Agg]:
    """Samples (in key order) in buckets of ``width_ms`` from ``origin_ms``: bucket -> Agg."""
    if len(keys) == 0:
        return {}
    buckets = (keys // US_PER_MS - origin_ms) // width_ms
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(keys)] - 1
    counts = np.diff(np.r_[starts, len(keys)])
    lo = np.minimum.reduceat(values, starts)
    hi = np.maximum.reduceat(values, starts)
    total = np.add.reduceat(values, starts)
    return {
        int(b): Agg(int(n), float(a), float(z), float(t), int(lk), float(lv))
        for b, n, a, z, t, lk, lv in zip(
            buckets[starts], counts, lo, hi, total, keys[ends], values[ends], strict=True
        )
    }


def merge_into(into: dict[int, Agg], bucket: int, agg: Agg) -> None:
    """Add an aggregate of ``bucket`` to what ``into`` holds (in any order, exactly)."""
    kept = into.get(bucket)
    if kept is None:
        into[bucket] = agg
        return
    newer = agg.last_us > kept.last_us
    into[bucket] = Agg(
        kept.n + agg.n,
        min(kept.lo, agg.lo),
        max(kept.hi, agg.hi),
        kept.total + agg.total,
        agg.last_us if newer else kept.last_us,
        agg.last if newer else kept.last,
    )
