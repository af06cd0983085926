"""The service book's CSV import: rows per second parsed, imported and re-imported (every row
already there: skipped by content hash), on SQLite and, when it answers, PostgreSQL.

    .venv/bin/python -m bench.service_book [ROWS] [POSTGRESQL_URL]

Writes a LubeLogger-style export of ROWS rows (default 100,000: US dates, money with ``$`` and
thousands separators), then for each store: ``parse_csv`` (column detection, dates, money),
``import_records`` into an empty book (one transaction), and the same file again; the
baseline is the naive way, ``add_record`` per row (a transaction each), over the first
``BASELINE_ROWS`` rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.report import emit
from jobs.csvbook import parse_csv
from jobs.errors import JobStoreError
from jobs.model import RecordSource
from jobs.open import open_job_store

VIN = "WPITSTOPBENCH0001"
BASELINE_ROWS = 2_000


def lubelogger(rows: int) -> str:
    lines = ["Date,Odometer,Description,Notes,Cost,Tags"]
    for i in range(rows):
        day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 2000 + (i // 336) % 25
        cost = f'"${1 + i % 2900:,}.{i % 100:02d}"'
        lines.append(f"{month}/{day}/{year},{1000 + 10 * i},Service {i},note {i},{cost},oil")
    return "\n".join(lines) + "\n"


def measure(url: str, text: str, rows: int) -> dict[str, float]:
    started = time.perf_counter()
    parsed = parse_csv(text)
    parsed_s = time.perf_counter() - started
    store = open_job_store(url)
    try:
        started = time.perf_counter()
        first = store.import_records(VIN, parsed.entries, now=time.time())
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        again = store.import_records(VIN, parsed.entries, now=time.time())
        again_s = time.perf_counter() - started
        naive = parsed.entries[:BASELINE_ROWS]
        started = time.perf_counter()
        for entry in naive:
            store.add_record("WPITSTOPBENCH0002", entry, source=RecordSource.IMPORT, now=0.0)
        naive_s = time.perf_counter() - started
    finally:
        store.close()
    if (first.added, again.skipped) != (rows, rows):
        raise SystemExit(f"{url}: added {first.added}, skipped {again.skipped} of {rows}")
    return {
        "parse_rows_per_s": rows / parsed_s,
        "import_rows_per_s": rows / import_s,
        "reimport_rows_per_s": rows / again_s,
        "baseline_record_at_a_time_rows_per_s": len(naive) / naive_s,
    }


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    postgres = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/postgres"
    text = lubelogger(rows)
    figures: dict[str, float | int] = {"rows": rows}
    with tempfile.TemporaryDirectory() as folder:
        for name, value in measure(f"sqlite:///{Path(folder) / 'jobs.db'}", text, rows).items():
            figures[f"sqlite_{name}"] = value
    try:
        pg = _fresh_database(postgres)
    except JobStoreError as err:
        print(f"PostgreSQL skipped: {err}", file=sys.stderr)
    else:
        try:
            for name, value in measure(pg, text, rows).items():
                figures[f"postgresql_{name}"] = value
        finally:
            _drop(postgres, pg)
    emit("service book CSV import (LubeLogger export, one transaction per file)", figures)


def _fresh_database(admin_url: str) -> str:
    import psycopg

    name = f"pitstop_bench_{int(time.time())}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as err:
        raise JobStoreError(str(err)) from err
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
