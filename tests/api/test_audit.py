"""Every state-changing request is in the audit log, whoever asked and however it ended; reads
are not; bodies (a sign-in key) never are; admins alone read the log at ``/audit``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore, Role
from ingest.store import TelemetryStore
from jobs.audit import AuditQuery
from jobs.open import open_audit_log
from jobs.sql.audit import SqlAuditLog
from jobs.store import JobStore
from tests.api.conftest import NOW, Fleet, bearer


@pytest.fixture
def audit(tmp_path: Path, job_store: JobStore) -> Iterator[SqlAuditLog]:
    log = open_audit_log("sqlite:///" + str(tmp_path / "jobs.db"))
    assert isinstance(log, SqlAuditLog)
    yield log
    log.close()


@pytest.fixture
def audited(
    telemetry: TelemetryStore, job_store: JobStore, key_store: KeyStore, audit: SqlAuditLog
) -> FastAPI:
    return create_app(telemetry, job_store, clock=lambda: NOW, keys=key_store, audit=audit)


def test_a_change_and_a_refusal_are_recorded_with_who_and_what(
    audited: FastAPI, audit: SqlAuditLog, secrets: dict[Role, str], fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    with TestClient(audited) as client:
        assert client.post(f"/jobs/{job}/confirm", headers=bearer(secrets[Role.OWNER])).is_success
        refused = client.post(f"/jobs/{job}/accept", headers=bearer(secrets[Role.OWNER]))
        assert refused.status_code == 403
        assert client.post(f"/jobs/{job}/cancel").status_code == 401
        assert client.get(f"/jobs/{job}", headers=bearer(secrets[Role.OWNER])).is_success
    cancel, accept, confirm = audit.entries(AuditQuery())
    assert confirm.action == "POST /jobs/{job_id}/{action}"
    assert confirm.target == f"job {job}, action confirm"
    assert confirm.outcome == "ok"
    assert confirm.actor.startswith("key ")
    assert "(owner) via bearer key" in confirm.actor
    assert confirm.at == NOW
    assert confirm.address == "testclient"
    assert (accept.target, accept.outcome) == (f"job {job}, action accept", "403")
    assert (cancel.actor, cancel.outcome) == ("anonymous", "401")


def test_a_sign_in_is_recorded_without_the_key(
    audited: FastAPI, audit: SqlAuditLog, secrets: dict[Role, str], fleet: Fleet
) -> None:
    with TestClient(audited, base_url="https://testserver") as browser:
        origin = {"Origin": "https://testserver"}
        signed_in = browser.post(
            "/signin", data={"key": secrets[Role.WORKSHOP]}, headers=origin, follow_redirects=False
        )
        assert signed_in.status_code == 303
        wrong = browser.post("/signin", data={"key": "pst_wrong"}, headers=origin)
        assert wrong.status_code == 401
    failed, signin = audit.entries(AuditQuery())
    assert signin.action == "POST /signin"
    assert signin.outcome == "ok"
    assert "(workshop) via sign-in" in signin.actor
    assert (failed.actor, failed.outcome) == ("anonymous", "401")
    for entry in (signin, failed):
        assert secrets[Role.WORKSHOP] not in repr(entry)
        assert "pst_wrong" not in repr(entry)


def test_only_admins_read_the_log(
    audited: FastAPI, audit: SqlAuditLog, secrets: dict[Role, str], fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    with TestClient(audited) as client:
        client.post(f"/jobs/{job}/confirm", headers=bearer(secrets[Role.OWNER]))
        for role in Role:
            got = client.get("/audit", headers=bearer(secrets[role]))
            assert got.status_code == (200 if role is Role.ADMIN else 403), role
        entries = client.get(
            "/audit", params={"action": "/jobs/"}, headers=bearer(secrets[Role.ADMIN])
        ).json()
        since = client.get(
            "/audit", params={"from": NOW + 1}, headers=bearer(secrets[Role.ADMIN])
        ).json()
    assert [e["target"] for e in entries] == [f"job {job}, action confirm"]
    assert since == []


def test_without_an_audit_log_the_route_says_so(
    telemetry: TelemetryStore, job_store: JobStore, key_store: KeyStore, secrets: dict[Role, str]
) -> None:
    app = create_app(telemetry, job_store, clock=lambda: NOW, keys=key_store)
    with TestClient(app) as client:
        got = client.get("/audit", headers=bearer(secrets[Role.ADMIN]))
    assert got.status_code == 503
    assert "no audit log" in got.json()["detail"]


def test_the_timeline_names_the_key_that_acted_when_the_lifecycle_would_guess_wrong(
    audited: FastAPI, secrets: dict[Role, str], fleet: Fleet
) -> None:
    """An admin confirming for the owner is shown as the admin, from the audit log; the
    workshop's own acceptance stays the workshop's name, as the lifecycle says."""
    job = fleet.battery_job.id
    with TestClient(audited) as client:
        confirmed = client.post(f"/jobs/{job}/confirm", headers=bearer(secrets[Role.ADMIN]))
        assert confirmed.is_success, confirmed.text
        accepted = client.post(f"/jobs/{job}/accept", headers=bearer(secrets[Role.WORKSHOP]))
        assert accepted.is_success, accepted.text
        page = client.get(f"/jobs/{job}/page", headers=bearer(secrets[Role.ENGINEER])).text
    timeline = page[page.index('class="timeline"') :]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", timeline))
    assert "Admin · admin confirmed" in words
    assert f"Workshop · {fleet.workshop.name} accepted" in words
