"""The job store's tables, as SQLAlchemy Core objects for queries.

The schema itself is created and changed only by the Alembic migrations in rules/migrations;
keep this file in step with the newest migration.
"""

from __future__ import annotations

import sqlalchemy as sa

OPEN_STATUS_SQL = "status IN ('proposed', 'confirmed', 'in_service')"

metadata = sa.MetaData()

workshops = sa.Table(
    "workshops",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("location", sa.String(200), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("vin", sa.String(17), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True),
    sa.Column("fired_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("diagnosis", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
)
