from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.model import Job, JobStatus
from jobs.seed import DEMO_WORKSHOPS, ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, cloud_topic
from rules.heap import fewer_collections
from rules.jobsink import JobSink
from rules.worker import RulesConfig, RulesStats, run_rules
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

V = "Vehicle.LowVoltageBattery.CurrentVoltage"
A = "Vehicle.LowVoltageBattery.CurrentCurrent"
FAULTY = "PITSTOPDEMO000003"
HEALTHY = "PITSTOPDEMO000001"


def wait_for(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def batches(vin: str, volts: list[float], start: float, seq0: int = 0) -> list[TelemetryBatch]:
    """One sample a second of voltage and current, ten seconds per batch."""
    out = []
    for first in range(0, len(volts), 10):
        samples: list[Sample] = []
        for i in range(first, min(first + 10, len(volts))):
            samples += [Sample(V, start + i, volts[i]), Sample(A, start + i + 0.5, -2.0)]
        out.append(TelemetryBatch(vin, seq0 + first // 10, "test", tuple(samples)))
    return out


class Publisher:
    def __init__(self, url: str) -> None:
        address = BrokerAddress.parse(url)
        self.client = make_client(address, "test-publisher", persistent_session=False)
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def send(self, batch_list: list[TelemetryBatch]) -> None:
        for batch in batch_list:
            info = self.client.publish(
                cloud_topic(batch.vin, Kind.TELEMETRY), encode_telemetry(batch), 1
            )
            info.wait_for_publish(5)

    def send_raw(self, vin: str, payload: bytes) -> None:
        self.client.publish(cloud_topic(vin, Kind.TELEMETRY), payload, 1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Running:
    store: SqlJobStore
    publisher: Publisher
    stop: threading.Event
    result: list[RulesStats]

    def jobs(self, vin: str | None = None) -> list[Job]:
        return self.store.list_jobs(vin=vin)


@pytest.fixture
def running(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Running]:
    store = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(store)
    stop, ready = threading.Event(), threading.Event()
    result: list[RulesStats] = []
    config = RulesConfig(broker_url=mosquitto.url, client_id="rules-under-test")
    worker = threading.Thread(
        target=lambda: result.append(run_rules(config, JobSink(store), stop, ready)), daemon=True
    )
    worker.start()
    assert ready.wait(10), "the worker never subscribed"
    publisher = Publisher(mosquitto.url)
    yield Running(store, publisher, stop, result)
    publisher.close()
    stop.set()
    worker.join(10)
    assert not worker.is_alive()
    store.close()


def test_a_sagging_battery_opens_one_booked_job(running: Running) -> None:
    start = float(int(time.time()) - 600)  # whole seconds: the wire has ms
    volts = [12.6] * 30 + [11.6] * 30  # below 11.8 V from 30 s; fires at 50 s
    running.publisher.send(batches(FAULTY, volts, start))
    wait_for("a job", lambda: len(running.jobs()) == 1)
    (job,) = running.jobs()
    (shop,) = running.store.workshops()
    assert shop.name == DEMO_WORKSHOPS[0][0]
    assert (job.vin, job.rule_id, job.status, job.workshop_id) == (
        FAULTY,
        "lv-battery-low",
        JobStatus.PROPOSED,
        shop.id,
    )
    assert job.title == "12 V battery voltage low"
    assert job.fired_at == pytest.approx(start + 50)
    trigger = job.evidence["trigger"]
    assert trigger["since"] == pytest.approx(start + 30)
    assert trigger["condition"] == "< 11.8"
    assert trigger["value"] == 11.6
    window = job.evidence["window"]
    # 120 s before pending began (all the data we sent) up to the firing moment.
    assert [ts - start for ts, _ in window[V]] == pytest.approx([float(i) for i in range(51)])
    assert len(window[A]) == 50
    assert job.diagnosis["skills"] == ["electrical"]
    assert job.diagnosis["parts"][0]["name"] == "12 V AGM battery"


def test_a_healthy_series_opens_no_job(running: Running) -> None:
    start = float(int(time.time()) - 600)  # whole seconds: the wire has ms
    running.publisher.send(batches(HEALTHY, [12.6, 12.4, 11.9, 12.0] * 30, start))
    # A faulty vehicle after it is the barrier: once its job exists, the healthy data was seen.
    running.publisher.send(batches(FAULTY, [11.0] * 30, start))
    wait_for("the faulty vehicle's job", lambda: len(running.jobs(FAULTY)) == 1)
    assert running.jobs(HEALTHY) == []


def test_the_same_fault_again_while_open_stays_one_job(running: Running) -> None:
    start = float(int(time.time()) - 600)  # whole seconds: the wire has ms
    volts = [11.0] * 30 + [12.6] * 40 + [11.0] * 30  # fires, resolves, fires again
    running.publisher.send(batches(FAULTY, volts, start))
    running.publisher.send_raw(FAULTY, b"not telemetry")
    running.publisher.send(batches(HEALTHY, [11.0] * 30, start, seq0=100))  # barrier
    wait_for("the barrier's job", lambda: len(running.jobs(HEALTHY)) == 1)
    assert len(running.jobs(FAULTY)) == 1
    running.stop.set()
    wait_for("the worker's stats", lambda: bool(running.result))
    stats = running.result[0]
    assert (stats.jobs_opened, stats.refirings, stats.undecodable) == (2, 1, 1)
    assert stats.errors == 0
    (job,) = running.jobs(FAULTY)
    (again,) = job.evidence["refirings"]  # the second firing added its evidence to the job
    assert again["trigger"]["fired_at"] == pytest.approx(start + 70 + 20)


def test_the_worker_collects_garbage_less_often_and_restores_the_setting() -> None:
    before = gc.get_threshold()
    with fewer_collections(10_000):
        assert gc.get_threshold() == (10_000, *before[1:])
    assert gc.get_threshold() == before
    with fewer_collections(0):
        assert gc.get_threshold() == before
