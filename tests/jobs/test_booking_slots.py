"""Booking: workshop choice and slots (pure), and no double booking under threads (SQLite and
PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from jobs.booking import (
    book_first_free,
    candidate_slots,
    choose_workshop,
    distance_km,
    open_and_book,
)
from jobs.errors import JobTransitionError
from jobs.model import JobAction, JobDraft, Outcome, Severity, Workshop
from jobs.sql.store import SqlJobStore

MONDAY_9 = datetime(2024, 6, 3, 9, tzinfo=UTC).timestamp()


def shop(i: int, *, skills: tuple[str, ...] = ("brakes",), **kw: Any) -> Workshop:
    return Workshop(id=i, name=f"W{i}", location="x", skills=skills, **kw)


def test_preferred_if_qualified_else_nearest() -> None:
    munich = shop(1, latitude=48.14, longitude=11.58)
    berlin = shop(2, latitude=52.52, longitude=13.40)
    hamburg_no_brakes = shop(3, skills=("tyres",), latitude=53.55, longitude=9.99)
    every = [munich, berlin, hamburg_no_brakes]
    near_hamburg = (53.5, 10.0)
    assert choose_workshop(every, ["brakes"], near=near_hamburg) == berlin
    assert choose_workshop(every, ["brakes"], near=near_hamburg, preferred_id=1) == munich
    assert choose_workshop(every, ["brakes"], near=near_hamburg, preferred_id=3) == berlin
    assert choose_workshop(every, ["high-voltage"]) is None
    tesla_only = shop(4, brands=("Tesla",))
    assert choose_workshop([tesla_only], ["brakes"], brand="VW") is None
    assert choose_workshop([tesla_only], ["brakes"], brand="Tesla") == tesla_only
    assert 500 < distance_km((48.14, 11.58), (52.52, 13.40)) < 520


def test_slots_follow_opening_hours_and_time_zone() -> None:
    utc = shop(1, hours=((0, 8.0, 12.0),))  # Mondays 8-12 UTC only
    slots = list(candidate_slots(utc, MONDAY_9 - 1800, MONDAY_9 + 7 * 86400))
    next_monday_8 = MONDAY_9 + 7 * 86400 - 3600
    assert [s for s, _ in slots] == [MONDAY_9, MONDAY_9 + 3600, MONDAY_9 + 7200, next_monday_8]
    berlin = shop(2, hours=((0, 9.0, 10.0),), timezone="Europe/Berlin")  # 9 CEST = 7 UTC
    [(start, end)] = list(candidate_slots(berlin, MONDAY_9 - 3 * 3600, MONDAY_9 + 86400))
    assert (start, end) == (MONDAY_9 - 2 * 3600, MONDAY_9 - 3600)


def draft(vin: str) -> JobDraft:
    return JobDraft(
        vin=vin, rule_id="brake-pads", title="t", severity=Severity.WARNING, fired_at=1.0
    )


def test_first_free_slot_then_the_next_bay_then_the_next_hour(job_store: SqlJobStore) -> None:
    garage = job_store.add_workshop("G", "x", ("brakes",), bays=2)
    window = (MONDAY_9, MONDAY_9 + 86400)
    starts = []
    for i in range(3):
        job, _ = job_store.open_job(draft(f"VIN{i}"), garage.id, 1.0)
        booked = book_first_free(job_store, job, garage, window, now=2.0)
        assert booked is not None
        assert booked.workshop_id == garage.id
        starts.append(booked.slot_start)
    assert starts == [MONDAY_9, MONDAY_9, MONDAY_9 + 3600]
    taken = job_store.reservations(garage.id, MONDAY_9, MONDAY_9 + 7200)
    assert [(r.slot_start, r.bay) for r in taken] == [
        (MONDAY_9, 1),
        (MONDAY_9, 2),
        (MONDAY_9 + 3600, 1),
    ]


def test_cancel_frees_the_bay_and_move_reserves_again(job_store: SqlJobStore) -> None:
    garage = job_store.add_workshop("G", "x", ("brakes",), bays=1)
    a, _ = job_store.open_job(draft("A"), garage.id, 1.0)
    b, _ = job_store.open_job(draft("B"), garage.id, 1.0)
    assert job_store.book(a.id, garage.id, MONDAY_9, MONDAY_9 + 3600, 2.0) is not None
    assert job_store.book(b.id, garage.id, MONDAY_9, MONDAY_9 + 3600, 2.0) is None
    assert job_store.book(b.id, garage.id, MONDAY_9 + 3600, MONDAY_9 + 7200, 2.0) is not None
    with pytest.raises(JobTransitionError, match="bay"):
        job_store.act(b.id, JobAction.MOVE, 3.0, slot_start=MONDAY_9)
    moved = job_store.act(b.id, JobAction.MOVE, 3.0, slot_start=MONDAY_9 + 7200)
    assert (moved.slot_start, moved.slot_end) == (MONDAY_9 + 7200, MONDAY_9 + 3 * 3600)
    assert [
        r.slot_start for r in job_store.reservations(garage.id, 0, 2e9) if r.job_id == b.id
    ] == [MONDAY_9 + 7200]
    job_store.act(a.id, JobAction.CANCEL, 4.0)
    assert job_store.book(b.id, garage.id, MONDAY_9, MONDAY_9 + 3600, 5.0) is not None


def test_threads_booking_at_once_never_share_a_bay(job_store: SqlJobStore) -> None:
    garage = job_store.add_workshop("G", "x", ("brakes",), bays=2)
    jobs = [job_store.open_job(draft(f"VIN{i}"), garage.id, 1.0)[0] for i in range(6)]
    barrier = threading.Barrier(len(jobs))
    window = (MONDAY_9, MONDAY_9 + 3 * 3600)  # three hours x two bays = six bay-hours

    def attempt(i: int) -> float | None:
        barrier.wait()
        booked = book_first_free(job_store, jobs[i], garage, window, now=2.0)
        return booked.slot_start if booked else None

    with ThreadPoolExecutor(len(jobs)) as pool:
        starts = list(pool.map(attempt, range(len(jobs))))
    taken = job_store.reservations(garage.id, MONDAY_9, MONDAY_9 + 86400)
    assert len({(r.slot_start, r.bay) for r in taken}) == len(taken)
    assert len({r.job_id for r in taken}) == len(taken)
    assert all(start is not None for start in starts)  # capacity was exactly enough
    hours = [MONDAY_9] * 2 + [MONDAY_9 + 3600] * 2 + [MONDAY_9 + 7200] * 2
    assert sorted(s for s in starts if s is not None) == hours


def test_outcomes_per_rule(job_store: SqlJobStore) -> None:
    for i, outcome in enumerate([Outcome.FIXED, Outcome.FIXED, Outcome.NO_FAULT_FOUND]):
        job, _ = job_store.open_job(draft(f"V{i}"), None, 1.0)
        for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
            job_store.act(job.id, action, 2.0)
        job_store.act(job.id, JobAction.COMPLETE, 3.0, outcome=outcome)
    job_store.open_job(JobDraft("V9", "other", "t", Severity.INFO, 1.0), None, 1.0)
    [stats] = job_store.rule_outcomes()
    assert (stats.rule_id, stats.completed, stats.fixed, stats.no_fault_found) == (
        "brake-pads",
        3,
        2,
        1,
    )
    assert stats.precision == pytest.approx(2 / 3)


def test_open_and_book_prefers_the_owners_workshop(job_store: SqlJobStore) -> None:
    job_store.add_workshop("First", "x", ("brakes",))
    favourite = job_store.add_workshop("Favourite", "y", ("brakes",))
    anna = job_store.add_owner("Anna", "private", preferred_workshop_id=favourite.id)
    job_store.register_vehicle("ANNA", anna.id)
    job, created, where = open_and_book(job_store, draft("ANNA"), urgency_s=86400, now=MONDAY_9)
    assert created
    assert where == favourite
    assert (job.workshop_id, job.slot_start) == (favourite.id, MONDAY_9)
    stranger, _, where = open_and_book(job_store, draft("OTHER"), urgency_s=3600, now=MONDAY_9)
    assert where is not None
    assert where.name == "First"
    assert stranger.slot_start == MONDAY_9
    again, created, _ = open_and_book(job_store, draft("ANNA"), urgency_s=86400, now=MONDAY_9)
    assert (again.id, created) == (job.id, False)
