"""Load and validate a rule catalogue (YAML, a list of rules); see rules/catalog/default.yaml.

Every problem raises ``RuleError`` naming the file, the rule and the field::

    default.yaml: rule 'lv-battery-low': field 'for': '20x' is not a duration

Unknown fields are errors. Nothing is evaluated: a rule is data over a closed vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError

from jobs.model import Severity
from rules.conditions import Direction, format_duration
from rules.errors import RuleError
from rules.kinds import (
    CONDITION_MODELS,
    KINDS,
    Duration,
    FieldProblemError,
    Name,
    Number,
    Strict,
    condition,
    parse_duration,
)
from rules.model import (
    Diagnosis,
    Difference,
    Escalation,
    EvidenceSpec,
    Part,
    Rule,
    Symptoms,
)

__all__ = [
    "DEFAULT_CATALOG",
    "format_duration",
    "load_catalog",
    "load_catalogs",
    "parse_catalog",
    "parse_duration",
]

DEFAULT_CATALOG = Path(__file__).resolve().parent / "catalog" / "default.yaml"

_RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_COMMON = frozenset({"id", "title", "severity", "urgency", "evidence", "diagnosis", "escalate"})


_Strict = Strict


class _PartIn(_Strict):
    name: Name
    quantity: Annotated[int, Field(ge=1)] = 1


class _SymptomsIn(_Strict):
    """Owner phrases per language; the languages are a closed set (unknown ones are errors)."""

    en: list[Name] = []
    zh: list[Name] = []


class _DiagnosisIn(_Strict):
    summary: Name
    likely_causes: list[Name] = []
    checks: list[Name] = []
    parts: list[_PartIn] = []
    labour_hours: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    skills: list[Name] = []
    symptoms: _SymptomsIn = _SymptomsIn()


class _EvidenceIn(_Strict):
    before: Duration = 0.0
    after: Duration = 0.0
    signals: list[Name] = []


class _EscalateIn(_Strict):
    below: Number | None = None
    above: Number | None = None
    severity: Severity


class _RuleIn(_Strict):
    id: str
    title: Name
    severity: Severity
    urgency: Duration | None = None
    evidence: _EvidenceIn = _EvidenceIn()
    diagnosis: _DiagnosisIn
    escalate: list[_EscalateIn] = []


def load_catalog(path: str | Path) -> tuple[Rule, ...]:
    """Read a catalogue file; raise ``RuleError`` naming file, rule and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RuleError(f"{path}: cannot read: {err.strerror or err}") from err
    return parse_catalog(text, path.name)


def load_catalogs(paths: Sequence[str | Path]) -> tuple[Rule, ...]:
    """Several catalogue files as one; a rule id may appear only once across them."""
    rules: list[Rule] = []
    for path in paths:
        rules.extend(load_catalog(path))
        _check_unique(rules, Path(path).name)
    return tuple(rules)


def parse_catalog(text: str, source: str = "<catalog>") -> tuple[Rule, ...]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RuleError(f"{source}: not valid YAML: {err}") from err
    if doc is None:
        return ()
    if not isinstance(doc, list):
        raise RuleError(f"{source}: expected a list of rules, got {type(doc).__name__}")
    rules = tuple(_parse_rule(raw, index, source) for index, raw in enumerate(doc, start=1))
    _check_unique(rules, source)
    return rules


def _check_unique(rules: Sequence[Rule], source: str) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{source}: rule {rule.id!r}: field 'id': duplicate rule id")
        seen.add(rule.id)


def _parse_rule(raw: object, index: int, source: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleError(f"{source}: rule #{index}: expected a mapping, got {type(raw).__name__}")
    rule_id = raw.get("id")
    where = (
        f"{source}: rule {rule_id!r}" if isinstance(rule_id, str) else f"{source}: rule #{index}"
    )
    if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
        problem = "missing" if rule_id is None else f"{rule_id!r} is not a rule id"
        raise RuleError(f"{where}: field 'id': {problem} (lower-case letters, digits, '-')")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise RuleError(f"{where}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}")
    common = {k: v for k, v in raw.items() if k in _COMMON}
    specific = {k: v for k, v in raw.items() if k not in _COMMON}
    try:
        parsed = _RuleIn.model_validate(common)
        cond_in: Any = CONDITION_MODELS[kind].model_validate(specific)
    except ValidationError as err:
        raise RuleError(f"{where}: {_describe(err)}") from err
    try:
        return _rule(parsed, kind, cond_in)
    except FieldProblemError as err:
        raise RuleError(f"{where}: field {err.field!r}: {err.problem}") from err


def _rule(raw: _RuleIn, kind: str, cond_in: Any) -> Rule:
    derived: list[Difference] = []
    cond = condition(cond_in, derived)
    return Rule(
        id=raw.id,
        title=raw.title,
        kind=kind,
        condition=cond,
        severity=raw.severity,
        urgency_s=raw.urgency,
        evidence=EvidenceSpec(
            before_s=raw.evidence.before,
            after_s=raw.evidence.after,
            signals=tuple(raw.evidence.signals),
        ),
        diagnosis=_diagnosis(raw.diagnosis),
        escalate=tuple(_escalation(e, i) for i, e in enumerate(raw.escalate)),
        derived=tuple(dict.fromkeys(derived)),
    )


def _escalation(raw: _EscalateIn, index: int) -> Escalation:
    if (raw.below is None) == (raw.above is None):
        raise FieldProblemError(
            f"escalate.{index}.below", "give exactly one of 'below' and 'above'"
        )
    if raw.below is not None:
        return Escalation(Direction.BELOW, raw.below, raw.severity)
    assert raw.above is not None
    return Escalation(Direction.ABOVE, raw.above, raw.severity)


def _diagnosis(raw: _DiagnosisIn) -> Diagnosis:
    return Diagnosis(
        summary=raw.summary,
        likely_causes=tuple(raw.likely_causes),
        checks=tuple(raw.checks),
        parts=tuple(Part(name=p.name, quantity=p.quantity) for p in raw.parts),
        labour_hours=raw.labour_hours,
        skills=tuple(raw.skills),
        symptoms=Symptoms(en=tuple(raw.symptoms.en), zh=tuple(raw.symptoms.zh)),
    )


_UNION_TAGS = frozenset({"str", "float", "int", "DifferenceIn", "WhenIn"})


def _location(parts: Sequence[int | str]) -> str:
    """``conditions.0.below`` from pydantic's location, without union and discriminator tags."""
    names: list[str] = []
    for i, part in enumerate(parts):
        text = str(part)
        after_index = i > 0 and isinstance(parts[i - 1], int)
        if text in _UNION_TAGS or not re.fullmatch(r"[a-z0-9_]+", text):
            continue
        if after_index and text in KINDS and i + 1 < len(parts):
            continue
        names.append("for" if text == "for_" else text)
    return ".".join(names)


def _describe(err: ValidationError) -> str:
    """The first problem pydantic found, as ``field 'evidence.before': <problem>``."""
    first = err.errors()[0]
    loc = _location(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "missing"
    elif "input" in first and first["type"] != "value_error":
        message = f"{first['input']!r}: {message}"
    return f"field {loc!r}: {message}"
