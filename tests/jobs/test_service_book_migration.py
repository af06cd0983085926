"""Revision 0005 on a job store of an older pitstop: the jobs completed before it get their
service-book records (and no follow-up), and it goes down to 0003 and up again cleanly; on
SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobs.model import RecordSource, ServiceKind
from jobs.sql.database import MIGRATIONS, engine_for
from jobs.sql.store import SqlJobStore
from tests.jobs.test_upgrade import old_store_url

__all__ = ["old_store_url"]  # the fixture: the dump of revision 0002, on either database


def test_jobs_completed_before_the_book_get_their_records(old_store_url: str) -> None:
    store = SqlJobStore.open(old_store_url)
    try:
        (done,) = [j for j in store.list_jobs() if j.outcome is not None]
        (record,) = store.service_records(done.vin)
        assert (record.source, record.job_id, record.done_at) == (
            RecordSource.JOB,
            done.id,
            done.updated_at,
        )
        assert record.entry.kind is ServiceKind.REPAIR
        assert record.entry.rule_id == done.rule_id
        assert record.entry.workshop == "North Garage"
        assert store.followup(done.id) is None  # old jobs: nobody is asked
    finally:
        store.close()


def test_the_revision_goes_down_and_up_again(old_store_url: str) -> None:
    SqlJobStore.open(old_store_url).close()
    engine = engine_for(old_store_url)
    try:
        for target in ("0003", "head"):
            with engine.begin() as conn:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = conn
                (command.downgrade if target == "0003" else command.upgrade)(config, target)
            tables = set(sa.inspect(engine).get_table_names())
            assert ("service_records" in tables) is (target == "head")
            assert ("notices" in tables) is (target == "head")
    finally:
        engine.dispose()
    store = SqlJobStore.open(old_store_url)
    assert len([r for j in store.list_jobs() for r in store.service_records(j.vin)]) >= 1
    store.close()
