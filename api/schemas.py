"""The API's response models. Every time is epoch seconds (UTC) as a number."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.network_schemas import HandoffOut, RatingOut, Standing
from api.strict import StrictBody
from jobs.model import JobStatus, Outcome

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
    open_jobs: int = Field(description="Jobs proposed, confirmed, accepted or in service.")
    next_booking: float | None = Field(
        default=None, description=f"Start of the earliest booked slot of an open job. {EPOCH}"
    )


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
    next_from: float | None = Field(
        default=None, description="When truncated: the 'from' that fetches the next page."
    )


class WorkshopRef(BaseModel):
    id: int
    name: str


class OpeningSpan(BaseModel):
    weekday: int = Field(description="0 is Monday.")
    opens: float = Field(description="Local hour, e.g. 8.0.")
    closes: float = Field(description="Local hour, e.g. 17.5.")


class Workshop(WorkshopRef):
    location: str
    skills: list[str]
    bays: int = Field(default=1, description="Jobs it can work on at once: its capacity.")
    hours: list[OpeningSpan] = []
    timezone: str = Field(default="UTC", description="IANA zone of the opening hours.")
    kind: str = Field(default="own", description="own, or partner (a third-party workshop).")
    brands: list[str] = Field(default=[], description="Brands it serves; empty: every brand.")
    high_voltage: bool = Field(default=False, description="Certified for high-voltage work.")
    standing: Standing | None = None


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
    slot_start: float | None = Field(default=None, description=f"The booked slot. {EPOCH}")
    slot_end: float | None = Field(default=None, description=EPOCH)
    outcome: Outcome | None = Field(default=None, description="Set when completed.")
    comeback_of: int | None = Field(
        default=None, description="The job closed 'fixed' whose fault this is, back again."
    )
    due_at: float | None = Field(
        default=None, description=f"End of its urgency window: booked and accepted by then. {EPOCH}"
    )
    escalated_at: float | None = Field(
        default=None, description=f"When it was escalated to the owner or fleet. {EPOCH}"
    )


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


class EvidenceCode(BaseModel):
    """A trouble code the vehicle reported when the job's rule fired."""

    code: str
    protocol: str | None = None
    ecu: int | None = None
    status: list[str] = []
    description: str = ""
    occurrences: int | None = None
    freeze_frame: dict[str, JsonValue] = Field(
        default={}, description="Snapshot data the ECU stored with the code, where it has any."
    )


class Evidence(BaseModel):
    """What a job is based on. Further entries the rule kind adds (forecast, service figures,
    later firings and escalations, the window after the trigger) are passed through."""

    model_config = ConfigDict(extra="allow")

    trigger: Trigger | None = None
    window: dict[str, list[PointPair]] = Field(
        default={}, description=f"Signal -> [ts, value] pairs around the trigger; ts: {EPOCH}"
    )
    dtcs: list[EvidenceCode] = Field(
        default=[], description="Trouble codes the vehicle reported when the rule fired."
    )
    odometer_km: float | None = None
    profile_hash: str | None = Field(
        default=None, description="Hash of the vehicle profile (DBC files) that decoded the data."
    )


class JobDetail(JobSummary):
    updated_at: float = Field(description=EPOCH)
    diagnosis: Diagnosis
    evidence: Evidence
    booking_reason: dict[str, JsonValue] | None = Field(
        default=None, description="Why this workshop: its rank, score, comebacks, distance."
    )
    handoffs: list[HandoffOut] = Field(
        default=[], description="Who it was offered to, who declined it and why, when."
    )
    rating: RatingOut | None = Field(default=None, description="The owner's rating, once given.")


class Bucket(BaseModel):
    start: float = Field(description=f"Start of the bucket. {EPOCH}")
    count: int
    min: float
    max: float
    mean: float
    last: float


class Buckets(BaseModel):
    vin: str
    signal: str
    bucket_s: float = Field(description="Width of each bucket, seconds.")
    buckets: list[Bucket] = Field(description="Non-empty buckets, oldest first.")


class FleetReading(BaseModel):
    vin: str
    ts: float = Field(description=EPOCH)
    value: float


class ActionRequest(StrictBody):
    """The body of a job action; which fields matter depends on the action."""

    outcome: Outcome | None = Field(
        default=None, strict=False, description="complete: fixed / no_fault_found."
    )
    slot_start: float | None = Field(
        default=None, ge=0, le=1e11, description=f"move: the new slot's start. {EPOCH}"
    )
    note: str = Field(default="", max_length=2000, description="Free text kept with the job.")


