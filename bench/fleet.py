"""Fleet scale: how many vehicles (50 signals each at 1 Hz) pitstop holds on this machine.

    python -m bench.fleet --vehicles 100,500,1000,2000,5000 --batch-s 10,1 [--step-s 30]
        [--store sqlite|influx] [--workers N]

Per step (a fleet size and a batch length), everything is real and fresh: a Mosquitto of the
benchmark's own with the fleet settings of deploy/mosquitto.conf, ``pitstop ingest`` (SQLite)
and ``pitstop rules run`` (SQLite job store) as subprocesses, and a load generator publishing
exactly what gateways publish (bench/fleet_load.py: the codec's bytes, per-vehicle sequence
numbers, one batch per vehicle every ``batch_s``, the fleet spread evenly over that period,
each batch sent when its newest sample is taken). Then the figures: offered and stored
samples/s (the fleet's rate, scaled by how late the last publish and the last ack came
against the schedule: on time is the full rate); store lag
(the car's view: its ack minus its publish) p50/p99; rules staleness
(evaluation minus the newest sample's time, from the worker's histogram: a bucket's upper
bound) p50/p99; CPU (cores, seconds, and milliseconds per 1,000 samples: the yardstick on a
shared machine) and peak RSS per process; samples lost after draining. A step is
held with 0 lost, store lag p99 < 2 s and rules staleness p99 < 5 s, the generator having
offered at least 95 % of the load. Sizes of one batch length are tried in increasing order
until one is not held.

``--store influx`` stores into a fresh InfluxDB 1.6 of the step's own (bench/fleet_influx.py;
its CPU counted as ``influxd``); ``--workers N`` runs N ingest processes sharing the inbound
subscription (``$share/ingest``) and N rules workers (``--shard i/N``), each on its own cloud
partitions, as deploy/README.md scales out (on two cores this measures the cost of
partitioning, not a gain).

With ``PITSTOP_BENCH_PROFILE=<folder>`` the services run under cProfile (``ingest.prof``,
``rules.prof`` in that folder, written when they stop; the figures are then the profiler's).

Baseline in the same run: the same payloads on the same schedule through a fresh Mosquitto to
one subscriber only (delivery latency p50/p99, the broker's CPU), so figures read against what
the broker and generator alone cost on this (noisy, shared) machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from bench import fleet_influx
from bench import fleet_procs as procs
from bench.fleet_load import SIGNALS_PER_VEHICLE, Encoder, vin_of
from bench.report import emit
from pitstop.messages import decode_ack
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic
from tests.processes import PitstopProcess
from tests.servers import Mosquitto

LAG_P99_S, STALE_P99_S = 2.0, 5.0
_SLOTS_PER_S = 20  # the fleet is spread over the batch period in 50 ms slots
Schedule = list[tuple[float, str, int, bytes]]  # (publish at, vin, seq, payload)


def schedule(vehicles: int, batch_s: int, step_s: int, t0: float) -> Schedule:
    """Every batch of the step, in the order it is due (the payloads made now)."""
    encoder = Encoder()
    encoder.check(vin_of(0), batch_s)
    base_ms = round(t0 * 1000)
    out: Schedule = []
    for r in range(max(1, step_s // batch_s)):
        for i in range(vehicles):
            slot = (i * batch_s * _SLOTS_PER_S) // vehicles
            start_ms = base_ms + r * batch_s * 1000 + slot * (1000 // _SLOTS_PER_S)
            due = (start_ms + (batch_s - 1) * 1000) / 1000
            vin = vin_of(i)
            out.append((due, vin, r, encoder.payload(vin, r, start_ms, batch_s)))
    out.sort(key=lambda item: item[0])
    return out


def publish(url: str, plan: Schedule, sent: dict[tuple[str, int], float]) -> float:
    """Publish ``plan`` on time (late when the generator cannot keep up); the seconds taken."""
    client = make_client(BrokerAddress.parse(url), "bench-fleet-cars", persistent_session=False)
    client.max_inflight_messages_set(0)
    client.connect(BrokerAddress.parse(url).host, BrokerAddress.parse(url).port)
    client.loop_start()
    started = time.time()
    try:
        for due, vin, seq, payload in plan:
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            sent[(vin, seq)] = time.time()
            client.publish(topic(vin, Kind.TELEMETRY), payload, qos=1)
        return time.time() - started
    finally:
        client.loop_stop()
        client.disconnect()


def listen(url: str, pattern: str, on: Callable[[str, bytes, float], None]) -> mqtt.Client:
    address = BrokerAddress.parse(url)
    client = make_client(
        address, f"bench-fleet-{os.getpid()}-{pattern[-3:]}", persistent_session=False
    )
    ready = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe(pattern, qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = lambda _c, _u, m: on(m.topic, bytes(m.payload), time.time())
    client.connect(address.host, address.port)
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError(f"cannot subscribe to {pattern}")
    return client


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Usage:
    """CPU seconds and peak RSS of some processes, sampled every second."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.cpu0 = {n: procs.cpu_seconds(p) for n, p in pids.items()}
        self.rss = dict.fromkeys(pids, 0.0)
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            for name, pid in self.pids.items():
                self.rss[name] = max(self.rss[name], procs.rss_mib(pid))

    def finish(self) -> dict[str, dict[str, float]]:
        self._stop.set()
        took = time.monotonic() - self.t0
        return {
            n: {
                "cpu_cores": round((procs.cpu_seconds(p) - self.cpu0[n]) / took, 3),
                "cpu_s": round(procs.cpu_seconds(p) - self.cpu0[n], 2),
                "rss_mib": round(self.rss[n], 1),
            }
            for n, p in self.pids.items()
        }


