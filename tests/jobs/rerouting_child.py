"""Rejects, one after the other, every open job still at workshop ``FROM`` (re-routing each
to the next workshop), printing ``rejected <id>`` after each commit. With a HALT index, the
re-routing of that job halts inside its transaction (everything written, nothing committed),
printing ``halted <id>``, so that a test can SIGKILL it there.

    python -m tests.jobs.rerouting_child URL FROM [HALT]

Run by test_rerouting_kill.py.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from jobs.model import OPEN_STATUSES
from jobs.network import BookingPolicy
from jobs.rerouting import reject
from jobs.sql import handoff
from jobs.sql.store import SqlJobStore

NOW = 1_717_405_200.0  # Monday 2024-06-03 09:00 UTC


def main(url: str, source: int, halt: int) -> None:
    store = SqlJobStore.open(url)
    original = handoff.reject
    done = {"count": 0}

    def halting(*args: Any, **kwargs: Any) -> Any:
        job = original(*args, **kwargs)
        if done["count"] == halt:
            print(f"halted {job.id}", flush=True)
            while True:
                time.sleep(3600)
        return job

    handoff.reject = halting
    todo = [j for j in store.list_jobs(workshop_id=source) if j.status in OPEN_STATUSES]
    for job in sorted(todo, key=lambda j: j.id):
        reject(store, job, NOW, f"cannot take job {job.id}", BookingPolicy())
        print(f"rejected {job.id}", flush=True)
        done["count"] += 1
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else -1)
