"""The vehicles and their telemetry, as the API shows them: pure reads over the two stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from api.errors import NotFoundError
from api.schemas import FleetReading, Latest, Reading, Series, Vehicle, VehicleDetail
from api.timerange import TimeRange
from ingest.store import TelemetryStore, VehicleSummary
from jobs.model import OPEN_STATUSES, Job, Severity
from jobs.store import JobStore

NEXT_MS = 0.001  # samples are stored to the millisecond: the next page starts 1 ms later

#: The signals the fleet page shows for every vehicle that has them, besides those its open
#: jobs name; ``fleet_rows(..., key_signals=...)`` takes another list.
KEY_SIGNALS = (
    "Vehicle.Speed",
    "Vehicle.LowVoltageBattery.CurrentVoltage",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "Vehicle.TraveledDistance",
)
MAX_COLUMNS = 5


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One vehicle as the fleet page shows it: who, how healthy, online, latest values."""

    vin: str
    name: str  # its label in the job store's directory, '' if it has none
    health: str  # the worst open job's severity, or "ok"
    state: str  # "online", "offline" or "unknown" (its gateway never said)
    last_seen: float
    values: dict[str, tuple[float, float]]  # signal -> (ts, value), of the page's columns
    open_jobs: list[Job]  # worst first


@dataclass(frozen=True, slots=True)
class Fleet:
    rows: list[FleetRow]
    columns: list[str]  # the signals shown, in order


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


def fleet_rows(
    telemetry: TelemetryStore,
    jobs: JobStore,
    visible: Callable[[str], bool],
    key_signals: Sequence[str] = KEY_SIGNALS,
) -> Fleet:
    """Every visible vehicle with its health, presence and a few latest values: the signals
    its open jobs fired on first, then ``key_signals``, those some vehicle has."""
    open_jobs = [job for job in jobs.list_jobs() if job.status in OPEN_STATUSES]
    shown = [s for s in telemetry.vehicles() if visible(s.vin)]
    latest = {s.vin: telemetry.latest(s.vin) for s in shown}
    wanted = list(dict.fromkeys([*filter(None, map(_trigger_signal, open_jobs)), *key_signals]))
    columns = [c for c in wanted if any(c in points for points in latest.values())]
    columns = columns[:MAX_COLUMNS]
    rows = []
    for summary in shown:
        mine = sorted(
            (j for j in open_jobs if j.vin == summary.vin), key=lambda j: -j.severity.rank
        )
        status = telemetry.vehicle_status(summary.vin)
        entry = jobs.vehicle(summary.vin)
        points = latest[summary.vin]
        rows.append(
            FleetRow(
                vin=summary.vin,
                name=entry.label if entry is not None else "",
                health=mine[0].severity.value if mine else "ok",
                state=_state(status.state) if status is not None else "unknown",
                last_seen=max(summary.last_seen, status.last_seen if status else 0.0),
                values={c: (points[c].ts, points[c].value) for c in columns if c in points},
                open_jobs=mine,
            )
        )
    rows.sort(key=lambda r: (-_rank(r.health), r.name or r.vin))
    return Fleet(rows, columns)


def _trigger_signal(job: Job) -> str | None:
    trigger = job.evidence.get("trigger")
    signal = trigger.get("signal") if isinstance(trigger, Mapping) else None
    return signal if isinstance(signal, str) else None


def _rank(health: str) -> int:
    try:
        return Severity(health).rank + 1
    except ValueError:
        return 0


def _state(value: str) -> str:
    return value if value in {"online", "offline"} else "unknown"


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
