"""Cross-site requests with the session cookie are refused, whatever counts as the same site;
the same requests from pitstop's own pages (their token, their origin) go through. Every
answer carries the security headers, and CSV export survives any signal name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.keys import Role
from ingest.store import TelemetryStore
from jobs.model import JobStatus
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch
from tests.api.conftest import NOW, VIN_A, Fleet, bearer

OWN = "http://testserver"
SIBLING = "http://testserver:8081"  # another port of the same host: the same site


@pytest.fixture
def owner(app: FastAPI, secrets: dict[Role, str]) -> Iterator[TestClient]:
    """A browser signed in as the owner of VIN_A (no Authorization header)."""
    with TestClient(app) as client:
        signed = client.post("/signin", data={"key": secrets[Role.OWNER]}, follow_redirects=False)
        assert signed.status_code == 303
        yield client


def token_of(client: TestClient, job_id: int) -> str:
    page = client.get(f"/jobs/{job_id}/page").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the job page's forms carry no CSRF token"
    return found.group(1)


def status(jobs: JobStore, job_id: int) -> JobStatus:
    job = jobs.get_job(job_id)
    assert job is not None
    return job.status


def test_a_form_posted_from_elsewhere_is_refused(
    owner: TestClient, fleet: Fleet, job_store: JobStore
) -> None:
    job = fleet.battery_job.id
    page = f"/jobs/{job}/page"
    forged = owner.post(page, data={"action": "cancel"}, headers={"Origin": SIBLING})
    assert forged.status_code == 403
    no_token = owner.post(page, data={"action": "cancel"})
    assert no_token.status_code == 403
    token = token_of(owner, job)
    foreign = owner.post(
        page, data={"action": "cancel", "csrf": token}, headers={"Origin": SIBLING}
    )
    assert foreign.status_code == 403
    wrong = owner.post(page, data={"action": "cancel", "csrf": "0" * 64})
    assert wrong.status_code == 403
    assert status(job_store, job) is JobStatus.PROPOSED
    done = owner.post(
        page,
        data={"action": "cancel", "reason": "sold", "confirm": "yes", "csrf": token},
        headers={"Origin": OWN},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert status(job_store, job) is JobStatus.CANCELLED


@pytest.mark.parametrize(
    ("content_type", "origin"),
    [
        ("text/plain", OWN),  # what a cross-origin form or no-cors fetch can send
        ("application/x-www-form-urlencoded", OWN),
        ("multipart/form-data; boundary=x", OWN),
        ("application/json", SIBLING),
        ("application/json", None),
    ],
)
def test_a_json_call_without_proof_of_origin_is_refused(
    owner: TestClient, fleet: Fleet, job_store: JobStore, content_type: str, origin: str | None
) -> None:
    headers = {"Content-Type": content_type} | ({"Origin": origin} if origin else {})
    job = fleet.battery_job.id
    refused = owner.post(f"/jobs/{job}/confirm", content=b"", headers=headers)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert status(job_store, job) is JobStatus.PROPOSED


def test_a_json_call_from_the_own_origin_or_with_the_token_goes_through(
    owner: TestClient, fleet: Fleet, job_store: JobStore
) -> None:
    job = fleet.battery_job.id
    json_own = {"Content-Type": "application/json", "Origin": OWN}
    assert owner.post(f"/jobs/{job}/confirm", content=b"{}", headers=json_own).status_code == 200
    referer = {"Content-Type": "application/json", "Referer": f"{OWN}/jobs/{job}/page"}
    cancel = owner.post(f"/jobs/{job}/cancel", content=b"{}", headers=referer)
    assert cancel.status_code == 200
    assert status(job_store, job) is JobStatus.CANCELLED


def test_the_token_header_alone_suffices(
    owner: TestClient, fleet: Fleet, job_store: JobStore
) -> None:
    job = fleet.battery_job.id
    headers = {"X-CSRF-Token": token_of(owner, job), "Content-Type": "text/plain"}
    assert owner.post(f"/jobs/{job}/confirm", content=b"", headers=headers).status_code == 200
    assert status(job_store, job) is JobStatus.CONFIRMED


def test_bearer_keys_are_unaffected(
    app: FastAPI, secrets: dict[Role, str], fleet: Fleet, job_store: JobStore
) -> None:
    with TestClient(app, headers=bearer(secrets[Role.OWNER])) as client:
        job = fleet.battery_job.id
        assert client.post(f"/jobs/{job}/confirm").status_code == 200
        assert (
            client.post(
                f"/jobs/{job}/page",
                data={"action": "cancel", "reason": "sold", "confirm": "yes"},
                follow_redirects=False,
            ).status_code
            == 303
        )
    assert status(job_store, job) is JobStatus.CANCELLED


def test_every_answer_carries_the_security_headers(client: TestClient, fleet: Fleet) -> None:
    for path in (
        "/",
        f"/jobs/{fleet.battery_job.id}/page",
        f"/vehicles/{VIN_A}",
        "/signin",
        "/static/charts.js",
        "/no/such/page",
        "/health",
    ):
        headers = client.get(path, follow_redirects=False).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "style-src 'self'" in csp, path
        assert "unsafe" not in csp.split("script-src")[1].split(";")[0], path
        assert "frame-ancestors 'none'" in csp, path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
    assert client.get("/static/pitstop.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("name", ["Fahrzeug.Geschwindigkeit€", "速度.車両", "a\"b\\c;e'f"])
def test_csv_export_survives_any_signal_name(
    client: TestClient, telemetry: TelemetryStore, fleet: Fleet, name: str
) -> None:
    telemetry.write_batch(TelemetryBatch(VIN_A, 9, "profile-a", (Sample(name, NOW - 60, 1.0),)))
    path = f"/vehicles/{VIN_A}/signals/{quote(name, safe='')}/csv?from={NOW - 3600}&to={NOW}"
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.text.splitlines()[0] == "ts,value"
    assert len(answer.text.splitlines()) == 2
    disposition = answer.headers["content-disposition"]
    ascii_part = re.fullmatch(
        r"""attachment; filename="([ -~]*)"; filename\*=UTF-8''(\S+)""", disposition
    )
    assert ascii_part, disposition
    assert '"' not in ascii_part.group(1)
    assert ascii_part.group(2) == quote(f"{VIN_A}-{name}.csv", safe="")
