"""How strongly the car's evidence backs each entry, and why (pure).

Each piece of evidence that belongs to an entry is a ``Reason`` with a weight; an entry's
evidence weight is the sum of its reasons' (at most ``MAX_WEIGHT``), and the answer ranks by
``text score x (1 + weight)`` (``assist.assistant``): the car confirms what the owner
describes, it does not replace it.

A trouble code belongs to an entry when one of the entry's rules matches it (a ``dtc`` rule's
code glob), or when its description is close to the entry's texts (``related``: a cosine
from the embedding model, so that "P0562 System Voltage Low" backs the 12 V battery).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from assist.catalogue import Entry
from assist.evidence import CarEvidence, Reading, StoredCode
from rules.conditions import DtcPattern
from rules.state import AlertState

MAX_WEIGHT = 2.0
CODE_RELATED = 0.5  # least cosine between a code's description and an entry's texts
WEIGHTS = {
    "firing": 1.0,
    "pending": 0.6,
    "code": 0.8,
    "code_recent": 0.4,
    "past_limit": 0.8,
    "near_limit": 0.5,
    "trend": 0.3,
    "open_job": 0.3,
    "overdue": 0.6,
}

Related = Callable[[StoredCode, int], float]
"""(code, entry index) -> cosine between the code's description and the entry's texts."""


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # a key of WEIGHTS
    rule_id: str  # the entry's rule this reason backs
    code: StoredCode | None = None
    reading: Reading | None = None
    since: float | None = None  # pending or firing since
    job_id: int | None = None
    job_status: str = ""
    title: str = ""

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


def reasons_for(entry: Entry, index: int, car: CarEvidence, related: Related) -> tuple[Reason, ...]:
    ids = set(entry.rule_ids)
    found: list[Reason] = []
    for state in car.states:
        if state.rule_id in ids:
            kind = "firing" if state.state is AlertState.FIRING else "pending"
            found.append(
                Reason(kind, state.rule_id, since=state.since, title=_title(entry, state.rule_id))
            )
    for code in car.codes:
        rule_id = _matching_rule(entry, code.code)
        if rule_id is None and code.description and related(code, index) >= CODE_RELATED:
            rule_id = entry.key
        if rule_id is not None:
            found.append(Reason("code" if code.active else "code_recent", rule_id, code=code))
    for reading in car.readings:
        if reading.watch.rule_id in ids:
            reason = _reading_reason(reading)
            if reason is not None:
                found.append(reason)
    for job in car.jobs:
        if job.rule_id in ids:
            found.append(
                Reason(
                    "open_job",
                    job.rule_id,
                    job_id=job.job_id,
                    job_status=job.status,
                    title=job.title,
                )
            )
    found.extend(Reason("overdue", r, title=_title(entry, r)) for r in car.overdue if r in ids)
    return _one_per_reading_signal(found)


def weight_of(reasons: tuple[Reason, ...]) -> float:
    return min(MAX_WEIGHT, sum(r.weight for r in reasons))


def strongest_rule(entry: Entry, reasons: tuple[Reason, ...]) -> str:
    """The entry's rule its evidence backs most (the first rule without evidence)."""
    totals: dict[str, float] = {}
    for reason in reasons:
        totals[reason.rule_id] = totals.get(reason.rule_id, 0.0) + reason.weight
    return max(entry.rule_ids, key=lambda r: (totals.get(r, 0.0), -entry.rule_ids.index(r)))


def _reading_reason(reading: Reading) -> Reason | None:
    watch = reading.watch
    if watch.past(reading.last):
        return Reason("past_limit", watch.rule_id, reading=reading)
    if watch.near(reading.last):
        return Reason("near_limit", watch.rule_id, reading=reading)
    moved = abs(reading.last - reading.first)
    if watch.towards(reading.first, reading.last) and moved >= 0.02 * max(abs(watch.level), 1e-9):
        return Reason("trend", watch.rule_id, reading=reading)
    return None


def _one_per_reading_signal(found: list[Reason]) -> tuple[Reason, ...]:
    """Two rules of an entry watching one signal (the 12 V threshold and its trend) tell one
    story: keep the stronger reason of the two."""
    best: dict[str, Reason] = {}
    rest: list[Reason] = []
    for reason in found:
        if reason.reading is None:
            rest.append(reason)
            continue
        signal = reason.reading.watch.signal
        if signal not in best or reason.weight > best[signal].weight:
            best[signal] = reason
    order = ("code", "code_recent", "firing", "pending", "open_job", "overdue")
    rest.sort(key=lambda r: order.index(r.kind))
    return (*best.values(), *rest)  # what the car measures, its codes, its checks, its jobs


def _matching_rule(entry: Entry, code: str) -> str | None:
    for rule in entry.rules:
        cond = rule.condition
        if isinstance(cond, DtcPattern) and cond.code and fnmatchcase(code, cond.code):
            return rule.id
    return None


def _title(entry: Entry, rule_id: str) -> str:
    return next((r.title for r in entry.rules if r.id == rule_id), entry.title)
