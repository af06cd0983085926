"""The API's error tree, and how each error becomes an HTTP response.

    PitstopError
     └── ApiError
          ├── UnauthenticatedError              -> 401 {"detail": "..."} (no key, or a bad one)
          ├── ForbiddenError (PermissionError)  -> 403 {"detail": "..."} (the role may not)
          ├── NotFoundError (LookupError)       -> 404 {"detail": "..."}
          ├── KeyStoreError                     -> 503 {"detail": "..."}
          ├── BrokerUnavailableError            -> 503 {"detail": "..."} (no way to the cars)
          ├── AssistantUnavailableError         -> 503 {"detail": "..."} (no model loaded)
          └── InvalidInputError (ValueError)    -> 422 in FastAPI's validation-error shape

Store errors are converted here too, at the seam: ``StoreError``, ``JobStoreError`` (but
``JobTransitionError``: 409, ``SlotRefusedError``: 409 with the free slots it could take
instead, ``{"detail": ..., "alternatives": [{"start": ..., "end": ...}]}``, ``RatingError``:
409; ``ServiceBookError``, a record that does not fit: 422, and ``CsvImportError`` 422 with
one error per bad row and column) and ``KeyStoreError`` become
503 with a message a person understands; the cause goes to the log, not to the caller.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.error_pages import error_page, sign_in_redirect, wants_html
from ingest.errors import StoreError
from jobs.errors import (
    CsvImportError,
    JobStoreError,
    JobTransitionError,
    RatingError,
    ServiceBookError,
    SlotRefusedError,
)
from pitstop.errors import PitstopError

log = logging.getLogger(__name__)


class ApiError(PitstopError):
    """Base of the errors the API raises on purpose."""


class UnauthenticatedError(ApiError):
    """The request presents no key, or one that is unknown or revoked."""


class SignInRequiredError(UnauthenticatedError):
    """A web page asked for without a valid key: the browser is sent to the sign-in page."""


class ForbiddenError(ApiError, PermissionError):
    """The caller's role may not do this at all (scope misses answer 404 instead)."""


class KeyStoreError(ApiError):
    """The key store could not do what was asked (unreachable, or a key with a bad scope)."""


class UnavailableError(ApiError):
    """This server is not set up for what was asked (503 with the reason)."""


class BrokerUnavailableError(UnavailableError):
    """Commands cannot reach the cars: no broker configured, or not connected to it."""


class AssistantUnavailableError(ApiError):
    """This server runs without the owner's assistant (its model is not loaded)."""


class NotFoundError(ApiError, LookupError):
    """The vehicle, signal or job asked for does not exist."""


class InvalidInputError(ApiError, ValueError):
    """A request parameter that parses but cannot be used (a range too long, from after to)."""

    def __init__(self, location: tuple[str, str], message: str, value: object) -> None:
        super().__init__(message)
        self.location = location
        self.value = value


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequiredError, _sign_in)
    app.add_exception_handler(UnauthenticatedError, _unauthenticated)
    app.add_exception_handler(ForbiddenError, _forbidden)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(SlotRefusedError, _slot_refused)
    app.add_exception_handler(JobTransitionError, _conflict)
    app.add_exception_handler(RatingError, _conflict)
    app.add_exception_handler(KeyStoreError, _store_unavailable)
    app.add_exception_handler(UnavailableError, _unavailable)
    app.add_exception_handler(AssistantUnavailableError, _unavailable)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(StoreError, _store_unavailable)
    app.add_exception_handler(JobStoreError, _store_unavailable)
    app.add_exception_handler(ServiceBookError, _service_book)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def _answer(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """``{"detail": message}``, or for a browser the page of ``api.error_pages``."""
    if wants_html(request):
        return sign_in_redirect(request) if status == 401 else error_page(status, message, headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (an unknown address, a method not allowed)."""
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request):
        message = "There is no page at this address." if exc.status_code == 404 else str(exc.detail)
        return _answer(request, exc.status_code, message, dict(exc.headers or {}))
    return await http_exception_handler(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request):
        problems = "; ".join(_problem(error) for error in exc.errors())
        return error_page(422, problems or "The request is not valid.")
    return await request_validation_exception_handler(request, exc)


def _problem(error: dict[str, object]) -> str:
    where = error.get("loc", ())
    parts = where[1:] if isinstance(where, tuple | list) else ()
    return f"{'.'.join(str(part) for part in parts) or 'input'}: {error.get('msg', '')}"


async def _sign_in(request: Request, exc: Exception) -> Response:
    return sign_in_redirect(request)


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    return _answer(request, 401, str(exc), {"WWW-Authenticate": "Bearer"})


async def _forbidden(request: Request, exc: Exception) -> Response:
    return _answer(request, 403, str(exc))


async def _conflict(request: Request, exc: Exception) -> Response:
    return _answer(request, 409, str(exc))


async def _slot_refused(request: Request, exc: Exception) -> Response:
    slots = exc.alternatives if isinstance(exc, SlotRefusedError) else ()
    alternatives = [{"start": start, "end": end} for start, end in slots]
    return JSONResponse({"detail": str(exc), "alternatives": alternatives}, status_code=409)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _answer(request, 404, str(exc))


async def _unavailable(request: Request, exc: Exception) -> Response:
    return _answer(request, 503, str(exc))


async def _invalid_input(request: Request, exc: Exception) -> Response:
    if wants_html(request):
        return error_page(422, str(exc))
    location, value = (
        (exc.location, exc.value) if isinstance(exc, InvalidInputError) else ((), None)
    )
    error = {"type": "value_error", "loc": list(location), "msg": str(exc), "input": value}
    return JSONResponse({"detail": [error]}, status_code=422)


async def _service_book(request: Request, exc: Exception) -> Response:
    """A record or a CSV file that does not fit: 422, one error per row and column."""
    problems = exc.problems if isinstance(exc, CsvImportError) else ()
    errors = [
        {"type": "csv", "loc": ["body", p.row, p.column], "msg": p.message, "input": None}
        for p in problems
    ] or [{"type": "value_error", "loc": ["body"], "msg": str(exc), "input": None}]
    if wants_html(request):
        return error_page(422, "; ".join(str(e["msg"]) for e in errors))
    return JSONResponse({"detail": errors}, status_code=422)


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    which = (
        "job store"
        if isinstance(exc, JobStoreError)
        else "key store"
        if isinstance(exc, KeyStoreError)
        else "telemetry store"
    )
    log.error("%s failed on %s %s", which, request.method, request.url.path, exc_info=exc)
    message = f"The {which} is unavailable right now; please try again shortly."
    return _answer(request, 503, message)
