"""The combustion-car and truck part of the default catalogue: it loads (``pitstop rules
check``), its ids are new, EV and combustion rules read disjoint signals, DM1 lamp rules follow
the lamp bits, and the fuel forecast says when the tank runs dry."""

from __future__ import annotations

import pytest

from cli.main import main
from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from rules.engine import AlertState, EngineState, evaluate, evaluate_dtc
from rules.errors import RuleError
from rules.loader import DEFAULT_CATALOG, load_catalog, parse_catalog
from rules.model import Rule
from sim.canonical import demo_mapping
from sim.combustion import FUEL

VIN = "PITSTOPTRUCK00009"
T0 = 1_767_225_600.0
ENGINE_RULES = {
    "engine-misfire",
    "engine-rough-running",
    "engine-coolant-temperature-high",
    "charging-voltage-low",
    "charging-voltage-high",
    "fuel-trim-lean",
    "fuel-trim-rich",
    "fuel-system-lean-code",
    "fuel-system-rich-code",
    "catalyst-efficiency-low",
    "fuel-level-low-forecast",
    "engine-oil-pressure-low",
    "j1939-amber-warning-lamp",
    "j1939-red-stop-lamp",
}
SHARED = {"Vehicle.Speed"}  # both kinds of vehicle drive


def catalog() -> dict[str, Rule]:
    return {r.id: r for r in load_catalog(DEFAULT_CATALOG)}


def test_pitstop_rules_check_loads_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(DEFAULT_CATALOG)]) == 0
    out = capsys.readouterr().out
    assert all(rule_id in out for rule_id in ENGINE_RULES)


def test_every_new_rule_is_there_once_with_a_diagnosis() -> None:
    rules = catalog()  # the loader rejects a duplicate id
    assert set(rules) >= ENGINE_RULES
    for rule_id in ENGINE_RULES:
        d = rules[rule_id].diagnosis
        assert d.summary, rule_id
        assert d.likely_causes, rule_id
        assert d.checks, rule_id
        assert d.skills, rule_id
        assert rules[rule_id].urgency_s, rule_id


def test_ev_and_combustion_rules_read_different_signals() -> None:
    rules = catalog()
    ev_signals = {canonical for _, canonical, _, _ in demo_mapping()}
    engine = {s for r in ENGINE_RULES for s in rules[r].condition.signals}
    ev = {s for r in set(rules) - ENGINE_RULES for s in rules[r].condition.signals}
    assert engine & ev_signals <= SHARED
    assert engine & ev <= SHARED
    assert ev - SHARED, "the EV rules read EV signals"


def _lamp_report(ts: float, **lamps: bool) -> DtcReport:
    dtc = Dtc("SPN100-FMI1", Protocol.J1939, 0x00, frozenset({DtcStatus.ACTIVE}), spn=100, fmi=1)
    codes = (dtc,) if any(lamps.values()) else ()
    return DtcReport(VIN, ts, codes, source="j1939:0x00", lamps=lamps)


def _states(rules: tuple[Rule, ...], reports: list[DtcReport]) -> dict[str, list[str]]:
    state = EngineState()
    moves: dict[str, list[str]] = {r.id: [] for r in rules}
    for report in reports:
        for t in evaluate_dtc(rules, state, report, report.ts):
            moves[t.rule.id].append(t.to_state.value)
    return moves


def test_the_dm1_lamp_rules_follow_the_lamp_bits() -> None:
    rules = catalog()
    lamps = (rules["j1939-amber-warning-lamp"], rules["j1939-red-stop-lamp"])
    reports = [
        _lamp_report(T0, amber_warning=False),  # the real log's F3FF: amber off, others n/a
        DtcReport(VIN, T0 + 10, ()),  # says nothing about lamps
        _lamp_report(T0 + 20, amber_warning=True, red_stop=False),
        _lamp_report(T0 + 30, amber_warning=True, red_stop=True),
    ]
    moves = _states(lamps, reports)
    assert moves["j1939-amber-warning-lamp"] == ["pending", "firing"]
    assert moves["j1939-red-stop-lamp"] == ["pending", "firing"]
    assert _states(lamps, reports[:2]) == {r.id: [] for r in lamps}


def test_a_lamp_rule_ignores_obd_reports_that_only_know_the_mil() -> None:
    rule = catalog()["j1939-amber-warning-lamp"]
    misfire = Dtc("P0301", Protocol.OBD, 0x7E8, frozenset({DtcStatus.CONFIRMED}))
    report = DtcReport(VIN, T0, (misfire,), lamps={"mil": True})
    assert _states((rule,), [report]) == {rule.id: []}


RULE = """
- id: lamp-only
  title: A lamp
  kind: dtc
  {body}
  severity: warning
  diagnosis: {{summary: s}}
"""


def test_a_dtc_rule_needs_a_code_or_a_lamp() -> None:
    with pytest.raises(RuleError, match=r"rule 'lamp-only': field 'code': give a 'code'"):
        parse_catalog(RULE.format(body="protocol: j1939"), "x.yaml")
    with pytest.raises(RuleError, match=r"rule 'lamp-only': field 'lamp'"):
        parse_catalog(RULE.format(body="lamp: blue"), "x.yaml")
    (rule,) = parse_catalog(RULE.format(body="lamp: red_stop"), "x.yaml")
    assert rule.condition.describe().startswith("DTC * (red_stop lamp on")


def test_the_fuel_forecast_fires_on_a_tank_running_dry_not_on_a_full_one() -> None:
    rule = catalog()["fuel-level-low-forecast"]
    state = EngineState()
    # 2 % an hour (a leak, or a long trip without filling up) from 40 %: 8 % in 16 h
    samples = [Sample(FUEL, T0 + m * 60.0, 40.0 - 2.0 * m / 60.0) for m in range(0, 18 * 60)]
    fired = [
        t
        for t in evaluate((rule,), state, samples, VIN, samples[-1].ts)
        if t.to_state is AlertState.FIRING
    ]
    assert fired, "never forecast the empty tank"
    assert fired[0].at - T0 < 16 * 3600 - 6 * 3600  # at least 6 hours ahead
    assert "Fuel level reaches 8 %" in fired[0].details["forecast"]["text"]
    steady = [Sample(FUEL, T0 + m * 60.0, 60.0) for m in range(0, 18 * 60)]
    assert evaluate((rule,), EngineState(), steady, VIN, steady[-1].ts) == []
