"""The audit log of commands sent to cars (``cmd`` topic): who, when, what, vin, id.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("key_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.Float, nullable=False),
    )
    op.create_index("ix_commands_vin_sent", "commands", ["vin", "sent_at"])
    op.create_index("ix_commands_sent", "commands", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_commands_sent", table_name="commands")
    op.drop_index("ix_commands_vin_sent", table_name="commands")
    op.drop_table("commands")
