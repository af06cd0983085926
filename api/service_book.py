"""Who may read and write a vehicle's service book, the odometer a record is filled in with,
and records as the API shows them.

    engineer                 reads every book
    admin                    reads and writes every book
    owner, fleet_manager     read and write the books of their vehicles (every record)
    workshop                 reads the book of a vehicle it has (had) a job for, when the owner
                             consented (``service-book`` in the workshop's consent list of
                             ``PUT /vehicles/{vin}/consent/{workshop_id}``); adds records, and
                             edits or deletes the ones it wrote
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from api.errors import ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError
from api.html import Html, join
from api.keys import KeyStore, Role
from api.scope import OWNERS, WHOLE_FLEET, Access, unknown_vehicle
from api.service_book_page import book_link, book_section, followup_section, share_form
from api.service_book_schemas import FollowUpOut, ServiceRecordIn, ServiceRecordOut
from ingest.store import TelemetryStore
from jobs.model import FOLLOWUP_QUESTION, FollowUp, Job, RecordSource, ServiceEntry, ServiceRecord
from jobs.store import JobStore
from rules.draft import ODOMETER

SERVICE_BOOK_CONSENT = "service-book"
WRITERS = frozenset({Role.OWNER, Role.FLEET_MANAGER, Role.WORKSHOP})


def readable_book(access: Access, vin: str, jobs: JobStore, keys: KeyStore | None) -> str:
    """``vin`` if the caller may read its service book; else 404, as for an unknown vehicle."""
    if access.role in WHOLE_FLEET or (access.role in OWNERS and access.sees_vin(vin)):
        return vin
    if access.role is Role.WORKSHOP and _workshop_sees(access, vin, jobs, keys):
        return vin
    raise unknown_vehicle(vin)


def _workshop_sees(access: Access, vin: str, jobs: JobStore, keys: KeyStore | None) -> bool:
    shop = access.key.workshop_id
    if shop is None or keys is None:
        return False
    if not any(j.vin == vin for j in jobs.list_jobs(vin=vin, workshop_id=shop)):
        return False
    return SERVICE_BOOK_CONSENT in keys.consents(vin).get(shop, [])


def may_edit(access: Access, record: ServiceRecord) -> bool:
    if access.role is Role.ADMIN or access.role in OWNERS:
        return True
    return (
        access.role is Role.WORKSHOP
        and record.source is RecordSource.WORKSHOP
        and record.workshop_id == access.key.workshop_id
    )


def require_edit(access: Access, record: ServiceRecord) -> None:
    access.require(WRITERS, "change a service book")
    if not may_edit(access, record):
        raise ForbiddenError("a workshop may change only the service records it wrote")


def source_of(access: Access) -> tuple[RecordSource, int | None]:
    """Who writes a new record: the owner, or the workshop (with its id)."""
    access.require(WRITERS, "write in a service book")
    if access.role is Role.WORKSHOP:
        return RecordSource.WORKSHOP, access.key.workshop_id
    return RecordSource.OWNER, None


def entry_of(
    body: ServiceRecordIn, vin: str, telemetry: TelemetryStore, now: float
) -> ServiceEntry:
    """The entry of a request, its odometer filled in from the car's own data if not given."""
    if body.done_on > datetime.fromtimestamp(now, UTC).date():
        raise InvalidInputError(("body", "done_on"), "the day is ahead of today", str(body.done_on))
    odometer = body.odometer_km
    if odometer is None:
        odometer = odometer_on(telemetry, vin, body.done_on, now)
    return ServiceEntry(
        kind=body.kind,
        done_on=body.done_on.isoformat(),
        odometer_km=odometer,
        workshop=body.workshop,
        work=body.work,
        parts=tuple(body.parts),
        labour_hours=body.labour_hours,
        cost=body.cost,
        currency=body.currency,
        notes=body.notes,
        rule_id=body.rule_id,
    )


