"""Schema 5 (packed chunks) answers as schema 4 (one row per sample) did, over a real log.

canmod_gps.log through the gateway, with what makes the keys hard: a 100 Hz frame twice in one
millisecond, batches redelivered, copies re-sent under new sequence numbers, batches out of
order. The same batches go into a schema 4 file (``tests.ingest.legacy_v4``) and into a new
store; the schema 4 file is then upgraded. Both must give schema 4's samples and buckets.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.sqlite import SqliteStore
from ingest.sqlite_schema import SCHEMA_VERSION
from ingest.store import Retention
from pitstop.codec import TelemetryColumns
from tests.ingest import legacy_v4
from tests.ingest.real_log import spool_log

VIN = "1HGCM82633A004352"
_WIDTHS = (1, 3, 20, 200, 2_000, 20_000)  # max_points: one bucket up to finer than a chunk


def _traffic(batches: list[TelemetryColumns]) -> list[TelemetryColumns]:
    """The batches as a flaky link delivers them."""
    copies = [replace(b, seq=b.seq + 1_000_000) for b in batches[30:45]]  # same samples
    late = batches[60:70][::-1]
    rest = [b for b in batches if b not in late]
    return rest[:50] + late + batches[:20] + rest[50:] + copies


@pytest.fixture
def stores(tmp_path: Path, shared_data: Path) -> tuple[list[SqliteStore], Path]:
    css = shared_data / "logs" / "css"
    spooled = spool_log(
        tmp_path, css / "canmod_gps.log", shared_data / "dbc" / "css" / "canmod_gps.dbc", VIN
    )
    assert spooled.repeats() >= 7
    sent = _traffic(spooled.columns())
    old = tmp_path / "v4.db"
    legacy_v4.write_v4(old, sent)
    fresh = SqliteStore.open(f"sqlite:///{tmp_path / 'v5.db'}")
    for i in range(0, len(sent), 25):
        fresh.write_batches(sent[i : i + 25])
    (tmp_path / "upgraded.db").write_bytes(old.read_bytes())
    upgraded = SqliteStore.open(f"sqlite:///{tmp_path / 'upgraded.db'}")
    with sqlite3.connect(tmp_path / "upgraded.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    return [fresh, upgraded], old


def _same_buckets(store: SqliteStore, old: Path, signal: str, start: float, end: float) -> None:
    for max_points in _WIDTHS:
        got = store.downsample(VIN, signal, start, end, max_points=max_points)
        want = legacy_v4.buckets(old, VIN, signal, start, end, max_points=max_points)
        assert len(got) == len(want), max_points
        for g, (at, n, lo, hi, mean, last) in zip(got, want, strict=True):
            assert (g.start, g.count, g.min, g.max, g.last) == (at, n, lo, hi, last)
            assert g.mean == pytest.approx(mean, rel=1e-9, abs=1e-9)


def test_samples_latest_and_buckets_are_schema_4s(
    stores: tuple[list[SqliteStore], Path],
) -> None:
    both, old = stores
    with sqlite3.connect(old) as conn:
        total = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        latest = {r[0]: (r[1] // 1000 / 1000, r[2]) for r in conn.execute(
            "SELECT signal, ts_us, value FROM latest")}  # fmt: skip
    signals = sorted(latest)
    for store in both:
        assert store.count() == store.count(VIN) == total
        assert store.signals(VIN) == signals
        assert {n: (p.ts, p.value) for n, p in store.latest(VIN).items()} == latest
        for signal in signals:
            want = legacy_v4.points(old, VIN, signal)
            got = store.query(VIN, signal, 0, float("inf"), limit=10_000_000)
            assert [(p.ts, p.value) for p in got] == want
            start, end = want[0][0], want[-1][0] + 0.001
            middle = (start + end) / 2
            part = store.query(VIN, signal, middle, end, limit=37)
            assert [(p.ts, p.value) for p in part] == [p for p in want if p[0] >= middle][:37]
            _same_buckets(store, old, signal, start, end)
            _same_buckets(store, old, signal, start + 1.2345, middle)


def test_pages_walk_every_sample_once(stores: tuple[list[SqliteStore], Path]) -> None:
    both, old = stores
    signal = "gnss_imu.AccelerationX"
    want = legacy_v4.points(old, VIN, signal)
    for store in both:
        got: list[tuple[float, float]] = []
        cursor = None
        while True:
            page = store.query_page(VIN, signal, 0, float("inf"), limit=997, cursor=cursor)
            got += [(p.ts, p.value) for p in page.points]
            if (cursor := page.cursor) is None:
                break
        assert got == want


def test_retention_keeps_the_buckets_of_what_it_drops(
    stores: tuple[list[SqliteStore], Path],
) -> None:
    """Raw samples before the cutoff leave; a bucket wider than a minute still counts them."""
    both, old = stores
    signal = "gnss_imu.AccelerationX"
    want = legacy_v4.points(old, VIN, signal)
    start, end = want[0][0], want[-1][0] + 0.001
    cutoff = start + 61.5
    for store in both:
        before = store.downsample(VIN, signal, start, end, max_points=1)
        stored = store.count()
        deleted = store.apply_retention(Retention(raw_days=1, minute_days=None), cutoff + 86_400)
        assert 0 < deleted["raw"] == stored - store.count()
        kept = store.query(VIN, signal, 0, float("inf"), limit=10_000_000)
        assert [(p.ts, p.value) for p in kept] == [p for p in want if p[0] >= cutoff]
        after = store.downsample(VIN, signal, start, end, max_points=1)
        assert [(b.start, b.count, b.min, b.max, b.last) for b in after] == [
            (b.start, b.count, b.min, b.max, b.last) for b in before
        ]
        assert after[0].mean == pytest.approx(before[0].mean)
