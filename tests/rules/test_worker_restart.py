"""The rules worker as its own process, SIGKILLed mid-stream and started again."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.sql.rulestate import SqlStateStore
from jobs.sql.store import SqlJobStore
from tests.rules.test_worker import FAULTY, HEALTHY, Publisher, V, batches, wait_for
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration


class WorkerProcess:
    """``pitstop rules run`` in a subprocess; ``started`` once it has subscribed."""

    def __init__(self, broker: str, jobs_url: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "-v",
                "rules",
                "run",
                "--broker",
                broker,
                "--jobs",
                jobs_url,
                "--seed-demo-workshops",
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        self.subscribed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "subscribed to" in line:
                self.subscribed.set()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def test_sigkilled_worker_catches_up_and_keeps_one_job(
    mosquitto: Mosquitto, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"

    def start() -> WorkerProcess:
        worker = WorkerProcess(mosquitto.url, url)
        workers.append(worker)
        assert worker.subscribed.wait(20), "".join(worker.lines)
        return worker

    publisher = Publisher(mosquitto.url)
    store = SqlJobStore.open(url)
    try:
        t0 = float(int(time.time()) - 900)
        first = start()
        # Healthy, then 15 s of sag: pending, not yet firing when the worker dies.
        publisher.send(batches(FAULTY, [12.6] * 30 + [11.0] * 15, t0))
        first.kill()
        # While no worker runs, the sag goes on: the broker keeps it for the persistent session.
        publisher.send(batches(FAULTY, [11.0] * 40, t0 + 45, seq0=10))
        second = start()
        wait_for("the job after the restart", lambda: len(store.list_jobs()) == 1)
        (job,) = store.list_jobs()
        assert job.vin == FAULTY
        assert job.workshop_id is not None
        seen = [ts - t0 for ts, _ in job.evidence["window"][V]]
        assert any(ts >= 45 for ts in seen), "data sent while the worker was dead never arrived"
        # The pending alert survived the kill: it fired 20 s of data time after the sag began.
        assert job.evidence["trigger"]["since"] == pytest.approx(t0 + 30)
        assert job.fired_at == pytest.approx(t0 + 50)
        # Killed again while firing (once checkpointed): the restored engine knows it fires, and
        # does not fire again.
        wait_for("the firing state checkpointed", lambda: _alert(store) == "firing")
        second.kill()
        third = start()
        assert any("restored the rules state of 1 vehicles" in x for x in third.lines)
        publisher.send(batches(FAULTY, [11.0] * 40, t0 + 85, seq0=20))
        publisher.send(batches(HEALTHY, [11.0] * 30, t0 + 85, seq0=100))  # barrier: fires
        wait_for("the barrier's job", lambda: len(store.list_jobs()) == 2)
        (job,) = store.list_jobs(vin=FAULTY)
        assert "refirings" not in job.evidence
        assert not any("already open" in x or "fired again" in x for x in third.lines)
    finally:
        publisher.close()
        store.close()


def _alert(store: SqlJobStore) -> str | None:
    saved = SqlStateStore(store.engine).load("0/1:").get(f"0/1:{FAULTY}", {})
    alert = saved.get("alerts", {}).get("lv-battery-low")
    return None if alert is None else str(alert[0])
