"""The command audit log (``jobs.store.CommandLog``) in the ``commands`` table of the job
store's database (revision 0003 of ``jobs/migrations``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from jobs.errors import JobStoreError
from jobs.model import CommandRecord
from jobs.sql import schema
from jobs.sql.database import MIGRATIONS, SqlStore, open_migrated

MAX_LIMIT = 1_000


class SqlCommandLog(SqlStore):
    """Commands sent to cars; safe to use from several threads."""

    WHAT = "command log"

    @classmethod
    def open(cls, url: str) -> SqlCommandLog:
        return cls(open_migrated(url, MIGRATIONS))

    def record(self, command: CommandRecord) -> None:
        row = {
            "id": command.id,
            "vin": command.vin,
            "type": command.type,
            "body": dict(command.body),
            "key_name": command.key_name,
            "role": command.role,
            "sent_at": command.sent_at,
        }
        try:
            with self._begin() as conn:
                conn.execute(sa.insert(schema.commands).values(**row))
        except JobStoreError as err:
            if isinstance(err.__cause__, IntegrityError):
                raise JobStoreError(f"command id {command.id!r} is taken") from err.__cause__
            raise

    def command(self, command_id: str) -> CommandRecord | None:
        table = schema.commands
        with self._begin() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == command_id)).first()
        return None if row is None else _record(row._mapping)

    def commands(self, vin: str | None = None, limit: int = 100) -> list[CommandRecord]:
        table = schema.commands
        query = sa.select(table).order_by(table.c.sent_at.desc(), table.c.id.desc())
        if vin is not None:
            query = query.where(table.c.vin == vin)
        with self._begin() as conn:
            rows = conn.execute(query.limit(max(1, min(limit, MAX_LIMIT)))).all()
        return [_record(row._mapping) for row in rows]


def _record(row: Any) -> CommandRecord:
    return CommandRecord(
        id=row["id"],
        vin=row["vin"],
        type=row["type"],
        body=dict(row["body"] or {}),
        key_name=row["key_name"],
        role=row["role"],
        sent_at=float(row["sent_at"]),
    )
