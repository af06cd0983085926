"""Webhooks, written durably: every job event (opened, booked, confirmed, moved, accepted,
started, completed, cancelled, rejected) adds one ``outbox`` row per interested receiver (the
vehicle owner's or fleet's ``webhook_url``, the workshop's) in the SAME transaction as the state
change (``jobs.sql.history.record`` calls ``enqueue``), so a crash can never lose one.
``jobs.delivery`` sends them, at least once, with retries and backoff.

Body (JSON)::

    {"id": "<uuid: the same on every retry, dedupe on it>", "event": "job.confirm",
     "at": <epoch s>, "job": {"id": 7, "vin": ..., "rule_id": ..., "title": ...,
     "severity": ..., "status": "confirmed", "workshop_id": 1, "slot_start": ..., ...}}
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.model import OutboxItem
from jobs.sql import schema

MAX_BACKOFF_S = 3600.0
FIRST_BACKOFF_S = 1.0


def enqueue(conn: Connection, job_id: int, action: str, at: float) -> int:
    """Add the outbox rows of one job event; return how many receivers it goes to."""
    jobs, vehicles, owners, shops = schema.jobs, schema.vehicles, schema.owners, schema.workshops
    job = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if job is None:
        return 0
    urls: list[str] = []
    owner = conn.execute(
        sa.select(owners.c.webhook_url)
        .select_from(vehicles.join(owners, vehicles.c.owner_id == owners.c.id))
        .where(vehicles.c.vin == job.vin)
    ).first()
    if owner is not None and owner.webhook_url:
        urls.append(owner.webhook_url)
    if job.workshop_id is not None:
        shop = conn.execute(
            sa.select(shops.c.webhook_url).where(shops.c.id == job.workshop_id)
        ).first()
        if shop is not None and shop.webhook_url:
            urls.append(shop.webhook_url)
    for url in dict.fromkeys(urls):
        body = json.dumps(
            {"id": uuid.uuid4().hex, "event": f"job.{action}", "at": at, "job": _job(job)},
            separators=(",", ":"),
            sort_keys=True,
        )
        conn.execute(
            sa.insert(schema.outbox).values(
                url=url,
                event=f"job.{action}",
                body=body,
                created_at=at,
                next_attempt_at=at,
                attempts=0,
                last_error="",
            )
        )
    return len(urls)


def _job(row: Any) -> dict[str, Any]:
    keys = ("id", "vin", "rule_id", "title", "severity", "status", "workshop_id", "fired_at")
    out = {k: getattr(row, k) for k in keys}
    out.update(slot_start=row.slot_start, slot_end=row.slot_end, outcome=row.outcome)
    return out


def due(conn: Connection, now: float, limit: int) -> list[OutboxItem]:
    box = schema.outbox
    found = conn.execute(
        sa.select(box)
        .where(box.c.delivered_at.is_(None), box.c.next_attempt_at <= now)
        .order_by(box.c.next_attempt_at, box.c.id)
        .limit(limit)
    )
    return [OutboxItem(r.id, r.url, r.event, r.body, r.attempts) for r in found]


def delivered(conn: Connection, item_id: int, now: float) -> None:
    box = schema.outbox
    conn.execute(
        sa.update(box)
        .where(box.c.id == item_id)
        .values(delivered_at=now, attempts=box.c.attempts + 1, last_error="")
    )


def failed(conn: Connection, item_id: int, now: float, error: str, attempts: int) -> float:
    """Record a failed attempt; return when the next one is due (exponential backoff)."""
    wait = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2.0**attempts)
    box = schema.outbox
    conn.execute(
        sa.update(box)
        .where(box.c.id == item_id)
        .values(next_attempt_at=now + wait, attempts=attempts + 1, last_error=error[:500])
    )
    return now + wait


def pending_count(conn: Connection) -> int:
    box = schema.outbox
    query = sa.select(sa.func.count()).select_from(box).where(box.c.delivered_at.is_(None))
    return int(conn.execute(query).scalar_one())
