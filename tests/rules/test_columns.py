"""The engine's column path (issue 16): a batch evaluated column by column, with the rules it
cannot move found from the columns' extremes (rules/quiet.py), gives exactly what stepping every
rule at every instant gives; the windows' kept bounds never miss a value; the worker's lean
read of an accepted payload is the codec's own reading."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from bench.fleet_load import HEALTHY, ODOMETER, Encoder, batch, vin_of
from pitstop.codec import Sample, TelemetryBatch, decode_telemetry_columns, encode_telemetry
from rules import engine
from rules.decode import read_batch
from rules.engine import EngineState, Transition, evaluate, evaluate_columns
from rules.loader import DEFAULT_CATALOG, load_catalog
from rules.window import SampleWindow

VIN = "PITSTOPCOLUMN0001"
T0 = 1_767_225_600.0
VOLTAGE = "Vehicle.LowVoltageBattery.CurrentVoltage"
COOLANT = "Vehicle.Powertrain.CombustionEngine.ECT"
TYRE = "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"


def _drive(seconds: int) -> list[Sample]:
    """A car healthy at first whose battery, coolant and one tyre go wrong, then recover:
    every catalogue signal at 1 Hz with some noise, an odometer that moves."""
    rng = random.Random(16)
    out: list[Sample] = []
    for i in range(seconds):
        ts = T0 + i
        fault = max(0.0, min(1.0, (i - seconds / 4) / (seconds / 4)))
        if i > 3 * seconds / 4:
            fault = 0.0
        for name, value in HEALTHY.items():
            v = value * (1.0 + 0.01 * rng.uniform(-1, 1))
            if name == VOLTAGE:
                v -= 3.5 * fault
            elif name == COOLANT:
                v += 40.0 * fault
            elif name == TYRE:
                v -= 90.0 * fault
            out.append(Sample(name, ts, round(v, 3)))
        out.append(Sample(ODOMETER, ts, 12_000.0 + i * 0.01))
    return out


def _key(t: Transition) -> tuple[Any, ...]:
    evidence = {s: tuple(p) for s, p in t.evidence.items()}
    return (t.rule.id, t.from_state, t.to_state, t.at, t.value, t.since, t.severity, evidence)


def _run(samples: list[Sample], batch_s: int) -> tuple[list[tuple[Any, ...]], EngineState]:
    rules = load_catalog(DEFAULT_CATALOG)
    state = EngineState()
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(samples), batch_s * (len(HEALTHY) + 1)):
        chunk = samples[start : start + batch_s * (len(HEALTHY) + 1)]
        now = max(s.ts for s in chunk)
        found += [_key(t) for t in evaluate(rules, state, chunk, VIN, now)]
    return found, state


@pytest.mark.parametrize("batch_s", [1, 10, 60])
def test_batches_by_column_give_what_stepping_every_rule_gives(
    batch_s: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _drive(3600)
    columns, state = _run(samples, batch_s)
    monkeypatch.setattr(engine, "quiet_rules", lambda *_args: {})  # nothing is quiet: step all
    stepped, reference = _run(samples, batch_s)
    assert columns == stepped
    assert sum(1 for k in columns if k[2] == "firing") >= 2  # the faults did fire rules
    assert {k: a.state for k, a in state.alerts.items()} == {
        k: a.state for k, a in reference.alerts.items()
    }


def test_a_column_out_of_order_and_in_the_future_is_handled_like_samples() -> None:
    rules = load_catalog(DEFAULT_CATALOG)
    by_samples, by_columns = EngineState(), EngineState()
    ts = [T0 + 5, T0 + 1, T0 + 3, T0 + 3, T0 + 9_000]  # a repeat, and one far in the future
    values = [11.0, 12.6, 11.2, 11.3, 9.0]
    samples = [Sample(VOLTAGE, t, v) for t, v in zip(ts, values, strict=True)]
    a = evaluate(rules, by_samples, samples, VIN, T0 + 10)
    b = evaluate_columns(rules, by_columns, {VOLTAGE: (ts, values)}, VIN, T0 + 10)
    assert [_key(t) for t in a] == [_key(t) for t in b]
    assert by_columns.future_samples == by_samples.future_samples == 1
    assert by_columns.windows[(VIN, VOLTAGE)].between(0, math.inf) == [
        (T0 + 1, 12.6),
        (T0 + 3, 11.2),
        (T0 + 5, 11.0),
    ]


def test_the_kept_bounds_of_a_window_hold_every_value_they_cover() -> None:
    rng = random.Random(7)
    window = SampleWindow(horizon_s=120.0, max_count=10_000)
    for step in range(2_000):
        t = step * 0.5 + (rng.uniform(-30, 0) if rng.random() < 0.05 else 0.0)  # some late
        if rng.random() < 0.3:
            window.extend([t, t + 0.1, t + 0.2], [rng.gauss(0, 5) for _ in range(3)])
            window.prune()
        else:
            window.add(t, rng.gauss(0, 5))
        since = step * 0.5 - rng.uniform(0, 150)
        bounds = window.extremes(since)
        exact = window.values_between(since, math.inf)
        before = window.latest(since)
        values = exact + ([before] if before is not None else [])
        assert bounds is not None
        assert bounds[0] <= min(values)
        assert bounds[1] >= max(values)
        assert window.extremes(since, exact=True) == (min(values), max(values))


def test_the_workers_read_of_a_payload_is_the_codecs() -> None:
    wanted = frozenset([VOLTAGE, COOLANT])
    samples = (
        Sample(VOLTAGE, T0 + 0.5, 12.5),
        Sample(VOLTAGE, T0 + 0.5, 12.4),  # two in one millisecond: two samples
        Sample(VOLTAGE, T0 + 0.25, 12.6),
        Sample(COOLANT, T0, 90),
        Sample("Vehicle.Other", T0 + 2, 1.0),
        Sample("Vehicle.Other", T0 + 1, 2.0),
    )
    payloads = [
        encode_telemetry(TelemetryBatch(VIN, 3, "p", samples, "inst1")),
        Encoder().payload(vin_of(1), 4, round(T0 * 1000), 10),
        encode_telemetry(batch(vin_of(2), 5, round(T0 * 1000), 1)),
    ]
    for payload in payloads:
        read = read_batch(payload, wanted)
        codec = decode_telemetry_columns(payload)
        assert read.seq == codec.seq
        assert read.profile == codec.profile
        assert read.count == codec.sample_count
        for name, series in codec.series.items():
            times, values = read.columns[name]
            if name in wanted:
                assert times == [ms / 1000 for ms in series.ts_ms]
                assert values == series.values
            else:
                newest = max(series.ts_ms)
                assert times == [newest / 1000]
                assert values == [series.values[series.ts_ms.index(newest)]]
        assert read.newest == max(max(s.ts_ms) for s in codec.series.values()) / 1000
