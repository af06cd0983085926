"""The service book (one record per service, repair, inspection or tyre change of a vehicle),
the follow-ups asked after a completed job, and the notices sent once (maintenance reminders).

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
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
