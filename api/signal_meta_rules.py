"""The levels a rule draws on its evidence chart: where it fires, and where it clears.

A threshold rule's level is a line on the signal itself; its ``clear`` level (hysteresis) a
second one. A window statistic's level is drawn too, labelled with the statistic (the line is
the level the mean, minimum ... crossed, not the raw samples). A rate or a trend has no level on
the raw signal's own scale (a slope, a forecast), so it draws none rather than a misleading one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.conditions import Combination, Direction, Limit, Threshold, WindowStat
from rules.model import Rule


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line: ``value`` on ``signal``'s axis; ``kind`` is "fire" or "clear"."""

    signal: str
    value: float
    label: str
    kind: str


def rule_levels(rules: Sequence[Rule], rule_id: str) -> list[Level]:
    """The lines of the rule ``rule_id`` in ``rules``; none if it is not (or no longer) there."""
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None:
        return []
    cond = rule.condition
    parts = cond.parts if isinstance(cond, Combination) else (cond,)
    levels: list[Level] = []
    for part in parts:
        if isinstance(part, Threshold):
            levels += _limit(part.signal, part.limit, "")
        elif isinstance(part, WindowStat):
            levels += _limit(part.signal, part.limit, f"{part.stat.value} ")
    return levels


def _limit(signal: str, limit: Limit, prefix: str) -> list[Level]:
    sign = "<" if limit.direction is Direction.BELOW else ">"
    back = ">" if limit.direction is Direction.BELOW else "<"
    found = [Level(signal, limit.level, f"fires: {prefix}{sign} {limit.level:g}", "fire")]
    if limit.clear_level != limit.level:
        label = f"clears: {prefix}{back} {limit.clear_level:g}"
        found.append(Level(signal, limit.clear_level, label, "clear"))
    return found
