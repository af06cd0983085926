"""The service network on the job store (SQLite and PostgreSQL): re-routing after a rejection,
escalation, ratings, comebacks, calendar-checked moves, and booking retried for unbooked jobs."""

from __future__ import annotations

import json

import pytest

from jobs.booking import book_unbooked, open_and_book
from jobs.errors import JobTransitionError, RatingError, SlotRefusedError
from jobs.model import JobAction, JobDraft, JobStatus, Outcome, Severity
from jobs.network import BookingPolicy, HandoffKind, Rating
from jobs.rerouting import escalate_overdue, reject, sweep
from jobs.sql.store import SqlJobStore

MONDAY_9 = 1_717_405_200.0  # 2024-06-03 09:00 UTC
POLICY = BookingPolicy()


def draft(vin: str = "VIN1", rule_id: str = "brake-pads", **kw: object) -> JobDraft:
    return JobDraft(
        vin=vin,
        rule_id=rule_id,
        title="Brake pads worn",
        severity=kw.pop("severity", Severity.WARNING),  # type: ignore[arg-type]
        fired_at=MONDAY_9,
        diagnosis={"labour_hours": kw.pop("labour", 1.0), "skills": ["brakes"]},
        required_skills=("brakes",),
    )


def complete(store: SqlJobStore, job_id: int, now: float, outcome: Outcome) -> None:
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(job_id, action, now)
    store.act(job_id, JobAction.COMPLETE, now, outcome=outcome)


def test_a_rejected_job_goes_to_the_next_workshop_never_back(job_store: SqlJobStore) -> None:
    first = job_store.add_workshop("First", "a", ("brakes",))
    second = job_store.add_workshop("Second", "b", ("brakes",), kind="partner")
    job_store.add_workshop("Tyres only", "c", ("tyres",))
    job, created, where = open_and_book(job_store, draft(), urgency_s=86400, now=MONDAY_9)
    assert created
    assert where == first
    with pytest.raises(JobTransitionError, match="reason"):
        reject(job_store, job, MONDAY_9, "  ", POLICY)
    moved = reject(job_store, job, MONDAY_9 + 60, "no brake lathe this week", POLICY)
    assert (moved.workshop_id, moved.status) == (second.id, JobStatus.PROPOSED)
    assert moved.slot_start == MONDAY_9 + 3600  # the next hour from the rejection
    assert moved.booking_reason is not None
    assert moved.booking_reason["workshop"] == "Second"
    assert [r.job_id for r in job_store.reservations(first.id, 0, 2e9)] == []
    assert [r.job_id for r in job_store.reservations(second.id, 0, 2e9)] == [job.id]
    again = reject(job_store, moved, MONDAY_9 + 120, "short of staff", POLICY)
    assert again.workshop_id is None  # nobody else qualifies: open, unplaced, not a dead end
    assert again.status in {JobStatus.PROPOSED, JobStatus.CONFIRMED}
    steps = [(h.kind, h.workshop_id, h.reason) for h in job_store.handoffs(job.id)]
    assert steps == [
        (HandoffKind.OFFERED, first.id, steps[0][2]),
        (HandoffKind.DECLINED, first.id, "no brake lathe this week"),
        (HandoffKind.OFFERED, second.id, steps[2][2]),
        (HandoffKind.DECLINED, second.id, "short of staff"),
        (HandoffKind.UNPLACED, None, "no other qualified workshop has a free slot"),
    ]
    assert job_store.declined_by(job.id) == {first.id, second.id}
    assert book_unbooked(job_store, POLICY, MONDAY_9 + 180) == []  # still nobody
    third = job_store.add_workshop("Third", "d", ("brakes",))
    (booked,) = book_unbooked(job_store, POLICY, MONDAY_9 + 240)
    assert (booked.id, booked.workshop_id) == (job.id, third.id)


