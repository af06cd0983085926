"""A job's timeline: who did what and when, from the job's own history (``job_events``) and
its hand-offs (which workshop held it at each step). Pure: values in, steps out.

Who did an action follows from the lifecycle: owners confirm, move and cancel; workshops
accept, start, complete and reject; pitstop itself opens, books, re-offers and escalates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api import words
from api.html import Html, el, join, when
from api.network_schemas import HandoffOut
from jobs.model import Outcome
from jobs.network import JobEvent

OWNER_ACTIONS = frozenset({"confirm", "move", "cancel"})
WORKSHOP_ACTIONS = frozenset({"accept", "start", "complete", "reject"})
MOVES_WORKSHOP = frozenset({"book", "reoffer"})  # the steps after which another workshop holds it
SHOWS_NOTE = frozenset({"reject", "cancel", "complete", "escalate"})  # the rest are internal
PITSTOP = ("pitstop", "automatic")
_NOTE = {words.event("reject"): "Reason:", words.event("cancel"): "Reason:"}


@dataclass(frozen=True, slots=True)
class Step:
    at: float
    role: str  # "Owner", "Workshop", "pitstop"
    name: str  # the owner's or the workshop's name
    what: str  # "accepted the job"
    note: str = ""  # a reason or a remark (untrusted text)


def steps(
    events: Sequence[JobEvent],
    handoffs: Sequence[HandoffOut],
    owner: tuple[str, str],
    outcome: Outcome | None = None,
) -> list[Step]:
    """Each event as a step, oldest first; ``owner`` is (role, name) of the vehicle's owner."""
    offered = [h for h in handoffs if h.kind == "offered"]
    taken = 0
    workshop = "the workshop"
    found = []
    for event in events:
        if event.action in MOVES_WORKSHOP:
            while taken < len(offered) and offered[taken].at <= event.at:
                workshop = offered[taken].workshop or workshop
                taken += 1
        role, name = _actor(event.action, owner, workshop)
        what = words.event(event.action)
        if event.action == "book":
            what = f"{what} at {workshop}"
        if event.action == "complete" and outcome is not None:
            what = f"{what}: {words.outcome(outcome)}"
        note = event.note if event.action in SHOWS_NOTE else ""
        found.append(Step(event.at, role, name, what, note))
    return found


def _actor(action: str, owner: tuple[str, str], workshop: str) -> tuple[str, str]:
    if action in OWNER_ACTIONS:
        return owner
    if action in WORKSHOP_ACTIONS:
        return ("Workshop", workshop)
    return PITSTOP


def timeline(found: Sequence[Step]) -> Html:
    """The steps as an ordered list, oldest first."""
    if not found:
        return el("p", "Nothing has happened to this job yet.", class_="muted")
    items = (
        el(
            "li",
            when(s.at),
            " ",
            el("strong", f"{s.role} · {s.name}"),
            f" {s.what}.",
            join(" ", _NOTE.get(s.what.split(":")[0], "Note:"), " ", el("q", s.note))
            if s.note
            else None,
        )
        for s in found
    )
    return el("ol", *items, class_="timeline")
