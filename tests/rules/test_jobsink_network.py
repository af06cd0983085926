"""``JobSink`` in the service network: the same rule firing again on the same car soon after
its job was closed "fixed" opens a comeback (with the window from the policy), and the sweep
books a job the sink opened but could not book."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs.model import JobAction, JobDraft, Outcome, Severity
from jobs.network import BookingPolicy
from jobs.sql.store import SqlJobStore
from rules.jobsink import JobSink
from rules.sink import AddEvidence, Addition, OpenJob, Receipt

VIN = "PITSTOPDEMO000003"
MONDAY_9 = 1_717_405_200.0
DAY = 86400.0


@pytest.fixture
def store() -> Iterator[SqlJobStore]:
    jobs = SqlJobStore.open("sqlite://")
    yield jobs
    jobs.close()


def firing(at: float) -> OpenJob:
    draft = JobDraft(VIN, "lv", "12 V low", Severity.WARNING, at, required_skills=("electrical",))
    return OpenJob(draft, urgency_s=3 * DAY)


def test_a_rule_firing_again_after_fixed_is_a_comeback_within_the_window(
    store: SqlJobStore,
) -> None:
    store.add_workshop("G", "x", ("electrical",))
    sink = JobSink(store, BookingPolicy(comeback_days=10))
    (first,) = sink.emit([firing(MONDAY_9)], MONDAY_9)
    assert first.job_id is not None
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(first.job_id, action, MONDAY_9)
    store.act(first.job_id, JobAction.COMPLETE, MONDAY_9 + 3600, outcome=Outcome.FIXED)
    (again,) = sink.emit([firing(MONDAY_9 + 7 * DAY)], MONDAY_9 + 7 * DAY)
    assert again.created
    assert again.job_id is not None
    back = store.get_job(again.job_id)
    assert back is not None
    assert back.comeback_of == first.job_id
    store.act(back.id, JobAction.CANCEL, MONDAY_9 + 7 * DAY)
    (late,) = sink.emit([firing(MONDAY_9 + 12 * DAY)], MONDAY_9 + 12 * DAY)
    assert late.job_id is not None
    job = store.get_job(late.job_id)
    assert job is not None
    assert job.comeback_of is None  # twelve days after the fix: outside the ten-day window


def test_the_sweep_books_what_the_sink_could_not(store: SqlJobStore) -> None:
    sink = JobSink(store)
    (opened,) = sink.emit([firing(MONDAY_9)], MONDAY_9)  # no workshop in the network yet
    assert opened.created
    assert opened.job_id is not None
    unbooked = store.get_job(opened.job_id)
    assert unbooked is not None
    assert unbooked.slot_start is None
    store.add_workshop("G", "x", ("electrical",))
    done = sink.sweep(MONDAY_9 + 3600)
    assert (done.booked, done.escalated) == (1, 0)
    booked = store.get_job(opened.job_id)
    assert booked is not None
    assert booked.slot_start == MONDAY_9 + 3600


def test_a_fault_that_persists_and_escalates_after_fixed_reopens(store: SqlJobStore) -> None:
    store.add_workshop("G", "x", ("electrical",))
    sink = JobSink(store)
    (first,) = sink.emit([firing(MONDAY_9)], MONDAY_9)
    assert first.job_id is not None
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(first.job_id, action, MONDAY_9)
    store.act(first.job_id, JobAction.COMPLETE, MONDAY_9 + 3600, outcome=Outcome.FIXED)
    worse = AddEvidence(
        VIN,
        "lv",
        Addition.ESCALATION,
        MONDAY_9 + DAY,
        {"trigger": {"value": 11.2}},
        Severity.CRITICAL,
    )
    (receipt,) = sink.emit([worse], MONDAY_9 + DAY)  # the alert never cleared: still failing
    assert receipt.created
    assert receipt.job_id is not None
    back = store.get_job(receipt.job_id)
    assert back is not None
    assert (back.comeback_of, back.severity, back.title) == (
        first.job_id,
        Severity.CRITICAL,
        "12 V low",
    )
    assert back.slot_start is not None
    other = AddEvidence(VIN, "other", Addition.ESCALATION, MONDAY_9 + DAY, {}, Severity.CRITICAL)
    assert sink.emit([other], MONDAY_9 + DAY) == [Receipt(None)]  # nothing fixed lately
