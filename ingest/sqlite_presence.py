"""Presence on SQLite: the gateways' status and events (see ``ingest.presence_model``).

Two tables, created on open by ``migrate`` in any older file:

- ``vehicle_status``: one row per vehicle: state (online, offline; ``unknown`` while only
  events came), since when (received time), last seen, gateway version, profile hash and the
  counters of its latest online status (JSON);
- ``vehicle_events``: one row per event, unique on (vin, type, ts_ms, digest of its data), so
  a redelivered event is stored once; indexed by (vin, ts_ms) and (vin, id). Every new event
  prunes its vehicle's events beyond ``PresenceLimits.max_events`` (the oldest first) and
  those received more than ``retention_days`` ago. (An event pruned by the cap and then
  redelivered would come back: the cap bounds the table, the key bounds duplicates.)

``SqlitePresence`` is mixed into ``ingest.sqlite.SqliteStore``, whose ``_write`` and ``_read``
it uses.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from ingest.errors import StoreError
from ingest.presence_model import (
    PresenceLimits,
    StoredEvent,
    VehicleStatus,
    encode_data,
    event_key,
)
from pitstop.messages import Event, Status

SCHEMA = """
CREATE TABLE IF NOT EXISTS vehicle_status (
    vin TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    since REAL NOT NULL,
    last_seen REAL NOT NULL,
    version TEXT NOT NULL,
    profile TEXT NOT NULL,
    counters TEXT NOT NULL,
    status_ts_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vehicle_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vin TEXT NOT NULL,
    type TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    digest TEXT NOT NULL,
    received_at REAL NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (vin, type, ts_ms, digest)
);
CREATE INDEX IF NOT EXISTS vehicle_events_by_ts ON vehicle_events (vin, ts_ms);
CREATE INDEX IF NOT EXISTS vehicle_events_by_id ON vehicle_events (vin, id);
"""

_UPSERT_STATUS = (
    "INSERT INTO vehicle_status VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (vin) DO UPDATE SET "
    "since = CASE WHEN state = excluded.state THEN since ELSE excluded.since END, "
    "state = excluded.state, last_seen = max(last_seen, excluded.last_seen), "
    "version = CASE WHEN excluded.version <> '' THEN excluded.version ELSE version END, "
    "profile = CASE WHEN excluded.profile <> '' THEN excluded.profile ELSE profile END, "
    "counters = CASE WHEN excluded.state = 'online' THEN excluded.counters ELSE counters END, "
    "status_ts_ms = excluded.status_ts_ms"
)
_SEEN = (
    "INSERT INTO vehicle_status VALUES (?, 'unknown', ?, ?, '', '', '{}', 0) "
    "ON CONFLICT (vin) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)"
)
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO vehicle_events (vin, type, ts_ms, digest, received_at, data) "
    "VALUES (?,?,?,?,?,?)"
)
_PRUNE = (
    "DELETE FROM vehicle_events WHERE vin = ? AND (received_at < ? OR id <= "
    "(SELECT id FROM vehicle_events WHERE vin = ? ORDER BY id DESC LIMIT 1 OFFSET ?))"
)
_STATUS_COLUMNS = "vin, state, since, last_seen, version, profile, counters"
_DAY_S = 86_400.0


def migrate(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


class SqlitePresence:
    """The presence half of ``TelemetryStore`` on SQLite."""

    presence_limits = PresenceLimits()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        raise NotImplementedError

    def write_status(self, status: Status, received_at: float, *, retained: bool = False) -> None:
        online = status.state == "online"
        row = (
            status.vin,
            status.state,
            received_at,
            received_at if online else 0.0,
            status.version,
            status.profile,
            json.dumps(dict(status.counters), sort_keys=True),
            status.ts_ms,
        )
        with self._write() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not (retained and _state(conn, status.vin) == status.state):
                    conn.execute(_UPSERT_STATUS, row)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def write_event(self, event: Event, received_at: float) -> bool:
        limits = self.presence_limits
        digest = event_key(event).rsplit(":", 1)[1]
        row = (event.vin, event.type, event.ts_ms, digest, received_at, encode_data(event.data))
        cutoff = received_at - limits.retention_days * _DAY_S
        with self._write() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                new = conn.execute(_INSERT_EVENT, row).rowcount == 1
                if new:
                    conn.execute(_PRUNE, (event.vin, cutoff, event.vin, limits.max_events))
                    conn.execute(_SEEN, (event.vin, received_at, received_at))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return new

    def vehicle_status(self, vin: str) -> VehicleStatus | None:
        sql = f"SELECT {_STATUS_COLUMNS} FROM vehicle_status WHERE vin = ?"
        rows = self._read(sql, (vin,))
        if not rows:
            return None
        vin_, state, since, last_seen, version, profile, counters = rows[0]
        return VehicleStatus(vin_, state, since, last_seen, version, profile, json.loads(counters))

    def events(
        self,
        vin: str,
        since: float,
        until: float,
        types: Sequence[str] | None = None,
        limit: int = 1_000,
    ) -> list[StoredEvent]:
        where = "vin = ? AND ts_ms >= ? AND ts_ms < ?"
        params: list[object] = [vin, _ms(since), _ms(until)]
        if types:
            where += f" AND type IN ({','.join('?' * len(types))})"
            params += list(types)
        sql = (
            "SELECT type, ts_ms, received_at, data FROM vehicle_events "
            f"WHERE {where} ORDER BY ts_ms DESC, id DESC LIMIT ?"
        )
        rows = self._read(sql, (*params, max(limit, 0)))
        try:
            return [StoredEvent(vin, t, ms / 1000, rx, json.loads(d)) for t, ms, rx, d in rows]
        except ValueError as err:
            raise StoreError(f"a stored event does not decode: {err}") from err


def _state(conn: sqlite3.Connection, vin: str) -> str | None:
    row = conn.execute("SELECT state FROM vehicle_status WHERE vin = ?", (vin,)).fetchone()
    return None if row is None else str(row[0])


def _ms(seconds: float) -> int:
    bound = 2**62
    if math.isnan(seconds):
        raise StoreError("query bound is NaN")
    if math.isinf(seconds):
        return bound if seconds > 0 else -bound
    return max(-bound, min(bound, math.ceil(round(seconds * 1000, 6))))
