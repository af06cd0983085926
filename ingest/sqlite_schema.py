"""The SQLite telemetry schema, the statements that keep it, and ``migrate`` (the only I/O).

Schema 5: samples are packed chunks (``ingest.chunks``), one ``chunks`` row per signal per
batch, keyed (series, first key); ``series`` gives each (vin, signal) an integer id and keeps its
newest point (``last_us``, ``last``: what ``latest`` was). Keys are ``ms * 1000 + k``
(``ingest.repeats``), so two samples in one millisecond are two samples. ``rollup_1m`` and
``rollup_1h`` (count ``n``, ``lo``, ``hi``, ``total``, the ``last`` value at key ``last_us``)
are no longer kept on write: they hold what raw retention dropped (``ingest.sqlite_retention``),
and the readers fold chunk aggregates for the rest (``ingest.sqlite_read``).

History: version 2 added the rollups; 3 the microsecond keys (``ts_ms`` became ``ts_us``); 4
keyed the ``batches`` ledger by (vin, instance, seq) with the batch's ``digest``
(``ingest.ledger``); 5 packed ``samples`` and ``latest`` into ``chunks`` and ``series``
(``ingest.sqlite_v5``). Opening an older file upgrades it once, each step in one transaction
(a crash leaves the file as the step found it). ``dtc_reports`` is the trouble-code history:
one row per report, keyed (vin, ts_ms, source; ``''`` for every source), holding the report's
JSON wire form (``pitstop.dtc``).
"""

from __future__ import annotations

import sqlite3

from ingest.sqlite_v5 import pack_samples

SCHEMA_VERSION = 5

_ROLLUP_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    bucket_ms INTEGER NOT NULL,
    n INTEGER NOT NULL,
    lo REAL NOT NULL,
    hi REAL NOT NULL,
    total REAL NOT NULL,
    last_us INTEGER NOT NULL,
    last REAL NOT NULL,
    PRIMARY KEY (vin, signal, bucket_ms)
) WITHOUT ROWID;
"""

_BATCHES = """CREATE TABLE IF NOT EXISTS batches (
    vin TEXT NOT NULL,
    instance TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    received_at REAL NOT NULL,
    profile TEXT NOT NULL,
    digest TEXT,
    PRIMARY KEY (vin, instance, seq)
) WITHOUT ROWID"""

# samples and latest, keyed by ts_us (the upgrade creates them inside its transaction)
_KEYED = (
    """CREATE TABLE IF NOT EXISTS samples (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (vin, signal, ts_us)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS latest (
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (vin, signal)
) WITHOUT ROWID""",
)

SERIES = """CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL,
    signal TEXT NOT NULL,
    last_us INTEGER NOT NULL,
    last REAL NOT NULL,
    UNIQUE (vin, signal)
)"""
CHUNKS = """CREATE TABLE IF NOT EXISTS chunks (
    series INTEGER NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    n INTEGER NOT NULL,
    lo REAL NOT NULL,
    hi REAL NOT NULL,
    total REAL NOT NULL,
    newest REAL NOT NULL,
    ms BLOB NOT NULL,
    k BLOB,
    vals BLOB NOT NULL,
    PRIMARY KEY (series, first_us)
)"""  # a rowid table: rows land in the order written, only the key's index is in series order

SCHEMA = (
    SERIES
    + ";\n"
    + CHUNKS
    + ";\n"
    + _BATCHES
    + """;
