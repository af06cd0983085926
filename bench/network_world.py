"""The simulated service network of ``bench.network``: workshops with what the booking code
cannot see (repair quality, how often they decline, service levels per aspect), cars with a
home and a brand, and their faults and services over the simulated days. The same seed makes
the same world, so two booking policies run over the very same network."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from jobs.model import Severity
from jobs.network import ASPECTS

HOUR = 3600.0
DAY = 86400.0
START = 1_767_571_200.0  # Monday 2026-01-05 00:00 UTC
CENTRE = (48.14, 11.58)  # the network spreads over about 60 x 60 km around it
SKILLS = ("electrical", "brakes", "tyres", "cooling", "engine")
BRANDS = ("VW", "BMW", "Tesla", "Renault")


@dataclass(frozen=True, slots=True)
class FaultKind:
    rule_id: str
    title: str
    severity: Severity
    skills: tuple[str, ...]
    labour_hours: float
    urgency_s: float


FAULTS = (
    FaultKind(
        "lv-battery-low", "12 V battery low", Severity.WARNING, ("electrical",), 0.5, 3 * DAY
    ),
    FaultKind("brake-pads", "Brake pads worn", Severity.WARNING, ("brakes",), 1.5, 5 * DAY),
    FaultKind("coolant-hot", "Coolant overheating", Severity.CRITICAL, ("cooling",), 2.5, DAY),
    FaultKind("hv-isolation", "HV isolation fault", Severity.CRITICAL, ("high-voltage",), 3.0, DAY),
    FaultKind("tyre-pressure", "Slow puncture", Severity.WARNING, ("tyres",), 0.5, 2 * DAY),
    FaultKind("misfire", "Engine misfire", Severity.WARNING, ("engine",), 2.0, 4 * DAY),
)
SERVICE = FaultKind("service-due", "Annual service", Severity.INFO, ("engine",), 2.0, 14 * DAY)


@dataclass(frozen=True, slots=True)
class ShopTruth:
    """What the simulation knows of a workshop and the booking code does not."""

    holds: float  # chance a "fixed" stays fixed
    declines: float  # chance it declines an offer
    service: tuple[float, ...]  # mean mark per aspect (ASPECTS order)


@dataclass(frozen=True, slots=True)
class Car:
    vin: str
    home: tuple[float, float]
    brand: str
    fleet: bool


@dataclass(frozen=True, slots=True)
class World:
    shops: tuple[dict[str, Any], ...]
    truth: tuple[ShopTruth, ...]
    cars: tuple[Car, ...]
    faults: tuple[tuple[float, int, FaultKind], ...]  # (when, car index, kind)
    comeback_delays: tuple[float, ...]  # drawn in order, one per fix that does not hold
    rolls: tuple[float, ...]  # uniform draws the run consumes in order


def make_world(workshops: int, cars: int, days: float, seed: int) -> World:
    """The same network, cars and faults for every policy."""
    rng = random.Random(seed)
    shops, truth = [], []
    for i in range(workshops):
        partner = i % 3 == 2
        skills = tuple(s for s in SKILLS if rng.random() < 0.7) or ("electrical",)
        good = rng.random() < 0.5
        shops.append(
            {
                "name": f"{'Partner' if partner else 'Pitstop'} {i + 1:02d}",
                "location": f"area {i + 1}",
                "skills": skills,
                "latitude": CENTRE[0] + rng.uniform(-0.3, 0.3),
                "longitude": CENTRE[1] + rng.uniform(-0.4, 0.4),
                "brands": () if rng.random() < 0.7 else tuple(rng.sample(BRANDS, 2)),
                "bays": rng.randint(1, 3),
                "kind": "partner" if partner else "own",
                "high_voltage": rng.random() < 0.35,
            }
        )
        base = rng.uniform(3.8, 4.8) if good else rng.uniform(2.0, 3.4)
        truth.append(
            ShopTruth(
                holds=rng.uniform(0.9, 0.98) if good else rng.uniform(0.55, 0.75),
                declines=rng.uniform(0.1, 0.3) if partner else rng.uniform(0.0, 0.1),
                service=tuple(min(5.0, max(1.0, base + rng.uniform(-0.8, 0.8))) for _ in ASPECTS),
            )
        )
    fleet = [
        Car(
            vin=f"SIMNET{i:011d}",
            home=(CENTRE[0] + rng.uniform(-0.3, 0.3), CENTRE[1] + rng.uniform(-0.4, 0.4)),
            brand=rng.choice(BRANDS),
            fleet=rng.random() < 0.4,
        )
        for i in range(cars)
    ]
    faults: list[tuple[float, int, FaultKind]] = []
    for index in range(cars):
        t = START + rng.expovariate(1 / (45 * DAY))
        while t < START + days * DAY:
            faults.append((t, index, rng.choice(FAULTS)))
            t += rng.expovariate(1 / (45 * DAY))
        if rng.random() < days / 365 * 1.5:
            faults.append((START + rng.uniform(0, days * DAY), index, SERVICE))
    faults.sort(key=lambda f: (f[0], f[1]))
    delays = tuple(rng.uniform(2 * DAY, 20 * DAY) for _ in range(20_000))
    rolls = tuple(rng.random() for _ in range(400_000))
    return World(tuple(shops), tuple(truth), tuple(fleet), tuple(faults), delays, rolls)
