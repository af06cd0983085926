"""Condition-triggered capture windows: a pure function of (rules, samples).

A plan's ``captures`` (see ``gateway.plan``) name a condition on one signal and the signals to
send at full rate from ``before`` seconds before the condition became true to ``after`` seconds
after. A ring buffer per capture keeps the last ``before`` seconds of its signals (at most
``RING_SAMPLES``). When the condition turns true (an edge: it must turn false before it can
trigger again, and a window never overlaps the previous one), the ring goes out, then every
sample of the listed signals until the window closes; the samples travel as telemetry (stored
and acknowledged like any other), and the closed window is announced by a ``capture`` event:

    {"name": "overheat", "trigger": {"signal": ..., "op": ">", "value": 105},
     "trigger_ts": <ms>, "start": <ms>, "end": <ms>, "signals": [...], "samples": 1234}
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pitstop.codec import Sample

RING_SAMPLES = 100_000
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class CaptureRule:
    name: str
    signal: str  # the condition's signal
    op: str  # a key of OPERATORS
    value: float
    before: float
    after: float
    signals: tuple[str, ...]  # sent at full rate inside the window


@dataclass(slots=True)
class _Window:
    rule: CaptureRule
    ring: deque[Sample] = field(default_factory=lambda: deque(maxlen=RING_SAMPLES))
    holds: bool = False
    until: float | None = None  # an open window's end
    start: float = 0.0
    trigger: float = 0.0
    sent: int = 0


class Captures:
    """Feed every decoded sample; read ``events`` for the windows that closed."""

    def __init__(self, rules: tuple[CaptureRule, ...]) -> None:
        self._windows = [_Window(rule) for rule in rules]
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.watched = frozenset(name for rule in rules for name in (rule.signal, *rule.signals))

    def feed(self, sample: Sample, out: list[Sample]) -> bool:
        """Take one sample; True if a capture window sent it (to ``out``)."""
        if sample.signal not in self.watched:
            return False
        sent = False
        for window in self._windows:
            rule = window.rule
            if window.until is not None and sample.ts > window.until:
                self._close(window)
            if sample.signal == rule.signal:
                holds = OPERATORS[rule.op](sample.value, rule.value)
                if holds and not window.holds and window.until is None:
                    self._open(window, sample.ts, out)
                window.holds = holds
            if sample.signal not in rule.signals:
                continue
            if window.until is not None:
                out.append(sample)
                window.sent += 1
                sent = True
            else:
                window.ring.append(sample)
                while window.ring and window.ring[0].ts < sample.ts - rule.before:
                    window.ring.popleft()
        return sent

    def _open(self, window: _Window, ts: float, out: list[Sample]) -> None:
        window.trigger = ts
        window.until = ts + window.rule.after
        kept = [s for s in window.ring if s.ts >= ts - window.rule.before]
        window.start = kept[0].ts if kept else ts
        out.extend(kept)
        window.sent = len(kept)
        window.ring.clear()

    def _close(self, window: _Window) -> None:
        rule = window.rule
        end = window.until if window.until is not None else window.trigger
        self.events.append(
            (
                "capture",
                {
                    "name": rule.name,
                    "trigger": {"signal": rule.signal, "op": rule.op, "value": rule.value},
                    "trigger_ts": round(window.trigger * 1000),
                    "start": round(window.start * 1000),
                    "end": round(end * 1000),
                    "signals": list(rule.signals),
                    "samples": window.sent,
                },
            )
        )
        window.until = None
