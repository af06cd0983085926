"""What the SQLite backend adds to the contract: URLs, files, WAL, errors, rollups, upgrade."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import StoreError
from ingest.open import open_store
from ingest.sqlite import SqliteStore
from ingest.sqlite_schema import SCHEMA_VERSION
from pitstop.codec import Sample, TelemetryBatch, TelemetryColumns
from pitstop.errors import ConfigError
from tests.ingest.helpers import SIGNALS, T0, VIN, make_batch, make_dtc_report


def test_a_file_store_keeps_its_data_across_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'dir' / 'telemetry.db'}"
    store = open_store(url)
    store.write_batch(make_batch(VIN, 1, n=12))
    store.close()
    again = open_store(url)
    assert again.count(VIN) == 12
    assert again.write_batch(make_batch(VIN, 1, n=12)) is False
    again.close()


def test_the_file_is_in_wal_mode_with_the_documented_schema(tmp_path: Path) -> None:
    path = tmp_path / "telemetry.db"
    SqliteStore.open(f"sqlite:///{path}?synchronous=full").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"batches", "samples", "latest", "vehicles", "dead_letters"} <= tables


def test_a_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    SqliteStore.open("sqlite:///data/t.db").close()
    assert (tmp_path / "data" / "t.db").is_file()


def test_in_memory_stores_are_private(tmp_path: Path) -> None:
    one, two = SqliteStore.open("sqlite://"), SqliteStore.open("sqlite:///:memory:")
    one.write_batch(make_batch(VIN, 1))
    assert (one.count(), two.count()) == (6, 0)
    one.close()
    two.close()


def test_an_in_memory_store_is_shared_by_threads() -> None:
    store = SqliteStore.open("sqlite://")
    thread = threading.Thread(target=store.write_batch, args=(make_batch(VIN, 1),))
    thread.start()
    thread.join()
    assert store.count(VIN) == 6
    store.close()


@pytest.mark.parametrize(
    "url",
    ["mysql:///x.db", "postgresql://x/y", "sqlite://host/x.db", "sqlite:///x.db?synchronous=off"],
)
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        open_store(url)


def test_a_closed_store_raises_store_error(tmp_path: Path) -> None:
    store = SqliteStore.open(f"sqlite:///{tmp_path / 't.db'}")
    store.count()
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreError):
        store.write_batch(make_batch(VIN, 1))
    with pytest.raises(StoreError):
        store.count()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError):
        SqliteStore.open(f"sqlite:///{path}")


def test_a_failed_batch_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore.open(f"sqlite:///{tmp_path / 't.db'}")
    with sqlite3.connect(tmp_path / "t.db") as conn:  # make the vehicles upsert fail
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON vehicles BEGIN "
                     "SELECT RAISE(ABORT, 'refused'); END")  # fmt: skip
    with pytest.raises(StoreError):
        store.write_batch(make_batch(VIN, 1))
    assert (store.count(), store.batch_count()) == (0, 0)
    store.close()


# --- rollups ----------------------------------------------------------------------------------

_HOUR_MS = 3_600_000
_BASE_MS = round(T0 * 1000) + _HOUR_MS - 30 * 60_000  # half an hour before an hour boundary

_sample = st.builds(
    lambda signal, minute, half, value: Sample(
        signal, (_BASE_MS + minute * 61_000 + half * 500) / 1000, value
    ),
    st.sampled_from(SIGNALS[:2]),
    st.integers(0, 80),  # 80 minutes: two hours, many shared minutes
    st.integers(0, 1),
    st.floats(-1e6, 1e6, allow_nan=False),
)
_batch = st.builds(
    lambda seq, samples: TelemetryBatch(VIN, seq, "p", tuple(samples)),
    st.integers(0, 12),  # few sequence numbers: many batches are redeliveries
    st.lists(_sample, max_size=12),
)


def _aggregates(conn: sqlite3.Connection, table: str) -> dict[tuple[str, int], tuple[Any, ...]]:
    rows = conn.execute(f"SELECT signal, bucket_ms, n, lo, hi, total, last_us, last FROM {table}")
    return {(r[0], r[1]): r[2:] for r in rows}


def _from_samples(conn: sqlite3.Connection, width: int) -> dict[tuple[str, int], tuple[Any, ...]]:
    rows = conn.execute(
        f"SELECT signal, ts_us / {width * 1000} * {width} AS b, count(*), min(value), "
        "max(value), sum(value), max(ts_us), value FROM samples GROUP BY signal, b"
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def assert_rollups_match_samples(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        for table, width in (("rollup_1m", 60_000), ("rollup_1h", _HOUR_MS)):
            stored, expected = _aggregates(conn, table), _from_samples(conn, width)
            assert stored.keys() == expected.keys(), table
            for bucket, (n, lo, hi, total, last_us, last) in expected.items():
                assert stored[bucket] == (n, lo, hi, pytest.approx(total, abs=1e-3), last_us, last)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_batch, min_size=1, max_size=4), min_size=1, max_size=8))
def test_rollups_agree_with_the_samples_after_duplicates_and_disorder(
    commits: list[list[TelemetryBatch]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.db"
        store = SqliteStore.open(f"sqlite:///{path}")
        try:
            for batches in commits:  # several batches per commit, in no particular order
                store.write_batches([TelemetryColumns.from_batch(b) for b in batches])
            for batch in commits[0]:  # every one of the first commit again: all duplicates
                assert store.write_batch(batch) is False
        finally:
            store.close()
        assert_rollups_match_samples(path)


_MS_KEYED = """
ALTER TABLE {table} RENAME TO keyed_in_us;
CREATE TABLE {table} (vin TEXT NOT NULL, signal TEXT NOT NULL, ts_ms INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY ({key})) WITHOUT ROWID;
INSERT INTO {table} SELECT vin, signal, ts_us / 1000, value FROM keyed_in_us;
DROP TABLE keyed_in_us;
"""
_OLD_SCHEMA = {  # from what schema 3 is, what schema 1 and 2 were (samples keyed by ms)
    1: "DROP TABLE rollup_1m; DROP TABLE rollup_1h; DROP TABLE dtc_reports;",
    2: "UPDATE rollup_1m SET last_us = last_us / 1000; "
    "UPDATE rollup_1h SET last_us = last_us / 1000; "
    "ALTER TABLE rollup_1m RENAME COLUMN last_us TO last_ms; "
    "ALTER TABLE rollup_1h RENAME COLUMN last_us TO last_ms;",
}


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_file_is_upgraded_on_opening(tmp_path: Path, version: int) -> None:
    path = tmp_path / "t.db"
    store = SqliteStore.open(f"sqlite:///{path}")
    for seq in range(50):
        store.write_batch(make_batch(VIN, seq, n=30, t0=T0 + seq * 97))
    expected = store.downsample(VIN, SIGNALS[0], T0, T0 + 86_400, max_points=24)
    points = store.query(VIN, SIGNALS[0], T0, T0 + 86_400)
    latest = store.latest(VIN)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.executescript(
            _MS_KEYED.format(table="samples", key="vin, signal, ts_ms")
            + _MS_KEYED.format(table="latest", key="vin, signal")
            + _OLD_SCHEMA[version]
            + f"PRAGMA user_version = {version};"
        )
    again = SqliteStore.open(f"sqlite:///{path}")
    assert again.downsample(VIN, SIGNALS[0], T0, T0 + 86_400, max_points=24) == expected
    assert again.query(VIN, SIGNALS[0], T0, T0 + 86_400) == points
    assert again.latest(VIN) == latest
    assert again.write_batch(make_batch(VIN, 0, n=30, t0=T0)) is False
    assert again.write_dtc_report(make_dtc_report(VIN, T0))
    again.close()
    assert_rollups_match_samples(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_an_older_file_with_repeated_dead_letters_opens_and_files_them_by_vin(
    tmp_path: Path,
) -> None:
    """Before dead letters were idempotent, a rejected batch resent for ever made many rows."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "received_at REAL NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL, "
            "payload BLOB NOT NULL)"
        )
        for i in range(3):
            db.execute(
                "INSERT INTO dead_letters (received_at, topic, reason, payload) VALUES (?,?,?,?)",
                (T0 + i, f"pitstop/v1/{VIN}/telemetry", "older than 2592000 s", b"same"),
            )
    store = SqliteStore.open(f"sqlite:///{path}")
    try:
        assert [d.vin for d in store.dead_letters()] == [VIN] * 3
        summary = store.dead_letter_summary()
        assert [(c.vin, c.reason, c.count) for c in summary] == [(VIN, "", 3)]
        topic = f"pitstop/v1/{VIN}/telemetry"
        assert store.write_dead_letter(topic, b"same", "again", T0 + 9, "time") is True
        assert store.write_dead_letter(topic, b"same", "again", T0 + 9, "time") is False
    finally:
        store.close()
