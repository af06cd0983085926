from __future__ import annotations

from fastapi import APIRouter

from api import fleet
from api.deps import DEFAULT_LIMIT, JobsDep, Limit, Signal, TelemetryDep, TimeRangeDep, Vin
from api.schemas import Latest, Series, Vehicle, VehicleDetail, problem

NOT_FOUND = problem(404, "No such vehicle (or signal).")
UNAVAILABLE = problem(503, "A store is unavailable.")

router = APIRouter(prefix="/vehicles", tags=["vehicles"], responses=UNAVAILABLE)


@router.get("", summary="The fleet")
def list_vehicles(telemetry: TelemetryDep, jobs: JobsDep) -> list[Vehicle]:
    """Every vehicle with stored telemetry, by VIN. Times are epoch seconds (UTC)."""
    return fleet.list_vehicles(telemetry, jobs)


@router.get("/{vin}", summary="One vehicle", responses=NOT_FOUND)
def get_vehicle(vin: Vin, telemetry: TelemetryDep, jobs: JobsDep) -> VehicleDetail:
    """The vehicle, its open job count and the names of its stored signals."""
    return fleet.get_vehicle(telemetry, jobs, vin)


@router.get("/{vin}/latest", summary="Latest value of each signal", responses=NOT_FOUND)
def get_latest(vin: Vin, telemetry: TelemetryDep) -> Latest:
    """``{vin, values: {signal: {ts, value}}}``; ``ts`` in epoch seconds (UTC)."""
    return fleet.latest(telemetry, vin)


@router.get("/{vin}/signals", summary="Signal names", responses=NOT_FOUND)
def list_signals(vin: Vin, telemetry: TelemetryDep) -> list[str]:
    """The canonical names of the signals stored for the vehicle, sorted."""
    return fleet.signal_names(telemetry, vin)


@router.get("/{vin}/signals/{signal}", summary="One signal over time", responses=NOT_FOUND)
def get_series(
    vin: Vin,
    signal: Signal,
    span: TimeRangeDep,
    telemetry: TelemetryDep,
    limit: Limit = DEFAULT_LIMIT,
) -> Series:
    """Raw points with ``from <= ts < to``, oldest first, as ``[ts, value]`` pairs.

    ``from`` and ``to`` accept epoch seconds or ISO 8601; by default the last hour. A range
    longer than 31 days is refused (422). If the range holds more than ``limit`` points, the
    first ``limit`` are returned and ``truncated`` is true: ask again from the last ``ts``.
    Every ``ts`` is epoch seconds (UTC).
    """
    return fleet.series(telemetry, vin, signal, span, limit)
