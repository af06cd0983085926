"""Faults that develop in a simulated vehicle, over time-compressed "days".

A fault moves one signal level linearly from the vehicle's healthy value (``start``) to the
kind's fully developed value (``FaultKind.end``) between ``onset_s`` and ``onset_s + ramp_s``.
``crossing_time`` inverts that line, so tests and the demo know when a threshold is crossed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import SimError


@dataclass(frozen=True, slots=True)
class FaultKind:
    """What a fault kind does: which level it moves, from where (nominally) to where."""

    name: str
    signal: str
    nominal_start: float
    end: float
    description: str


FAULT_KINDS: dict[str, FaultKind] = {
    kind.name: kind
    for kind in (
        FaultKind(
            "battery_12v_decline",
            "LvBatteryVoltage",
            12.6,
            11.3,
            "12 V battery rest voltage (parked, DC-DC off) falls; the DC-DC still holds ~14 V",
        ),
        FaultKind(
            "coolant_loss",
            "CoolantTemp",
            45.0,
            110.0,
            "coolant level low; the coolant temperature reached while driving rises",
        ),
        FaultKind(
            "brake_pad_wear",
            "PadWearFL",
            30.0,
            95.0,
            "front brake pads wear out fast",
        ),
        FaultKind(
            "slow_puncture",
            "TyrePressureFL",
            238.0,
            150.0,
            "front-left tyre loses pressure",
        ),
        FaultKind(
            "cell_imbalance",
            "CellSpread",
            10.0,
            110.0,
            "one HV cell group drifts: the spread between the highest and lowest cell grows (mV)",
        ),
        # combustion cars and trucks (sim/combustion.py), in canonical names
        FaultKind(
            "engine_coolant_loss",
            "Vehicle.Powertrain.CombustionEngine.ECT",
            90.0,
            128.0,
            "coolant lost: the engine coolant temperature reached while driving rises (degC)",
        ),
        FaultKind(
            "misfire",
            "Roughness",
            0.0,
            1.0,
            "one cylinder misfires more and more: engine speed at idle shakes (0 smooth, 1 rough)",
        ),
        FaultKind(
            "alternator_weak",
            "Vehicle.OBD.ControlModuleVoltage",
            14.3,
            12.0,
            "the alternator's output fades: the voltage with the engine running falls (V)",
        ),
        FaultKind(
            "regulator_overcharge",
            "Vehicle.OBD.ControlModuleVoltage",
            14.3,
            16.2,
            "the voltage regulator fails high: the voltage with the engine running rises (V)",
        ),
        FaultKind(
            "lean_drift",
            "Vehicle.OBD.LongTermFuelTrim1",
            0.0,
            25.0,
            "an intake leak or a dirty MAF: the long-term fuel trim adds more and more fuel (%)",
        ),
        FaultKind(
            "rich_drift",
            "Vehicle.OBD.LongTermFuelTrim1",
            0.0,
            -25.0,
            "a leaking injector or high fuel pressure: the long-term trim takes fuel away (%)",
        ),
        FaultKind(
            "oil_pressure_loss",
            "OilPressureFactor",
            1.0,
            0.15,
            "worn oil pump or bearings: oil pressure falls to a fraction of the healthy one",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault of ``kind`` starting at ``onset_s``, fully developed ``ramp_s`` seconds later."""

    kind: str
    onset_s: float
    ramp_s: float

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            known = ", ".join(sorted(FAULT_KINDS))
            raise SimError(f"unknown fault kind {self.kind!r} (known: {known})")
        if self.onset_s < 0 or self.ramp_s <= 0:
            raise SimError(f"fault {self.kind}: onset_s must be >= 0 and ramp_s > 0")

    @property
    def spec(self) -> FaultKind:
        return FAULT_KINDS[self.kind]

    def progress(self, t: float) -> float:
        """How developed the fault is at time t: 0 before onset, 1 when fully developed."""
        return min(1.0, max(0.0, (t - self.onset_s) / self.ramp_s))

    def level(self, t: float, start: float | None = None) -> float:
        """The fault's signal level at t, starting from ``start`` (the healthy value)."""
        begin = self.spec.nominal_start if start is None else start
        return begin + (self.spec.end - begin) * self.progress(t)


def crossing_time(fault: Fault, level: float, start: float | None = None) -> float | None:
    """When the fault's signal level reaches ``level``, or None if it never does.

    ``start`` is the vehicle's healthy value of the signal (``SimVehicle.baseline``); it
    defaults to the kind's nominal value. Measurement noise comes on top of this level.
    """
    begin = fault.spec.nominal_start if start is None else start
    span = fault.spec.end - begin
    if span == 0:
        return None
    fraction = (level - begin) / span
    if not 0.0 <= fraction <= 1.0:
        return None
    return fault.onset_s + fraction * fault.ramp_s
