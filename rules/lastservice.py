"""Which service a maintenance interval counts from (pure): the latest of the rule's completed
jobs and of the service-book records written for the rule or of a kind it counts from.

A record carries a day (``done_on``), so it counts from that day's start (UTC) unless it holds
the exact time (``done_at``: a completed job's). Of two on one day the later wins, and a record
with an odometer reading beats a job without one at the same time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

from jobs.model import Job, JobStatus, ServiceRecord
from rules.sink import LastService


def record_time(record: ServiceRecord) -> float:
    if record.done_at is not None:
        return record.done_at
    day = datetime.strptime(record.entry.done_on, "%Y-%m-%d").replace(tzinfo=UTC)
    return day.timestamp()


def last_services(
    wanted: Mapping[str, Collection[str]],
    jobs: Iterable[Job],
    records: Iterable[ServiceRecord],
) -> dict[str, LastService]:
    """rule id -> its last service, for the rules in ``wanted`` (rule id -> record kinds)."""
    found: dict[str, tuple[float, int, LastService]] = {}

    def offer(rule_id: str, at: float, km: float | None) -> None:
        rank = (at, 0 if km is None else 1)
        best = found.get(rule_id)
        if best is None or rank > best[:2]:
            found[rule_id] = (*rank, LastService(at, km))

    for job in jobs:
        if job.status is JobStatus.COMPLETED and job.rule_id in wanted:
            offer(job.rule_id, job.updated_at, None)
    for record in records:
        for rule_id, kinds in wanted.items():
            if record.entry.rule_id == rule_id or record.entry.kind.value in kinds:
                offer(rule_id, record_time(record), record.entry.odometer_km)
    return {rule_id: best[2] for rule_id, best in found.items()}
