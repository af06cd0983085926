"""``JobSink``: the asks of the sink contract carried out on a real job store (SQLite in memory)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs.model import JobAction, JobDraft, JobStatus, Outcome, Severity
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from rules.jobsink import JobSink
from rules.sink import AddEvidence, Addition, AttachAfter, LastService, OpenJob, Receipt

VIN = "PITSTOPDEMO000003"
T0 = 1_767_225_600.0


@pytest.fixture
def store() -> Iterator[SqlJobStore]:
    jobs = SqlJobStore.open("sqlite://")
    ensure_demo_workshops(jobs)
    yield jobs
    jobs.close()


def opening(fired_at: float = T0, rule_id: str = "lv") -> OpenJob:
    draft = JobDraft(
        vin=VIN,
        rule_id=rule_id,
        title="12 V low",
        severity=Severity.WARNING,
        fired_at=fired_at,
        evidence={"trigger": {"fired_at": fired_at}},
        required_skills=("electrical",),
    )
    return OpenJob(draft, urgency_s=None)


def addition(kind: Addition, at: float, severity: Severity = Severity.WARNING) -> AddEvidence:
    return AddEvidence(VIN, "lv", kind, at, {"trigger": {"fired_at": at}}, severity)


def test_opening_creates_and_books_one_job_per_vehicle_and_rule(store: SqlJobStore) -> None:
    sink = JobSink(store)
    first, again = sink.emit([opening(), opening(T0 + 60)], T0)

    (job,) = store.list_jobs(vin=VIN)
    assert first == Receipt(job.id, created=True)
    assert again == Receipt(job.id, created=False)
    assert job.workshop_id is not None  # booked
    assert job.slot_start is not None
    assert [j.id for j in sink.opened] == [job.id]


def test_a_refiring_goes_to_the_open_job_unless_it_is_the_firing_that_opened_it(
    store: SqlJobStore,
) -> None:
    sink = JobSink(store)
    opened, same, later = sink.emit(
        [
            opening(),
            addition(Addition.REFIRING, T0),
            addition(Addition.REFIRING, T0 + 60, Severity.CRITICAL),
        ],
        T0 + 60,
    )

    assert same == Receipt(None)
    assert later == Receipt(opened.job_id)
    (job,) = store.list_jobs(vin=VIN)
    assert [e["trigger"]["fired_at"] for e in job.evidence["refirings"]] == [T0 + 60]
    assert job.severity is Severity.CRITICAL
    sink.emit([addition(Addition.ESCALATION, T0 + 90, Severity.INFO)], T0 + 90)
    (job,) = store.list_jobs(vin=VIN)
    assert len(job.evidence["escalations"]) == 1
    assert job.severity is Severity.CRITICAL  # never lowered


def test_an_escalation_without_an_open_job_does_nothing(store: SqlJobStore) -> None:
    sink = JobSink(store)
    assert sink.emit([addition(Addition.ESCALATION, T0)], T0) == [Receipt(None)]
    assert store.list_jobs(vin=VIN) == []


def test_the_window_after_goes_to_the_job_of_its_firing_even_once_closed(
    store: SqlJobStore,
) -> None:
    sink = JobSink(store)
    (first,) = sink.emit([opening()], T0)
    assert first.job_id is not None
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(first.job_id, action, T0 + 1)
    store.act(first.job_id, JobAction.COMPLETE, T0 + 2, outcome=Outcome.FIXED)
    (second,) = sink.emit([opening(T0 + 100)], T0 + 100)
    assert second.created

    window = {"from": T0, "until": T0 + 20, "window": {}}
    receipts = sink.emit([AttachAfter(VIN, "lv", T0, window)], T0 + 120)
    assert receipts == [Receipt(first.job_id)]
    closed = store.get_job(first.job_id)
    assert closed is not None
    assert closed.evidence["after"] == [window]
    assert sink.emit([AttachAfter(VIN, "other", T0, window)], T0 + 120) == [Receipt(None)]


def test_last_services_are_the_latest_completed_job_of_each_rule(store: SqlJobStore) -> None:
    sink = JobSink(store)
    assert sink.last_services(VIN, {"service": ()}) == {}
    (receipt,) = sink.emit([opening(rule_id="service")], T0)
    assert receipt.job_id is not None
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(receipt.job_id, action, T0)
    store.act(receipt.job_id, JobAction.COMPLETE, T0 + 3600, outcome=Outcome.FIXED)
    sink.emit([opening(T0 + 7200, rule_id="lv")], T0 + 7200)  # open, and not asked for

    wanted: dict[str, tuple[str, ...]] = {"service": (), "lv": ()}
    assert sink.last_services(VIN, wanted) == {"service": LastService(T0 + 3600)}
    assert store.list_jobs(vin=VIN, status=JobStatus.COMPLETED)[0].rule_id == "service"


def test_each_job_it_opens_is_in_the_audit_log_once(store: SqlJobStore) -> None:
    from jobs.audit import AuditQuery
    from jobs.sql.audit import SqlAuditLog

    audit = SqlAuditLog(store.engine)
    sink = JobSink(store, audit=audit)
    sink.emit([opening(), opening(T0 + 60)], T0)  # the second finds the open job
    (job,) = store.list_jobs(vin=VIN)
    (entry,) = audit.entries(AuditQuery())
    assert (entry.actor, entry.action, entry.at) == ("rules", "job.open", T0)
    assert entry.target == f"job {job.id}, vehicle {VIN}"
    assert entry.detail["rule"] == "lv"
