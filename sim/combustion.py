"""A simulated combustion car (OBD-II) or truck (J1939) at the canonical-sample level.

``CombustionVehicle(vin, seed, CAR).values(t)`` gives the canonical signals (COVESA VSS names,
as the generic obd2 and truck profiles publish them) at t seconds after the simulation start;
``samples`` stamps them as the gateway would. It reuses the demo EV's drive/park schedule
(sim/drive.py: a warm-up idle opens each drive), its thermal lag (the EV's coolant warms the
same way an engine's does) and its noise. An OBD-II adapter is only answered while the engine
runs: parked, the vehicle publishes nothing. Trouble codes come from the scenario (DtcReports).

Faults (sim/faults.py) move: ``engine_coolant_loss`` (ECT while driving), ``misfire`` (idle
roughness), ``alternator_weak`` / ``regulator_overcharge`` (voltage with the engine running),
``lean_drift`` / ``rich_drift`` (long-term fuel trim), ``oil_pressure_loss`` (truck oil
pressure, a fraction of the healthy one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pitstop.codec import Sample
from sim.drive import COOLANT_RISE, Mode, Phase, Schedule, relax
from sim.faults import Fault, crossing_time
from sim.noise import noise

IDLE_S = 180.0  # each drive starts with the engine idling (warm-up, defrost, loading)
SPEED = "Vehicle.Speed"
RPM = "Vehicle.Powertrain.CombustionEngine.Speed"
ECT = "Vehicle.Powertrain.CombustionEngine.ECT"
EOP = "Vehicle.Powertrain.CombustionEngine.EOP"
VOLTAGE = "Vehicle.OBD.ControlModuleVoltage"
FUEL = "Vehicle.Powertrain.FuelSystem.RelativeLevel"
STFT = "Vehicle.OBD.ShortTermFuelTrim1"
LTFT = "Vehicle.OBD.LongTermFuelTrim1"
MAF = "Vehicle.OBD.MAF"
IAT = "Vehicle.OBD.IntakeTemp"
LOAD = "Vehicle.OBD.EngineLoad"
DTC_CLEAR = "Vehicle.OBD.DistanceSinceDTCClear"


@dataclass(frozen=True, slots=True)
class Powertrain:
    """What kind of combustion vehicle: engine speeds, coolant, which signals it publishes."""

    name: str
    idle_rpm: float
    rpm_per_kmh: float
    max_kmh: float
    thermostat: float  # degC the coolant settles at once warm
    fuel_per_km: float  # % of the tank per km
    obd: bool  # publishes the OBD-II set (voltage, fuel, trims, MAF, ...)
    oil_pressure: bool  # publishes the oil pressure (J1939 EFL/P1)


CAR = Powertrain("car", 780.0, 20.0, 130.0, 90.0, 0.14, obd=True, oil_pressure=False)
TRUCK = Powertrain("truck", 600.0, 9.0, 89.0, 85.0, 0.08, obd=False, oil_pressure=True)


@dataclass(frozen=True, slots=True)
class EngineTraits:
    """Per-vehicle constants drawn once from the seed."""

    ambient: float
    charge_voltage: float
    fuel_trim: float  # healthy long-term fuel trim, %
    refuel_below: float  # the driver fills up when the tank is this low, %
    fuel_offset_km: float  # where in the tank cycle the simulation starts
    km_since_clear: float

    @classmethod
    def draw(cls, seed: int) -> EngineTraits:
        rng = random.Random(f"engine-traits-{seed}")
        return cls(
            ambient=rng.uniform(8.0, 25.0),
            charge_voltage=rng.uniform(14.1, 14.5),
            fuel_trim=rng.uniform(-3.0, 3.0),
            refuel_below=rng.uniform(18.0, 30.0),
            fuel_offset_km=rng.uniform(0.0, 400.0),
            km_since_clear=rng.uniform(500.0, 20_000.0),
        )


class CombustionVehicle:
    """One simulated combustion vehicle; see the module docstring."""

    def __init__(
        self,
        vin: str,
        seed: int,
        powertrain: Powertrain = CAR,
        pattern: str = "daily",
        faults: tuple[Fault, ...] = (),
    ) -> None:
        self.vin = vin
        self.seed = seed
        self.powertrain = powertrain
        self.pattern = pattern
        self.faults = faults
        self.traits = EngineTraits.draw(seed)
        self._schedule = Schedule(seed, pattern, self.traits.ambient, 80.0, idle_s=IDLE_S)
        self._fault = {f.kind: f for f in reversed(faults)}

    def __repr__(self) -> str:
        return f"CombustionVehicle({self.vin!r}, seed={self.seed}, {self.powertrain.name})"

    def baseline(self, kind: str) -> float:
        """The healthy value of what a fault of ``kind`` moves."""
        return {
            "engine_coolant_loss": self.powertrain.thermostat,
            "misfire": 0.0,
            "alternator_weak": self.traits.charge_voltage,
            "regulator_overcharge": self.traits.charge_voltage,
            "lean_drift": self.traits.fuel_trim,
            "rich_drift": self.traits.fuel_trim,
            "oil_pressure_loss": 1.0,
        }[kind]

    def crossing_time(self, fault: Fault, level: float) -> float | None:
        """When ``fault`` takes its level (without noise) to ``level`` here."""
        return crossing_time(fault, level, self.baseline(fault.kind))

    def _delta(self, kind: str, t: float) -> float:
        """How far a fault of ``kind`` has moved its level from the healthy one at ``t``."""
        fault = self._fault.get(kind)
        healthy = self.baseline(kind)
        return 0.0 if fault is None else fault.level(t, healthy) - healthy

    def running(self, t: float) -> bool:
        return self._schedule.at(t).mode is Mode.DRIVE

    def samples(self, t: float, t0_epoch: float) -> list[Sample]:
        """Every published signal at ``t``, stamped ``t0_epoch + t`` (none while parked)."""
        return [Sample(name, t0_epoch + t, v) for name, v in self.values(t).items()]

    def values(self, t: float) -> dict[str, float]:
        """Canonical name -> value at ``t``; empty while the engine is off."""
        phase = self._schedule.at(t)
        if phase.mode is not Mode.DRIVE:
            return {}
        tau = max(0.0, t - phase.start)
        pt = self.powertrain
        speed = min(pt.max_kmh, max(0.0, phase.speed(tau)))
        warm = self._warm(phase, tau)
        rough = 1.0 if speed < 1.0 else 0.4
        rpm = pt.idle_rpm + pt.rpm_per_kmh * speed + 8.0 * self._noise(1, t)
        rpm += rough * 160.0 * self._delta("misfire", t) * self._noise(2, t)
        out = {SPEED: speed, RPM: rpm, ECT: self._coolant(t, warm)}
        if pt.oil_pressure:
            factor = 1.0 + self._delta("oil_pressure_loss", t)
            oil = (140.0 + 0.2 * rpm) * (1.15 - 0.15 * warm) * factor
            out[EOP] = max(0.0, oil + 3.0 * self._noise(3, t))
        if pt.obd:
            out.update(self._obd(phase, tau, t, speed, warm))
        return out

    def _noise(self, channel: int, t: float) -> float:
        return noise(self.seed, 100 + channel, t)

    def _warm(self, phase: Phase, tau: float) -> float:
        """How warmed up the engine is (0 cold .. 1 hot), from the EV's coolant lag."""
        temps = relax(phase.heat0, self._schedule.target(phase.mode), tau)
        return min(1.0, max(0.0, (temps.coolant - self.traits.ambient) / COOLANT_RISE))

    def _coolant(self, t: float, warm: float) -> float:
        ambient = self.traits.ambient
        healthy = ambient + warm * (self.powertrain.thermostat - ambient)
        return healthy + warm * self._delta("engine_coolant_loss", t) + 0.4 * self._noise(4, t)

    def _obd(
        self, phase: Phase, tau: float, t: float, speed: float, warm: float
    ) -> dict[str, float]:
        accel = max(0.0, phase.accel(tau))
        idle_dip = 0.25 if speed < 1.0 else 0.0
        volts = self.traits.charge_voltage + self._delta("alternator_weak", t)
        volts += self._delta("regulator_overcharge", t) - idle_dip + 0.05 * self._noise(5, t)
        trim = self._delta("lean_drift", t) + self._delta("rich_drift", t)
        km = phase.km(tau)
        return {
            VOLTAGE: volts,
            FUEL: self._fuel(km) + 1.0 * self._noise(6, t),
            STFT: 0.2 * trim + 2.0 * self._noise(7, t),
            LTFT: self.traits.fuel_trim + trim + 0.3 * self._noise(8, t),
            MAF: (2.8 + 0.22 * speed + 3.0 * accel) * (1.0 - trim / 100.0),
            IAT: self.traits.ambient + 8.0 * warm + 0.3 * self._noise(9, t),
            LOAD: min(100.0, 18.0 + 0.35 * speed + 25.0 * accel + self._noise(10, t)),
            DTC_CLEAR: self.traits.km_since_clear + km,
        }

    def _fuel(self, km: float) -> float:
        """The tank: down with every km, filled to 95 % when it reaches the driver's level."""
        full = 95.0
        cycle_km = (full - self.traits.refuel_below) / self.powertrain.fuel_per_km
        used_km = (km + self.traits.fuel_offset_km) % cycle_km
        return full - used_km * self.powertrain.fuel_per_km
