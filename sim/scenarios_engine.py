"""Fault progressions of combustion cars (OBD-II) and trucks (J1939), in the style of
sim/scenarios.py: a ``daily`` vehicle, a fault, the rules that should book it, and
``noticed_at_s``, when the driver would notice without pitstop:

- ``misfire``: cylinder 1 starts misfiring at day 1; P0301 is pending twice, then confirmed
  with the MIL at day 3. Noticed when the idle shakes (roughness 0.6) or at the MIL.
- ``engine_overheating`` (car) / ``truck_overheating``: coolant is lost over 5 days; noticed at
  the dashboard's temperature warning (car 118 degC, truck 110 degC).
- ``weak_alternator``: the charging voltage falls 14.3 -> 12.0 V over 8 days; noticed at the
  battery lamp / dim lights, 12.6 V with the engine running.
- ``overcharging``: the regulator fails high, 14.3 -> 16.2 V over 6 days; noticed at 15.8 V
  (bulbs fail, the battery gasses).
- ``lean_condition`` / ``rich_condition``: the long-term fuel trim drifts to +/-25 % over 10
  days; the ECU sets P0171 / P0172 pending at +/-20 %, confirmed with the MIL at +/-24 %:
  noticed then.
- ``catalyst``: P0420 pending at day 2, confirmed with the MIL at day 5: noticed at the MIL.
- ``truck_oil_pressure_loss``: oil pressure falls to 15 % of healthy over 6 days; noticed at
  the oil pressure lamp, 70 kPa at idle.
- ``truck_dm1_amber``: an intermittent injection fault (SPN 157 FMI 18) lights the amber lamp
  for a couple of hours twice, then the engine derates with the red stop lamp at day 3: noticed
  at the derate (a driver on the road learns to live with an amber lamp that goes out).
- ``healthy_car`` / ``healthy_truck``: no fault; nothing should be booked.
"""

from __future__ import annotations

from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol, j1939_code, source_name
from sim.combustion import CAR, ECT, TRUCK, CombustionVehicle, Powertrain
from sim.faults import Fault
from sim.scenarios import DAY, Scenario, first_time

ENGINE_ECU = 0x7E8  # OBD-II engine ECU response id
TRUCK_ENGINE = 0x00  # J1939 source address of the engine ECU
PENDING = frozenset({DtcStatus.PENDING})
CONFIRMED = frozenset({DtcStatus.CONFIRMED, DtcStatus.PENDING})


def _vin(i: int) -> str:
    return f"PITSTOPENGN{i:06d}"


def _faulty(
    i: int, seed: int, kind: str, onset: float, ramp: float, *, pt: Powertrain = CAR
) -> tuple[CombustionVehicle, Fault]:
    fault = Fault(kind, onset_s=onset * DAY, ramp_s=ramp * DAY)
    return CombustionVehicle(_vin(i), seed, pt, "daily", (fault,)), fault


def _crossing(vehicle: CombustionVehicle, fault: Fault, level: float) -> float:
    at = vehicle.crossing_time(fault, level)
    assert at is not None, f"{fault.kind} never reaches {level}"
    return at


def misfire(seed: int = 201) -> Scenario:
    vehicle, fault = _faulty(1, seed, "misfire", 1.0, 3.0)
    vin = vehicle.vin
    reports: list[DtcReport] = []
    for n, day in enumerate((1.3, 1.8), start=1):  # pending in a drive, gone after the next
        reports.append(_obd(vin, day * DAY, "P0301", PENDING, n))
        reports.append(DtcReport(vin, day * DAY + 4 * 3600.0, (), lamps={"mil": False}))
    reports.append(_obd(vin, 3 * DAY, "P0301", CONFIRMED, 4, mil=True))
    noticed = min(3 * DAY, _crossing(vehicle, fault, 0.6))
    rules = ("engine-misfire", "engine-rough-running")
    return Scenario("misfire", vehicle, 3 * DAY + 3600.0, noticed, rules, tuple(reports))


def engine_overheating(seed: int = 202) -> Scenario:
    return _overheating("engine_overheating", 2, seed, CAR, 118.0)


def truck_overheating(seed: int = 209) -> Scenario:
    return _overheating("truck_overheating", 9, seed, TRUCK, 110.0)


def _overheating(name: str, i: int, seed: int, pt: Powertrain, warning: float) -> Scenario:
    vehicle, _ = _faulty(i, seed, "engine_coolant_loss", 1.0, 5.0, pt=pt)
    noticed = first_time(vehicle, 0.0, 7 * DAY, lambda v: v.get(ECT, 0.0) > warning)
    rules = ("engine-coolant-temperature-high",)
    return Scenario(name, vehicle, (noticed or 7 * DAY) + 3600.0, noticed, rules)


def weak_alternator(seed: int = 203) -> Scenario:
    vehicle, fault = _faulty(3, seed, "alternator_weak", 1.0, 8.0)
    noticed = _crossing(vehicle, fault, 12.6)
    rules = ("charging-voltage-low",)
    return Scenario("weak_alternator", vehicle, noticed + 3600.0, noticed, rules)


