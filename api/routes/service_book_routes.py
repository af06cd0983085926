"""A vehicle's service book (records of service, repair, inspection and tyre change, CSV in and
out) and the follow-up question after a completed job. Who may read and write is
``api.service_book``'s to say; a book you may not read answers 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import service_book as book
from api.deps import MAX_ID, ClockDep, JobsDep, StoresDep, TelemetryDep, Vin
from api.errors import InvalidInputError, NotFoundError
from api.schemas import problem
from api.scope import OWNERS, AccessDep, scoped_job
from api.service_book_schemas import (
    Deleted,
    FollowUpAnswerIn,
    FollowUpOut,
    ImportResult,
    ServiceBookOut,
    ServiceRecordIn,
    ServiceRecordOut,
)
from jobs.csvbook import export_csv, parse_csv
from jobs.csvmap import Unit
from jobs.model import FollowUp, Job, ServiceRecord

MAX_CSV_BYTES = 20 * 1024 * 1024
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
ScopedJob = Annotated[Job, Depends(scoped_job)]
NOT_FOUND = problem(404, "No such vehicle or record, or not yours to see.")
WRITE_ERRORS = {**NOT_FOUND, **problem(403, "Your role may not change this record.")}
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": (
                    "Date,Odometer,Description,Notes,Cost\n1/15/2024,45210,Oil change,,$89.00\n"
                ),
            }
        },
    }
}

TEXT = {"type": "string"}
BOOK_CSV = (  # an example for /api
    "date,odometer_km,kind,work,workshop,parts,labour_hours,cost,currency,notes,rule_id,source\n"
    "2025-11-27,45210,service,Oil change,Garage Nord,Oil filter,0.5,89.00,EUR,,,workshop\n"
)
router = APIRouter(tags=["service book"], responses=problem(503, "Unavailable."))


def readable(vin: Vin, access: AccessDep, jobs: JobsDep, stores: StoresDep) -> str:
    return book.readable_book(access, vin, jobs, stores.keys)


BookVin = Annotated[str, Depends(readable)]


@router.get("/vehicles/{vin}/service-book", summary="A vehicle's service book", responses=NOT_FOUND)
def get_book(vin: BookVin, access: AccessDep, jobs: JobsDep) -> ServiceBookOut:
    """Every record, newest first: what pitstop's completed jobs wrote and outside work."""
    records = [book.record_out(r, access) for r in jobs.service_records(vin)]
    return ServiceBookOut(vin=vin, records=records)


@router.post(
    "/vehicles/{vin}/service-book",
    summary="Add a record of outside work",
    responses=WRITE_ERRORS,
)
def add_record(
    *,
    vin: BookVin,
    body: ServiceRecordIn,
    access: AccessDep,
    jobs: JobsDep,
    telemetry: TelemetryDep,
    clock: ClockDep,
) -> ServiceRecordOut:
    """Owners and workshops (with the owner's consent) record work done outside pitstop.
    Without ``odometer_km`` the car's own reading of that day is filled in."""
    source, workshop_id = book.source_of(access)
    now = clock()
    entry = book.entry_of(body, vin, telemetry, now)
    added = jobs.add_record(vin, entry, source=source, now=now, workshop_id=workshop_id)
    return book.record_out(added, access)


@router.put(
    "/vehicles/{vin}/service-book/{record_id}",
    summary="Change a record",
    responses=WRITE_ERRORS,
)
def put_record(
    *,
    vin: BookVin,
    record_id: RecordId,
    body: ServiceRecordIn,
    access: AccessDep,
    jobs: JobsDep,
    telemetry: TelemetryDep,
    clock: ClockDep,
) -> ServiceRecordOut:
    """Replace what a record says (the odometer is filled in again when left out)."""
    record = _record(jobs.service_record(record_id), vin)
    book.require_edit(access, record)
    now = clock()
    changed = jobs.update_record(record.id, book.entry_of(body, vin, telemetry, now), now)
    return book.record_out(changed, access)


@router.delete(
    "/vehicles/{vin}/service-book/{record_id}",
    summary="Delete a record",
    responses=WRITE_ERRORS,
)
def delete_record(vin: BookVin, record_id: RecordId, access: AccessDep, jobs: JobsDep) -> Deleted:
    record = _record(jobs.service_record(record_id), vin)
    book.require_edit(access, record)
    jobs.delete_record(record.id)
    return Deleted(id=record.id)


