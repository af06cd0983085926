"""Load and validate a rule catalogue (YAML, a list of rules); see rules/catalog/default.yaml.

Every problem raises ``RuleError`` naming the file, the rule and the field::

    default.yaml: rule 'lv-battery-low': field 'for': '20x' is not a duration

Unknown fields are errors. Nothing is evaluated: a rule is data over a closed vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from rules.errors import RuleError
from rules.model import (
    Diagnosis,
    Direction,
    EvidenceSpec,
    Part,
    Rule,
    Severity,
    Threshold,
)

DEFAULT_CATALOG = Path(__file__).resolve().parent / "catalog" / "default.yaml"

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_KINDS = ("threshold",)


def parse_duration(value: object) -> float:
    """Seconds from ``20s``, ``5m``, ``1.5h``, ``3d`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 2h, 3d)")
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{value!r} is not a duration of zero or more seconds")
    return seconds


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]
Name = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class _PartIn(_Strict):
    name: Name
    quantity: Annotated[int, Field(ge=1)] = 1


class _DiagnosisIn(_Strict):
    summary: Name
    likely_causes: list[Name] = []
    checks: list[Name] = []
    parts: list[_PartIn] = []
    labour_hours: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    skills: list[Name] = []


class _EvidenceIn(_Strict):
    before: Duration = 0.0
    after: Duration = 0.0
    signals: list[Name] = []


class _ThresholdIn(_Strict):
    id: str
    title: Name
    kind: Literal["threshold"]
    signal: Name
    below: Annotated[float | None, Field(allow_inf_nan=False)] = None
    above: Annotated[float | None, Field(allow_inf_nan=False)] = None
    for_: Annotated[Duration, Field(alias="for")] = 0.0
    clear: Annotated[float | None, Field(allow_inf_nan=False)] = None
    clear_for: Duration = 0.0
    severity: Severity
    urgency: Duration | None = None
    evidence: _EvidenceIn = _EvidenceIn()
    diagnosis: _DiagnosisIn


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
    if kind not in _KINDS:
        raise RuleError(f"{where}: field 'kind': {kind!r} is not one of {', '.join(_KINDS)}")
    try:
        parsed = _ThresholdIn.model_validate(dict(raw))
    except ValidationError as err:
        raise RuleError(f"{where}: {_describe(err)}") from err
    try:
        return _threshold_rule(parsed)
    except _FieldError as err:
        raise RuleError(f"{where}: field {err.field!r}: {err.problem}") from err


class _FieldError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _threshold_rule(raw: _ThresholdIn) -> Rule:
    if raw.below is not None and raw.above is None:
        direction, level = Direction.BELOW, raw.below
    elif raw.above is not None and raw.below is None:
        direction, level = Direction.ABOVE, raw.above
    else:
        raise _FieldError("below", "give exactly one of 'below' and 'above'")
    clear = level if raw.clear is None else raw.clear
    if (direction is Direction.BELOW and clear < level) or (
        direction is Direction.ABOVE and clear > level
    ):
        side = "at or above 'below'" if direction is Direction.BELOW else "at or below 'above'"
        raise _FieldError("clear", f"{clear:g} must be {side} ({level:g})")
    if raw.evidence.after > 0:
        raise _FieldError("evidence.after", "only 0s is supported so far")
    return Rule(
        id=raw.id,
        title=raw.title,
        kind=raw.kind,
        condition=Threshold(
            signal=raw.signal,
            direction=direction,
            level=level,
            hold_s=raw.for_,
            clear_level=clear,
            clear_hold_s=raw.clear_for,
        ),
        severity=raw.severity,
        urgency_s=raw.urgency,
        evidence=EvidenceSpec(
            before_s=raw.evidence.before,
            after_s=raw.evidence.after,
            signals=tuple(raw.evidence.signals),
        ),
        diagnosis=_diagnosis(raw.diagnosis),
    )


def _diagnosis(raw: _DiagnosisIn) -> Diagnosis:
    return Diagnosis(
        summary=raw.summary,
        likely_causes=tuple(raw.likely_causes),
        checks=tuple(raw.checks),
        parts=tuple(Part(name=p.name, quantity=p.quantity) for p in raw.parts),
        labour_hours=raw.labour_hours,
        skills=tuple(raw.skills),
    )


def _describe(err: ValidationError) -> str:
    """The first problem pydantic found, as ``field 'evidence.before': <problem>``."""
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    loc = "for" if loc == "for_" else loc
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "missing"
    elif "input" in first and first["type"] != "value_error":
        message = f"{first['input']!r}: {message}"
    return f"field {loc!r}: {message}"
