"""Retention on SQLite: raw samples older than the raw level keeps leave ``chunks`` and are
folded, in the same transaction, into the minute and hour rollups, which from schema 5 on are
the archive of what raw retention dropped (the readers fold chunks for everything newer); then
the rollups older than their levels keep are deleted.

A chunk cut by the cutoff keeps its newer samples (rewritten as a chunk of its own), so the
raw level keeps exactly the samples at or after the cutoff, as it did with one row per sample.
"""

from __future__ import annotations

import sqlite3

from ingest import sqlite_schema as sql
from ingest.chunks import fold, pack, unpack
from ingest.store import Retention

_DAY_S = 86_400.0
_PAGE = 1_000  # chunks folded per statement round
_UPSERTS = {table: sql.upsert_rollup(table) for _level, table, _w in sql.ROLLUPS}
_OLD_CHUNKS = (
    "SELECT c.series, s.vin, s.signal, c.first_us, c.ms, c.k, c.vals FROM chunks c "
    "JOIN series s ON s.id = c.series WHERE c.first_us < ? LIMIT ?"
)


def apply_retention(conn: sqlite3.Connection, retention: Retention, now: float) -> dict[str, int]:
    """Delete what is older than each level keeps, in one transaction; how many samples
    (raw) or rows (rollups) per level."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        deleted = {"raw": 0}
        if retention.raw_days is not None:
            deleted["raw"] = _drop_raw(conn, _cutoff_ms(now, retention.raw_days) * 1000)
        for (level, table, _width), days in zip(
            sql.ROLLUPS, (retention.minute_days, retention.hour_days), strict=True
        ):
            if days is None:
                deleted[level] = 0
                continue
            cur = conn.execute(f"DELETE FROM {table} WHERE bucket_ms < ?", (_cutoff_ms(now, days),))
            deleted[level] = cur.rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return deleted


def _cutoff_ms(now: float, days: float) -> int:
    return round((now - days * _DAY_S) * 1000)


def _drop_raw(conn: sqlite3.Connection, cutoff_us: int) -> int:
    dropped = 0
    while True:
        rows = conn.execute(_OLD_CHUNKS, (cutoff_us, _PAGE)).fetchall()
        if not rows:
            return dropped
        for sid, vin, signal, first_us, ms, k, vals in rows:
            keys, values = unpack(ms, k, vals)
            old = keys < cutoff_us
            dropped += int(old.sum())
            for _level, table, width in sql.ROLLUPS:
                aggs = fold(keys[old], values[old], 0, width)
                conn.executemany(
                    _UPSERTS[table], [(vin, signal, b * width, *a) for b, a in aggs.items()]
                )
            conn.execute("DELETE FROM chunks WHERE series = ? AND first_us = ?", (sid, first_us))
            kept = ~old
            if kept.any():
                ts = (keys[kept] // 1000).tolist()
                k_kept = (keys[kept] % 1000).tolist()
                chunks = pack(ts, values[kept].tolist(), k_kept)
                conn.executemany(sql.INSERT_CHUNK, [(sid, *c) for c in chunks])
