"""The job package a firing asks for: trigger, evidence window, trouble codes, forecast,
odometer, profile hash and diagnosis, JSON-ready (see ``jobs.model.JobDraft``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.conditions import format_duration
from rules.transition import Transition
from rules.window import Point

ODOMETER = "Vehicle.TraveledDistance"


def trigger(transition: Transition) -> dict[str, Any]:
    """What fired: the condition, when it began and fired, the value and the severity."""
    rule = transition.rule
    cond = rule.condition
    signals = cond.signals
    return {
        "signal": signals[0] if signals else None,
        "signals": list(signals),
        "kind": rule.kind,
        "condition": cond.describe(),
        "hold_s": cond.hold_s,
        "hold": format_duration(cond.hold_s),
        "since": transition.since,
        "fired_at": transition.at,
        "value": transition.value,
        "severity": transition.severity.value,
    }


def window_json(evidence: Mapping[str, tuple[Point, ...]]) -> dict[str, list[list[float]]]:
    return {signal: [[ts, value] for ts, value in points] for signal, points in evidence.items()}


def job_evidence(
    transition: Transition, *, odometer: float | None = None, profile_hash: str | None = None
) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "trigger": trigger(transition),
        "window": window_json(transition.evidence),
    }
    details = transition.details
    if "forecast" in details:
        evidence["forecast"] = details["forecast"]
    if "dtcs" in details:
        evidence["dtcs"] = details["dtcs"]
    if "lamp" in details:
        evidence["lamp_on"] = details["lamp"]
    if "service" in details:
        evidence["service"] = details["service"]
    odo = odometer if odometer is not None else _last(transition.evidence.get(ODOMETER))
    if odo is not None:
        evidence["odometer_km"] = odo
    if profile_hash:
        evidence["profile_hash"] = profile_hash
    return evidence


def _last(points: tuple[Point, ...] | None) -> float | None:
    return points[-1][1] if points else None
