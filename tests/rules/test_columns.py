"""The engine's column path (issue 16): a batch evaluated column by column, with the rules it
cannot move found from the columns' extremes (rules/quiet.py), gives exactly what stepping every
rule at every instant gives; the windows' kept bounds never miss a value; the worker's lean
read of an accepted payload is the codec's own reading."""

from __future__ import annotations

import math
import random
from itertools import groupby
from typing import Any

import pytest

from bench.fleet_load import HEALTHY, ODOMETER, Encoder, batch, vin_of
from pitstop.codec import Sample, TelemetryBatch, decode_telemetry_columns, encode_telemetry
from rules import batch as engine_batch
from rules.decode import read_batch
from rules.engine import EngineState, Transition, evaluate, evaluate_columns
from rules.intake import index_of
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


def _parked(instants: int, period_s: float = 5.0) -> list[Sample]:
    """A car parked for hours (DC/DC off: the bucket filter passes) with a slow puncture, its
    HV cells drifting apart and its 12 V battery sagging, on a dynamometer whose odometer
    runs 10 km an instant (the yearly service comes due); every 7th instant lacks the cell
    minimum and the DC/DC state (a partial batch: derived per instant)."""
    rng = random.Random(61)
    out: list[Sample] = []
    for i in range(instants):
        ts = T0 + i * period_s
        hours = i * period_s / 3600
        for name, value in HEALTHY.items():
            v = value * (1.0 + 0.002 * rng.uniform(-1, 1))
            if name == "Vehicle.Powertrain.DCDC.State":
                v = 0.0
            elif name == TYRE:
                v -= 3.0 * hours
            elif name == "Vehicle.Powertrain.TractionBattery.CellVoltage.Max":
                v = 3.70 + min(0.09, 0.03 * hours) + 0.001 * rng.uniform(-1, 1)
            elif name == VOLTAGE:
                v = 12.7 - 0.02 * hours
            elif i % 7 == 3 and name in (
                "Vehicle.Powertrain.TractionBattery.CellVoltage.Min",
                "Vehicle.Powertrain.DCDC.State",
            ):
                continue
            out.append(Sample(name, ts, round(v, 4)))
        out.append(Sample(ODOMETER, ts, 12_000.0 + 10.0 * i))
    return out


def _key(t: Transition) -> tuple[Any, ...]:
    evidence = {s: tuple(p) for s, p in t.evidence.items()}
    return (t.rule.id, t.from_state, t.to_state, t.at, t.value, t.since, t.severity, evidence)


def _run(samples: list[Sample], instants: int) -> tuple[list[tuple[Any, ...]], EngineState]:
    """The samples through the engine in batches of ``instants`` instants each."""
    rules = load_catalog(DEFAULT_CATALOG)
    state = EngineState()
    found: list[tuple[Any, ...]] = []
    moments = [list(group) for _ts, group in groupby(samples, key=lambda s: s.ts)]
    for start in range(0, len(moments), instants):
        chunk = [s for moment in moments[start : start + instants] for s in moment]
        found += [_key(t) for t in evaluate(rules, state, chunk, VIN, chunk[-1].ts)]
    return found, state


def _reference(
    samples: list[Sample], instants: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[Any, ...]], EngineState]:
    """Every rule stepped at every instant, everything derived per instant."""
    with monkeypatch.context() as patched:
        patched.setattr(engine_batch, "quiet_rules", lambda *_args, **_kw: {})
        patched.setattr(engine_batch, "derive_columns", lambda *_args: None)
        return _run(samples, instants)


def _same(a: EngineState, b: EngineState) -> None:
    assert {k: (x.state, x.since, x.last_ts) for k, x in a.alerts.items()} == {
        k: (x.state, x.since, x.last_ts) for k, x in b.alerts.items()
    }
    assert {k: w.between(0, math.inf) for k, w in a.windows.items()} == {
        k: w.between(0, math.inf) for k, w in b.windows.items()
    }
    assert {k: s.to_json() for k, s in a.buckets.items()} == {
        k: s.to_json() for k, s in b.buckets.items()
    }
    assert a.running_hours == b.running_hours
    assert a.late_samples == b.late_samples


@pytest.mark.parametrize("batch_s", [1, 10, 60])
def test_batches_by_column_give_what_stepping_every_rule_gives(
    batch_s: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _drive(3600)
    columns, state = _run(samples, batch_s)
    stepped, reference = _reference(samples, batch_s, monkeypatch)
    assert columns == stepped
    assert sum(1 for k in columns if k[2] == "firing") >= 2  # the faults did fire rules
    _same(state, reference)


@pytest.mark.parametrize("instants", [1, 2, 12])
def test_buckets_filters_differences_and_intervals_by_column_give_the_same(
    instants: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _parked(6 * 720)  # six hours, one instant every 5 s
    columns, state = _run(samples, instants)
    stepped, reference = _reference(samples, instants, monkeypatch)
    assert columns == stepped
    fired = {k[0] for k in columns if k[2] == "firing"}
    assert {"tyre-pressure-loss-front-left", "hv-cell-imbalance", "yearly-service"} <= fired
    _same(state, reference)


def test_the_workers_read_of_the_payloads_gives_what_stepping_every_rule_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's path: encoded batches read by rules.decode (columns sharing one list of
    times, the series no rule reads as times only) through evaluate_columns."""
    samples = _parked(6 * 720)
    rules = load_catalog(DEFAULT_CATALOG)
    state = EngineState()
    wanted = index_of(state, rules).window_signals
    moments = [list(group) for _ts, group in groupby(samples, key=lambda s: s.ts)]
    found: list[tuple[Any, ...]] = []
    for seq, start in enumerate(range(0, len(moments), 2)):
        chunk = [s for moment in moments[start : start + 2] for s in moment]
        chunk.append(Sample("Vehicle.Bench.Unread", chunk[-1].ts + 0.5, 1.0))
        read = read_batch(encode_telemetry(TelemetryBatch(VIN, seq, "p", tuple(chunk))), wanted)
        now = chunk[-1].ts
        found += [
            _key(t)
            for t in evaluate_columns(rules, state, read.columns, VIN, now, others=read.others)
        ]
    stepped, reference = _reference(samples, 2, monkeypatch)
    assert found == stepped
    assert {k[0] for k in found if k[2] == "firing"} >= {"hv-cell-imbalance", "yearly-service"}
    _same(state, reference)
    assert state.last_seen[VIN] == moments[-1][0].ts + 0.5  # heard on the unread series


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
        others = set()
        for name, series in codec.series.items():
            if name in wanted:
                times, values = read.columns[name]
                assert times == [ms / 1000 for ms in series.ts_ms]
                assert values == series.values
            else:
                assert name not in read.columns
                others.add(max(series.ts_ms) / 1000)
        assert read.others == sorted(others)
        assert read.newest == max(max(s.ts_ms) for s in codec.series.values()) / 1000


def test_a_vehicle_heard_only_on_series_no_rule_reads_is_heard() -> None:
    """The newest time of the series left out of the columns still says when the vehicle
    was last heard from (what no-data rules and staleness read), bounded like any sample."""
    rules = load_catalog(DEFAULT_CATALOG)
    state = EngineState()
    evaluate_columns(rules, state, {}, VIN, T0, others=[T0 - 5, T0 + 100_000])
    assert state.last_seen[VIN] == T0 - 5  # the one far in the future does not count
    evaluate_columns(rules, state, {VOLTAGE: ([T0 + 1], [12.6])}, VIN, T0, others=[T0 + 2])
    assert state.last_seen[VIN] == T0 + 2
