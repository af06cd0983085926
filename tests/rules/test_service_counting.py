"""Maintenance rules count from the last matching service: a completed job of the rule, or a
service-book record of the rule or of a kind it counts from (outside work entered by the
owner), and owners are reminded once per due item, also across a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.model import RecordSource, ServiceEntry, ServiceKind
from jobs.open import open_state_store
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from pitstop.codec import Sample
from rules.core import RulesCore
from rules.errors import RuleError
from rules.jobsink import JobSink
from rules.loader import parse_catalog
from rules.reminders import Lead

VIN = "PITSTOPDEMO000007"
ODO = "Vehicle.TraveledDistance"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86_400.0
CATALOG = """
- id: oil
  title: Oil service due
  kind: maintenance
  every: {km: 10000, time: 365d}
  severity: info
  diagnosis: {summary: oil and filter, skills: [electrical]}
- id: tyres
  title: Tyre rotation due
  kind: maintenance
  every: {time: 30d}
  counts_from: [tyre_change]
  severity: info
  diagnosis: {summary: rotate the tyres, skills: [electrical]}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture
def store(url: str) -> Iterator[SqlJobStore]:
    jobs = SqlJobStore.open(url)
    ensure_demo_workshops(jobs)
    owner = jobs.add_owner("Anna", "private", webhook_url="http://owner.example/hook")
    jobs.register_vehicle(VIN, owner.id)
    yield jobs
    jobs.close()


def drive(core: RulesCore, now: list[float], km: list[float], start: float, step: float) -> None:
    """One odometer reading every ``step`` seconds of data time from ``start``."""
    for i, value in enumerate(km):
        now[0] = start + i * step
        core.telemetry(VIN, [Sample(ODO, now[0], value)])


def outside(store: SqlJobStore, day: str, km: float | None, kind: ServiceKind) -> None:
    entry = ServiceEntry(kind=kind, done_on=day, odometer_km=km, work="outside work")
    store.add_record(VIN, entry, source=RecordSource.OWNER, now=T0)


def opened(store: SqlJobStore) -> list[str]:
    return sorted(j.rule_id for j in store.list_jobs(vin=VIN))


def test_a_service_before_pitstop_saw_the_car_counts_its_distance(store: SqlJobStore) -> None:
    outside(store, "2025-11-01", 42_000.0, ServiceKind.SERVICE)  # 8,000 km before first sight
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    drive(core, now, [50_000.0 + 500 * i for i in range(4)], T0, 3600.0)
    assert opened(store) == []  # 51,500 km: 9,500 since the service
    drive(core, now, [52_000.0], T0 + DAY, 1.0)
    assert opened(store) == ["oil"]  # 10,000 since the service, not since first sight


def test_without_the_book_the_interval_counts_from_first_sight(store: SqlJobStore) -> None:
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    drive(core, now, [50_000.0, 52_000.0, 59_000.0], T0, 3600.0)
    assert opened(store) == []
    drive(core, now, [60_000.0], T0 + DAY, 1.0)
    assert opened(store) == ["oil"]


def test_a_service_entered_meanwhile_clears_the_item_instead_of_booking_it(
    store: SqlJobStore,
) -> None:
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    drive(core, now, [50_000.0, 55_000.0], T0, 3600.0)
    outside(store, "2026-01-10", 58_000.0, ServiceKind.SERVICE)  # the owner's outside work
    drive(core, now, [60_500.0], T0 + 20 * DAY, 1.0)
    assert opened(store) == []  # 2,500 km since the service entered while the car drove
    drive(core, now, [68_000.0], T0 + 21 * DAY, 1.0)
    assert opened(store) == ["oil"]


def test_only_the_kinds_a_rule_counts_from_reset_it(store: SqlJobStore) -> None:
    outside(store, "2026-01-25", None, ServiceKind.SERVICE)  # not a tyre change
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    drive(core, now, [50_000.0], T0, 1.0)
    drive(core, now, [50_100.0], T0 + 31 * DAY, 1.0)
    assert opened(store) == ["tyres"]


def test_a_tyre_change_last_week_means_no_rotation_is_due(store: SqlJobStore) -> None:
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    drive(core, now, [50_000.0], T0, 1.0)
    outside(store, "2026-01-25", None, ServiceKind.TYRE_CHANGE)
    drive(core, now, [50_100.0], T0 + 31 * DAY, 1.0)
    assert opened(store) == []


def reminders(store: SqlJobStore) -> list[dict[str, object]]:
    items = store.due_webhooks(float("inf"), limit=1000)
    return [json.loads(i.body) for i in items if i.event == "service.reminder"]


def test_the_owner_is_reminded_once_within_the_lead_also_after_a_restart(
    store: SqlJobStore, url: str
) -> None:
    rules = parse_catalog(CATALOG)
    state = open_state_store(url)
    now = [T0]
    lead = Lead(km=1_000.0, s=14 * DAY)
    core = RulesCore(rules, JobSink(store), clock=lambda: now[0], state=state, reminders=lead)
    drive(core, now, [50_000.0, 55_000.0, 58_900.0], T0, 3600.0)
    assert reminders(store) == []  # 1,100 km left
    drive(core, now, [59_100.0, 59_200.0, 59_300.0], T0 + DAY, 60.0)
    (sent,) = reminders(store)
    assert (sent["rule_id"], sent["due_in"]) == ("oil", {"km": 900.0, "days": 364.0})
    assert core.stats.reminders == 1
    core.checkpoint()

    again = RulesCore(rules, JobSink(store), clock=lambda: now[0], state=state, reminders=lead)
    assert again.restore() == 1
    drive(again, now, [59_400.0, 59_500.0], T0 + 2 * DAY, 60.0)
    assert len(reminders(store)) == 1  # the same item: not sent again
    assert again.stats.reminders == 0
    state.close()


def test_a_service_recorded_before_the_reminder_goes_out_stops_it(store: SqlJobStore) -> None:
    now = [T0]
    core = RulesCore(
        parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0], reminders=Lead(km=1_000.0)
    )
    drive(core, now, [50_000.0, 55_000.0], T0, 3600.0)
    outside(store, "2026-01-01", 58_000.0, ServiceKind.SERVICE)
    drive(core, now, [59_100.0], T0 + DAY, 1.0)
    assert reminders(store) == []
    drive(core, now, [67_500.0], T0 + 2 * DAY, 1.0)
    (sent,) = reminders(store)
    assert sent["counts_from"] == {"at": T0, "odometer_km": 58_000.0, "serviced": True}


def test_counts_from_takes_only_service_book_kinds() -> None:
    wrong = CATALOG.replace("counts_from: [tyre_change]", "counts_from: [fuel]")
    with pytest.raises(RuleError, match=r"tyres.*counts_from"):
        parse_catalog(wrong)