def overcharging(seed: int = 204) -> Scenario:
    vehicle, fault = _faulty(4, seed, "regulator_overcharge", 1.0, 6.0)
    noticed = _crossing(vehicle, fault, 15.8)
    rules = ("charging-voltage-high",)
    return Scenario("overcharging", vehicle, noticed + 3600.0, noticed, rules)


def lean_condition(seed: int = 205) -> Scenario:
    return _trim("lean_condition", 5, seed, "lean_drift", 24.0, code="P0171")


def rich_condition(seed: int = 206) -> Scenario:
    return _trim("rich_condition", 6, seed, "rich_drift", -24.0, code="P0172")


def _trim(name: str, i: int, seed: int, kind: str, level: float, *, code: str) -> Scenario:
    vehicle, fault = _faulty(i, seed, kind, 1.0, 10.0)
    noticed = _crossing(vehicle, fault, level)
    pending = _crossing(vehicle, fault, level * 20.0 / 24.0)
    reports = (
        _obd(vehicle.vin, pending, code, PENDING, 1),
        _obd(vehicle.vin, noticed, code, CONFIRMED, 2, mil=True),
    )
    side = "lean" if level > 0 else "rich"
    rules = (f"fuel-trim-{side}", f"fuel-system-{side}-code")
    return Scenario(name, vehicle, noticed + 3600.0, noticed, rules, reports)


def catalyst(seed: int = 207) -> Scenario:
    vehicle = CombustionVehicle(_vin(7), seed, CAR, "daily")
    reports = (
        _obd(vehicle.vin, 2.3 * DAY, "P0420", PENDING, 1),
        _obd(vehicle.vin, 5 * DAY, "P0420", CONFIRMED, 2, mil=True),
    )
    rules = ("catalyst-efficiency-low",)
    return Scenario("catalyst", vehicle, 5 * DAY + 3600.0, 5 * DAY, rules, reports)


def truck_oil_pressure_loss(seed: int = 208) -> Scenario:
    vehicle, fault = _faulty(8, seed, "oil_pressure_loss", 1.0, 6.0, pt=TRUCK)
    noticed = _crossing(vehicle, fault, 70.0 / 260.0)  # 70 kPa of a healthy 260 at idle
    rules = ("engine-oil-pressure-low",)
    return Scenario("truck_oil_pressure_loss", vehicle, noticed + 3600.0, noticed, rules)


def truck_dm1_amber(seed: int = 210) -> Scenario:
    vehicle = CombustionVehicle(_vin(10), seed, TRUCK, "daily")
    vin = vehicle.vin
    amber = {"mil": False, "red_stop": False, "amber_warning": True, "protect": False}
    off = dict.fromkeys(amber, False)
    reports: list[DtcReport] = []
    for n, day in enumerate((1.35, 1.8), start=1):
        reports.append(_dm1(vin, day * DAY, amber, n))
        reports.append(_dm1(vin, day * DAY + 2 * 3600.0, off, 0))
    reports.append(_dm1(vin, 3 * DAY, {**amber, "red_stop": True}, 3))
    rules = ("j1939-amber-warning-lamp", "j1939-red-stop-lamp")
    return Scenario("truck_dm1_amber", vehicle, 3 * DAY + 3600.0, 3 * DAY, rules, tuple(reports))


def healthy_car(i: int, seed: int, days: float = 30.0) -> Scenario:
    vehicle = CombustionVehicle(f"PITSTOPHCAR{i:06d}", seed, CAR, "daily")
    return Scenario("healthy_car", vehicle, days * DAY, None, ())


def healthy_truck(i: int, seed: int, days: float = 30.0) -> Scenario:
    vehicle = CombustionVehicle(f"PITSTOPHTRK{i:06d}", seed, TRUCK, "daily")
    return Scenario("healthy_truck", vehicle, days * DAY, None, ())


def combustion_scenarios() -> list[Scenario]:
    return [
        misfire(),
        engine_overheating(),
        weak_alternator(),
        overcharging(),
        lean_condition(),
        rich_condition(),
        catalyst(),
        truck_oil_pressure_loss(),
        truck_overheating(),
        truck_dm1_amber(),
    ]


def _obd(
    vin: str, ts: float, code: str, status: frozenset[DtcStatus], n: int, *, mil: bool = False
) -> DtcReport:
    dtc = Dtc(code, Protocol.OBD, ENGINE_ECU, status, occurrences=n)
    return DtcReport(vin, ts, (dtc,), lamps={"mil": mil})


def _dm1(vin: str, ts: float, lamps: dict[str, bool], occurrences: int) -> DtcReport:
    """One DM1 from the engine: the injection fault while ``occurrences`` > 0."""
    codes: tuple[Dtc, ...] = ()
    if occurrences:
        code = j1939_code(157, 18)  # injector metering rail 1 pressure low, moderately severe
        active = frozenset({DtcStatus.ACTIVE})
        codes = (
            Dtc(
                code, Protocol.J1939, TRUCK_ENGINE, active, spn=157, fmi=18, occurrences=occurrences
            ),
        )
    source = source_name(Protocol.J1939, TRUCK_ENGINE)
    return DtcReport(vin, ts, codes, source=source, lamps=lamps)
