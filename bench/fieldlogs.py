"""Every real recorded log through the whole loop, with its original timestamps.

    python -m bench.fieldlogs [--only j1939_truck] [--data ../shared/data]

Per log, each part is the real command in a process of its own, as in production: a Mosquitto
of the benchmark's own, ``pitstop ingest`` (SQLite), ``pitstop rules run`` (a job store with the
demo workshop) and ``pitstop gateway ... replay LOG --fast`` with the log's vehicle profile and
the catalogue's triggers (``pitstop rules triggers``), as a car runs in production.
The gateway must exit 0 (every batch answered); then the figures: frames in the log, samples
the gateway spooled, samples the store holds for the vehicle (must be equal: nothing lost,
nothing merged), jobs booked (must be 0: these are healthy vehicles) and seconds.

The baseline in the same run is python-can reading the same log (frames/s), so the loop's speed
reads as a ratio that holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import can

from bench.report import emit
from tests.conftest import REPO, SHARED_DATA
from tests.servers import Mosquitto

DBC_CSS = Path("dbc") / "css"


@dataclass(frozen=True, slots=True)
class FieldLog:
    name: str  # the log's file name without .log
    profile: str  # a profile shipped in dbc/
    vin: str
    dbc_dir: Path  # relative to the data folder: where the profile's DBC files are


LOGS: tuple[FieldLog, ...] = (
    FieldLog("j1939_truck", "j1939_truck.yaml", "FIELDLOGTRUCK0001", DBC_CSS),
    FieldLog("j1939_tp", "j1939_tp.yaml", "FIELDLOGTRUCKTP01", DBC_CSS),
    FieldLog("kona_ev_uds_soc", "kona_ev.yaml", "FIELDLOGKONAEV001", DBC_CSS),
    FieldLog("leaf_uds_soc", "leaf.yaml", "FIELDLOGLEAF00001", DBC_CSS),
    FieldLog("nmea2000_gnss", "nmea2000_gnss.yaml", "FIELDLOGNMEA20001", DBC_CSS),
    FieldLog("canmod_gps", "canmod_gps.yaml", "FIELDLOGCANMODGPS", DBC_CSS),
)


@dataclass(frozen=True, slots=True)
class Result:
    log: str
    frames: int
    spooled: int
    stored: int
    jobs: int
    exit_code: int
    seconds: float
    baseline_frames_per_s: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.spooled == self.stored and self.jobs == 0


def run_log(field: FieldLog, data: Path, workdir: Path) -> Result:
    path = data / "logs" / "css" / f"{field.name}.log"
    frames, baseline = _baseline(path)
    triggers = _triggers(workdir)
    with _cloud(workdir) as (broker, telemetry, jobs):
        started = time.perf_counter()
        done = _pitstop(
            "gateway",
            "--vin",
            field.vin,
            "--profile",
            str(REPO / "dbc" / field.profile),
            "--dbc-dir",
            str(data / field.dbc_dir),
            "--broker",
            broker,
            "--spool",
            str(workdir / f"{field.name}.spool"),
            "--triggers",
            str(triggers),
            "replay",
            str(path),
            "--fast",
            timeout=600,
        )
        seconds = time.perf_counter() - started
        spooled = _spooled(done.stdout + done.stderr)
        stored = _wait_stored(telemetry, field.vin, spooled)
        time.sleep(2.0)  # the rules see what ingest handed on; give them a moment
        booked = _jobs(jobs, field.vin)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return Result(field.name, frames, spooled, stored, booked, done.returncode, seconds, baseline)


def _triggers(workdir: Path) -> Path:
    """The catalogue's triggers, as `pitstop rules triggers` writes them: the car runs with
    them in production, so the healthy logs do too."""
    import yaml

    from rules.loader import DEFAULT_CATALOG, load_catalog
    from rules.triggers import compile_triggers

    path = workdir / "triggers.yaml"
    path.write_text(yaml.safe_dump(compile_triggers(load_catalog(DEFAULT_CATALOG))))
    return path


def _baseline(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    frames = sum(1 for _ in can.LogReader(str(path)))
    return frames, frames / (time.perf_counter() - started)


@contextmanager
def _cloud(workdir: Path) -> Iterator[tuple[str, Path, Path]]:
    broker = Mosquitto(workdir / "mosquitto")
    broker.start()
    telemetry, jobs = workdir / "telemetry.db", workdir / "jobs.db"
    services = [
        _spawn("ingest", "--broker", broker.url, "--store", f"sqlite:///{telemetry}"),
        _spawn(
            "rules",
            "run",
            "--broker",
            broker.url,
            "--jobs",
            f"sqlite:///{jobs}",
            "--seed-demo-workshops",
        ),
    ]
    try:
        time.sleep(3.0)  # both subscribed (their sessions are persistent: nothing is missed)
        yield broker.url, telemetry, jobs
    finally:
        for service in services:
            service.terminate()
            service.wait(20)
        broker.kill()


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _pitstop(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_SAMPLES = re.compile(r"(\d[\d,]*) samples")


def _spooled(output: str) -> int:
    """The samples the gateway says it spooled (its closing summary line)."""
    found = _SAMPLES.findall(output)
    return int(found[-1].replace(",", "")) if found else -1


def _wait_stored(db: Path, vin: str, expected: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = _count(db, vin)
        if count >= expected:
            break
        time.sleep(0.5)
    return count


def _count(db: Path, vin: str) -> int:
    from ingest.sqlite import SqliteStore

    if not db.exists():
        return 0
    store = SqliteStore.open(f"sqlite:///{db}")
    try:
        return store.count(vin)
    finally:
        store.close()


def _jobs(db: Path, vin: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM jobs WHERE vin = ?", (vin,)).fetchone()[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fieldlogs", description=__doc__)
    parser.add_argument("--only", action="append", help="just this log (by name); repeatable")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the shared data folder")
    args = parser.parse_args(argv)
    chosen = [f for f in LOGS if not args.only or f.name in args.only]
    results: list[Result] = []
    for field in chosen:
        with tempfile.TemporaryDirectory(prefix=f"pitstop-fieldlog-{field.name}-") as tmp:
            result = run_log(field, args.data, Path(tmp))
        results.append(result)
        verdict = "ok" if result.ok else "FAILED"
        print(
            f"{result.log:18} {result.frames:8,} frames  {result.spooled:8,} spooled  "
            f"{result.stored:8,} stored  {result.jobs} jobs  exit {result.exit_code}  "
            f"{result.seconds:6.1f} s  ({result.frames / result.seconds:,.0f} frames/s vs "
            f"{result.baseline_frames_per_s:,.0f} read only)  {verdict}",
            flush=True,
        )
    figures: dict[str, object] = {
        "logs": len(results),
        "all_ok": all(r.ok for r in results),
        "frames": sum(r.frames for r in results),
        "samples_spooled": sum(r.spooled for r in results),
        "samples_stored": sum(r.stored for r in results),
        "jobs_booked": sum(r.jobs for r in results),
        "per_log": [
            {
                "log": r.log,
                "frames": r.frames,
                "spooled": r.spooled,
                "stored": r.stored,
                "jobs": r.jobs,
                "exit": r.exit_code,
                "seconds": round(r.seconds, 2),
                "loop_vs_read_only": round((r.frames / r.seconds) / r.baseline_frames_per_s, 4),
            }
            for r in results
        ],
    }
    emit("bench.fieldlogs: real logs through gateway, Mosquitto, ingest and rules", figures)
    return 0 if figures["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