def odometer_on(telemetry: TelemetryStore, vin: str, day: date, now: float) -> float | None:
    """The car's odometer reading at the end of ``day``: its latest reading if that is not
    later, else the last one of that day; None when it reported none."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = min((start + timedelta(days=1)).timestamp(), now)
    latest = telemetry.latest(vin).get(ODOMETER)
    if latest is not None and latest.ts < end:
        return float(latest.value)
    buckets = telemetry.downsample(vin, ODOMETER, start.timestamp(), end, max_points=1)
    return float(buckets[-1].last) if buckets else None


def record_out(record: ServiceRecord, access: Access) -> ServiceRecordOut:
    e = record.entry
    return ServiceRecordOut(
        id=record.id,
        vin=record.vin,
        kind=e.kind,
        done_on=e.done_on,
        odometer_km=e.odometer_km,
        workshop=e.workshop,
        work=e.work,
        parts=list(e.parts),
        labour_hours=e.labour_hours,
        cost=e.cost,
        currency=e.currency,
        notes=e.notes,
        rule_id=e.rule_id,
        source=record.source,
        job_id=record.job_id,
        workshop_id=record.workshop_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        editable=may_edit(access, record) and access.role is not Role.ENGINEER,
    )


def keys_of(keys: KeyStore | None) -> KeyStore:
    if keys is None:  # get_access has already refused such a request; this is for mypy
        raise UnauthenticatedError("this server has no key store")
    return keys


def followup_out(found: FollowUp) -> FollowUpOut:
    return FollowUpOut(
        job_id=found.job_id,
        question=FOLLOWUP_QUESTION,
        completed_at=found.completed_at,
        asked_at=found.asked_at,
        answer=found.answer,
        answered_at=found.answered_at,
        car_verdict=found.car_verdict,
        car_job_id=found.car_job_id,
    )


def page_section(
    access: Access, vin: str, jobs: JobStore, now: float, keys: KeyStore | None = None
) -> Html:
    """The service-book section of a page (for a caller who may read the book); an owner's
    also offers to share the book with the workshops that have had its jobs."""
    records = [record_out(r, access) for r in jobs.service_records(vin)]
    today = datetime.fromtimestamp(now, UTC).date().isoformat()
    writes = access.role in WRITERS or access.role is Role.ADMIN
    shares = sharing(vin, jobs, keys) if access.role in OWNERS and keys is not None else []
    section = book_section(vin, records, access.csrf, can_write=writes, today=today)
    return join(section, share_form(vin, shares, access.csrf) if shares else None)


def sharing(vin: str, jobs: JobStore, keys: KeyStore | None) -> list[tuple[int, str, bool]]:
    """(workshop id, name, shared) of every workshop that has had a job for ``vin``."""
    names = {w.id: w.name for w in jobs.workshops()}
    ids = sorted({j.workshop_id for j in jobs.list_jobs(vin=vin) if j.workshop_id is not None})
    granted = keys.consents(vin) if keys is not None else {}
    return [(i, names.get(i, str(i)), SERVICE_BOOK_CONSENT in granted.get(i, [])) for i in ids]


def share(  # noqa: PLR0917 - one consent change
    access: Access, vin: str, workshop_id: int, on: bool, jobs: JobStore, keys: KeyStore, now: float
) -> None:
    """The owner shares the book with a workshop of its jobs, or stops (other consents stay)."""
    access.require(OWNERS, "share a service book")
    if all(i != workshop_id for i, _, _ in sharing(vin, jobs, keys)):
        raise InvalidInputError(("body", "workshop"), "no job of this car went there", workshop_id)
    signals = set(keys.consents(vin).get(workshop_id, []))
    signals = signals | {SERVICE_BOOK_CONSENT} if on else signals - {SERVICE_BOOK_CONSENT}
    keys.set_consent(vin, workshop_id, signals, now)


def job_page_extras(access: Access, job: Job, jobs: JobStore, keys: KeyStore | None) -> Html:
    """What the job page shows of the after-sales service: a link to the vehicle's service
    book (if the caller may read it) and the follow-up (the owner's with the yes / no form)."""
    found = jobs.followup(job.id)
    answers = access.role in OWNERS or access.role is Role.ADMIN
    shown = followup_out(found) if found is not None else None
    try:
        readable_book(access, job.vin, jobs, keys)
        link: Html | None = book_link(job.vin)
    except NotFoundError:
        link = None
    return join(link, followup_section(shown, access.csrf, can_answer=answers))
