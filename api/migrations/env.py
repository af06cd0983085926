"""Alembic environment of the API's own tables (keys, consents) in the job store's database.

Run only programmatically (``api.keys.KeyStore.open``) with an open SQLAlchemy ``Connection``
in ``config.attributes["connection"]``. Its version table is ``api_alembic_version``, so it
never collides with the rules migrations (``alembic_version``) in the same database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

VERSION_TABLE = "api_alembic_version"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("api/migrations runs through api.keys, with a connection")
_run(_connection)
