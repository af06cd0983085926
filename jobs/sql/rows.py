"""Database rows to the job store's values (``jobs.model``), and back where needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobs.model import (
    WEEKDAYS_8_TO_17,
    Job,
    JobStatus,
    OpeningHours,
    Outcome,
    Owner,
    Severity,
    Vehicle,
    Workshop,
)


def job(row: Mapping[Any, Any]) -> Job:
    outcome = row.get("outcome")
    return Job(
        id=row["id"],
        vin=row["vin"],
        rule_id=row["rule_id"],
        title=row["title"],
        severity=Severity(row["severity"]),
        status=JobStatus(row["status"]),
        workshop_id=row["workshop_id"],
        fired_at=row["fired_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        diagnosis=row["diagnosis"],
        evidence=row["evidence"],
        slot_start=row.get("slot_start"),
        slot_end=row.get("slot_end"),
        outcome=Outcome(outcome) if outcome else None,
        comeback_of=row.get("comeback_of"),
        booking_reason=row.get("booking_reason"),
        due_at=row.get("due_at"),
        escalated_at=row.get("escalated_at"),
        completed_at=row.get("completed_at"),
    )


def workshop(row: Mapping[Any, Any]) -> Workshop:
    hours = row.get("hours")
    return Workshop(
        id=row["id"],
        name=row["name"],
        location=row["location"],
        skills=tuple(row["skills"]),
        latitude=row.get("latitude"),
        longitude=row.get("longitude"),
        brands=tuple(row.get("brands") or ()),
        bays=int(row.get("bays") or 1),
        hours=hours_from_json(hours) if hours is not None else WEEKDAYS_8_TO_17,
        timezone=row.get("timezone") or "UTC",
        webhook_url=row.get("webhook_url"),
        kind=row.get("kind") or "own",
        high_voltage=bool(row.get("high_voltage")),
    )


def hours_to_json(hours: OpeningHours) -> list[list[float]]:
    return [[int(day), float(opens), float(closes)] for day, opens, closes in hours]


def hours_from_json(value: Any) -> OpeningHours:
    return tuple((int(day), float(opens), float(closes)) for day, opens, closes in value)


def owner(row: Mapping[Any, Any]) -> Owner:
    return Owner(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        preferred_workshop_id=row["preferred_workshop_id"],
        auto_confirm=bool(row["auto_confirm"]),
        webhook_url=row["webhook_url"],
    )


def vehicle(row: Mapping[Any, Any]) -> Vehicle:
    return Vehicle(
        vin=row["vin"],
        owner_id=row["owner_id"],
        label=row["label"],
        brand=row.get("brand"),
        latitude=row.get("latitude"),
        longitude=row.get("longitude"),
    )
