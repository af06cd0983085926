"""Re-routing is crash-safe: a process rejecting and re-offering jobs, SIGKILLed in the middle
of one re-routing (inside its transaction) and after others committed, then run again: every
job is at exactly one new workshop with one set of bay-hours, declined once, none lost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobs.booking import open_and_book
from jobs.model import JobDraft, JobStatus, Severity
from jobs.network import HandoffKind
from jobs.sql.store import SqlJobStore

NOW = 1_717_405_200.0
JOBS = 12


def child(url: str, source: int, halt: int | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.jobs.rerouting_child", url, str(source)]
    if halt is not None:
        command.append(str(halt))
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("halt", [0, 5, JOBS - 1])
def test_killed_in_the_middle_of_re_routing_nothing_lost_nothing_doubled(
    halt: int, job_store_url: str
) -> None:
    store = SqlJobStore.open(job_store_url)
    try:
        first = store.add_workshop("First", "a", ("brakes",), bays=JOBS)
        others = [store.add_workshop(f"W{i}", "b", ("brakes",), bays=4) for i in range(3)]
        for i in range(JOBS):
            draft = JobDraft(
                f"VIN{i:03d}",
                "brake-pads",
                "Brake pads",
                Severity.WARNING,
                NOW,
                diagnosis={"labour_hours": 2.0, "skills": ["brakes"]},
                required_skills=("brakes",),
            )
            job, _, where = open_and_book(store, draft, urgency_s=5 * 86400, now=NOW)
            assert where == first
        killed = child(job_store_url, first.id, halt)
        assert killed.stdout is not None
        lines = []
        for line in killed.stdout:
            lines.append(line.strip())
            if line.startswith("halted"):
                break
        killed.kill()  # SIGKILL inside the halted job's transaction
        killed.wait(10)
        assert lines[-1].startswith("halted"), lines
        assert sum(line.startswith("rejected") for line in lines) == halt
        moved_before = {j.id for j in store.list_jobs() if j.workshop_id != first.id}
        assert len(moved_before) == halt  # the halted one never committed
        again = child(job_store_url, first.id)
        out, _ = again.communicate(timeout=120)
        assert out.strip().endswith("done")
        jobs = store.list_jobs()
        assert len(jobs) == JOBS  # nothing lost, nothing opened twice
        for job in jobs:
            assert job.status is JobStatus.PROPOSED
            assert job.workshop_id in {w.id for w in others}
            kinds = [(h.kind, h.workshop_id) for h in store.handoffs(job.id)]
            assert kinds == [
                (HandoffKind.OFFERED, first.id),
                (HandoffKind.DECLINED, first.id),
                (HandoffKind.OFFERED, job.workshop_id),
            ]
        assert store.reservations(first.id, 0, 4e9) == []
        held = [r for w in others for r in store.reservations(w.id, 0, 4e9)]
        assert len(held) == 2 * JOBS  # two bay-hours each, once
        assert len({(r.workshop_id, r.bay, r.slot_start) for r in held}) == len(held)
    finally:
        store.close()
