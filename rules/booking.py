"""Booking decisions, pure functions of values.

Skeleton: the first workshop with every required skill. Later: location, capacity and the
rule's urgency window.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.jobs import Workshop


def choose_workshop(
    workshops: Iterable[Workshop], required_skills: Iterable[str]
) -> Workshop | None:
    """The first workshop having all ``required_skills``, else None."""
    needed = set(required_skills)
    return next((w for w in workshops if needed.issubset(w.skills)), None)
