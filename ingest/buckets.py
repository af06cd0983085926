"""How a downsampling request maps onto stored levels (pure).

The bucket width is the span divided by the points asked for, rounded up to a whole multiple of
the coarsest stored level that is at most twice that width, so a rollup is read whenever it
gives at least half the points asked for, and its buckets are never cut in two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ingest.errors import StoreError


@dataclass(frozen=True, slots=True)
class Plan:
    level: str  # "raw", "1m" or "1h"
    origin_ms: int  # start of the first bucket
    end_ms: int  # exclusive
    width_ms: int


def plan(start: float, end: float, max_points: int, levels: tuple[tuple[str, int], ...]) -> Plan:
    """The plan for ``start <= ts < end`` (seconds) in at most ``max_points`` buckets.

    ``levels`` are (name, resolution in ms), finest first, without "raw".
    """
    if not (math.isfinite(start) and math.isfinite(end)):
        raise StoreError("downsampling needs a finite start and end")
    if max_points < 1:
        raise StoreError(f"max_points must be at least 1, got {max_points}")
    start_ms, end_ms = math.ceil(start * 1000), math.ceil(end * 1000)
    span = max(end_ms - start_ms, 1)
    level, resolution = "raw", 1
    for name, width in levels:
        if width <= 2 * span / max_points:
            level, resolution = name, width
    origin = start_ms - start_ms % resolution
    needed = math.ceil((end_ms - origin) / max_points)
    width_ms = max(resolution, math.ceil(needed / resolution) * resolution)
    return Plan(level, origin, end_ms, width_ms)