class RulePrecision(BaseModel):
    rule_id: str
    jobs: int = Field(description="Jobs this rule opened.")
    fixed: int = Field(description="Completed with outcome 'fixed'.")
    no_fault_found: int
    comebacks: int = Field(
        default=0, description="Of the fixed, how many came back (the same fault, soon after)."
    )
    precision: float | None = Field(
        description="(fixed - comebacks) / (fixed + no_fault_found): a fix that came back was "
        "not one; null until a job is completed."
    )


class SlotCapacity(BaseModel):
    """One opening hour of a workshop: how many of its bays are free."""

    start: float = Field(description=EPOCH)
    end: float = Field(description=EPOCH)
    bays: int
    booked: int = Field(description="Bays reserved in this hour.")
    free: int = Field(description="bays - booked (never below 0).")


class Calendar(BaseModel):
    workshop: Workshop
    bookings: list[JobSummary] = Field(description="Open jobs with a slot in the range, by slot.")
    unscheduled: list[JobSummary] = Field(description="Open jobs booked here without a slot.")
    capacity: list[SlotCapacity] = Field(
        default=[], description="Each opening hour in the range with its free bays."
    )


class Consent(BaseModel):
    vin: str
    workshops: dict[int, list[str]] = Field(
        description="Workshop id -> signals it may read beyond its jobs' evidence (none: {})."
    )


class ConsentRequest(StrictBody):
    signals: list[str] = Field(max_length=200, description="Canonical signal names; [] revokes.")


class TroubleCode(BaseModel):
    """One trouble code of one ECU over the range asked for, from the reports that held it."""

    code: str = Field(description='"P0301" (OBD, UDS) or "SPN110-FMI0" (J1939).')
    protocol: Literal["obd", "uds", "j1939"]
    ecu: int = Field(description="Responding CAN id (OBD/UDS) or J1939 source address.")
    ecu_name: str = Field(description='How reports name the ECU, e.g. "uds:0x7E8".')
    description: str
    status: list[str] = Field(
        description="In the latest report holding it: pending, confirmed, permanent, active, "
        "previously_active."
    )
    present: bool = Field(description="Whether the vehicle's latest report still holds it.")
    first_seen: float = Field(description=f"Earliest time it was seen in the range. {EPOCH}")
    last_seen: float = Field(description=f"Latest time it was seen in the range. {EPOCH}")
    reports: int = Field(description="How many reports in the range held it.")


class DtcHistory(BaseModel):
    vin: str
    reports: int = Field(description="Trouble-code reports stored in the range.")
    truncated: bool = Field(description="True if the range held more reports than were read.")
    lamps: dict[str, bool] = Field(description="Warning lamps in the latest report, e.g. mil.")
    codes: list[TroubleCode] = Field(description="Every code seen in the range, latest first.")


class RuleInfo(BaseModel):
    """A rule of the loaded catalogue, with how its jobs ended so far (see /rules/precision)."""

    id: str
    title: str
    kind: str = Field(description="threshold, window, rate, trend, dtc, maintenance, ...")
    severity: str
    condition: str = Field(description="The condition, as a person reads it.")
    signals: list[str] = Field(description="The signals it reads and keeps as evidence.")
    jobs: int = Field(default=0, description="Jobs it opened (that you may see).")
    fixed: int = 0
    no_fault_found: int = 0
    comebacks: int = Field(default=0, description="Of the fixed, how many came back.")
    precision: float | None = Field(
        default=None,
        description="(fixed - comebacks) / (fixed + no_fault_found); null until one completes.",
    )


class BacktestTransition(BaseModel):
    at: float = Field(description=EPOCH)
    state: str = Field(description="pending, firing, resolved, ...")
    value: float | None = Field(description="The condition's value then; null if not finite.")


class BacktestResult(BaseModel):
    rule_id: str
    vin: str
    start: float = Field(description=EPOCH)
    end: float = Field(description=EPOCH)
    samples: int = Field(description="Stored samples replayed.")
    firings: int = Field(description="How often it would have fired.")
    firing_s: float = Field(description="How long it would have been firing in total, seconds.")
    transitions: list[BacktestTransition]
