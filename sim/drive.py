"""Drive/park schedules: a lazily grown list of phases with closed-form speed and distance.

A phase's speed is a cosine ramp from ``v0`` to ``v1`` plus a sine wobble of whole periods,
so speed, acceleration and distance are all exact functions of time and consecutive phases
join smoothly. The state that must be integrated (distance, state of charge, temperatures)
is carried from phase to phase when the schedule grows, so ``Schedule.at(t)`` stays pure.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from dataclasses import dataclass
from enum import Enum

from sim.errors import SimError

PATTERNS = ("commute", "parked", "daily")
"""``commute``: time-compressed (minutes of driving, minutes parked); ``parked``: never moves;
``daily``: real time, parked overnight, a 15-40 minute drive about 07:00 and 17:00 each day."""

DAY_S = 86400.0
COMMUTE_HOURS = (7.0, 17.0)


class Mode(Enum):
    PARK = "park"
    DRIVE = "drive"
    CHARGE = "charge"


@dataclass(frozen=True, slots=True)
class Thermal:
    """Temperatures (degC) of motor, coolant, inverter and pack."""

    motor: float
    coolant: float
    inverter: float
    pack: float


TIME_CONSTANTS = Thermal(motor=90.0, coolant=150.0, inverter=60.0, pack=400.0)
SOC_PER_KM = 0.5  # % per km: time-compressed, so a few minutes of driving shows
CHARGE_RATE = 0.5  # % per second, also compressed
CHARGE_BELOW = 30.0
CHARGE_TO = 85.0
COOLANT_RISE = 25.0  # degC above ambient that healthy coolant settles at while driving
MOTOR_RISE = 45.0


@dataclass(frozen=True, slots=True)
class Phase:
    start: float
    duration: float
    mode: Mode
    v0: float = 0.0  # km/h at start of the ramp
    v1: float = 0.0  # km/h at its end
    amp: float = 0.0  # km/h of sine wobble
    period: float = 1.0  # s, duration is a whole number of periods when amp > 0
    km0: float = 0.0  # distance travelled before this phase
    soc0: float = 80.0
    heat0: Thermal = Thermal(20.0, 20.0, 20.0, 20.0)
    after_drive: bool = False

    @property
    def end(self) -> float:
        return self.start + self.duration

    def speed(self, tau: float) -> float:
        """km/h, tau seconds into the phase."""
        ramp = (self.v1 - self.v0) * (1.0 - math.cos(math.pi * tau / self.duration)) / 2.0
        return self.v0 + ramp + self.amp * math.sin(2.0 * math.pi * tau / self.period)

    def accel(self, tau: float) -> float:
        """m/s^2, tau seconds into the phase."""
        d, p = self.duration, self.period
        ramp = (self.v1 - self.v0) / 2.0 * math.pi / d * math.sin(math.pi * tau / d)
        wobble = self.amp * 2.0 * math.pi / p * math.cos(2.0 * math.pi * tau / p)
        return (ramp + wobble) / 3.6

    def km(self, tau: float) -> float:
        """Total distance (km) tau seconds into the phase."""
        if self.mode is not Mode.DRIVE:
            return self.km0
        d, p, dv = self.duration, self.period, self.v1 - self.v0
        ramp = dv / 2.0 * (tau - d / math.pi * math.sin(math.pi * tau / d))
        wobble = self.amp * p / (2.0 * math.pi) * (1.0 - math.cos(2.0 * math.pi * tau / p))
        return self.km0 + (self.v0 * tau + ramp + wobble) / 3600.0

    def soc(self, tau: float) -> float:
        if self.mode is Mode.CHARGE:
            return min(CHARGE_TO, self.soc0 + CHARGE_RATE * tau)
        return max(0.0, self.soc0 - SOC_PER_KM * (self.km(tau) - self.km0))


def relax(start: Thermal, target: Thermal, tau: float) -> Thermal:
    """First-order lag of each temperature towards its target after tau seconds."""

    def one(a: float, b: float, k: float) -> float:
        return b + (a - b) * math.exp(-tau / k)

    tc = TIME_CONSTANTS
    return Thermal(
        one(start.motor, target.motor, tc.motor),
        one(start.coolant, target.coolant, tc.coolant),
        one(start.inverter, target.inverter, tc.inverter),
        one(start.pack, target.pack, tc.pack),
    )


class Schedule:
    """The phases of one vehicle, generated on demand from a seeded RNG, always in order."""

    def __init__(
        self, seed: int, pattern: str, ambient: float, soc: float, idle_s: float = 0.0
    ) -> None:
        """``idle_s``: every drive starts standing with the engine running (a combustion
        engine warming up); 0 for the EV."""
        if pattern not in PATTERNS:
            raise SimError(f"unknown driving pattern {pattern!r} (known: {', '.join(PATTERNS)})")
        self.pattern = pattern
        self.ambient = ambient
        self.idle_s = idle_s
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        heat = Thermal(ambient, ambient, ambient, ambient)
        first = {"parked": 1e18, "daily": _next_commute(0.0, self._rng)}.get(
            pattern, self._rng.uniform(20.0, 60.0)
        )
        self.phases: list[Phase] = [Phase(0.0, first, Mode.PARK, soc0=soc, heat0=heat)]
        self._starts: list[float] = [0.0]

    def target(self, mode: Mode) -> Thermal:
        """Where the temperatures head in each mode (healthy cooling)."""
        a = self.ambient
        if mode is Mode.DRIVE:
            return Thermal(a + MOTOR_RISE, a + COOLANT_RISE, a + 30.0, a + 12.0)
        if mode is Mode.CHARGE:
            return Thermal(a, a + 8.0, a + 5.0, a + 10.0)
        return Thermal(a, a, a, a)

    def at(self, t: float) -> Phase:
        """The phase running at time t (t < 0 counts as 0)."""
        if self.phases[-1].end <= t:
            with self._lock:
                while self.phases[-1].end <= t:
                    self._grow()
        return self.phases[max(0, bisect.bisect_right(self._starts, t) - 1)]

    def _append(self, duration: float, mode: Mode, **motion: float) -> None:
        last = self.phases[-1]
        heat = relax(last.heat0, self.target(last.mode), last.duration)
        phase = Phase(
            start=last.end,
            duration=duration,
            mode=mode,
            km0=last.km(last.duration),
            soc0=last.soc(last.duration),
            heat0=heat,
            after_drive=last.mode is not Mode.PARK,
            **motion,
        )
        self.phases.append(phase)
        self._starts.append(phase.start)

    def _grow(self) -> None:
        """Append one drive (legs between stops), then a charge if needed, then a park."""
        rng = self._rng
        daily = self.pattern == "daily"
        drive_s = rng.uniform(900.0, 2400.0) if daily else rng.uniform(180.0, 420.0)
        drive_until = self.phases[-1].end + drive_s
        if self.idle_s > 0:
            self._append(self.idle_s, Mode.DRIVE)
        while self.phases[-1].end < drive_until:
            self._leg(rng)
        if self.phases[-1].soc(self.phases[-1].duration) < CHARGE_BELOW:
            soc = self.phases[-1].soc(self.phases[-1].duration)
            self._append((CHARGE_TO - soc) / CHARGE_RATE, Mode.CHARGE)
        end = self.phases[-1].end
        park = _next_commute(end, rng) - end if daily else rng.uniform(60.0, 180.0)
        self._append(park, Mode.PARK)

    def _leg(self, rng: random.Random) -> None:
        """Pull away, cruise at one or two speeds, brake to a stop and wait."""
        v = rng.uniform(30.0, 100.0)
        self._append(max(5.0, v / 8.0), Mode.DRIVE, v0=0.0, v1=v)
        for _ in range(rng.randint(1, 3)):
            amp = rng.uniform(1.0, 4.0)
            period = rng.uniform(8.0, 20.0)
            self._append(period * rng.randint(1, 3), Mode.DRIVE, v0=v, v1=v, amp=amp, period=period)
            nxt = rng.uniform(30.0, 105.0 - amp)
            self._append(max(4.0, abs(nxt - v) / 6.0), Mode.DRIVE, v0=v, v1=nxt)
            v = nxt
        self._append(max(5.0, v / 6.0), Mode.DRIVE, v0=v, v1=0.0)
        self._append(rng.uniform(5.0, 20.0), Mode.DRIVE)


def _next_commute(t: float, rng: random.Random) -> float:
    """The start of the next daily commute after ``t`` (t = 0 is midnight), jittered by an hour."""
    day = math.floor(t / DAY_S)
    for offset in (0, 1):
        for hour in COMMUTE_HOURS:
            start = (day + offset) * DAY_S + hour * 3600.0 + rng.uniform(0.0, 3600.0)
            if start > t + 600.0:
                return start
    return t + DAY_S  # unreachable: tomorrow's first commute is always later
