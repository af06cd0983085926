"""The production layout on one machine: real Mosquitto, InfluxDB 1.6 and PostgreSQL, two
``pitstop ingest`` processes on one shared subscription and two ``pitstop rules run`` workers
(``--shard 0/2`` and ``1/2``) over four partitions of the cloud topics, all four started at
the same moment (the job store's migrations run once, under PostgreSQL's advisory lock).

A fleet publishes telemetry as gateways do (``pitstop.codec``, per-vehicle sequence numbers);
some vehicles' 12 V battery sags below the ``lv-battery-low`` level for longer than its hold.
Mid-run (once each process has stored, evaluated and booked something, with more in flight) one
ingest process and one rules worker are SIGKILLed, the fleet keeps publishing, and both are
started again with the same client ids (their persistent sessions). Then:

- every sample is in InfluxDB exactly once (the count per vehicle);
- every faulty vehicle has exactly one job, of that rule, in PostgreSQL; healthy ones none;
- each rules worker subscribed to its own partitions only, saw no message of another shard
  and holds exactly the vehicles of its shard (its Prometheus /metrics).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.fleet_load import samples_at, vin_of
from ingest.open import open_store
from jobs.sql.store import SqlJobStore
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, partition_of, topic
from tests.ingest.servers_influx import InfluxDB1
from tests.processes import PitstopProcess as Service
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VEHICLES = 12
FAULTY = frozenset({0, 4, 5, 8})  # in partitions 0, 1, 3, 2: both shards have some
BATCHES = 10  # per vehicle, BATCH_S seconds of 1 Hz samples each
BATCH_S = 10
WORKING = 3  # batches per vehicle published before the kill: each process has worked
KILL_AFTER = 4  # ... and right before the SIGKILLs (these are in flight)
RESTART_AFTER = 6  # ... and before the restarts
PARTITIONS = 4
VOLTS = "Vehicle.LowVoltageBattery.CurrentVoltage"
RULE = "lv-battery-low"
SAG_FROM_S = 5  # the faulty vehicles' battery is at 11.0 V from here on: the rule's 20 s hold
# completes in batch 2, so the killed rules worker has booked a job it must not book again


def _wait(predicate: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def _samples(index: int, seq: int, t0: float) -> tuple[Sample, ...]:
    """What vehicle ``index`` sends in batch ``seq``: a healthy car's 50 signals at 1 Hz; a
    faulty one's battery at 11 V from ``SAG_FROM_S`` on."""
    return tuple(
        sample._replace(value=11.0)
        if sample.signal == VOLTS and index in FAULTY and s >= SAG_FROM_S
        else sample
        for s in range(seq * BATCH_S, (seq + 1) * BATCH_S)
        for sample in samples_at(t0 + s)
    )


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[InfluxDB1]:
    server = InfluxDB1(tmp_path / "influxdb")
    server.start()
    yield server
    server.kill()


def _services(tmp: Path, broker: str, store: str, jobs: str) -> tuple[list[Service], ...]:
    common = ["--broker", broker, "--partitions", str(PARTITIONS)]
    shared = ["--store", store, "--share-group", "ingest", "--no-presence", *common]
    ingest = [Service(f"ingest-{i}", ["ingest", "--client-id", f"ingest-{i}", *shared], tmp)
              for i in range(2)]  # fmt: skip
    rules = [
        Service(
            f"rules-{i}",
            [
                "rules",
                "run",
                "--jobs",
                jobs,
                "--client-id",
                f"rules-{i}",
                "--shard",
                f"{i}/2",
                *common,
                *(["--seed-demo-workshops"] if i == 0 else []),
            ],
            tmp,
        )
        for i in range(2)
    ]
    return ingest, rules


