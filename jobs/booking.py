"""Booking: which workshop, which slot (pure, ``jobs.ranking`` and ``jobs.calendar``), and
trying slots until one is free (I/O).

- ``qualifies``: every required skill, the brand served, and a high-voltage certification for
  a job that needs high-voltage work.
- ``choose_workshop``: the owner's preferred workshop if it qualifies, else the nearest
  qualified one (the plain rule; ``plan_offer`` is what books).
- ``plan_offer``: the qualified workshops (not those that declined the job) with a free slot of
  the job's labour time inside its urgency window, ranked by score, comebacks, distance and
  wait (``jobs.ranking``, weights from ``BookingPolicy``).
- ``book_job``: books the best offer; the store (the database) refuses a double booking, so two
  workers booking at once both end up correct: the loser plans again.
- ``open_and_book``: a firing's job, opened (as a comeback when the same rule's job on the same
  car was closed "fixed" lately) and booked. Opening and booking are two commits: a job whose
  booking did not happen (a crash between them, or no free slot) is booked again when its rule
  fires again and by ``book_unbooked``, which the rules worker runs when it starts and
  periodically, so no open job stays without a slot unnoticed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from jobs import calendar, ranking
from jobs.calendar import candidate_slots
from jobs.model import SLOT_S, Job, JobDraft, JobStatus, Outcome, Reservation, Vehicle, Workshop
from jobs.network import BookingPolicy, Offer
from jobs.store import JobStore

__all__ = ["candidate_slots"]

EARTH_RADIUS_KM = 6371.0
DEFAULT_URGENCY_S = 7 * 86400.0
HIGH_VOLTAGE = "high-voltage"
_BOOK_TRIES = 5


def qualifies(workshop: Workshop, required_skills: Iterable[str], brand: str | None) -> bool:
    needed = set(required_skills)
    if HIGH_VOLTAGE in needed and not workshop.hv_certified:
        return False
    if not (needed - {HIGH_VOLTAGE}).issubset(workshop.skills):
        return False
    return brand is None or not workshop.brands or brand in workshop.brands


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _distance(workshop: Workshop, near: tuple[float, float] | None) -> float | None:
    if near is None or workshop.latitude is None or workshop.longitude is None:
        return None
    return distance_km(near, (workshop.latitude, workshop.longitude))


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
    located = [w for w in qualified if _distance(w, near) is not None]
    if not located:
        return qualified[0]
    return min(located, key=lambda w: _distance(w, near) or 0.0)


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
    for start, end in _free(store, workshop, (earliest, latest), length_s, job.id, limit=50):
        booked = store.book(job.id, workshop.id, start, end, now)
        if booked is not None:
            return booked
    return None


def _free(  # noqa: PLR0917 - a calendar question's parts
    store: JobStore,
    workshop: Workshop,
    window: tuple[float, float],
    length_s: float,
    job_id: int | None,
    limit: int = 1,
) -> list[tuple[float, float]]:
    earliest, latest = window
    since, until = _span(window, length_s)
    taken = calendar.taken_bays(store.reservations(workshop.id, since, until), ignore_job=job_id)
    return calendar.free_slots(workshop, taken, earliest, latest, length_s, limit)


def _span(window: tuple[float, float], length_s: float) -> tuple[float, float]:
    """The reservations that matter to slots starting in ``window``."""
    return window[0] - calendar.MAX_SLOT_HOURS * SLOT_S, window[1] + length_s


def _first_free_everywhere(
    store: JobStore,
    workshops: Iterable[Workshop],
    window: tuple[float, float],
    length_s: float,
    job_id: int | None,
) -> dict[int, tuple[float, float] | None]:
    """Each workshop's first free slot in ``window``, from one read of the reservations."""
    held: dict[int, list[Reservation]] = {}
    for r in store.reservations(None, *_span(window, length_s)):
        held.setdefault(r.workshop_id, []).append(r)
    first: dict[int, tuple[float, float] | None] = {}
    for w in workshops:
        taken = calendar.taken_bays(held.get(w.id, ()), ignore_job=job_id)
        found = calendar.free_slots(w, taken, window[0], window[1], length_s, 1)
        first[w.id] = found[0] if found else None
    return first


