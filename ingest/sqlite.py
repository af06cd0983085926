"""The embedded telemetry store: one SQLite file in WAL mode (or memory), no server.

URLs: ``sqlite:///relative/telemetry.db``, ``sqlite:////absolute/telemetry.db``, and
``sqlite://`` (or ``sqlite:///:memory:``) for a private in-memory store. An optional
``?synchronous=full`` makes every commit survive a power cut too (see ``_SYNCHRONOUS``).

Threads: one writer connection behind a lock; each reading thread gets its own read connection
(WAL lets readers run while the writer writes). In memory there is only one database per
connection, so reads share the writer connection and its lock.

Samples are keyed in integer microseconds since the epoch, ``ms * 1000 + k`` (``ingest.repeats``:
``k`` numbers the samples of one signal in one millisecond), so none merge; reads give back the
millisecond the car sent, in seconds, in key order. Other times are integer milliseconds. They are
stored as packed chunks, one row per signal per batch (``ingest.chunks``, schema 5).

Here: opening, connections, transactions and writes; the read queries are in
``ingest.sqlite_read``, the writes in ``ingest.sqlite_write``, retention in
``ingest.sqlite_retention``, the tables in ``ingest.sqlite_schema``.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingest import sqlite_dead as dead_sql
from ingest import sqlite_presence
from ingest import sqlite_read as reads
from ingest import sqlite_schema as sql
from ingest.errors import StoreError
from ingest.ledger import Seen
from ingest.sqlite_presence import SqlitePresence
from ingest.sqlite_retention import apply_retention
from ingest.sqlite_write import Known, write_group
from ingest.store import (
    Bucket,
    DeadLetter,
    DeadLetterCount,
    DeadLetterLimits,
    DeadLetterTotals,
    Kept,
    Page,
    Point,
    Retention,
    VehicleSummary,
)
from pitstop.codec import TelemetryBatch, TelemetryColumns
from pitstop.dtc import DtcReport, encode_dtc_report
from pitstop.errors import ConfigError

# synchronous=NORMAL in WAL mode: a commit is in the WAL (in the OS page cache) when it returns,
# so it survives the death of this process, SIGKILL included; only a power cut or kernel crash
# may roll back the last commits. That is the default: the gateway re-sends what is not acked,
# and a crash of the whole machine is rare enough. ``?synchronous=full`` fsyncs every commit.
_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}
_BUSY_TIMEOUT_S = 5.0


@contextmanager
def _schema_lock(path: str | None) -> Iterator[None]:
    """Several processes opening one new file at once create (or upgrade) its schema one
    after the other: an exclusive lock on ``<file>.schema-lock`` (none in memory)."""
    if path is None:
        yield
        return
    with open(f"{path}.schema-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SqliteStore(SqlitePresence):
    """A ``TelemetryStore`` on SQLite; open it with ``SqliteStore.open(url)``. The status and
    events of the gateways are ``SqlitePresence``'s (``ingest.sqlite_presence``)."""

    def __init__(
        self,
        target: str | None,
        synchronous: str = "NORMAL",
        dead_limits: DeadLetterLimits | None = None,
    ) -> None:
        """Open ``target`` (a file path), or a private in-memory database when it is None."""
        self.dead_limits = dead_limits or DeadLetterLimits()
        self._path = target
        self._synchronous = synchronous
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self._known = Known()  # the series the writer has met (``ingest.sqlite_write``)
        try:
            with _schema_lock(target):  # PRAGMA journal_mode=WAL too: it needs the file alone
                self._writer = self._connect()
                sql.migrate(self._writer)
                dead_sql.migrate(self._writer)
                sqlite_presence.migrate(self._writer)
        except (sqlite3.Error, OSError) as err:
            raise StoreError(f"cannot open telemetry store {target or ':memory:'}: {err}") from err

    @classmethod
    def open(cls, url: str, dead_limits: DeadLetterLimits | None = None) -> SqliteStore:
        parts = urlsplit(url)
        if parts.scheme != "sqlite" or parts.netloc:
            raise ConfigError(f"telemetry store URL {url!r}: expected sqlite:///path or sqlite://")
        options = parse_qs(parts.query)
        sync = options.get("synchronous", ["normal"])[-1].lower()
        if sync not in _SYNCHRONOUS:
            raise ConfigError(f"telemetry store URL {url!r}: synchronous must be normal or full")
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if path in ("", ":memory:"):
            return cls(None, _SYNCHRONOUS[sync], dead_limits)
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the folder of {path}: {err}") from err
        return cls(path, _SYNCHRONOUS[sync], dead_limits)

    # --- writes ------------------------------------------------------------------------

    def write_batch(self, batch: TelemetryBatch, received_at: float | None = None) -> bool:
        """Store a batch in one transaction; False (and nothing written) if seen before.

        ``received_at`` (seconds since the epoch) defaults to now.
        """
        return self.write_batches([TelemetryColumns.from_batch(batch)], received_at)[0]

    def write_batches(
        self, batches: Sequence[TelemetryColumns], received_at: float | None = None
    ) -> list[bool]:
        """Store several batches in one transaction (see ``TelemetryStore.write_batches``)."""
        return [seen is Seen.STORED for seen in self.write_batches_seen(batches, received_at)]

    def write_batches_seen(
        self, batches: Sequence[TelemetryColumns], received_at: float | None = None
    ) -> list[Seen]:
        received = time.time() if received_at is None else received_at
        with self._write() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                stored = write_group(conn, batches, received, self._known)
                conn.execute("COMMIT")
            except BaseException:
                self._known.forget()
                conn.execute("ROLLBACK")
                raise
        return stored

    def write_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> bool:
        return self.keep_dead_letter(topic, payload, reason, received_at, code).new

    def keep_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> Kept:
        with self._write() as conn:
            return dead_sql.keep(
                conn, self.dead_limits, (topic, payload, reason, received_at, code)
            )

    def delete_dead_letters(self, ids: Sequence[int]) -> int:
        with self._write() as conn:
            return sum(conn.execute(dead_sql.DELETE, (i,)).rowcount for i in ids)

    def purge_dead_letters(self, vin: str | None = None, before: float | None = None) -> int:
        with self._write() as conn:
            return dead_sql.purge(conn, vin, before)

    def dead_letter_totals(self) -> DeadLetterTotals:
        return dead_sql.totals(self._read(dead_sql.TOTALS))

    def write_dtc_report(self, report: DtcReport, received_at: float | None = None) -> bool:
        row = (report.vin, round(report.ts * 1000), report.source or "", report.seq)
        received = time.time() if received_at is None else received_at
        with self._write() as conn:
            cur = conn.execute(sql.INSERT_DTC, (*row, received, encode_dtc_report(report)))
        return cur.rowcount == 1

    # --- reads -------------------------------------------------------------------------

    def dtc_history(
        self, vin: str, start: float, end: float, limit: int = 1_000
    ) -> list[DtcReport]:
        return reads.dtc_history(self._read, vin, start, end, limit)

    def dead_letters(self, limit: int = 100, vin: str | None = None) -> list[DeadLetter]:
        if vin is None:
            rows = self._read(dead_sql.SELECT_ALL, (limit,))
        else:
            rows = self._read(dead_sql.SELECT_VIN, (vin, limit))
        return [dead_sql.letter(r) for r in rows]

    def dead_letter(self, letter_id: int) -> DeadLetter | None:
        rows = self._read(dead_sql.SELECT_ONE, (letter_id,))
        return next((dead_sql.letter(r) for r in rows), None)

    def dead_letter_summary(self) -> list[DeadLetterCount]:
        return [DeadLetterCount(*row) for row in self._read(dead_sql.SUMMARY)]

    def vehicles(self) -> list[VehicleSummary]:
        return reads.vehicles(self._read)

    def signals(self, vin: str) -> list[str]:
        return reads.signals(self._read, vin)

    def latest(self, vin: str) -> dict[str, Point]:
        return reads.latest(self._read, vin)

    def query(
        self, vin: str, signal: str, start: float, end: float, limit: int = 10_000
    ) -> list[Point]:
        return reads.query(self._read, vin, signal, start, end, limit=limit)

    def query_page(
        self,
        vin: str,
        signal: str,
        start: float,
        end: float,
        *,
        limit: int = 10_000,
        cursor: str | None = None,
    ) -> Page:
        return reads.query_page(self._read, vin, signal, start, end, limit=limit, cursor=cursor)

    def downsample(
        self, vin: str, signal: str, start: float, end: float, max_points: int = 2_000
    ) -> list[Bucket]:
        return reads.downsample(self._read, vin, signal, start, end, max_points=max_points)

    def apply_retention(self, retention: Retention, now: float) -> dict[str, int]:
        with self._write() as conn:
            return apply_retention(conn, retention, now)

    def count(self, vin: str | None = None) -> int:
        return reads.count(self._read, vin)

    def batch_count(self) -> int:
        """How many distinct (VIN, seq) batches are stored (an extension of the interface)."""
        return int(self._read("SELECT count(*) FROM batches")[0][0])

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for conn in [*self._readers, self._writer]:
                conn.close()
            self._readers.clear()

    # --- connections -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path or ":memory:",
            timeout=_BUSY_TIMEOUT_S,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # guarded by our lock, or used by one thread only
        )
        if self._path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB of pages
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._check_open()
            try:
                yield self._writer
            except sqlite3.Error as err:
                raise StoreError(f"telemetry store write failed: {err}") from err

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        try:
            if self._path is None:
                with self._lock:
                    self._check_open()
                    return self._writer.execute(sql, params).fetchall()
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise StoreError(f"telemetry store read failed: {err}") from err

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                self._check_open()
                conn = self._connect()
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("telemetry store is closed")