def _services(
    broker: str, store: str, folder: Path, workers: int = 1
) -> tuple[list[PitstopProcess], list[PitstopProcess]]:
    """The step's ``pitstop ingest`` (into ``store``) and ``pitstop rules run`` processes: one
    of each, or ``workers`` of each partitioned as in production (ingest sharing the inbound
    subscription as ``$share/ingest``, rules worker i of N on its own cloud partitions)."""
    jobs = f"sqlite:///{folder / 'jobs.db'}"
    ingests, rules = [], []
    for i in range(workers):
        tag = "" if workers == 1 else f"-{i}"
        share = [] if workers == 1 else ["--share-group", "ingest"]
        shard = [] if workers == 1 else ["--shard", f"{i}/{workers}"]
        ingests.append(procs.service(f"ingest{tag}", ["ingest", "--broker", broker, "--store",
                       store, "--client-id", f"bench-ingest{tag}", "--no-presence", *share],
                       folder))  # fmt: skip
        rules.append(procs.service(f"rules{tag}", ["rules", "run", "--broker", broker, "--jobs",
                     jobs, "--client-id", f"bench-rules{tag}", "--seed-demo-workshops", *shard],
                     folder))  # fmt: skip
    return ingests, rules


def _pids(broker: Mosquitto, services: list[PitstopProcess], store: int | None) -> dict[str, int]:
    """The step's processes whose CPU and memory are counted (the store's server too)."""
    assert broker.process is not None
    pids = {"mosquitto": broker.process.pid}
    for service in services:
        assert service.process is not None
        pids[service.name] = service.process.pid
    if store:
        pids["influxd"] = store
    return pids


def _staleness(rules: list[PitstopProcess]) -> dict[float, float]:
    """The rules workers' staleness histograms, summed bucket by bucket."""
    total: dict[float, float] = {}
    for worker in rules:
        found = procs.histogram(worker.metrics_text(attempts=50), "pitstop_rules_staleness_seconds")
        for bound, count in found.items():
            total[bound] = total.get(bound, 0.0) + count
    return total