def plan_offer(
    store: JobStore,
    job: Job,
    policy: BookingPolicy,
    now: float,
    *,
    exclude: Iterable[int] = (),
) -> Offer | None:
    """The best workshop with a free slot for ``job`` before its ``due_at`` (or the policy's
    default urgency), leaving out ``exclude``; None when no qualified workshop has one."""
    vehicle = store.vehicle(job.vin) or Vehicle(job.vin, None)
    owner = next((o for o in store.owners() if o.id == vehicle.owner_id), None)
    skipped = set(exclude)
    skills = tuple(str(s) for s in job.diagnosis.get("skills", ()) if isinstance(s, str))
    length = calendar.slot_length_s(job.diagnosis)
    latest = (
        job.due_at
        if job.due_at is not None and job.due_at > now
        else now + policy.default_urgency_s
    )
    qualified = [
        w for w in store.workshops() if w.id not in skipped and qualifies(w, skills, vehicle.brand)
    ]
    first = _first_free_everywhere(store, qualified, (now, latest), length, job.id)
    candidates = [ranking.Candidate(w, _distance(w, vehicle.home), first[w.id]) for w in qualified]
    by_id = ranking.standings(store.workshop_records(), policy.prior_weight)
    preferred = owner.preferred_workshop_id if owner else None
    offers = ranking.rank(candidates, by_id, policy, now, preferred_id=preferred)
    return offers[0] if offers else None


def book_job(
    store: JobStore, job: Job, policy: BookingPolicy, now: float, *, exclude: Iterable[int] = ()
) -> Job | None:
    """Book ``job`` into the best offer (see ``plan_offer``); None if there is none."""
    skipped = set(exclude) | store.declined_by(job.id)
    for _ in range(_BOOK_TRIES):
        offer = plan_offer(store, job, policy, now, exclude=skipped)
        if offer is None:
            return None
        booked = store.book(
            job.id, offer.workshop_id, offer.slot_start, offer.slot_end, now, offer.reason
        )
        if booked is not None:
            return booked
    return None


def comeback_of(store: JobStore, draft: JobDraft, now: float, within_s: float) -> int | None:
    """The job of the same rule on the same car closed "fixed" within ``within_s`` before
    ``now``: this firing is its fault back again."""
    fixed = [
        job
        for job in store.list_jobs(vin=draft.vin, status=JobStatus.COMPLETED)
        if job.rule_id == draft.rule_id
        and job.outcome is Outcome.FIXED
        and now - (job.completed_at or job.updated_at) <= within_s
    ]
    return max(fixed, key=lambda j: (j.completed_at or j.updated_at, j.id)).id if fixed else None


def open_and_book(
    store: JobStore,
    draft: JobDraft,
    *,
    urgency_s: float | None,
    now: float,
    policy: BookingPolicy | None = None,
) -> tuple[Job, bool, Workshop | None]:
    """Open the job for a firing rule (or find the open one) and, when it has no slot, book it
    into the best qualified workshop's first free slot within ``urgency_s`` (default: the
    policy's, a week).

    Returns (job, created, workshop). A job with no free slot in its window stays unbooked
    for ``book_unbooked`` (and a person) to place.
    """
    rules = policy or BookingPolicy()
    due = now + (urgency_s if urgency_s is not None else rules.default_urgency_s)
    back = comeback_of(store, draft, now, rules.comeback_s)
    planned = plan_offer(store, _unsaved(draft, due, now), rules, now)
    where = planned.workshop_id if planned else None
    job, created = store.open_job(draft, where, now, due_at=due, comeback_of=back)
    # A crash here leaves an open job without a slot: the next firing of its rule, or the
    # worker's sweep (``book_unbooked``), books it.
    if created and planned is not None:
        slot = (planned.slot_start, planned.slot_end)
        job = store.book(job.id, planned.workshop_id, *slot, now, planned.reason) or job
    if job.slot_start is None:
        job = book_job(store, replace(job, due_at=job.due_at or due), rules, now) or job
    workshop = next((w for w in store.workshops() if w.id == job.workshop_id), None)
    return job, created, workshop


def _unsaved(draft: JobDraft, due: float, now: float) -> Job:
    """The job a draft will be, to plan its booking before it is opened."""
    return Job(
        id=0,
        vin=draft.vin,
        rule_id=draft.rule_id,
        title=draft.title,
        severity=draft.severity,
        status=JobStatus.PROPOSED,
        workshop_id=None,
        fired_at=draft.fired_at,
        created_at=now,
        updated_at=now,
        diagnosis={"skills": list(draft.required_skills), **draft.diagnosis},
        evidence=draft.evidence,
        due_at=due,
    )


def book_unbooked(store: JobStore, policy: BookingPolicy, now: float) -> list[Job]:
    """Book every open job that has no slot (its opening process died before booking it, no
    slot was free then, or every workshop near declined it); the jobs booked now."""
    booked = []
    for job in store.unbooked_jobs():
        done = book_job(store, job, policy, now)
        if done is not None:
            booked.append(done)
    return booked
