"""The service network through the API and the pages: a rejection needs a reason and
re-routes, a move must fit the calendar (409 with free slots), owners rate completed jobs
(strictly validated, escaped wherever shown), the satisfaction report, the calendar page."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.keys import Role
from jobs.booking import open_and_book
from jobs.model import JobAction, JobDraft, JobStatus, Outcome, Severity
from jobs.store import JobStore
from tests.api.conftest import HOSTILE, NOW, VIN_A, Fleet, bearer

THURSDAY_9 = NOW + 9 * 3600  # NOW is Thursday 2025-11-27 00:00 UTC
SUNDAY_3 = NOW + 3 * 86400 + 3 * 3600
MARKS = {"overall": 4, "quality": 5, "speed": 3, "price": 2, "communication": 4, "reception": 5}


def completed(job_store: JobStore, job_id: int) -> None:
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job_id, action, NOW)
    job_store.act(job_id, JobAction.COMPLETE, NOW, outcome=Outcome.FIXED)


def test_a_rejection_needs_a_reason_and_goes_to_the_next_workshop(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    partner = job_store.add_workshop("Partner Süd", "Kiel", ("electrical",), kind="partner")
    job = fleet.battery_job.id
    workshop = bearer(secrets[Role.WORKSHOP])
    silent = client.post(f"/jobs/{job}/reject", json={}, headers=workshop)
    assert silent.status_code == 422
    assert "reason" in silent.text
    done = client.post(f"/jobs/{job}/reject", json={"note": HOSTILE}, headers=workshop)
    assert done.status_code == 200
    body = done.json()
    assert body["workshop"] == {"id": partner.id, "name": "Partner Süd"}
    assert body["status"] == "proposed"
    assert [h["kind"] for h in body["handoffs"]] == ["declined", "offered"]
    assert body["handoffs"][0]["reason"] == HOSTILE
    assert body["booking_reason"]["kind"] == "partner"
    assert client.get(f"/jobs/{job}", headers=workshop).status_code == 404  # not theirs now
    car = client.get(f"/vehicles/{VIN_A}", headers=bearer(secrets[Role.OWNER])).json()
    assert (car["open_jobs"], car["next_booking"]) == (1, body["slot_start"])  # no dead end
    page = client.get(f"/jobs/{job}/page", headers=bearer(secrets[Role.ENGINEER])).text
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    assert "Hand-offs" in page


def test_a_move_must_fit_the_calendar_or_is_refused_with_free_slots(
    client: TestClient, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    job = fleet.battery_job.id
    owner = bearer(secrets[Role.OWNER])
    for slot in (1577836800.0, SUNDAY_3):  # 2020-01-01, and a Sunday 03:00
        refused = client.post(f"/jobs/{job}/move", json={"slot_start": slot}, headers=owner)
        assert refused.status_code == 409
        body = refused.json()
        assert body["detail"]
        assert body["alternatives"]
        for free in body["alternatives"]:
            assert free["start"] >= NOW
            assert free["end"] - free["start"] == 3600  # half an hour of labour: one hour
    moved = client.post(f"/jobs/{job}/move", json={"slot_start": THURSDAY_9}, headers=owner)
    assert moved.status_code == 200
    assert moved.json()["slot_start"] == THURSDAY_9
    page = client.post(
        f"/jobs/{job}/page", data={"action": "move", "slot": str(SUNDAY_3)}, headers=owner
    )
    assert page.status_code == 409
    assert "Free slots instead" in page.text
    assert 'name="action" value="move"' in page.text


def test_owners_rate_completed_jobs_once_strictly(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    job = fleet.battery_job.id
    owner = bearer(secrets[Role.OWNER])
    url = f"/jobs/{job}/rating"
    assert client.post(url, json=MARKS, headers=owner).status_code == 409  # not completed
    completed(job_store, job)
    assert client.post(url, json=MARKS, headers=bearer(secrets[Role.WORKSHOP])).status_code == 403
    for bad in ({**MARKS, "overall": "4"}, {**MARKS, "price": 6}, {**MARKS, "extra": 1}):
        assert client.post(url, json=bad, headers=owner).status_code == 422, bad
    kept = client.post(url, json={**MARKS, "comment": HOSTILE}, headers=owner)
    assert kept.status_code == 200
    assert kept.json()["workshop_id"] == fleet.workshop.id
    assert client.post(url, json=MARKS, headers=owner).status_code == 409  # once
    shown = client.get(f"/workshops/{fleet.workshop.id}/ratings").json()
    assert [r["comment"] for r in shown] == [HOSTILE]
    page = client.get(f"/jobs/{job}/page", headers=owner).text
    assert HOSTILE not in page
    assert "&lt;script&gt;alert" in page
    (standing,) = [w["standing"] for w in client.get("/workshops").json()]
    assert standing["ratings"] == 1
    assert standing["fixed"] == 1


def test_the_satisfaction_report_and_who_sees_it(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    assert (
        client.get("/network/satisfaction", headers=bearer(secrets[Role.OWNER])).status_code == 403
    )
    empty = client.get("/network/satisfaction").json()
    assert empty["ratings"] == 0
    completed(job_store, fleet.battery_job.id)
    client.post(
        f"/jobs/{fleet.battery_job.id}/rating", json=MARKS, headers=bearer(secrets[Role.OWNER])
    )
    report = client.get("/network/satisfaction", headers=bearer(secrets[Role.FLEET_MANAGER])).json()
    assert report["ratings"] == 1
    assert {a["aspect"]: a["mean"] for a in report["aspects"]}["price"] == 2
    page = client.get("/network/page").text
    assert "Satisfaction" in page
    assert "Garage Nord" in page


@pytest.fixture
def browser(app: FastAPI, secrets: dict[Role, str]) -> TestClient:
    client = TestClient(app)
    signed = client.post("/signin", data={"key": secrets[Role.OWNER]}, follow_redirects=False)
    assert signed.status_code == 303
    return client


def test_the_rating_form_carries_the_csrf_token_and_needs_it(
    browser: TestClient, job_store: JobStore, fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    completed(job_store, job)
    page = browser.get(f"/jobs/{job}/page").text
    form = page[page.index(f'action="/jobs/{job}/rating/page"') - 200 :]
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    form_data = {k: str(v) for k, v in MARKS.items()}
    assert browser.post(f"/jobs/{job}/rating/page", data=form_data).status_code == 403
    done = browser.post(
        f"/jobs/{job}/rating/page",
        data={**form_data, "csrf": token.group(1), "comment": HOSTILE},
        follow_redirects=False,
    )
    assert done.status_code == 303
    rating = job_store.rating(job)
    assert rating is not None
    assert (rating.price, rating.comment) == (2, HOSTILE)


def test_the_calendar_page_is_the_workshops_own(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    other = job_store.add_workshop("Other", "x", ("electrical",))
    job_store.book(fleet.battery_job.id, fleet.workshop.id, THURSDAY_9, THURSDAY_9 + 3600, NOW)
    workshop = bearer(secrets[Role.WORKSHOP])
    url = f"/workshops/{fleet.workshop.id}/calendar/page"
    week = client.get(url, headers=workshop)
    assert week.status_code == 200
    assert "12 V battery voltage low" in week.text
    assert "2025-11-24" in week.text  # the Monday of the week
    assert "0 of 1 free" in week.text
    day = client.get(url, params={"view": "day", "start": "2025-11-28"}, headers=workshop)
    assert day.status_code == 200
    assert "12 V battery voltage low" not in day.text.split("Open jobs without a slot")[0]
    assert client.get(f"/workshops/{other.id}/calendar/page", headers=workshop).status_code == 404
    assert client.get(url, headers=bearer(secrets[Role.OWNER])).status_code == 404
    home = client.get("/", headers=workshop).text
    assert url in home


def test_an_escalated_job_shows_on_the_pages(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    job_store.escalate(fleet.hostile_job.id, NOW, "critical and unplaced")
    page = client.get(f"/jobs/{fleet.hostile_job.id}/page").text
    assert "Escalated" in page
    fleet_page = client.get("/", headers=bearer(secrets[Role.FLEET_MANAGER])).text
    assert "escalated" in fleet_page
    stored = job_store.get_job(fleet.hostile_job.id)
    assert stored is not None
    assert stored.status is JobStatus.PROPOSED


def test_a_comeback_counts_against_the_rules_precision(
    client: TestClient, job_store: JobStore, fleet: Fleet
) -> None:
    completed(job_store, fleet.battery_job.id)
    draft = JobDraft(VIN_A, "lv-battery-low", "12 V battery voltage low", Severity.WARNING, NOW)
    back, created, _ = open_and_book(job_store, draft, urgency_s=86400, now=NOW + 86400)
    assert created
    assert back.comeback_of == fleet.battery_job.id
    (battery,) = [
        r for r in client.get("/rules/precision").json() if r["rule_id"] == "lv-battery-low"
    ]
    assert (battery["jobs"], battery["fixed"], battery["comebacks"]) == (2, 1, 1)
    assert battery["precision"] == 0.0
    listed = {r["id"]: r for r in client.get("/rules").json()}
    assert listed["lv-battery-low"]["comebacks"] == 1
    page = client.get(f"/jobs/{back.id}/page").text
    assert "Comeback of" in page
