"""The service book in the job store, on SQLite and PostgreSQL: records by hand, the record a
completed job writes in its own transaction, imports that are all-or-nothing and idempotent,
and the follow-up and reminder notices that go out once."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from jobs.delivery import deliver_due
from jobs.errors import JobStoreError, ServiceBookError
from jobs.model import (
    CarVerdict,
    FollowUpAnswer,
    JobAction,
    JobDraft,
    Outcome,
    RecordSource,
    ServiceEntry,
    ServiceKind,
    Severity,
)
from jobs.sql.store import SqlJobStore
from rules.jobsink import JobSink
from rules.sink import OpenJob
from tests.jobs.test_webhooks import SECRET, Receiver

VIN = "PITSTOPDEMO000003"
DAY = 86_400.0
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def entry(day: str = "2025-06-01", km: float | None = 41_000.0, **kw: object) -> ServiceEntry:
    return ServiceEntry(
        kind=ServiceKind.SERVICE,
        done_on=day,
        odometer_km=km,
        work="Oil and filter",
        **kw,  # type: ignore[arg-type]
    )


def complete(store: SqlJobStore, rule_id: str = "yearly-service", at: float = T0) -> int:
    shop = store.add_workshop("Garage Nord", "Hamburg", ("brakes",))
    draft = JobDraft(
        vin=VIN,
        rule_id=rule_id,
        title="Yearly service due",
        severity=Severity.INFO,
        fired_at=at - 10 * DAY,
        diagnosis={"parts": [{"name": "Cabin air filter", "quantity": 1}], "labour_hours": 1.5},
        evidence={"trigger": {"kind": "maintenance"}, "odometer_km": 59_400.0},
    )
    job, _ = store.open_job(draft, shop.id, at - 10 * DAY)
    for i, action in enumerate((JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START)):
        store.act(job.id, action, at - 5 * DAY + i)
    store.act(job.id, JobAction.COMPLETE, at, outcome=Outcome.FIXED, note="all done")
    return job.id


def test_records_are_added_edited_listed_newest_first_and_deleted(job_store: SqlJobStore) -> None:
    old = job_store.add_record(
        VIN, entry("2024-05-01", 20_000.0), source=RecordSource.OWNER, now=T0
    )
    new = job_store.add_record(VIN, entry("2025-06-01"), source=RecordSource.OWNER, now=T0)
    assert [r.id for r in job_store.service_records(VIN)] == [new.id, old.id]
    edited = job_store.update_record(old.id, entry("2024-05-02", 20_100.0), T0 + 1)
    assert (edited.entry.done_on, edited.entry.odometer_km, edited.updated_at) == (
        "2024-05-02",
        20_100.0,
        T0 + 1,
    )
    assert job_store.service_record(old.id) == edited
    job_store.delete_record(old.id)
    assert [r.id for r in job_store.service_records(VIN)] == [new.id]
    assert job_store.service_records("OTHERVIN000000000") == []
    with pytest.raises(ServiceBookError, match="no service record"):
        job_store.delete_record(old.id)
    with pytest.raises(ServiceBookError, match="not a date"):
        job_store.add_record(VIN, entry("1 June"), source=RecordSource.OWNER, now=T0)
    with pytest.raises(ServiceBookError, match="negative"):
        job_store.add_record(VIN, entry(km=-1.0), source=RecordSource.OWNER, now=T0)


def test_a_completed_job_writes_its_record_once(job_store: SqlJobStore) -> None:
    job_id = complete(job_store)
    (record,) = job_store.service_records(VIN)
    assert record.source is RecordSource.JOB
    assert record.job_id == job_id
    assert record.entry.kind is ServiceKind.SERVICE  # a maintenance rule's job
    assert record.entry.rule_id == "yearly-service"
    assert (record.entry.done_on, record.done_at) == ("2026-01-01", T0)
    assert record.entry.odometer_km == 59_400.0
    assert record.entry.workshop == "Garage Nord"
    assert record.entry.parts == ("Cabin air filter",)
    assert record.entry.work == "Yearly service due (fixed)"
    assert record.entry.notes == "all done"
    with pytest.raises(JobStoreError):  # completing again is refused; no second record
        job_store.act(job_id, JobAction.COMPLETE, T0 + 1, outcome=Outcome.FIXED)
    assert len(job_store.service_records(VIN)) == 1


def test_an_import_is_idempotent_and_keeps_identical_rows_apart(job_store: SqlJobStore) -> None:
    rows = [entry("2025-01-01", 1.0), entry("2025-01-01", 1.0), entry("2025-02-01", 2.0)]
    done: list[int] = []
    first = job_store.import_records(VIN, rows, now=T0, progress=done.append)
    assert (first.added, first.skipped, done) == (3, 0, [3])
    again = job_store.import_records(VIN, rows, now=T0 + 1)
    assert (again.added, again.skipped) == (0, 3)
    grown = job_store.import_records(VIN, [*rows, entry("2025-03-01", 3.0)], now=T0 + 2)
    assert (grown.added, grown.skipped) == (1, 3)
    assert len(job_store.service_records(VIN)) == 4
    assert {r.source for r in job_store.service_records(VIN)} == {RecordSource.IMPORT}


def test_an_import_with_a_bad_row_adds_nothing(job_store: SqlJobStore) -> None:
    rows = [entry("2025-01-01"), entry("2025-13-01")]
    with pytest.raises(ServiceBookError, match="not a date"):
        job_store.import_records(VIN, rows, now=T0)
    assert job_store.service_records(VIN) == []


def test_the_followup_is_asked_once_with_what_the_car_says(job_store: SqlJobStore) -> None:
    owner = job_store.add_owner("Anna", "private", webhook_url="http://owner.example/hook")
    job_store.register_vehicle(VIN, owner.id)
    job_id = complete(job_store)
    pending = job_store.pending_webhooks()
    assert job_store.ask_followups(T0 + 6 * DAY, after_s=7 * DAY) == 0
    assert job_store.ask_followups(T0 + 7 * DAY, after_s=7 * DAY) == 1
    assert job_store.ask_followups(T0 + 8 * DAY, after_s=7 * DAY) == 0  # once
    follow = job_store.followup(job_id)
    assert follow is not None
    assert (follow.asked_at, follow.car_verdict, follow.answer) == (
        T0 + 7 * DAY,
        CarVerdict.CLEAR,
        None,
    )
    (item,) = job_store.due_webhooks(T0 + 8 * DAY, limit=100)[pending:]
    body = json.loads(item.body)
    assert (item.event, item.url, body["car"], body["job"]["id"]) == (
        "job.followup",
        "http://owner.example/hook",
        "clear",
        job_id,
    )
    answered = job_store.answer_followup(job_id, False, T0 + 9 * DAY)
    assert (answered.answer, answered.answered_at) == (FollowUpAnswer.NOT_SOLVED, T0 + 9 * DAY)


def test_the_car_answers_fired_again_when_the_rule_opened_a_new_job(
    job_store: SqlJobStore,
) -> None:
    job_id = complete(job_store, rule_id="lv-battery-low")
    again, _ = job_store.open_job(
        JobDraft(VIN, "lv-battery-low", "12 V low", Severity.WARNING, T0 + DAY), None, T0 + DAY
    )
    assert job_store.ask_followups(T0 + 7 * DAY, after_s=7 * DAY) == 1
    follow = job_store.followup(job_id)
    assert follow is not None
    assert (follow.car_verdict, follow.car_job_id) == (CarVerdict.FIRED_AGAIN, again.id)
    with pytest.raises(JobStoreError, match="no follow-up"):
        job_store.answer_followup(again.id, True, T0)


def test_a_notice_goes_to_the_owner_once_per_key(job_store: SqlJobStore) -> None:
    owner = job_store.add_owner("Anna", "private", webhook_url="http://owner.example/hook")
    job_store.register_vehicle(VIN, owner.id)
    doc = {"rule_id": "yearly-service", "due_in_km": 800.0}
    assert job_store.notify_once(VIN, "yearly-service@1", "service.reminder", doc, T0)
    assert not job_store.notify_once(VIN, "yearly-service@1", "service.reminder", doc, T0 + 1)
    assert job_store.notify_once(VIN, "yearly-service@2", "service.reminder", doc, T0 + 2)
    events = [i.event for i in job_store.due_webhooks(T0 + 3, limit=100)]
    assert events == ["service.reminder", "service.reminder"]


def test_the_followup_and_a_reminder_reach_the_owner_signed(job_store: SqlJobStore) -> None:
    receiver = Receiver()
    try:
        owner = job_store.add_owner("Anna", "private", webhook_url=receiver.url)
        job_store.register_vehicle(VIN, owner.id)
        job_id = complete(job_store)
        job_store.ask_followups(T0 + 7 * DAY, after_s=7 * DAY)
        job_store.notify_once(VIN, "oil@1", "service.reminder", {"rule_id": "oil"}, T0)
        with httpx.Client(timeout=10.0) as client:
            stats = deliver_due(job_store, client, SECRET)
        assert (stats.delivered, stats.failed, receiver.bad_signatures) == (7, 0, 0)
        events = {event: body for _, event, body in receiver.received}
        assert events["job.followup"]["job"]["id"] == job_id  # type: ignore[index]
        assert events["job.followup"]["question"] == "Is the problem gone?"
        assert events["service.reminder"]["rule_id"] == "oil"
    finally:
        receiver.close()


def test_a_comeback_after_the_question_is_recorded_when_the_rule_opens_a_job(
    job_store: SqlJobStore,
) -> None:
    job_id = complete(job_store, rule_id="lv-battery-low")
    assert job_store.ask_followups(T0 + 7 * DAY, after_s=7 * DAY) == 1
    sink = JobSink(job_store)
    later = JobDraft(VIN, "lv-battery-low", "12 V low", Severity.WARNING, T0 + 40 * DAY)
    other = JobDraft(VIN, "coolant-hot", "Coolant hot", Severity.WARNING, T0 + 8 * DAY)
    sink.emit([OpenJob(other, None)], T0 + 8 * DAY)  # another rule: not a comeback
    follow = job_store.followup(job_id)
    assert follow is not None
    assert follow.car_verdict is CarVerdict.CLEAR
    (again,) = sink.emit([OpenJob(replace(later, fired_at=T0 + 9 * DAY), None)], T0 + 9 * DAY)
    follow = job_store.followup(job_id)
    assert follow is not None
    assert (follow.car_verdict, follow.car_job_id) == (CarVerdict.FIRED_AGAIN, again.job_id)


def test_a_fault_back_after_the_watch_is_not_a_comeback(job_store: SqlJobStore) -> None:
    job_id = complete(job_store, rule_id="lv-battery-low")
    draft = JobDraft(VIN, "lv-battery-low", "12 V low", Severity.WARNING, T0 + 40 * DAY)
    job, _ = job_store.open_job(draft, None, T0 + 40 * DAY)
    assert job_store.note_fired_again(VIN, "lv-battery-low", job.id, T0 + 40 * DAY) == 0
    follow = job_store.followup(job_id)
    assert follow is not None
    assert follow.car_verdict is None
