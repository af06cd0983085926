"""The vehicle page's "describe the problem" box: its two forms (ask; book an answer), each
POST checked for the session's CSRF token like every form of the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import assist_views
from api.assist_schemas import MAX_TEXT
from api.csrf import check_form
from api.deps import AssistantDep, Stores, get_stores
from api.errors import InvalidInputError
from api.routes.page_routes import PageAccess, read_form, vehicle_html
from api.scope import OWNERS, Access, visible_vin

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
StoresDep = Annotated[Stores, Depends(get_stores)]


@router.post("/vehicles/{vin}/assist")
async def ask(
    request: Request, vin: str, access: PageAccess, stores: StoresDep, assistant: AssistantDep
) -> HTMLResponse:
    form = await _checked_form(request, access, vin)
    text = _text(form)
    answer = assist_views.ask(stores, assistant, text, vin, limit=3)
    page = vehicle_html(stores, access, vin, answer=assist_views.answer_out(answer), text=text)
    return HTMLResponse(page)


@router.post("/vehicles/{vin}/assist/book")
async def book(
    request: Request, vin: str, access: PageAccess, stores: StoresDep, assistant: AssistantDep
) -> Response:
    form = await _checked_form(request, access, vin)
    booked = assist_views.book(stores, assistant, _text(form), vin, form.get("rule_id", ""))
    return RedirectResponse(f"/jobs/{booked.job_id}/page", status_code=303)


async def _checked_form(request: Request, access: Access, vin: str) -> dict[str, str]:
    form = await read_form(request)
    if access.session is not None:  # signed by the cookie, not by a Bearer key
        check_form(request, access.session, form)
    access.require(OWNERS, "ask the assistant")
    visible_vin(access, vin)
    return form


def _text(form: dict[str, str]) -> str:
    text = " ".join(form.get("text", "").split())
    if not text or len(text) > MAX_TEXT:
        raise InvalidInputError(
            ("body", "text"), f"describe it in 1 to {MAX_TEXT} characters", text
        )
    return text