def test_two_ingest_and_two_rules_workers_lose_nothing_and_book_each_fault_once(
    tmp_path: Path, mosquitto: Mosquitto, influx: InfluxDB1, postgres_url: str
) -> None:
    ingest, rules = _services(tmp_path, mosquitto.url, influx.url("fleet"), postgres_url)
    everyone = [*ingest, *rules]
    address = BrokerAddress.parse(mosquitto.url)
    fleet = make_client(address, "partitioned-fleet", persistent_session=False)
    vins = [vin_of(i) for i in range(VEHICLES)]
    t0 = float(int(time.time()) - 600)  # live data: ten minutes ago on

    def publish(seqs: range) -> None:
        for seq in seqs:
            for index, vin in enumerate(vins):
                batch = TelemetryBatch(vin, seq, "partitioned", _samples(index, seq, t0))
                info = fleet.publish(topic(vin, Kind.TELEMETRY), encode_telemetry(batch), 1)
                info.wait_for_publish(10)

    try:
        for service in everyone:  # at the same moment: the migrations run once
            service.start()
        _wait(lambda: all(s.subscribed() for s in everyone), "all four subscribed", 60)
        fleet.connect(address.host, address.port)
        fleet.loop_start()
        publish(range(WORKING))
        _wait(lambda: _working(ingest, rules, postgres_url), "every process at work", 60)
        publish(range(WORKING, KILL_AFTER))
        ingest[1].kill()  # mid-run: batches in flight are neither stored nor acknowledged yet
        rules[1].kill()
        publish(range(KILL_AFTER, RESTART_AFTER))  # while they are down
        ingest[1].start()
        rules[1].start()
        _wait(lambda: ingest[1].subscribed() == rules[1].subscribed() == 2, "restarted", 60)
        publish(range(RESTART_AFTER, BATCHES))
        _check_stored(influx.url("fleet"), vins, len(_samples(0, 0, t0)) * BATCHES)
        _check_jobs(postgres_url, rules, {vins[i] for i in FAULTY})
        _check_partitions(rules, vins)
    finally:
        fleet.loop_stop()
        fleet.disconnect()
        for service in everyone:
            service.stop()


def _check_stored(url: str, vins: list[str], expected: int) -> None:
    """Every sample of every vehicle in InfluxDB, once."""
    store = open_store(url)
    try:
        _wait(lambda: all(store.count(v) >= expected for v in vins), "every sample stored", 60)
        counts = {vin: store.count(vin) for vin in vins}
    finally:
        store.close()
    assert counts == dict.fromkeys(vins, expected)  # nothing lost, nothing twice


def _check_jobs(url: str, rules: list[Service], faulty: set[str]) -> None:
    """One job per faulty vehicle, of the sag's rule; none for the healthy ones."""
    jobs = SqlJobStore.open(url)
    try:
        _wait(
            lambda: {j.vin for j in jobs.list_jobs() if j.rule_id == RULE} >= faulty,
            "a job for every faulty vehicle",
            60,
        )
        _wait(lambda: _drained(rules), "the rules workers drained their inboxes", 30)
        booked = sorted((j.vin, j.rule_id) for j in jobs.list_jobs())
    finally:
        jobs.close()
    assert booked == sorted((vin, RULE) for vin in faulty)


def _check_partitions(rules: list[Service], vins: list[str]) -> None:
    """Each worker subscribed to its partitions only, and saw only its shard's vehicles."""
    for index, worker in enumerate(rules):
        mine = {p for p in range(PARTITIONS) if p % 2 == index}
        figures = worker.metric_values()
        assert figures["pitstop_rules_other_shard_total"] == 0
        owned = [v for v in vins if partition_of(v, PARTITIONS) in mine]
        assert figures["pitstop_rules_vehicles"] == len(owned)
        assert figures["pitstop_rules_messages_total"] > 0
        line = next(x for x in worker.log.read_text().splitlines() if "subscribed to" in x)
        patterns = line.split("subscribed to ")[1].split(", ")
        assert {int(p.split("/")[4]) for p in patterns} == mine
    own = [v for v in vins if partition_of(v, PARTITIONS) % 2 == 0]
    survivor = rules[0].metric_values()  # never killed: it saw every message of its vehicles
    assert survivor["pitstop_rules_messages_total"] >= len(own) * BATCHES


def _working(ingest: list[Service], rules: list[Service], jobs_url: str) -> bool:
    """Both ingest processes stored batches, and the rules worker to kill booked a job."""
    if not all(s.metric_values().get("pitstop_ingest_stored_total", 0) > 0 for s in ingest):
        return False
    jobs = SqlJobStore.open(jobs_url)
    try:
        booked = {j.vin for j in jobs.list_jobs()}
    finally:
        jobs.close()
    return any(partition_of(vin, PARTITIONS) % 2 == 1 for vin in booked)


def _drained(rules: list[Service]) -> bool:
    figures = [w.metric_values() for w in rules]
    return all(
        f.get("pitstop_rules_inbox_messages", 1) == 0
        and f.get("pitstop_rules_unacked_messages", 1) == 0
        for f in figures
    )
