"""Seed data: the demo workshop, for ``pitstop demo`` and ``rules run --seed-demo-workshops``."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jobs.model import Workshop
from jobs.store import JobStore

log = logging.getLogger(__name__)

#: (name, location, skills) of each workshop the demo starts with.
DEMO_WORKSHOPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Pitstop Demo Garage",
        "Demo City",
        (
            *("electrical", "high-voltage", "brakes", "tyres", "cooling"),
            *("engine", "exhaust", "fuel-system", "heavy-vehicle"),
        ),
    ),
)


def ensure_workshops(
    jobs: JobStore, seed: Sequence[tuple[str, str, tuple[str, ...]]] = DEMO_WORKSHOPS
) -> list[Workshop]:
    """Add the ``seed`` workshops (name, location, skills) if the store has none at all."""
    existing = jobs.workshops()
    if existing:
        return existing
    for name, location, skills in seed:
        log.info("adding workshop %s (%s), skills %s", name, location, ", ".join(skills))
        jobs.add_workshop(name, location, skills)
    return jobs.workshops()


def ensure_demo_workshops(jobs: JobStore) -> list[Workshop]:
    """The demo workshop ("Pitstop Demo Garage") if the store has no workshop at all."""
    return ensure_workshops(jobs, DEMO_WORKSHOPS)