@router.get(
    "/vehicles/{vin}/service-book.csv",
    summary="The service book as CSV",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {"schema": TEXT, "example": BOOK_CSV}}}},
)
def export_book(vin: BookVin, jobs: JobsDep) -> Response:
    """Columns ``date,odometer_km,kind,work,workshop,parts,labour_hours,cost,currency,notes,
    rule_id,source``, oldest first; ``POST .../service-book/import`` reads it back."""
    headers = {"Content-Disposition": f'attachment; filename="service-book-{vin}.csv"'}
    text = export_csv(jobs.service_records(vin))
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.post(
    "/vehicles/{vin}/service-book/import",
    summary="Import another tracker's CSV export",
    responses=WRITE_ERRORS,
    openapi_extra=CSV_BODY,
)
async def import_book(
    *,
    request: Request,
    vin: BookVin,
    access: AccessDep,
    jobs: JobsDep,
    clock: ClockDep,
    mapping: Annotated[
        list[str],
        Query(
            alias="map",
            max_length=12,
            description="FIELD=HEADER: read FIELD from the column HEADER (e.g. date=Datum).",
        ),
    ] = [],  # noqa: B006 (FastAPI copies it)
    unit: Annotated[Unit | None, Query(description="Odometer unit (default: header)")] = None,
    date_order: Annotated[
        str | None,
        Query(pattern="^(dmy|mdy)$", description="Slashed dates (default: from the file)."),
    ] = None,
) -> ImportResult:
    """The CSV file is the request body (``Content-Type: text/csv``). Columns are recognised
    from the header (LubeLogger, Road Trip, Fuelly / Drivvo / Simply Auto style, pitstop's own
    export) or named with ``map``. All or nothing: a file with a bad row imports nothing and
    answers 422 naming every row and column; a file imported again adds nothing."""
    book.source_of(access)
    text = await _csv_text(request)
    fields = _mapping(mapping)
    today = datetime.fromtimestamp(clock(), UTC).date()
    parsed = await run_in_threadpool(
        parse_csv, text, mapping=fields, unit=unit, date_order=date_order, not_after=today
    )
    outcome = await run_in_threadpool(jobs.import_records, vin, parsed.entries, now=clock())
    columns = parsed.columns
    return ImportResult(
        vin=vin,
        rows=len(parsed.entries),
        added=outcome.added,
        skipped=outcome.skipped,
        columns={f: columns.header[i] for f, i in columns.columns.items()},
        unit=columns.unit.value,
        ignored=list(columns.ignored),
    )


@router.get("/jobs/{job_id}/followup", summary="The follow-up of a completed job")
def get_followup(job: ScopedJob, jobs: JobsDep) -> FollowUpOut:
    """Some days after completion the owner is asked whether the problem is gone; the car's
    own data answers too (the rule that fired stayed clear, or fired again)."""
    return book.followup_out(_followup(jobs.followup(job.id), job.id))


@router.post(
    "/jobs/{job_id}/followup",
    summary="Answer the follow-up: is the problem gone?",
    responses=problem(403, "Only the vehicle's owner answers."),
)
def answer_followup(
    job: ScopedJob, body: FollowUpAnswerIn, access: AccessDep, jobs: JobsDep, clock: ClockDep
) -> FollowUpOut:
    access.require(OWNERS, "answer a follow-up")
    _followup(jobs.followup(job.id), job.id)
    return book.followup_out(jobs.answer_followup(job.id, body.solved, clock()))


def _followup(found: FollowUp | None, job_id: int) -> FollowUp:
    if found is None:
        raise NotFoundError(f"job {job_id} has no follow-up (it is not completed)")
    return found


def _record(record: ServiceRecord | None, vin: str) -> ServiceRecord:
    if record is None or record.vin != vin:
        raise NotFoundError("no such service record")
    return record


async def _csv_text(request: Request) -> str:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CSV_BYTES:
            raise InvalidInputError(
                ("body", "csv"), f"the file is larger than {MAX_CSV_BYTES:,} bytes", len(body)
            )
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInputError(("body", "csv"), "the file is not UTF-8 text", None) from err


def _mapping(items: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in items:
        field, sep, header = item.partition("=")
        if not sep or not field.strip():
            raise InvalidInputError(
                ("query", "map"), "expected FIELD=HEADER, e.g. date=Datum", item
            )
        fields[field.strip()] = header.strip()
    return fields
