"""The FastAPI application: stores in, routes and pages out.

Time convention, for every route: requests give ``from``/``to`` as epoch seconds or ISO 8601;
responses give every time (``ts``, ``first_seen``, ``fired_at``, ...) as epoch seconds (UTC).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from api.deps import Clock, Stores
from api.errors import install_error_handlers
from api.routes import health, jobs, pages, vehicles, workshops
from ingest.store import TelemetryStore, open_store
from pitstop import __version__
from rules.jobs import JobStore, open_job_store

DESCRIPTION = """Telemetry, jobs and workshops of the pitstop fleet.

**Times.** Query parameters `from` and `to` accept epoch seconds (`1764201600.5`) or ISO 8601
(`2025-11-27T00:00:00Z`; without an offset, UTC). Every time in a response is epoch seconds
(UTC) as a number.

**Errors.** 404 and 503 carry `{"detail": "<message>"}`; 422 carries FastAPI's validation
errors, `{"detail": [{"loc": [...], "msg": "<message>", ...}]}`.
"""


def create_app(telemetry: TelemetryStore, jobs: JobStore, clock: Clock = time.time) -> FastAPI:
    """An app over stores the caller opened and will close (the demo, tests)."""
    app = _build(lifespan=None)
    app.state.stores = Stores(telemetry=telemetry, jobs=jobs, clock=clock)
    return app


def create_app_from_urls(telemetry_url: str, jobs_url: str, clock: Clock = time.time) -> FastAPI:
    """An app that opens both stores when it starts and closes them when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            telemetry = open_store(telemetry_url)
            stack.callback(telemetry.close)
            job_store = open_job_store(jobs_url)
            stack.callback(job_store.close)
            app.state.stores = Stores(telemetry=telemetry, jobs=job_store, clock=clock)
            yield

    return _build(lifespan=lifespan)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _build(lifespan: Lifespan | None) -> FastAPI:
    app = FastAPI(
        title="pitstop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (health, vehicles, jobs, workshops, pages):
        app.include_router(module.router)
    return app
