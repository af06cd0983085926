"""A job's timeline: who did what and when, from the job's own history (``job_events``) and
its hand-offs (which workshop held it at each step). Pure: values in, steps out.

Who did an action follows from the lifecycle: owners confirm, move and cancel; workshops
accept, start, complete and reject; pitstop itself opens, books, re-offers and escalates. Where
the audit log shows that a key of another role did it (an admin or an engineer acting for the
owner, a fleet manager confirming), ``attribute`` names that key instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from api import words
from api.html import Html, el, join, when
from api.keys import Role
from api.network_schemas import HandoffOut
from jobs.audit import AuditEntry
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
    workshop: str = "the workshop",
) -> list[Step]:
    """Each event as a step, oldest first; ``owner`` is (role, name) of the vehicle's owner,
    ``workshop`` the name of the workshop holding the job until a hand-off says otherwise."""
    offered = [h for h in handoffs if h.kind == "offered"]
    taken = 0
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


#: How long after a job's event its request's audit entry may come: the entry is written once
#: the answer is sent, after the event's transaction.
AUDIT_LAG_S = 10.0
_ACTOR = re.compile(r"^key \d+ (?P<name>'.*'|\".*\") \((?P<role>[a-z_]+)\)")


def attribute(found: Sequence[Step], entries: Sequence[AuditEntry]) -> list[Step]:
    """The steps with each person's act named after the key that did it, where the audit log
    holds its request (the first unused successful entry within ``AUDIT_LAG_S`` after it) and
    that key's role is not the one the lifecycle assumes."""
    pending = sorted(
        (e for e in entries if e.outcome == "ok" and _acts(e)), key=lambda e: (e.at, e.id)
    )
    used: set[int] = set()
    out = []
    for step in found:
        match = None
        if step.role != PITSTOP[0]:
            match = next(
                (
                    i
                    for i, e in enumerate(pending)
                    if i not in used and step.at - 1.0 <= e.at <= step.at + AUDIT_LAG_S
                ),
                None,
            )
        if match is not None:
            used.add(match)
            step = _named(step, pending[match].actor)  # noqa: PLW2901 - the step, renamed
        out.append(step)
    return out


def _named(step: Step, actor: str) -> Step:
    """The step done by the audit's key, if that key's role is another than assumed."""
    found = _ACTOR.match(actor)
    if found is None or found["role"] not in {r.value for r in Role}:
        return step
    role = words.ROLE[Role(found["role"])]
    return step if role == step.role else replace(step, role=role, name=found["name"][1:-1])


def _acts(entry: AuditEntry) -> bool:
    """A request that acts on the job itself: an action's route or the job page's form."""
    return entry.action in {"POST /jobs/{job_id}/{action}", "POST /jobs/{job_id}/page"}


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
