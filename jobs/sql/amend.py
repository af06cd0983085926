"""Changes to an open job after it was opened, inside the caller's transaction: a new firing
(or the window after the trigger) adds to the job's evidence under a list key, and may raise its
severity (never lower it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.errors import JobStoreError
from jobs.model import Job, Severity
from jobs.sql import rows, schema


def append_evidence(
    conn: Connection,
    job_id: int,
    key: str,
    entry: Mapping[str, Any],
    *,
    severity: Severity | None,
    now: float,
) -> Job:
    jobs = schema.jobs
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id).with_for_update()).first()
    if row is None:
        raise JobStoreError(f"there is no job {job_id}")
    job = rows.job(row._mapping)
    evidence = dict(job.evidence)
    listed = evidence.get(key)
    evidence[key] = [*(listed if isinstance(listed, list) else []), dict(entry)]
    values = {
        "evidence": evidence,
        "severity": Severity.worse(job.severity, severity),
        "updated_at": float(now),
    }
    conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(values))
    return rows.job(dict(row._mapping, **values))