CREATE TABLE IF NOT EXISTS vehicles (
    vin TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    topic TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dtc_reports (
    vin TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    seq INTEGER,
    received_at REAL NOT NULL,
    report BLOB NOT NULL,
    PRIMARY KEY (vin, ts_ms, source)
) WITHOUT ROWID;
"""
    + _ROLLUP_TABLE.format(table="rollup_1m")
    + _ROLLUP_TABLE.format(table="rollup_1h")
)

# (level name, table, bucket width in ms, the table it is rebuilt from)
# (level name, table, bucket width in ms): since schema 5, the archive of what raw retention
# dropped (``ingest.sqlite_retention``); what is in ``chunks`` is never in them too
ROLLUPS = (("1m", "rollup_1m", 60_000), ("1h", "rollup_1h", 3_600_000))

INSERT_BATCH = (
    "INSERT OR IGNORE INTO batches (vin, instance, seq, received_at, profile, digest) "
    "VALUES (?,?,?,?,?,?)"
)
SELECT_BATCH_DIGEST = "SELECT digest FROM batches WHERE vin = ? AND instance = ? AND seq = ?"
INSERT_DTC = (
    "INSERT OR IGNORE INTO dtc_reports (vin, ts_ms, source, seq, received_at, report) "
    "VALUES (?,?,?,?,?,?)"
)
SELECT_DTC = (
    "SELECT report FROM dtc_reports WHERE vin = ? AND ts_ms >= ? AND ts_ms < ? "
    "ORDER BY ts_ms, source LIMIT ?"
)
# (vin, signal, ms, k, value): the key is computed here, not per sample in Python
INSERT_CHUNK = "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)"
INSERT_SERIES = "INSERT INTO series (id, vin, signal, last_us, last) VALUES (?,?,?,?,?)"
NEXT_SERIES_ID = "SELECT coalesce(max(id), 0) + 1 FROM series"
SELECT_SERIES = "SELECT signal, id, last_us FROM series WHERE vin = ?"
UPDATE_LATEST = "UPDATE series SET last_us = ?, last = ? WHERE id = ?"
# the chunks that may hold a key in [first, last] (a chunk spans < ``chunks.SPAN_US``)
SELECT_OVERLAP = (
    "SELECT ms, k, vals FROM chunks WHERE series = ? AND first_us > ? AND first_us <= ? "
    "AND last_us >= ?"
)
UPSERT_VEHICLE = (
    "INSERT INTO vehicles (vin, profile, first_seen, last_seen) VALUES (?,?,?,?) "
    "ON CONFLICT (vin) DO UPDATE SET "
    "profile = CASE WHEN excluded.last_seen >= vehicles.last_seen "
    "THEN excluded.profile ELSE vehicles.profile END, "
    "first_seen = min(vehicles.first_seen, excluded.first_seen), "
    "last_seen = max(vehicles.last_seen, excluded.last_seen)"
)


def upsert_rollup(table: str) -> str:
    """Merge one aggregate row (vin, signal, bucket_ms, n, lo, hi, total, last_us, last)."""
    return (
        f"INSERT INTO {table} VALUES (?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (vin, signal, bucket_ms) DO UPDATE SET "
        "n = n + excluded.n, lo = min(lo, excluded.lo), hi = max(hi, excluded.hi), "
        "total = total + excluded.total, "
        "last = CASE WHEN excluded.last_us > last_us THEN excluded.last ELSE last END, "
        "last_us = max(last_us, excluded.last_us)"
    )


def migrate(conn: sqlite3.Connection) -> None:
    """Create the schema; an older file is upgraded once (each step one transaction)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION and "ts_ms" in _columns(conn, "samples"):
        _rekey_in_microseconds(conn)
    if version < SCHEMA_VERSION and _columns(conn, "batches") - {"instance"} == _V3_BATCHES:
        _rekey_batches_by_instance(conn)
    conn.executescript(SCHEMA)
    if version >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _columns(conn, "samples"):
            pack_samples(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_V3_BATCHES = {"vin", "seq", "received_at", "profile"}


def _rekey_batches_by_instance(conn: sqlite3.Connection) -> None:
    """Schema 3 to 4: ``batches`` keyed by (vin, instance, seq), every old row the legacy
    instance with no digest. One transaction: a crash leaves the old file as it was."""
    _run_all(
        conn,
        [
            "BEGIN IMMEDIATE",
            "ALTER TABLE batches RENAME TO batches_v3",
            _BATCHES,
            "INSERT INTO batches (vin, instance, seq, received_at, profile, digest) "
            "SELECT vin, '', seq, received_at, profile, NULL FROM batches_v3",
            "DROP TABLE batches_v3",
            "COMMIT",
        ],
    )


def _run_all(conn: sqlite3.Connection, statements: list[str]) -> None:
    try:
        for statement in statements:
            conn.execute(statement)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _rekey_in_microseconds(conn: sqlite3.Connection) -> None:
    """Schema 1 or 2 to 3: ``samples`` and ``latest`` keyed by ``ts_us`` (each old sample is
    the first of its millisecond), the rollups dropped (``migrate`` rebuilds them). One
    transaction: a crash leaves the old file as it was."""
    statements = [
        "BEGIN IMMEDIATE",
        "ALTER TABLE samples RENAME TO samples_v2",
        "ALTER TABLE latest RENAME TO latest_v2",
        "DROP TABLE IF EXISTS rollup_1m",
        "DROP TABLE IF EXISTS rollup_1h",
        *_KEYED,
        "INSERT INTO samples SELECT vin, signal, ts_ms * 1000, value FROM samples_v2",
        "INSERT INTO latest SELECT vin, signal, ts_ms * 1000, value FROM latest_v2",
        "DROP TABLE samples_v2",
        "DROP TABLE latest_v2",
        "COMMIT",
    ]
    _run_all(conn, statements)
