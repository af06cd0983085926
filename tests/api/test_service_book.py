"""The service-book routes with real stores: who reads and writes which book (owners theirs,
workshops with the owner's consent, engineers read only), the odometer filled in from the
car's data, CSV in (all or nothing, idempotent) and out, and the follow-up question."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.keys import Role
from ingest.store import TelemetryStore
from jobs.model import JobAction, Outcome
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch
from tests.api.conftest import NOW, VIN_A, VIN_B, Fleet, bearer

ODO = "Vehicle.TraveledDistance"
BOOK = f"/vehicles/{VIN_A}/service-book"
DAY = 86_400.0


def record(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "service",
        "done_on": "2025-11-26",
        "work": "Oil and filter <b>change</b>",
        "workshop": "Autohaus Süd",
        "parts": ["Oil filter"],
        "cost": 189.5,
        "currency": "EUR",
    }
    return {**body, **changes}


def as_role(client: TestClient, secrets: dict[Role, str], role: Role) -> dict[str, str]:
    return bearer(secrets[role])


@pytest.fixture
def odometer(telemetry: TelemetryStore) -> None:
    readings = (Sample(ODO, NOW - 2 * DAY, 40_900.0), Sample(ODO, NOW - 3600, 41_000.5))
    telemetry.write_batch(TelemetryBatch(VIN_A, 2, "profile-a", readings))


@pytest.mark.usefixtures("odometer")
def test_the_owner_adds_a_record_and_the_car_fills_in_the_odometer(
    client: TestClient, secrets: dict[Role, str]
) -> None:
    owner = bearer(secrets[Role.OWNER])
    added = client.post(BOOK, json=record(), headers=owner)
    assert added.status_code == 200, added.text
    body = added.json()
    assert (body["odometer_km"], body["source"], body["editable"]) == (41_000.5, "owner", True)
    older = client.post(BOOK, json=record(done_on="2025-11-25"), headers=owner).json()
    assert older["odometer_km"] == 40_900.0  # that day's reading, not the latest
    unknown = client.post(BOOK, json=record(done_on="2024-01-01"), headers=owner).json()
    assert unknown["odometer_km"] is None  # the car reported nothing that day
    given = client.post(BOOK, json=record(odometer_km=12.0), headers=owner).json()
    assert given["odometer_km"] == 12.0
    listed = client.get(BOOK, headers=owner).json()["records"]
    assert [r["done_on"] for r in listed][-1] == "2024-01-01"  # newest first
    assert len(listed) == 4


def test_engineers_read_every_book_and_change_none(
    client: TestClient, secrets: dict[Role, str]
) -> None:
    owner = bearer(secrets[Role.OWNER])
    client.post(BOOK, json=record(odometer_km=1.0), headers=owner)
    (seen,) = client.get(BOOK).json()["records"]  # the client's default key: the engineer's
    assert seen["editable"] is False
    assert client.post(BOOK, json=record()).status_code == 403
    assert client.delete(f"{BOOK}/{seen['id']}").status_code == 403


def test_an_owner_does_not_see_another_cars_book(
    client: TestClient, secrets: dict[Role, str]
) -> None:
    owner = bearer(secrets[Role.OWNER])
    other = f"/vehicles/{VIN_B}/service-book"
    assert client.get(other, headers=owner).status_code == 404
    assert client.post(other, json=record(), headers=owner).status_code == 404
    fleet_manager = bearer(secrets[Role.FLEET_MANAGER])
    assert client.get(other, headers=fleet_manager).status_code == 200


def test_a_workshop_needs_the_owners_consent_and_edits_only_its_own_records(
    client: TestClient, secrets: dict[Role, str], fleet: Fleet
) -> None:
    owner, shop = bearer(secrets[Role.OWNER]), bearer(secrets[Role.WORKSHOP])
    mine = client.post(BOOK, json=record(odometer_km=1.0), headers=owner).json()
    assert client.get(BOOK, headers=shop).status_code == 404  # no consent yet
    consent = f"/vehicles/{VIN_A}/consent/{fleet.workshop.id}"
    granted = client.put(consent, json={"signals": ["service-book"]}, headers=owner)
    assert granted.status_code == 200, granted.text
    assert client.get(BOOK, headers=shop).status_code == 200
    theirs = client.post(BOOK, json=record(odometer_km=2.0), headers=shop).json()
    assert (theirs["source"], theirs["workshop_id"]) == ("workshop", fleet.workshop.id)
    assert client.put(f"{BOOK}/{mine['id']}", json=record(), headers=shop).status_code == 403
    changed = client.put(f"{BOOK}/{theirs['id']}", json=record(odometer_km=3.0), headers=shop)
    assert changed.json()["odometer_km"] == 3.0
    assert client.get(f"/vehicles/{VIN_B}/service-book", headers=shop).status_code == 404
    assert client.delete(f"{BOOK}/{theirs['id']}", headers=owner).json() == {
        "id": theirs["id"],
        "deleted": True,
    }
    assert client.delete(f"{BOOK}/{theirs['id']}", headers=owner).status_code == 404
    client.put(consent, json={"signals": []}, headers=owner)
    assert client.get(BOOK, headers=shop).status_code == 404  # revoked


@pytest.mark.parametrize(
    "bad",
    [
        record(colour="red"),
        record(odometer_km=-1),
        record(kind="fuel"),
        record(done_on="26.11.2025"),
        record(currency="euro"),
        record(cost="12"),  # strict: a number, not a string
        record(done_on="2025-11-28"),  # ahead of the server's today (2025-11-27)
    ],
)
def test_a_record_that_does_not_fit_is_refused(
    client: TestClient, secrets: dict[Role, str], bad: dict[str, Any]
) -> None:
    answer = client.post(BOOK, json=bad, headers=bearer(secrets[Role.OWNER]))
    assert answer.status_code == 422


LUBELOGGER = (
    "Date,Odometer,Description,Notes,Cost,Tags\n"
    '1/15/2024,45210,Oil change,"5W-30, filter","$1,234.50",oil\n'
    "2/3/2024,46000,Winter tyre change,,$80.00,\n"
)


def test_a_csv_file_imports_once_and_exports_back(
    client: TestClient, secrets: dict[Role, str]
) -> None:
    owner = {**bearer(secrets[Role.OWNER]), "Content-Type": "text/csv"}
    first = client.post(f"{BOOK}/import", content=LUBELOGGER, headers=owner)
    assert first.status_code == 200, first.text
    assert (first.json()["added"], first.json()["skipped"], first.json()["unit"]) == (2, 0, "km")
    assert first.json()["columns"]["work"] == "Description"
    again = client.post(f"{BOOK}/import", content=LUBELOGGER, headers=owner).json()
    assert (again["added"], again["skipped"]) == (0, 2)
    exported = client.get(f"{BOOK}.csv", headers=bearer(secrets[Role.OWNER]))
    assert exported.headers["content-type"].startswith("text/csv")
    assert "2024-02-03,46000,tyre_change,Winter tyre change" in exported.text
    miles = client.post(
        f"{BOOK}/import",
        params={"unit": "mi"},
        content="Date,Miles\n2024-05-01,100\n",
        headers=owner,
    ).json()
    assert miles["added"] == 1
    kinds = [r["kind"] for r in client.get(BOOK, headers=owner).json()["records"]]
    assert kinds == ["service", "tyre_change", "service"]


def test_a_bad_csv_file_names_its_rows_and_imports_nothing(
    client: TestClient, secrets: dict[Role, str]
) -> None:
    owner = {**bearer(secrets[Role.OWNER]), "Content-Type": "text/csv"}
    bad = "Datum,Km\n2024-01-01,1\nsoon,2\n2024-01-03,x\n"
    answer = client.post(f"{BOOK}/import", params={"map": "date=Datum"}, content=bad, headers=owner)
    assert answer.status_code == 422
    locations = [e["loc"] for e in answer.json()["detail"]]
    assert locations == [["body", 3, "Datum"], ["body", 4, "Km"]]
    assert client.get(BOOK, headers=owner).json()["records"] == []
    wrong = client.post(f"{BOOK}/import", params={"map": "nonsense"}, content=bad, headers=owner)
    assert wrong.status_code == 422


def complete(job_store: JobStore, job_id: int) -> None:
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job_id, action, NOW)
    job_store.act(job_id, JobAction.COMPLETE, NOW, outcome=Outcome.FIXED)


def test_the_owner_answers_the_followup_and_sees_what_the_car_said(
    client: TestClient, secrets: dict[Role, str], fleet: Fleet, job_store: JobStore
) -> None:
    job = fleet.battery_job
    url = f"/jobs/{job.id}/followup"
    owner = bearer(secrets[Role.OWNER])
    assert client.get(url, headers=owner).status_code == 404  # not completed yet
    complete(job_store, job.id)
    assert client.get(url, headers=owner).json()["asked_at"] is None
    assert job_store.ask_followups(NOW + 7 * DAY, after_s=7 * DAY) == 1
    asked = client.get(url, headers=owner).json()
    assert (asked["car_verdict"], asked["question"]) == ("clear", "Is the problem gone?")
    assert client.post(url, json={"solved": True}).status_code == 403  # the engineer
    assert client.post(url, json={"solved": "yes"}, headers=owner).status_code == 422
    answered = client.post(url, json={"solved": True}, headers=owner)
    assert answered.json()["answer"] == "solved", answered.text
    (written,) = client.get(BOOK, headers=owner).json()["records"]  # the job's own record
    assert (written["source"], written["job_id"]) == ("job", job.id)
