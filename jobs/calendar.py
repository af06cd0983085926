"""A workshop's calendar, as pure functions of values: how long a job's slot is, which slots
fit the opening hours, which have a free bay for every hour they cover, and why a slot is
refused.

The calendar's unit is the hour (``SLOT_S``): slots start on the hour, and a job of 2.5 h
labour holds a bay for three hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobs.model import SLOT_S, Reservation, Workshop

MAX_SLOT_HOURS = 40  # a week of one bay: longer labour is booked as a week, and planned by hand


def slot_length_s(diagnosis: Mapping[str, Any]) -> float:
    """The bay time a job needs: its labour hours rounded up to whole hours (at least one)."""
    labour = diagnosis.get("labour_hours")
    if not isinstance(labour, int | float) or isinstance(labour, bool) or not labour > 0:
        return SLOT_S
    if not math.isfinite(labour):
        return SLOT_S
    return min(math.ceil(labour), MAX_SLOT_HOURS) * SLOT_S


def zone_of(workshop: Workshop) -> ZoneInfo:
    try:
        return ZoneInfo(workshop.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def within_hours(workshop: Workshop, start: float, length_s: float) -> bool:
    """Whether [start, start + length) lies inside one day's opening hours."""
    local = datetime.fromtimestamp(start, zone_of(workshop))
    hour = local.hour + local.minute / 60 + local.second / 3600
    return any(
        day == local.weekday() and opens <= hour and hour + length_s / 3600 <= closes
        for day, opens, closes in workshop.hours
    )


def candidate_slots(
    workshop: Workshop, earliest: float, latest: float, length_s: float = SLOT_S
) -> Iterator[tuple[float, float]]:
    """Slots [start, end) of ``length_s`` on the hour, inside opening hours, from ``earliest``
    (rounded up to the hour) while they start before ``latest``."""
    start = math.ceil(earliest / SLOT_S) * SLOT_S
    while start < latest:
        if within_hours(workshop, start, length_s):
            yield start, start + length_s
        start += SLOT_S


def hours_of(start: float, end: float) -> list[float]:
    """The hour starts [start, end) touches."""
    first = math.floor(start / SLOT_S)
    last = max(first + 1, math.ceil(end / SLOT_S))
    return [k * SLOT_S for k in range(first, last)]


Taken = Mapping[float, frozenset[int]]  # hour start -> the bays reserved in that hour


def taken_bays(reservations: Iterable[Reservation], ignore_job: int | None = None) -> Taken:
    """Hour start -> bays reserved, leaving out ``ignore_job``'s own (a move frees them)."""
    taken: dict[float, set[int]] = {}
    for r in reservations:
        if r.job_id != ignore_job:
            taken.setdefault(r.slot_start, set()).add(r.bay)
    return {hour: frozenset(bays) for hour, bays in taken.items()}


def has_room(workshop: Workshop, taken: Taken, start: float, end: float) -> bool:
    """Whether one bay is free for every hour of [start, end), as the store reserves it."""
    busy: set[int] = set()
    for hour in hours_of(start, end):
        busy |= taken.get(hour, frozenset())
    return any(bay not in busy for bay in range(1, workshop.bays + 1))


def free_slots(  # noqa: PLR0917 - a calendar question's parts
    workshop: Workshop,
    taken: Taken,
    earliest: float,
    latest: float,
    length_s: float,
    limit: int = 10,
) -> list[tuple[float, float]]:
    """Up to ``limit`` slots from ``earliest`` that fit the hours and have room."""
    found: list[tuple[float, float]] = []
    for start, end in candidate_slots(workshop, earliest, latest, length_s):
        if has_room(workshop, taken, start, end):
            found.append((start, end))
            if len(found) >= limit:
                break
    return found


def refusal(workshop: Workshop, start: float, length_s: float, now: float) -> str | None:
    """Why a slot cannot be booked at this workshop (None: it fits the calendar's rules; bays
    are the store's to check)."""
    if start < now:
        return "that slot is in the past"
    if start % SLOT_S:
        return "slots start on the hour"
    if not within_hours(workshop, start, length_s):
        hours = int(length_s // SLOT_S)
        return f"a {hours} h slot then is outside the workshop's opening hours"
    return None
