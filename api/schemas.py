"""The API's response models. Every time is epoch seconds (UTC) as a number."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.jobs import JobStatus

EPOCH = "Epoch seconds, UTC."

PointPair = tuple[float, float]


class Problem(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read.")


def problem(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of an error a route may answer with."""
    return {status: {"model": Problem, "description": description}}


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Vehicle(BaseModel):
    vin: str
    profile: str = Field(description="Hash of the vehicle profile that decoded its latest data.")
    first_seen: float = Field(description=f"Time of its earliest stored sample. {EPOCH}")
    last_seen: float = Field(description=f"Time of its latest stored sample. {EPOCH}")
    open_jobs: int = Field(description="Jobs proposed, confirmed or in service.")


class VehicleDetail(Vehicle):
    signals: list[str] = Field(description="Canonical names of the signals stored for it.")


class Reading(BaseModel):
    ts: float = Field(description=EPOCH)
    value: float


class Latest(BaseModel):
    vin: str
    values: dict[str, Reading] = Field(description="The latest reading of each signal.")


class Series(BaseModel):
    vin: str
    signal: str
    points: list[PointPair] = Field(description=f"[ts, value] pairs, oldest first; ts: {EPOCH}")
    truncated: bool = Field(description="True if the range holds more points than 'limit'.")


class WorkshopRef(BaseModel):
    id: int
    name: str


class Workshop(WorkshopRef):
    location: str
    skills: list[str]


class JobSummary(BaseModel):
    id: int
    vin: str
    rule_id: str
    title: str
    severity: str = Field(description="info, warning or critical.")
    status: JobStatus
    workshop: WorkshopRef | None = Field(description="Where it is booked; null if nowhere yet.")
    fired_at: float = Field(description=f"When the rule fired. {EPOCH}")
    created_at: float = Field(description=f"When the job was opened. {EPOCH}")


class Part(BaseModel):
    name: str
    quantity: int = 1


class Diagnosis(BaseModel):
    """What the rule's author says the fault is; fields the rule adds are passed through."""

    model_config = ConfigDict(extra="allow")

    summary: str = ""
    likely_causes: list[str] = []
    checks: list[str] = []
    parts: list[Part] = []
    labour_hours: float | None = None
    skills: list[str] = []


class Trigger(BaseModel):
    """The condition that fired and the value that fired it; extra fields are passed through."""

    model_config = ConfigDict(extra="allow")

    signal: str | None = None
    condition: str | None = None
    hold_s: float | None = Field(default=None, description="How long it had to hold, seconds.")
    since: float | None = Field(default=None, description=f"When it began to hold. {EPOCH}")
    fired_at: float | None = Field(default=None, description=EPOCH)
    value: float | None = None


class Evidence(BaseModel):
    trigger: Trigger | None = None
    window: dict[str, list[PointPair]] = Field(
        default={}, description=f"Signal -> [ts, value] pairs around the trigger; ts: {EPOCH}"
    )


class JobDetail(JobSummary):
    updated_at: float = Field(description=EPOCH)
    diagnosis: Diagnosis
    evidence: Evidence
