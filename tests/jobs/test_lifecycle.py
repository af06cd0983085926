"""The JobStore contract for owners, vehicles and the job lifecycle, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobs.errors import JobStoreError, JobTransitionError
from jobs.model import JobAction, JobDraft, JobStatus, Outcome, Severity
from jobs.sql.database import MIGRATIONS, engine_for
from jobs.sql.store import SqlJobStore

VIN = "PITSTOPDEMO000003"
MONDAY_9 = 1717405200.0  # 2024-06-03 09:00 UTC


def draft(vin: str = VIN, rule_id: str = "lv-battery-low") -> JobDraft:
    return JobDraft(vin=vin, rule_id=rule_id, title="t", severity=Severity.WARNING, fired_at=1.0)


def test_owners_and_vehicles_round_trip(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("Garage", "Town", ("electrical",), latitude=48.1, bays=3)
    anna = job_store.add_owner("Anna", "private", preferred_workshop_id=shop.id)
    fleet = job_store.add_owner("Vans Ltd", "fleet", auto_confirm=True, webhook_url="http://x/")
    assert job_store.owners() == [anna, fleet]
    assert (anna.preferred_workshop_id, fleet.auto_confirm) == (shop.id, True)
    job_store.register_vehicle("VIN2", fleet.id, "Van 2")
    job_store.register_vehicle("VIN1", anna.id)
    moved = job_store.register_vehicle("VIN1", fleet.id, "Van 1")  # an update, not a second row
    assert job_store.vehicle("VIN1") == moved
    assert [v.vin for v in job_store.vehicles()] == ["VIN1", "VIN2"]
    assert [v.vin for v in job_store.vehicles(owner_id=anna.id)] == []
    assert job_store.vehicle("NOPE") is None
    assert job_store.workshops()[0].bays == 3
    with pytest.raises(JobStoreError, match="kind"):
        job_store.add_owner("X", "company")


def test_a_fleet_with_auto_confirm_gets_confirmed_jobs(job_store: SqlJobStore) -> None:
    fleet = job_store.add_owner("Vans Ltd", "fleet", auto_confirm=True)
    job_store.register_vehicle(VIN, fleet.id)
    job, _ = job_store.open_job(draft(), None, 5.0)
    assert job.status is JobStatus.CONFIRMED
    other, _ = job_store.open_job(draft(vin="UNKNOWNVIN"), None, 5.0)
    assert other.status is JobStatus.PROPOSED


def test_the_whole_lifecycle_to_completed(job_store: SqlJobStore) -> None:
    job, _ = job_store.open_job(draft(), None, 1.0)
    steps = [
        (JobAction.CONFIRM, JobStatus.CONFIRMED),
        (JobAction.ACCEPT, JobStatus.ACCEPTED),
        (JobAction.START, JobStatus.IN_SERVICE),
    ]
    for i, (action, status) in enumerate(steps):
        assert job_store.act(job.id, action, 10.0 + i).status is status
    with pytest.raises(JobTransitionError, match="outcome"):
        job_store.act(job.id, JobAction.COMPLETE, 20.0)
    done = job_store.act(job.id, JobAction.COMPLETE, 21.0, outcome=Outcome.FIXED)
    assert (done.status, done.outcome, done.updated_at) == (JobStatus.COMPLETED, "fixed", 21.0)
    assert job_store.get_job(job.id) == done
    with pytest.raises(JobTransitionError, match="cannot cancel a job that is completed"):
        job_store.act(job.id, JobAction.CANCEL, 22.0)


def test_accepted_still_counts_as_open(job_store: SqlJobStore) -> None:
    job, _ = job_store.open_job(draft(), None, 1.0)
    job_store.act(job.id, JobAction.CONFIRM, 2.0)
    job_store.act(job.id, JobAction.ACCEPT, 3.0)
    again, created = job_store.open_job(draft(), None, 4.0)
    assert (again.id, created) == (job.id, False)


def test_move_needs_a_slot_and_a_workshop_and_confirms(job_store: SqlJobStore) -> None:
    nowhere, _ = job_store.open_job(draft(rule_id="x"), None, 1.0)
    with pytest.raises(JobTransitionError, match="no workshop"):
        job_store.act(nowhere.id, JobAction.MOVE, 2.0, slot_start=MONDAY_9)
    shop = job_store.add_workshop("Garage", "Town", ("electrical",))
    job, _ = job_store.open_job(draft(), shop.id, 1.0)
    with pytest.raises(JobTransitionError, match="slot_start"):
        job_store.act(job.id, JobAction.MOVE, 2.0)
    moved = job_store.act(job.id, JobAction.MOVE, 3.0, slot_start=MONDAY_9)
    assert (moved.status, moved.slot_start, moved.slot_end) == (
        JobStatus.CONFIRMED,
        MONDAY_9,
        MONDAY_9 + 3600,
    )


def test_unknown_job_and_rejected_and_cancelled_close(job_store: SqlJobStore) -> None:
    with pytest.raises(JobStoreError, match="no job 999"):
        job_store.act(999, JobAction.CONFIRM, 1.0)
    a, _ = job_store.open_job(draft(rule_id="a"), None, 1.0)
    b, _ = job_store.open_job(draft(rule_id="b"), None, 1.0)
    assert job_store.act(a.id, JobAction.REJECT, 2.0, note="no bay").status is JobStatus.REJECTED
    assert job_store.act(b.id, JobAction.CANCEL, 2.0).status is JobStatus.CANCELLED
    _, created = job_store.open_job(draft(rule_id="a"), None, 3.0)
    assert created


def test_two_actors_racing_on_one_job_one_wins(job_store: SqlJobStore) -> None:
    job, _ = job_store.open_job(draft(), None, 1.0)
    barrier = threading.Barrier(6)

    def attempt(i: int) -> str:
        barrier.wait()
        action = JobAction.CONFIRM if i % 2 else JobAction.CANCEL
        try:
            return job_store.act(job.id, action, float(i)).status.value
        except JobTransitionError:
            return "refused"

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    # Compare-and-set: at most one confirm and one cancel (after it) can succeed.
    assert results.count("confirmed") <= 1
    assert results.count("cancelled") <= 1
    assert results.count("refused") >= 4
    final = job_store.get_job(job.id)
    assert final is not None
    assert final.status.value == ("cancelled" if "cancelled" in results else "confirmed")


def test_upgrade_from_0001_keeps_jobs(job_store_url: str) -> None:
    engine = engine_for(job_store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO jobs (vin, rule_id, title, severity, status, fired_at, created_at,"
                " updated_at, diagnosis, evidence) VALUES ('V', 'r', 't', 'warning', 'proposed',"
                " 1, 1, 1, '{}', '{}')"
            )
        )
    engine.dispose()
    store = SqlJobStore.open(job_store_url)
    try:
        [job] = store.list_jobs()
        assert (job.vin, job.slot_start, job.outcome) == ("V", None, None)
        assert store.act(job.id, JobAction.CONFIRM, 2.0).status is JobStatus.CONFIRMED
    finally:
        store.close()
