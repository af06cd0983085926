"""The vehicles and their telemetry, as the API shows them: pure reads over the two stores."""

from __future__ import annotations

from collections.abc import Callable

from api.errors import NotFoundError
from api.schemas import FleetReading, Latest, Reading, Series, Vehicle, VehicleDetail
from api.timerange import TimeRange
from ingest.store import TelemetryStore, VehicleSummary
from jobs.model import OPEN_STATUSES, Job
from jobs.store import JobStore

NEXT_MS = 0.001  # samples are stored to the millisecond: the next page starts 1 ms later


def list_vehicles(
    telemetry: TelemetryStore, jobs: JobStore, visible: Callable[[str], bool]
) -> list[Vehicle]:
    """Every visible vehicle with stored telemetry, by VIN, with its health."""
    open_jobs = [job for job in jobs.list_jobs() if job.status in OPEN_STATUSES]
    return [
        _vehicle(summary, [job for job in open_jobs if job.vin == summary.vin])
        for summary in telemetry.vehicles()
        if visible(summary.vin)
    ]


def get_vehicle(telemetry: TelemetryStore, jobs: JobStore, vin: str) -> VehicleDetail:
    summary = next((v for v in telemetry.vehicles() if v.vin == vin), None)
    if summary is None:
        raise _unknown(vin)
    open_jobs = [job for job in jobs.list_jobs(vin=vin) if job.status in OPEN_STATUSES]
    vehicle = _vehicle(summary, open_jobs)
    return VehicleDetail(**vehicle.model_dump(), signals=telemetry.signals(vin))


def fleet_signal(
    telemetry: TelemetryStore, signal: str, visible: Callable[[str], bool]
) -> list[FleetReading]:
    """The latest value of one signal on every visible vehicle that has it."""
    readings = []
    for summary in telemetry.vehicles():
        point = telemetry.latest(summary.vin).get(signal) if visible(summary.vin) else None
        if point is not None:
            readings.append(FleetReading(vin=summary.vin, ts=point.ts, value=point.value))
    return readings


def signal_names(telemetry: TelemetryStore, vin: str) -> list[str]:
    names = telemetry.signals(vin)
    if not names:
        raise _unknown(vin)
    return names


def latest(telemetry: TelemetryStore, vin: str) -> Latest:
    points = telemetry.latest(vin)
    if not points:
        raise _unknown(vin)
    values = {name: Reading(ts=p.ts, value=p.value) for name, p in sorted(points.items())}
    return Latest(vin=vin, values=values)


def series(telemetry: TelemetryStore, vin: str, signal: str, span: TimeRange, limit: int) -> Series:
    """One signal's raw points in ``span``, oldest first; ``truncated`` if there were more."""
    if signal not in signal_names(telemetry, vin):
        raise NotFoundError(f"vehicle {vin} has no signal {signal!r}; see /vehicles/{vin}/signals")
    points = telemetry.query(vin, signal, span.start, span.end, limit + 1)
    pairs = [(p.ts, p.value) for p in points[:limit]]
    truncated = len(points) > limit
    next_from = pairs[-1][0] + NEXT_MS if truncated else None
    return Series(vin=vin, signal=signal, points=pairs, truncated=truncated, next_from=next_from)


def _vehicle(summary: VehicleSummary, open_jobs: list[Job]) -> Vehicle:
    slots = [job.slot_start for job in open_jobs if job.slot_start is not None]
    return Vehicle(
        vin=summary.vin,
        profile=summary.profile,
        first_seen=summary.first_seen,
        last_seen=summary.last_seen,
        open_jobs=len(open_jobs),
        next_booking=min(slots, default=None),
    )


def _unknown(vin: str) -> NotFoundError:
    return NotFoundError(f"no vehicle {vin}: nothing has been stored for it")
