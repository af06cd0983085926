"""The presence half of the telemetry store: status, events, their bounds (SQLite; InfluxDB
1.6 started by the test for the same contract)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.influx import InfluxStore
from ingest.presence_model import PresenceLimits, RefusedError, clean_event, clean_status
from ingest.sqlite import SqliteStore
from ingest.store import TelemetryStore
from pitstop.messages import Event, Status
from tests.ingest.servers_influx import InfluxDB1

VIN = "PITSTOPDEMO000001"
T0 = 1_764_201_600.0


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.integration)])
def presence_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    if request.param == "sqlite":
        store: TelemetryStore = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
        yield store
        store.close()
        return
    server = InfluxDB1(tmp_path / "influxd")
    server.start()
    store = InfluxStore.open(server.url("presence"))
    try:
        yield store
    finally:
        store.close()
        server.kill()


def online(ts: float, **counters: int) -> Status:
    return Status(VIN, "online", "0.1.0", "3f9a1c2b7d4e", round(ts * 1000), counters)


def test_status_online_then_offline_and_a_retained_replay_changes_nothing(
    presence_store: TelemetryStore,
) -> None:
    store = presence_store
    assert store.vehicle_status(VIN) is None
    store.write_status(online(T0, frames=10), T0 + 1)
    store.write_status(online(T0 + 60, frames=99), T0 + 61)
    first = store.vehicle_status(VIN)
    assert first is not None
    assert (first.state, first.since, first.last_seen) == ("online", T0 + 1, T0 + 61)
    assert (first.version, first.profile, dict(first.counters)) == (
        "0.1.0",
        "3f9a1c2b7d4e",
        {"frames": 99},
    )
    will = Status(VIN, "offline", "0.1.0", "3f9a1c2b7d4e", round(T0 * 1000), {"frames": 0})
    store.write_status(will, T0 + 90)
    gone = store.vehicle_status(VIN)
    assert gone is not None
    assert (gone.state, gone.since, gone.last_seen) == ("offline", T0 + 90, T0 + 61)
    assert dict(gone.counters) == {"frames": 99}  # a will's counters are as old as the start
    store.write_status(will, T0 + 200, retained=True)  # the broker replays it: same state
    assert store.vehicle_status(VIN) == gone


def test_events_are_stored_once_filtered_by_type_and_time_newest_first(
    presence_store: TelemetryStore,
) -> None:
    store = presence_store
    a = Event(VIN, "spool_overflow", round(T0 * 1000), {"dropped": 3, "total": 3})
    b = Event(VIN, "capture", round(T0 * 1000) + 5000, {"name": "overheat"})
    c = Event(VIN, "capture", round(T0 * 1000) + 5000, {"name": "other"})  # same ms, other data
    assert [store.write_event(e, T0 + 10) for e in (a, b, c)] == [True, True, True]
    assert store.write_event(a, T0 + 20) is False  # a redelivery
    found = store.events(VIN, T0 - 1, T0 + 10)
    assert [e.type for e in found] == ["capture", "capture", "spool_overflow"]
    assert found[-1].data == {"dropped": 3, "total": 3}
    assert found[-1].ts == T0
    captures = store.events(VIN, T0, T0 + 10, ["capture"])
    assert sorted(e.data["name"] for e in captures) == ["other", "overheat"]
    assert store.events(VIN, T0 + 1, T0 + 10, ["spool_overflow"]) == []
    seen = store.vehicle_status(VIN)
    assert seen is not None
    assert seen.state == "unknown"
    assert seen.last_seen == T0 + 10


def test_sqlite_keeps_at_most_max_events_per_vehicle_and_drops_old_ones(tmp_path: Path) -> None:
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    store.presence_limits = PresenceLimits(max_events=5, retention_days=1)
    try:
        for i in range(12):
            store.write_event(Event(VIN, "plan", round(T0 * 1000) + i, {"i": i}), T0 + i)
        kept = store.events(VIN, 0, float("inf"))
        assert [e.data["i"] for e in kept] == [11, 10, 9, 8, 7]
        other = "PITSTOPDEMO000002"
        store.write_event(Event(other, "plan", round(T0 * 1000), {}), T0 + 2 * 86_400)
        assert len(store.events(VIN, 0, float("inf"))) == 5  # another car prunes only its own
        store.write_event(Event(VIN, "plan", round(T0 * 1000) + 99, {}), T0 + 2 * 86_400)
        assert [e.data for e in store.events(VIN, 0, float("inf"))] == [{}]  # retention
    finally:
        store.close()


def test_text_from_the_car_is_validated_and_bounded() -> None:
    limits = PresenceLimits(max_data_bytes=2_000, max_text=20)
    hostile = "<script>alert(1)</script>\x00\x1b[31m" + "x" * 500
    event = clean_event(Event(VIN, "capture", 1, {"name": hostile, hostile: [hostile] * 3}), limits)
    assert event.data["name"] == "<script>alert(1)</s…"  # cut, control characters gone
    assert all(len(k) <= 20 for k in event.data)
    huge = clean_event(Event(VIN, "plan", 1, {str(i): "y" * 20 for i in range(500)}), limits)
    assert huge.data["truncated"] is True
    assert huge.data["bytes"] > 2_000
    with pytest.raises(RefusedError):
        clean_event(Event(VIN, "Bad Type; DROP", 1, {}), limits)
    status = clean_status(
        Status(VIN, "online", "v" * 300, "p\x07" * 3, 1, {"ok": 1, "bad name": 2, "x" * 65: 3})
    )
    assert len(status.version) == 64
    assert status.profile == "ppp"
    assert dict(status.counters) == {"ok": 1}
