"""The rules engine's persisted state: one JSON document per scope (the rules worker uses one per
vehicle and shard) in the ``rule_state`` table of the job store's database.

It implements ``rules.checkpoint.StateStore`` (by shape: this layer does not import the rules).
The table lives here because its migrations are the job store's (``jobs/migrations``), and a
rules worker needs no database of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from jobs.sql import schema
from jobs.sql.database import MIGRATIONS, SqlStore, open_migrated


class SqlStateStore(SqlStore):
    """Scoped JSON documents; ``save_many`` writes several in one transaction."""

    WHAT = "rule state"

    @classmethod
    def open(cls, url: str) -> SqlStateStore:
        return cls(open_migrated(url, MIGRATIONS))

    def save(self, scope: str, state: Mapping[str, Any], now: float) -> None:
        self.save_many([(scope, state)], now)

    def save_many(self, items: Iterable[tuple[str, Mapping[str, Any]]], now: float) -> None:
        """One transaction, one upsert statement for all of them (a checkpoint of thousands
        of vehicles is one round trip, not two statements per vehicle)."""
        rows: list[dict[str, Any]] = [
            {"scope": s, "state": dict(st), "updated_at": float(now)} for s, st in items
        ]
        if not rows:
            return
        with self._begin() as conn:
            if conn.dialect.name in ("sqlite", "postgresql"):
                conn.execute(_upsert(conn.dialect.name), rows)
            else:
                for row in rows:
                    _save(conn, row["scope"], row["state"], now)

    def load(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every saved scope starting with ``prefix``: scope -> state."""
        with self._begin() as conn:
            return _load(conn, prefix)


def _upsert(dialect: str) -> Any:
    table = schema.rule_state
    insert = sqlite_insert(table) if dialect == "sqlite" else pg_insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.scope],
        set_={"state": insert.excluded.state, "updated_at": insert.excluded.updated_at},
    )


def _save(conn: Connection, scope: str, state: Mapping[str, Any], now: float) -> None:
    table = schema.rule_state
    found = conn.execute(sa.select(table.c.scope).where(table.c.scope == scope)).first()
    values = {"state": dict(state), "updated_at": float(now)}
    if found is None:
        conn.execute(sa.insert(table).values(scope=scope, **values))
    else:
        conn.execute(sa.update(table).where(table.c.scope == scope).values(values))


def _load(conn: Connection, prefix: str) -> dict[str, dict[str, Any]]:
    """Every saved scope starting with ``prefix``: scope -> state."""
    table = schema.rule_state
    found = conn.execute(sa.select(table).where(table.c.scope.startswith(prefix, autoescape=True)))
    return {row.scope: dict(row.state) for row in found}
