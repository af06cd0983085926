"""``pitstop rules run`` over a job store that halts for good at one step of the firing -> job
-> booking path, so that a test can SIGKILL the worker exactly there.

    python -m tests.rules.halting_rules STEP [pitstop arguments...]

STEP is one of ``HALTS``: when the worker reaches it, this prints ``HALTED <step>`` on stdout
and sleeps (it never returns), with everything before the step committed and nothing after.
The store is the real one; only the timing is the test's.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import Any

from cli.main import main
from jobs.sql.rulestate import SqlStateStore
from jobs.sql.store import SqlJobStore

#: step -> (class, method, before or after the call)
HALTS: dict[str, tuple[type, str, str]] = {
    "fired": (SqlJobStore, "open_job", "before"),  # the rule fired; nothing stored yet
    "opened": (SqlJobStore, "open_job", "after"),  # the job is committed, not booked
    "booked": (SqlJobStore, "book", "after"),  # booked; the message not yet acknowledged
    "checkpointed": (SqlStateStore, "save_many", "after"),  # state saved after the booking
}

_seen = {"booked": False}  # whether this process has booked a job yet


def _halt(step: str) -> None:
    print(f"HALTED {step}", flush=True)
    while True:
        time.sleep(3600)


def _wrap(step: str, method: Callable[..., Any], when: str, name: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def halting(self: object, *args: Any, **kwargs: Any) -> Any:
        armed = name != "save_many" or _seen["booked"]  # a checkpoint after a booking
        if when == "before" and armed:
            _halt(step)
        result = method(self, *args, **kwargs)
        if name == "book" and result is not None:
            _seen["booked"] = True
        if when == "after" and armed and (name != "book" or result is not None):
            _halt(step)
        return result

    return halting


def install(step: str) -> None:
    cls, name, when = HALTS[step]
    setattr(cls, name, _wrap(step, getattr(cls, name), when, name))
    if name == "save_many":
        book = SqlJobStore.book

        @functools.wraps(book)
        def noting(self: SqlJobStore, *args: Any, **kwargs: Any) -> Any:
            result = book(self, *args, **kwargs)
            _seen["booked"] = _seen["booked"] or result is not None
            return result

        SqlJobStore.book = noting  # type: ignore[method-assign]


if __name__ == "__main__":
    install(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
