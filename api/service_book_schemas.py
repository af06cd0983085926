"""Request and response models of the service book and the follow-up (``api.routes.
service_book_routes``). Every time is epoch seconds (UTC); days are ISO 8601 (``2026-03-01``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from jobs.model import CarVerdict, FollowUpAnswer, RecordSource, ServiceKind

EPOCH = "Epoch seconds, UTC."
Part = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]

RECORD_EXAMPLE: dict[str, JsonValue] = {
    "kind": "service",
    "done_on": "2026-03-01",
    "odometer_km": 45210,
    "workshop": "Autohaus Süd",
    "work": "Oil and filter change, cabin filter",
    "parts": ["Oil filter", "5W-30 oil 5 l", "Cabin air filter"],
    "labour_hours": 1.0,
    "cost": 189.5,
    "currency": "EUR",
    "notes": "Next: brake fluid",
    "rule_id": "yearly-service",
}


class ServiceRecordIn(BaseModel):
    """A record of work done (outside pitstop, or a correction of one pitstop wrote).

    Without ``odometer_km`` the car's own reading of that day is taken (its latest reading
    when the day is today), if it has one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RECORD_EXAMPLE]})

    kind: ServiceKind
    done_on: date = Field(description="The day the work was done (YYYY-MM-DD).")
    odometer_km: float | None = Field(
        default=None, ge=0, le=5_000_000, allow_inf_nan=False, strict=True
    )
    workshop: str = Field(
        default="", max_length=200, strict=True, description="Who did it (free text)."
    )
    work: str = Field(min_length=1, max_length=2000, strict=True, description="What was done.")
    parts: list[Part] = Field(default=[], max_length=50)
    labour_hours: float | None = Field(
        default=None, ge=0, le=1000, allow_inf_nan=False, strict=True
    )
    cost: float | None = Field(default=None, ge=0, le=10_000_000, allow_inf_nan=False, strict=True)
    currency: str = Field(default="", pattern=r"^([A-Z]{3})?$", description="ISO 4217: EUR.")
    notes: str = Field(default="", max_length=2000, strict=True)
    rule_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="The maintenance rule this counts as (its interval restarts here).",
    )


class ServiceRecordOut(BaseModel):
    id: int
    vin: str
    kind: ServiceKind
    done_on: str = Field(description="YYYY-MM-DD.")
    odometer_km: float | None
    workshop: str
    work: str
    parts: list[str]
    labour_hours: float | None
    cost: float | None
    currency: str
    notes: str
    rule_id: str | None
    source: RecordSource = Field(
        description="job (a completed pitstop job), owner, workshop, import."
    )
    job_id: int | None = Field(description="The pitstop job that wrote it.")
    workshop_id: int | None
    created_at: float = Field(description=EPOCH)
    updated_at: float = Field(description=EPOCH)
    editable: bool = Field(description="Whether you may edit or delete it.")


class ServiceBookOut(BaseModel):
    vin: str
    records: list[ServiceRecordOut] = Field(description="Newest first.")


class Deleted(BaseModel):
    id: int
    deleted: Literal[True] = True


class ImportResult(BaseModel):
    vin: str
    rows: int = Field(description="Rows read from the file.")
    added: int = Field(description="Records added now.")
    skipped: int = Field(description="Rows already in the book (imported before).")
    columns: dict[str, str] = Field(description="Field -> the column it was read from.")
    unit: Literal["km", "mi"] = Field(description="The odometer column's unit.")
    ignored: list[str] = Field(description="Columns not read.")


class FollowUpOut(BaseModel):
    job_id: int
    question: str
    completed_at: float = Field(description=EPOCH)
    asked_at: float | None = Field(description=f"When the owner was asked. {EPOCH}")
    answer: FollowUpAnswer | None
    answered_at: float | None
    car_verdict: CarVerdict | None = Field(
        description="What the car's data said when asked: clear, or fired_again."
    )
    car_job_id: int | None = Field(description="The job of the fault coming back, if it did.")


class FollowUpAnswerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [{"solved": True}]}
    )

    solved: bool = Field(description="Is the problem gone?")
