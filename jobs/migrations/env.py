"""Alembic environment: migrates the connection ``jobs.sql.database`` hands over.

Run only programmatically (``SqlJobStore.open``): the caller puts an open SQLAlchemy
``Connection`` in ``config.attributes["connection"]``. No logging configuration happens here,
so the application's logging stays as it was.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("jobs/migrations runs through jobs.sql.database, with a connection")
_run(_connection)
