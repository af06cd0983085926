"""Runners: candump logs as fast as possible, or live frames on python-can's virtual bus."""

from __future__ import annotations

import heapq
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import can

from sim.errors import SimError
from sim.faults import Fault, crossing_time
from sim.frames import frames, load_db
from sim.vehicle import SimVehicle

log = logging.getLogger(__name__)

LOG_CHANNEL = "can0"
DEMO_LEVEL = 11.8
DEMO_CROSS_AT_S = 40.0
DEMO_ONSET_S = 10.0
LATE_WARNING_S = 1.0


def demo_vins(n: int) -> list[str]:
    """``PITSTOPDEMO000001``, ``PITSTOPDEMO000002``, ... (17 characters each)."""
    return [f"PITSTOPDEMO{i:06d}" for i in range(1, n + 1)]


def channel_for(vin: str) -> str:
    """The virtual-bus channel a vehicle's frames go to (a gateway opens the same one)."""
    return f"pitstop-{vin}"


def demo_fleet(
    n: int = 3,
    faulty: int = 1,
    seed: int = 0,
    cross_at_s: float = DEMO_CROSS_AT_S,
    level: float = DEMO_LEVEL,
) -> list[SimVehicle]:
    """The demo's fleet: ``n - faulty`` commuting healthy vehicles, then ``faulty`` parked ones
    whose 12 V rest voltage declines and crosses ``level`` about ``cross_at_s`` after start."""
    if not 0 <= faulty <= n:
        raise SimError(f"faulty must be between 0 and the number of vehicles ({n}), not {faulty}")
    if cross_at_s <= 0:
        raise SimError(f"cross_at_s must be > 0, not {cross_at_s}")
    fleet = []
    for i, vin in enumerate(demo_vins(n)):
        if i < n - faulty:
            fleet.append(SimVehicle(vin, seed + i, "commute"))
            continue
        healthy = SimVehicle(vin, seed + i, "parked")
        fleet.append(SimVehicle(vin, seed + i, "parked", (_decline(healthy, cross_at_s, level),)))
    return fleet


def _decline(vehicle: SimVehicle, cross_at_s: float, level: float) -> Fault:
    """A 12 V decline on ``vehicle`` that reaches ``level`` at ``cross_at_s``."""
    onset = min(DEMO_ONSET_S, cross_at_s / 2.0)
    probe = Fault("battery_12v_decline", onset, 1.0)
    per_second = crossing_time(probe, level, vehicle.baseline(probe.kind))
    if per_second is None or per_second <= onset:
        raise SimError(f"a 12 V decline never crosses {level} V")
    return Fault(probe.kind, onset, (cross_at_s - onset) / (per_second - onset))


def write_log(
    vehicle: SimVehicle, path: Path, duration_s: float, t0_epoch: float, db: Any = None
) -> int:
    """Write ``duration_s`` of the vehicle's frames to a candump ``-L`` log; return the count.

    The file appears whole (written beside it, then renamed), so a reader never sees half.
    """
    db = db or load_db()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial.log")
    count = 0
    try:
        writer = can.CanutilsLogWriter(tmp, channel=LOG_CHANNEL)
        try:
            for msg in frames(vehicle, db, 0.0, duration_s, t0_epoch, channel=LOG_CHANNEL):
                writer.on_message_received(msg)
                count += 1
        finally:
            writer.stop()
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise SimError(f"cannot write {path}: {err}") from err
    return count


def run_on_bus(
    vehicles: Sequence[SimVehicle],
    stop: threading.Event,
    duration_s: float | None = None,
    speed: float = 1.0,
    t0_epoch: float | None = None,
) -> dict[str, int]:
    """Send every vehicle's frames live, each on its own virtual channel (``channel_for``).

    Paced against the wall clock from the start (no drift; ``speed`` > 1 runs faster than
    real time). Returns the frames sent per VIN once ``stop`` is set or ``duration_s``
    simulated seconds have been sent. Frame timestamps are ``t0_epoch + t`` (default now).
    """
    if speed <= 0:
        raise SimError(f"speed must be > 0, not {speed}")
    db = load_db()
    t0 = time.time() if t0_epoch is None else t0_epoch
    end = math.inf if duration_s is None else duration_s
    sent = {v.vin: 0 for v in vehicles}
    buses: dict[str, can.BusABC] = {}
    try:
        for v in vehicles:
            buses[v.vin] = can.Bus(
                interface="virtual", channel=channel_for(v.vin), preserve_timestamps=True
            )
        _pace(_merged(vehicles, db, end, t0), buses, sent, stop, t0=t0, speed=speed)
    finally:
        for bus in buses.values():
            bus.shutdown()
    return sent


def _merged(
    vehicles: Sequence[SimVehicle], db: Any, end: float, t0: float
) -> Iterator[tuple[float, str, can.Message]]:
    """All vehicles' frames as one stream in timestamp order, each labelled with its VIN."""
    streams = [_labelled(v, db, end, t0) for v in vehicles]
    return heapq.merge(*streams, key=lambda item: (item[0], item[1]))


def _labelled(
    vehicle: SimVehicle, db: Any, end: float, t0: float
) -> Iterator[tuple[float, str, can.Message]]:
    channel = channel_for(vehicle.vin)
    for msg in frames(vehicle, db, 0.0, end, t0, channel=channel):
        yield msg.timestamp, vehicle.vin, msg


def _pace(
    stream: Iterator[tuple[float, str, can.Message]],
    buses: dict[str, can.BusABC],
    sent: dict[str, int],
    stop: threading.Event,
    *,
    t0: float,
    speed: float,
) -> None:
    start = time.monotonic()
    late_logged = False
    for stamp, vin, msg in stream:
        delay = start + (stamp - t0) / speed - time.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        if stop.is_set():
            return
        if delay < -LATE_WARNING_S and not late_logged:
            log.warning("simulator is %.1f s behind the wall clock", -delay)
            late_logged = True
        try:
            buses[vin].send(msg)
        except can.CanError:
            log.exception("cannot send frame 0x%x for %s", msg.arbitration_id, vin)
            continue
        sent[vin] += 1
