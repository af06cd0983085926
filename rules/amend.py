"""Changes to an open job after it was opened, and the rules engine's persisted state, inside
the caller's transaction.

- ``append_evidence``: a new firing (or the window after the trigger) adds to the job's
  evidence under a list key, and may raise its severity (never lower it).
- ``save_state`` / ``load_state``: one JSON document per scope (the worker uses one per
  vehicle and shard) in the ``rule_state`` table, written in the same transaction as nothing
  else, before the worker acknowledges the message it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rules import rows, schema
from rules.jobs import Job, JobStoreError

_RANK = {"info": 0, "warning": 1, "critical": 2}


def higher_severity(current: str, proposed: str | None) -> str:
    """The more severe of the two (unknown names rank lowest)."""
    if proposed is None:
        return current
    return proposed if _RANK.get(proposed, -1) > _RANK.get(current, -1) else current


def append_evidence(
    conn: Connection,
    job_id: int,
    key: str,
    entry: Mapping[str, Any],
    *,
    severity: str | None,
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
        "severity": higher_severity(job.severity, severity),
        "updated_at": float(now),
    }
    conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(values))
    return rows.job(dict(row._mapping, **values))


def save_state(conn: Connection, scope: str, state: Mapping[str, Any], now: float) -> None:
    table = schema.rule_state
    found = conn.execute(sa.select(table.c.scope).where(table.c.scope == scope)).first()
    values = {"state": dict(state), "updated_at": float(now)}
    if found is None:
        conn.execute(sa.insert(table).values(scope=scope, **values))
    else:
        conn.execute(sa.update(table).where(table.c.scope == scope).values(values))


def load_state(conn: Connection, prefix: str) -> dict[str, dict[str, Any]]:
    """Every saved scope starting with ``prefix``: scope -> state."""
    table = schema.rule_state
    found = conn.execute(sa.select(table).where(table.c.scope.startswith(prefix, autoescape=True)))
    return {row.scope: dict(row.state) for row in found}
