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

from ingest.buckets import plan
from ingest.errors import StoreError
from ingest.open import open_store
from ingest.repeats import keys_us
from ingest.sqlite import SqliteStore
from ingest.sqlite_schema import SCHEMA_VERSION
from ingest.store import Retention
from pitstop.codec import Sample, TelemetryBatch, TelemetryColumns
from pitstop.errors import ConfigError
from tests.ingest import legacy_v4
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
    assert {"batches", "series", "chunks", "vehicles", "dead_letters"} <= tables
    assert not {"samples", "latest"} & tables  # schema 4's layout, packed into chunks


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


_Model = dict[tuple[str, int], float]  # (signal, key in µs) -> value: what must be stored


def _model(commits: list[list[TelemetryBatch]]) -> _Model:
    """The contract on its own: a name stored once, a key stored once (the first value)."""
    names: set[int] = set()
    kept: _Model = {}
    for batch in (b for batches in commits for b in batches):
        if batch.seq in names:
            continue
        names.add(batch.seq)
        for signal, series in TelemetryColumns.from_batch(batch).series.items():
            for key, value in zip(keys_us(series.ts_ms), series.values, strict=True):
                kept.setdefault((signal, key), value)
    return kept


def _buckets(model: _Model, signal: str, max_points: int) -> list[tuple[Any, ...]]:
    p = plan(_START, _START + 3 * 3600, max_points, (("1m", 60_000), ("1h", _HOUR_MS)))
    groups: dict[int, list[tuple[int, float]]] = {}
    for (name, key), value in sorted(model.items()):
        if name == signal and p.origin_ms * 1000 <= key < p.end_ms * 1000:
            groups.setdefault((key // 1000 - p.origin_ms) // p.width_ms, []).append((key, value))
    return [
        ((p.origin_ms + b * p.width_ms) / 1000, len(g), min(v for _k, v in g),
         max(v for _k, v in g), g[-1][1])
        for b, g in sorted(groups.items())
    ]  # fmt: skip


_START = (_BASE_MS - _HOUR_MS) / 1000


def _check(store: SqliteStore, model: _Model) -> None:
    for signal in SIGNALS[:2]:
        want = [(key // 1000 / 1000, v) for (n, key), v in sorted(model.items()) if n == signal]
        got = store.query(VIN, signal, 0, float("inf"), limit=1_000_000)
        assert [(p.ts, p.value) for p in got] == want
        for max_points in (1, 4, 90, 5_000, 100_000):
            buckets = store.downsample(VIN, signal, _START, _START + 3 * 3600, max_points)
            assert [(b.start, b.count, b.min, b.max, b.last) for b in buckets] == _buckets(
                model, signal, max_points
            )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_batch, min_size=1, max_size=4), min_size=1, max_size=8))
def test_samples_and_buckets_hold_after_duplicates_disorder_and_retention(
    commits: list[list[TelemetryBatch]],
) -> None:
    """Redeliveries, copies under new names, batches across minute and hour edges, out of
    order, several per commit; then raw retention in the middle (its buckets kept)."""
    model = _model(commits)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore.open(f"sqlite:///{Path(folder) / 't.db'}")
        try:
            for batches in commits:
                store.write_batches([TelemetryColumns.from_batch(b) for b in batches])
            for batch in commits[0]:  # every one of the first commit again: all duplicates
                assert store.write_batch(batch) is False
            assert store.count(VIN) == len(model)
            _check(store, model)
            coarse = store.downsample(VIN, SIGNALS[0], _START, _START + 3 * 3600, 2)
            cutoff_ms = _BASE_MS + 40 * 61_000 + 250
            store.apply_retention(Retention(raw_days=0, minute_days=None), cutoff_ms / 1000)
            assert store.count(VIN) == sum(k >= cutoff_ms * 1000 for _s, k in model)
            again = store.downsample(VIN, SIGNALS[0], _START, _START + 3 * 3600, 2)
            assert [(b.start, b.count, b.min, b.max, b.last) for b in again] == [
                (b.start, b.count, b.min, b.max, b.last) for b in coarse
            ]
        finally:
            store.close()


_MS_KEYED = """
ALTER TABLE {table} RENAME TO keyed_in_us;
CREATE TABLE {table} (vin TEXT NOT NULL, signal TEXT NOT NULL, ts_ms INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY ({key})) WITHOUT ROWID;
INSERT INTO {table} SELECT vin, signal, ts_us / 1000, value FROM keyed_in_us;
DROP TABLE keyed_in_us;
"""
_OLD_SCHEMA = {  # from what schema 3 is, what schema 1 and 2 were (samples keyed by ms)
    1: "DROP TABLE rollup_1m; DROP TABLE rollup_1h; DROP TABLE IF EXISTS dtc_reports;",
    2: "UPDATE rollup_1m SET last_us = last_us / 1000; "
    "UPDATE rollup_1h SET last_us = last_us / 1000; "
    "ALTER TABLE rollup_1m RENAME COLUMN last_us TO last_ms; "
    "ALTER TABLE rollup_1h RENAME COLUMN last_us TO last_ms;",
}


@pytest.mark.parametrize("version", [1, 2, 4])
def test_an_older_file_is_upgraded_on_opening(tmp_path: Path, version: int) -> None:
    """A file of one row per sample (schema 1, 2: keyed by ms; 4: by µs) opens as chunks
    giving its samples, buckets and latest values; its ledger still knows its batches."""
    path = tmp_path / "t.db"
    batches = [make_batch(VIN, seq, n=30, t0=T0 + seq * 97) for seq in range(50)]
    legacy_v4.write_v4(path, [TelemetryColumns.from_batch(b) for b in batches])
    end = T0 + 86_400
    expected = legacy_v4.buckets(path, VIN, SIGNALS[0], T0, end, max_points=24)
    points = legacy_v4.points(path, VIN, SIGNALS[0])
    with sqlite3.connect(path) as conn:
        latest = {r[0]: (r[1] // 1000 / 1000, r[2]) for r in conn.execute(
            "SELECT signal, ts_us, value FROM latest")}  # fmt: skip
        if version < 4:
            conn.executescript(
                _MS_KEYED.format(table="samples", key="vin, signal, ts_ms")
                + _MS_KEYED.format(table="latest", key="vin, signal")
                + _OLD_SCHEMA[version]
                + f"PRAGMA user_version = {version};"
            )
    again = SqliteStore.open(f"sqlite:///{path}")
    got = again.downsample(VIN, SIGNALS[0], T0, end, max_points=24)
    assert [(b.start, b.count, b.min, b.max, b.last) for b in got] == [
        (at, n, lo, hi, last) for at, n, lo, hi, _mean, last in expected
    ]
    assert [(p.ts, p.value) for p in again.query(VIN, SIGNALS[0], T0, end)] == points
    assert {n: (p.ts, p.value) for n, p in again.latest(VIN).items()} == latest
    assert again.count() == 50 * 30
    assert again.write_batch(batches[0]) is False
    assert again.write_batch(make_batch(VIN, 50, n=30, t0=T0 + 50 * 97))
    assert again.write_dtc_report(make_dtc_report(VIN, T0))
    again.close()
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
