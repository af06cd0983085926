"""Crash-safe booking: a real ``pitstop rules run`` SIGKILLed at each step of the firing -> job
-> booking path (``tests.rules.halting_rules`` halts it there), started again: exactly one job
for the fault, booked once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jobs.sql.store import SqlJobStore
from tests.rules.test_worker import FAULTY, HEALTHY, Publisher, batches, wait_for
from tests.rules.test_worker_restart import WorkerProcess
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration


class HaltingWorker:
    """The worker that halts at ``step``; ``halted`` once it got there."""

    def __init__(self, step: str, broker: str, jobs_url: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.rules.halting_rules",
                step,
                "-v",
                "rules",
                "run",
                "--broker",
                broker,
                "--jobs",
                jobs_url,
                "--seed-demo-workshops",  # the same client id (persistent session) as after
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.halted = threading.Event()
        self.subscribed = threading.Event()
        self.lines: list[str] = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("HALTED"):
                self.halted.set()

    def _read_err(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "subscribed to" in line:
                self.subscribed.set()

    def kill(self) -> None:
        self.process.kill()  # SIGKILL
        self.process.wait(10)


@pytest.mark.parametrize("step", ["fired", "opened", "booked", "checkpointed"])
def test_killed_at_each_step_one_job_booked_once(
    step: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    halting = HaltingWorker(step, mosquitto.url, url)
    restarted: WorkerProcess | None = None
    publisher = Publisher(mosquitto.url)
    store: SqlJobStore | None = None
    try:
        assert halting.subscribed.wait(20), "".join(halting.lines)
        t0 = float(int(time.time()) - 900)
        publisher.send(batches(FAULTY, [12.6] * 30 + [11.6] * 40, t0))  # fires at 50 s
        assert halting.halted.wait(20), f"never reached {step}: {''.join(halting.lines)}"
        halting.kill()
        store = SqlJobStore.open(url)
        restarted = WorkerProcess(mosquitto.url, url)
        assert restarted.subscribed.wait(20), "".join(restarted.lines)
        publisher.send(batches(HEALTHY, [11.0] * 30, t0))  # the barrier: its own job
        wait_for("the barrier's job", lambda: len(store.list_jobs(vin=HEALTHY)) == 1, 30)
        wait_for("the fault's job booked", lambda: _booked(store), 30)
        (job,) = store.list_jobs(vin=FAULTY)
        assert job.slot_start is not None
        assert job.workshop_id is not None
        held = [r for r in store.reservations(job.workshop_id, 0, 4e9) if r.job_id == job.id]
        assert len(held) == round((job.slot_end or 0) - job.slot_start) // 3600
        assert [h.kind.value for h in store.handoffs(job.id)] == ["offered"]
    finally:
        publisher.close()
        for worker in (halting, restarted):
            if worker is not None and worker.process.poll() is None:
                worker.kill()
        if store is not None:
            store.close()


def _booked(store: SqlJobStore) -> bool:
    jobs = store.list_jobs(vin=FAULTY)
    return len(jobs) == 1 and jobs[0].slot_start is not None
