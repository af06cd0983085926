"""Rules as values: what the catalogue loader builds and the engine interprets.

A rule is identified by ``id`` and described by ``title``, ``severity``, ``urgency``, the
``evidence`` it keeps and the ``diagnosis`` the job carries. Its ``condition`` (one of the
types in rules/conditions.py) says when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.model import Severity
from rules.conditions import Condition, Direction


@dataclass(frozen=True, slots=True)
class Escalation:
    """Once firing, the value past ``level`` raises the severity to ``severity``."""

    direction: Direction
    level: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class Difference:
    """A derived series ``minuend - subtrahend``, named ``"A - B"`` (e.g. cell imbalance)."""

    minuend: str
    subtrahend: str

    @property
    def name(self) -> str:
        return f"{self.minuend} - {self.subtrahend}"


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class Symptoms:
    """How an owner might put what this diagnosis feels like, in their own words, per language
    (``en`` English, ``zh`` Chinese): what the owner's assistant (``assist``) matches against."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    def of(self, language: str) -> tuple[str, ...]:
        """The phrases of ``language`` (``"en"`` or ``"zh"``); none for another language."""
        if language == "en":
            return self.en
        if language == "zh":
            return self.zh
        return ()


@dataclass(frozen=True, slots=True)
class Diagnosis:
    summary: str
    likely_causes: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    labour_hours: float = 0.0
    skills: tuple[str, ...] = ()
    symptoms: Symptoms = Symptoms()  # the owner's words; not part of a job's diagnosis

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
    escalate: tuple[Escalation, ...] = ()
    derived: tuple[Difference, ...] = ()

    @property
    def signals(self) -> tuple[str, ...]:
        """The condition's signals, then the extra evidence signals, without repeats."""
        return tuple(dict.fromkeys((*self.condition.signals, *self.evidence.signals)))
