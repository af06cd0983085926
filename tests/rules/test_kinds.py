"""The rule kinds beyond a threshold: loading (with named errors) and what the engine does."""

from __future__ import annotations

import pytest

from jobs.model import Severity
from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from rules.engine import (
    AlertState,
    EngineState,
    Transition,
    evaluate,
    evaluate_dtc,
    mark_serviced,
    tick,
)
from rules.errors import RuleError
from rules.loader import parse_catalog
from rules.model import Rule

VIN = "PITSTOPDEMO000003"
T0 = 1_700_000_000.0
DAY = 86400.0
V = "Vehicle.LowVoltageBattery.CurrentVoltage"
DCDC = "Vehicle.Powertrain.DCDC.State"
P = "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"
HI = "Vehicle.Powertrain.TractionBattery.CellVoltage.Max"
LO = "Vehicle.Powertrain.TractionBattery.CellVoltage.Min"
ODO = "Vehicle.TraveledDistance"
DIAG = "diagnosis: {summary: s, skills: [electrical]}"


def rule(body: str) -> tuple[Rule, ...]:
    return parse_catalog(f"- id: r\n  title: t\n  severity: warning\n  {DIAG}\n{body}", "t.yaml")


def fired(transitions: list[Transition]) -> list[Transition]:
    return [t for t in transitions if t.to_state is AlertState.FIRING]


def test_window_stat_over_a_difference_of_two_signals() -> None:
    rules = rule(
        "  kind: window\n  signal: {difference: [" + HI + ", " + LO + "]}\n"
        "  stat: mean\n  window: 60s\n  above: 0.05\n  for: 30s\n"
    )
    assert rules[0].derived[0].name == f"{HI} - {LO}"
    state = EngineState()
    samples = []
    for i in range(200):
        spread = 0.03 if i < 100 else 0.09
        samples += [Sample(HI, T0 + i, 4.0 + spread), Sample(LO, T0 + i, 4.0)]
    transitions = evaluate(rules, state, samples, VIN, T0 + 1000)
    (firing,) = fired(transitions)
    # the mean of the 61 samples in 60 s passes 0.05 once 21 are at 0.09: at i = 120; + 30 s
    assert firing.at - T0 == pytest.approx(150)
    assert firing.evidence[f"{HI} - {LO}"]


