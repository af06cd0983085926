"""The dead-letter table of the SQLite store: migration, statements and ``keep`` (run inside
``SqliteStore``'s writer connection).

``dead_letters`` (created in ``ingest.sqlite_schema``) gains ``vin`` (from the topic), ``code``
(the kind of fault), ``digest`` (SHA-256 of the whole payload) and ``size`` (its true size;
``payload`` holds at most ``DeadLetterLimits.max_payload_bytes`` of it), with a unique index
on (topic, digest): a message sent again is kept once. Rows written before the index existed
keep a NULL digest (NULLs never clash), so an old file with repeated rows still opens.
``dead_letter_totals`` counts what the bounds cost (``trimmed``, ``dropped``, ``expired``).

``keep`` inserts, expires and trims the VIN to its quota in one transaction: a SIGKILL at any
point leaves either the old rows or the new row with the quota holding.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ingest.dead_model import DeadLetterLimits, DeadLetterTotals, Kept
from ingest.store import DeadLetter, payload_digest, topic_vin

_COLUMNS = (("vin", "TEXT"), ("code", "TEXT"), ("digest", "TEXT"), ("size", "INTEGER"))

INSERT = (
    "INSERT OR IGNORE INTO dead_letters "
    "(received_at, topic, reason, payload, vin, code, digest, size) VALUES (?,?,?,?,?,?,?,?)"
)
_FIELDS = (
    "id, received_at, topic, reason, payload, coalesce(vin, ''), coalesce(code, ''), "
    "coalesce(size, -1), coalesce(digest, '')"
)
SELECT_ALL = f"SELECT {_FIELDS} FROM dead_letters ORDER BY id DESC LIMIT ?"
SELECT_VIN = f"SELECT {_FIELDS} FROM dead_letters WHERE vin = ? ORDER BY id DESC LIMIT ?"
SELECT_ONE = f"SELECT {_FIELDS} FROM dead_letters WHERE id = ?"
DELETE = "DELETE FROM dead_letters WHERE id = ?"
SUMMARY = (
    "SELECT coalesce(vin, ''), coalesce(code, ''), count(*), max(received_at) "
    "FROM dead_letters GROUP BY 1, 2 ORDER BY 1, 2"
)
TOTALS = "SELECT key, value FROM dead_letter_totals"
_EXPIRE = "DELETE FROM dead_letters WHERE received_at < ?"
# every row of the VIN older than its newest ``per_vin``
_OVER_QUOTA = (
    "DELETE FROM dead_letters WHERE vin = ?1 AND id < "
    "(SELECT id FROM dead_letters WHERE vin = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)"
)
_COUNT = (
    "INSERT INTO dead_letter_totals (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value"
)


def migrate(conn: sqlite3.Connection) -> None:
    """Add the columns, indexes and totals to a file made before them (idempotent)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(dead_letters)")}
    for name, kind in _COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE dead_letters ADD COLUMN {name} {kind}")
    # the VIN of older rows, from topics of the form pitstop/v1/<17 characters>/<kind>
    conn.execute(
        "UPDATE dead_letters SET vin = substr(topic, 12, 17) "
        "WHERE vin IS NULL AND topic LIKE 'pitstop/v1/_________________/%'"
    )
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS dead_letters_key ON dead_letters (topic, digest)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS dead_letters_vin ON dead_letters (vin, id)")
    conn.execute("CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters (received_at)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS dead_letter_totals "
        "(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID"
    )


def keep(
    conn: sqlite3.Connection,
    limits: DeadLetterLimits,
    letter: tuple[str, bytes, str, float, str],
) -> Kept:
    """Insert (topic, payload, reason, received_at, code) bounded by ``limits``, in one
    transaction."""
    topic, payload, reason, received_at, code = letter
    vin = topic_vin(topic)
    kept = limits.trim(payload)
    row = (received_at, topic, reason, kept, vin, code, payload_digest(payload), len(payload))
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute(INSERT, row).rowcount == 0:
            conn.execute("COMMIT")
            return Kept(False)
        cutoff = limits.cutoff(received_at)
        expired = 0 if cutoff is None else conn.execute(_EXPIRE, (cutoff,)).rowcount
        dropped = conn.execute(_OVER_QUOTA, (vin, max(limits.per_vin, 1) - 1)).rowcount
        trimmed = len(kept) < len(payload)
        counts = [("trimmed", int(trimmed)), ("dropped", dropped), ("expired", expired)]
        conn.executemany(_COUNT, [c for c in counts if c[1]])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return Kept(True, trimmed, dropped, expired)


def purge(conn: sqlite3.Connection, vin: str | None, before: float | None) -> int:
    clauses: list[str] = []
    params: list[object] = []
    if vin is not None:
        clauses.append("vin = ?")
        params.append(vin)
    if before is not None:
        clauses.append("received_at < ?")
        params.append(before)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return conn.execute(f"DELETE FROM dead_letters{where}", params).rowcount


def totals(rows: Sequence[Any]) -> DeadLetterTotals:
    found = {str(key): int(value) for key, value in rows}
    return DeadLetterTotals(
        found.get("trimmed", 0), found.get("dropped", 0), found.get("expired", 0)
    )


def letter(row: Sequence[Any]) -> DeadLetter:
    return DeadLetter(
        row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6], int(row[7]), row[8]
    )
