"""Every state-changing request in the audit log (``jobs.audit``): an ASGI middleware.

A request whose method changes state (POST, PUT, PATCH, DELETE) is recorded once its answer
has been sent, whatever the answer: the changes it made and the attempts that were refused
(401, 403, 409, 422) alike, with who asked (the key or session that ``api.scope`` resolved,
else ``anonymous``), the route's template (``POST /jobs/{job_id}/accept``), its path ids, the
query, the status and the client's address. Bodies are never kept: a sign-in form carries a
key. Reads are not audited.

The entry is written after the handler's own transaction, so a process killed between the two
loses that entry (never the change): the price of one log for every route without threading
the caller through every store method.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Stores
from api.keys import ApiKey
from jobs.audit import AuditEntry, AuditLog

log = logging.getLogger(__name__)

CHANGES_STATE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACTOR = "audit_actor"  # the request.state attribute api.scope sets


def describe(key: ApiKey) -> str:
    """How the log names a key: its id, name and role."""
    return f"key {key.id} {key.name!r} ({key.role.value})"


def note_actor(request: Request, key: ApiKey, via: str) -> None:
    """Name the caller of this request in its audit entry (``via``: bearer, session, sign-in)."""
    setattr(request.state, ACTOR, f"{describe(key)} via {via}")


class AuditRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES_STATE:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            await self._record(scope, status)

    async def _record(self, scope: Scope, status: int) -> None:
        stores: Stores | None = getattr(scope["app"].state, "stores", None)
        audit: AuditLog | None = stores.audit if stores is not None else None
        if stores is None or audit is None:
            return
        entry = entry_of(scope, status, now=stores.clock())
        try:
            await run_in_threadpool(audit.record, entry)
        except Exception:  # the answer is sent; a lost entry must not fail the request
            log.exception("audit entry not kept: %s %s", entry.action, entry.target)


def entry_of(scope: Scope, status: int, now: float) -> AuditEntry:
    """The audit entry of a finished request."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or scope["path"]
    params: Mapping[str, Any] = scope.get("path_params") or {}
    state = scope.get("state") or {}
    client = scope.get("client")
    detail: dict[str, Any] = {}
    if scope.get("query_string"):
        detail["query"] = scope["query_string"].decode("latin-1")[:500]
    return AuditEntry(
        at=now,
        actor=str(state.get(ACTOR, "anonymous")),
        action=f"{scope['method']} {template}",
        target=target_of(params),
        outcome="ok" if status < 400 else str(status),
        address=client[0] if client else "",
        detail=detail,
    )


def target_of(params: Mapping[str, Any]) -> str:
    """``job 42, vehicle WVW...`` from a route's path parameters."""
    names = {"job_id": "job", "vin": "vehicle", "workshop_id": "workshop", "key_id": "key"}
    return ", ".join(f"{names.get(name, name)} {value}" for name, value in params.items())
