"""Detection: how far ahead of the driver pitstop books each fault, false jobs on healthy
vehicles, and the latency from a fault on the wire to the job in the job store.

1. Every scenario of sim/scenarios.py runs through the real rules core (engine, job package,
   booking into a job store) in simulated time: booked_at against noticed_at (lead time).
   Goals: every fault booked before it is noticed, slow wear at least 3 days ahead.
2. A healthy simulated fleet (``--vehicles`` EVs x ``--days``, plus a combustion car and a
   truck for 30 days each) and the healthy real truck log in ../shared/data/logs: false jobs
   per 1,000 vehicle-days (goal 0). The truck log maps engine speed, wheel speed and its DM1
   lamps (bench/truck_log.py); it carries no coolant temperature or oil pressure.
3. Latency (``detect_to_job``), beyond the rule's own hold time: the whole loop (see
   bench/loop_latency.py: CAN frames on the virtual bus -> gateway -> Mosquitto -> ingest and
   rules -> job store -> GET /jobs), with the gateway's default 1 s batches and the triggers
   compiled from the catalogue (``pitstop rules triggers``: the frame completing the hold closes
   its batch at once), without the triggers, and with 0.25 s batches without them; and the
   cloud part alone (``cloud_detect_to_job``): a telemetry batch that completes a
   rule's hold is published and the clock runs until the job is in the job store.
   Baseline in the same run: an MQTT publish -> subscriber round trip on the same broker.

Run: .venv/bin/python -m bench.detection [--vehicles 10 --days 3 --step 60 --latency-runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.loop_latency import full_loop_latency
from bench.replay import EPOCH, Outcome, replay
from bench.report import emit
from pitstop.dtc import DtcReport
from sim.scenarios import DAY, fault_scenarios, healthy
from sim.scenarios_engine import combustion_scenarios, healthy_car, healthy_truck

LOGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "logs" / "css"
TRUCK_DBC = LOGS.parents[1] / "dbc" / "css" / "j1939_demo.dbc"
SLOW_WEAR_LEAD_S = 3 * DAY


def _progress(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


def scenario_figures(step_s: float) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    missed: list[str] = []
    scenarios = fault_scenarios() + combustion_scenarios()
    for outcome in replay(scenarios, step_s=step_s, progress=_progress):
        row = _row(outcome)
        rows.append(row)
        lead = row["lead_time_s"]
        short = outcome.scenario.slow_wear and lead is not None and lead < SLOW_WEAR_LEAD_S
        if lead is None or lead <= 0 or short:
            missed.append(outcome.scenario.name)
    return rows, missed


def _row(outcome: Outcome) -> dict[str, Any]:
    scenario = outcome.scenario
    booked = outcome.booked
    noticed = None if scenario.noticed_at_s is None else EPOCH + scenario.noticed_at_s
    booked_at = None if booked is None else booked.fired_at
    lead = None if booked_at is None or noticed is None else noticed - booked_at
    return {
        "name": scenario.name,
        "rule": None if booked is None else booked.rule_id,
        "booked_at": booked_at,
        "noticed_at": noticed,
        "lead_time_s": lead,
        "lead_time_days": None if lead is None else round(lead / DAY, 2),
        "slow_wear": scenario.slow_wear,
        "other_jobs": [j.rule_id for j in outcome.unexpected],
    }


def healthy_fleet(
    vehicles: int, days: float, step_s: float, engine_days: float = 30.0
) -> tuple[int, float]:
    """Healthy demo EVs for ``days``, one combustion car and one truck for ``engine_days``."""
    fleet = [healthy(i, 9000 + i) for i in range(vehicles)]
    fleet = [type(s)(s.name, s.vehicle, days * DAY, None, ()) for s in fleet]
    fleet += [healthy_car(0, 9100, engine_days), healthy_truck(0, 9200, engine_days)]
    outcomes = replay(fleet, step_s=step_s, progress=_progress)
    return sum(len(o.jobs) for o in outcomes), vehicles * days + 2 * engine_days


def real_truck_log() -> tuple[int, float, str]:
    """The healthy J1939 truck log through the engine, with the log's own timestamps as the
    engine's clock: (jobs, vehicle-days, what was mapped)."""
    log = LOGS / "j1939_truck.log"
    if not log.exists() or not TRUCK_DBC.exists():
        return 0, 0.0, "real logs not found (../shared/data absent): skipped"
    from bench.truck_log import VIN, read_truck_log
    from jobs.seed import ensure_demo_workshops
    from jobs.sql.store import SqlJobStore
    from rules.core import RulesCore
    from rules.jobsink import JobSink
    from rules.loader import DEFAULT_CATALOG, load_catalog

    store = SqlJobStore.open("sqlite://")
    ensure_demo_workshops(store)
    now = [0.0]
    sink = JobSink(store)
    core = RulesCore(load_catalog(DEFAULT_CATALOG), sink, clock=lambda: now[0])
    first = last = None
    try:
        for item in read_truck_log(log, TRUCK_DBC):
            ts = item.ts if isinstance(item, DtcReport) else item[0].ts
            first = ts if first is None else first
            last = now[0] = ts
            if isinstance(item, DtcReport):
                core.dtc(item)
            else:
                core.telemetry(VIN, item)
        core.tick()
    finally:
        store.close()
    span = 0.0 if first is None or last is None else last - first
    note = (
        "j1939_truck.log: EngineSpeed, WheelBasedVehicleSpeed and DM1 (lamps F3FF) map; "
        "no ET1 / EFL_P1 frames in the log"
    )
    return len(sink.opened), span / DAY, note


