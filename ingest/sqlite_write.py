"""A group of batches into SQLite inside the caller's transaction: one packed chunk per signal
per batch (``ingest.chunks``), the series' latest point, the vehicles, one statement per table
for the whole group.

No sample is stored twice under its key (``ingest.repeats``). The series' newest key tells
whether a chunk can meet stored samples at all: when its first key is newer (the usual case,
live data in order) it is written as it is; otherwise (a batch re-sent under a new sequence
number, late history) the stored keys of the chunks it overlaps are read and only the samples
not stored yet are written.

Per message the cost is one ledger row, one ``series`` lookup of its VIN and one row per
signal; per signal a few C-speed passes (``chunks.pack``). No rollups are kept on write: the
readers fold chunk aggregates (``ingest.sqlite_read``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from ingest import sqlite_schema as sql
from ingest.chunks import SPAN_US, Chunk, pack, unpack_many
from ingest.ledger import Seen, content_digest, judge
from ingest.repeats import US_PER_MS, ranks
from pitstop.codec import TelemetryColumns


class Known:
    """What the writer knows of each series, across transactions: vin -> signal -> [id,
    newest key]. Valid while no other connection has committed (``PRAGMA data_version``,
    checked by ``check`` inside each write transaction) and dropped on a rollback."""

    def __init__(self) -> None:
        self.series: dict[str, dict[str, list[Any]]] = {}
        self._version: int | None = None

    def check(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self.series.clear()
            self._version = version

    def forget(self) -> None:
        self.series.clear()
        self._version = None


def write_group(
    conn: sqlite3.Connection,
    batches: Sequence[TelemetryColumns],
    received: float,
    known: Known | None = None,
) -> list[Seen]:
    """Write every batch whose (VIN, instance, seq) is not in the ledger yet; the others are
    duplicates or, with other content, conflicts, and write nothing. ``known`` (checked
    here) spares a ``series`` lookup per VIN; the caller forgets it if the transaction is
    rolled back."""
    if known is None:
        known = Known()
    known.check(conn)
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
        _Group(conn, known.series).write(fresh)
    return seen


class _Group:
    """The rows of a group, and what it knows of each series (id, newest key, value)."""

    def __init__(self, conn: sqlite3.Connection, series: dict[str, dict[str, list[Any]]]) -> None:
        self.conn = conn
        self.chunks: list[tuple[Any, ...]] = []
        self.series = series  # vin -> signal -> [id, newest key]
        self.newer: dict[int, tuple[int, float, int]] = {}  # series id -> (key, value, id)
        self.vehicles: list[tuple[Any, ...]] = []
        self.new: list[tuple[Any, ...]] = []  # series met for the first time
        self.next_id: int | None = None

    def _new_id(self) -> int:
        """The next series id (inside the write transaction: no other writer meanwhile)."""
        if self.next_id is None:
            self.next_id = self.conn.execute(sql.NEXT_SERIES_ID).fetchone()[0]
        self.next_id += 1
        return self.next_id - 1

    def write(self, batches: list[TelemetryColumns]) -> None:
        for columns in batches:
            self._add(columns)
        self.conn.executemany(sql.INSERT_SERIES, self.new)
        self.conn.executemany(sql.INSERT_CHUNK, self.chunks)
        self.conn.executemany(sql.UPDATE_LATEST, self.newer.values())
        self.conn.executemany(sql.UPSERT_VEHICLE, self.vehicles)

    def _known(self, vin: str) -> dict[str, list[Any]]:
        known = self.series.get(vin)
        if known is None:
            rows = self.conn.execute(sql.SELECT_SERIES, (vin,))
            known = self.series[vin] = {r[0]: [r[1], r[2]] for r in rows}
        return known

    def _add(self, columns: TelemetryColumns) -> None:
        vin = columns.vin
        known = self._known(vin)
        for name, s in columns.series.items():
            if not s.ts_ms:
                continue
            chunks = pack(s.ts_ms, s.values, increasing=s.increasing)
            info = known.get(name)
            if info is None:
                sid = self._new_id()
                self.new.append((sid, vin, name, chunks[-1].last_us, chunks[-1].newest))
                info = known[name] = [sid, chunks[-1].last_us]
            elif chunks[0].first_us <= info[1]:
                chunks = self._unstored(info[0], s.ts_ms, s.values)
                if not chunks:
                    continue
            sid = info[0]
            for chunk in chunks:
                self.chunks.append((sid, *chunk))
            last = chunks[-1]
            if last.last_us > info[1]:
                info[1] = last.last_us
                self.newer[sid] = (last.last_us, last.newest, sid)
        span = columns.time_span()
        if span is not None:
            self.vehicles.append((vin, columns.profile, *span))

    def _unstored(self, sid: int, ts: list[int], values: list[float]) -> list[Chunk]:
        """The chunks of the samples whose keys are not stored yet (rows of this group
        included: they are written first)."""
        self.conn.executemany(sql.INSERT_CHUNK, self.chunks)
        self.chunks.clear()
        k = ranks(ts) or [0] * len(ts)
        keys = [ms * US_PER_MS + r for ms, r in zip(ts, k, strict=True)]
        lo, hi = min(keys), max(keys)
        rows = self.conn.execute(sql.SELECT_OVERLAP, (sid, lo - SPAN_US, hi, lo)).fetchall()
        stored, _values = unpack_many(rows)
        if len(stored) == 0:
            return pack(ts, values, k)
        new = ~np.isin(np.array(keys, dtype=np.int64), stored)
        keep = [i for i in range(len(ts)) if new[i]]
        return pack([ts[i] for i in keep], [values[i] for i in keep], [k[i] for i in keep])
