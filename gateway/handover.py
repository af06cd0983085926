"""The one handover into the reader thread: the collection plan and the budget level.

Other threads ask for a change: the cmd-topic ``set_plan`` handler (``ReaderControl.set_plan``)
and the sender's budget check (``set_budget_level``). The reader thread applies what is pending
between two frames (``take``), so the reducer is only ever touched by the thread that runs it.
The plan asked for last is the plan in force: its ``budget_bytes`` is the month's budget.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gateway.plan import CollectionPlan

MAX_BUDGET_LEVEL = 2


@dataclass(frozen=True, slots=True)
class Change:
    """What the reader applies: a new plan (when ``new_plan``) and the budget level."""

    plan: CollectionPlan | None
    new_plan: bool
    budget_level: int


class ReaderControl:
    """Thread-safe; ``set_*`` from any thread, ``take`` by the reader only."""

    def __init__(self, plan: CollectionPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._plan = plan
        self._level = 0
        self._new_plan = False
        self.pending = False  # read by the reader at every frame without the lock: a hint only

    @property
    def plan(self) -> CollectionPlan | None:
        """The plan in force (asked for last, applied by the reader at its next frame)."""
        return self._plan

    @property
    def budget_level(self) -> int:
        return self._level

    def budget_bytes(self) -> int | None:
        """The monthly data budget of the plan in force; None: no budget."""
        plan = self._plan
        return plan.budget_bytes if plan is not None else None

    def set_plan(self, plan: CollectionPlan | None) -> None:
        with self._lock:
            self._plan, self._new_plan = plan, True
            self.pending = True

    def set_budget_level(self, level: int) -> None:
        """Slow down by priority (0, 1 or 2, see ``gateway.reduce``) from the next frame on."""
        with self._lock:
            self._level = max(0, min(MAX_BUDGET_LEVEL, level))
            self.pending = True

    def take(self) -> Change:
        """The change to apply now; nothing is pending afterwards."""
        with self._lock:
            change = Change(self._plan, self._new_plan, self._level)
            self._new_plan = self.pending = False
        return change
