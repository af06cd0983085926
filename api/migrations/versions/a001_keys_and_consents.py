"""API keys (hashed, with a role and a scope) and owners' consents to workshops.

Revision ID: a001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("workshop_id", sa.Integer, nullable=True),
        sa.Column("owner_id", sa.Integer, nullable=True),
        sa.Column("vins", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_table(
        "api_consents",
        sa.Column("vin", sa.String(17), primary_key=True),
        sa.Column("workshop_id", sa.Integer, primary_key=True),
        sa.Column("signal", sa.String(200), primary_key=True),
        sa.Column("granted_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_consents")
    op.drop_table("api_keys")
