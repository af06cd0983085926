"""The job store's tables, as SQLAlchemy Core objects for queries.

The schema itself is created and changed only by the Alembic migrations in jobs/migrations;
keep this file in step with the newest migration (0006).
"""

from __future__ import annotations

import sqlalchemy as sa

OPEN_STATUS_SQL = "status IN ('proposed', 'confirmed', 'accepted', 'in_service')"

metadata = sa.MetaData()

workshops = sa.Table(
    "workshops",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("location", sa.String(200), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("latitude", sa.Float, nullable=True),
    sa.Column("longitude", sa.Float, nullable=True),
    sa.Column("brands", sa.JSON, nullable=True),
    sa.Column("bays", sa.Integer, nullable=False),
    sa.Column("hours", sa.JSON, nullable=True),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("webhook_url", sa.String(500), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # own | partner
    sa.Column("high_voltage", sa.Boolean, nullable=False),  # certified for high-voltage work
)

owners = sa.Table(
    "owners",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("preferred_workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True),
    sa.Column("auto_confirm", sa.Boolean, nullable=False),
    sa.Column("webhook_url", sa.String(500), nullable=True),
)

vehicles = sa.Table(
    "vehicles",
    metadata,
    sa.Column("vin", sa.String(17), primary_key=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id"), nullable=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("brand", sa.String(64), nullable=True),
    sa.Column("latitude", sa.Float, nullable=True),
    sa.Column("longitude", sa.Float, nullable=True),
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
    sa.Column("slot_start", sa.Float, nullable=True),
    sa.Column("slot_end", sa.Float, nullable=True),
    sa.Column("bay", sa.Integer, nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column(
        "comeback_of", sa.Integer, nullable=True
    ),  # the "fixed" job this fault came back after
    sa.Column("booking_reason", sa.JSON, nullable=True),  # why this workshop (jobs.ranking)
    sa.Column("due_at", sa.Float, nullable=True),  # the urgency window's end
    sa.Column("escalated_at", sa.Float, nullable=True),
    sa.Column("completed_at", sa.Float, nullable=True),
)

job_events = sa.Table(
    "job_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("note", sa.String(1000), nullable=False),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=False),
    sa.Column("bay", sa.Integer, nullable=False),
    sa.Column("slot_start", sa.Float, nullable=False),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.PrimaryKeyConstraint("workshop_id", "bay", "slot_start"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=False),
)

rule_state = sa.Table(
    "rule_state",
    metadata,
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("vin", sa.String(17), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("key_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("sent_at", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("action", sa.String(500), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("outcome", sa.String(500), nullable=False),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)


service_records = sa.Table(
    "service_records",
    metadata,
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
)

followups = sa.Table(
    "followups",
    metadata,
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

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("vin", sa.String(17), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)


job_handoffs = sa.Table(
    "job_handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # offered | declined | escalated | unplaced
    sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=True),
    sa.Column("reason", sa.String(1000), nullable=False),
)

ASPECTS = ("quality", "speed", "price", "communication", "reception")

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("overall", sa.Integer, nullable=False),
    *(sa.Column(aspect, sa.Integer, nullable=False) for aspect in ASPECTS),
    sa.Column("comment", sa.String(2000), nullable=False),
)
