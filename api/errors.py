"""The API's error tree, and how each error becomes an HTTP response.

    PitstopError
     └── ApiError
          ├── NotFoundError (LookupError)       -> 404 {"detail": "..."}
          └── InvalidInputError (ValueError)    -> 422 in FastAPI's validation-error shape

Store errors are converted here too, at the seam: ``StoreError`` and ``JobStoreError`` become
503 with a message a person understands; the cause goes to the log, not to the caller.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ingest.store import StoreError
from pitstop.errors import PitstopError
from rules.jobs import JobStoreError

log = logging.getLogger(__name__)


class ApiError(PitstopError):
    """Base of the errors the API raises on purpose."""


class NotFoundError(ApiError, LookupError):
    """The vehicle, signal or job asked for does not exist."""


class InvalidInputError(ApiError, ValueError):
    """A request parameter that parses but cannot be used (a range too long, from after to)."""

    def __init__(self, location: tuple[str, str], message: str, value: object) -> None:
        super().__init__(message)
        self.location = location
        self.value = value


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(StoreError, _store_unavailable)
    app.add_exception_handler(JobStoreError, _store_unavailable)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    location, value = (
        (exc.location, exc.value) if isinstance(exc, InvalidInputError) else ((), None)
    )
    error = {"type": "value_error", "loc": list(location), "msg": str(exc), "input": value}
    return JSONResponse({"detail": [error]}, status_code=422)


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    which = "job store" if isinstance(exc, JobStoreError) else "telemetry store"
    log.error("%s failed on %s %s", which, request.method, request.url.path, exc_info=exc)
    message = f"The {which} is unavailable right now; please try again shortly."
    return JSONResponse({"detail": message}, status_code=503)
