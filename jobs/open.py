"""Open a job store by URL; the backend is looked up in ``BACKENDS`` and imported on demand.

    open_job_store("sqlite:///pitstop-data/jobs.db")   # embedded default
    open_job_store("sqlite://")                         # in memory (tests)
    open_job_store("postgresql://user:pw@host/pitstop")  # production
    open_command_log(url)                               # the commands sent to cars
    open_audit_log(url)                                 # who changed what, when

Every store is migrated to the newest schema when it is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, cast

from jobs.audit import AuditLog
from jobs.store import CommandLog, JobStore, WebhookOutbox
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from jobs.sql.rulestate import SqlStateStore

#: URL scheme -> (module, class); the class has ``open(url)``.
BACKENDS: dict[str, tuple[str, str]] = {
    "sqlite": ("jobs.sql.store", "SqlJobStore"),
    "postgresql": ("jobs.sql.store", "SqlJobStore"),
    "postgresql+psycopg": ("jobs.sql.store", "SqlJobStore"),
    "postgres": ("jobs.sql.store", "SqlJobStore"),
}


#: URL scheme -> (module, class) of the rules engine's state kept in the same database.
STATE_BACKENDS: dict[str, tuple[str, str]] = dict.fromkeys(
    BACKENDS, ("jobs.sql.rulestate", "SqlStateStore")
)


#: URL scheme -> (module, class) of the command audit log kept in the same database.
COMMAND_BACKENDS: dict[str, tuple[str, str]] = dict.fromkeys(
    BACKENDS, ("jobs.sql.commands", "SqlCommandLog")
)


#: URL scheme -> (module, class) of the audit log kept in the same database.
AUDIT_BACKENDS: dict[str, tuple[str, str]] = dict.fromkeys(
    BACKENDS, ("jobs.sql.audit", "SqlAuditLog")
)


def open_job_store(url: str) -> JobStore:
    """Open (and migrate to the newest schema) the job store a URL names."""
    return cast(JobStore, _backend(BACKENDS, url).open(url))


def open_webhook_outbox(url: str) -> WebhookOutbox:
    """The webhook outbox of the job store at ``url`` (the job store's backend serves both)."""
    return cast(WebhookOutbox, _backend(BACKENDS, url).open(url))


def open_command_log(url: str) -> CommandLog:
    """The log of commands sent to cars, in the job store's database at ``url``."""
    return cast(CommandLog, _backend(COMMAND_BACKENDS, url).open(url))


def open_audit_log(url: str) -> AuditLog:
    """The audit log (every state change and command) in the job store's database at ``url``."""
    return cast(AuditLog, _backend(AUDIT_BACKENDS, url).open(url))


def open_state_store(url: str) -> SqlStateStore:
    """The rules engine's state store in the job store's database at ``url``
    (it is a ``rules.checkpoint.StateStore``)."""
    return cast("SqlStateStore", _backend(STATE_BACKENDS, url).open(url))


def _backend(table: dict[str, tuple[str, str]], url: str) -> Any:
    """The backend class for ``url``'s scheme, imported on demand."""
    scheme = url.partition(":")[0].lower()
    if scheme not in table:
        raise ConfigError(f"job store URL {url!r}: expected sqlite:///path or postgresql://...")
    module, name = table[scheme]
    return getattr(importlib.import_module(module), name)
