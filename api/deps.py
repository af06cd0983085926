"""Named dependency types, so that a route handler reads as three lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from api.cmd_publisher import CommandPublisher
from api.errors import AssistantUnavailableError, BrokerUnavailableError, UnavailableError
from api.keys import KeyStore
from api.timerange import TimeRange, instant_query, resolve_range
from assist.assistant import Assistant
from ingest.store import TelemetryStore
from jobs.audit import AuditLog
from jobs.network import BookingPolicy
from jobs.store import CommandLog, JobStore
from pitstop.topics import validate_vin
from rules.checkpoint import StateStore
from rules.model import Rule

Clock = Callable[[], float]

MAX_LIMIT = 100_000
DEFAULT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Stores:
    """What every request reads, kept on ``app.state.stores`` for the app's lifetime.

    The dependencies that only pick from it (or parse) are ``async``: FastAPI runs a sync
    dependency in its thread pool, a hop that costs more than they do."""

    telemetry: TelemetryStore
    jobs: JobStore
    clock: Clock
    keys: KeyStore | None = None  # None: every key is refused (401)
    rules: tuple[Rule, ...] = ()  # the catalogue /rules shows and backtests
    commands: CommandLog | None = None  # None: commands answer 503
    audit: AuditLog | None = None  # None: nothing is audited and /audit answers 503
    assistant: Assistant | None = None  # the owner's assistant; None: /assist answers 503
    rule_state: StateStore | None = None  # the rules engine's states, the assistant's evidence
    shards: int = 1  # the rules workers' shard count (names their state scopes)
    policy: BookingPolicy = field(default_factory=BookingPolicy)  # re-routing, the scores


async def get_stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


async def get_telemetry(stores: Annotated[Stores, Depends(get_stores)]) -> TelemetryStore:
    return stores.telemetry


async def get_jobs(stores: Annotated[Stores, Depends(get_stores)]) -> JobStore:
    return stores.jobs


async def get_clock(stores: Annotated[Stores, Depends(get_stores)]) -> Clock:
    return stores.clock


async def get_rules(stores: Annotated[Stores, Depends(get_stores)]) -> tuple[Rule, ...]:
    return stores.rules


async def get_policy(stores: Annotated[Stores, Depends(get_stores)]) -> BookingPolicy:
    return stores.policy


async def get_command_log(stores: Annotated[Stores, Depends(get_stores)]) -> CommandLog:
    if stores.commands is None:
        raise BrokerUnavailableError("this server keeps no command log, so it sends no commands")
    return stores.commands


async def get_assistant(stores: Annotated[Stores, Depends(get_stores)]) -> Assistant:
    if stores.assistant is None:
        raise AssistantUnavailableError("this server runs without the owner's assistant")
    return stores.assistant


async def get_publisher(request: Request) -> CommandPublisher:
    """The app's publisher (created in its lifespan from the broker URL); 503 without one."""
    publisher: CommandPublisher | None = getattr(request.app.state, "publisher", None)
    if publisher is None:
        raise BrokerUnavailableError("this server has no MQTT broker, so it sends no commands")
    return publisher


async def get_audit_log(stores: Annotated[Stores, Depends(get_stores)]) -> AuditLog:
    if stores.audit is None:
        raise UnavailableError("this server keeps no audit log")
    return stores.audit


StoresDep = Annotated[Stores, Depends(get_stores)]
AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
CommandLogDep = Annotated[CommandLog, Depends(get_command_log)]
PublisherDep = Annotated[CommandPublisher, Depends(get_publisher)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
RulesDep = Annotated[tuple[Rule, ...], Depends(get_rules)]
TelemetryDep = Annotated[TelemetryStore, Depends(get_telemetry)]
JobsDep = Annotated[JobStore, Depends(get_jobs)]
ClockDep = Annotated[Clock, Depends(get_clock)]
PolicyDep = Annotated[BookingPolicy, Depends(get_policy)]

VIN_PATTERN = "^[A-Za-z0-9]{17}$"  # pitstop.topics.validate_vin's rule, for the OpenAPI document
Vin = Annotated[
    str,
    Path(
        json_schema_extra={"pattern": VIN_PATTERN},  # checked below, with a message that says why
        description="Vehicle identification number: 17 letters and digits.",
        examples=["WPITSTOPDEMO00001"],
    ),
    AfterValidator(validate_vin),
]
OptionalVin = Annotated[
    str | None,
    Query(
        json_schema_extra={"pattern": VIN_PATTERN},
        description="Only this vehicle's jobs (17 letters and digits).",
    ),
    AfterValidator(lambda vin: None if vin is None else validate_vin(vin)),
]
MAX_ID = 2**63 - 1
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="The job's id.")]
Signal = Annotated[
    str, Path(description="Canonical signal name, dots and all, e.g. Vehicle.Speed.")
]
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"At most this many points (1 to {MAX_LIMIT})."),
]


From = Annotated[str | None, instant_query("from", "Start, inclusive.")]
To = Annotated[str | None, instant_query("to", "End, exclusive; default now.")]
HISTORY_SPAN_S = 30 * 86400.0


async def get_time_range(clock: ClockDep, start: From = None, end: To = None) -> TimeRange:
    """The range a request asks for: by default the last hour, at most 31 days."""
    return resolve_range(start, end, now=clock())


async def get_history_range(clock: ClockDep, start: From = None, end: To = None) -> TimeRange:
    """A range of history (trouble codes): by default the last 30 days, at most 31."""
    return resolve_range(start, end, now=clock(), default_span_s=HISTORY_SPAN_S)


TimeRangeDep = Annotated[TimeRange, Depends(get_time_range)]
HistoryRangeDep = Annotated[TimeRange, Depends(get_history_range)]
