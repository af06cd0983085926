"""What a fleet of pitstop gateways publishes: per-vehicle sequence numbers, 50 signals per
vehicle at 1 Hz, one telemetry batch every ``batch_s`` seconds, encoded exactly as the
gateway encodes it (``pitstop.codec``; ``Encoder`` is a cached path checked byte for byte
against the codec).

The values are a healthy car's (no rule of the default catalogue fires on them, so the figures
measure the steady state of a fleet, not the job store): the 29 series the catalogue reads with
plausible values and a little noise, and 21 other signals (what a real plan also collects and
no rule reads). Pure: the caller owns the clock and the broker.
"""

from __future__ import annotations

import json
import math
import zlib

from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.wire import SCHEMA_VERSION, dumps

PROFILE = "bench-fleet-0000000000000000"
SIGNALS_PER_VEHICLE = 50

#: canonical signal -> a healthy value (the default catalogue reads all of these)
HEALTHY: dict[str, float] = {
    "Vehicle.LowVoltageBattery.CurrentVoltage": 14.1,
    "Vehicle.LowVoltageBattery.CurrentCurrent": 5.0,
    "Vehicle.Powertrain.DCDC.State": 1.0,
    "Vehicle.Powertrain.ElectricMotor.CoolantTemperature": 60.0,
    "Vehicle.Powertrain.ElectricMotor.Temperature": 70.0,
    "Vehicle.Powertrain.ElectricMotor.InverterTemperature": 55.0,
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 240.0,
    "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure": 241.0,
    "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure": 239.0,
    "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure": 240.0,
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Brake.PadWear": 30.0,
    "Vehicle.Chassis.Axle.Row1.Wheel.Right.Brake.PadWear": 31.0,
    "Vehicle.Chassis.Axle.Row2.Wheel.Left.Brake.PadWear": 20.0,
    "Vehicle.Chassis.Axle.Row2.Wheel.Right.Brake.PadWear": 21.0,
    "Vehicle.Powertrain.TractionBattery.CellVoltage.Max": 3.71,
    "Vehicle.Powertrain.TractionBattery.CellVoltage.Min": 3.70,
    "Vehicle.Powertrain.CoolantLevelLow": 0.0,
    "Vehicle.Powertrain.CombustionEngine.ECT": 90.0,
    "Vehicle.Powertrain.CombustionEngine.Speed": 2000.0,
    "Vehicle.Powertrain.CombustionEngine.EOP": 300.0,
    "Vehicle.OBD.ControlModuleVoltage": 14.2,
    "Vehicle.OBD.LongTermFuelTrim1": 2.0,
    "Vehicle.OBD.ShortTermFuelTrim1": 1.0,
    "Vehicle.OBD.MAF": 10.0,
    "Vehicle.OBD.EngineLoad": 30.0,
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": 60.0,
    "Vehicle.Speed": 50.0,
}
ODOMETER = "Vehicle.TraveledDistance"
_OTHER = [f"Vehicle.Bench.Other{i:02d}" for i in range(SIGNALS_PER_VEHICLE - len(HEALTHY) - 1)]
_FLAT = {"Vehicle.Powertrain.DCDC.State", "Vehicle.Powertrain.CoolantLevelLow"}
INSTANCE = "benchinstance0001"
PERIOD_S = 60  # the values repeat every minute of data time (so the encoder can cache them)
_KM = 12_000.0  # on a dynamometer: the odometer stands still


def vin_of(index: int) -> str:
    """A 17-character VIN for vehicle ``index`` of the bench fleet."""
    return f"BENCHFLT{index:09d}"


def signal_names() -> list[str]:
    return [*HEALTHY, ODOMETER, *_OTHER]


def samples_at(ts: float) -> list[Sample]:
    """Every signal's value at whole second ``ts`` (a function of the second in the minute)."""
    wobble = math.sin(2 * math.pi * (int(ts) % PERIOD_S) / PERIOD_S)
    out = [
        Sample(name, ts, value if name in _FLAT else round(value * (1.0 + 0.002 * wobble), 4))
        for name, value in HEALTHY.items()
    ]
    out.append(Sample(ODOMETER, ts, _KM))
    out += [Sample(name, ts, round(k + wobble, 3)) for k, name in enumerate(_OTHER)]
    return out


def batch(vin: str, seq: int, start_ms: int, seconds: int) -> TelemetryBatch:
    """What a gateway sends for ``seconds`` of 1 Hz samples from ``start_ms``."""
    samples = [s for i in range(seconds) for s in samples_at((start_ms + 1000 * i) / 1000)]
    return TelemetryBatch(vin, seq, PROFILE, tuple(samples), INSTANCE)


class Encoder:
    """``encode_telemetry(batch(...))``, byte for byte, at a fraction of its cost: the series
    of a batch depend only on where it starts in the minute, so their JSON is made once per
    start and batch length and spliced into the envelope the codec writes. ``check`` proves
    the equality against the codec itself."""

    def __init__(self) -> None:
        self._series: dict[tuple[int, int], bytes] = {}

    def payload(self, vin: str, seq: int, start_ms: int, seconds: int) -> bytes:
        key = (start_ms % (PERIOD_S * 1000), seconds)
        series = self._series.get(key)
        if series is None:
            encoded = encode_telemetry(batch(vin, seq, start_ms, seconds))
            series = self._series[key] = dumps(json.loads(zlib.decompress(encoded))["s"])
        head = dumps({"v": SCHEMA_VERSION, "vin": vin, "seq": seq, "profile": PROFILE})
        envelope = head[:-1] + b',"t0":%d,"s":' % start_ms + series
        return zlib.compress(envelope + b',"inst":"' + INSTANCE.encode() + b'"}', 6)

    def check(self, vin: str, seconds: int) -> None:
        """Raise AssertionError unless the payloads are the codec's own."""
        for seq, start in enumerate((1_767_225_600_000, 1_767_225_613_050, 1_767_225_659_950)):
            mine = self.payload(vin, seq, start, seconds)
            theirs = encode_telemetry(batch(vin, seq, start, seconds))
            if mine != theirs:
                raise AssertionError(f"the bench encoder differs from pitstop.codec at {start}")
