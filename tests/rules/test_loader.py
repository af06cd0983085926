from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jobs.model import Severity
from rules.conditions import Direction, Threshold
from rules.errors import RuleError
from rules.loader import DEFAULT_CATALOG, load_catalog, load_catalogs, parse_catalog, parse_duration

GOOD = """
- id: lv-battery-low
  title: 12 V battery voltage low
  kind: threshold
  signal: Vehicle.LowVoltageBattery.CurrentVoltage
  below: 11.8
  for: 20s
  clear: 12.2
  clear_for: 30s
  severity: warning
  urgency: 3d
  evidence: {before: 120s, after: 0s, signals: [Vehicle.LowVoltageBattery.CurrentCurrent]}
  diagnosis:
    summary: The 12 V battery no longer holds charge.
    likely_causes: [old battery]
    checks: [load test]
    parts: [{name: 12 V AGM battery, quantity: 1}]
    labour_hours: 0.5
    skills: [electrical]
"""


def _with(**changes: str | None) -> str:
    """GOOD with some fields replaced (by the YAML given) or removed (None)."""
    rule = yaml.safe_load(GOOD)[0]
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = yaml.safe_load(value)
    return yaml.safe_dump([rule], sort_keys=False)


def test_default_catalog_loads() -> None:
    rules = load_catalog(DEFAULT_CATALOG)
    ids = [r.id for r in rules]
    assert "lv-battery-low" in ids
    assert len(ids) == len(set(ids))
    assert all(r.diagnosis.summary and r.diagnosis.skills for r in rules)


def test_a_good_rule_parses_into_values() -> None:
    (rule,) = parse_catalog(GOOD, "x.yaml")
    cond = rule.condition
    assert isinstance(cond, Threshold)
    assert (cond.direction, cond.level, cond.hold_s) == (Direction.BELOW, 11.8, 20.0)
    assert (cond.clear_level, cond.clear_hold_s) == (12.2, 30.0)
    assert rule.severity is Severity.WARNING
    assert rule.urgency_s == 3 * 86400
    assert rule.evidence.before_s == 120
    assert rule.signals == (
        "Vehicle.LowVoltageBattery.CurrentVoltage",
        "Vehicle.LowVoltageBattery.CurrentCurrent",
    )
    assert rule.diagnosis.parts[0].name == "12 V AGM battery"


def test_clear_defaults_to_the_level() -> None:
    (rule,) = parse_catalog(_with(clear=None, clear_for=None), "x.yaml")
    assert isinstance(rule.condition, Threshold)
    assert rule.condition.clear_level == 11.8
    assert rule.condition.clear_hold_s == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20s", 20.0),
        ("5m", 300.0),
        ("1.5h", 5400.0),
        ("3d", 259200.0),
        (7, 7.0),
        (0, 0.0),
    ],
)
def test_durations(text: object, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["20x", "-3s", "s", "", True, "20 sec", None])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"for": "20x"}, "for", "'20x' is not a duration"),
        ({"clear_for": "soon"}, "clear_for", "'soon' is not a duration"),
        ({"urgency": "3w"}, "urgency", "'3w' is not a duration"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"below": "low"}, "below", "'low'"),
        ({"below": None}, "below", "exactly one of 'below' and 'above'"),
        ({"above": "13"}, "below", "exactly one of 'below' and 'above'"),
        ({"clear": "11.0"}, "clear", "must be at or above 'below'"),
        ({"severity": "urgent"}, "severity", "'urgent'"),
        ({"severity": None}, "severity", "missing"),
        ({"title": None}, "title", "missing"),
        ({"signal": "''"}, "signal", "at least 1 character"),
        ({"kind": "gauge"}, "kind", "'gauge' is not one of threshold, window, rate"),
        ({"diagnosis": None}, "diagnosis", "missing"),
        ({"diagnosis": "{summary: x, cost: 3}"}, "diagnosis.cost", "unknown field"),
        (
            {"diagnosis": "{summary: x, parts: [{name: y, nom: y}]}"},
            "diagnosis.parts.0.nom",
            "unknown",
        ),
        ({"diagnosis": "{summary: x, labour_hours: -1}"}, "diagnosis.labour_hours", "-1"),
        (
            {"diagnosis": "{summary: x, symptoms: {fr: [bruit]}}"},
            "diagnosis.symptoms.fr",
            "unknown field",
        ),
        (
            {"diagnosis": "{summary: x, symptoms: {en: ['']}}"},
            "diagnosis.symptoms.en.0",
            "at least 1 character",
        ),
        ({"evidence": "{before: 2x}"}, "evidence.before", "'2x' is not a duration"),
        ({"evidence": "{after: -5}"}, "evidence.after", "zero or more seconds"),
        ({"evidence": "{signals: x, extra: 1}"}, "evidence.signals", "valid list"),
    ],
)
def test_every_problem_names_file_rule_and_field(
    changes: dict[str, str | None], field: str, problem: str
) -> None:
    with pytest.raises(RuleError) as caught:
        parse_catalog(_with(**changes), "default.yaml")
    message = str(caught.value)
    assert message.startswith(f"default.yaml: rule 'lv-battery-low': field '{field}': "), message
    assert problem in message


def test_the_exact_message_for_a_bad_duration() -> None:
    with pytest.raises(RuleError) as caught:
        parse_catalog(_with(**{"for": "20x"}), "default.yaml")
    assert str(caught.value).startswith(
        "default.yaml: rule 'lv-battery-low': field 'for': '20x' is not a duration"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: 1", "expected a list of rules"),
        ("- 3", "rule #1: expected a mapping"),
        ("- {title: x}", "rule #1: field 'id': missing"),
        ("- {id: Bad_Id}", "rule 'Bad_Id': field 'id': 'Bad_Id' is not a rule id"),
        ("[unclosed", "not valid YAML"),
    ],
)
def test_catalog_level_problems(text: str, problem: str) -> None:
    with pytest.raises(RuleError, match=r"^default\.yaml: ") as caught:
        parse_catalog(text, "default.yaml")
    assert problem in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rule 'lv-battery-low': field 'id': duplicate"):
        parse_catalog(GOOD + GOOD.replace("\n- id", "\n- id", 1), "x.yaml")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD)
    second.write_text(GOOD)
    with pytest.raises(RuleError, match=r"^b\.yaml: rule 'lv-battery-low': field 'id'"):
        load_catalogs([first, second])


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"nope\.yaml: cannot read"):
        load_catalog(tmp_path / "nope.yaml")


def test_an_empty_file_is_an_empty_catalog(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert load_catalog(tmp_path / "empty.yaml") == ()


def test_symptoms_are_read_per_language_and_every_catalogue_rule_has_both() -> None:
    rule = parse_catalog(
        _with(diagnosis="{summary: x, symptoms: {en: [slow start], zh: [启动慢]}}")
    )[0]
    assert rule.diagnosis.symptoms.of("en") == ("slow start",)
    assert rule.diagnosis.symptoms.of("zh") == ("启动慢",)
    assert rule.diagnosis.symptoms.of("fr") == ()
    assert "symptoms" not in rule.diagnosis.to_json()  # a job's diagnosis stays as it was
    shipped = load_catalog(DEFAULT_CATALOG)
    assert all(r.diagnosis.symptoms.en and r.diagnosis.symptoms.zh for r in shipped)
