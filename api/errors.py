"""The API's error tree, and how each error becomes an HTTP response.

    PitstopError
     └── ApiError
          ├── UnauthenticatedError              -> 401 {"detail": "..."} (no key, or a bad one)
          ├── ForbiddenError (PermissionError)  -> 403 {"detail": "..."} (the role may not)
          ├── NotFoundError (LookupError)       -> 404 {"detail": "..."}
          ├── KeyStoreError                     -> 503 {"detail": "..."}
          ├── BrokerUnavailableError            -> 503 {"detail": "..."} (no way to the cars)
          └── InvalidInputError (ValueError)    -> 422 in FastAPI's validation-error shape

Store errors are converted here too, at the seam: ``StoreError``, ``JobStoreError`` (but
``JobTransitionError``: 409, ``SlotRefusedError``: 409 with the free slots it could take
instead, ``{"detail": ..., "alternatives": [{"start": ..., "end": ...}]}``, ``RatingError``:
409) and ``KeyStoreError`` become
503 with a message a person understands; the cause goes to the log, not to the caller.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ingest.errors import StoreError
from jobs.errors import JobStoreError, JobTransitionError, RatingError, SlotRefusedError
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


class BrokerUnavailableError(ApiError):
    """Commands cannot reach the cars: no broker configured, or not connected to it."""


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
    app.add_exception_handler(BrokerUnavailableError, _unavailable)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(StoreError, _store_unavailable)
    app.add_exception_handler(JobStoreError, _store_unavailable)


async def _sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/signin", status_code=303)


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse({"detail": str(exc)}, status_code=401, headers=headers)


async def _forbidden(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=403)


async def _conflict(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _slot_refused(request: Request, exc: Exception) -> Response:
    slots = exc.alternatives if isinstance(exc, SlotRefusedError) else ()
    alternatives = [{"start": start, "end": end} for start, end in slots]
    return JSONResponse({"detail": str(exc), "alternatives": alternatives}, status_code=409)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    location, value = (
        (exc.location, exc.value) if isinstance(exc, InvalidInputError) else ((), None)
    )
    error = {"type": "value_error", "loc": list(location), "msg": str(exc), "input": value}
    return JSONResponse({"detail": [error]}, status_code=422)


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
    return JSONResponse({"detail": message}, status_code=503)
