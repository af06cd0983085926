"""The two-way routes: a vehicle's presence and events, commands to it, the command log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import car_commands as commands
from api import presence_views as presence
from api.deps import (
    ClockDep,
    CommandLogDep,
    HistoryRangeDep,
    PublisherDep,
    TelemetryDep,
    Vin,
)
from api.keys import Role
from api.presence_schemas import (
    CommandAccepted,
    CommandEntry,
    CommandRequest,
    CommandStatus,
    EventList,
    VehicleStatusOut,
)
from api.schemas import problem
from api.scope import AccessDep, ScopedVin

NOT_FOUND = problem(404, "No such vehicle (or command), or not yours to see.")
FORBIDDEN = problem(403, "Your role may not send this command.")
UNAVAILABLE = problem(503, "A store or the MQTT broker is unavailable.")
EVENT_TYPE = r"^[a-z][a-z0-9_]{0,63}$"
Types = Annotated[
    list[Annotated[str, Query(pattern=EVENT_TYPE)]],
    Query(alias="type", max_length=20, description="Only events of these types (repeatable)."),
]
Limit = Annotated[int, Query(ge=1, le=presence.MAX_EVENTS, description="At most this many.")]
CommandId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The command id.")]

router = APIRouter(prefix="/vehicles", tags=["vehicles"], responses=UNAVAILABLE)
log_router = APIRouter(prefix="/commands", tags=["commands"], responses=UNAVAILABLE)


@router.get("/{vin}/status", summary="Online or offline, and the gateway", responses=NOT_FOUND)
def get_status(vin: ScopedVin, telemetry: TelemetryDep) -> VehicleStatusOut:
    """The gateway's latest status: online / offline (the broker's last will when its
    connection died), since when, when the car was last heard from, the gateway's version,
    the profile hash and its counters."""
    return presence.status(telemetry, vin)


@router.get("/{vin}/events", summary="Gateway events", responses=NOT_FOUND)
def get_events(
    vin: ScopedVin,
    span: HistoryRangeDep,
    telemetry: TelemetryDep,
    types: Types = [],  # noqa: B006 (FastAPI copies it)
    limit: Limit = 200,
) -> EventList:
    """Events with ``from <= ts < to`` (by default the last 30 days; at most 31), newest
    first: ``dbc_problems``, ``spool_overflow``, ``capture`` windows, ``value_tables``, the
    ``plan`` in force, command outcomes (``read_dtcs_accepted``, ``command_refused``, ...)."""
    return presence.events(telemetry, vin, span, types, limit)


@router.post(
    "/{vin}/commands",
    status_code=202,
    summary="Send a command to the car",
    responses={**NOT_FOUND, **FORBIDDEN},
)
def post_command(
    *,
    vin: Vin,
    request: CommandRequest,
    access: AccessDep,
    log: CommandLogDep,
    publisher: PublisherDep,
    clock: ClockDep,
) -> CommandAccepted:
    """``{"type": "read_dtcs"}`` (engineers, admins; owners and fleet managers for their
    vehicles; workshops for vehicles they have an open job for) or ``{"type": "set_plan",
    "plan": {...}}`` (engineers, admins). Published on ``pitstop/v1/{vin}/cmd`` (QoS 1) with a
    command id and recorded; the answer is 202 with the id: follow ``url`` for the outcome."""
    reached = commands.reachable_vin(access, vin)
    return commands.send(access, reached, request, log=log, publisher=publisher, now=clock())


@router.get("/{vin}/commands/{command_id}", summary="A command's outcome", responses=NOT_FOUND)
def get_command(
    vin: Vin, command_id: CommandId, access: AccessDep, log: CommandLogDep, telemetry: TelemetryDep
) -> CommandStatus:
    """``pending`` until the gateway answers; ``accepted`` with the data of its event, or
    ``refused`` with the reason."""
    return commands.status(telemetry, log, commands.reachable_vin(access, vin), command_id)


@log_router.get("", summary="The command audit log", responses=FORBIDDEN)
def list_commands(
    access: AccessDep,
    log: CommandLogDep,
    vin: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9]{17}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> list[CommandEntry]:
    """Every command sent to a car, newest first: who (key name, role), when, what, which
    vehicle, its id. Admins only."""
    access.require(frozenset({Role.ADMIN}), "read the command log")
    return commands.entries(log, vin, limit)
