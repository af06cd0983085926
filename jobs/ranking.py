"""Which workshop gets a job, as pure functions of values: each workshop's standing (a score
that does not swing on a handful of ratings, and its comeback rate), then the qualified
workshops with a free slot ranked by a weighted cost, with the reason kept in the job.

**Score** (1-5): a Bayesian average of the workshop's overall marks towards the network's mean,
``(k * network_mean + sum of marks) / (k + ratings)`` with ``k = BookingPolicy.prior_weight``
(default 5): a new workshop starts at the network mean, and one 1-star rating out of one moves
a workshop with k = 5 by only a sixth of the distance. With no rating anywhere the mean is 4.

**Comeback rate**: the share of its jobs closed "fixed" whose fault came back (the same rule on
the same car within ``BookingPolicy.comeback_days``), smoothed the same way towards the
network's rate (``(k * network_rate + comebacks) / (k + fixed)``).

**Cost** (lower wins), each term about 0..5 for a usual case::

    score_weight    * (5 - score)
  + comeback_weight * comeback_rate * 10
  + distance_weight * km / 10
  + wait_weight     * days until its first free slot
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from jobs.model import Workshop
from jobs.network import BookingPolicy, Offer, WorkshopRecord

NEUTRAL_SCORE = 4.0  # the network's mean before anyone has rated anything


@dataclass(frozen=True, slots=True)
class Standing:
    workshop_id: int
    score: float  # Bayesian average, 1-5
    ratings: int
    comeback_rate: float  # smoothed, 0-1
    fixed: int
    comebacks: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A qualified workshop, how far it is from the car, and its first free slot (if any)."""

    workshop: Workshop
    distance_km: float | None
    first_free: tuple[float, float] | None


def standings(records: Iterable[WorkshopRecord], prior_weight: float) -> dict[int, Standing]:
    """Each workshop's standing, by id (see the module's doc for the formulas)."""
    found = list(records)
    rated = sum(r.ratings for r in found)
    mean = sum(r.overall_sum for r in found) / rated if rated else NEUTRAL_SCORE
    fixed = sum(r.fixed for r in found)
    rate = sum(r.comebacks for r in found) / fixed if fixed else 0.0
    k = max(prior_weight, 0.0)
    out: dict[int, Standing] = {}
    for r in found:
        score = (k * mean + r.overall_sum) / (k + r.ratings) if k + r.ratings else mean
        back = (k * rate + r.comebacks) / (k + r.fixed) if k + r.fixed else rate
        out[r.workshop_id] = Standing(r.workshop_id, score, r.ratings, back, r.fixed, r.comebacks)
    return out


def cost(
    candidate: Candidate, standing: Standing | None, policy: BookingPolicy, now: float
) -> dict[str, float]:
    """The cost's terms and total for one candidate with a free slot."""
    score = standing.score if standing else NEUTRAL_SCORE
    back = standing.comeback_rate if standing else 0.0
    km = candidate.distance_km or 0.0
    start = candidate.first_free[0] if candidate.first_free else now
    wait_days = max(start - now, 0.0) / 86400.0
    terms = {
        "score": policy.score_weight * (5.0 - score),
        "comebacks": policy.comeback_weight * back * 10.0,
        "distance": policy.distance_weight * km / 10.0,
        "wait": policy.wait_weight * wait_days,
    }
    terms["total"] = sum(terms.values())
    return terms


def rank(
    candidates: Iterable[Candidate],
    ranked_by: Mapping[int, Standing],
    policy: BookingPolicy,
    now: float,
    *,
    preferred_id: int | None = None,
) -> list[Offer]:
    """The candidates with a free slot, best first, each as an offer with its reason. The
    owner's preferred workshop comes first when it qualifies and has a slot."""
    scored: list[tuple[tuple[int, float, int], Offer]] = []
    usable = [c for c in candidates if c.first_free is not None]
    for candidate in usable:
        shop = candidate.workshop
        standing = ranked_by.get(shop.id)
        terms = cost(candidate, standing, policy, now)
        preferred = shop.id == preferred_id
        reason: dict[str, object] = {
            "workshop": shop.name,
            "kind": shop.kind,
            "preferred": preferred,
            "score": round(standing.score, 3) if standing else NEUTRAL_SCORE,
            "ratings": standing.ratings if standing else 0,
            "comeback_rate": round(standing.comeback_rate, 3) if standing else 0.0,
            "distance_km": None
            if candidate.distance_km is None
            else round(candidate.distance_km, 1),
            "cost": {k: round(v, 3) for k, v in terms.items()},
            "candidates": len(usable),
        }
        start, end = candidate.first_free or (now, now)
        scored.append(
            ((0 if preferred else 1, terms["total"], shop.id), Offer(shop.id, start, end, reason))
        )
    scored.sort(key=lambda pair: pair[0])
    return [
        replace(
            offer, reason={**offer.reason, "rank": place, "summary": _summary(offer.reason, place)}
        )
        for place, (_, offer) in enumerate(scored, start=1)
    ]


def _summary(reason: Mapping[str, object], place: int) -> str:
    if reason["preferred"]:
        return f"{reason['workshop']}: the owner's preferred workshop"
    km = reason["distance_km"]
    where = f", {km} km away" if km is not None else ""
    return (
        f"{reason['workshop']} ({reason['kind']}): best of {reason['candidates']} with a free "
        f"slot (score {reason['score']}, comeback rate {reason['comeback_rate']}{where})"
        if place == 1
        else f"{reason['workshop']}: choice {place} of {reason['candidates']}"
    )
