"""No input produces a 5xx: store failures are 503 with a message, anything else 4xx."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.store import TelemetryStore
from tests.api.conftest import SPEED, VIN_A


def test_a_broken_job_store_is_503_not_500(client: TestClient, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "jobs.db") as db:
        db.execute("DROP TABLE jobs")
    for path in ("/jobs", "/jobs/1", "/vehicles", f"/vehicles/{VIN_A}", "/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.json() == {
            "detail": "The job store is unavailable right now; please try again shortly."
        }


def test_a_closed_telemetry_store_is_503_not_500(
    client: TestClient, telemetry: TelemetryStore
) -> None:
    telemetry.close()
    for path in ("/vehicles", f"/vehicles/{VIN_A}/latest", f"/vehicles/{VIN_A}/signals/{SPEED}"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "telemetry store is unavailable" in response.json()["detail"]


segments = st.one_of(st.just(VIN_A), st.text(max_size=20).map(lambda s: quote(s, safe="")))
instants = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=30),
)


@st.composite
def vehicle_requests(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A path under /vehicles and its query: sometimes sensible, mostly not."""
    tail = draw(st.sampled_from(["", "/latest", "/signals", "/signals/{signal}"]))
    signal = draw(st.one_of(st.just(SPEED), segments))
    path = f"/vehicles/{draw(segments)}" + tail.format(signal=signal)
    query = {
        "from": draw(instants),
        "to": draw(instants),
        "limit": draw(st.one_of(st.none(), st.integers(), st.text(max_size=8))),
    }
    return path, {k: v for k, v in query.items() if v is not None}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=vehicle_requests())
def test_no_input_makes_a_5xx(client: TestClient, call: tuple[str, dict[str, object]]) -> None:
    path, params = call
    response = client.get(path, params=params)
    assert response.status_code < 500, (path, params, response.text)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    job_id=st.one_of(st.integers(), st.text(max_size=25).map(lambda s: quote(s, safe=""))),
    status=st.one_of(st.none(), st.text(max_size=12)),
    workshop=st.one_of(st.none(), st.integers().map(str)),
)
def test_no_job_query_makes_a_5xx(
    client: TestClient, job_id: int | str, status: str | None, workshop: str | None
) -> None:
    params = {k: v for k, v in {"status": status, "workshop_id": workshop}.items() if v is not None}
    assert client.get("/jobs", params=params).status_code < 500
    assert client.get(f"/jobs/{job_id}").status_code < 500
    assert client.get(f"/jobs/{job_id}/page").status_code < 500
