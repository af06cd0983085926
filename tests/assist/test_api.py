"""``POST /assist`` and ``/assist/book`` over real SQLite stores, with every role's key, and
the vehicle page's box through a signed-in browser session (CSRF token, escaping)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from assist.assistant import Assistant
from ingest.open import open_store
from jobs.open import open_job_store, open_state_store
from jobs.store import JobStore
from tests.api.conftest import (
    NOW,
    VIN_A,
    VIN_B,
    Fleet,
    bearer,
    fill_jobs,
    fill_telemetry,
    make_keys,
)

OWN = "http://testserver"
SQUEAL = "a squeal when I brake"
HOSTILE = "<script>alert('x')</script> squeal when I brake"


Site = tuple[TestClient, dict[Role, str], JobStore, Fleet]


@pytest.fixture
def site(tmp_path: Path, assistant: Assistant) -> Iterator[Site]:
    telemetry = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs = open_job_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    keys = KeyStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    state = open_state_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    fill_telemetry(telemetry)
    fleet = fill_jobs(jobs)
    secrets = make_keys(keys, jobs, fleet.workshop.id)
    app = create_app(
        telemetry, jobs, clock=lambda: NOW, keys=keys, assistant=assistant, rule_state=state
    )
    with TestClient(app) as client:
        yield client, secrets, jobs, fleet
    state.close()
    keys.close()
    jobs.close()
    telemetry.close()


def ask(site: Site, role: Role, **body: object) -> tuple[int, dict[str, Any]]:
    client, secrets, _, _ = site
    answer = client.post("/assist", json=body, headers=bearer(secrets[role]))
    return answer.status_code, answer.json()


def test_an_owner_asks_about_their_car(site: Site) -> None:
    code, answer = ask(site, Role.OWNER, text=SQUEAL, vin=VIN_A)
    assert code == 200
    assert answer["confident"] is True
    assert answer["vin"] == VIN_A
    assert answer["candidates"][0]["key"] == "brake-pads-worn-front-left"
    assert [c["rank"] for c in answer["candidates"]] == [1, 2, 3]
    code, answer = ask(site, Role.OWNER, text="刹车的时候有刺耳的尖叫声")
    assert code == 200
    assert answer["language"] == "zh"
    assert answer["vin"] is None


def test_the_open_job_of_the_car_is_shown_with_its_answer(site: Site) -> None:
    _, _, _, fleet = site
    code, answer = ask(site, Role.OWNER, text="it struggles to start in the morning", vin=VIN_A)
    assert code == 200
    battery = next(c for c in answer["candidates"] if c["key"] == "lv-battery-low")
    assert battery["open_job"] == {"id": fleet.battery_job.id, "status": "proposed"}
    assert "open_job" in battery["evidence"]


@pytest.mark.parametrize(
    ("role", "vin", "status"),
    [
        (Role.OWNER, VIN_B, 404),  # another owner's car: as if it did not exist
        (Role.FLEET_MANAGER, VIN_B, 200),  # the fleet's own
        (Role.WORKSHOP, VIN_A, 403),
        (Role.ENGINEER, VIN_A, 403),
    ],
)
def test_each_role_sees_only_what_it_may(site: Site, role: Role, vin: str, status: int) -> None:
    code, _ = ask(site, role, text=SQUEAL, vin=vin)
    assert code == status


@pytest.mark.parametrize(
    "body",
    [
        {"text": SQUEAL, "colour": "red"},  # unknown field
        {"text": SQUEAL, "limit": "3"},  # strict: no string for a number
        {"text": ""},
        {"text": SQUEAL, "vin": "not-a-vin"},
        {"text": "   "},  # says nothing
    ],
)
def test_a_bad_request_is_refused(site: Site, body: dict[str, object]) -> None:
    code, _ = ask(site, Role.OWNER, **body)
    assert code == 422


def test_booking_an_answer_opens_one_job_with_the_owners_words(site: Site) -> None:
    client, secrets, jobs, _ = site
    headers = bearer(secrets[Role.OWNER])
    body = {"text": SQUEAL, "vin": VIN_A, "rule_id": "brake-pads-worn-front-left"}
    first = client.post("/assist/book", json=body, headers=headers)
    assert first.status_code == 200, first.text
    booked = first.json()
    assert booked["created"] is True
    job = jobs.get_job(booked["job_id"])
    assert job is not None
    assert job.rule_id == "brake-pads-worn-front-left"
    assert job.evidence["owner_report"]["text"] == SQUEAL
    assert job.diagnosis["summary"].startswith("Brake pads")
    again = client.post("/assist/book", json=body, headers=headers).json()
    assert (again["created"], again["job_id"]) == (False, booked["job_id"])  # one open job
    wrong = client.post(
        "/assist/book", json={**body, "rule_id": "hv-isolation-fault"}, headers=headers
    )
    assert wrong.status_code == 422  # not an answer to this description
    other = client.post("/assist/book", json={**body, "vin": VIN_B}, headers=headers)
    assert other.status_code == 404


def test_when_not_sure_a_general_inspection_is_booked(site: Site) -> None:
    client, secrets, jobs, _ = site
    code, answer = ask(site, Role.OWNER, text="the cup holder is broken", vin=VIN_A)
    assert (code, answer["confident"], answer["candidates"]) == (200, False, [])
    body = {"text": "the cup holder is broken", "vin": VIN_A, "rule_id": "owner-report"}
    booked = client.post("/assist/book", json=body, headers=bearer(secrets[Role.OWNER])).json()
    job = jobs.get_job(booked["job_id"])
    assert job is not None
    assert (job.rule_id, job.title) == ("owner-report", "General inspection (the owner's report)")
    assert job.evidence["owner_report"]["confident"] is False


def _signed_in(client: TestClient, secret: str) -> None:
    signed = client.post("/signin", data={"key": secret}, follow_redirects=False)
    assert signed.status_code == 303


def test_the_vehicle_page_box_asks_and_books_with_the_csrf_token(site: Site) -> None:
    client, secrets, jobs, _ = site
    _signed_in(client, secrets[Role.OWNER])
    page = client.get(f"/vehicles/{VIN_A}/page").text
    assert "Describe the problem" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    url = f"/vehicles/{VIN_A}/assist"
    refused = client.post(url, data={"text": SQUEAL}, headers={"Origin": OWN})
    assert refused.status_code == 403  # no token
    answered = client.post(
        url, data={"text": HOSTILE, "csrf": token.group(1)}, headers={"Origin": OWN}
    )
    assert answered.status_code == 200
    assert "<script>alert" not in answered.text  # the owner's words are escaped
    assert "&lt;script&gt;" in answered.text
    assert "Brake pads worn" in answered.text
    assert "Book this" in answered.text
    booked = client.post(
        f"{url}/book",
        data={"text": SQUEAL, "rule_id": "brake-pads-worn-front-left", "csrf": token.group(1)},
        headers={"Origin": OWN},
        follow_redirects=False,
    )
    assert booked.status_code == 303
    job_id = int(booked.headers["location"].split("/")[2])
    job = jobs.get_job(job_id)
    assert job is not None
    assert job.evidence["owner_report"]["text"] == SQUEAL
    shown = client.post(url, data={"text": SQUEAL, "csrf": token.group(1)}, headers={"Origin": OWN})
    assert f"/jobs/{job_id}/page" in shown.text  # the open job instead of a second booking


def test_a_workshop_page_has_no_box(site: Site) -> None:
    client, secrets, _, _ = site
    _signed_in(client, secrets[Role.FLEET_MANAGER])
    assert "Describe the problem" in client.get(f"/vehicles/{VIN_B}/page").text
    client.cookies.clear()
    _signed_in(client, secrets[Role.ENGINEER])
    assert "Describe the problem" not in client.get(f"/vehicles/{VIN_A}/page").text
