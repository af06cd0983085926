"""The SQL job store (SQLAlchemy Core): SQLite embedded, PostgreSQL in production.

``SqlJobStore.open(url)`` connects, migrates to the newest schema with Alembic, and returns a
store that is safe to use from several threads. "At most one open job per (vin, rule_id)" is a
partial unique index; ``open_job`` inserts and, when the index refuses, returns the open job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from pitstop.errors import ConfigError
from rules import schema
from rules.jobs import Job, JobDraft, JobStatus, JobStoreError, Workshop

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_OPEN = tuple(s.value for s in (JobStatus.PROPOSED, JobStatus.CONFIRMED, JobStatus.IN_SERVICE))
_OPEN_RETRIES = 5


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


def migrate(connection: Connection) -> None:
    """Bring the schema on ``connection`` to the newest revision (no logging setup)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class SqlJobStore:
    """``rules.jobs.JobStore`` over SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # One shared in-memory connection cannot be used by two threads at once.
        self._lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(engine.pool, StaticPool) else nullcontext()
        )

    @classmethod
    def open(cls, url: str) -> SqlJobStore:
        engine = engine_for(url)
        try:
            with engine.begin() as connection:
                migrate(connection)
        except SQLAlchemyError as err:
            engine.dispose()
            raise JobStoreError(f"cannot open job store {_safe(url)}: {err}") from err
        return cls(engine)

    def open_job(self, draft: JobDraft, workshop_id: int | None, now: float) -> tuple[Job, bool]:
        row = {
            "vin": draft.vin,
            "rule_id": draft.rule_id,
            "title": draft.title,
            "severity": draft.severity,
            "status": JobStatus.PROPOSED.value,
            "workshop_id": workshop_id,
            "fired_at": draft.fired_at,
            "created_at": now,
            "updated_at": now,
            "diagnosis": dict(draft.diagnosis),
            "evidence": dict(draft.evidence),
        }
        for _ in range(_OPEN_RETRIES):
            try:
                with self._begin() as conn:
                    job_id = conn.execute(
                        sa.insert(schema.jobs).values(row).returning(schema.jobs.c.id)
                    ).scalar_one()
                return _job(dict(row, id=job_id)), True
            except IntegrityError:
                existing = self._open_job_for(draft.vin, draft.rule_id)
                if existing is not None:
                    return existing, False
                # The open job closed between our insert and our look; try again.
        raise JobStoreError(f"cannot open a job for {draft.vin} / {draft.rule_id}: contention")

    def get_job(self, job_id: int) -> Job | None:
        with self._begin() as conn:
            row = conn.execute(sa.select(schema.jobs).where(schema.jobs.c.id == job_id)).first()
        return _job(row._mapping) if row else None

    def list_jobs(
        self,
        *,
        vin: str | None = None,
        status: JobStatus | None = None,
        workshop_id: int | None = None,
    ) -> list[Job]:
        query = sa.select(schema.jobs)
        if vin is not None:
            query = query.where(schema.jobs.c.vin == vin)
        if status is not None:
            query = query.where(schema.jobs.c.status == JobStatus(status).value)
        if workshop_id is not None:
            query = query.where(schema.jobs.c.workshop_id == workshop_id)
        query = query.order_by(schema.jobs.c.created_at.desc(), schema.jobs.c.id.desc())
        with self._begin() as conn:
            return [_job(row._mapping) for row in conn.execute(query)]

    def add_workshop(self, name: str, location: str, skills: tuple[str, ...]) -> Workshop:
        values = {"name": name, "location": location, "skills": list(skills)}
        with self._begin() as conn:
            workshop_id = conn.execute(
                sa.insert(schema.workshops).values(values).returning(schema.workshops.c.id)
            ).scalar_one()
        return Workshop(id=workshop_id, name=name, location=location, skills=tuple(skills))

    def workshops(self) -> list[Workshop]:
        query = sa.select(schema.workshops).order_by(schema.workshops.c.id)
        with self._begin() as conn:
            return [_workshop(row._mapping) for row in conn.execute(query)]

    def close(self) -> None:
        self._engine.dispose()

    def _open_job_for(self, vin: str, rule_id: str) -> Job | None:
        query = sa.select(schema.jobs).where(
            schema.jobs.c.vin == vin,
            schema.jobs.c.rule_id == rule_id,
            schema.jobs.c.status.in_(_OPEN),
        )
        with self._begin() as conn:
            row = conn.execute(query).first()
        return _job(row._mapping) if row else None

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction; database errors other than integrity ones become JobStoreError."""
        with self._lock:
            try:
                with self._engine.begin() as conn:
                    yield conn
            except IntegrityError:
                raise
            except SQLAlchemyError as err:
                raise JobStoreError(f"job store: {err}") from err


def _job(row: Mapping[Any, Any]) -> Job:
    return Job(
        id=row["id"],
        vin=row["vin"],
        rule_id=row["rule_id"],
        title=row["title"],
        severity=row["severity"],
        status=JobStatus(row["status"]),
        workshop_id=row["workshop_id"],
        fired_at=row["fired_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        diagnosis=row["diagnosis"],
        evidence=row["evidence"],
    )


def _workshop(row: Mapping[Any, Any]) -> Workshop:
    return Workshop(
        id=row["id"], name=row["name"], location=row["location"], skills=tuple(row["skills"])
    )


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url.rsplit("@", maxsplit=1)[-1]
