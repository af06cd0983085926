"""The real gateway as a process, the real ingest and rules worker, a real Mosquitto.

Every batch gets an answer: refused ones leave the car's spool too, and the replay ends (exit 0).
A real truck log recorded years ago is stored as history and books no job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.consumer import IngestConfig, IngestStats, run_ingest
from ingest.sqlite import SqliteStore
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from rules.jobsink import JobSink
from rules.worker import RulesConfig, RulesStats, run_rules
from tests.gateway.demo_log import T0, write_demo_log
from tests.gateway.procs import start_gateway
from tests.gateway.test_decode import J1939_PGN_MASK, _j1939_profile
from tests.servers import Mosquitto
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

VIN = "WPITSTOPTEST00011"


@contextmanager
def running(target: Callable[[threading.Event, threading.Event], object]) -> Iterator[list[object]]:
    stop, ready, result = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(target(stop, ready)), daemon=True)
    thread.start()
    assert ready.wait(15), "did not subscribe"
    try:
        yield result
    finally:
        stop.set()
        thread.join(20)
        assert not thread.is_alive()


def test_refused_batches_are_answered_the_spool_empties_and_the_replay_ends(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    demo = write_demo_log(tmp_path / "drive.log", seconds=5)
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    config = IngestConfig(broker_url=mosquitto.url, client_id="test-ingest-refusing")

    def refusing(stop: threading.Event, ready: threading.Event) -> IngestStats:
        # a clock an hour behind the log: every batch is "in the future", refused
        return run_ingest(config, store, stop, ready, clock=lambda: T0 - 3600)

    spool = tmp_path / "spool.db"
    args = ["--vin", VIN, "--spool", str(spool), "--broker", mosquitto.url, "--ack-timeout", "1"]
    try:
        with running(refusing) as result:
            gateway = start_gateway([*args, "replay", str(demo.path), "--fast"], tmp_path)
            output, _ = gateway.communicate(timeout=90)
            assert gateway.returncode == 0, output
        stats = result[0]
        assert isinstance(stats, IngestStats)
        letters = store.dead_letters(limit=10_000)
        assert letters, output
        assert {d.code for d in letters} == {"time"}
        assert store.count() == 0
        # each refused batch is one row, however often it was sent
        assert len(letters) == stats.dead_letters
        assert " 0 acked" in output
        assert f"{len(letters)} rejected" in output
        assert "0 still spooled" in output
        assert output.count("the cloud refused seq") == 1, output  # one kind of reason
    finally:
        store.close()


def test_a_truck_log_recorded_years_ago_is_history_and_books_no_job(
    tmp_path: Path, mosquitto: Mosquitto, shared_data: Path
) -> None:
    profile = _j1939_profile(tmp_path, shared_data, J1939_PGN_MASK)
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    store = SqliteStore.open(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(jobs)
    ingest = IngestConfig(broker_url=mosquitto.url, client_id="test-ingest-truck")
    rules = RulesConfig(broker_url=mosquitto.url, client_id="test-rules-truck", tick_s=0.2)
    spool = tmp_path / "spool.db"
    args = ["--vin", VIN, "--profile", str(profile), "--spool", str(spool)]
    try:
        with (
            running(lambda stop, ready: run_ingest(ingest, store, stop, ready)) as ingested,
            running(lambda stop, ready: run_rules(rules, JobSink(jobs), stop, ready)) as ruled,
        ):
            gateway = start_gateway(
                [*args, "--broker", mosquitto.url, "replay", str(log), "--fast"], tmp_path
            )
            output, _ = gateway.communicate(timeout=300)
            assert gateway.returncode == 0, output
            assert " 0 rejected" in output
            wait_until(lambda: store.count(VIN) > 6000, timeout=10, what="the truck's samples")
            threading.Event().wait(1.0)  # the rules tick a few times
        stats, rule_stats = ingested[0], ruled[0]
        assert isinstance(stats, IngestStats)
        assert isinstance(rule_stats, RulesStats)
        assert stats.stored > 0
        assert (stats.history, stats.handed_on, stats.dead_letters) == (stats.stored, 0, 0)
        assert rule_stats.messages == 0  # the rules never saw the past
        assert jobs.list_jobs() == []
        speeds = store.query(VIN, "Vehicle.Speed", 0, T0, limit=100_000)
        assert len(speeds) > 3000  # every decoded sample kept, with its recorded time
    finally:
        store.close()
        jobs.close()
