"""Signal metadata for pages: titles, units that agree with every shipped vehicle profile, the
car's own value tables, and the levels of the rules in pitstop's catalogue."""

from __future__ import annotations

from pathlib import Path

import cantools
import pytest
import yaml

from api.signal_meta import clean_labels, describe, title, unit, vehicle_labels
from api.signal_meta_rules import rule_levels
from gateway.diag.obd import PIDS
from ingest.open import open_store
from pitstop.messages import Event
from rules.loader import DEFAULT_CATALOG, load_catalog

DBC = Path(__file__).resolve().parents[2] / "dbc"
PROFILES = sorted(p for p in DBC.glob("*.yaml") if not p.name.endswith(".plan.yaml"))
NOW = 1_764_201_600.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Vehicle.LowVoltageBattery.CurrentVoltage", "Low-voltage battery voltage"),
        ("Vehicle.Powertrain.DCDC.State", "DC/DC state"),
        ("Vehicle.Chassis.Axle.Row1.Wheel.Left.Brake.PadWear", "Brake pad wear, front left"),
        ("Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed", "Wheel speed, rear right"),
        (
            "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
            "Traction battery state of charge",
        ),
        ("Vehicle.Powertrain.CombustionEngine.ECT", "Engine coolant temperature"),
        ("Vehicle.Speed", "Speed"),
        ("my/own <signal>", "my/own <signal>"),  # not canonical: shown as the car named it
    ],
)
def test_titles_read_as_words(name: str, expected: str) -> None:
    assert title(name) == expected


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_units_agree_with_every_shipped_profile(profile: Path) -> None:
    """A profile converts into the canonical unit: ours must be the one it states."""
    signals = yaml.safe_load(profile.read_text()).get("signals") or {}
    stated = {n: m["unit"] for n, m in signals.items() if isinstance(m, dict) and "unit" in m}
    assert {n: unit(n) for n in stated} == stated


def test_obd_units_are_sae_j1979s() -> None:
    pids = yaml.safe_load((DBC / "obd2.yaml").read_text())["diagnostics"]["obd"]["pids"]
    spelled = {"degC": "celsius"}
    for pid, entry in pids.items():
        assert unit(entry["name"]) == spelled.get(PIDS[pid].unit, PIDS[pid].unit), entry["name"]


def test_a_name_outside_the_canonical_tree_has_no_guessed_unit() -> None:
    assert unit("PackVoltage") == ""
    assert unit("Vehicle.Some.New.Thing") == ""
    assert describe("Vehicle.Powertrain.ElectricMotor.Temperature").symbol == "°C"


def test_state_names_come_from_the_value_tables_the_car_sent(tmp_path: Path) -> None:
    """The gateway's event, built from the demo DBC's VAL_ table, names the DC/DC states."""
    dbc = cantools.database.load_file(str(DBC / "demo_ev.dbc"))
    assert isinstance(dbc, cantools.database.can.Database)
    choices = dbc.get_message_by_name("DCDC_12V").get_signal_by_name("DcdcState").choices
    assert choices is not None
    labels = {"Vehicle.Powertrain.DCDC.State": {str(k): str(v) for k, v in choices.items()}}
    store = open_store("sqlite:///" + str(tmp_path / "t.db"))
    try:
        vin = "WPITSTOPDEMO00001"
        assert vehicle_labels(store, vin, NOW) == {}
        event = Event(vin, "value_tables", int((NOW - 60) * 1000), {"labels": labels})
        store.write_event(event, NOW - 60)
        found = vehicle_labels(store, vin, NOW)
    finally:
        store.close()
    assert found == {"Vehicle.Powertrain.DCDC.State": {0: "Off", 1: "On", 2: "Derated", 3: "Fault"}}
    assert (
        describe("Vehicle.Powertrain.DCDC.State", found["Vehicle.Powertrain.DCDC.State"]).states[3]
        == "Fault"
    )


def test_labels_from_a_car_are_bounded() -> None:
    long = {str(i): "x" for i in range(500)}
    raw = {"A": {"1": "y" * 500, "no": "z"}, "B": long, "C": "not a table", 7: {"1": "q"}}
    assert clean_labels(raw) == {"A": {1: "y" * 40}}
    assert clean_labels(None) == {}


def test_rule_levels_draw_the_threshold_and_its_hysteresis() -> None:
    rules = load_catalog(DEFAULT_CATALOG)
    levels = rule_levels(rules, "lv-battery-low")
    assert [(lv.signal, lv.value, lv.kind) for lv in levels] == [
        ("Vehicle.LowVoltageBattery.CurrentVoltage", 11.8, "fire"),
        ("Vehicle.LowVoltageBattery.CurrentVoltage", 12.2, "clear"),
    ]
    assert levels[0].label == "fires: < 11.8"
    assert levels[1].label == "clears: > 12.2"
    assert rule_levels(rules, "no-such-rule") == []
