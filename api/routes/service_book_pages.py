"""The service-book page and forms (``/vehicles/{vin}/service-book/page``) and the follow-up
answer form on the job page. Each POST checks the session's CSRF token, then does what the JSON
routes do, and sends the browser back to the page (303)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import service_book as book
from api.csrf import check_form
from api.deps import ClockDep, JobId, JobsDep, StoresDep, TelemetryDep, Vin
from api.errors import InvalidInputError
from api.html import url_path
from api.routes.page_routes import PageAccess
from api.routes.service_book_routes import MAX_CSV_BYTES
from api.scope import OWNERS, Access, scoped_job
from api.service_book_page import book_page
from api.service_book_schemas import ServiceRecordIn
from ingest.store import TelemetryStore
from jobs.csvbook import parse_csv
from jobs.csvmap import Unit
from jobs.model import Job
from jobs.store import JobStore

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/vehicles/{vin}/service-book/page")
def page(
    vin: Vin, access: PageAccess, jobs: JobsDep, stores: StoresDep, clock: ClockDep
) -> HTMLResponse:
    book.readable_book(access, vin, jobs, stores.keys)
    shown = book.page_section(access, vin, jobs, clock(), stores.keys)
    return HTMLResponse(book_page(vin, shown))


@router.post("/vehicles/{vin}/service-book/page")
async def post(
    *,
    request: Request,
    vin: Vin,
    access: PageAccess,
    jobs: JobsDep,
    telemetry: TelemetryDep,
    stores: StoresDep,
    clock: ClockDep,
) -> Response:
    form = await _form(request)
    if access.session is not None:
        check_form(request, access.session, form)
    await run_in_threadpool(book.readable_book, access, vin, jobs, stores.keys)
    op = form.get("op", "")
    if op == "add":
        await run_in_threadpool(_add, access, vin, form, jobs, telemetry, clock())
    elif op == "delete":
        await run_in_threadpool(_delete, access, vin, form.get("record", ""), jobs)
    elif op == "import":
        await run_in_threadpool(_import, access, vin, form, jobs, clock())
    elif op in ("share", "unshare") and form.get("workshop", "").isdigit():
        keys = book.keys_of(stores.keys)
        shop, on = int(form["workshop"]), op == "share"
        await run_in_threadpool(book.share, access, vin, shop, on, jobs, keys, clock())
    else:
        raise InvalidInputError(("body", "op"), "choose add, delete, import or share", op)
    back = url_path("vehicles", vin, "service-book", "page")
    return RedirectResponse(back, status_code=303)


@router.post("/jobs/{job_id}/followup/page")
async def answer(
    request: Request, job_id: JobId, access: PageAccess, jobs: JobsDep, clock: ClockDep
) -> Response:
    form = await _form(request)
    if access.session is not None:
        check_form(request, access.session, form)
    job: Job = await run_in_threadpool(scoped_job, job_id, access, jobs)
    access.require(OWNERS, "answer a follow-up")
    said = form.get("answer", "")
    if said not in ("yes", "no"):
        raise InvalidInputError(("body", "answer"), "answer yes or no", said)
    if jobs.followup(job.id) is None:
        raise InvalidInputError(("body", "answer"), "this job has no follow-up yet", said)
    await run_in_threadpool(jobs.answer_followup, job.id, said == "yes", clock())
    return RedirectResponse(f"/jobs/{job.id}/page", status_code=303)


def _add(  # noqa: PLR0917 - one form's values
    access: Access,
    vin: str,
    form: dict[str, str],
    jobs: JobStore,
    telemetry: TelemetryStore,
    now: float,
) -> None:
    source, workshop_id = book.source_of(access)
    entry = book.entry_of(_record(form), vin, telemetry, now)
    jobs.add_record(vin, entry, source=source, now=now, workshop_id=workshop_id)


def _delete(access: Access, vin: str, record_id: str, jobs: JobStore) -> None:
    found = jobs.service_record(int(record_id)) if record_id.isdigit() else None
    if found is None or found.vin != vin:
        raise InvalidInputError(("body", "record"), "no such service record", record_id)
    book.require_edit(access, found)
    jobs.delete_record(found.id)


def _import(access: Access, vin: str, form: dict[str, str], jobs: JobStore, now: float) -> None:
    book.source_of(access)
    unit = Unit(form["unit"]) if form.get("unit") in ("km", "mi") else None
    today = datetime.fromtimestamp(now, UTC).date()
    parsed = parse_csv(form.get("csv", ""), unit=unit, not_after=today)
    jobs.import_records(vin, parsed.entries, now=now)


def _record(form: dict[str, str]) -> ServiceRecordIn:
    """The add form as the JSON route's request model (numbers parsed, empty fields left out)."""
    values: dict[str, object] = {
        name: form[name].strip()
        for name in ("kind", "work", "workshop", "notes", "currency")
        if form.get(name, "").strip()
    }
    values["done_on"] = form.get("done_on", "")
    values["parts"] = [p.strip() for p in form.get("parts", "").split(";") if p.strip()]
    try:
        for name in ("odometer_km", "labour_hours", "cost"):
            if form.get(name, "").strip():
                values[name] = float(form[name])
        return ServiceRecordIn.model_validate(values)
    except (ValueError, ValidationError) as err:
        raise InvalidInputError(("body", "form"), f"the record does not fit: {err}", None) from err


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise InvalidInputError(("body", "form"), "the form is too large", len(body))
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=30)
    return {name: values[0] for name, values in fields.items()}
