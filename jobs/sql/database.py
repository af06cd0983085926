"""Connections and migrations for the job store's database (SQLite or PostgreSQL).

``open_migrated(url, script_location)`` connects and brings the schema of one Alembic
environment to its newest revision; the job store uses ``jobs/migrations``, and a store that
keeps tables of its own in the same database (the API's keys) passes its own environment,
with a version table of its own.

Several workers started together on a fresh database migrate it once: the upgrade runs under
a lock, a PostgreSQL advisory lock held for the migrating transaction, or an exclusive file
lock beside an SQLite file (SQLite runs DDL outside the transaction the driver opens, so
``BEGIN IMMEDIATE`` alone would not keep a second process from creating the same table).
The others wait, then find the schema at its newest revision and do nothing.
"""

from __future__ import annotations

import fcntl
import threading
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from jobs.errors import JobStoreError
from pitstop.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def engine_for(url: str) -> Engine:
    """An engine for a job store URL: ``sqlite:///path``, ``sqlite://``, ``postgresql://``."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        return sa.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    if url.startswith("sqlite:///"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return sa.create_engine(
                "postgresql+psycopg://" + url[len(prefix) :], pool_pre_ping=True
            )
    raise ConfigError(f"job store URL {url!r}: expected sqlite:///path or postgresql://...")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(connection: Connection, script_location: Path = MIGRATIONS) -> None:
    """Bring the schema on ``connection`` to the newest revision of the Alembic environment
    at ``script_location`` (the job store's by default; the API keeps its own tables in an
    environment of its own), without touching the logging setup."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def open_migrated(url: str, script_location: Path) -> Engine:
    """An engine for ``url`` whose schema (of the Alembic environment at ``script_location``)
    is at its newest revision; ``JobStoreError`` naming the URL (without password) if not.
    Safe to call from several processes at once (see the module docstring)."""
    engine = engine_for(url)
    try:
        with _file_lock(engine), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                key = zlib.crc32(script_location.name.encode()) or 1
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            migrate(connection, script_location)
    except (SQLAlchemyError, OSError) as err:
        engine.dispose()
        raise JobStoreError(f"cannot open {safe_url(url)}: {err}") from err
    return engine


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock on ``<file>.migrate-lock`` beside an SQLite file; nothing else."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def engine_lock(engine: Engine) -> AbstractContextManager[Any]:
    """A lock where the engine's one shared connection (in-memory SQLite) cannot serve two
    threads at once; nothing elsewhere."""
    return threading.Lock() if isinstance(engine.pool, StaticPool) else nullcontext()


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url.rsplit("@", maxsplit=1)[-1]


class SqlStore:
    """The shell every SQL store over this database shares: one engine, the lock of
    ``engine_lock``, and transactions whose database errors become the store's own error.

    A subclass sets ``WHAT`` (how its errors name it) and, if it is not ``JobStoreError``,
    ``ERROR``; one that retries on a refused insert (a unique key taken by another worker)
    sets ``PASSES_INTEGRITY_ERRORS`` and catches ``IntegrityError`` itself.
    """

    WHAT = "store"
    ERROR: type[Exception] = JobStoreError
    PASSES_INTEGRITY_ERRORS = False

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = engine_lock(engine)

    @property
    def engine(self) -> Engine:
        """The engine, for another store over the same database."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends."""
        with self._lock:
            try:
                with self._engine.begin() as conn:
                    yield conn
            except IntegrityError as err:
                if self.PASSES_INTEGRITY_ERRORS:
                    raise
                raise self.ERROR(f"{self.WHAT}: {err}") from err
            except SQLAlchemyError as err:
                raise self.ERROR(f"{self.WHAT}: {err}") from err
