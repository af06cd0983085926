"""Which signal a rule watches, towards which level: what "near the limit" means for it.

A threshold, a window statistic (mean, min, max) and a trend watch their signal; a
combination watches its last part (the catalogue puts the enabling conditions, "engine
running", first and the fault last). Rates, standard deviations, trouble codes, maintenance
and silence have no level a single reading can approach.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.conditions import Combination, Direction, Stat, Threshold, Trend, WindowStat, past
from rules.model import Rule

NEAR_FRACTION = 0.05
"""Without a clear level, a reading within 5 % of the limit counts as near it."""


@dataclass(frozen=True, slots=True)
class Watch:
    rule_id: str
    signal: str
    direction: Direction
    level: float
    clear_level: float | None
    what: str = ""  # the trend's own name for the quantity, e.g. "12 V rest voltage"
    unit: str = ""
    filtered: bool = False  # a trend over readings taken in one state only (e.g. parked)

    def past(self, value: float) -> bool:
        return past(self.direction, self.level, value)

    def near(self, value: float) -> bool:
        """Not past the limit but past the clear level on the way to it (without a clear
        level: within 5 % of the limit)."""
        if self.past(value):
            return False
        band = self.clear_level
        if band is None or band == self.level:
            span = abs(self.level) * NEAR_FRACTION
            band = self.level + span if self.direction is Direction.BELOW else self.level - span
        return value < band if self.direction is Direction.BELOW else value > band

    def towards(self, first: float, last: float) -> bool:
        """Whether going from ``first`` to ``last`` moves towards the limit."""
        return last < first if self.direction is Direction.BELOW else last > first


def watches(rule: Rule) -> tuple[Watch, ...]:
    cond = rule.condition
    part = cond.parts[-1] if isinstance(cond, Combination) and cond.parts else cond
    if isinstance(part, Threshold):
        return (Watch(rule.id, part.signal, part.direction, part.level, part.clear_level),)
    if isinstance(part, WindowStat) and part.stat is not Stat.STDDEV:
        limit = part.limit
        return (Watch(rule.id, part.signal, limit.direction, limit.level, limit.clear_level),)
    if isinstance(part, Trend):
        signal = part.series.signal
        filtered = part.series.when is not None
        return (
            Watch(
                rule.id, signal, part.direction, part.level, None, part.what, part.unit, filtered
            ),
        )
    return ()
