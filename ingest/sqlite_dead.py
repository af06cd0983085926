"""The dead-letter table of the SQLite store: migration and statements (``SqliteStore`` runs
them on its connections).

``dead_letters`` (created in ``ingest.sqlite_schema``) gains ``vin`` (from the topic), ``code``
(the kind of fault) and ``digest`` (SHA-256 of the payload), with a unique index on
(topic, digest): a message sent again is kept once. Rows written before the index existed keep
a NULL digest (NULLs never clash), so an old file with repeated rows still opens.
"""

from __future__ import annotations

import sqlite3

_COLUMNS = (("vin", "TEXT"), ("code", "TEXT"), ("digest", "TEXT"))

INSERT = (
    "INSERT OR IGNORE INTO dead_letters (received_at, topic, reason, payload, vin, code, digest) "
    "VALUES (?,?,?,?,?,?,?)"
)
_FIELDS = "id, received_at, topic, reason, payload, coalesce(vin, ''), coalesce(code, '')"
SELECT_ALL = f"SELECT {_FIELDS} FROM dead_letters ORDER BY id DESC LIMIT ?"
SELECT_VIN = f"SELECT {_FIELDS} FROM dead_letters WHERE vin = ? ORDER BY id DESC LIMIT ?"
SELECT_ONE = f"SELECT {_FIELDS} FROM dead_letters WHERE id = ?"
DELETE = "DELETE FROM dead_letters WHERE id = ?"
SUMMARY = (
    "SELECT coalesce(vin, ''), coalesce(code, ''), count(*), max(received_at) "
    "FROM dead_letters GROUP BY 1, 2 ORDER BY 1, 2"
)


def migrate(conn: sqlite3.Connection) -> None:
    """Add the columns and the unique index to a file made before them (idempotent)."""
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
