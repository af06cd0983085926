"""GET /vehicles/{vin}/export: CSV and Parquet hold exactly what the store holds over the range,
scoped like every vehicle route, bounded, and refusing bad ranges with a reason."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import export
from api.errors import InvalidInputError
from api.keys import Role
from api.timerange import TimeRange
from ingest.store import TelemetryStore
from pitstop.codec import Sample, TelemetryBatch
from tests.api.conftest import LV, NOW, SPEED, VIN_A, VIN_B, Fleet, bearer

SPAN = TimeRange(NOW - 3600, NOW)
RANGE = "from=2025-11-26T23:00:00Z&to=2025-11-27T00:00:00Z"
URL = f"/vehicles/{VIN_A}/export?signal={SPEED}&signal={LV}&{RANGE}"


def stored(
    telemetry: TelemetryStore, signals: list[str], span: TimeRange
) -> list[tuple[float, str, float]]:
    """What the store holds, read through its own query, in time order."""
    rows = [
        (p.ts, s, p.value)
        for s in signals
        for p in telemetry.query(VIN_A, s, span.start, span.end, limit=100_000)
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def test_csv_holds_every_sample_of_the_range_in_time_order(
    client: TestClient, telemetry: TelemetryStore
) -> None:
    answer = client.get(URL + "&format=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = stored(telemetry, [SPEED, LV], SPAN)
    assert len(expected) == 70  # 30 speed samples in the last half hour, 40 voltages
    got = [(float(r["ts"]), r["signal"], float(r["value"])) for r in rows]
    assert got == [(round(ts, 3), s, v) for ts, s, v in expected]
    for row in rows:  # the ISO time is the same instant as the epoch column
        moment = datetime.strptime(row["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert moment.timestamp() == pytest.approx(float(row["ts"]), abs=0.001)
    assert [r["time"] for r in rows[:1]] == ["2025-11-26T23:30:00.000Z"]


def test_parquet_holds_the_same_rows(client: TestClient, telemetry: TelemetryStore) -> None:
    answer = client.get(URL + "&format=parquet")
    assert answer.status_code == 200
    assert answer.content[:4] == b"PAR1"
    table = pq.read_table(io.BytesIO(answer.content))
    assert table.column_names == ["time", "ts", "signal", "value"]
    got = list(
        zip(
            table.column("ts").to_pylist(),
            [str(s) for s in table.column("signal").to_pylist()],
            table.column("value").to_pylist(),
            strict=True,
        )
    )
    assert got == stored(telemetry, [SPEED, LV], SPAN)
    times = table.column("time").to_pylist()
    assert [t.timestamp() for t in times] == pytest.approx([r[0] for r in got], abs=0.001)


def test_the_range_bounds_the_rows(client: TestClient, telemetry: TelemetryStore) -> None:
    narrow = TimeRange(NOW - 300, NOW - 100)
    answer = client.get(
        f"/vehicles/{VIN_A}/export?signal={LV}&from={narrow.start:.0f}&to={narrow.end:.0f}"
    )
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == len(stored(telemetry, [LV], narrow)) == 10  # NOW-300 to NOW-210
    assert all(narrow.start <= float(r["ts"]) < narrow.end for r in rows)


def test_scope_refuses_what_the_caller_may_not_see(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    with TestClient(app) as client:
        owner = bearer(secrets[Role.OWNER])  # sees VIN_A only
        assert client.get(URL, headers=owner).status_code == 200
        other = f"/vehicles/{VIN_B}/export?signal={SPEED}&{RANGE}"
        assert client.get(other, headers=owner).status_code == 404
        workshop = bearer(secrets[Role.WORKSHOP])  # no consent given: nothing of the car
        assert client.get(URL, headers=workshop).status_code == 404
        client.put(
            f"/vehicles/{VIN_A}/consent/{fleet.workshop.id}",
            json={"signals": [SPEED]},
            headers=owner,
        )
        speed_only = f"/vehicles/{VIN_A}/export?signal={SPEED}&{RANGE}"
        assert client.get(speed_only, headers=workshop).status_code == 200
        assert client.get(URL, headers=workshop).status_code == 404  # LV was not consented
        assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"signal={SPEED}&from=2025-11-27T00:00:00Z&to=2025-11-26T00:00:00Z", "from"),
        (f"signal={SPEED}&from=2025-10-01T00:00:00Z&to=2025-11-27T00:00:00Z", "from"),
        (f"signal={SPEED}&from=yesterday", "from"),
        (f"signal={SPEED}&{RANGE}&format=xlsx", "format"),
        (RANGE, "signal"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(client: TestClient, query: str, field: str) -> None:
    answer = client.get(f"/vehicles/{VIN_A}/export?{query}")
    assert answer.status_code == 422
    assert field in answer.text


def test_too_many_samples_are_refused_before_anything_is_sent(
    telemetry: TelemetryStore, fleet: Fleet
) -> None:
    with pytest.raises(InvalidInputError, match="at most 69"):
        export.check_size(telemetry, VIN_A, [SPEED, LV], SPAN, limit=69)
    assert export.check_size(telemetry, VIN_A, [SPEED, LV], SPAN, limit=70) == 70


def test_the_app_refuses_an_export_over_its_bound(
    client: TestClient, telemetry: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "MAX_POINTS", 10)  # the bound, not the thing under test
    answer = client.get(URL)
    assert answer.status_code == 422
    assert "choose a shorter range or fewer signals" in answer.text


def test_long_exports_page_through_the_store(telemetry: TelemetryStore) -> None:
    """More samples than a store page (and two in one millisecond): none lost, none merged."""
    vin = "WPITSTOPDEMO00003"
    base = NOW - 3000
    samples = [Sample(SPEED, base + i * 0.1, float(i)) for i in range(export.PAGE + 500)]
    samples.append(Sample(SPEED, base, -1.0))  # a second sample at the first one's time
    telemetry.write_batch(TelemetryBatch(vin, 1, "profile-c", tuple(samples)))
    rows = list(export.rows(telemetry, vin, [SPEED], TimeRange(base, NOW)))
    assert len(rows) == len(samples)
    assert sorted(v for _, _, v in rows) == sorted(s.value for s in samples)
    text = "".join(export.csv_chunks(rows))
    assert text.count("\n") == len(samples) + 1
    parquet = b"".join(export.parquet_chunks(rows))
    assert pq.read_table(io.BytesIO(parquet)).num_rows == len(samples)
