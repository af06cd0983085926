"""A workshop's calendar: its bookings and its free capacity per opening hour."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.job_views import capacity
from jobs.model import Reservation, Workshop
from jobs.store import JobStore
from tests.api.conftest import NOW, Fleet

FRIDAY_8 = NOW + 32 * 3600  # NOW is Thursday 00:00 UTC


def test_capacity_counts_free_bays_in_opening_hours_only() -> None:
    workshop = Workshop(1, "Two bays", "Kiel", (), bays=2, hours=((4, 8.0, 12.0),))
    taken = [Reservation(1, 0, FRIDAY_8 + 3600, 7), Reservation(1, 1, FRIDAY_8 + 3600, 8)]
    taken.append(Reservation(1, 0, FRIDAY_8 + 7200, 9))
    slots = capacity(workshop, taken, FRIDAY_8 - 4 * 3600, FRIDAY_8 + 24 * 3600)
    assert [(s.start - FRIDAY_8, s.booked, s.free) for s in slots] == [
        (0, 0, 2),
        (3600, 2, 0),
        (7200, 1, 1),
        (10800, 0, 2),
    ]
    assert all(s.end - s.start == 3600 and s.bays == 2 for s in slots)


def test_the_calendar_shows_a_booked_hour_as_full(
    client: TestClient, job_store: JobStore, fleet: Fleet
) -> None:
    slot = FRIDAY_8 + 3600
    assert job_store.book(fleet.battery_job.id, fleet.workshop.id, slot, slot + 3600, NOW)
    answer = client.get(
        f"/workshops/{fleet.workshop.id}/calendar",
        params={"from": FRIDAY_8, "to": FRIDAY_8 + 4 * 3600},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [b["id"] for b in body["bookings"]] == [fleet.battery_job.id]
    free = {s["start"]: s["free"] for s in body["capacity"]}
    assert free == {FRIDAY_8: 1, slot: 0, slot + 3600: 1, slot + 7200: 1}
