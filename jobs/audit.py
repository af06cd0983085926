"""The audit log: every state change and every command to a car, who did it, when, from where
and how it ended; what UN R155 asks a vehicle back-end to keep. Admins read it (``GET /audit``,
``pitstop admin audit``).

Who writes it: the API, once per state-changing request (``api.audit``: the caller's key or
session, the route, its ids, the answer's status, the address); the rules engine's job sink for
every job it opens; the admin command line for keys, identities and the CA. An entry is never
edited; ``pitstop admin audit purge --days`` is the only way one goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Longest text kept per field (a path, a reason); longer text is cut, never refused.
MAX_TEXT = 500
#: Most entries one read returns.
MAX_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited act. ``id`` is 0 until the log keeps it."""

    at: float  # epoch seconds, UTC
    actor: str  # "key 12 'north-bay' (workshop)", "rules", "cli root@host", "anonymous"
    action: str  # "POST /jobs/{job_id}/accept", "job.open", "key.create"
    target: str = ""  # what it acted on: "job 42", "vehicle WVW...", "key 7"
    outcome: str = "ok"  # "ok", or the HTTP status / error that refused it ("403")
    address: str = ""  # where the request came from (client address), if known
    detail: Mapping[str, Any] = field(default_factory=dict)  # small, never a secret
    id: int = 0


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to read: newest first, every field optional."""

    since: float | None = None
    until: float | None = None
    actor: str | None = None  # entries whose actor contains this text
    action: str | None = None  # entries whose action contains this text
    target: str | None = None  # entries whose target is exactly this
    limit: int = 100
    before_id: int | None = None  # for paging: entries older than this one


class AuditLog(Protocol):
    """Append-only: record, read, and purge what is older than a retention."""

    def record(self, entry: AuditEntry) -> int:
        """Keep ``entry`` (committed on return); its id."""
        ...

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """The entries ``query`` asks for, newest first."""
        ...

    def purge(self, older_than: float) -> int:
        """Delete the entries recorded before ``older_than``; how many went."""
        ...

    def close(self) -> None: ...


def clip(text: str) -> str:
    """``text`` cut to ``MAX_TEXT`` characters."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
