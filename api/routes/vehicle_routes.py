from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api import dtcs, fleet, streams
from api.deps import (
    DEFAULT_LIMIT,
    HistoryRangeDep,
    JobsDep,
    Limit,
    Signal,
    StoresDep,
    TelemetryDep,
    TimeRangeDep,
)
from api.schemas import (
    Buckets,
    DtcHistory,
    FleetReading,
    Latest,
    Series,
    Vehicle,
    VehicleDetail,
    problem,
)
from api.scope import AccessDep, ScopedSignal, ScopedVin

NOT_FOUND = problem(404, "No such vehicle (or signal), or not yours to see.")
UNAVAILABLE = problem(503, "A store is unavailable.")
MAX_POINTS = 5_000
Points = Annotated[
    int, Query(ge=1, le=MAX_POINTS, description=f"At most this many buckets (1 to {MAX_POINTS}).")
]
Once = Annotated[bool, Query(description="Send what is there now and end (for scripts).")]

CSV = "ts,value\n1764201600.000,12.61\n1764201601.000,12.6\n"  # examples for /api
SSE = 'event: sample\ndata: {"signal": "Vehicle.Speed", "ts": 1764201600.0, "value": 52.0}\n\n'
router = APIRouter(prefix="/vehicles", tags=["vehicles"], responses=UNAVAILABLE)
signals_router = APIRouter(prefix="/signals", tags=["vehicles"], responses=UNAVAILABLE)


@router.get("", summary="The fleet with its health")
def list_vehicles(access: AccessDep, telemetry: TelemetryDep, jobs: JobsDep) -> list[Vehicle]:
    """The vehicles you may see, by VIN, with open jobs and the next booked slot."""
    return fleet.list_vehicles(telemetry, jobs, access.sees_vin)


@router.get("/{vin}", summary="One vehicle", responses=NOT_FOUND)
def get_vehicle(vin: ScopedVin, telemetry: TelemetryDep, jobs: JobsDep) -> VehicleDetail:
    """The vehicle, its health and the names of its stored signals (its signal catalogue)."""
    return fleet.get_vehicle(telemetry, jobs, vin)


@router.get("/{vin}/latest", summary="Latest value of each signal", responses=NOT_FOUND)
def get_latest(vin: ScopedVin, telemetry: TelemetryDep) -> Latest:
    """``{vin, values: {signal: {ts, value}}}``; ``ts`` in epoch seconds (UTC)."""
    return fleet.latest(telemetry, vin)


@router.get("/{vin}/dtcs", summary="Trouble-code history", responses=NOT_FOUND)
def get_dtcs(vin: ScopedVin, span: HistoryRangeDep, telemetry: TelemetryDep) -> DtcHistory:
    """Every trouble code the vehicle reported with ``from <= ts < to`` (by default the last
    30 days; at most 31), one entry per code and ECU: its description, status in the latest
    report holding it, whether it is still present, first and last seen (epoch seconds)."""
    return dtcs.history(telemetry, vin, span)


@router.get("/{vin}/signals", summary="Signal catalogue", responses=NOT_FOUND)
def list_signals(vin: ScopedVin, telemetry: TelemetryDep) -> list[str]:
    """The canonical names of the signals stored for the vehicle, sorted."""
    return fleet.signal_names(telemetry, vin)


@router.get("/{vin}/signals/{signal}", summary="One signal, raw", responses=NOT_FOUND)
def get_series(
    scoped: ScopedSignal,
    span: TimeRangeDep,
    telemetry: TelemetryDep,
    limit: Limit = DEFAULT_LIMIT,
) -> Series:
    """Raw points with ``from <= ts < to``, oldest first, as ``[ts, value]`` pairs.

    ``from`` and ``to`` accept epoch seconds or ISO 8601; by default the last hour. A range
    longer than 31 days is refused (422). If the range holds more than ``limit`` points, the
    first ``limit`` are returned, ``truncated`` is true and ``next_from`` is the ``from`` of
    the next page (the cursor). Every ``ts`` is epoch seconds (UTC).
    """
    return fleet.series(telemetry, *scoped, span, limit)


@router.get(
    "/{vin}/signals/{signal:path}/buckets", summary="One signal, downsampled", responses=NOT_FOUND
)
def get_buckets(
    scoped: ScopedSignal, span: TimeRangeDep, telemetry: TelemetryDep, points: Points = 2_000
) -> Buckets:
    """The range cut into at most ``points`` equal buckets, each with count, min, max, mean
    and the last value; empty buckets are left out. Made for charts of long ranges."""
    return streams.buckets(telemetry, *scoped, span, points)


@router.get(
    "/{vin}/signals/{signal:path}/csv",  # a car may name a signal with a slash
    summary="One signal as CSV",
    responses={
        **NOT_FOUND,
        200: {
            "content": {"text/csv": {"example": CSV}},
            "description": "ts,value rows",
        },
    },
    response_class=StreamingResponse,
)
def get_csv(scoped: ScopedSignal, span: TimeRangeDep, telemetry: TelemetryDep) -> StreamingResponse:
    """``ts,value`` rows (ts in epoch seconds, UTC), streamed page by page: for long ranges."""
    return streams.csv_response(telemetry, *scoped, span)


@router.get(
    "/{vin}/stream",
    summary="Live samples and jobs (Server-Sent Events)",
    responses={
        **NOT_FOUND,
        200: {"content": {"text/event-stream": {"example": SSE}}, "description": "SSE"},
    },
    response_class=StreamingResponse,
)
def stream(vin: ScopedVin, stores: StoresDep, once: Once = False) -> StreamingResponse:
    """``event: sample`` with ``{signal, ts, value}`` for each new latest value, and
    ``event: job`` with the job summary when one of the vehicle's jobs opens or changes."""
    return streams.sse_response(stores, vin, once=once)


@signals_router.get("/{signal}", summary="One signal across the fleet")
def get_fleet_signal(
    signal: Signal, access: AccessDep, telemetry: TelemetryDep
) -> list[FleetReading]:
    """The latest value of ``signal`` on every vehicle you may see that has it."""
    return fleet.fleet_signal(telemetry, signal, access.sees_vin)
