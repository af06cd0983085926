"""What ``pitstop demo`` tells the person running it: where to look, and each job as it is
booked."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cli.demo_config import DemoConfig, DemoEndpoints
    from ingest.store import TelemetryStore
    from jobs.model import Job
    from jobs.store import JobStore
    from sim.vehicle import SimVehicle

LV_RULE_LEVEL = 11.8  # the demo catalogue's 12 V threshold, for the "expect a job" line
LV_DTC = "P0562"  # "12 V system voltage too low": the faulty car's ECU stores it at the crossing


def print_banner(
    out: TextIO, config: DemoConfig, endpoints: DemoEndpoints, fleet: Sequence[SimVehicle]
) -> None:

    embedded = " (embedded)" if config.broker_url is None else ""
    lines = [
        "pitstop demo is running",
        f"  broker    {endpoints.broker_url}{embedded}",
        f"  data      {config.data_dir}/",
        f"  web       {endpoints.api_url}/signin  (sign in with one of the keys below)",
        f"  API       {endpoints.api_url}/api  (send 'Authorization: Bearer <key>')",
    ]
    lines += [f"  key       {role:<14} {key}" for role, key in endpoints.keys.items()]
    for vehicle in fleet:
        state = f"healthy, {vehicle.pattern}"
        for fault in vehicle.faults:
            at = vehicle.crossing_time(fault, LV_RULE_LEVEL)
            when = f"~{at:.0f} s" if at is not None else "never"
            state = (
                f"{fault.kind.replace('_', ' ')}: 12 V crosses {LV_RULE_LEVEL} V at {when}, "
                f"its ECU then stores {LV_DTC}"
            )
        lines.append(f"  vehicle   {vehicle.vin}  {state}")
    lines.append("A job for the faulty car appears within about two minutes. Ctrl-C stops.")
    print("\n".join(lines), file=out, flush=True)


def watch_jobs(
    jobs: JobStore,
    telemetry: TelemetryStore,
    stop: threading.Event,
    out: TextIO | None,
    api_url: str,
    *,
    progress_every: float = 15.0,
) -> None:
    """Print each new job as it is booked, and the sample count now and then."""
    started = time.monotonic()
    seen: set[int] = set()
    next_progress = started + progress_every
    while True:
        stopping = stop.wait(1.0)  # one more pass after stop, so no booked job goes unsaid
        for job in reversed(jobs.list_jobs()):
            if job.id in seen:
                continue
            seen.add(job.id)
            if out is not None:
                print(
                    _describe_job(job, jobs, api_url, time.monotonic() - started),
                    file=out,
                    flush=True,
                )
        if out is not None and time.monotonic() >= next_progress:
            next_progress += progress_every
            print(
                f"[{time.monotonic() - started:5.0f} s] {telemetry.count()} samples stored, "
                f"{len(seen)} job(s)",
                file=out,
                flush=True,
            )
        if stopping:
            return


def _describe_job(job: Job, jobs: JobStore, api_url: str, elapsed: float) -> str:
    workshops = {w.id: w.name for w in jobs.workshops()}
    workshop = workshops.get(job.workshop_id, "no workshop") if job.workshop_id else "no workshop"
    trigger = job.evidence.get("trigger", {})
    window = job.evidence.get("window", {})
    samples = sum(len(points) for points in window.values())
    return (
        f"[{elapsed:5.0f} s] JOB #{job.id} for {job.vin}: {job.title} "
        f"(rule {job.rule_id}, {job.severity}) booked at {workshop}\n"
        f"          evidence: {trigger.get('signal', '?')} {trigger.get('condition', '')} "
        f"held {trigger.get('hold_s', '?')} s, last value {trigger.get('value', '?')}; "
        f"{samples} samples in the window{_codes(job)}\n"
        f"          page {api_url}/jobs/{job.id}/page, JSON {api_url}/jobs/{job.id}"
    )


def _codes(job: Job) -> str:
    codes = job.evidence.get("dtcs") or []
    if not codes:
        return ""
    named = ", ".join(f"{c.get('code')} ({c.get('description', '')})" for c in codes)
    return f"; trouble codes: {named}"
