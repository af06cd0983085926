"""Compile a rule catalogue into the car's triggers (the document ``gateway.triggers`` reads).

The car flushes a batch at once when a kept sample meets a trigger, so that a fault does not
wait for the batch interval before the cloud can see it. What compiles, and how:

- a ``threshold`` on one signal: ``below``/``above`` its level, ``clear`` its clear level
  (hysteresis), ``for`` its hold, so the car's flush lands on the sample that completes the
  hold, the one the engine fires on;
- an ``any`` combination: each of its threshold parts, with the combination's hold;
- a ``dtc`` pattern with a code: the code glob (a lamp-only pattern has no code to match).

Everything else (window statistics, rates, trends, ``all`` combinations, maintenance, no data,
derived series) needs history the car does not keep and is left out: the usual batches still
carry its data. The output is plain data (no gateway import: the car never imports the cloud,
nor the cloud the car) and is deterministic, so its hash names the catalogue it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rules.conditions import Combination, Direction, DtcPattern, Threshold
from rules.model import Rule

DEFAULT_MIN_GAP_S = 5.0


def compile_triggers(rules: Iterable[Rule], min_gap_s: float = DEFAULT_MIN_GAP_S) -> dict[str, Any]:
    """The triggers document for ``rules``: ``{"min_gap": s, "triggers": [...]}``."""
    triggers: list[dict[str, Any]] = []
    for rule in rules:
        triggers.extend(_compile(rule))
    unique = {repr(sorted(t.items())): t for t in triggers}
    return {"min_gap": min_gap_s, "triggers": list(unique.values())}


def skipped(rules: Iterable[Rule]) -> list[str]:
    """The ids of the rules that compile to no trigger (their data comes in the usual batches)."""
    return [rule.id for rule in rules if not _compile(rule)]


def _compile(rule: Rule) -> list[dict[str, Any]]:
    cond = rule.condition
    if isinstance(cond, Threshold):
        return _threshold(rule.id, cond, cond.hold_s)
    if isinstance(cond, Combination) and cond.mode == "any":
        parts = [p for p in cond.parts if isinstance(p, Threshold)]
        if len(parts) == len(cond.parts):
            return [t for p in parts for t in _threshold(rule.id, p, cond.hold_s)]
        return []
    if isinstance(cond, DtcPattern) and cond.code is not None:
        return [{"rule": rule.id, "dtc": cond.code}]
    return []


def _threshold(rule_id: str, cond: Threshold, hold_s: float) -> list[dict[str, Any]]:
    if " - " in cond.signal:  # a derived difference: the car has no such signal
        return []
    side = "below" if cond.direction is Direction.BELOW else "above"
    return [
        {
            "rule": rule_id,
            "signal": cond.signal,
            side: cond.level,
            "clear": cond.clear_level,
            "for": hold_s,
        }
    ]
