"""The contract every ``TelemetryStore`` backend keeps, run against each backend.

Add a backend by adding an entry to BACKENDS (an InfluxDB one would start its server in a
fixture and be marked ``integration``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.store import Point, TelemetryStore, open_store
from pitstop.codec import Sample, TelemetryBatch
from tests.ingest.helpers import SIGNALS, T0, VIN, VIN2, make_batch

BACKENDS: dict[str, Callable[[Path], str]] = {
    "sqlite-file": lambda tmp: f"sqlite:///{tmp / 'telemetry.db'}",
    "sqlite-memory": lambda _tmp: "sqlite://",
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    opened = open_store(BACKENDS[request.param](tmp_path))
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


def test_a_writer_and_readers_at_once(store: TelemetryStore) -> None:
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
                assert now % 30 == 0  # a batch is visible whole or not at all
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
