from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from jobs.errors import JobStoreError
from jobs.model import Job, JobDraft, JobStatus, Severity
from jobs.open import open_job_store
from jobs.sql.database import engine_for
from jobs.sql.store import SqlJobStore
from pitstop.errors import ConfigError

VIN = "PITSTOPDEMO000003"


def draft(vin: str = VIN, rule_id: str = "lv-battery-low", fired_at: float = 100.0) -> JobDraft:
    return JobDraft(
        vin=vin,
        rule_id=rule_id,
        title="12 V battery voltage low",
        severity=Severity.WARNING,
        fired_at=fired_at,
        diagnosis={"summary": "weak", "parts": [{"name": "12 V AGM battery", "quantity": 1}]},
        evidence={"trigger": {"value": 11.5}, "window": {"V": [[1.5, 11.5], [2.5, 11.4]]}},
        required_skills=("electrical",),
    )


def set_status(url: str, job_id: int, status: JobStatus) -> None:
    """What the API will do to close a job; not part of the JobStore interface yet."""
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE jobs SET status = :s WHERE id = :i"), {"s": status, "i": job_id}
        )
    engine.dispose()


def test_open_job_creates_then_returns_the_open_one(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("Garage", "Town", ("electrical", "brakes"))
    job, created = job_store.open_job(draft(), shop.id, now=1000.0)
    assert created
    assert (job.vin, job.rule_id, job.status, job.workshop_id) == (
        VIN,
        "lv-battery-low",
        JobStatus.PROPOSED,
        shop.id,
    )
    assert (job.fired_at, job.created_at, job.updated_at) == (100.0, 1000.0, 1000.0)
    again, created = job_store.open_job(draft(fired_at=200.0), None, now=2000.0)
    assert not created
    assert again == job
    assert job_store.get_job(job.id) == job
    assert job.evidence["window"]["V"] == [[1.5, 11.5], [2.5, 11.4]]
    assert job.diagnosis["parts"][0]["name"] == "12 V AGM battery"


def test_another_rule_or_vehicle_gets_its_own_job(job_store: SqlJobStore) -> None:
    a, _ = job_store.open_job(draft(), None, 1.0)
    b, created_b = job_store.open_job(draft(rule_id="coolant-temperature-high"), None, 2.0)
    c, created_c = job_store.open_job(draft(vin="PITSTOPDEMO000004"), None, 3.0)
    assert created_b
    assert created_c
    assert len({a.id, b.id, c.id}) == 3


def test_a_closed_job_lets_a_new_one_open(job_store: SqlJobStore, job_store_url: str) -> None:
    first, _ = job_store.open_job(draft(), None, 1.0)
    set_status(job_store_url, first.id, JobStatus.COMPLETED)
    second, created = job_store.open_job(draft(), None, 2.0)
    assert created
    assert second.id != first.id
    assert [j.id for j in job_store.list_jobs(vin=VIN)] == [second.id, first.id]


def test_list_jobs_filters_and_orders_newest_first(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("Garage", "Town", ("tyres",))
    ids = [
        job_store.open_job(
            draft(rule_id=f"rule-{i}", vin=f"PITSTOPDEMO00000{i % 2}"),
            (shop.id if i < 2 else None),
            float(i),
        )[0].id
        for i in range(4)
    ]
    assert [j.id for j in job_store.list_jobs()] == ids[::-1]
    assert [j.id for j in job_store.list_jobs(vin="PITSTOPDEMO000001")] == [ids[3], ids[1]]
    assert [j.id for j in job_store.list_jobs(workshop_id=shop.id)] == [ids[1], ids[0]]
    assert len(job_store.list_jobs(status=JobStatus.PROPOSED)) == 4
    assert job_store.list_jobs(status=JobStatus.COMPLETED) == []
    assert job_store.get_job(9999) is None


def test_workshops_round_trip(job_store: SqlJobStore) -> None:
    assert job_store.workshops() == []
    a = job_store.add_workshop("A", "North", ("electrical", "high-voltage"))
    b = job_store.add_workshop("B", "South", ())
    assert job_store.workshops() == [a, b]
    assert a.skills == ("electrical", "high-voltage")


def test_reopening_keeps_the_data(job_store_url: str) -> None:
    store = open_job_store(job_store_url)
    job, _ = store.open_job(draft(), None, 1.0)
    store.close()
    store = open_job_store(job_store_url)  # migrations are a no-op the second time
    try:
        assert store.list_jobs() == [job]
    finally:
        store.close()


def test_eight_threads_open_one_job(job_store: SqlJobStore) -> None:
    barrier = threading.Barrier(8)

    def attempt(i: int) -> tuple[Job, bool]:
        barrier.wait()
        return job_store.open_job(draft(fired_at=float(i)), None, float(i))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert sum(created for _, created in results) == 1
    assert len({job.id for job, _ in results}) == 1
    assert len(job_store.list_jobs()) == 1


def test_in_memory_store_is_shared_between_threads() -> None:
    store = SqlJobStore.open("sqlite://")
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: store.open_job(draft(), None, float(i)), range(8)))
        assert sum(created for _, created in results) == 1
        assert len(store.list_jobs()) == 1
    finally:
        store.close()


def test_bad_urls_are_named() -> None:
    with pytest.raises(ConfigError, match="mysql"):
        open_job_store("mysql://x/y")
    with pytest.raises(JobStoreError, match=r"cannot open sqlite:////nonexistent-dir/x/jobs\.db"):
        open_job_store("sqlite:////nonexistent-dir/x/jobs.db")
