"""Commands to cars: who may send which, recording and sending one, and reading its outcome.

    engineer, admin          read_dtcs and set_plan, any vehicle
    owner, fleet_manager     read_dtcs, their own vehicles
    workshop                 read_dtcs, the vehicles it has an open job for

A vehicle outside the caller's reach answers 404; a type the role may not send, 403. Every
command is recorded (``jobs.store.CommandLog``: key name and role, time, type, body, VIN, id)
before it is published; the outcome is the gateway's event carrying the id
(``pitstop.cmd``), looked up among the vehicle's stored events.
"""

from __future__ import annotations

import secrets
from typing import Any

from api.cmd_publisher import CommandPublisher
from api.errors import InvalidInputError, NotFoundError
from api.keys import Role
from api.presence_schemas import CommandAccepted, CommandEntry, CommandRequest, CommandStatus
from api.presence_schemas import Sender as SenderOut
from api.scope import OWNERS, WHOLE_FLEET, Access, unknown_vehicle
from ingest.store import TelemetryStore
from jobs.model import CommandRecord
from jobs.store import CommandLog
from pitstop.cmd import REFUSED, SET_PLAN, accepted, encode_command

ANSWER_SKEW_S = 86_400.0  # how far the gateway's clock may lag the API's
MAX_ANSWERS = 1_000


def reachable_vin(access: Access, vin: str) -> str:
    """``vin`` if the caller may send read_dtcs to it (and read its commands); else 404."""
    if access.role in WHOLE_FLEET or (access.role in OWNERS and access.sees_vin(vin)):
        return vin
    if access.role is Role.WORKSHOP and vin in access.granted:  # its open jobs' vehicles
        return vin
    raise unknown_vehicle(vin)


def send(
    access: Access,
    vin: str,
    request: CommandRequest,
    *,
    log: CommandLog,
    publisher: CommandPublisher,
    now: float,
) -> CommandAccepted:
    if request.type == SET_PLAN:
        access.require(WHOLE_FLEET, "send a set_plan command")
        if request.plan is None:
            raise InvalidInputError(("body", "plan"), "set_plan needs a plan", None)
    fields: dict[str, Any] = {}
    if request.type == SET_PLAN and request.plan is not None:
        fields["plan"] = request.plan.model_dump(exclude_unset=True)
    publisher.check()
    record = CommandRecord(
        id="c-" + secrets.token_hex(10),
        vin=vin,
        type=request.type,
        body=fields,
        key_name=access.key.name,
        role=access.role.value,
        sent_at=now,
    )
    log.record(record)
    publisher.publish(vin, encode_command(vin, record.type, record.id, fields))
    url = f"/vehicles/{vin}/commands/{record.id}"
    return CommandAccepted(id=record.id, vin=vin, type=record.type, sent_at=now, url=url)


def status(telemetry: TelemetryStore, log: CommandLog, vin: str, command_id: str) -> CommandStatus:
    record = log.command(command_id)
    if record is None or record.vin != vin:
        raise NotFoundError(f"no command {command_id} for vehicle {vin}")
    answers = telemetry.events(
        vin,
        record.sent_at - ANSWER_SKEW_S,
        float("inf"),
        [accepted(record.type), REFUSED],
        MAX_ANSWERS,
    )
    out = CommandStatus(
        id=record.id,
        vin=vin,
        type=record.type,
        state="pending",
        sent_at=record.sent_at,
        sent_by=SenderOut(name=record.key_name, role=record.role),
    )
    for event in reversed(answers):  # the first answer counts
        if event.data.get("id") == record.id:
            refused = event.type == REFUSED
            reason = str(event.data.get("reason", "")) if refused else None
            return out.model_copy(
                update={
                    "state": "refused" if refused else "accepted",
                    "answered_at": event.ts,
                    "data": dict(event.data),
                    "reason": reason,
                }
            )
    return out


def entries(log: CommandLog, vin: str | None, limit: int) -> list[CommandEntry]:
    return [
        CommandEntry(
            id=r.id,
            vin=r.vin,
            type=r.type,
            body=dict(r.body),
            sent_by=SenderOut(name=r.key_name, role=r.role),
            sent_at=r.sent_at,
        )
        for r in log.commands(vin, limit)
    ]
