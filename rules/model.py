"""Rules as values: what the catalogue loader builds and the engine interprets.

A rule is identified by ``id`` and described by ``title``, ``severity``, ``urgency``, the
``evidence`` it keeps and the ``diagnosis`` the job carries. Its ``condition`` says when it
fires; each kind of rule (``threshold`` today; rate of change, window statistics, trend
forecast, DTC pattern, maintenance interval, no-data later) has its own condition type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Direction(StrEnum):
    BELOW = "below"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Threshold:
    """Fires when ``signal`` is past ``level`` for ``hold_s`` seconds (Prometheus ``for:``).

    It clears when the signal is back past ``clear_level`` (hysteresis: above it for a
    ``below`` rule, below it for an ``above`` rule) for ``clear_hold_s`` seconds.
    """

    signal: str
    direction: Direction
    level: float
    hold_s: float
    clear_level: float
    clear_hold_s: float

    def breached(self, value: float) -> bool:
        if self.direction is Direction.BELOW:
            return value < self.level
        return value > self.level

    def cleared(self, value: float) -> bool:
        if self.direction is Direction.BELOW:
            return value > self.clear_level
        return value < self.clear_level

    def describe(self) -> str:
        """The condition in a few characters, e.g. ``< 11.8``."""
        return f"{'<' if self.direction is Direction.BELOW else '>'} {self.level:g}"

    @property
    def signals(self) -> tuple[str, ...]:
        return (self.signal,)


Condition = Threshold  # later: Threshold | RateOfChange | WindowStat | Trend | DtcPattern | ...


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class Diagnosis:
    summary: str
    likely_causes: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    labour_hours: float = 0.0
    skills: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "summary": self.summary,
            "likely_causes": list(self.likely_causes),
            "checks": list(self.checks),
            "parts": [{"name": p.name, "quantity": p.quantity} for p in self.parts],
            "labour_hours": self.labour_hours,
            "skills": list(self.skills),
        }


@dataclass(frozen=True, slots=True)
class EvidenceSpec:
    """Which samples a job keeps: ``before_s`` before the condition began, up to firing."""

    before_s: float = 0.0
    after_s: float = 0.0
    signals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    kind: str
    condition: Condition
    severity: Severity
    urgency_s: float | None
    evidence: EvidenceSpec
    diagnosis: Diagnosis

    @property
    def signals(self) -> tuple[str, ...]:
        """The condition's signals, then the extra evidence signals, without repeats."""
        return tuple(dict.fromkeys((*self.condition.signals, *self.evidence.signals)))
