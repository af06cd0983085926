"""Owners, vehicles, the job lifecycle (slots, outcomes, events), workshop details, bay
reservations, the webhook outbox and the rules engine's persisted state.

The open-job partial unique index now counts 'accepted' as open.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OLD_OPEN = "status IN ('proposed', 'confirmed', 'in_service')"
_OPEN = "status IN ('proposed', 'confirmed', 'accepted', 'in_service')"


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("latitude", sa.Float, nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float, nullable=True))
        batch.add_column(sa.Column("brands", sa.JSON, nullable=True))
        batch.add_column(sa.Column("bays", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("hours", sa.JSON, nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"))
        batch.add_column(sa.Column("webhook_url", sa.String(500), nullable=True))
    op.create_table(
        "owners",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "preferred_workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True
        ),
        sa.Column("auto_confirm", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("webhook_url", sa.String(500), nullable=True),
    )
    op.create_table(
        "vehicles",
        sa.Column("vin", sa.String(17), primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id"), nullable=True),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
    )
    op.drop_index("uq_jobs_open_vin_rule", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("slot_start", sa.Float, nullable=True))
        batch.add_column(sa.Column("slot_end", sa.Float, nullable=True))
        batch.add_column(sa.Column("bay", sa.Integer, nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(32), nullable=True))
    op.create_index(
        "uq_jobs_open_vin_rule",
        "jobs",
        ["vin", "rule_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False, server_default=""),
    )
    op.create_index("ix_job_events_job", "job_events", ["job_id"])
    # One row per (workshop, bay, slot-hour) a job holds: the database refuses a double booking.
    op.create_table(
        "reservations",
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=False),
        sa.Column("bay", sa.Integer, nullable=False),
        sa.Column("slot_start", sa.Float, nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id", "bay", "slot_start"),
    )
    op.create_index("ix_reservations_job", "reservations", ["job_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("delivered_at", sa.Float, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered_at", "next_attempt_at"])
    op.create_table(
        "rule_state",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rule_state")
    op.drop_table("outbox")
    op.drop_table("reservations")
    op.drop_table("job_events")
    op.drop_index("uq_jobs_open_vin_rule", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in ("outcome", "bay", "slot_end", "slot_start"):
            batch.drop_column(column)
    op.create_index(
        "uq_jobs_open_vin_rule",
        "jobs",
        ["vin", "rule_id"],
        unique=True,
        sqlite_where=sa.text(_OLD_OPEN),
        postgresql_where=sa.text(_OLD_OPEN),
    )
    op.drop_table("vehicles")
    op.drop_table("owners")
    with op.batch_alter_table("workshops") as batch:
        for column in (
            "webhook_url",
            "timezone",
            "hours",
            "bays",
            "brands",
            "longitude",
            "latitude",
        ):
            batch.drop_column(column)
