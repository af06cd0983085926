"""The vehicles and their telemetry, as the API shows them: pure reads over the two stores."""

from __future__ import annotations

from collections import Counter

from api.errors import NotFoundError
from api.schemas import Latest, Reading, Series, Vehicle, VehicleDetail
from api.timerange import TimeRange
from ingest.store import TelemetryStore, VehicleSummary
from rules.jobs import OPEN_STATUSES, JobStore


def list_vehicles(telemetry: TelemetryStore, jobs: JobStore) -> list[Vehicle]:
    """Every vehicle with stored telemetry, ordered by VIN, with its open job count."""
    open_jobs = Counter(job.vin for job in jobs.list_jobs() if job.status in OPEN_STATUSES)
    return [_vehicle(summary, open_jobs[summary.vin]) for summary in telemetry.vehicles()]


def get_vehicle(telemetry: TelemetryStore, jobs: JobStore, vin: str) -> VehicleDetail:
    summary = next((v for v in telemetry.vehicles() if v.vin == vin), None)
    if summary is None:
        raise _unknown(vin)
    open_jobs = sum(job.status in OPEN_STATUSES for job in jobs.list_jobs(vin=vin))
    vehicle = _vehicle(summary, open_jobs)
    return VehicleDetail(**vehicle.model_dump(), signals=telemetry.signals(vin))


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
    return Series(vin=vin, signal=signal, points=pairs, truncated=len(points) > limit)


def _vehicle(summary: VehicleSummary, open_jobs: int) -> Vehicle:
    return Vehicle(
        vin=summary.vin,
        profile=summary.profile,
        first_seen=summary.first_seen,
        last_seen=summary.last_seen,
        open_jobs=open_jobs,
    )


def _unknown(vin: str) -> NotFoundError:
    return NotFoundError(f"no vehicle {vin}: nothing has been stored for it")
