"""A vehicle's presence and events, from the telemetry store, as response models; and what the
vehicle page shows of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from api.errors import NotFoundError
from api.presence_schemas import EventList, EventOut, VehicleStatusOut
from api.timerange import TimeRange
from ingest.store import TelemetryStore

MAX_EVENTS = 1_000
PAGE_TYPES = ("dbc_problems", "spool_overflow", "capture")


def status(telemetry: TelemetryStore, vin: str) -> VehicleStatusOut:
    found = optional_status(telemetry, vin)
    if found is None:
        raise NotFoundError(f"no status from vehicle {vin}: its gateway has not reported yet")
    return found


def optional_status(telemetry: TelemetryStore, vin: str) -> VehicleStatusOut | None:
    found = telemetry.vehicle_status(vin)
    if found is None:
        return None
    return VehicleStatusOut(
        vin=found.vin,
        state=_state(found.state),
        since=found.since,
        last_seen=found.last_seen,
        version=found.version,
        profile=found.profile,
        counters=dict(found.counters),
    )


def events(
    telemetry: TelemetryStore,
    vin: str,
    span: TimeRange,
    types: Sequence[str] | None = None,
    limit: int = MAX_EVENTS,
) -> EventList:
    found = telemetry.events(vin, span.start, span.end, types or None, limit + 1)
    shown = [
        EventOut(type=e.type, ts=e.ts, received_at=e.received_at, data=dict(e.data))
        for e in found[:limit]
    ]
    return EventList(vin=vin, events=shown, truncated=len(found) > limit)


def _state(value: str) -> Literal["online", "offline", "unknown"]:
    if value == "online":
        return "online"
    return "offline" if value == "offline" else "unknown"
