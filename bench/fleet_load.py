"""What a fleet of pitstop gateways publishes: per-vehicle sequence numbers, 50 signals per
vehicle at 1 Hz, one telemetry batch every ``batch_s`` seconds, encoded with the project's
codec (``pitstop.codec``) exactly as the gateway encodes it.

The values are a healthy car's (no rule of the default catalogue fires on them, so the figures
measure the steady state of a fleet, not the job store): the 29 series the catalogue reads with
plausible values and a little noise, and 21 other signals (what a real plan also collects and
no rule reads). Pure: the caller owns the clock and the broker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pitstop.codec import Sample, TelemetryBatch, encode_telemetry

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


def vin_of(index: int) -> str:
    """A 17-character VIN for vehicle ``index`` of the bench fleet."""
    return f"BENCHFLT{index:09d}"


def signal_names() -> list[str]:
    return [*HEALTHY, ODOMETER, *_OTHER]


@dataclass(slots=True)
class Vehicle:
    """One simulated gateway: its VIN and its next sequence number."""

    vin: str
    seq: int = 0
    km: float = 12_000.0

    def batch(self, start: float, seconds: int) -> TelemetryBatch:
        """One batch of ``seconds`` 1 Hz samples of every signal, from data time ``start``."""
        samples: list[Sample] = []
        phase = sum(map(ord, self.vin)) % 97
        for i in range(seconds):
            ts = round(start + i, 3)
            wobble = math.sin((ts + phase) / 17.0)
            for name, value in HEALTHY.items():
                noisy = value if name in _FLAT else value * (1.0 + 0.002 * wobble)
                samples.append(Sample(name, ts, round(noisy, 4)))
            self.km += 50.0 / 3600.0
            samples.append(Sample(ODOMETER, ts, round(self.km, 3)))
            for k, name in enumerate(_OTHER):
                samples.append(Sample(name, ts, round(k + wobble, 3)))
        batch = TelemetryBatch(self.vin, self.seq, PROFILE, tuple(samples), "benchinstance0001")
        self.seq += 1
        return batch

    def payload(self, start: float, seconds: int) -> bytes:
        return encode_telemetry(self.batch(start, seconds))


def fleet(vehicles: int) -> list[Vehicle]:
    return [Vehicle(vin_of(i)) for i in range(vehicles)]
