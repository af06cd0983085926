"""Schema 4 to 5: one row per sample (``samples``, ``latest``) becomes packed chunks
(``ingest.chunks``) with a ``series`` table, inside the caller's transaction.

The old samples are read in key order and cut into chunks of one series and one 10-minute
window; ``latest`` becomes the series' newest point. The rollups hold, from schema 5 on, only
what raw retention dropped (``ingest.sqlite_retention``), so their buckets from the minute (the
hour) of a series' first stored sample on are deleted: chunks answer for them. A bucket that
raw retention had cut in two loses its dropped part there (raw had lost it already).
"""

from __future__ import annotations

import sqlite3
from itertools import groupby

from ingest.chunks import pack
from ingest.repeats import US_PER_MS

_WINDOW_US = 600_000_000  # a migrated chunk holds at most 10 minutes of one signal


def pack_samples(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO series (vin, signal, last_us, last) SELECT vin, signal, ts_us, value "
        "FROM latest ORDER BY vin, signal"
    )
    ids = {(r[0], r[1]): r[2] for r in conn.execute("SELECT vin, signal, id FROM series")}
    rows = conn.execute("SELECT vin, signal, ts_us, value FROM samples ORDER BY vin, signal, ts_us")
    for (vin, signal, _window), group in groupby(rows, lambda r: (r[0], r[1], r[2] // _WINDOW_US)):
        samples = list(group)
        sid = ids.get((vin, signal))
        if sid is None:  # a sample without a latest row (not made by pitstop): its own series
            last = samples[-1]
            sid = conn.execute(
                "INSERT INTO series (vin, signal, last_us, last) VALUES (?,?,?,?)",
                (vin, signal, last[2], last[3]),
            ).lastrowid
            ids[(vin, signal)] = sid
        ts = [r[2] // US_PER_MS for r in samples]
        k = [r[2] % US_PER_MS for r in samples]
        values = [r[3] for r in samples]
        conn.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, *chunk) for chunk in pack(ts, values, k)],
        )
    for table, width in (("rollup_1m", 60_000), ("rollup_1h", 3_600_000)):
        conn.execute(
            f"DELETE FROM {table} WHERE bucket_ms >= (SELECT min(c.first_us) / "
            f"{width * US_PER_MS} * {width} FROM chunks c JOIN series s ON c.series = s.id "
            f"WHERE s.vin = {table}.vin AND s.signal = {table}.signal)"
        )
    conn.execute("DROP TABLE samples")
    conn.execute("DROP TABLE IF EXISTS latest")
