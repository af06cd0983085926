"""Booking: which workshop, which slot (pure), and trying slots until one is free (I/O).

- ``choose_workshop``: the owner's preferred workshop if it qualifies (every required skill,
  serves the brand), else the nearest qualified one (great-circle distance), else the first.
- ``candidate_slots``: slot starts inside the workshop's opening hours, in its time zone.
- ``book_first_free``: asks the store for each candidate until a bay is free; the store (the
  database) refuses a double booking, so two workers booking at once both end up correct.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobs.model import SLOT_S, Job, JobDraft, Workshop
from jobs.store import JobStore

EARTH_RADIUS_KM = 6371.0
DEFAULT_URGENCY_S = 7 * 86400.0


def qualifies(workshop: Workshop, required_skills: Iterable[str], brand: str | None) -> bool:
    if not set(required_skills).issubset(workshop.skills):
        return False
    return brand is None or not workshop.brands or brand in workshop.brands


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def choose_workshop(
    workshops: Iterable[Workshop],
    required_skills: Iterable[str],
    *,
    brand: str | None = None,
    preferred_id: int | None = None,
    near: tuple[float, float] | None = None,
) -> Workshop | None:
    """The preferred workshop if it qualifies, else the nearest qualified, else None."""
    needed = tuple(required_skills)
    qualified = [w for w in workshops if qualifies(w, needed, brand)]
    preferred = next((w for w in qualified if w.id == preferred_id), None)
    if preferred is not None or not qualified:
        return preferred
    if near is None:
        return qualified[0]
    located = [w for w in qualified if w.latitude is not None and w.longitude is not None]
    if not located:
        return qualified[0]
    return min(located, key=lambda w: distance_km(near, (w.latitude or 0.0, w.longitude or 0.0)))


def candidate_slots(
    workshop: Workshop, earliest: float, latest: float, length_s: float = SLOT_S
) -> Iterator[tuple[float, float]]:
    """Slots [start, end) of ``length_s`` on the hour, inside opening hours, from ``earliest``
    (rounded up to the hour) while they start before ``latest``."""
    try:
        zone = ZoneInfo(workshop.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    hours = {day: (opens, closes) for day, opens, closes in workshop.hours}
    start = math.ceil(earliest / SLOT_S) * SLOT_S
    while start < latest:
        local = datetime.fromtimestamp(start, zone)
        window = hours.get(local.weekday())
        if window is not None:
            hour = local.hour + local.minute / 60
            if window[0] <= hour and hour + length_s / 3600 <= window[1]:
                yield start, start + length_s
        start += SLOT_S


def book_first_free(
    store: JobStore,
    job: Job,
    workshop: Workshop,
    window: tuple[float, float],
    *,
    now: float,
    length_s: float = SLOT_S,
) -> Job | None:
    """Book ``job`` into the first slot in ``window`` with a free bay; None if there is none."""
    earliest, latest = window
    taken: dict[float, int] = {}
    for reservation in store.reservations(workshop.id, earliest - SLOT_S, latest + length_s):
        taken[reservation.slot_start] = taken.get(reservation.slot_start, 0) + 1
    for start, end in candidate_slots(workshop, earliest, latest, length_s):
        if taken.get(start, 0) >= workshop.bays:
            continue
        booked = store.book(job.id, workshop.id, start, end, now)
        if booked is not None:
            return booked
    return None


def open_and_book(
    store: JobStore, draft: JobDraft, *, urgency_s: float | None, now: float
) -> tuple[Job, bool, Workshop | None]:
    """Open the job for a firing rule and, when new, book it into the owner's preferred (or the
    first qualified) workshop's first free slot within ``urgency_s`` (default a week).

    Returns (job, created, workshop). A job with no free slot in its window stays unbooked
    (workshop set, no slot) for a person to place.
    """
    vehicle = store.vehicle(draft.vin)
    owner = None
    if vehicle is not None and vehicle.owner_id is not None:
        owner = next((o for o in store.owners() if o.id == vehicle.owner_id), None)
    workshop = choose_workshop(
        store.workshops(),
        draft.required_skills,
        preferred_id=owner.preferred_workshop_id if owner else None,
    )
    job, created = store.open_job(draft, workshop.id if workshop else None, now)
    if created and workshop is not None:
        window = (now, now + (urgency_s if urgency_s is not None else DEFAULT_URGENCY_S))
        job = book_first_free(store, job, workshop, window, now=now) or job
    return job, created, workshop
