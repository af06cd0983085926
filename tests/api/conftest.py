"""Real SQLite stores in tmp_path, filled through their public methods, and a client over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.open import open_store
from ingest.store import TelemetryStore
from jobs.model import Job, JobDraft, Severity, Workshop
from jobs.open import open_job_store
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch

NOW = 1_764_201_600.0  # 2025-11-27T00:00:00Z, the clock every test app runs on
VIN_A = "WPITSTOPDEMO00001"
VIN_B = "WPITSTOPDEMO00002"
VIN_UNKNOWN = "WPITSTOPDEMO00099"
SPEED = "Vehicle.Speed"
LV = "Vehicle.LowVoltageBattery.CurrentVoltage"
HOSTILE = "<script>alert('pwned')</script> & more"


@dataclass(frozen=True)
class Fleet:
    """What the stores hold, for tests to compare responses with."""

    workshop: Workshop
    battery_job: Job
    hostile_job: Job


def fill_telemetry(store: TelemetryStore) -> None:
    speed = [Sample(SPEED, NOW - 1800 + 60 * i, float(i)) for i in range(30)]
    old = [Sample(SPEED, NOW - 2 * 86400, 99.0)]
    voltage = [Sample(LV, NOW - 600 + 10 * i, 12.4 - 0.02 * i) for i in range(40)]
    store.write_batch(TelemetryBatch(VIN_A, 1, "profile-a", (*old, *speed, *voltage)))
    store.write_batch(TelemetryBatch(VIN_B, 1, "profile-b", (Sample(SPEED, NOW - 30, 50.0),)))


def fill_jobs(store: JobStore) -> Fleet:
    workshop = store.add_workshop("Garage Nord", "Hamburg", ("electrical", "cooling"))
    window = [[NOW - 400 + 10 * i, 12.4 - 0.02 * i] for i in range(40)]  # up to fired_at
    battery, _ = store.open_job(
        JobDraft(
            vin=VIN_A,
            rule_id="lv-battery-low",
            title="12 V battery voltage low",
            severity=Severity.WARNING,
            fired_at=NOW - 10,
            diagnosis={
                "summary": "The 12 V battery no longer holds charge.",
                "likely_causes": ["12 V battery at end of life"],
                "checks": ["Load test of the 12 V battery"],
                "parts": [{"name": "12 V AGM battery", "quantity": 1}],
                "labour_hours": 0.5,
                "skills": ["electrical"],
            },
            evidence={
                "trigger": {
                    "signal": LV,
                    "condition": "< 11.8",
                    "hold_s": 20,
                    "hold": "20s",
                    "since": NOW - 30,
                    "fired_at": NOW - 10,
                    "value": 11.62,
                },
                "window": {LV: window},
            },
            required_skills=("electrical",),
        ),
        workshop.id,
        now=NOW - 9,
    )
    hostile, _ = store.open_job(
        JobDraft(
            vin=VIN_B,
            rule_id="coolant-temperature-high",
            title=HOSTILE,
            severity=Severity.CRITICAL,
            fired_at=NOW - 5,
            diagnosis={"summary": HOSTILE, "likely_causes": [HOSTILE]},
            evidence={"trigger": {"signal": HOSTILE, "value": 1}, "window": {HOSTILE: [[1, 2]]}},
        ),
        None,
        now=NOW - 4,
    )
    return Fleet(workshop=workshop, battery_job=battery, hostile_job=hostile)


@pytest.fixture
def telemetry(tmp_path: Path) -> Iterator[TelemetryStore]:
    store = open_store("sqlite:///" + str(tmp_path / "telemetry.db"))
    yield store
    store.close()


@pytest.fixture
def job_store(tmp_path: Path) -> Iterator[JobStore]:
    store = open_job_store("sqlite:///" + str(tmp_path / "jobs.db"))
    yield store
    store.close()


@pytest.fixture
def fleet(telemetry: TelemetryStore, job_store: JobStore) -> Fleet:
    fill_telemetry(telemetry)
    return fill_jobs(job_store)


@pytest.fixture
def key_store(tmp_path: Path, job_store: JobStore) -> Iterator[KeyStore]:
    store = KeyStore.open("sqlite:///" + str(tmp_path / "jobs.db"))
    yield store
    store.close()


def make_keys(keys: KeyStore, jobs: JobStore, workshop_id: int) -> dict[Role, str]:
    """One key per role: the workshop's is the battery job's; the owner sees VIN_A only; the
    fleet manager is the owner (in the job store) of both vehicles."""
    fleet_owner = jobs.add_owner("Fleet GmbH", "fleet")
    for vin in (VIN_A, VIN_B):
        jobs.register_vehicle(vin, fleet_owner.id)
    scopes: dict[Role, dict[str, object]] = {
        Role.WORKSHOP: {"workshop_id": workshop_id},
        Role.OWNER: {"vins": [VIN_A]},
        Role.FLEET_MANAGER: {"owner_id": fleet_owner.id},
    }
    return {
        role: keys.create(role.value, role, NOW, **scopes.get(role, {}))[1]  # type: ignore[arg-type]
        for role in Role
    }


@pytest.fixture
def secrets(key_store: KeyStore, job_store: JobStore, fleet: Fleet) -> dict[Role, str]:
    return make_keys(key_store, job_store, fleet.workshop.id)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(telemetry: TelemetryStore, job_store: JobStore, key_store: KeyStore) -> FastAPI:
    return create_app(telemetry, job_store, clock=lambda: NOW, keys=key_store)


@pytest.fixture
def client(app: FastAPI, secrets: dict[Role, str]) -> Iterator[TestClient]:
    """A client with the engineer's key (the whole fleet, read only)."""
    with TestClient(app, headers=bearer(secrets[Role.ENGINEER])) as test_client:
        yield test_client