def run_step(  # noqa: PLR0917 - a step's settings
    vehicles: int,
    batch_s: int,
    step_s: int,
    folder: Path,
    store_kind: str = "sqlite",
    workers: int = 1,
) -> dict[str, Any]:
    folder.mkdir(parents=True)
    per_batch = SIGNALS_PER_VEHICLE * batch_s
    lead = 15.0 + vehicles * max(1, step_s // batch_s) * batch_s * 0.00015  # making payloads
    plan = schedule(vehicles, batch_s, step_s, time.time() + lead)
    broker = procs.start_broker(folder / "broker")
    store = fleet_influx.open_step_store(store_kind, folder)
    ingests, rules = _services(broker.url, store.url, folder, workers)
    acked: dict[tuple[str, int], float] = {}
    sent: dict[tuple[str, int], float] = {}

    def on_ack(_topic: str, payload: bytes, at: float) -> None:
        ack = decode_ack(payload)
        for seq in ack.seqs:
            acked.setdefault((ack.vin, seq), at)

    try:
        for service in (*ingests, *rules):
            service.start()
        for service in (*ingests, *rules):
            service.wait_subscribed()
        acks = listen(broker.url, "pitstop/v1/+/ack", on_ack)
        pids = _pids(broker, [*ingests, *rules], store.pid)
        stale0 = _staleness(rules)
        if plan[0][0] < time.time():
            print(f"  .. payloads late by {time.time() - plan[0][0]:.1f} s", flush=True)
        time.sleep(max(0.0, plan[0][0] - time.time()))
        usage = Usage(pids)
        publish(broker.url, plan, sent)
        _drain(acked, len(plan))
        drained = max(acked.values(), default=time.time()) - plan[0][0]
        _wait_rules(rules, len(plan))
        used = usage.finish()
        stale1 = _staleness(rules)
        acks.loop_stop()
        acks.disconnect()
    finally:
        for service in (*rules, *ingests):
            service.stop()
        broker.stop()
    stored = store.stored_samples()
    store.close()
    lags = [acked[k] - sent[k] for k in sent if k in acked]
    # rates as the fleet's own rate scaled by how the schedule held: on time is the target
    planned = plan[-1][0] - plan[0][0]
    target = vehicles * SIGNALS_PER_VEHICLE
    offered = target * planned / max(max(sent.values()) - min(sent.values()), planned, 1e-9)
    stored_rate = target * (stored / (len(plan) * per_batch)) * planned / max(drained, planned)
    row: dict[str, Any] = {
        "vehicles": vehicles,
        "batch_s": batch_s,
        "store": store_kind,
        "workers": workers,
        "target_samples_s": target,
        "offered_samples_s": round(offered),
        "stored_samples_s": round(stored_rate),
        "published_samples": len(plan) * per_batch,
        "lost_samples": len(plan) * per_batch - stored,
        "store_lag_p50_s": _round(percentile(lags, 0.5)),
        "store_lag_p99_s": _round(percentile(lags, 0.99)) if len(lags) == len(plan) else None,
        "acked_batches": len(lags),
        "rules_staleness_p50_s": procs.quantile(stale0, stale1, 0.5),
        "rules_staleness_p99_s": procs.quantile(stale0, stale1, 0.99),
        "processes": used,
        # the yardstick on a shared machine: CPU milliseconds per 1,000 samples published
        "cpu_ms_per_1k_samples": {
            n: round(1e6 * u["cpu_s"] / (len(plan) * per_batch), 2) for n, u in used.items()
        },
    }
    row["held"] = _held(row, offered >= 0.95 * target)
    return row


def _drain(acked: dict[tuple[str, int], float], total: int) -> None:
    """Until every batch is acknowledged, or 20 s pass without a new ack (120 s at least)."""
    deadline, seen = time.monotonic() + 120, -1
    while len(acked) < total and time.monotonic() < deadline:
        if len(acked) != seen:
            seen, deadline = len(acked), max(deadline, time.monotonic() + 20)
        time.sleep(0.5)


def _wait_rules(rules: list[PitstopProcess], messages: int, timeout: float = 60.0) -> None:
    """Until the rules workers have evaluated ``messages`` between them (or ``timeout``
    passes): each receives only its own partitions' messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = 0.0
        for worker in rules:
            text = worker.metrics_text(attempts=50)
            line = next(ln for ln in text.splitlines() if ln.startswith("pitstop_rules_messages"))
            done += float(line.split()[-1])
        if done >= messages:
            return
        time.sleep(0.5)


def _held(row: dict[str, Any], offered: bool) -> bool:
    lag, stale = row["store_lag_p99_s"], row["rules_staleness_p99_s"]
    return bool(
        offered
        and row["lost_samples"] == 0
        and lag is not None
        and lag < LAG_P99_S
        and stale is not None
        and stale < STALE_P99_S
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def baseline(vehicles: int, batch_s: int, step_s: int, folder: Path) -> dict[str, Any]:
    """The same load through a fresh Mosquitto to one subscriber: delivery latency (a
    vehicle's k-th arrival is its k-th batch: one publisher, in order)."""
    folder.mkdir(parents=True)
    plan = schedule(vehicles, batch_s, step_s, time.time() + 10.0)
    broker = procs.start_broker(folder / "broker")
    sent: dict[tuple[str, int], float] = {}
    count: dict[str, int] = {}
    delays: list[float] = []

    def on_batch(name: str, _payload: bytes, at: float) -> None:
        vin = name.split("/")[2]
        seq = count[vin] = count.get(vin, -1) + 1
        if (vin, seq) in sent:
            delays.append(at - sent[(vin, seq)])

    try:
        sub = listen(broker.url, "pitstop/v1/+/telemetry", on_batch)
        assert broker.process is not None
        usage = Usage({"mosquitto": broker.process.pid})
        publish(broker.url, plan, sent)
        time.sleep(2.0)
        used = usage.finish()
        sub.loop_stop()
        sub.disconnect()
    finally:
        broker.stop()
    return {
        "delivery_p50_s": _round(percentile(delays, 0.5)),
        "delivery_p99_s": _round(percentile(delays, 0.99)),
        "delivered": len(delays),
        "published": len(plan),
        "mosquitto_cpu_cores": used["mosquitto"]["cpu_cores"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", default="100,500,1000,2000,5000")
    parser.add_argument("--batch-s", default="10,1")
    parser.add_argument("--step-s", type=int, default=30, help="seconds of load per step")
    parser.add_argument("--keep", type=Path, help="keep each step's files and logs here")
    parser.add_argument("--store", choices=fleet_influx.STORES, default="sqlite")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="ingest and rules processes of each kind: 1, or N partitioned ($share, --shard)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(v) for v in args.vehicles.split(","))
    lengths = [int(b) for b in args.batch_s.split(",")]
    steps: list[dict[str, Any]] = []
    held: dict[int, int] = {}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="pitstop-fleet-") as tmp_dir:
        tmp = args.keep or Path(tmp_dir)
        for batch_s in lengths:
            for vehicles in sizes:
                name = f"{vehicles}x{batch_s}s"
                print(f"== {name}", flush=True)
                row = run_step(
                    vehicles, batch_s, args.step_s, Path(tmp) / name, args.store, args.workers
                )
                row["baseline"] = baseline(vehicles, batch_s, args.step_s, Path(tmp) / f"b{name}")
                steps.append(row)
                print(f"  {row}", flush=True)
                if not row["held"]:
                    break
                held[batch_s] = vehicles
    figures: dict[str, Any] = {
        "max_vehicles_10s": held.get(10, 0),
        "max_vehicles_1s": held.get(1, 0),
        "signals_per_vehicle": SIGNALS_PER_VEHICLE,
        "step_s": args.step_s,
        "store": args.store,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "shared_machine": True,
        "steps": steps,
    }
    emit("bench.fleet: vehicles x 50 signals at 1 Hz through Mosquitto, ingest, rules", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
