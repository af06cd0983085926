"""A simulated demo EV: a pure, seeded function from time to DBC physical values.

``SimVehicle(vin, seed).values(t)`` gives every signal of dbc/demo_ev.dbc (except the frame
bookkeeping ``VCU_Counter`` and ``CellStatsMux``) at t seconds after the simulation start.
The same (seed, pattern, faults) always gives the same values, whatever order t is asked in.

Conventions: ``PackCurrent`` > 0 discharges the pack; ``LvBatteryCurrent`` > 0 charges the
12 V battery; ``GearLever`` is 0 (P) or 3 (D); ``DcdcState`` is 0 (off) or 1 (on).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sim.drive import MOTOR_RISE, Mode, Phase, Schedule, relax
from sim.faults import Fault, crossing_time
from sim.noise import noise

CELLS = 96
PACK_OHMS = 0.05
RPM_PER_KMH = 72.3
MASS_KG = 1900.0
CDA_M2 = 0.6
CRR = 0.01
CHARGE_KW = -11.0
CELL_LIMIT_MV = 4140.0  # the BMS derates charging and regen so no cell goes above this


@dataclass(frozen=True, slots=True)
class Traits:
    """Per-vehicle constants drawn once from the seed."""

    ambient: float
    soc: float
    odometer: float
    rest_voltage: float
    dcdc_voltage: float
    pad_front: float
    pad_rear: float
    pad_rate_front: float  # % per km
    pad_rate_rear: float
    tyres: tuple[float, float, float, float]
    cell_spread_mv: float
    cell_min_index: int
    cell_max_index: int

    @classmethod
    def draw(cls, seed: int) -> Traits:
        rng = random.Random(f"traits-{seed}")
        low, high = rng.sample(range(1, CELLS + 1), 2)
        return cls(
            ambient=rng.uniform(10.0, 25.0),
            soc=rng.uniform(55.0, 95.0),
            odometer=rng.uniform(3_000.0, 80_000.0),
            rest_voltage=rng.uniform(12.55, 12.68),
            dcdc_voltage=rng.uniform(14.15, 14.35),
            pad_front=rng.uniform(10.0, 40.0),
            pad_rear=rng.uniform(5.0, 30.0),
            pad_rate_front=rng.uniform(0.004, 0.008),
            pad_rate_rear=rng.uniform(0.002, 0.004),
            tyres=(
                rng.uniform(234.0, 242.0),
                rng.uniform(234.0, 242.0),
                rng.uniform(234.0, 242.0),
                rng.uniform(234.0, 242.0),
            ),
            cell_spread_mv=rng.uniform(6.0, 14.0),
            cell_min_index=low,
            cell_max_index=high,
        )


def traction_kw(speed_kmh: float, accel: float) -> float:
    """Electrical power drawn from the pack (kW, < 0 when recuperating)."""
    v = speed_kmh / 3.6
    wheel = MASS_KG * accel * v + 0.5 * 1.2 * CDA_M2 * v**3 + CRR * MASS_KG * 9.81 * v
    kw = wheel / 1000.0
    return 0.8 + (kw / 0.9 if kw > 0 else max(-60.0, kw * 0.65))


def _charge_limit_a(open_circuit: float, spread0: float) -> float:
    """The most charging current (regen or plug) before the highest cell reaches the BMS limit.

    The highest cell sits at ``mean + 0.6 * spread``; charging at ``a`` amps lifts the mean by
    ``a * PACK_OHMS / CELLS`` volts and widens the spread by ``0.02 * a`` millivolts.
    """
    headroom = CELL_LIMIT_MV - open_circuit / CELLS * 1000.0 - 0.6 * spread0
    per_amp = PACK_OHMS / CELLS * 1000.0 + 0.6 * 0.02
    return max(0.0, headroom / per_amp)


class SimVehicle:
    """One simulated vehicle; see the module docstring."""

    def __init__(
        self, vin: str, seed: int, pattern: str = "commute", faults: tuple[Fault, ...] = ()
    ) -> None:
        self.vin = vin
        self.seed = seed
        self.pattern = pattern
        self.faults = faults
        self.traits = Traits.draw(seed)
        self._schedule = Schedule(seed, pattern, self.traits.ambient, self.traits.soc)
        self._fault = {f.kind: f for f in reversed(faults)}

    def __repr__(self) -> str:
        return f"SimVehicle({self.vin!r}, seed={self.seed}, pattern={self.pattern!r})"

    def baseline(self, kind: str) -> float:
        """The healthy value of the signal a fault of ``kind`` moves."""
        tr = self.traits
        return {
            "battery_12v_decline": tr.rest_voltage,
            "coolant_loss": self._schedule.target(Mode.DRIVE).coolant,
            "brake_pad_wear": tr.pad_front,
            "slow_puncture": tr.tyres[0],
            "cell_imbalance": tr.cell_spread_mv,
        }[kind]

    def crossing_time(self, fault: Fault, level: float) -> float | None:
        """When ``fault`` takes its signal's level (without noise) to ``level`` here."""
        return crossing_time(fault, level, self.baseline(fault.kind))

    def _level(self, kind: str, t: float) -> float:
        fault = self._fault.get(kind)
        healthy = self.baseline(kind)
        return healthy if fault is None else fault.level(t, healthy)

    def _progress(self, kind: str, t: float) -> float:
        fault = self._fault.get(kind)
        return 0.0 if fault is None else fault.progress(t)

    def values(self, t: float) -> dict[str, float]:
        """Every DBC signal's physical value at t seconds after the simulation start."""
        phase = self._schedule.at(t)
        tau = max(0.0, t - phase.start)
        out: dict[str, float] = {}
        speed, kw = self._motion(phase, tau, t, out)
        heat = self._thermal(phase, tau, t, out)
        self._pack(phase, tau, t, out, kw=kw, heat=heat)
        self._low_voltage(phase, tau, t, kw, out)
        self._chassis(phase, tau, t, heat, out)
        out["VehicleSpeed"] = speed
        return out

    def _noise(self, channel: int, t: float) -> float:
        return noise(self.seed, channel, t)

    def _motion(
        self, phase: Phase, tau: float, t: float, out: dict[str, float]
    ) -> tuple[float, float]:
        driving = phase.mode is Mode.DRIVE
        speed = max(0.0, phase.speed(tau)) if driving else 0.0
        if speed > 0.5:
            speed = min(110.0, speed + 0.05 * self._noise(1, t))
        if driving:
            kw = traction_kw(speed, phase.accel(tau))
        else:
            kw = CHARGE_KW if phase.mode is Mode.CHARGE else 0.05
        out["GearLever"] = 3.0 if driving else 0.0
        out["DriveReady"] = 1.0 if driving else 0.0
        out["AccelPedal"] = min(100.0, max(0.0, kw / 1.2)) if driving and speed > 0.5 else 0.0
        out["MotorSpeed"] = speed * RPM_PER_KMH
        out["Odometer"] = self.traits.odometer + phase.km(tau)
        return speed, kw

    def _thermal(self, phase: Phase, tau: float, t: float, out: dict[str, float]) -> float:
        """Temperatures; returns how warmed up the drivetrain is (0 cold .. 1 hot)."""
        temps = relax(phase.heat0, self._schedule.target(phase.mode), tau)
        ambient = self.traits.ambient
        heat = min(1.0, max(0.0, (temps.motor - ambient) / MOTOR_RISE))
        extra = (self._level("coolant_loss", t) - self.baseline("coolant_loss")) * heat
        out["MotorTemp"] = temps.motor + 0.3 * self._noise(2, t)
        out["CoolantTemp"] = temps.coolant + extra + 0.3 * self._noise(3, t)
        out["InverterTemp"] = temps.inverter + 0.3 * self._noise(4, t)
        out["CoolantLevelLow"] = 1.0 if self._progress("coolant_loss", t) >= 0.25 else 0.0
        out["PackTempMax"] = temps.pack + 2.0
        out["CellTempMin"] = temps.pack - 1.0
        out["CellTempMax"] = temps.pack + 2.0
        return heat

    def _pack(
        self, phase: Phase, tau: float, t: float, out: dict[str, float], *, kw: float, heat: float
    ) -> None:
        soc = phase.soc(tau)
        open_circuit = CELLS * (3.6 + 0.5 * soc / 100.0)
        spread0 = self._level("cell_imbalance", t) * (1.0 + 0.3 * heat)
        amps = kw * 1000.0 / open_circuit + 0.2 * self._noise(5, t)
        amps = max(amps, -_charge_limit_a(open_circuit, spread0))
        volts = open_circuit - amps * PACK_OHMS
        mean_mv = volts / CELLS * 1000.0
        spread = spread0 + abs(amps) * 0.02
        out["PackSOC"] = soc
        out["PackVoltage"] = volts
        out["PackCurrent"] = amps
        out["CellVoltageMin"] = mean_mv - spread + self._noise(6, t)
        out["CellVoltageMax"] = mean_mv + 0.6 * spread + self._noise(7, t)
        out["CellVoltageMinIndex"] = float(self.traits.cell_min_index)
        out["CellVoltageMaxIndex"] = float(self.traits.cell_max_index)

    def _low_voltage(
        self, phase: Phase, tau: float, t: float, kw: float, out: dict[str, float]
    ) -> None:
        decline = self._progress("battery_12v_decline", t)
        if phase.mode is Mode.PARK:
            surface = 0.35 * math.exp(-tau / 40.0) if phase.after_drive else 0.0
            volts = self._level("battery_12v_decline", t) + surface
            out["LvBatteryVoltage"] = volts + 0.005 * self._noise(8, t)
            out["LvBatteryCurrent"] = -0.03 + 0.005 * self._noise(9, t)
            out["DcdcState"] = 0.0
            return
        wobble = 0.03 * math.sin(t / 7.0)
        out["LvBatteryVoltage"] = self.traits.dcdc_voltage + wobble + 0.01 * self._noise(8, t)
        charge = 4.0 + 6.0 * decline + 0.01 * max(0.0, kw) + 0.3 * self._noise(9, t)
        out["LvBatteryCurrent"] = charge
        out["DcdcState"] = 1.0

    def _chassis(
        self, phase: Phase, tau: float, t: float, heat: float, out: dict[str, float]
    ) -> None:
        tr = self.traits
        km = phase.km(tau)
        front = min(100.0, self._level("brake_pad_wear", t) + tr.pad_rate_front * km)
        rear = min(100.0, tr.pad_rear + tr.pad_rate_rear * km)
        out["PadWearFL"] = front
        out["PadWearFR"] = front - 0.8
        out["PadWearRL"] = rear
        out["PadWearRR"] = rear + 0.4
        warm = 5.0 * heat
        tyres = (self._level("slow_puncture", t), *tr.tyres[1:])
        for i, (wheel, base) in enumerate(zip(("FL", "FR", "RL", "RR"), tyres, strict=True)):
            out[f"TyrePressure{wheel}"] = base + warm + 0.2 * self._noise(10 + i, t)
