"""The service book on the pages: the owner's vehicle page shows it with its forms, text from
anyone is escaped, a workshop gets the book page only with consent, forms work and the
follow-up question appears on the owner's job page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.keys import KeyStore, Role
from jobs.model import JobAction, Outcome, RecordSource, ServiceEntry, ServiceKind
from jobs.store import JobStore
from tests.api.conftest import HOSTILE, NOW, VIN_A, Fleet, bearer

PAGE = f"/vehicles/{VIN_A}/service-book/page"
DAY = 86_400.0


def hostile_record(job_store: JobStore) -> None:
    entry = ServiceEntry(
        kind=ServiceKind.REPAIR, done_on="2025-10-01", work=HOSTILE, workshop=HOSTILE, notes=HOSTILE
    )
    job_store.add_record(VIN_A, entry, source=RecordSource.OWNER, now=NOW)


def test_the_owners_vehicle_page_shows_the_book_escaped_with_its_forms(
    client: TestClient, job_store: JobStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    hostile_record(job_store)
    page = client.get(f"/vehicles/{VIN_A}/page", headers=bearer(secrets[Role.OWNER])).text
    assert "Service book" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; more" in page
    assert 'name="op" value="add"' in page
    assert 'name="op" value="import"' in page
    assert 'value="delete"' in page
    engineer = client.get(f"/vehicles/{VIN_A}/page").text  # reads, writes nothing
    assert "Service book" in engineer
    assert 'value="add"' not in engineer
    assert 'value="delete"' not in engineer


def test_the_forms_add_import_and_delete(
    client: TestClient, job_store: JobStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    owner = bearer(secrets[Role.OWNER])
    form = {"op": "add", "kind": "tyre_change", "done_on": "2025-11-20", "work": "Winter tyres"}
    added = client.post(PAGE, data={**form, "cost": "80"}, headers=owner, follow_redirects=False)
    assert added.status_code == 303
    (record,) = job_store.service_records(VIN_A)
    assert (record.entry.kind, record.entry.cost) == (ServiceKind.TYRE_CHANGE, 80.0)
    csv = "Date,Odometer,Description\n2024-01-02,100,Oil\n"
    client.post(PAGE, data={"op": "import", "csv": csv}, headers=owner)
    client.post(PAGE, data={"op": "import", "csv": csv}, headers=owner)  # once only
    assert len(job_store.service_records(VIN_A)) == 2
    bad = client.post(PAGE, data={**form, "cost": "lots"}, headers=owner)
    assert bad.status_code == 422
    client.post(PAGE, data={"op": "delete", "record": str(record.id)}, headers=owner)
    assert [r.entry.work for r in job_store.service_records(VIN_A)] == ["Oil"]


def test_a_workshop_sees_the_book_page_only_with_consent(
    client: TestClient, key_store: KeyStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    shop = bearer(secrets[Role.WORKSHOP])
    assert client.get(PAGE, headers=shop).status_code == 404
    key_store.set_consent(VIN_A, fleet.workshop.id, ["service-book"], NOW)
    assert "Add a record" in client.get(PAGE, headers=shop).text


def test_the_owners_job_page_asks_whether_the_problem_is_gone(
    client: TestClient, job_store: JobStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    job = fleet.battery_job.id
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        job_store.act(job, action, NOW)
    job_store.act(job, JobAction.COMPLETE, NOW, outcome=Outcome.FIXED)
    owner = bearer(secrets[Role.OWNER])
    assert 'name="answer"' not in client.get(f"/jobs/{job}/page", headers=owner).text
    job_store.ask_followups(NOW + 7 * DAY, after_s=7 * DAY)
    page = client.get(f"/jobs/{job}/page", headers=owner).text
    assert "Is the problem gone?" in page
    assert "the fault has not come back" in page
    assert 'name="answer" value="yes"' in page
    assert 'name="answer"' not in client.get(f"/jobs/{job}/page").text  # the engineer's
    done = client.post(
        f"/jobs/{job}/followup/page", data={"answer": "no"}, headers=owner, follow_redirects=False
    )
    assert done.status_code == 303
    found = job_store.followup(job)
    assert found is not None
    assert found.answer is not None
    assert found.answer.value == "not_solved"
    assert "no, it is not" in client.get(f"/jobs/{job}/page", headers=owner).text


def test_the_job_page_links_the_book_for_whom_may_read_it(
    client: TestClient, key_store: KeyStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    job = f"/jobs/{fleet.battery_job.id}/page"
    shop = bearer(secrets[Role.WORKSHOP])
    assert (
        "Service book of this vehicle" in client.get(job, headers=bearer(secrets[Role.OWNER])).text
    )
    assert "Service book of this vehicle" not in client.get(job, headers=shop).text
    key_store.set_consent(VIN_A, fleet.workshop.id, ["service-book"], NOW)
    assert "Service book of this vehicle" in client.get(job, headers=shop).text


def test_the_owner_shares_the_book_with_the_workshop_of_its_jobs(
    client: TestClient, key_store: KeyStore, secrets: dict[Role, str], fleet: Fleet
) -> None:
    owner, shop = bearer(secrets[Role.OWNER]), bearer(secrets[Role.WORKSHOP])
    key_store.set_consent(VIN_A, fleet.workshop.id, ["Vehicle.Speed"], NOW)  # signals before
    page = client.get(PAGE, headers=owner).text
    assert "Garage Nord" in page
    assert 'name="op" value="share"' in page
    share = {"op": "share", "workshop": str(fleet.workshop.id)}
    assert client.post(PAGE, data=share, headers=owner, follow_redirects=False).status_code == 303
    assert key_store.consents(VIN_A) == {fleet.workshop.id: ["Vehicle.Speed", "service-book"]}
    assert client.get(PAGE, headers=shop).status_code == 200
    assert client.post(PAGE, data={**share, "op": "unshare"}, headers=shop).status_code == 403
    client.post(PAGE, data={**share, "op": "unshare"}, headers=owner)
    assert key_store.consents(VIN_A) == {fleet.workshop.id: ["Vehicle.Speed"]}
    assert client.get(PAGE, headers=shop).status_code == 404
    stranger = client.post(PAGE, data={"op": "share", "workshop": "999"}, headers=owner)
    assert stranger.status_code == 422
