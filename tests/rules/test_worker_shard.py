"""Several rules workers split the fleet by a stable hash of the VIN (``--shard i/n``), and a
DTC report on the dtc topic reaches the worker too."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from pitstop.codec import encode_telemetry
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol, encode_dtc_report
from pitstop.topics import Kind, cloud_topic, partition_of
from rules.core import Shard, shard_of
from rules.jobsink import JobSink
from rules.worker import RulesConfig, RulesStats, run_rules
from tests.rules.test_worker import Publisher, batches, wait_for
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

VINS = [f"PITSTOPSHRD{i:06d}" for i in range(8)]


@contextmanager
def two_workers(configs: list[RulesConfig], store: SqlJobStore) -> Iterator[dict[int, RulesStats]]:
    """The workers running in threads, each subscribed before this yields; their figures
    (by index) once the block ends and they have stopped."""
    stop = threading.Event()
    results: dict[int, RulesStats] = {}
    threads = []
    for i, config in enumerate(configs):
        ready = threading.Event()

        def work(i: int = i, config: RulesConfig = config, ready: threading.Event = ready) -> None:
            results[i] = run_rules(config, JobSink(store), stop, ready)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        threads.append(thread)
        assert ready.wait(10)
    try:
        yield results
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)


def test_the_hash_is_stable_and_spreads() -> None:
    assert [shard_of(v, 2) for v in VINS] == [shard_of(v, 2) for v in VINS]
    assert {shard_of(v, 2) for v in VINS} == {0, 1}
    assert Shard.parse("1/3") == Shard(1, 3)
    for bad in ("3/3", "1", "a/b", "0/0"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


def test_two_shards_split_the_vehicles(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(store)
    configs = [
        RulesConfig(mosquitto.url, client_id=f"rules-{i}", shard=Shard(i, 2)) for i in (0, 1)
    ]
    with two_workers(configs, store) as results, closing(Publisher(mosquitto.url)) as publisher:
        start = float(int(time.time()) - 600)
        for n, vin in enumerate(VINS):
            publisher.send(batches(vin, [11.0] * 30, start, seq0=10 * n))
        dtc = Dtc("P0AA6", Protocol.UDS, 0x7E3, frozenset({DtcStatus.CONFIRMED}))
        report = DtcReport(VINS[0], start + 40, (dtc,))
        publisher.client.publish(cloud_topic(VINS[0], Kind.DTC), encode_dtc_report(report), 1)
        wait_for("a job per vehicle and the DTC's", lambda: len(store.list_jobs()) == 9)
    jobs = store.list_jobs()
    store.close()
    assert sorted(j.vin for j in jobs if j.rule_id == "lv-battery-low") == VINS
    (isolation,) = [j for j in jobs if j.rule_id == "hv-isolation-fault"]
    assert isolation.severity == "critical"
    for i in range(2):
        mine = sum(1 for v in VINS if shard_of(v, 2) == i)
        assert results[i].by_rule["lv-battery-low"] == mine
        assert results[i].other_shard >= len(VINS) - mine


def test_with_partitions_each_worker_reads_its_own_vehicles_only(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Ingest publishes under part/{crc32(VIN) % 4}; shard i of 2 subscribes to partitions
    i and i + 2 and never receives another shard's vehicle."""
    store = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(store)
    configs = [
        RulesConfig(mosquitto.url, client_id=f"rules-p{i}", shard=Shard(i, 2), partitions=4)
        for i in (0, 1)
    ]
    with two_workers(configs, store) as results, closing(Publisher(mosquitto.url)) as publisher:
        start = float(int(time.time()) - 600)
        for n, vin in enumerate(VINS):
            for batch in batches(vin, [11.0] * 30, start, seq0=10 * n):
                name = cloud_topic(vin, Kind.TELEMETRY, partitions=4)
                publisher.client.publish(name, encode_telemetry(batch), 1).wait_for_publish(5)
        wait_for("a job per vehicle", lambda: len(store.list_jobs()) == len(VINS))
    store.close()
    for i in range(2):
        assert results[i].other_shard == 0  # not one message of another shard arrived
        assert results[i].by_rule["lv-battery-low"] == sum(1 for v in VINS if shard_of(v, 2) == i)
    assert {partition_of(v, 4) for v in VINS} == {0, 1, 2, 3}
