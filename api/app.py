"""The FastAPI application: stores in, routes and pages out.

Time convention, for every route: requests give ``from``/``to`` as epoch seconds or ISO 8601;
responses give every time (``ts``, ``first_seen``, ``fired_at``, ...) as epoch seconds (UTC).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api.answers import document_common_answers
from api.audit import AuditRequests
from api.deps import Clock, Stores
from api.errors import install_error_handlers
from api.headers import SecurityHeaders
from api.keys import KeyStore
from api.metrics import ApiMetrics, MetricsMiddleware
from api.routes import (
    assist_page_routes,
    assist_routes,
    audit_routes,
    consent_routes,
    dead_letter_routes,
    export_routes,
    health_routes,
    job_routes,
    metrics_routes,
    network_page_routes,
    network_routes,
    page_routes,
    presence_routes,
    rule_routes,
    rules_page_routes,
    service_book_pages,
    service_book_routes,
    signin_routes,
    vehicle_routes,
    workshop_routes,
)
from api.strict import StrictJson
from api.throttle import SignInThrottle
from assist.assistant import Assistant
from ingest.open import open_store
from ingest.store import TelemetryStore
from jobs.audit import AuditLog
from jobs.network import BookingPolicy
from jobs.open import open_audit_log, open_command_log, open_job_store, open_state_store
from jobs.store import CommandLog, JobStore
from pitstop import __version__
from rules.checkpoint import StateStore
from rules.model import Rule

DESCRIPTION = """Telemetry, jobs and workshops of the pitstop fleet.

**Times.** Query parameters `from` and `to` accept epoch seconds (`1764201600.5`) or ISO 8601
(`2025-11-27T00:00:00Z`; without an offset, UTC). Every time in a response is epoch seconds
(UTC) as a number.

