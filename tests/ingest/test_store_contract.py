"""The contract every ``TelemetryStore`` backend keeps, run against each backend.

Backends: SQLite in a file and in memory; InfluxDB 1.6 (``influxd`` started by the session,
a database per test, v1 write, InfluxQL reads); and, when INFLUXDB_V2_URL and
INFLUXDB_V2_TOKEN are set (plus INFLUXDB_V2_ORG), a user's own InfluxDB 2/3 through the v2
write API, a fresh bucket per test (``InfluxDB2Env``).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.open import open_store
from ingest.store import Point, Retention, TelemetryStore
from pitstop.codec import Sample, Series, TelemetryBatch, TelemetryColumns
from tests.ingest.helpers import SIGNALS, T0, VIN, VIN2, make_batch, make_dtc_report
from tests.ingest.real_log import spool_log
from tests.ingest.servers_influx import InfluxDB1, InfluxDB2Env

BACKENDS = ["sqlite-file", "sqlite-memory", "influxdb-1.6", "influxdb-v2-env"]


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    server = InfluxDB1(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.kill()


def _url(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    db = "t" + uuid.uuid4().hex[:12]
    if backend == "sqlite-file":
        return f"sqlite:///{tmp / 'telemetry.db'}"
    if backend == "sqlite-memory":
        return "sqlite://"
    if backend == "influxdb-1.6":
        server: InfluxDB1 = request.getfixturevalue("influxd")
        return server.url(db)
    base, token = os.environ.get("INFLUXDB_V2_URL"), os.environ.get("INFLUXDB_V2_TOKEN")
    if not (base and token):
        pytest.skip("set INFLUXDB_V2_URL and INFLUXDB_V2_TOKEN to run against your InfluxDB 2/3")
    own = InfluxDB2Env(base, token, os.environ.get("INFLUXDB_V2_ORG", "-"))
    request.addfinalizer(own.drop)
    return own.url(db)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    if request.param.startswith("influx"):
        request.applymarker(pytest.mark.integration)
    opened = open_store(_url(request.param, tmp_path, request))
    yield opened
    opened.close()


def test_a_batch_is_stored_once_per_vin_and_seq(store: TelemetryStore) -> None:
    batch = make_batch(VIN, 1, n=9)
    assert store.write_batch(batch) is True
    assert store.write_batch(batch) is False
    # same (vin, seq) with other samples: still refused, nothing of it written
    assert store.write_batch(make_batch(VIN, 1, n=9, t0=T0 + 500)) is False
    assert store.count() == 9
    assert store.count(VIN) == 9
    assert store.count(VIN2) == 0


def test_a_sample_is_stored_once_per_series_and_time(store: TelemetryStore) -> None:
    first = make_batch(VIN, 1, n=6)
    # a re-sent batch under a new seq (a gateway that lost its counter) adds nothing twice
    resent = TelemetryBatch(VIN, 2, first.profile, first.samples)
    assert store.write_batch(first)
    assert store.write_batch(resent)
    assert store.count(VIN) == 6
    points = store.query(VIN, SIGNALS[0], T0, T0 + 10)
    assert [p.value for p in points] == [100.0, 103.0]  # the first value is kept


def test_latest_keeps_the_newest_value_whatever_the_arrival_order(store: TelemetryStore) -> None:
    newer = TelemetryBatch(VIN, 2, "p", (Sample("Vehicle.Speed", T0 + 20, 50.0),))
    older = TelemetryBatch(VIN, 1, "p", (Sample("Vehicle.Speed", T0 + 10, 10.0),))
    other = TelemetryBatch(VIN2, 1, "p", (Sample("Vehicle.Speed", T0 + 30, 99.0),))
    for batch in (newer, older, other):
        store.write_batch(batch)
    assert store.latest(VIN) == {"Vehicle.Speed": Point(T0 + 20, 50.0)}
    assert store.latest(VIN2) == {"Vehicle.Speed": Point(T0 + 30, 99.0)}
    assert store.latest("PITSTOPDEMO000009") == {}


def test_query_bounds_are_start_inclusive_end_exclusive(store: TelemetryStore) -> None:
    samples = tuple(Sample("Vehicle.Speed", T0 + i * 0.5, float(i)) for i in range(10))
    store.write_batch(TelemetryBatch(VIN, 1, "p", samples))
    points = store.query(VIN, "Vehicle.Speed", T0 + 1.0, T0 + 3.0)
    assert points == [Point(T0 + 1.0, 2.0), Point(T0 + 1.5, 3.0), Point(T0 + 2.0, 4.0),
                      Point(T0 + 2.5, 5.0)]  # fmt: skip
    assert store.query(VIN, "Vehicle.Speed", T0 + 1.001, T0 + 1.5) == []
    assert len(store.query(VIN, "Vehicle.Speed", T0, T0 + 100, limit=3)) == 3
    assert store.query(VIN, "Vehicle.Speed", T0, T0 + 100, limit=3)[0] == Point(T0, 0.0)
    assert store.query(VIN, "Vehicle.Speed", float("-inf"), float("inf"))[-1].value == 9.0
    assert store.query(VIN, "Vehicle.Other", T0, T0 + 100) == []
    assert store.query(VIN2, "Vehicle.Speed", T0, T0 + 100) == []


def test_query_returns_oldest_first_whatever_the_write_order(store: TelemetryStore) -> None:
    store.write_batch(TelemetryBatch(VIN, 2, "p", (Sample("Vehicle.Speed", T0 + 2, 2.0),)))
    store.write_batch(TelemetryBatch(VIN, 1, "p", (Sample("Vehicle.Speed", T0 + 1, 1.0),)))
    assert [p.value for p in store.query(VIN, "Vehicle.Speed", T0, T0 + 10)] == [1.0, 2.0]


def test_signals_are_sorted_per_vehicle(store: TelemetryStore) -> None:
    store.write_batch(make_batch(VIN, 1))
    store.write_batch(TelemetryBatch(VIN2, 1, "p", (Sample("Vehicle.Zeta", T0, 1.0),)))
    assert store.signals(VIN) == sorted(SIGNALS)
    assert store.signals(VIN2) == ["Vehicle.Zeta"]
    assert store.signals("PITSTOPDEMO000009") == []


def test_vehicles_span_their_samples_and_carry_the_latest_profile(store: TelemetryStore) -> None:
    store.write_batch(TelemetryBatch(VIN2, 1, "old", (Sample("Vehicle.Speed", T0 + 5, 1.0),)))
    store.write_batch(TelemetryBatch(VIN2, 3, "new", (Sample("Vehicle.Speed", T0 + 9, 1.0),)))
    store.write_batch(TelemetryBatch(VIN2, 2, "old", (Sample("Vehicle.Speed", T0 + 2, 1.0),)))
    store.write_batch(make_batch(VIN, 1, n=3))
    store.write_batch(TelemetryBatch("PITSTOPDEMO000003", 1, "p", ()))  # no samples, no vehicle
    vehicles = store.vehicles()
    assert [v.vin for v in vehicles] == [VIN, VIN2]
    assert (vehicles[1].profile, vehicles[1].first_seen, vehicles[1].last_seen) == (
        "new",
        T0 + 2,
        T0 + 9,
    )


def test_dead_letters_are_kept_whole_newest_first(store: TelemetryStore) -> None:
    payloads = [b"\x00\xffnot json", b"{}", bytes(range(256))]
    for i, payload in enumerate(payloads):
        store.write_dead_letter(f"pitstop/v1/{VIN}/telemetry", payload, f"reason {i}", T0 + i)
    letters = store.dead_letters()
    assert [d.payload for d in letters] == payloads[::-1]
    assert [d.reason for d in letters] == ["reason 2", "reason 1", "reason 0"]
    assert letters[0].received_at == T0 + 2
    assert letters[0].topic == f"pitstop/v1/{VIN}/telemetry"
    assert len(store.dead_letters(limit=2)) == 2
    assert store.count() == 0


def test_a_dead_letter_is_kept_once_per_topic_and_payload(store: TelemetryStore) -> None:
    topic = f"pitstop/v1/{VIN}/telemetry"
    assert store.write_dead_letter(topic, b"bad", "r", T0, "undecodable") is True
    assert store.write_dead_letter(topic, b"bad", "r again", T0 + 5, "undecodable") is False
    assert store.write_dead_letter(f"pitstop/v1/{VIN2}/telemetry", b"bad", "r", T0 + 1) is True
    assert store.write_dead_letter(topic, b"bad!", "r", T0 + 2, "time") is True
    assert len(store.dead_letters()) == 3
    assert [(d.vin, d.reason) for d in store.dead_letters(vin=VIN)] == [(VIN, "r"), (VIN, "r")]


def test_dead_letters_are_found_deleted_and_summarised(store: TelemetryStore) -> None:
    topic = f"pitstop/v1/{VIN}/telemetry"
    for i in range(3):
        store.write_dead_letter(topic, b"p%d" % i, f"VIN differs {i}", T0 + i, "vin_mismatch")
    store.write_dead_letter(topic, b"late", "too new", T0 + 7, "time")
    store.write_dead_letter(f"pitstop/v1/{VIN2}/dtc", b"x", "undecodable", T0 + 3, "undecodable")
    store.write_dead_letter("not/a/topic", b"y", "not under", T0 + 4, "topic")
    summary = [(c.vin, c.reason, c.count, c.last_at) for c in store.dead_letter_summary()]
    assert summary == [
        ("", "topic", 1, T0 + 4),
        (VIN, "time", 1, T0 + 7),
        (VIN, "vin_mismatch", 3, T0 + 2),
        (VIN2, "undecodable", 1, T0 + 3),
    ]
    newest = store.dead_letters(limit=1, vin=VIN)[0]
    found = store.dead_letter(newest.id)
    assert found == newest
    assert (found.payload, found.code, found.vin) == (b"late", "time", VIN)
    assert store.delete_dead_letters([newest.id]) == 1
    assert store.dead_letter(newest.id) is None
    assert store.delete_dead_letters([newest.id]) == 0
    assert len(store.dead_letters()) == 5


def test_a_writer_and_readers_at_once(store: TelemetryStore) -> None:
    atomic = not type(store).__name__.startswith("Influx")
    batches = 200
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for seq in range(batches):
                store.write_batch(make_batch(VIN, seq, n=30))
        finally:
            done.set()

    def read() -> None:
        seen = 0
        try:
            while not done.is_set():
                now = store.count(VIN)
                assert now >= seen  # counts never go backwards
                # SQLite: a batch is visible whole or not at all (InfluxDB has no transactions)
                assert now % 30 == 0 or not atomic
                seen = now
                store.latest(VIN)
                store.query(VIN, SIGNALS[0], T0, T0 + batches)
                store.vehicles()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert store.count(VIN) == batches * 30
    assert len(store.query(VIN, SIGNALS[0], T0, T0 + batches)) == batches * 10


def _ten_hz(seconds: int, t0: float = T0) -> list[TelemetryColumns]:
    """A 10 Hz signal in one-minute batches whose value is its sample number."""
    batches = []
    for seq, first in enumerate(range(0, seconds * 10, 600)):
        n = range(first, min(first + 600, seconds * 10))
        ts = [round(t0 * 1000) + i * 100 for i in n]
        batches.append(TelemetryColumns(VIN, seq, "p", {"S": Series(ts, [float(i) for i in n])}))
    return batches


def test_write_batches_stores_each_batch_once(store: TelemetryStore) -> None:
    batches = _ten_hz(300)
    assert store.write_batches([*batches[:2], batches[0]]) == [True, True, False]
    assert store.write_batches(batches) == [False, False, True, True, True]
    assert store.count(VIN) == 3000


def test_query_pages_walk_the_range_once(store: TelemetryStore) -> None:
    store.write_batches(_ten_hz(60))
    seen: list[Point] = []
    page = store.query_page(VIN, "S", T0, T0 + 60, limit=250)
    while True:
        seen += page.points
        if page.cursor is None:
            break
        page = store.query_page(VIN, "S", T0, T0 + 60, limit=250, cursor=page.cursor)
    assert [p.value for p in seen] == [float(i) for i in range(600)]


@pytest.mark.parametrize("seconds", [120, 7200])  # raw buckets of 3 s; 3-minute rollups
def test_downsampling_agrees_with_the_raw_samples(store: TelemetryStore, seconds: int) -> None:
    store.write_batches(_ten_hz(seconds))
    buckets = store.downsample(VIN, "S", T0, T0 + seconds, max_points=40)
    assert len(buckets) == 40
    width_ms = seconds * 1000 // 40
    raw = store.query(VIN, "S", T0, T0 + seconds, limit=100_000)
    groups: dict[int, list[float]] = {}
    for p in raw:
        groups.setdefault(round((p.ts - T0) * 1000) // width_ms, []).append(p.value)
    for i, bucket in enumerate(buckets):
        values = groups[i]
        assert bucket.start == pytest.approx(T0 + i * width_ms / 1000)
        assert (bucket.count, bucket.min, bucket.max, bucket.last) == (
            len(values),
            min(values),
            max(values),
            values[-1],
        )
        assert bucket.mean == pytest.approx(sum(values) / len(values))


def test_retention_deletes_old_raw_samples(store: TelemetryStore) -> None:
    store.write_batches(_ten_hz(120))
    now = T0 + 60 + 2 * 86_400
    deleted = store.apply_retention(Retention(raw_days=2, minute_days=None), now)
    assert deleted["raw"] == 600
    assert store.count(VIN) == 600
    assert store.query(VIN, "S", T0, T0 + 200)[0].value == 600.0


def test_names_that_need_escaping_round_trip(store: TelemetryStore) -> None:
    names = ["A B", "a,b", "a=b", 'say "hi"', "back\\slash", "it's"]
    store.write_batch(
        TelemetryBatch(
            VIN, 1, 'p "x", y=z', tuple(Sample(n, T0, float(i)) for i, n in enumerate(names))
        )
    )
    assert store.signals(VIN) == sorted(names)
    assert {n: p.value for n, p in store.latest(VIN).items()} == {
        n: float(i) for i, n in enumerate(names)
    }
    assert store.vehicles()[0].profile == 'p "x", y=z'


def test_dtc_reports_are_kept_once_per_vin_time_and_source(store: TelemetryStore) -> None:
    first = make_dtc_report(VIN, T0 + 10.5, seq=3)
    assert store.write_dtc_report(first) is True
    assert store.write_dtc_report(first) is False  # redelivered
    one_source = make_dtc_report(VIN, T0 + 10.5, source="j1939:0x00", codes=0)
    assert store.write_dtc_report(one_source) is True  # same moment, another source
    assert store.write_dtc_report(make_dtc_report(VIN2, T0 + 10.5)) is True
    assert store.dtc_history(VIN, T0, T0 + 60) in ([first, one_source], [one_source, first])
    assert store.dtc_history(VIN2, T0, T0 + 60) == [make_dtc_report(VIN2, T0 + 10.5)]


def test_dtc_history_is_a_time_range_oldest_first(store: TelemetryStore) -> None:
    reports = [make_dtc_report(VIN, T0 + t, seq=t, codes=t % 3) for t in (30, 10, 20, 40)]
    for report in reports:
        store.write_dtc_report(report)
    history = store.dtc_history(VIN, T0 + 10, T0 + 40)  # start inclusive, end exclusive
    assert [r.ts for r in history] == [T0 + 10, T0 + 20, T0 + 30]
    assert history[0] == reports[1]  # every field back as written
    assert store.dtc_history(VIN, T0, float("inf"), limit=2) == [reports[1], reports[2]]
    assert store.dtc_history(VIN2, T0, T0 + 100) == []


# --- no two samples merge ------------------------------------------------------------------------


def test_two_samples_of_a_signal_in_one_millisecond_are_two_samples(
    store: TelemetryStore,
) -> None:
    ms = T0 + 0.010  # 10.1 ms and 10.4 ms after T0 both round to 10 ms
    samples = (
        Sample("S", T0 + 0.0101, 1.0),
        Sample("Other", T0 + 0.0102, 7.0),  # the same millisecond, another signal
        Sample("S", T0 + 0.0104, 2.0),
        Sample("S", T0 + 0.011, 3.0),
    )
    batch = TelemetryBatch(VIN, 1, "p", samples)
    assert store.write_batch(batch)
    assert store.count(VIN) == 4
    assert store.query(VIN, "S", T0, T0 + 1) == [Point(ms, 1.0), Point(ms, 2.0),
                                                  Point(T0 + 0.011, 3.0)]  # fmt: skip
    assert store.query(VIN, "S", T0 + 0.010, T0 + 0.011) == [Point(ms, 1.0), Point(ms, 2.0)]
    assert store.query(VIN, "S", T0 + 0.0101, T0 + 1) == [Point(T0 + 0.011, 3.0)]
    assert store.latest(VIN)["S"] == Point(T0 + 0.011, 3.0)
    # redelivered, or re-sent under a new seq: every sample has the same key again
    assert store.write_batch(batch) is False
    assert store.write_batch(TelemetryBatch(VIN, 2, "p", samples))
    assert store.count(VIN) == 4
    buckets = store.downsample(VIN, "S", T0, T0 + 1, max_points=1000)
    assert [b.start for b in buckets] == pytest.approx([ms, T0 + 0.011])
    assert [(b.count, b.min, b.max, b.last) for b in buckets] == [(2, 1.0, 2.0, 2.0),
                                                                  (1, 3.0, 3.0, 3.0)]  # fmt: skip


def test_the_latest_of_a_millisecond_is_its_last_sample(store: TelemetryStore) -> None:
    samples = (Sample("S", T0 + 5.0001, 1.0), Sample("S", T0 + 5.0002, 2.0))
    store.write_batch(TelemetryBatch(VIN, 1, "p", samples))
    assert store.latest(VIN) == {"S": Point(T0 + 5, 2.0)}


def test_pages_never_cut_between_samples_of_one_millisecond(store: TelemetryStore) -> None:
    # five samples in each of 20 milliseconds; pages of 3 end inside a millisecond
    samples = tuple(Sample("S", T0 + m / 1000 + k / 10_000, m * 5 + k) for m in range(20)
                    for k in range(5))  # fmt: skip
    store.write_batch(TelemetryBatch(VIN, 1, "p", samples))
    seen: list[Point] = []
    page = store.query_page(VIN, "S", T0, T0 + 1, limit=3)
    while True:
        seen += page.points
        if page.cursor is None:
            break
        page = store.query_page(VIN, "S", T0, T0 + 1, limit=3, cursor=page.cursor)
    assert [p.value for p in seen] == [float(i) for i in range(100)]
    assert seen[7] == Point(T0 + 0.001, 7.0)  # the time is the millisecond the car sent


def test_the_same_millisecond_in_another_batch_is_a_copy(store: TelemetryStore) -> None:
    """The gateway never splits one millisecond of one signal across batches (the reader's
    test checks it), so another batch with a sample there is a copy, not a new sample."""
    store.write_batch(TelemetryBatch(VIN, 1, "p", (Sample("S", T0 + 0.0101, 1.0),)))
    store.write_batch(TelemetryBatch(VIN, 2, "p", (Sample("S", T0 + 0.0101, 1.0),)))
    assert store.count(VIN) == 1


def test_a_real_100_hz_log_is_stored_sample_for_sample(
    store: TelemetryStore, tmp_path: Path, shared_data: Path
) -> None:
    """canmod_gps.log: its 100 Hz IMU frame twice in one millisecond, seven signals each."""
    css = shared_data / "logs" / "css"
    spooled = spool_log(
        tmp_path, css / "canmod_gps.log", shared_data / "dbc" / "css" / "canmod_gps.dbc", VIN
    )
    assert spooled.repeats() >= 7  # what a (signal, millisecond) key merged
    batches = spooled.columns()
    assert sum(b.sample_count for b in batches) == spooled.samples
    assert all(store.write_batches(batches[i : i + 50]) for i in range(0, len(batches), 50))
    assert store.count(VIN) == spooled.samples
    assert not any(store.write_batches(batches))  # redelivered: nothing more
    assert store.count(VIN) == spooled.samples
    sent = [(ms / 1000, v) for b in batches for ms, v in zip(*_imu(b), strict=True)]
    stored = store.query(VIN, "gnss_imu.AccelerationX", 0, float("inf"), limit=1_000_000)
    assert [(p.ts, p.value) for p in stored] == sorted(sent, key=lambda p: p[0])


def _imu(batch: TelemetryColumns) -> tuple[list[int], list[float]]:
    series = batch.series.get("gnss_imu.AccelerationX", Series([], []))
    return series.ts_ms, series.values
