from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pitstop.codec import Sample
from rules.engine import AlertState, EngineState, Transition, evaluate
from rules.loader import DEFAULT_CATALOG, load_catalog, parse_catalog
from rules.model import Rule

V = "Vehicle.LowVoltageBattery.CurrentVoltage"
A = "Vehicle.LowVoltageBattery.CurrentCurrent"
VIN = "PITSTOPDEMO000003"
T0 = 1_700_000_000.0
NOW = T0 + 10_000

CATALOG = f"""
- id: lv-battery-low
  title: 12 V battery voltage low
  kind: threshold
  signal: {V}
  below: 11.8
  for: 20s
  clear: 12.2
  clear_for: 30s
  severity: warning
  evidence: {{before: 10s, signals: [{A}]}}
  diagnosis: {{summary: weak battery, skills: [electrical]}}
"""
RULES: tuple[Rule, ...] = parse_catalog(CATALOG)


def series(values: list[float], start: float = T0, step: float = 1.0) -> list[Sample]:
    return [Sample(V, start + i * step, v) for i, v in enumerate(values)]


def run(
    samples: list[Sample], state: EngineState | None = None, vin: str = VIN
) -> list[Transition]:
    return evaluate(RULES, state or EngineState(), samples, vin, NOW)


def path(transitions: list[Transition]) -> list[tuple[str, float]]:
    return [(t.to_state.value, t.at - T0) for t in transitions]


def test_fires_only_once_held_for_the_duration() -> None:
    transitions = run(series([12.6] * 5 + [11.5] * 30))
    assert path(transitions) == [("pending", 5), ("firing", 25)]
    firing = transitions[1]
    assert (firing.from_state, firing.since - T0, firing.value) == (AlertState.PENDING, 5, 11.5)


def test_does_not_fire_when_the_condition_breaks_before_the_duration() -> None:
    transitions = run(series([11.5] * 19 + [12.0] + [11.5] * 19))
    assert path(transitions) == [("pending", 0), ("inactive", 19), ("pending", 20)]


def test_a_value_exactly_at_the_level_is_not_a_breach() -> None:
    assert run(series([11.8] * 60)) == []


def test_hysteresis_and_clear_for() -> None:
    state = EngineState()
    values = [11.5] * 21  # fires at 20
    values += [12.0] * 40  # above the level but below clear: stays firing
    values += [12.3] * 20 + [12.1] + [12.3] * 31  # a dip restarts the quiet period
    transitions = run(series(values), state)
    assert path(transitions) == [("pending", 0), ("firing", 20), ("resolved", 112)]
    assert transitions[-1].since - T0 == 82
    assert state.alert_state(VIN, "lv-battery-low") is AlertState.RESOLVED
    again = run(series([11.0] * 21, start=T0 + 200), state)
    assert path(again) == [("pending", 200), ("firing", 220)]


def test_evidence_window_spans_before_pending_up_to_firing() -> None:
    samples = series([12.6] * 20 + [11.5] * 30)
    samples += [Sample(A, T0 + i + 0.5, -float(i)) for i in range(50)]
    firing = next(t for t in run(samples) if t.to_state is AlertState.FIRING)
    assert firing.since - T0 == 20
    assert firing.at - T0 == 40
    voltage = firing.evidence[V]
    assert [ts - T0 for ts, _ in voltage] == [float(t) for t in range(10, 41)]  # 10 s before
    current = firing.evidence[A]
    assert [ts - T0 for ts, _ in current] == [t + 0.5 for t in range(10, 40)]
    assert current[0][1] == -10.0


def test_the_window_is_bounded_in_time_and_count() -> None:
    state = EngineState(window_cap=50)
    run(series([12.6] * 1000), state)
    window = state.windows[(VIN, V)]
    assert len(window) <= 31  # horizon: before 10 s + for 20 s
    state = EngineState(window_cap=50)
    run(series([12.6] * 1000, step=0.001), state)
    assert len(state.windows[(VIN, V)]) == 50


def test_order_within_a_batch_does_not_matter() -> None:
    samples = series([12.6] * 5 + [11.5] * 30 + [12.5] * 40)
    shuffled = samples[:]
    random.Random(7).shuffle(shuffled)
    assert path(run(shuffled)) == path(run(samples))


def test_a_late_batch_does_not_move_the_alert_but_joins_the_evidence() -> None:
    state = EngineState()
    # Batch 2 arrives first: 11.5 V from 10 s to 19 s.
    assert path(run(series([11.5] * 10, start=T0 + 10), state)) == [("pending", 10)]
    # Batch 1 arrives late: healthy readings from 0 s to 9 s must not reset the pending alert.
    assert run(series([12.6] * 10, start=T0), state) == []
    assert state.late_samples == 10
    transitions = run(series([11.5] * 15, start=T0 + 20), state)
    assert path(transitions) == [("firing", 30)]
    evidence = transitions[0].evidence[V]
    assert [ts - T0 for ts, _ in evidence][:3] == [0.0, 1.0, 2.0]  # the late samples are there


def test_samples_far_in_the_future_are_ignored() -> None:
    state = EngineState()
    assert run(series([11.0] * 30, start=NOW + 3600), state) == []
    assert state.future_samples == 30


def test_vehicles_are_independent() -> None:
    state = EngineState()
    vins = [f"PITSTOPDEMO{i:06d}" for i in range(50)]
    fired: list[str] = []
    for second in range(0, 40, 5):  # batches of 5 s, interleaved across vehicles
        for i, vin in enumerate(vins):
            value = 11.0 if i % 2 else 12.6  # odd vehicles are faulty
            samples = series([value] * 5, start=T0 + second)
            for t in evaluate(RULES, state, samples, vin, NOW):
                if t.to_state is AlertState.FIRING:
                    fired.append(t.vin)
                    assert all(v < 11.8 for _, v in t.evidence[V])
    assert sorted(fired) == vins[1::2]


def test_other_signals_and_rules_are_left_alone() -> None:
    rules = load_catalog(DEFAULT_CATALOG)
    samples = [Sample("Vehicle.Speed", T0 + i, 0.0) for i in range(100)]
    samples += [
        Sample("Vehicle.Powertrain.ElectricMotor.CoolantTemperature", T0 + i, 110.0)
        for i in range(31)
    ]
    transitions = evaluate(rules, EngineState(), samples, VIN, NOW)
    assert {t.rule.id for t in transitions} == {"coolant-temperature-high"}
    assert path(transitions) == [("pending", 0), ("firing", 30)]


def test_zero_for_fires_on_the_first_breach() -> None:
    rules = parse_catalog(CATALOG.replace("for: 20s", "for: 0s"))
    transitions = evaluate(rules, EngineState(), series([12.6, 11.0]), VIN, NOW)
    assert path(transitions) == [("pending", 1), ("firing", 1)]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=11.8, max_value=16.0, allow_nan=False), min_size=1, max_size=200
    ),
    steps=st.lists(st.floats(min_value=0.0, max_value=120.0), min_size=1, max_size=200),
    batch=st.integers(min_value=1, max_value=50),
)
def test_a_signal_that_never_crosses_never_fires(
    values: list[float], steps: list[float], batch: int
) -> None:
    state = EngineState()
    ts = T0
    samples = []
    for i, value in enumerate(values):
        ts += steps[i % len(steps)]
        samples.append(Sample(V, ts, value))
    for start in range(0, len(samples), batch):
        assert evaluate(RULES, state, samples[start : start + batch], VIN, NOW) == []
