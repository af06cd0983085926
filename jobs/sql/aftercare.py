"""After the job: the follow-up question to the owner, and notices sent once (reminders).

A completed job gets a ``followups`` row in the transaction of its completion
(``followup_on_completion``). ``ask_due`` puts the question once ``after_s`` has passed: it
records what the car's own data says by then (``clear``: no job of the same rule opened since
the completion; ``fired_again``: one was, and which) and adds a ``job.followup`` webhook for the
owner, in one transaction with a compare-and-set on ``asked_at`` so it is asked once.

``fired_again`` records a comeback as it happens: a job of the same rule opened within
``WATCH_S`` of a completion marks that job's follow-up ``fired_again`` (asked or not yet).

``notify_once`` writes a notice (a maintenance reminder) to the owner's webhook at most once per
(vin, key), also across restarts: the ``notices`` row and the outbox row share a transaction.

Follow-up body::

    {"id": ..., "event": "job.followup", "at": ..., "job": {"id": 7, "vin": ..., "rule_id": ...,
     "title": ...}, "question": "Is the problem gone?", "car": "clear" | "fired_again",
     "car_job_id": null | 9, "answer_url": "/jobs/7/followup"}
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobs.errors import JobStoreError
from jobs.model import FOLLOWUP_QUESTION, CarVerdict, FollowUp, FollowUpAnswer
from jobs.sql import schema

QUESTION = FOLLOWUP_QUESTION
WATCH_S = 30 * 86_400.0  # a fault back within this long of the completion is a comeback
_F = schema.followups


def followup_on_completion(conn: Connection, job: Mapping[str, Any], now: float) -> None:
    if conn.execute(sa.select(_F.c.job_id).where(_F.c.job_id == job["id"])).first() is None:
        conn.execute(
            sa.insert(_F).values(
                job_id=job["id"], vin=job["vin"], rule_id=job["rule_id"], completed_at=now
            )
        )


def ask_due(conn: Connection, now: float, after_s: float, limit: int = 100) -> int:
    """Ask every follow-up whose job was completed at least ``after_s`` ago; return how many."""
    due = conn.execute(
        sa.select(_F)
        .where(_F.c.asked_at.is_(None), _F.c.completed_at <= now - after_s)
        .order_by(_F.c.completed_at, _F.c.job_id)
        .limit(limit)
    ).all()
    asked = 0
    for row in due:
        again = _fired_again(conn, row.vin, row.rule_id, row.job_id, row.completed_at)
        verdict = CarVerdict.FIRED_AGAIN if again is not None else CarVerdict.CLEAR
        changed = conn.execute(
            sa.update(_F)
            .where(_F.c.job_id == row.job_id, _F.c.asked_at.is_(None))
            .values(asked_at=now, car_verdict=verdict.value, car_job_id=again)
        ).rowcount
        if changed != 1:
            continue
        job = conn.execute(sa.select(schema.jobs).where(schema.jobs.c.id == row.job_id)).one()
        doc = {
            "job": {k: getattr(job, k) for k in ("id", "vin", "rule_id", "title", "outcome")},
            "question": QUESTION,
            "car": verdict.value,
            "car_job_id": again,
            "answer_url": f"/jobs/{row.job_id}/followup",
        }
        enqueue(conn, owner_urls(conn, row.vin), "job.followup", now, doc)
        asked += 1
    return asked


def _fired_again(conn: Connection, vin: str, rule_id: str, job_id: int, since: float) -> int | None:
    jobs = schema.jobs
    return conn.execute(
        sa.select(jobs.c.id)
        .where(
            jobs.c.vin == vin,
            jobs.c.rule_id == rule_id,
            jobs.c.id != job_id,
            jobs.c.created_at > since,
        )
        .order_by(jobs.c.created_at)
        .limit(1)
    ).scalar()


def fired_again(conn: Connection, vin: str, rule_id: str, job_id: int, at: float) -> int:
    """Mark the follow-ups of (vin, rule_id) completed within ``WATCH_S`` before ``at`` as
    fired again by job ``job_id``; how many."""
    return int(
        conn.execute(
            sa.update(_F)
            .where(
                _F.c.vin == vin,
                _F.c.rule_id == rule_id,
                _F.c.job_id != job_id,
                _F.c.completed_at < at,
                _F.c.completed_at >= at - WATCH_S,
                sa.or_(_F.c.car_verdict.is_(None), _F.c.car_verdict == CarVerdict.CLEAR.value),
            )
            .values(car_verdict=CarVerdict.FIRED_AGAIN.value, car_job_id=job_id)
        ).rowcount
    )


def answer(conn: Connection, job_id: int, solved: bool, now: float) -> FollowUp:
    """The owner's answer (the latest one counts); JobStoreError if there is no follow-up."""
    value = (FollowUpAnswer.SOLVED if solved else FollowUpAnswer.NOT_SOLVED).value
    changed = conn.execute(
        sa.update(_F).where(_F.c.job_id == job_id).values(answer=value, answered_at=now)
    ).rowcount
    if changed != 1:
        raise JobStoreError(f"job {job_id} has no follow-up (it is not completed)")
    found = get(conn, job_id)
    if found is None:
        raise JobStoreError(f"job {job_id} has no follow-up")
    return found


def get(conn: Connection, job_id: int) -> FollowUp | None:
    row = conn.execute(sa.select(_F).where(_F.c.job_id == job_id)).first()
    if row is None:
        return None
    return FollowUp(
        job_id=row.job_id,
        vin=row.vin,
        rule_id=row.rule_id,
        completed_at=row.completed_at,
        asked_at=row.asked_at,
        answer=FollowUpAnswer(row.answer) if row.answer else None,
        answered_at=row.answered_at,
        car_verdict=CarVerdict(row.car_verdict) if row.car_verdict else None,
        car_job_id=row.car_job_id,
    )


def notify_once(  # noqa: PLR0917 - one notice
    conn: Connection, vin: str, key: str, event: str, doc: Mapping[str, Any], now: float
) -> bool:
    """Send ``doc`` as ``event`` to the vehicle owner's webhook unless (vin, key) was sent;
    True if it is new. Raises IntegrityError when a concurrent writer took the key first."""
    notices = schema.notices
    taken = conn.execute(
        sa.select(notices.c.key).where(notices.c.vin == vin, notices.c.key == key[:200])
    ).first()
    if taken is not None:
        return False
    conn.execute(sa.insert(notices).values(vin=vin, key=key[:200], event=event, at=now))
    enqueue(conn, owner_urls(conn, vin), event, now, doc)
    return True


def owner_urls(conn: Connection, vin: str) -> list[str]:
    vehicles, owners = schema.vehicles, schema.owners
    url = conn.execute(
        sa.select(owners.c.webhook_url)
        .select_from(vehicles.join(owners, vehicles.c.owner_id == owners.c.id))
        .where(vehicles.c.vin == vin)
    ).scalar()
    return [url] if url else []


def enqueue(
    conn: Connection, urls: list[str], event: str, at: float, doc: Mapping[str, Any]
) -> None:
    """Outbox rows of one event that is not a job's state change (same body conventions)."""
    for url in dict.fromkeys(urls):
        body = json.dumps(
            {"id": uuid.uuid4().hex, "event": event, "at": at, **doc},
            separators=(",", ":"),
            sort_keys=True,
        )
        conn.execute(
            sa.insert(schema.outbox).values(
                url=url,
                event=event,
                body=body,
                created_at=at,
                next_attempt_at=at,
                attempts=0,
                last_error="",
            )
        )
