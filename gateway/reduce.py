"""Data reduction under a collection plan: a pure function of (plan, samples, budget level).

Two stages. The decoder skips a frame none of whose signals is due (``Decoder.apply_plan``
hands it each signal's interval), so a 100 Hz message feeding a 10 s signal is decoded ten times
a minute, not six thousand. ``Reducer.keep_into`` then applies each signal's own rule to what
was decoded: its interval, its deadband (``on_change``: only a change larger than it, or the
``heartbeat``), and the budget level's slow-down by priority. Capture windows
(``gateway.capture``) see every sample first and send their signals at full rate.

Budget levels (``budget_level``): 0 on pace; 1 when the month's use is ahead of the budget's
pace (``low`` signals' intervals x4); 2 at twice the pace or past the budget (``low`` x16,
``normal`` x4). ``high`` signals keep their rate always.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.capture import Captures
from gateway.plan import CollectionPlan, SignalRule
from pitstop.codec import Sample

_SLOWDOWN = {0: (1.0, 1.0, 1.0), 1: (4.0, 1.0, 1.0), 2: (16.0, 4.0, 1.0)}  # by priority 0, 1, 2


@dataclass(slots=True)
class _State:
    rule: SignalRule
    interval: float
    last_ts: float = float("-inf")
    last_value: float = 0.0


class Reducer:
    """Keeps, per canonical signal, what was last sent; drops what the plan does not need."""

    def __init__(self, plan: CollectionPlan) -> None:
        self.plan = plan
        self.level = 0
        self.kept = self.dropped = 0
        self._states = {name: _State(rule, rule.interval) for name, rule in plan.rules.items()}
        self.captures = Captures(plan.captures) if plan.captures else None

    def set_level(self, level: int) -> None:
        """Apply a budget level (0, 1, 2) to every signal's interval."""
        self.level = max(0, min(2, level))
        factors = _SLOWDOWN[self.level]
        for state in self._states.values():
            state.interval = state.rule.interval * factors[state.rule.priority]

    def keep_into(self, samples: list[Sample], out: list[Sample]) -> int:
        """Append the samples of ``samples`` the plan keeps to ``out``; return how many."""
        kept = 0
        states = self._states
        captures = self.captures
        for sample in samples:
            if captures is not None and captures.feed(sample, out):
                kept += 1  # sent by a capture window (its "before" samples too)
                continue
            state = states.get(sample.signal)
            if state is None:
                continue
            ts = sample.ts
            elapsed = ts - state.last_ts
            if 0 <= elapsed < state.interval:
                continue
            deadband = state.rule.on_change
            if (
                deadband is not None
                and 0 <= elapsed < state.rule.heartbeat
                and abs(sample.value - state.last_value) <= deadband
            ):
                continue
            state.last_ts, state.last_value = ts, sample.value
            out.append(sample)
            kept += 1
        self.kept += kept
        self.dropped += len(samples) - kept
        return kept


def budget_level(used_bytes: int, budget_bytes: int | None, now: float) -> int:
    """0, 1 or 2 (see the module docstring) for the month of ``now`` (seconds, UTC)."""
    if budget_bytes is None:
        return 0
    day = datetime.fromtimestamp(now, UTC)
    days = calendar.monthrange(day.year, day.month)[1]
    start = day.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    elapsed = max((now - start) / (days * 86400), 1 / (days * 24))  # at least an hour's share
    pace = used_bytes / (budget_bytes * elapsed)
    if used_bytes >= budget_bytes or pace >= 2:
        return 2
    return 1 if pace > 1 else 0


def month_key(now: float) -> int:
    """``YYYYMM`` of ``now`` (UTC): the budget's accounting period."""
    day = datetime.fromtimestamp(now, UTC)
    return day.year * 100 + day.month
