"""``pitstop simulate``: simulated vehicles' CAN traffic, as candump logs or live."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cli.argtypes import positive
from cli.settings import Settings
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle

HELP = "simulate demo EVs: write candump logs or send live on the virtual CAN bus"
DESCRIPTION = """\
Simulate demo EVs (dbc/demo_ev.dbc) driving and parking, with a 12 V battery failing in the
last --faulty of them: its rest voltage falls below 11.8 V about 40 s after the start.

Write one candump -L log per vehicle (<DIR>/<VIN>.log), 10 simulated minutes, as fast as possible:

    pitstop simulate --vehicles 3 --faulty 1 --duration 600 --out sim-logs

Send live on python-can's virtual bus, one channel per vehicle (printed), until Ctrl-C:

    pitstop simulate --bus --vehicles 3 --faulty 1

python-can's virtual bus lives inside one process: a gateway reads a vehicle with
can.Bus(interface="virtual", channel="pitstop-<VIN>") in the same process (as `pitstop demo`
does, and the tests). To feed a gateway in another process, write logs and replay them:

    pitstop gateway --vin PITSTOPDEMO000003 replay sim-logs/PITSTOPDEMO000003.log"""

DEFAULT_LOG_DURATION_S = 600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, metavar="DIR", help="write one log per VIN into DIR")
    target.add_argument("--bus", action="store_true", help="send live on the virtual CAN bus")
    parser.add_argument("--vehicles", type=int, default=3, metavar="N", help="fleet size (3)")
    parser.add_argument(
        "--faulty",
        type=int,
        default=1,
        metavar="N",
        help="vehicles with a failing 12 V battery (1)",
    )
    parser.add_argument(
        "--duration",
        type=positive("seconds"),
        metavar="S",
        help=f"simulated seconds (logs: {DEFAULT_LOG_DURATION_S:.0f}; bus: until Ctrl-C)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the fleet (0)")
    parser.add_argument(
        "--speed",
        type=positive("times real time"),
        default=1.0,
        help="bus only: times faster than real time (1)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from sim.errors import SimError
    from sim.run import demo_fleet

    if args.vehicles < 1:
        raise ConfigError("--vehicles must be at least 1")
    try:
        fleet = demo_fleet(args.vehicles, args.faulty, seed=args.seed)
        if args.bus:
            return _run_bus(fleet, args.duration, args.speed)
        return _write_logs(fleet, args.out, args.duration or DEFAULT_LOG_DURATION_S)
    except SimError as err:
        raise ConfigError(str(err)) from err


def _expectations(fleet: list[SimVehicle]) -> None:
    from sim.run import DEMO_LEVEL

    for vehicle in fleet:
        for fault in vehicle.faults:
            at = vehicle.crossing_time(fault, DEMO_LEVEL)
            when = "never" if at is None else f"at ~{at:.0f} s"
            print(f"{vehicle.vin}: {fault.kind} crosses {DEMO_LEVEL} {when} (expect a job then)")


def _write_logs(fleet: list[SimVehicle], out: Path, duration: float) -> int:
    from sim.frames import load_db
    from sim.run import write_log

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot write the logs into {out}: {err.strerror}") from err
    db = load_db()
    t0 = time.time()
    for vehicle in fleet:
        path = out / f"{vehicle.vin}.log"
        count = write_log(vehicle, path, duration, t0, db)
        print(f"{path}: {count} frames, {duration:.0f} s, {vehicle.pattern}")
    _expectations(fleet)
    return 0


def _run_bus(fleet: list[SimVehicle], duration: float | None, speed: float) -> int:
    from sim.run import channel_for, run_on_bus

    for vehicle in fleet:
        print(f"{vehicle.vin}: virtual channel {channel_for(vehicle.vin)} ({vehicle.pattern})")
    _expectations(fleet)
    print("sending; Ctrl-C stops", flush=True)
    stop = threading.Event()
    try:
        sent = run_on_bus(fleet, stop, duration_s=duration, speed=speed)
    except KeyboardInterrupt:
        stop.set()
        return 130
    for vin, count in sent.items():
        print(f"{vin}: {count} frames sent")
    return 0
