"""Where the rules engine keeps its state between runs: the small interface it needs.

A restart neither re-fires nor forgets what was pending: the worker saves the state of every
vehicle it touched (one JSON document per scope, ``"<shard>:<VIN>"``) before it acknowledges
the messages that state covers, and loads its shard's documents when it starts. The SQL
implementation is ``jobs.sql.rulestate.SqlStateStore`` (opened with ``jobs.open.open_state_store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class StateStore(Protocol):
    def load(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every saved scope starting with ``prefix``: scope -> state."""
        ...

    def save_many(self, items: Iterable[tuple[str, Mapping[str, Any]]], now: float) -> None:
        """Save several scopes' states in one transaction."""
        ...
