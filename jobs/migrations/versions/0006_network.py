"""The service network: own and partner workshops with high-voltage certification, where a
vehicle lives and its brand, a job's booking reason, deadline, escalation and comeback link,
each job's hand-off history (offered, declined with a reason, escalated), and owners' ratings.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ASPECTS = ("quality", "speed", "price", "communication", "reception")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite a batch rebuild of a table that others
    # reference breaks their foreign keys.
    op.add_column(
        "workshops", sa.Column("kind", sa.String(16), nullable=False, server_default="own")
    )
    op.add_column(
        "workshops",
        sa.Column("high_voltage", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("vehicles", sa.Column("brand", sa.String(64), nullable=True))
    op.add_column("vehicles", sa.Column("latitude", sa.Float, nullable=True))
    op.add_column("vehicles", sa.Column("longitude", sa.Float, nullable=True))
    op.add_column("jobs", sa.Column("comeback_of", sa.Integer, nullable=True))
    op.add_column("jobs", sa.Column("booking_reason", sa.JSON, nullable=True))
    op.add_column("jobs", sa.Column("due_at", sa.Float, nullable=True))
    op.add_column("jobs", sa.Column("escalated_at", sa.Float, nullable=True))
    op.add_column("jobs", sa.Column("completed_at", sa.Float, nullable=True))
    op.create_index("ix_jobs_comeback_of", "jobs", ["comeback_of"])
    op.create_table(
        "job_handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False, server_default=""),
    )
    op.create_index("ix_job_handoffs_job", "job_handoffs", ["job_id"])
    op.create_table(
        "ratings",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("overall", sa.Integer, nullable=False),
        *(sa.Column(aspect, sa.Integer, nullable=False) for aspect in ASPECTS),
        sa.Column("comment", sa.String(2000), nullable=False, server_default=""),
    )
    op.create_index("ix_ratings_workshop", "ratings", ["workshop_id"])


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), for the reason upgrade() adds them plainly:
    # a batch rebuild of ``jobs`` fails on the foreign keys of the tables that reference it.
    op.drop_index("ix_ratings_workshop", table_name="ratings")
    op.drop_table("ratings")
    op.drop_index("ix_job_handoffs_job", table_name="job_handoffs")
    op.drop_table("job_handoffs")
    op.drop_index("ix_jobs_comeback_of", table_name="jobs")
    dropped = {
        "jobs": ("completed_at", "escalated_at", "due_at", "booking_reason", "comeback_of"),
        "vehicles": ("longitude", "latitude", "brand"),
        "workshops": ("high_voltage", "kind"),
    }
    for table, columns in dropped.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
