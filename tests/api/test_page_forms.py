"""The job page's forms: each role sees the actions the lifecycle allows now, and a form that
is missing its slot or outcome is refused with a sentence (not a 5xx, nothing changed)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.keys import Role
from jobs.model import JobAction, JobStatus
from jobs.store import JobStore
from tests.api.conftest import NOW, Fleet, bearer


def buttons(client: TestClient, job_id: int, secret: str) -> list[str]:
    page = client.get(f"/jobs/{job_id}/page", headers=bearer(secret)).text
    return [a for a in JobAction if f'name="action" value="{a.value}"' in page]


def test_each_role_gets_the_buttons_the_status_allows(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    job = fleet.battery_job.id  # proposed
    assert buttons(client, job, secrets[Role.OWNER]) == ["confirm", "move", "cancel"]
    assert buttons(client, job, secrets[Role.WORKSHOP]) == ["reject"]
    assert buttons(client, job, secrets[Role.ENGINEER]) == []
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job, action, NOW)
    assert buttons(client, job, secrets[Role.WORKSHOP]) == ["complete"]
    assert buttons(client, job, secrets[Role.OWNER]) == []


def test_forms_without_their_field_are_refused_and_change_nothing(
    client: TestClient, job_store: JobStore, fleet: Fleet, secrets: dict[Role, str]
) -> None:
    job = fleet.battery_job.id
    owner = bearer(secrets[Role.OWNER])
    bad_slot = client.post(
        f"/jobs/{job}/page", data={"action": "move", "slot": "next week"}, headers=owner
    )
    assert bad_slot.status_code == 422
    assert "neither epoch seconds nor an ISO 8601 time" in bad_slot.text
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job, action, NOW)
    workshop = bearer(secrets[Role.WORKSHOP])
    no_outcome = client.post(f"/jobs/{job}/page", data={"action": "complete"}, headers=workshop)
    assert no_outcome.status_code == 422
    assert "choose an outcome: fixed, no_fault_found" in no_outcome.text
    stored = job_store.get_job(job)
    assert stored is not None
    assert stored.status is JobStatus.IN_SERVICE
    done = client.post(
        f"/jobs/{job}/page",
        data={"action": "complete", "outcome": "fixed"},
        headers=workshop,
        follow_redirects=False,
    )
    assert done.status_code == 303
    completed = job_store.get_job(job)
    assert completed is not None
    assert completed.outcome is not None
    assert completed.outcome.value == "fixed"
