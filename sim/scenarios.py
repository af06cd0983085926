"""Fault progressions over real-time days, each with the moment the driver would notice.

Every scenario drives a ``daily`` vehicle (parked overnight, a commute about 07:00 and 17:00;
t = 0 is midnight) and says which rules should book it. ``noticed_at_s`` is when the driver
would notice without pitstop:

- ``battery_12v_decline``: rest voltage (parked) falls 12.6 -> 11.3 V over 12 days; the car
  fails to wake / start at 11.5 V.
- ``coolant_loss``: the level drops (level-low switch at 25 %), the coolant runs hotter on each
  drive; noticed at the overheating warning, coolant above 105 degC while driving.
- ``brake_pad_wear``: front pads wear 30 -> 95 % over 20 days; noticed at the wear squeal, 95 %.
- ``slow_puncture``: front-left loses 238 -> 150 kPa over 3 days; noticed at the TPMS lamp /
  a visibly soft tyre, 170 kPa.
- ``inverter_code``: the EV has no cylinders to misfire, so this is its equivalent: an
  intermittent drive-motor inverter performance code, P0A78 over UDS from the inverter (0x7E2),
  pending three times, then confirmed with the MIL on at day 3: noticed at the MIL.
- ``hv_cell_imbalance``: the spread between the highest and lowest HV cell grows 10 -> 110 mV
  over 10 days; noticed when the BMS limits power, at 150 mV (max - min).
- ``service_due``: the yearly service was done 355 days ago; the car's own service reminder
  comes on when it is due, at 365 days.
- ``healthy``: no fault; nothing should be booked, and nothing is noticed.

Combustion cars and trucks have theirs in sim/scenarios_engine.py.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field

from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from sim.combustion import CombustionVehicle
from sim.faults import Fault
from sim.vehicle import CELLS, SimVehicle

DAY = 86400.0
INVERTER_ECU = 0x7E2
INVERTER_CODE = "P0A78"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    vehicle: SimVehicle | CombustionVehicle  # the demo EV, or a combustion car or truck
    duration_s: float
    noticed_at_s: float | None  # None: nothing to notice (healthy)
    rules: tuple[str, ...]  # rule ids that should book it (any one of them)
    dtc_reports: tuple[DtcReport, ...] = ()  # timestamps relative to t = 0 (add the epoch)
    last_service_days: float | None = None  # for maintenance rules: the service before t = 0
    slow_wear: bool = False  # the benchmark wants these booked at least 3 days ahead
    notes: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def _vin(i: int) -> str:
    return f"PITSTOPSCEN{i:06d}"


def battery_12v_decline(seed: int = 101) -> Scenario:
    fault = Fault("battery_12v_decline", onset_s=1 * DAY, ramp_s=12 * DAY)
    vehicle = SimVehicle(_vin(1), seed, "daily", (fault,))
    noticed = vehicle.crossing_time(fault, 11.5)
    assert noticed is not None
    return Scenario(
        "battery_12v_decline",
        vehicle,
        noticed + DAY,
        noticed,
        ("lv-battery-rest-voltage-trend", "lv-battery-low"),
        slow_wear=True,
    )


def coolant_loss(seed: int = 102) -> Scenario:
    fault = Fault("coolant_loss", onset_s=1 * DAY, ramp_s=4 * DAY)
    vehicle = SimVehicle(_vin(2), seed, "daily", (fault,))
    noticed = first_time(vehicle, 0.0, 6 * DAY, lambda v: v["CoolantTemp"] > 105.0)
    return Scenario(
        "coolant_loss",
        vehicle,
        (noticed or 6 * DAY) + 3600.0,
        noticed,
        ("coolant-level-low", "coolant-overheating", "coolant-temperature-high"),
    )


def brake_pad_wear(seed: int = 103) -> Scenario:
    fault = Fault("brake_pad_wear", onset_s=0.5 * DAY, ramp_s=20 * DAY)
    vehicle = SimVehicle(_vin(3), seed, "daily", (fault,))
    noticed = first_time(vehicle, 0.0, 22 * DAY, lambda v: v["PadWearFL"] >= 95.0, step=600.0)
    return Scenario(
        "brake_pad_wear",
        vehicle,
        (noticed or 22 * DAY) + 3600.0,
        noticed,
        tuple(
            f"brake-pads-{k}-front-{s}"
            for k in ("wear-forecast", "worn")
            for s in ("left", "right")
        ),
        slow_wear=True,
    )


def slow_puncture(seed: int = 104) -> Scenario:
    fault = Fault("slow_puncture", onset_s=0.5 * DAY, ramp_s=3 * DAY)
    vehicle = SimVehicle(_vin(4), seed, "daily", (fault,))
    noticed = vehicle.crossing_time(fault, 170.0)
    return Scenario(
        "slow_puncture",
        vehicle,
        (noticed or 4 * DAY) + 3600.0,
        noticed,
        ("tyre-pressure-loss-front-left", "tyre-pressure-low-front-left"),
    )


def inverter_code(seed: int = 105) -> Scenario:
    vehicle = SimVehicle(_vin(5), seed, "daily")
    vin = vehicle.vin
    reports: list[DtcReport] = []
    pending = frozenset({DtcStatus.PENDING})
    for i, day in enumerate((0.9, 1.4, 1.9)):  # pending during a drive, gone after the next
        reports.append(_report(vin, day * DAY, pending, occurrences=i + 1))
        reports.append(DtcReport(vin, day * DAY + 4 * 3600.0, ()))
    confirmed = frozenset({DtcStatus.CONFIRMED, DtcStatus.PENDING})
    reports.append(_report(vin, 3 * DAY, confirmed, occurrences=4, mil=True))
    return Scenario(
        "inverter_code",
        vehicle,
        3 * DAY + 3600.0,
        3 * DAY,
        ("inverter-code-intermittent", "inverter-code-confirmed"),
        dtc_reports=tuple(reports),
        notes=f"{INVERTER_CODE} from the inverter 0x{INVERTER_ECU:X} over UDS",
    )


def _report(
    vin: str, ts: float, status: frozenset[DtcStatus], *, occurrences: int, mil: bool = False
) -> DtcReport:
    dtc = Dtc(
        code=INVERTER_CODE,
        protocol=Protocol.UDS,
        ecu=INVERTER_ECU,
        status=status,
        description="Drive motor A inverter performance",
        occurrences=occurrences,
        snapshot={"1": {"0xF40D": "38", "0xF405": "5a"}},  # speed 56 km/h, coolant 50 degC
    )
    return DtcReport(vin, ts, (dtc,), lamps={"mil": mil})


def hv_cell_imbalance(seed: int = 106) -> Scenario:
    fault = Fault("cell_imbalance", onset_s=1 * DAY, ramp_s=10 * DAY)
    vehicle = SimVehicle(_vin(6), seed, "daily", (fault,))
    noticed = first_time(
        vehicle,
        0.0,
        12 * DAY,
        lambda v: v["CellVoltageMax"] - v["CellVoltageMin"] >= 150.0,
        step=300.0,
    )
    return Scenario(
        "hv_cell_imbalance",
        vehicle,
        (noticed or 12 * DAY) + 3600.0,
        noticed,
        ("hv-cell-imbalance",),
        slow_wear=True,
        extra={"cells": float(CELLS)},
    )


def service_due(seed: int = 107) -> Scenario:
    vehicle = SimVehicle(_vin(7), seed, "daily")
    return Scenario(
        "service_due",
        vehicle,
        1 * DAY,
        10 * DAY,  # 355 days ago + 365: the car's own reminder in 10 days
        ("yearly-service",),
        last_service_days=355.0,
        slow_wear=True,
    )


def healthy(i: int, seed: int) -> Scenario:
    vehicle = SimVehicle(f"PITSTOPHLTH{i:06d}", seed, "daily")
    return Scenario("healthy", vehicle, 3 * DAY, None, ())


def fault_scenarios() -> list[Scenario]:
    return [
        battery_12v_decline(),
        coolant_loss(),
        brake_pad_wear(),
        slow_puncture(),
        inverter_code(),
        hv_cell_imbalance(),
        service_due(),
    ]


class _Values(typing.Protocol):
    def values(self, t: float) -> dict[str, float]: ...


def first_time(
    vehicle: _Values,
    start: float,
    end: float,
    test: Callable[[dict[str, float]], bool],
    step: float = 30.0,
) -> float | None:
    """The first t in [start, end) (every ``step``) where ``test(vehicle.values(t))`` holds."""
    t = start
    while t < end:
        if test(vehicle.values(t)):
            return t
        t += step
    return None
