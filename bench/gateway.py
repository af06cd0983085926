"""Gateway throughput and data volume: ``python -m bench.gateway [--hours H]``.

Inputs: the real truck log (../shared/data/logs/css/j1939_truck.log, J1939, decoded with
j1939_demo.dbc by a profile this benchmark writes) and a long demo-vehicle log written by the
simulator (one commuting car, ``--hours`` of driving time). Timestamps are moved to the last
hours so that ingest accepts them.

1. Baseline, same run, same frames: plain cantools, ``db.get_message_by_frame_id(id).decode``
   per frame (``Database.decode_message`` ignores J1939's frame-id mask, so it would decode none
   of the truck's frames).
2. Pipeline on one core: the gateway's reader (decode, reduce under the plan, encode, SQLite
   spool with fsync per batch) over the frames in memory: log parsing (python-can's LogReader,
   about 100,000 lines/s) is not the gateway's work and is left out. The truck at full rate (no
   plan: every frame decoded), the demo car under its default plan (dbc/demo_ev.plan.yaml).
Each rate is the best of three runs (wall clock), the same for the baseline and the gateway.

3. End to end: the whole gateway (``run_gateway``) publishing to a Mosquitto this benchmark
   starts, the real ingest (SQLite store) acknowledging; timed until the last ack.

Bytes on the wire are payloads plus MQTT PUBLISH overhead (fixed header, topic, packet id).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import can
import cantools
from cantools.database.can import Database

from bench.report import emit

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TRUCK_LOG = SHARED / "logs" / "css" / "j1939_truck.log"
TRUCK_DBC = SHARED / "dbc" / "css" / "j1939_demo.dbc"
VIN = "WPITSTOPBENCH0001"
MQTT_OVERHEAD = 2 + 2 + 2
REPEAT = 3  # each rate is the best of this many runs: other work on the machine only slows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--hours", type=float, default=1.0, help="demo log length (default: 1)")
    args = parser.parse_args(argv)
    if not TRUCK_LOG.is_file():
        print(f"bench.gateway: {TRUCK_LOG} is absent", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        return _run(Path(tmp), args.hours)


def _run(tmp: Path, hours: float) -> int:
    import dbc

    now = time.time()
    print("reading the truck log and writing the demo log ...", flush=True)
    truck = _retimed(list(can.LogReader(TRUCK_LOG)), now - 3 * 3600)
    demo = _demo_frames(tmp / "demo.log", hours, now - hours * 3600)
    truck_profile = _truck_profile(tmp)
    plan = dbc.DIR / "demo_ev.plan.yaml"

    print(f"cantools baseline over {len(truck) + len(demo):,} frames ...", flush=True)
    truck_db = cantools.database.load_file(TRUCK_DBC, frame_id_mask=0x03FFFF00)
    base_truck = max(_cantools_rate(truck_db, truck) for _ in range(REPEAT))
    base_demo = max(
        _cantools_rate(cantools.database.load_file(dbc.DEMO_DBC), demo) for _ in range(REPEAT)
    )
    base = (len(truck) + len(demo)) / (len(truck) / base_truck + len(demo) / base_demo)

    print("gateway pipeline (decode, reduce, encode, spool) ...", flush=True)
    truck_run = min(
        (_pipeline(tmp / f"truck{i}.db", truck_profile, None, truck) for i in range(REPEAT)),
        key=lambda run: run.seconds,
    )
    demo_run = min(
        (_pipeline(tmp / f"demo{i}.db", dbc.DEMO_PROFILE, plan, demo) for i in range(REPEAT)),
        key=lambda run: run.seconds,
    )
    frames = len(truck) + len(demo)
    rate = frames / (truck_run.seconds + demo_run.seconds)

    print("decode path alone on the demo frames (every frame decodes, no plan) ...", flush=True)
    fast_decode = max(_decoder_rate(dbc.DEMO_PROFILE, demo) for _ in range(REPEAT))

    print("end to end (Mosquitto + ingest) ...", flush=True)
    e2e_seconds, stored = _end_to_end(tmp, dbc.DEMO_PROFILE, plan, demo)

    driving_h = _driving_hours(demo)
    wire = demo_run.payload_bytes + demo_run.batches * (
        MQTT_OVERHEAD + len(f"pitstop/v1/{VIN}/telemetry")
    )
    figures = {
        "frames_per_s": round(rate),
        "decode_only_frames_per_s": round(base),
        "ratio_vs_cantools": round(rate / base, 2),
        "truck_frames_per_s": round(len(truck) / truck_run.seconds),
        "truck_cantools_frames_per_s": round(base_truck),
        "demo_frames_per_s": round(len(demo) / demo_run.seconds),
        "demo_cantools_frames_per_s": round(base_demo),
        "decoder_frames_per_s": round(fast_decode),
        "decoder_ratio_vs_cantools": round(fast_decode / base_demo, 2),
        "end_to_end_frames_per_s": round(len(demo) / e2e_seconds),
        "end_to_end_samples_stored": stored,
        "demo_samples_sent": demo_run.samples,
        "demo_batches": demo_run.batches,
        "bytes_per_sample": round(wire / max(demo_run.samples, 1), 2),
        "driving_hours": round(driving_h, 3),
        "mb_per_driving_hour": round(wire / 1e6 / max(driving_h, 1e-9), 3),
    }
    notes = {
        "frames_per_s": "goal >= 150,000 (both logs, one core, spool on)",
        "decode_only_frames_per_s": "plain cantools over the same frames",
        "truck_frames_per_s": "no plan: every frame decoded",
        "demo_frames_per_s": "default plan: frames not due are not decoded",
        "mb_per_driving_hour": "goal <= 1 MB (default plan)",
        "decoder_frames_per_s": "Decoder.decode_into alone, every mapped signal to Samples",
        "end_to_end_frames_per_s": "bounded by the 100 publishes/s quota and ack round trips",
    }
    emit("bench.gateway", figures, notes)
    return 0


class _Run:
    def __init__(self, seconds: float, batches: int, samples: int, payload_bytes: int) -> None:
        self.seconds, self.batches = seconds, batches
        self.samples, self.payload_bytes = samples, payload_bytes


def _pipeline(
    spool_path: Path, profile_path: Path, plan_path: Path | None, frames: list[can.Message]
) -> _Run:
    from gateway.decode import Decoder
    from gateway.handover import ReaderControl
    from gateway.plan import load_plan
    from gateway.profile import load_profile
    from gateway.reader import BatchPolicy, Reader
    from gateway.sources import SourceSpec, open_source
    from gateway.spool import Spool

    profile = load_profile(profile_path)
    plan = None
    if plan_path is not None:
        plan = load_plan(plan_path, [m.canonical for m in profile.signals])
    with Spool(spool_path) as spool, open_source(SourceSpec.memory(frames)) as source:
        policy = BatchPolicy(VIN, profile.hash)
        control = ReaderControl(plan)
        reader = Reader(source, Decoder(profile), spool, policy, control=control)
        started = time.perf_counter()
        reader.run(threading.Event())
        seconds = time.perf_counter() - started
        if reader.state.error is not None:
            raise RuntimeError(f"the reader failed: {reader.state.error}")
        return _Run(seconds, reader.state.batches, reader.state.samples, spool.depth().bytes)


def _end_to_end(
    tmp: Path, profile: Path, plan: Path, frames: list[can.Message]
) -> tuple[float, int]:
    from gateway.runner import GatewayConfig, run_gateway
    from gateway.sources import SourceSpec
    from ingest.consumer import IngestConfig, run_ingest
    from ingest.sqlite import SqliteStore
    from ingest.validate import Policy

    with _mosquitto(tmp / "mosquitto") as url:
        store = SqliteStore(str(tmp / "telemetry.db"))
        stop_ingest = threading.Event()
        ready = threading.Event()
        config = IngestConfig(broker_url=url, client_id="bench-ingest", policy=Policy())
        ingest = threading.Thread(target=run_ingest, args=(config, store, stop_ingest, ready))
        ingest.start()
        try:
            ready.wait(10)
            gateway = GatewayConfig(
                vin=VIN,
                profile=profile,
                source=SourceSpec.memory(frames),
                spool=tmp / "e2e-spool.db",
                broker_url=url,
                plan=plan,
            )
            started = time.perf_counter()
            stats = run_gateway(gateway, threading.Event())
            seconds = time.perf_counter() - started
        finally:
            stop_ingest.set()
            ingest.join(30)
        if not stats.completed:
            raise RuntimeError("the end-to-end run did not complete")
        return seconds, stats.samples


def _decoder_rate(profile_path: Path, frames: list[can.Message]) -> float:
    from gateway.decode import Decoder
    from gateway.profile import load_profile

    decode_into = Decoder(load_profile(profile_path)).decode_into
    out: list[object] = []
    started = time.perf_counter()
    for msg in frames:
        decode_into(msg, out)  # type: ignore[arg-type]
    return len(frames) / (time.perf_counter() - started)


def _cantools_rate(db: object, frames: list[can.Message]) -> float:
    assert isinstance(db, Database)
    lookup = db.get_message_by_frame_id
    inputs = [(m.arbitration_id | (m.is_extended_id << 31), bytes(m.data)) for m in frames]
    started = time.perf_counter()
    for frame_id, data in inputs:
        try:
            lookup(frame_id).decode(data, decode_choices=False)
        except Exception:  # unknown id or undecodable: what a decoder meets on a real bus
            continue
    return len(frames) / (time.perf_counter() - started)


def _retimed(frames: list[can.Message], t0: float) -> list[can.Message]:
    shift = t0 - frames[0].timestamp
    for msg in frames:
        msg.timestamp += shift
    return frames


def _demo_frames(path: Path, hours: float, t0: float) -> list[can.Message]:
    from sim.run import demo_fleet, write_log

    write_log(demo_fleet(1, 0)[0], path, hours * 3600, t0)
    return list(can.LogReader(path))


def _driving_hours(frames: list[can.Message]) -> float:
    """Time with the demo car moving: VCU_Status frames (10 Hz) with a speed above zero."""
    import dbc

    db = cantools.database.load_file(dbc.DEMO_DBC)
    assert isinstance(db, Database)
    status = db.get_message_by_name("VCU_Status")
    moving = [m for m in frames if m.arbitration_id == status.frame_id]
    fast = sum(1 for m in moving if _speed(status.decode(bytes(m.data))) > 0)
    span = frames[-1].timestamp - frames[0].timestamp
    return span / 3600 * fast / max(len(moving), 1)


def _speed(values: object) -> float:
    assert isinstance(values, dict)
    return float(values["VehicleSpeed"])


def _truck_profile(tmp: Path) -> Path:
    path = tmp / "truck.yaml"
    path.write_text(
        "name: truck\nbuses:\n  - name: can1\n"
        f"    dbc: [{TRUCK_DBC}]\n    j1939: true\n"
        "signals:\n"
        "  Vehicle.Powertrain.CombustionEngine.Speed: {message: EEC1, signal: EngineSpeed}\n"
        "  Vehicle.Speed: {message: CCVS1, signal: WheelBasedVehicleSpeed}\n"
    )
    return path


@contextmanager
def _mosquitto(workdir: Path) -> Iterator[str]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    workdir.mkdir(parents=True)
    config = workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\n"
        "log_dest none\n" + ("user root\n" if os.geteuid() == 0 else "")
    )
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


if __name__ == "__main__":
    sys.exit(main())
