from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from jobs.model import JobDraft, Severity
from jobs.store import JobStore
from tests.api.conftest import HOSTILE, LV, NOW, VIN_A, VIN_B, Fleet


def test_jobs_newest_first_with_their_workshop(client: TestClient, fleet: Fleet) -> None:
    jobs = client.get("/jobs").json()
    assert [j["id"] for j in jobs] == [fleet.hostile_job.id, fleet.battery_job.id]
    hostile, battery = jobs
    assert battery == {
        "id": fleet.battery_job.id,
        "vin": VIN_A,
        "rule_id": "lv-battery-low",
        "title": "12 V battery voltage low",
        "severity": "warning",
        "status": "proposed",
        "workshop": {"id": fleet.workshop.id, "name": "Garage Nord"},
        "fired_at": NOW - 10,
        "created_at": NOW - 9,
        "slot_start": battery["slot_start"],
        "slot_end": battery["slot_end"],
        "outcome": None,
        "comeback_of": None,
        "due_at": None,
        "escalated_at": None,
    }
    assert hostile["workshop"] is None
    assert hostile["title"] == HOSTILE  # JSON carries it as it is; pages escape it


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"vin": VIN_B}, ["hostile"]),
        ({"status": "proposed"}, ["hostile", "battery"]),
        ({"status": "completed"}, []),
        ({"workshop_id": "WORKSHOP"}, ["battery"]),
        ({"vin": VIN_A, "workshop_id": "WORKSHOP"}, ["battery"]),
    ],
)
def test_job_filters(
    client: TestClient, fleet: Fleet, params: dict[str, str], expected: list[str]
) -> None:
    ids = {"hostile": fleet.hostile_job.id, "battery": fleet.battery_job.id}
    query = {k: str(fleet.workshop.id) if v == "WORKSHOP" else v for k, v in params.items()}
    jobs = client.get("/jobs", params=query).json()
    assert [j["id"] for j in jobs] == [ids[name] for name in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"vin": "nope"}, "vin"),
        ({"status": "lost"}, "status"),
        ({"workshop_id": "x"}, "workshop_id"),
    ],
)
def test_bad_job_filter_is_422(client: TestClient, params: dict[str, str], field: str) -> None:
    response = client.get("/jobs", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_one_job_has_diagnosis_and_evidence(client: TestClient, fleet: Fleet) -> None:
    job = client.get(f"/jobs/{fleet.battery_job.id}").json()
    assert job["title"] == "12 V battery voltage low"
    assert job["workshop"] == {"id": fleet.workshop.id, "name": "Garage Nord"}
    assert job["diagnosis"]["summary"] == "The 12 V battery no longer holds charge."
    assert job["diagnosis"]["parts"] == [{"name": "12 V AGM battery", "quantity": 1}]
    assert job["diagnosis"]["labour_hours"] == 0.5
    trigger = job["evidence"]["trigger"]
    assert trigger["signal"] == LV
    assert trigger["fired_at"] == NOW - 10
    assert trigger["hold"] == "20s"  # fields the rules add pass through
    window = job["evidence"]["window"][LV]
    assert len(window) == 40
    assert window[0] == [NOW - 400, 12.4]


@pytest.mark.parametrize(("job_id", "status"), [("999", 404), ("0", 422), ("x", 422)])
def test_missing_or_bad_job_id(client: TestClient, job_id: str, status: int) -> None:
    response = client.get(f"/jobs/{job_id}")
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "no job 999"}


def test_workshops(client: TestClient, fleet: Fleet) -> None:
    assert client.get("/workshops").json() == [
        {
            "id": fleet.workshop.id,
            "name": "Garage Nord",
            "location": "Hamburg",
            "skills": ["electrical", "cooling"],
            "bays": 1,
            "hours": [{"weekday": d, "opens": 8.0, "closes": 17.0} for d in range(5)],
            "timezone": "UTC",
            "kind": "own",
            "brands": [],
            "high_voltage": False,
            "standing": {
                "score": 4.0,
                "ratings": 0,
                "comeback_rate": 0.0,
                "fixed": 0,
                "comebacks": 0,
            },
        }
    ]


def test_a_malformed_job_shows_what_it_can(client: TestClient, job_store: JobStore) -> None:
    draft = JobDraft(
        vin=VIN_A,
        rule_id="hand-written",
        title="Written by hand",
        severity=Severity.WARNING,
        fired_at=NOW,
        diagnosis={"summary": 5, "parts": "a wheel"},
        evidence={
            "trigger": {"value": math.nan, "since": "yesterday"},
            "window": {"a": [[1, math.nan], [2, 3], "x", [True, 1]], "b": "bad"},
        },
    )
    job, _ = job_store.open_job(draft, None, now=NOW)
    response = client.get(f"/jobs/{job.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["diagnosis"]["summary"] == ""
    assert body["evidence"]["trigger"] == {
        "signal": None,
        "condition": None,
        "hold_s": None,
        "since": None,
        "fired_at": None,
        "value": None,
    }
    assert body["evidence"]["window"] == {"a": [[2.0, 3.0]]}
    assert client.get(f"/jobs/{job.id}/page").status_code == 200


def test_a_job_shows_its_trouble_codes_odometer_profile_and_forecast(
    client: TestClient, job_store: JobStore
) -> None:
    code = {
        "code": "P0562",
        "protocol": "obd",
        "ecu": 0x7E8,
        "status": ["confirmed"],
        "description": "12 V system voltage too low",
        "occurrences": 1,
        "freeze_frame": {"voltage": 11.6},
    }
    draft = JobDraft(
        vin=VIN_A,
        rule_id="lv-forecast",
        title="12 V forecast",
        severity=Severity.WARNING,
        fired_at=NOW,
        evidence={
            "trigger": {"signal": LV, "value": 12.1},
            "window": {},
            "dtcs": [code],
            "odometer_km": 5015.5,
            "profile_hash": "3f9a1c2b7d4e",
            "forecast": {"limit": 11.8, "eta_s": 777600.0},
            "broken": math.nan,
        },
    )
    job, _ = job_store.open_job(draft, None, now=NOW)

    evidence = client.get(f"/jobs/{job.id}").json()["evidence"]

    assert evidence["dtcs"] == [code]
    assert evidence["odometer_km"] == 5015.5
    assert evidence["profile_hash"] == "3f9a1c2b7d4e"
    assert evidence["forecast"] == {"limit": 11.8, "eta_s": 777600.0}
    assert "broken" not in evidence  # not JSON a client could read
    page = client.get(f"/jobs/{job.id}/page").text
    assert "P0562" in page
    assert "12 V system voltage too low" in page
    assert "5,015.5 km" in page
