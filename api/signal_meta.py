"""What a page says about a signal: a title a person reads, its unit, and its state names.

Where each comes from, so that it holds for any real car and not just the demo's:

- **Unit.** Telemetry is stored under canonical names (COVESA VSS paths), and a vehicle
  profile converts every model's DBC value *into the canonical unit* (docs/profiles.md: "in
  VSS's unit"). So the unit is a property of the canonical name, not of the car: the table
  below holds the names docs/profiles.md lists, and VSS's naming (``...CurrentVoltage``,
  ``...Temperature``, ``...Tire.Pressure``) gives the unit of the names it does not list. A name
  outside ``Vehicle.`` (a car's own, unmapped) has no unit rather than a guessed one.
- **State names.** A value-table signal (a gear lever, the DC/DC state) carries its raw number;
  the gateway sends the labels of its DBC's value tables once per connection as a
  ``value_tables`` event (``{canonical: {raw: label}}``), which the telemetry store keeps with
  the vehicle's other events. The newest such event is the car's own truth, whatever its DBC.
  It is text the car chose: bounded here, and escaped wherever it is shown.
- **Title.** Spelled out from the canonical path (``Vehicle.LowVoltageBattery.CurrentVoltage``
  is "Low-voltage battery voltage"); the full path stays on the page in small text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.store import TelemetryStore

MAX_LABELS = 64  # per signal: a value table longer than this is not a state axis
MAX_LABEL_CHARS = 40
LABEL_EVENTS_SPAN_S = 400 * 86400.0  # a car reconnects far more often than this

#: Canonical names and their units (docs/profiles.md, and the demo EV's profile).
UNITS: Mapping[str, str] = {
    "Vehicle.Speed": "km/h",
    "Vehicle.TraveledDistance": "km",
    "Vehicle.TraveledDistanceSinceStart": "km",
    "Vehicle.Powertrain.CombustionEngine.Speed": "rpm",
    "Vehicle.Powertrain.CombustionEngine.ECT": "celsius",
    "Vehicle.Powertrain.CombustionEngine.EOP": "kPa",
    "Vehicle.Powertrain.CombustionEngine.EngineHours": "h",
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": "%",
    "Vehicle.Powertrain.FuelSystem.InstantConsumption": "l/100km",
    "Vehicle.Powertrain.ElectricMotor.Speed": "rpm",
    "Vehicle.Chassis.SteeringWheel.Angle": "deg",
    "Vehicle.Chassis.Accelerator.PedalPosition": "%",
    "Vehicle.OBD.RelativeAcceleratorPosition": "%",
    "Vehicle.Chassis.Brake.Pressure": "kPa",
    "Vehicle.CurrentLocation.GNSSReceiver.HDOP": "-",
    "Vehicle.CurrentLocation.GNSSReceiver.SatelliteCount": "count",
    # the generic OBD-II profile's mode 01 PIDs, in SAE J1979's units (dbc/obd2.yaml)
    "Vehicle.OBD.ThrottlePosition": "%",
    "Vehicle.OBD.EngineLoad": "%",
    "Vehicle.OBD.MAF": "g/s",
    "Vehicle.OBD.IntakeTemp": "celsius",
    "Vehicle.OBD.ShortTermFuelTrim1": "%",
    "Vehicle.OBD.LongTermFuelTrim1": "%",
    "Vehicle.OBD.ControlModuleVoltage": "V",
    "Vehicle.Exterior.AirTemperature": "celsius",
    "Vehicle.OBD.RunTime": "s",
    "Vehicle.OBD.DistanceWithMIL": "km",
    "Vehicle.OBD.DistanceSinceDTCClear": "km",
    "Vehicle.OBD.HybridBatteryRemaining": "%",
}

#: VSS's naming: a part of the path (the last, unless said) and the unit it implies.
_BY_PART: tuple[tuple[str, str], ...] = (
    ("CurrentVoltage", "V"),
    ("CellVoltage", "V"),
    ("CurrentCurrent", "A"),
    ("Temperature", "celsius"),
    ("CoolantTemperature", "celsius"),
    ("InverterTemperature", "celsius"),
    ("Pressure", "kPa"),
    ("PadWear", "%"),
    ("StateOfCharge", "%"),
    ("Latitude", "deg"),
    ("Longitude", "deg"),
    ("Heading", "deg"),
    ("Altitude", "m"),
    ("HorizontalAccuracy", "m"),
    ("VerticalAccuracy", "m"),
    ("Acceleration", "m/s^2"),
    ("AngularVelocity", "deg/s"),
)

_SHAFTS = frozenset({"CombustionEngine", "ElectricMotor", "Engine", "Motor"})

#: How a unit is written for people.
SYMBOLS: Mapping[str, str] = {"celsius": "°C", "deg": "°", "deg/s": "°/s", "m/s^2": "m/s²"}

_WORDS: Mapping[str, str] = {
    "LowVoltageBattery": "low-voltage battery",
    "TractionBattery": "traction battery",
    "StateOfCharge": "state of charge",
    "CurrentVoltage": "voltage",
    "CurrentCurrent": "current",
    "ElectricMotor": "motor",
    "CombustionEngine": "engine",
    "ECT": "coolant temperature",
    "EOP": "oil pressure",
    "DCDC": "DC/DC",
    "HDOP": "HDOP",
    "GNSSReceiver": "GNSS",
    "CurrentLocation": "location",
    "FuelSystem": "fuel",
    "RelativeLevel": "level",
    "IsPedalPressed": "pedal pressed",
    "Min": "minimum",
    "Max": "maximum",
}
_DROPPED = frozenset({"Vehicle", "Powertrain", "Chassis", "Axle", "Wheel", "OBD"})
_ROWS = {"Row1": "front", "Row2": "rear"}
_SIDES = {"Left": "left", "Right": "right"}
_CANONICAL = re.compile(r"^Vehicle(\.[A-Za-z0-9_]+)+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True, slots=True)
class SignalMeta:
    """What a chart shows of a signal. ``states`` maps raw values to names (a state signal)."""

    name: str
    title: str
    unit: str = ""
    states: Mapping[int, str] = field(default_factory=dict)

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.unit, self.unit)


def describe(name: str, labels: Mapping[int, str] | None = None) -> SignalMeta:
    """The title, unit and state names of ``name`` (``labels``: its value table, if any)."""
    return SignalMeta(name, title(name), unit(name), dict(labels or {}))


def unit(name: str) -> str:
    """The canonical unit of ``name``; "" when the name is not canonical or says none."""
    if not _CANONICAL.match(name):
        return ""
    if name in UNITS:
        return UNITS[name]
    parts = name.split(".")
    for part, found in _BY_PART:
        if part in parts[1:]:
            return found
    if parts[-1].startswith("Speed"):  # a shaft turns (rpm), a wheel or the car moves (km/h)
        return "rpm" if _SHAFTS.intersection(parts) else "km/h"
    return ""


def title(name: str) -> str:
    """``Vehicle.LowVoltageBattery.CurrentVoltage`` -> ``Low-voltage battery voltage``."""
    if not _CANONICAL.match(name):
        return name
    parts = name.split(".")
    row = next((_ROWS[p] for p in parts if p in _ROWS), "")
    side = next((_SIDES[p] for p in parts if p in _SIDES), "")
    kept = [p for p in parts if p not in _DROPPED and p not in _ROWS and p not in _SIDES]
    if kept == ["Speed"] and "Wheel" in parts:
        kept = ["WheelSpeed"]
    if len(kept) > 1 and kept[-1] == "Current":  # StateOfCharge.Current
        kept.pop()
    words = " ".join(_words(p) for p in kept) or name
    where = " ".join(w for w in (row, side) if w)
    text = f"{words}, {where}" if where else words
    return text[:1].upper() + text[1:]


def _words(part: str) -> str:
    if part in _WORDS:
        return _WORDS[part]
    pieces = _CAMEL.split(part)
    return " ".join(p if p.isupper() else p.lower() for p in pieces)


def vehicle_labels(telemetry: TelemetryStore, vin: str, now: float) -> dict[str, dict[int, str]]:
    """The value tables of the newest ``value_tables`` event the vehicle sent, bounded."""
    found = telemetry.events(
        vin, now - LABEL_EVENTS_SPAN_S, now + 86400.0, types=["value_tables"], limit=1
    )
    if not found:
        return {}
    return clean_labels(found[0].data.get("labels"))


def clean_labels(raw: object) -> dict[str, dict[int, str]]:
    """``{signal: {raw: label}}`` from an event's data, leaving out what is not such a table."""
    if not isinstance(raw, Mapping):
        return {}
    tables: dict[str, dict[int, str]] = {}
    for signal, table in raw.items():
        if not isinstance(signal, str) or not isinstance(table, Mapping):
            continue
        if len(table) > MAX_LABELS:
            continue
        clean: dict[int, str] = {}
        for key, label in table.items():
            try:
                clean[int(key)] = str(label)[:MAX_LABEL_CHARS]
            except (TypeError, ValueError):
                continue
        if clean:
            tables[signal] = clean
    return tables
