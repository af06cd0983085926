"""Ingest and the rules worker serve Prometheus /metrics: what they stored and evaluated, their
backlog, the store lag and rules staleness histograms, counted from real traffic."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.fleet_load import Encoder, vin_of
from bench.fleet_procs import histogram
from ingest.consumer import IngestConfig, run_ingest
from ingest.sqlite import SqliteStore
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from pitstop.mqtt import BrokerAddress, make_client
from pitstop.topics import Kind, topic
from rules.jobsink import JobSink
from rules.worker import RulesConfig, run_rules
from tests.servers import Mosquitto, free_port

pytestmark = pytest.mark.integration

BATCHES = 6


def _text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def _scrape(port: int) -> dict[str, float]:
    """Every plain (unlabelled) sample: name -> value."""
    found: dict[str, float] = {}
    for line in _text(port).splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def test_ingest_and_rules_count_real_traffic_on_metrics(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(jobs)
    stop = threading.Event()
    ingest_port, rules_port = free_port(), free_port()
    ingest_ready, rules_ready = threading.Event(), threading.Event()
    ingest_config = IngestConfig(mosquitto.url, "metrics-ingest", metrics_port=ingest_port)
    rules_config = RulesConfig(mosquitto.url, "metrics-rules", metrics_port=rules_port)
    threads = [
        threading.Thread(target=run_ingest, args=(ingest_config, store, stop, ingest_ready)),
        threading.Thread(target=run_rules, args=(rules_config, JobSink(jobs), stop, rules_ready)),
    ]
    for thread in threads:
        thread.start()
    address = BrokerAddress.parse(mosquitto.url)
    car = make_client(address, "metrics-car", persistent_session=False)
    try:
        assert ingest_ready.wait(10)
        assert rules_ready.wait(10)
        car.connect(address.host, address.port)
        car.loop_start()
        encoder, vin = Encoder(), vin_of(7)
        now_ms = int(time.time()) * 1000
        for seq in range(BATCHES):
            payload = encoder.payload(vin, seq, now_ms - (BATCHES - seq) * 10_000, 10)
            car.publish(topic(vin, Kind.TELEMETRY), payload, qos=1).wait_for_publish(5)
        _wait(lambda: _scrape(ingest_port).get("pitstop_ingest_messages_total", 0) >= BATCHES,
              "ingest counted every batch")  # fmt: skip
        _wait(lambda: _scrape(rules_port).get("pitstop_rules_messages_total", 0) >= BATCHES,
              "rules counted every batch")  # fmt: skip
        ingest = _scrape(ingest_port)
        assert ingest["pitstop_ingest_samples_total"] == BATCHES * 500
        assert ingest["pitstop_ingest_dead_letters_total"] == 0
        assert "pitstop_ingest_inbox_messages" in ingest
        lag = histogram(_text(ingest_port), "pitstop_ingest_store_lag_seconds")
        assert lag[float("inf")] == BATCHES
        rules = _scrape(rules_port)
        assert rules["pitstop_rules_samples_total"] > 0
        assert rules["pitstop_rules_jobs_opened_total"] == 0  # a healthy car
        stale = histogram(_text(rules_port), "pitstop_rules_staleness_seconds")
        assert stale[float("inf")] == BATCHES
    finally:
        car.loop_stop()
        car.disconnect()
        stop.set()
        for thread in threads:
            thread.join(15)
        store.close()
        jobs.close()
