"""The whole loop's latency: from the CAN frame that completes a rule's hold to the job being
visible through the API.

Every part is the real one, each on its own thread as in ``pitstop demo``, with a real Mosquitto:
per vehicle a gateway reading python-can's virtual bus, then ingest, the rules worker, the job
store and the API (uvicorn) with an engineer's key. A sender puts the demo EV's 12 V frame on
each vehicle's bus every 100 ms; at a staggered moment the voltage drops below the
``lv-battery-low`` rule's level, and 20 s (its hold) later the rule fires. The latency of a
vehicle is the moment its job first appears in ``GET /jobs`` (polled every 50 ms) minus the
job's ``fired_at``: the timestamp of the frame that completed the hold.

The gateway sends about one batch a second (``batch_interval``, what owners pay for in data):
the frame that completes the hold waits up to that long in the car. The run is made with the
default interval and with a short one, so both parts of the figure show; and with the
gateway's triggers (``gateway.triggers``, compiled from the same catalogue as the cloud's by
``rules.triggers``): the frame that completes the hold closes its batch at once.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import can

RULE = "lv-battery-low"
HOLD_S = 20.0  # the rule's `for:` in rules/catalog/default.yaml
FRAME_S = 0.1
POLL_S = 0.05


def full_loop_latency(
    vehicles: int, batch_interval: float, *, triggers: bool = False
) -> list[float]:
    """Seconds from the frame completing the hold to the job in the API, one per vehicle;
    with ``triggers`` the gateways load the default catalogue's compiled triggers."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def spawn(target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        threads.append(thread)

    with tempfile.TemporaryDirectory(prefix="pitstop-bench-loop-") as tmp, ExitStack() as stack:
        try:
            broker_url, api_url, key = _start_cloud(stack, Path(tmp), stop, spawn)
            compiled = _write_triggers(Path(tmp)) if triggers else None
            vins = [f"PITSTOPLOOP{i:06d}" for i in range(vehicles)]
            start = time.time() + 2.0
            drops = {vin: start + i * 0.37 for i, vin in enumerate(vins)}
            for vin in vins:
                spawn(_gateway(Path(tmp), vin, broker_url, batch_interval, stop, triggers=compiled))
            spawn(lambda: _send_frames(vins, drops, stop))
            deadline = max(drops.values()) + HOLD_S + 30.0
            return _poll_jobs(api_url, key, set(vins), deadline)
        finally:
            stop.set()
            for thread in threads:
                thread.join(15)


def _start_cloud(
    stack: ExitStack,
    tmp: Path,
    stop: threading.Event,
    spawn: Callable[[Callable[[], object]], None],
) -> tuple[str, str, str]:
    """Broker, stores, ingest, rules and the API; returns (broker URL, API URL, a key)."""
    import uvicorn

    from api.app import create_app
    from api.keys import KeyStore, Role
    from ingest.consumer import IngestConfig, run_ingest
    from ingest.sqlite import SqliteStore
    from jobs.seed import ensure_demo_workshops
    from jobs.sql.store import SqlJobStore
    from rules.jobsink import JobSink
    from rules.worker import RulesConfig, run_rules
    from tests.servers import Mosquitto, free_port

    broker = Mosquitto(tmp / "mosquitto")
    broker.start()
    stack.callback(broker.kill)
    telemetry = SqliteStore.open(f"sqlite:///{tmp / 'telemetry.db'}")
    stack.callback(telemetry.close)
    jobs_url = f"sqlite:///{tmp / 'jobs.db'}"
    jobs = SqlJobStore.open(jobs_url)
    stack.callback(jobs.close)
    ensure_demo_workshops(jobs)
    keys = KeyStore.open(jobs_url)
    stack.callback(keys.close)
    _, secret = keys.create("bench", Role.ENGINEER, time.time())
    ready = [threading.Event(), threading.Event()]
    ingest = IngestConfig(broker_url=broker.url, client_id="bench-loop-ingest")
    rules = RulesConfig(broker_url=broker.url, client_id="bench-loop-rules")
    spawn(lambda: run_ingest(ingest, telemetry, stop, ready[0]))
    spawn(lambda: run_rules(rules, JobSink(jobs), stop, ready[1]))
    for event in ready:
        if not event.wait(30):
            raise RuntimeError("ingest or the rules worker did not subscribe within 30 s")
    port = free_port()
    app = create_app(telemetry, jobs, keys=keys)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    spawn(server.run)

    def stop_server() -> None:
        stop.wait()
        server.should_exit = True

    spawn(stop_server)
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not start within 20 s")
        time.sleep(0.05)
    return broker.url, f"http://127.0.0.1:{port}", secret


def _write_triggers(tmp: Path) -> Path:
    """What ``pitstop rules triggers`` writes for the default catalogue."""
    import yaml

    from rules.loader import DEFAULT_CATALOG, load_catalog
    from rules.triggers import compile_triggers

    path = tmp / "triggers.yaml"
    path.write_text(yaml.safe_dump(compile_triggers(load_catalog(DEFAULT_CATALOG))))
    return path


def _gateway(
    tmp: Path,
    vin: str,
    broker_url: str,
    batch_interval: float,
    stop: threading.Event,
    *,
    triggers: Path | None,
) -> Callable[[], object]:
    from dataclasses import replace

    from cli.demo import virtual_bus_gateway
    from gateway.runner import run_gateway

    config = virtual_bus_gateway(vin, f"loop-{vin}", tmp, broker_url, batch_interval)
    config = replace(config, triggers=triggers)
    return lambda: run_gateway(config, stop)


def _send_frames(vins: list[str], drops: dict[str, float], stop: threading.Event) -> None:
    from dbc import DEMO_DBC
    from sim.frames import load_db

    message = load_db(DEMO_DBC).get_message_by_name("DCDC_12V")
    frames = {
        volts: message.encode({"LvBatteryVoltage": volts, "LvBatteryCurrent": 0, "DcdcState": 0})
        for volts in (12.6, 11.0)
    }
    with _buses(vins) as buses:
        next_at = time.monotonic()
        while not stop.is_set():
            now = time.time()
            for vin, bus in buses.items():
                data = frames[11.0 if now >= drops[vin] else 12.6]
                bus.send(
                    can.Message(arbitration_id=message.frame_id, data=data, is_extended_id=False)
                )
            next_at += FRAME_S
            stop.wait(max(0.0, next_at - time.monotonic()))


@contextmanager
def _buses(vins: list[str]) -> Iterator[dict[str, can.BusABC]]:
    buses = {vin: can.Bus(interface="virtual", channel=f"loop-{vin}") for vin in vins}
    try:
        yield buses
    finally:
        for bus in buses.values():
            bus.shutdown()


def _poll_jobs(api_url: str, key: str, vins: set[str], deadline: float) -> list[float]:
    import httpx

    seen: dict[str, float] = {}
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {key}"}) as api:
        while len(seen) < len(vins) and time.time() < deadline:
            visible_at = time.time()
            for job in api.get("/jobs", params={"status": "proposed"}).json():
                if job["rule_id"] == RULE and job["vin"] in vins and job["vin"] not in seen:
                    seen[job["vin"]] = visible_at - job["fired_at"]
            time.sleep(POLL_S)
    if len(seen) < len(vins):
        raise RuntimeError(f"only {len(seen)} of {len(vins)} jobs appeared in time")
    return sorted(seen.values())