**Keys.** Every route but `/health` needs an API key: `Authorization: Bearer <key>` (keys
come from `pitstop admin keys create`). The web pages sign in with a key and then send a
session cookie instead; a call signed by that cookie that changes state needs the header
`X-CSRF-Token` (the session's token), or this service's `Origin` and a JSON body. A key has
a role (engineer, workshop, owner, fleet_manager, admin) and a scope; anything outside your
scope answers 404, as if it did not exist. 401: no key or a revoked one; 403: your role may
not take that action.

**Errors.** 401, 403, 404, 409 and 503 carry `{"detail": "<message>"}`; 422 carries FastAPI's
validation errors, `{"detail": [{"loc": [...], "msg": "<message>", ...}]}`.
"""


def create_app(
    telemetry: TelemetryStore,
    jobs: JobStore,
    clock: Clock = time.time,
    *,
    keys: KeyStore | None = None,
    rules: Sequence[Rule] | None = None,
    commands: CommandLog | None = None,
    audit: AuditLog | None = None,
    broker_url: str | None = None,
    assistant: Assistant | None = None,
    rule_state: StateStore | None = None,
    policy: BookingPolicy | None = None,
) -> FastAPI:
    """An app over stores the caller opened and will close (the demo, tests).

    Without ``keys`` (``api.keys.KeyStore.open(jobs_url)``) every request but ``/health`` is
    refused with 401: there is no way to run this API without keys. ``rules`` is the catalogue
    ``/rules`` shows and backtests; by default pitstop's own (``rules.loader.DEFAULT_CATALOG``).
    Commands to cars need both ``commands`` (``jobs.open.open_command_log(jobs_url)``, where
    each is recorded) and ``broker_url`` (connected in the app's lifespan); without them the
    command routes answer 503. With ``audit`` (``jobs.open.open_audit_log(jobs_url)``) every
    state-changing request is recorded (``api.audit``) and admins read it at ``/audit``.
    command routes answer 503. ``assistant`` (``assist.assistant.Assistant.build``, its model
    loaded once by the caller) serves ``/assist`` and the vehicle page's box, with the car's
    rule states from ``rule_state`` (``jobs.open.open_state_store(jobs_url)``) when given;
    without it they answer 503.
    command routes answer 503. ``policy`` weighs the network's re-routing (the settings').
    """
    app = _build(lifespan=_publisher_lifespan(broker_url) if broker_url else None)
    catalogue = _catalogue(rules)
    app.state.stores = Stores(
        telemetry,
        jobs,
        clock,
        keys=keys,
        rules=catalogue,
        commands=commands,
        audit=audit,
        assistant=assistant,
        rule_state=rule_state,
        policy=policy or BookingPolicy(),
    )
    return app


def create_app_from_urls(
    telemetry_url: str,
    jobs_url: str,
    clock: Clock = time.time,
    *,
    rules: Sequence[Rule] | None = None,
    broker_url: str | None = None,
    assist: bool = True,
    policy: BookingPolicy | None = None,
) -> FastAPI:
    """An app that opens both stores when it starts and closes them when it stops (and, with
    ``broker_url``, connects to the broker for commands to cars). With ``assist`` it loads the
    owner's assistant's model once when it starts (a few seconds, about 120 MB)."""
    catalogue = _catalogue(rules)
    publishing = _publisher_lifespan(broker_url) if broker_url else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            telemetry = open_store(telemetry_url)
            stack.callback(telemetry.close)
            job_store = open_job_store(jobs_url)
            stack.callback(job_store.close)
            keys = KeyStore.open(jobs_url)
            stack.callback(keys.close)
            log = open_command_log(jobs_url)
            stack.callback(log.close)
            audit = open_audit_log(jobs_url)
            stack.callback(audit.close)
            state = open_state_store(jobs_url)
            stack.callback(state.close)
            assistant = await asyncio.to_thread(_assistant, catalogue) if assist else None
            app.state.stores = Stores(
                telemetry,
                job_store,
                clock,
                keys=keys,
                rules=catalogue,
                commands=log,
                audit=audit,
                assistant=assistant,
                rule_state=state,
                policy=policy or BookingPolicy(),
            )
            if publishing is not None:
                await stack.enter_async_context(publishing(app))
            yield

    return _build(lifespan=lifespan)


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI schema (what ``/openapi.json`` serves), built without any store."""
    return _build(lifespan=None).openapi()


def _publisher_lifespan(broker_url: str) -> Lifespan:
    """Connect to the broker when the app starts (``app.state.publisher``), leave at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.cmd_publisher import MqttCommandPublisher

        publisher = MqttCommandPublisher(broker_url)
        await asyncio.to_thread(publisher.start)
        app.state.publisher = publisher
        try:
            yield
        finally:
            app.state.publisher = None
            publisher.close()

    return lifespan


def _assistant(rules: tuple[Rule, ...]) -> Assistant:
    from assist.semantic import load_model

    return Assistant.build(rules, load_model())


def _catalogue(rules: Sequence[Rule] | None) -> tuple[Rule, ...]:
    if rules is not None:
        return tuple(rules)
    from rules.loader import DEFAULT_CATALOG, load_catalog

    return load_catalog(DEFAULT_CATALOG)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _build(lifespan: Lifespan | None) -> FastAPI:
    app = FastAPI(
        title="pitstop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; /api is served offline instead
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(StrictJson)  # inside the audit: a refused body is audited too
    app.add_middleware(AuditRequests)
    app.add_middleware(SecurityHeaders)
    app.state.metrics = ApiMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.state.signin_throttle = SignInThrottle()
    for router in ROUTERS:
        document_common_answers(router.routes)
        app.include_router(router)
    return app


ROUTERS = (  # the pages first: POST /jobs/{id}/page is theirs, not the action "page"
    page_routes.router,
    rules_page_routes.router,
    service_book_pages.router,
    assist_page_routes.router,
    signin_routes.router,
    health_routes.router,
    vehicle_routes.router,
    vehicle_routes.signals_router,
    export_routes.router,
    presence_routes.router,
    presence_routes.log_router,
    consent_routes.router,
    service_book_routes.router,  # before the jobs: POST /jobs/{id}/followup is not an action
    network_page_routes.router,  # before the job actions: /jobs/{id}/rating is not an action
    network_routes.router,
    network_routes.jobs_router,
    job_routes.router,
    workshop_routes.router,
    rule_routes.router,
    dead_letter_routes.router,
    audit_routes.router,
    assist_routes.router,
    metrics_routes.router,
)
