"""The audit log (``jobs.audit.AuditLog``) in the ``audit_log`` table of the job store's
database (revision 0004 of ``jobs/migrations``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jobs.audit import MAX_LIMIT, AuditEntry, AuditQuery, clip
from jobs.errors import JobStoreError
from jobs.sql import schema
from jobs.sql.database import MIGRATIONS, SqlStore, open_migrated


class SqlAuditLog(SqlStore):
    """Audit entries; safe to use from several threads."""

    WHAT = "audit log"

    @classmethod
    def open(cls, url: str) -> SqlAuditLog:
        return cls(open_migrated(url, MIGRATIONS))

    def record(self, entry: AuditEntry) -> int:
        row = {
            "at": entry.at,
            "actor": clip(entry.actor),
            "action": clip(entry.action),
            "target": clip(entry.target),
            "outcome": clip(entry.outcome),
            "address": clip(entry.address),
            "detail": dict(entry.detail),
        }
        with self._begin() as conn:
            result = conn.execute(sa.insert(schema.audit_log).values(**row))
        key = result.inserted_primary_key
        if key is None:
            raise JobStoreError("audit log: the database returned no id for the entry")
        return int(key[0])

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        table = schema.audit_log
        select = sa.select(table).order_by(table.c.id.desc())
        if query.since is not None:
            select = select.where(table.c.at >= query.since)
        if query.until is not None:
            select = select.where(table.c.at < query.until)
        if query.actor:
            select = select.where(table.c.actor.contains(query.actor, autoescape=True))
        if query.action:
            select = select.where(table.c.action.contains(query.action, autoescape=True))
        if query.target:
            select = select.where(table.c.target == query.target)
        if query.before_id is not None:
            select = select.where(table.c.id < query.before_id)
        with self._begin() as conn:
            rows = conn.execute(select.limit(max(1, min(query.limit, MAX_LIMIT)))).all()
        return [_entry(row._mapping) for row in rows]

    def purge(self, older_than: float) -> int:
        table = schema.audit_log
        with self._begin() as conn:
            result = conn.execute(sa.delete(table).where(table.c.at < older_than))
        return int(result.rowcount or 0)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=float(row["at"]),
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        address=row["address"],
        detail=dict(row["detail"] or {}),
    )
