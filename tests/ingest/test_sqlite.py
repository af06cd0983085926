"""What the SQLite backend adds to the contract: URLs, files, WAL, errors."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from ingest.sqlite import SqliteStore
from ingest.store import StoreError, open_store
from pitstop.errors import ConfigError
from tests.ingest.helpers import VIN, make_batch


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
