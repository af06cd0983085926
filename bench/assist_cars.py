"""Simulated faulty cars for the assistant: one per catalogue diagnosis the car can show, its
telemetry store filled through the store's public write methods.

A rule that watches a signal (``assist.watch``) gets ten days of that signal drifting from a
healthy value to just past its limit (a reading every three hours); a trouble-code rule gets
a DTC report with a code its glob matches. Diagnoses the car cannot show by itself (the yearly
service, a silent car, a J1939 lamp without a code) have no faulty car.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assist.catalogue import Entry
from assist.watch import watches
from ingest.store import TelemetryStore
from pitstop.codec import Sample, TelemetryBatch
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from rules.conditions import Direction, DtcPattern

DAY = 86400.0
DRIFT_DAYS = 10
# A code each DTC glob of the catalogue matches, with the description an OBD scan gives.
CODES = {
    "P030[0-6]": ("P0302", "Cylinder 2 Misfire Detected"),
    "P017[14]": ("P0171", "System Too Lean (Bank 1)"),
    "P017[25]": ("P0172", "System Too Rich (Bank 1)"),
    "P04[23]0": ("P0420", "Catalyst System Efficiency Below Threshold (Bank 1)"),
    "P0A78": ("P0A78", "Drive Motor A Inverter Performance"),
    "P0AA6": ("P0AA6", "Hybrid Battery Voltage System Isolation Fault"),
}


@dataclass(frozen=True, slots=True)
class FaultyCar:
    key: str  # the entry whose fault it shows
    rule_id: str
    vin: str


def faulty_cars(entries: Sequence[Entry]) -> list[FaultyCar]:
    cars: list[FaultyCar] = []
    for entry in entries:
        for rule in entry.rules:
            cond = rule.condition
            code = isinstance(cond, DtcPattern) and cond.code in CODES
            if watches(rule) or code:
                cars.append(FaultyCar(entry.key, rule.id, f"WPITSTOPASSIST{len(cars):03d}"))
                break
    return cars


def fill_fault(store: TelemetryStore, car: FaultyCar, entries: Sequence[Entry], now: float) -> None:
    rule = next(r for e in entries for r in e.rules if r.id == car.rule_id)
    cond = rule.condition
    if isinstance(cond, DtcPattern) and cond.code in CODES:
        code, description = CODES[cond.code]
        dtc = Dtc(code, Protocol.OBD, 0x7E8, frozenset({DtcStatus.CONFIRMED}), description)
        store.write_dtc_report(DtcReport(car.vin, now - DAY, (dtc,), source="bench"), now)
        return
    watch = watches(rule)[0]
    margin = max(abs(watch.level) * 0.15, 1.0)
    below = watch.direction is Direction.BELOW
    start = watch.level + margin if below else watch.level - margin
    end = watch.level - margin * 0.05 if below else watch.level + margin * 0.05
    steps = DRIFT_DAYS * 8
    samples = tuple(
        Sample(
            watch.signal,
            now - DRIFT_DAYS * DAY + i * DAY / 8,
            start + (end - start) * i / (steps - 1),
        )
        for i in range(steps)
    )
    store.write_batch(TelemetryBatch(car.vin, 1, "bench-assist", samples))
