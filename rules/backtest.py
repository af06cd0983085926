"""Backtesting: the same engine over stored history, to see when a rule would have fired.

History is read through ``ingest.store`` (``query(vin, signal, start, end, limit)``), one page
at a time per signal (the next page starts at the last timestamp seen), merged into timestamp
order and fed to ``rules.engine.evaluate`` in chunks; ``tick`` runs at each chunk's end so
no-data rules see the gaps. DTC-pattern rules need stored DTC reports and are not replayed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pitstop.codec import Sample
from rules.conditions import DtcPattern, bucket_specs
from rules.engine import AlertState, EngineState, Transition, evaluate, tick
from rules.errors import RuleError
from rules.model import Rule

PAGE = 10_000
CHUNK = 2_000


class _Points(Protocol):
    @property
    def ts(self) -> float: ...

    @property
    def value(self) -> float: ...


class History(Protocol):
    def query(
        self, vin: str, signal: str, start: float, end: float, limit: int = 10_000
    ) -> Sequence[_Points]: ...


@dataclass
class Backtest:
    rule: Rule
    vin: str
    start: float
    end: float
    samples: int = 0
    transitions: list[Transition] = field(default_factory=list)

    @property
    def firings(self) -> list[Transition]:
        return [t for t in self.transitions if t.to_state is AlertState.FIRING]

    def firing_seconds(self) -> float:
        """How long the alert was firing in total (up to ``end`` if it still fires)."""
        total, began = 0.0, None
        for t in self.transitions:
            if t.to_state is AlertState.FIRING and began is None:
                began = t.at
            elif t.to_state is AlertState.RESOLVED and began is not None:
                total += t.at - began
                began = None
        return total + (self.end - began if began is not None else 0.0)


def find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    known = ", ".join(r.id for r in rules)
    raise RuleError(f"there is no rule {rule_id!r} in the catalogue (known: {known})")


def input_signals(rule: Rule) -> list[str]:
    """The stored signals the rule reads: its own, evidence, derived inputs, filters."""
    names = set(rule.signals)
    for diff in rule.derived:
        names.discard(diff.name)
        names.update((diff.minuend, diff.subtrahend))
    for spec in bucket_specs(rule.condition):
        names.add(spec.signal)
        if spec.when is not None:
            names.add(spec.when.signal)
    return sorted(names)


def backtest(
    rule: Rule, history: History, vin: str, start: float, end: float, *, page: int = PAGE
) -> Backtest:
    if isinstance(rule.condition, DtcPattern):
        raise RuleError(f"rule {rule.id!r} matches trouble codes; backtests replay telemetry only")
    result = Backtest(rule, vin, start, end)
    rules = (rule,)
    state = EngineState()
    streams = [_signal(history, vin, s, start, end, size=page) for s in input_signals(rule)]
    chunk: list[Sample] = []
    for sample in heapq.merge(*streams, key=lambda s: s.ts):
        chunk.append(sample)
        if len(chunk) >= CHUNK:
            _feed(result, rules, state, chunk)
            chunk = []
    if chunk:
        _feed(result, rules, state, chunk)
    result.transitions.extend(tick(rules, state, end))
    return result


def _feed(
    result: Backtest, rules: tuple[Rule, ...], state: EngineState, chunk: list[Sample]
) -> None:
    last = chunk[-1].ts
    result.samples += len(chunk)
    result.transitions.extend(tick(rules, state, chunk[0].ts))
    result.transitions.extend(evaluate(rules, state, chunk, result.vin, last))


def _signal(
    history: History, vin: str, signal: str, start: float, end: float, *, size: int
) -> Iterator[Sample]:
    """One signal's samples in ``[start, end)``, page by page."""
    cursor, seen = start, float("-inf")
    while True:
        page = history.query(vin, signal, cursor, end, size)
        fresh = [p for p in page if p.ts > seen]
        for point in fresh:
            yield Sample(signal, point.ts, point.value)
        if len(page) < size or not fresh:
            return
        seen = cursor = fresh[-1].ts
