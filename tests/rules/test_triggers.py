"""The catalogue compiles into triggers the gateway loads: every single-signal threshold (with
its hysteresis and hold) and every trouble-code pattern with a code; the rest is left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.triggers import load_triggers, parse_triggers
from rules.conditions import Direction, DtcPattern, Threshold
from rules.loader import DEFAULT_CATALOG, load_catalog, parse_catalog
from rules.triggers import compile_triggers, skipped

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_catalogue_compiles_into_triggers_the_gateway_loads() -> None:
    rules = load_catalog(DEFAULT_CATALOG)
    plan = parse_triggers(compile_triggers(rules))
    by_rule = {t.rule: t for t in plan.signals}
    thresholds = [r for r in rules if isinstance(r.condition, Threshold)]
    assert thresholds
    for rule in thresholds:
        cond = rule.condition
        assert isinstance(cond, Threshold)
        trigger = by_rule[rule.id]
        assert trigger.signal == cond.signal
        assert trigger.op == ("below" if cond.direction is Direction.BELOW else "above")
        assert (trigger.level, trigger.clear, trigger.hold_s) == (
            cond.level,
            cond.clear_level,
            cond.hold_s,
        )
    codes = {r.id for r in rules if isinstance(r.condition, DtcPattern) and r.condition.code}
    assert codes == {t.rule for t in plan.dtcs}
    left = set(skipped(rules))
    assert left == {r.id for r in rules} - set(by_rule) - codes


def test_a_window_statistic_is_not_a_trigger_a_threshold_is() -> None:
    rules = parse_catalog(
        """
- id: w
  title: w
  kind: window
  signal: Vehicle.Speed
  stat: mean
  window: 60s
  above: 100
  for: 1m
  severity: info
  diagnosis: {summary: w}
- id: t
  title: t
  kind: threshold
  signal: Vehicle.Speed
  above: 200
  for: 5s
  severity: info
  diagnosis: {summary: t}
"""
    )
    doc = compile_triggers(rules, min_gap_s=2.0)
    assert doc == {
        "min_gap": 2.0,
        "triggers": [
            {"rule": "t", "signal": "Vehicle.Speed", "above": 200, "clear": 200, "for": 5.0}
        ],
    }
    assert skipped(rules) == ["w"]


def test_pitstop_rules_triggers_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "triggers.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "rules", "triggers", "-o", str(out), "--min-gap", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    plan = load_triggers(out)
    assert plan.min_gap_s == 3.0
    assert plan == parse_triggers(compile_triggers(load_catalog(DEFAULT_CATALOG), 3.0))
    assert "not checked in the car" in done.stderr