def latency(runs: int) -> tuple[list[float], list[float]]:
    """(detect_to_job seconds per run, MQTT round trip seconds per run) on a real broker."""
    from jobs.seed import ensure_demo_workshops
    from jobs.sql.store import SqlJobStore
    from pitstop.mqtt import BrokerAddress, make_client
    from rules.jobsink import JobSink
    from rules.worker import RulesConfig, run_rules
    from tests.servers import Mosquitto

    with tempfile.TemporaryDirectory(prefix="pitstop-bench-detection-") as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        store = SqlJobStore.open(f"sqlite:///{Path(tmp) / 'jobs.db'}")
        ensure_demo_workshops(store)
        stop, ready = threading.Event(), threading.Event()
        config = RulesConfig(broker_url=broker.url, client_id="bench-rules")
        worker = threading.Thread(target=run_rules, args=(config, JobSink(store), stop, ready))
        worker.start()
        address = BrokerAddress.parse(broker.url)
        pub = make_client(address, "bench-pub", persistent_session=False)
        pub.connect(address.host, address.port)
        pub.loop_start()
        got = threading.Event()
        echo = make_client(address, "bench-echo", persistent_session=False)
        echo.on_message = lambda *_: got.set()
        echo.connect(address.host, address.port)
        echo.subscribe("bench/echo", qos=1)
        echo.loop_start()
        try:
            if not ready.wait(20):
                raise RuntimeError("the rules worker did not subscribe within 20 s")
            return _measure(runs, pub, store, got)
        finally:
            stop.set()
            worker.join(10)
            for client in (pub, echo):
                client.disconnect()
                client.loop_stop()
            store.close()
            broker.stop()