def test_rate_of_change_on_parked_samples_only() -> None:
    rules = rule(
        f"  kind: rate\n  signal: {P}\n  when: {{signal: {DCDC}, equals: 0}}\n"
        "  per: 1h\n  window: 6h\n  resolution: 30m\n  min_span: 2h\n  below: -1\n  clear: -0.2\n"
    )
    state = EngineState()
    samples = []
    for i in range(0, 12 * 3600, 60):
        driving = (i // 1800) % 2 == 1  # every other half hour the car drives: tyres warm
        pressure = 240.0 - max(0, i - 3 * 3600) / 3600 * 2.0 + (8.0 if driving else 0.0)
        samples += [Sample(DCDC, T0 + i, 1.0 if driving else 0.0), Sample(P, T0 + i, pressure)]
    transitions = evaluate(rules, state, samples, VIN, T0 + DAY)
    (firing,) = fired(transitions)
    assert firing.value < -1.0  # kPa per hour
    assert 3 * 3600 < firing.at - T0 < 9 * 3600  # not before the loss began


def test_trend_forecast_says_when_and_only_within_the_horizon() -> None:
    rules = rule(
        f"  kind: trend\n  signal: {V}\n  below: 11.8\n  horizon: 7d\n  window: 3d\n"
        "  resolution: 1h\n  min_span: 12h\n  what: 12 V rest voltage\n  unit: ' V'\n"
    )
    state = EngineState()
    # 12.6 V falling 0.05 V a day: 11.8 is 16 days away at first, 7 days away at day 9
    samples = [Sample(V, T0 + i, 12.6 - 0.05 * i / DAY) for i in range(0, int(12 * DAY), 300)]
    transitions = evaluate(rules, state, samples, VIN, T0 + 20 * DAY)
    (firing,) = fired(transitions)
    assert (firing.at - T0) / DAY == pytest.approx(9.0, abs=0.1)
    forecast = firing.details["forecast"]
    assert forecast["text"] == "12 V rest voltage reaches 11.8 V in about 7 days"
    assert forecast["crossing_at"] == pytest.approx(T0 + 16 * DAY, rel=1e-4)


def test_dtc_pattern_counts_occurrences_and_clears() -> None:
    rules = rule(
        "  kind: dtc\n  code: P0A7*\n  status: [pending, confirmed]\n  protocol: uds\n"
        "  repeat: 2\n  clear_for: 1h\n"
    )
    state = EngineState()

    def report(ts: float, *codes: tuple[str, str]) -> DtcReport:
        return DtcReport(
            VIN,
            T0 + ts,
            tuple(
                Dtc(c, Protocol.UDS, 0x7E2, frozenset({DtcStatus(s)}), description="inverter")
                for c, s in codes
            ),
        )

    now = T0 + DAY
    assert not evaluate_dtc(rules, state, report(0, ("P0A78", "pending")), now)  # once
    assert not evaluate_dtc(rules, state, report(60, ("P0A78", "pending")), now)  # the same one
    assert not evaluate_dtc(rules, state, report(120), now)  # gone
    assert not evaluate_dtc(rules, state, report(130, ("P0B00", "confirmed")), now)  # other code
    (firing,) = fired(evaluate_dtc(rules, state, report(200, ("P0A78", "confirmed")), now))
    assert firing.details["dtcs"][0]["description"] == "inverter"
    assert firing.details["occurrences"] == 2
    assert not evaluate_dtc(rules, state, report(300), now)  # quiet period begins
    (resolved,) = evaluate_dtc(rules, state, report(300 + 3600), now)
    assert resolved.to_state is AlertState.RESOLVED


def test_maintenance_whichever_first_from_the_last_service() -> None:
    rules = rule("  kind: maintenance\n  every: {km: 1000, time: 30d}\n  ahead: {km: 100}\n")
    state = EngineState()
    # first seen at 5000 km: the interval counts from there; 900 km later it is due (ahead)
    samples = [Sample(ODO, T0 + i * 60, 5000.0 + i) for i in range(1000)]
    (firing,) = fired(evaluate(rules, state, samples, VIN, T0 + DAY))
    assert firing.at - T0 == 900 * 60
    assert firing.details["service"]["km_since"] == 900
    mark_serviced(state, VIN, "r", T0 + DAY, km=6000.0)
    later = [Sample(ODO, T0 + DAY + i * 3600, 6000.0 + i) for i in range(0, 31 * 24, 6)]
    (again,) = fired(evaluate(rules, state, later, VIN, T0 + 40 * DAY))
    assert (again.at - T0 - DAY) / DAY == pytest.approx(30, abs=0.3)  # time came first


def test_no_data_fires_on_the_clock_and_clears_on_data() -> None:
    rules = rule("  kind: no_data\n  after: 1d\n")
    state = EngineState()
    evaluate(rules, state, [Sample(V, T0, 12.5)], VIN, T0)
    assert tick(rules, state, T0 + DAY - 1) == []
    (firing,) = fired(tick(rules, state, T0 + DAY + 1))
    assert firing.value == pytest.approx(DAY + 1)
    assert tick(rules, state, T0 + 2 * DAY) == []  # fires once
    back = evaluate(rules, state, [Sample(V, T0 + 2 * DAY, 12.5)], VIN, T0 + 2 * DAY)
    assert [t.to_state for t in back] == [AlertState.RESOLVED]


def test_all_and_any_combinations() -> None:
    both = (
        "  conditions:\n"
        f"    - {{kind: threshold, signal: {V}, below: 12}}\n"
        f"    - {{kind: threshold, signal: {DCDC}, above: 0.5}}\n"
    )
    samples = [Sample(V, T0 + i, 11.5) for i in range(10)]
    samples += [Sample(DCDC, T0 + i, 1.0 if i >= 5 else 0.0) for i in range(10)]
    all_of = fired(evaluate(rule(f"  kind: all\n{both}"), EngineState(), samples, VIN, T0 + 99))
    any_of = fired(evaluate(rule(f"  kind: any\n{both}"), EngineState(), samples, VIN, T0 + 99))
    assert [t.at - T0 for t in all_of] == [5]
    assert [t.at - T0 for t in any_of] == [0]


def test_escalation_raises_the_severity_once() -> None:
    rules = rule(
        f"  kind: threshold\n  signal: {V}\n  below: 11.8\n  clear: 12.2\n"
        "  escalate: [{below: 11.5, severity: critical}]\n"
    )
    values = [11.7] * 5 + [11.4] * 5 + [11.7] * 5
    samples = [Sample(V, T0 + i, v) for i, v in enumerate(values)]
    transitions = fired(evaluate(rules, EngineState(), samples, VIN, T0 + 99))
    assert [(t.at - T0, t.severity, t.escalated) for t in transitions] == [
        (0, Severity.WARNING, False),
        (5, Severity.CRITICAL, True),
    ]


def test_state_survives_a_json_round_trip() -> None:
    rules = rule(f"  kind: threshold\n  signal: {V}\n  below: 11.8\n  for: 60s\n")
    state = EngineState()
    evaluate(rules, state, [Sample(V, T0 + i, 11.5) for i in range(30)], VIN, T0 + 99)
    saved = state.vehicle_to_json(VIN, 900.0)
    fresh = EngineState()
    fresh.load_vehicle(VIN, saved, rules, 900.0)
    assert fresh.alert_state(VIN, "r") is AlertState.PENDING
    (firing,) = fired(evaluate(rules, fresh, [Sample(V, T0 + 60, 11.5)], VIN, T0 + 99))
    assert firing.since == T0
    assert len(firing.evidence[V]) == 31


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        (f"  kind: window\n  signal: {V}\n  stat: median\n  window: 1m\n  above: 1\n", "stat", ""),
        (f"  kind: window\n  signal: {V}\n  stat: mean\n  above: 1\n", "window", "missing"),
        (
            f"  kind: rate\n  signal: {V}\n  window: 1h\n  resolution: 30m\n  below: 1\n",
            "window",
            "",
        ),
        (f"  kind: trend\n  signal: {V}\n  window: 1d\n  below: 1\n  clear: 2\n", "horizon", ""),
        (
            f"  kind: trend\n  signal: {V}\n  window: 1d\n  horizon: 1d\n  below: 1\n  clear: 2\n",
            "clear",
            "crossing",
        ),
        ("  kind: dtc\n  code: P0A78\n  status: [sometimes]\n", "status.0", ""),
        ("  kind: dtc\n  code: p0a78; rm\n", "code", ""),
        ("  kind: maintenance\n  every: {}\n", "every", "at least one"),
        ("  kind: maintenance\n  every: {km: 1, miles: 2}\n", "every.miles", "unknown field"),
        ("  kind: no_data\n  after: 1d\n  signal: x\n", "signal", "unknown field"),
        (
            f"  kind: all\n  conditions: [{{kind: threshold, signal: {V}, below: 1}}]\n",
            "conditions",
            "",
        ),
        (
            f"  kind: any\n  conditions:\n    - {{kind: threshold, signal: {V}, below: 1}}\n"
            f"    - {{kind: threshold, signal: {V}, blow: 1}}\n",
            "conditions.1.blow",
            "unknown",
        ),
        (
            f"  kind: threshold\n  signal: {V}\n  below: 1\n  escalate: [{{severity: critical}}]\n",
            "escalate.0.below",
            "exactly one",
        ),
        (f"  kind: threshold\n  signal: {{difference: [{V}]}}\n  below: 1\n", "signal", ""),
    ],
)
def test_problems_name_the_rule_and_the_field(body: str, field: str, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        rule(body)
    message = str(caught.value)
    assert message.startswith(f"t.yaml: rule 'r': field '{field}': "), message
    assert problem in message
