"""Maintenance reminders (pure): how far each maintenance item is from due, and whether that is
within the reminder lead (by distance, running hours or time, whichever comes first).

A reminder's key is the rule and the service it counts from, so a vehicle is reminded once per
due item: a later service starts a new item with a new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.conditions import Maintenance
from rules.model import Rule
from rules.state import ServiceMark

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Lead:
    """Remind this far ahead of due: ``km`` of distance, ``s`` of time, ``hours`` of running."""

    km: float = 1_000.0
    s: float = 14 * DAY_S
    hours: float = 10.0


@dataclass(frozen=True, slots=True)
class Reminder:
    rule_id: str
    key: str
    doc: dict[str, Any]  # JSON-ready, the webhook's body (beside id, event, at)


def reminder(  # noqa: PLR0917 - the values one reminder is computed from
    rule: Rule,
    vin: str,
    mark: ServiceMark,
    km_now: float | None,
    hours_now: float,
    ts: float,
    lead: Lead,
) -> Reminder | None:
    """The reminder of ``rule`` for ``vin`` at data time ``ts``, if it is within ``lead``."""
    cond = rule.condition
    if not isinstance(cond, Maintenance):
        return None
    left: dict[str, float] = {}
    if cond.every_km is not None and km_now is not None and mark.km is not None:
        left["km"] = cond.every_km - (km_now - mark.km)
    if cond.every_s is not None:
        left["days"] = (cond.every_s - (ts - mark.at)) / DAY_S
    if cond.every_hours is not None:
        left["hours"] = cond.every_hours - (hours_now - mark.hours)
    soon = (
        left.get("km", float("inf")) <= lead.km
        or left.get("days", float("inf")) * DAY_S <= lead.s
        or left.get("hours", float("inf")) <= lead.hours
    )
    if not soon:
        return None
    doc = {
        "vin": vin,
        "rule_id": rule.id,
        "title": rule.title,
        "due_in": {name: round(value, 1) for name, value in left.items()},
        "odometer_km": km_now,
        "counts_from": {"at": mark.at, "odometer_km": mark.km, "serviced": mark.serviced},
        "summary": rule.diagnosis.summary,
    }
    return Reminder(rule.id, f"{rule.id}@{mark.at:.0f}", doc)
