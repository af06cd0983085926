"""Named dependency types, so that a route handler reads as three lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from api.timerange import INSTANT_HELP, TimeRange, resolve_range
from ingest.store import TelemetryStore
from pitstop.topics import validate_vin
from rules.jobs import JobStore

Clock = Callable[[], float]

MAX_LIMIT = 100_000
DEFAULT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Stores:
    """What every request reads, kept on ``app.state.stores`` for the app's lifetime."""

    telemetry: TelemetryStore
    jobs: JobStore
    clock: Clock


def get_stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def get_telemetry(stores: Annotated[Stores, Depends(get_stores)]) -> TelemetryStore:
    return stores.telemetry


def get_jobs(stores: Annotated[Stores, Depends(get_stores)]) -> JobStore:
    return stores.jobs


def get_clock(stores: Annotated[Stores, Depends(get_stores)]) -> Clock:
    return stores.clock


TelemetryDep = Annotated[TelemetryStore, Depends(get_telemetry)]
JobsDep = Annotated[JobStore, Depends(get_jobs)]
ClockDep = Annotated[Clock, Depends(get_clock)]

Vin = Annotated[
    str,
    Path(description="Vehicle identification number: 17 letters and digits."),
    AfterValidator(validate_vin),
]
OptionalVin = Annotated[
    str | None,
    Query(description="Only this vehicle's jobs (17 letters and digits)."),
    AfterValidator(lambda vin: None if vin is None else validate_vin(vin)),
]
Signal = Annotated[
    str, Path(description="Canonical signal name, dots and all, e.g. Vehicle.Speed.")
]
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"At most this many points (1 to {MAX_LIMIT})."),
]


def get_time_range(
    clock: ClockDep,
    start: Annotated[
        str | None, Query(alias="from", description=f"Start, inclusive. {INSTANT_HELP}")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description=f"End, exclusive; default now. {INSTANT_HELP}")
    ] = None,
) -> TimeRange:
    """The range a request asks for: by default the last hour, at most 31 days."""
    return resolve_range(start, end, now=clock())


TimeRangeDep = Annotated[TimeRange, Depends(get_time_range)]
