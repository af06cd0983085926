"""A job store written by an older pitstop upgrades in place and keeps everything.

``data/jobstore-0002.sql`` is the SQLite dump of a job store made by the migrations of revision
0002 (the schema the project had when the job domain moved out of ``rules/``): two workshops'
worth of data, a completed job with its history, an open booked job with added evidence, an
owner's and a workshop's webhooks in the outbox, and the rules engine's state of one vehicle.
The PostgreSQL case builds the same database at revision 0002 on a throwaway server database
and copies the rows in. Opening either with today's code must migrate it to the newest revision
and show every row as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from jobs.model import JobAction, JobDraft, JobStatus, Outcome, Severity
from jobs.sql.database import MIGRATIONS, engine_for
from jobs.sql.rulestate import SqlStateStore
from jobs.sql.store import SqlJobStore

DUMP = Path(__file__).parent / "data" / "jobstore-0002.sql"
OLD_REVISION = "0002"
NOW = 1767225600.0 + 86400


def _sqlite_from_dump(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(DUMP.read_text())
    return f"sqlite:///{path}"


def _postgres_at_old_revision(url: str, source: str) -> str:
    """The dump's rows in a PostgreSQL database migrated to the old revision only."""
    target = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with target.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, OLD_REVISION)
    old = sa.MetaData()
    old.reflect(engine_for(source))
    new = sa.MetaData()
    new.reflect(target)
    with engine_for(source).connect() as src, target.begin() as dst:
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(sa.insert(new.tables[table.name]), rows)
            if "id" in table.c:
                dst.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
    target.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def old_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    source = _sqlite_from_dump(tmp_path / "old-jobs.db")
    if request.param == "sqlite":
        return source
    url: str = request.getfixturevalue("postgres_url")
    return _postgres_at_old_revision(url, source)


def _revision(url: str) -> str:
    engine = engine_for(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return str(found)


def test_the_dump_is_at_the_old_revision(tmp_path: Path) -> None:
    assert _revision(_sqlite_from_dump(tmp_path / "jobs.db")) == OLD_REVISION


def test_an_old_job_store_upgrades_in_place_and_keeps_every_row(old_store_url: str) -> None:
    store = SqlJobStore.open(old_store_url)
    try:
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert _revision(old_store_url) == head

        assert [w.name for w in store.workshops()] == ["North Garage"]
        (shop,) = store.workshops()
        assert (shop.bays, shop.skills, shop.latitude) == (2, ("electrical", "brakes"), 52.5)
        assert [(o.name, o.kind, o.auto_confirm) for o in store.owners()] == [
            ("Anna", "private", False),
            ("Fleet", "fleet", True),
        ]
        assert [v.label for v in store.vehicles()] == ["Anna's car", "Van 2"]

        done, booked = sorted(store.list_jobs(), key=lambda j: j.id)
        assert (done.status, done.outcome, done.severity) == (
            JobStatus.COMPLETED,
            Outcome.FIXED,
            Severity.WARNING,
        )
        assert done.evidence["trigger"]["value"] == 11.7
        assert booked.status is JobStatus.CONFIRMED  # the fleet's policy confirmed it
        assert booked.severity is Severity.CRITICAL  # raised by the refiring
        assert booked.evidence["refirings"] == [{"value": 2.0}]
        assert booked.slot_start == 1767254400.0
        taken = store.reservations(shop.id, booked.slot_start, booked.slot_start + 3600)
        assert [r.job_id for r in taken] == [booked.id]

        assert store.pending_webhooks() == 14  # every event so far, to the owner and the shop
        state = SqlStateStore(store.engine).load("0/1:")
        assert state == {"0/1:WVWZZZ1JZXW000002": {"alerts": {"x": 1}}}

        # and it goes on working: the old open job moves on, a new job gets a new id
        accepted = store.act(booked.id, JobAction.ACCEPT, NOW)
        assert accepted.status is JobStatus.ACCEPTED
        draft = JobDraft("WVWZZZ1JZXW000001", "coolant-hot", "Coolant hot", Severity.INFO, NOW)
        new, created = store.open_job(draft, shop.id, NOW)
        assert created
        assert new.id == 3
        outcomes = {o.rule_id: o.fixed for o in store.rule_outcomes()}
        assert outcomes == {"lv-battery-low": 1}
    finally:
        store.close()
