"""What the job page's evidence charts need besides the job: the rule's levels, the car's state
names, and the link to the vehicle page on the signal that fired, around the firing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from api.deps import Stores
from api.html import url_path
from api.scope import Access
from api.signal_meta import vehicle_labels
from api.signal_meta_rules import Level, rule_levels
from api.vehicle_page import range_query
from jobs.model import Job


def fired_signals(evidence: Mapping[str, Any]) -> list[str]:
    """The trigger's signal first, then the rest of the evidence window's (a job's JSON)."""
    trigger = evidence.get("trigger")
    first = trigger.get("signal") if isinstance(trigger, Mapping) else None
    window = evidence.get("window")
    rest = sorted(window) if isinstance(window, Mapping) else []
    names = ([first] if isinstance(first, str) else []) + rest
    return [n for n in dict.fromkeys(names) if isinstance(n, str)]


class EvidenceView(TypedDict):
    levels: list[Level]
    labels: dict[str, dict[int, str]]
    vehicle_link: str | None


def evidence_view(stores: Stores, access: Access, job: Job) -> EvidenceView:
    """The rule's levels and the car's state names for the evidence charts, and a link to the
    vehicle page on the signal that fired around the firing (for a caller who sees it)."""
    link = None
    if access.sees_vin(job.vin):
        window = job.evidence.get("window")
        times = [
            p[0]
            for points in (window.values() if isinstance(window, Mapping) else ())
            for p in points
            if isinstance(p, list | tuple) and p and isinstance(p[0], int | float)
        ]
        start, end = (min(times), max(times)) if times else (job.fired_at, job.fired_at)
        pad = max((end - start) / 2, 300.0)
        query = range_query(fired_signals(job.evidence), (start - pad, end + pad))
        link = url_path("vehicles", job.vin, "page") + "?" + query
    return {
        "levels": rule_levels(stores.rules, job.rule_id),
        "labels": vehicle_labels(stores.telemetry, job.vin, stores.clock()),
        "vehicle_link": link,
    }