def _measure(
    runs: int, pub: Any, store: Any, got: threading.Event
) -> tuple[list[float], list[float]]:
    from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
    from pitstop.topics import Kind, cloud_topic

    volts = "Vehicle.LowVoltageBattery.CurrentVoltage"
    detect, baseline = [], []
    for i in range(runs):
        vin = f"PITSTOPLAT{i:07d}"
        start = time.time() - 120.0
        # The sag began 25 s before in data time: the rule's 20 s hold is complete in here.
        samples = tuple(Sample(volts, start + s, 11.0) for s in range(26))
        payload = encode_telemetry(TelemetryBatch(vin, 1, "bench", samples))
        t = time.perf_counter()
        # straight onto what ingest hands on to the rules: this times the rules worker alone
        pub.publish(cloud_topic(vin, Kind.TELEMETRY), payload, qos=1)
        while not store.list_jobs(vin=vin):
            if time.perf_counter() - t > 10:
                raise RuntimeError(f"no job for {vin} within 10 s")
            time.sleep(0.002)
        detect.append(time.perf_counter() - t)
        got.clear()
        t = time.perf_counter()
        pub.publish("bench/echo", b"x", qos=1)
        got.wait(5)
        baseline.append(time.perf_counter() - t)
    return detect, baseline


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.detection", description=__doc__)
    parser.add_argument("--vehicles", type=int, default=10, help="healthy fleet size")
    parser.add_argument("--days", type=float, default=3.0, help="simulated days per vehicle")
    parser.add_argument("--step", type=float, default=60.0, help="sample step (simulated s)")
    parser.add_argument("--latency-runs", type=int, default=40)
    parser.add_argument(
        "--loop-vehicles", type=int, default=15, help="vehicles in the whole-loop latency run"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    print("scenarios (simulated time, real rules core and job store) ...", file=sys.stderr)
    rows, missed = scenario_figures(args.step)
    print("healthy fleet ...", file=sys.stderr)
    false_sim, vehicle_days = healthy_fleet(args.vehicles, args.days, args.step * 2)
    false_real, real_days, real_note = real_truck_log()
    print("latency through Mosquitto and the rules worker ...", file=sys.stderr)
    detect, baseline = latency(args.latency_runs)
    print("latency of the whole loop: CAN bus -> gateway -> ... -> API ...", file=sys.stderr)
    loop = full_loop_latency(args.loop_vehicles, batch_interval=1.0, triggers=True)
    loop_plain = full_loop_latency(args.loop_vehicles, batch_interval=1.0)
    loop_fast = full_loop_latency(args.loop_vehicles, batch_interval=0.25)
    for row in rows:
        lead = row["lead_time_days"]
        print(f"  {row['name']:22} booked by {row['rule']}: {lead} days before noticed")
    total_days = vehicle_days + real_days
    figures: dict[str, Any] = {
        "scenarios": rows,
        "missed": missed,
        "false_jobs_per_1000_vehicle_days": 1000.0 * (false_sim + false_real) / total_days,
        "false_jobs_simulated": false_sim,
        "simulated_vehicle_days": vehicle_days,
        "false_jobs_real_logs": false_real,
        "real_log_vehicle_days": round(real_days, 5),
        "real_logs": real_note,
        "detect_to_job_p99_s": p99(loop),
        "detect_to_job_median_s": statistics.median(loop),
        "detect_to_job_p99_s_no_triggers": p99(loop_plain),
        "detect_to_job_median_s_no_triggers": statistics.median(loop_plain),
        "detect_to_job_p99_s_batches_0_25s": p99(loop_fast),
        "cloud_detect_to_job_p99_s": p99(detect),
        "cloud_detect_to_job_median_s": statistics.median(detect),
        "baseline_mqtt_round_trip_p99_s": p99(baseline),
        "min_slow_wear_lead_days": min(
            (r["lead_time_days"] for r in rows if r["slow_wear"] and r["lead_time_days"]),
            default=None,
        ),
        "wall_s": time.perf_counter() - t0,
    }
    notes = {
        "missed": "faults not booked before noticed (slow wear: < 3 days ahead); goal []",
        "false_jobs_per_1000_vehicle_days": "goal 0",
        "detect_to_job_p99_s": "CAN frame completing the hold -> job in GET /jobs, whole loop, "
        "1 s gateway batches (the default) and the catalogue's triggers in the car; goal < 1",
        "detect_to_job_p99_s_no_triggers": "the same without triggers: the batch's 1 s wait",
        "detect_to_job_p99_s_batches_0_25s": "0.25 s gateway batches, no triggers",
        "cloud_detect_to_job_p99_s": "publish of the batch completing the hold -> job in the store",
        "real_logs": "a standing truck, engine off: engine speed, speed and DM1 lamps only",
    }
    emit("bench.detection", figures, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
