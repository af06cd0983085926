"""The service book (one record per service, repair, inspection or tyre change of a vehicle),
the follow-ups asked after a completed job, and the notices sent once (maintenance reminders).

Jobs completed before this revision get their service-book record here, as a completion does
from now on (no follow-up: their owners are not asked about old jobs).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("done_on", sa.String(10), nullable=False),
        sa.Column("done_at", sa.Float, nullable=True),
        sa.Column("odometer_km", sa.Float, nullable=True),
        sa.Column("workshop", sa.String(200), nullable=False),
        sa.Column("work", sa.String(2000), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("labour_hours", sa.Float, nullable=True),
        sa.Column("cost", sa.Float, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("notes", sa.String(2000), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True),
        sa.Column("row_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("job_id", name="uq_service_records_job"),
        sa.UniqueConstraint("vin", "row_hash", name="uq_service_records_row"),
    )
    op.create_index("ix_service_records_vin_done", "service_records", ["vin", "done_on"])
    op.create_table(
        "followups",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("completed_at", sa.Float, nullable=False),
        sa.Column("asked_at", sa.Float, nullable=True),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("answered_at", sa.Float, nullable=True),
        sa.Column("car_verdict", sa.String(16), nullable=True),
        sa.Column("car_job_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_followups_due", "followups", ["asked_at", "completed_at"])
    _backfill(op.get_bind())
    op.create_table(
        "notices",
        sa.Column("vin", sa.String(17), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_index("ix_followups_due", table_name="followups")
    op.drop_table("followups")
    op.drop_index("ix_service_records_vin_done", table_name="service_records")
    op.drop_table("service_records")


def _backfill(conn: sa.engine.Connection) -> None:
    """A record for every job completed before this revision (what ``record_job`` writes)."""
    meta = sa.MetaData()
    jobs = sa.Table(
        "jobs",
        meta,
        sa.Column("id", sa.Integer),
        sa.Column("vin", sa.String),
        sa.Column("rule_id", sa.String),
        sa.Column("title", sa.String),
        sa.Column("status", sa.String),
        sa.Column("workshop_id", sa.Integer),
        sa.Column("updated_at", sa.Float),
        sa.Column("diagnosis", sa.JSON),
        sa.Column("evidence", sa.JSON),
        sa.Column("outcome", sa.String),
    )
    shops = sa.Table("workshops", meta, sa.Column("id", sa.Integer), sa.Column("name", sa.String))
    records = sa.table(
        "service_records",
        *(sa.column(name, sa.JSON if name == "parts" else None) for name in _RECORD_COLUMNS),
    )
    names = dict(conn.execute(sa.select(shops.c.id, shops.c.name)).all())
    done = conn.execute(sa.select(jobs).where(jobs.c.status == "completed")).all()
    rows = [_record(job._mapping, names) for job in done]
    if rows:
        conn.execute(sa.insert(records), rows)


_RECORD_COLUMNS = (
    "vin", "kind", "done_on", "done_at", "odometer_km", "workshop", "work", "parts",
    "labour_hours", "cost", "currency", "notes", "rule_id", "source", "job_id", "workshop_id",
    "row_hash", "created_at", "updated_at",
)  # fmt: skip


def _record(job: Any, names: dict[int, str]) -> dict[str, Any]:
    evidence, diagnosis = job["evidence"] or {}, job["diagnosis"] or {}
    odometer = evidence.get("odometer_km")
    labour = diagnosis.get("labour_hours")
    outcome = str(job["outcome"] or "").replace("_", " ")
    at = float(job["updated_at"])
    return {
        "vin": job["vin"],
        "kind": "service"
        if (evidence.get("trigger") or {}).get("kind") == "maintenance"
        else "repair",
        "done_on": datetime.fromtimestamp(at, UTC).date().isoformat(),
        "done_at": at,
        "odometer_km": float(odometer) if isinstance(odometer, int | float) else None,
        "workshop": names.get(job["workshop_id"], "")[:200],
        "work": (f"{job['title']} ({outcome})" if outcome else job["title"])[:2000],
        "parts": [str(p.get("name", ""))[:200] for p in diagnosis.get("parts") or ()],
        "labour_hours": float(labour) if isinstance(labour, int | float) and labour else None,
        "cost": None,
        "currency": "",
        "notes": "",
        "rule_id": job["rule_id"],
        "source": "job",
        "job_id": job["id"],
        "workshop_id": job["workshop_id"],
        "row_hash": None,
        "created_at": at,
        "updated_at": at,
    }