def test_a_critical_job_nobody_accepts_in_time_escalates_once(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("Only", "a", ("brakes",))
    fleet = job_store.add_owner("Vans", "fleet", webhook_url="http://fleet.example/hook")
    job_store.register_vehicle("VIN1", fleet.id)
    urgent = draft(severity=Severity.CRITICAL)
    job, _, _ = open_and_book(job_store, urgent, urgency_s=4 * 3600, now=MONDAY_9)
    calm, _, _ = open_and_book(job_store, draft("VIN2"), urgency_s=3600, now=MONDAY_9)
    assert job.workshop_id == shop.id
    assert escalate_overdue(job_store, MONDAY_9 + 3600) == []  # not due yet
    job_store.act(job.id, JobAction.CONFIRM, MONDAY_9)  # the fleet confirmed; the shop did not
    before = job_store.pending_webhooks()
    (late,) = escalate_overdue(job_store, MONDAY_9 + 5 * 3600)
    assert late.id == job.id  # the warning job is overdue too, but only critical escalates
    assert late.escalated_at == MONDAY_9 + 5 * 3600
    assert escalate_overdue(job_store, MONDAY_9 + 6 * 3600) == []
    events = [json.loads(i.body)["event"] for i in job_store.due_webhooks(2e9, 1000)]
    assert job_store.pending_webhooks() == before + 1  # to the fleet (the shop has no hook)
    assert events[-1] == "job.escalate"
    assert job_store.handoffs(job.id)[-1].kind is HandoffKind.ESCALATED
    assert calm.escalated_at is None
    assert sweep(job_store, POLICY, MONDAY_9 + 7 * 3600).escalated == 0


def test_ratings_are_kept_once_for_completed_jobs_and_count(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("G", "a", ("brakes",))
    job, _, _ = open_and_book(job_store, draft(), urgency_s=86400, now=MONDAY_9)
    marks = Rating(job.id, 0, MONDAY_9, 4, 5, 3, 2, 4, 5, "<b>great</b>")
    with pytest.raises(RatingError, match="completed"):
        job_store.rate(marks)
    complete(job_store, job.id, MONDAY_9 + 3600, Outcome.FIXED)
    with pytest.raises(RatingError, match="1 to 5"):
        job_store.rate(Rating(job.id, 0, MONDAY_9, 6, 5, 3, 2, 4, 5))
    kept = job_store.rate(marks)
    assert (kept.workshop_id, kept.comment) == (shop.id, "<b>great</b>")
    with pytest.raises(RatingError, match="already"):
        job_store.rate(marks)
    assert job_store.rating(job.id) == kept
    assert job_store.ratings(shop.id) == [kept]
    (record,) = job_store.workshop_records()
    assert (record.ratings, record.overall_sum, record.fixed, record.comebacks) == (1, 4.0, 1, 0)


def test_the_same_fault_back_soon_after_fixed_is_a_comeback(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("G", "a", ("brakes",), bays=2)
    policy = BookingPolicy(comeback_days=30)
    first, _, _ = open_and_book(job_store, draft(), urgency_s=86400, now=MONDAY_9, policy=policy)
    complete(job_store, first.id, MONDAY_9 + 3600, Outcome.FIXED)
    back, created, _ = open_and_book(
        job_store, draft(), urgency_s=86400, now=MONDAY_9 + 5 * 86400, policy=policy
    )
    assert created
    assert back.comeback_of == first.id
    (record,) = job_store.workshop_records()
    assert (record.workshop_id, record.fixed, record.comebacks) == (shop.id, 1, 1)
    complete(job_store, back.id, MONDAY_9 + 6 * 86400, Outcome.FIXED)
    (outcomes,) = job_store.rule_outcomes()
    assert (outcomes.completed, outcomes.fixed, outcomes.comebacks) == (2, 2, 1)
    assert outcomes.precision == pytest.approx(0.5)  # one fix did not hold
    much_later = MONDAY_9 + 90 * 86400
    late, _, _ = open_and_book(job_store, draft(), urgency_s=86400, now=much_later, policy=policy)
    assert late.comeback_of is None  # two months on, it is a new fault


def test_slots_follow_labour_time_and_moves_must_fit(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("G", "a", ("brakes",), bays=1)
    long, _, _ = open_and_book(job_store, draft(labour=2.5), urgency_s=86400, now=MONDAY_9)
    assert (long.slot_start, long.slot_end) == (MONDAY_9, MONDAY_9 + 3 * 3600)
    assert len(job_store.reservations(shop.id, 0, 2e9)) == 3
    short, _, _ = open_and_book(job_store, draft("VIN2"), urgency_s=86400, now=MONDAY_9)
    assert short.slot_start == MONDAY_9 + 3 * 3600  # after the long one: one bay
    refused = {
        "in the past": MONDAY_9 - 86400,
        "opening hours": MONDAY_9 + 5 * 86400 - 6 * 3600,  # Saturday 03:00
        "taken": MONDAY_9 + 3600,
    }
    for why, slot in refused.items():
        with pytest.raises(SlotRefusedError, match=why) as caught:
            job_store.act(short.id, JobAction.MOVE, MONDAY_9, slot_start=slot)
        assert caught.value.alternatives, why
        for start, end in caught.value.alternatives:
            assert start >= MONDAY_9
            assert end - start == 3600
        job_store.act(
            short.id, JobAction.MOVE, MONDAY_9, slot_start=caught.value.alternatives[0][0]
        )
    still = job_store.get_job(long.id)
    assert still is not None
    assert still.slot_start == MONDAY_9


def test_a_job_opened_but_never_booked_is_booked_by_the_retry(job_store: SqlJobStore) -> None:
    shop = job_store.add_workshop("G", "a", ("brakes",))
    orphan, created = job_store.open_job(draft(), None, MONDAY_9, due_at=MONDAY_9 + 86400)
    assert created  # ...and the process died here, before booking
    assert [j.id for j in job_store.unbooked_jobs()] == [orphan.id]
    again, created, where = open_and_book(job_store, draft(), urgency_s=86400, now=MONDAY_9)
    assert (again.id, created, where) == (orphan.id, False, shop)
    assert again.slot_start == MONDAY_9
    second, _ = job_store.open_job(draft("VIN2"), None, MONDAY_9)
    (booked,) = book_unbooked(job_store, POLICY, MONDAY_9)
    assert booked.id == second.id
    assert booked.slot_start == MONDAY_9 + 3600
    assert job_store.unbooked_jobs() == []
