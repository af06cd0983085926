"""The models of the two-way routes: a vehicle's presence and events, and commands to it.

(Beside ``api.schemas``, which holds the telemetry and job models: this is the other idea.)
Every time is epoch seconds (UTC) as a number. The plan of a ``set_plan`` is checked here for
its shape only (fields, types, closed vocabularies); the gateway checks its signal names
against the vehicle's profile and refuses it, with the reason, if one is unknown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.strict import StrictBody

EPOCH = "Epoch seconds, UTC."
MAX_PLAN_SIGNALS = 1_000
NAME = r"^[A-Za-z0-9_.\- ]{1,100}$"
SIGNAL = r"^[A-Za-z0-9_.]{1,200}$"


class VehicleStatusOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "vin": "WPITSTOPDEMO00001",
                    "state": "online",
                    "since": 1764201600.0,
                    "last_seen": 1764205200.0,
                    "version": "0.1.0",
                    "profile": "3f9a1c2b7d4e",
                    "counters": {"frames": 120000, "spool_count": 3, "dropped": 0},
                }
            ]
        }
    )

    vin: str
    state: Literal["online", "offline", "unknown"] = Field(
        description="online / offline (the broker's last will); unknown: events, no status yet."
    )
    since: float = Field(description=f"When the current state was received. {EPOCH}")
    last_seen: float = Field(description=f"When the car was last heard from. {EPOCH}")
    version: str = Field(description="The gateway's software version.")
    profile: str = Field(description="Hash of the vehicle profile (DBC files and mapping).")
    counters: dict[str, int] = Field(description="The gateway's counters, as of its status.")


class EventOut(BaseModel):
    type: str = Field(description="e.g. dbc_problems, spool_overflow, capture, read_dtcs_accepted")
    ts: float = Field(description=f"The gateway's time of the event. {EPOCH}")
    received_at: float = Field(description=EPOCH)
    data: dict[str, JsonValue] = Field(description="As the car sent it, strings cut to size.")


class EventList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "vin": "WPITSTOPDEMO00001",
                    "events": [
                        {
                            "type": "spool_overflow",
                            "ts": 1764205000.0,
                            "received_at": 1764205000.2,
                            "data": {"dropped": 12, "total": 12},
                        }
                    ],
                    "truncated": False,
                }
            ]
        }
    )

    vin: str
    events: list[EventOut] = Field(description="Newest first.")
    truncated: bool = Field(description="True if the range holds more events than 'limit'.")


class PlanSignal(StrictBody):
    interval: float | None = Field(default=None, ge=0, le=86_400)
    on_change: float | None = Field(default=None, ge=0)
    heartbeat: float | None = Field(default=None, gt=0, le=7 * 86_400)
    priority: Literal["high", "normal", "low"] | None = None


class PlanTrigger(StrictBody):
    signal: str = Field(pattern=SIGNAL)
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float


class PlanCapture(StrictBody):
    name: str = Field(pattern=NAME)
    when: PlanTrigger
    before: float = Field(default=0, ge=0, le=3_600)
    after: float = Field(default=0, ge=0, le=3_600)
    signals: list[str] = Field(min_length=1, max_length=50)


class Plan(StrictBody):
    """A collection plan, as in ``dbc/demo_ev.plan.yaml`` (see ``gateway/plan.py``)."""

    name: str = Field(pattern=NAME)
    budget_mb_per_month: float | None = Field(default=None, gt=0, le=1_000_000)
    batch_seconds: float | None = Field(default=None, gt=0, le=3_600)
    default: PlanSignal | None = None
    signals: dict[str, PlanSignal] = Field(default_factory=dict, max_length=MAX_PLAN_SIGNALS)
    captures: list[PlanCapture] = Field(default_factory=list, max_length=20)


class CommandRequest(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "read_dtcs"},
                {
                    "type": "set_plan",
                    "plan": {
                        "name": "battery-watch",
                        "signals": {
                            "Vehicle.LowVoltageBattery.CurrentVoltage": {
                                "interval": 5,
                                "priority": "high",
                            }
                        },
                    },
                },
            ]
        },
    )

    type: Literal["read_dtcs", "set_plan"] = Field(
        description="read_dtcs: read the trouble codes now; set_plan: replace the collection plan."
    )
    plan: Plan | None = Field(default=None, description="set_plan only: the new plan.")


class Sender(BaseModel):
    name: str = Field(description="The API key's name.")
    role: str


class CommandAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c-5f0e8a1b2c3d4e5f6a7b",
                    "vin": "WPITSTOPDEMO00001",
                    "type": "read_dtcs",
                    "state": "pending",
                    "sent_at": 1764205200.0,
                    "url": "/vehicles/WPITSTOPDEMO00001/commands/c-5f0e8a1b2c3d4e5f6a7b",
                }
            ]
        }
    )

    id: str = Field(description="The command id; the gateway's outcome event carries it.")
    vin: str
    type: str
    state: Literal["pending"] = "pending"
    sent_at: float = Field(description=EPOCH)
    url: str = Field(description="Where its outcome is shown.")


class CommandStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c-5f0e8a1b2c3d4e5f6a7b",
                    "vin": "WPITSTOPDEMO00001",
                    "type": "set_plan",
                    "state": "refused",
                    "sent_at": 1764205200.0,
                    "sent_by": {"name": "alice", "role": "engineer"},
                    "answered_at": 1764205200.4,
                    "data": {"reason": "set_plan: signal 'Vehicle.Foo': not a signal"},
                    "reason": "set_plan: signal 'Vehicle.Foo': not a signal",
                }
            ]
        }
    )

    id: str
    vin: str
    type: str
    state: Literal["pending", "accepted", "refused"] = Field(
        description="pending until the gateway's outcome event is stored."
    )
    sent_at: float = Field(description=EPOCH)
    sent_by: Sender
    answered_at: float | None = Field(
        default=None, description=f"The gateway's time of its outcome. {EPOCH}"
    )
    data: dict[str, JsonValue] | None = Field(
        default=None, description="The outcome event's data (accepted or refused)."
    )
    reason: str | None = Field(default=None, description="Why the gateway refused it.")


class CommandEntry(BaseModel):
    """One line of the command audit log."""

    id: str
    vin: str
    type: str
    body: dict[str, JsonValue]
    sent_by: Sender
    sent_at: float = Field(description=EPOCH)
