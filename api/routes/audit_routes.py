"""The audit log (``jobs.audit``), for admins only: who changed what, when, from where.

Newest first, filtered by time, actor, action or target; ``before_id`` pages back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import MAX_ID, AuditLogDep, From, To
from api.schemas import EPOCH, problem
from api.scope import AccessDep
from api.timerange import parse_instant
from jobs.audit import MAX_LIMIT, AuditQuery

NOBODY = frozenset[Any]()  # admins only (``Access.require`` lets the admin through)

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    responses={
        **problem(403, "Admins only."),
        **problem(503, "This server keeps no audit log, or its store is unavailable."),
    },
)


class AuditItem(BaseModel):
    id: int
    at: float = Field(description=f"When it happened. {EPOCH}")
    actor: str = Field(description="Who: the key (id, name, role) and how it was presented.")
    action: str = Field(description="What: the route (method and path template) or the act.")
    target: str = Field(description="What it acted on: 'job 42', 'vehicle <VIN>', ...")
    outcome: str = Field(description="'ok', or the status that refused it ('403', '409').")
    address: str = Field(description="The client's address, when the act came over HTTP.")
    detail: dict[str, Any] = Field(description="Small facts of the act (never a secret).")


Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=list[AuditItem])
def audit_entries(  # noqa: PLR0917 - the query's filters
    access: AccessDep,
    audit: AuditLogDep,
    start: From = None,
    end: To = None,
    actor: Text = None,
    action: Text = None,
    target: Text = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> list[AuditItem]:
    access.require(NOBODY, "read the audit log")
    query = AuditQuery(
        since=None if start is None else parse_instant(start, "from"),
        until=None if end is None else parse_instant(end, "to"),
        actor=actor,
        action=action,
        target=target,
        limit=limit,
        before_id=before_id,
    )
    return [
        AuditItem(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            target=e.target,
            outcome=e.outcome,
            address=e.address,
            detail=dict(e.detail),
        )
        for e in audit.entries(query)
    ]
