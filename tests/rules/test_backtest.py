"""``pitstop rules backtest``: the engine over history stored by ingest (a real SQLite store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from ingest.open import open_store
from pitstop.codec import Sample, TelemetryBatch
from rules.backtest import backtest, find_rule
from rules.loader import DEFAULT_CATALOG, load_catalog

VIN = "PITSTOPDEMO000003"
V = "Vehicle.LowVoltageBattery.CurrentVoltage"
T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture
def telemetry(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'telemetry.db'}"
    store = open_store(url)
    volts = [12.6] * 100 + [11.5] * 60 + [12.6] * 100 + [11.2] * 60 + [12.6] * 100
    samples = [Sample(V, T0 + i, v) for i, v in enumerate(volts)]
    for seq, first in enumerate(range(0, len(samples), 50)):
        store.write_batch(TelemetryBatch(VIN, seq, "test", tuple(samples[first : first + 50])))
    store.close()
    return url


def test_backtest_pages_through_history_and_finds_each_firing(telemetry: str) -> None:
    rule = find_rule(load_catalog(DEFAULT_CATALOG), "lv-battery-low")
    store = open_store(telemetry)
    try:
        small = backtest(rule, store, VIN, T0, T0 + 3600, page=7)
        large = backtest(rule, store, VIN, T0, T0 + 3600)
    finally:
        store.close()
    assert small.samples == large.samples == 420
    assert [t.at - T0 for t in small.firings] == [t.at - T0 for t in large.firings] == [120, 280]
    assert [t.severity for t in small.firings] == ["warning", "critical"]  # 11.2 < 11.5


def test_the_command_prints_transitions_and_a_summary(
    telemetry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "backtest", "lv-battery-low", "--vehicle", VIN, "--telemetry", telemetry]
    assert main([*args, "--from", "2026-01-01", "--to", "2026-01-01T01:00"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-01 00:02:00Z  firing" in out
    assert "fired 2 times (first: 2026-01-01 00:02:00Z)" in out


def test_the_command_names_an_unknown_rule(
    telemetry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "backtest", "no-such-rule", "--vehicle", VIN, "--telemetry", telemetry]
    assert main([*args, "--from", "2026-01-01", "--to", "2026-01-02"]) == 2
    assert "there is no rule 'no-such-rule'" in capsys.readouterr().err
