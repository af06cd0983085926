"""What ``RulesCore`` hands its sink: the asks of each evaluated batch, in order, in one go.

``MemorySink`` is a small in-memory twin of the job store's sink (one open job per (vin, rule),
a refiring is not added to the job its own firing opened); it records every batch it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from jobs.model import Severity
from pitstop.codec import Sample
from rules.core import RulesCore
from rules.loader import parse_catalog
from rules.sink import (
    AddEvidence,
    Addition,
    Ask,
    AttachAfter,
    LastService,
    OpenJob,
    Receipt,
    Remind,
)
from tests.rules.test_core import CATALOG, DAY, ODO, T0, VIN, V


class MemorySink:
    def __init__(self, services: dict[tuple[str, str], float] | None = None) -> None:
        self.batches: list[list[Ask]] = []
        self.jobs: dict[tuple[str, str], tuple[int, float]] = {}  # open: id and first firing
        self.services = services or {}
        self.reminded: list[str] = []  # the key of every Remind asked

    def emit(self, asks: Sequence[Ask], now: float) -> list[Receipt]:
        self.batches.append(list(asks))
        return [self._answer(ask) for ask in asks]

    def last_services(
        self, vin: str, wanted: Mapping[str, Collection[str]]
    ) -> dict[str, LastService]:
        return {
            r: LastService(at) for (v, r), at in self.services.items() if v == vin and r in wanted
        }

    def _answer(self, ask: Ask) -> Receipt:
        key = (ask.vin, ask.rule_id)
        job = self.jobs.get(key)
        if isinstance(ask, Remind):
            self.reminded.append(ask.key)
            return Receipt(None, created=self.reminded.count(ask.key) == 1)
        if isinstance(ask, OpenJob):
            if job is not None:
                return Receipt(job[0])
            self.jobs[key] = (len(self.jobs) + 1, ask.draft.fired_at)
            return Receipt(len(self.jobs), created=True)
        if job is None:
            return Receipt(None)
        refiring = isinstance(ask, AddEvidence) and ask.kind is Addition.REFIRING
        if refiring and job[1] == ask.fired_at:
            return Receipt(None)
        return Receipt(job[0])

    def asks(self) -> list[Ask]:
        return [ask for batch in self.batches for ask in batch]


def samples(volts: list[float], start: float) -> list[Sample]:
    out: list[Sample] = []
    for i, v in enumerate(volts):
        ts = start + i
        out += [Sample(V, ts, v), Sample(ODO, ts, 5000 + ts - T0)]
    return out


def feed(core: RulesCore, now: list[float], volts: list[float], start: float) -> None:
    for i, v in enumerate(volts):
        now[0] = start + i
        core.telemetry(VIN, samples([v], start + i), "abc123")


def test_a_firing_asks_for_a_job_and_later_for_the_window_after_it() -> None:
    now, sink = [T0], MemorySink()
    core = RulesCore(parse_catalog(CATALOG), sink, clock=lambda: now[0])
    feed(core, now, [12.6] * 5 + [11.7] * 40, T0)

    opening, refiring, after = sink.asks()
    assert isinstance(opening, OpenJob)
    assert (opening.vin, opening.rule_id, opening.urgency_s) == (VIN, "lv", None)
    assert opening.draft.fired_at == T0 + 15
    assert opening.draft.severity is Severity.WARNING
    assert opening.draft.evidence["odometer_km"] == 5015
    assert isinstance(refiring, AddEvidence)
    assert refiring == AddEvidence(
        VIN, "lv", Addition.REFIRING, T0 + 15, refiring.entry, Severity.WARNING
    )
    assert refiring.entry["trigger"]["fired_at"] == T0 + 15
    assert isinstance(after, AttachAfter)
    assert (after.vin, after.rule_id, after.fired_at) == (VIN, "lv", T0 + 15)
    assert after.entry["until"] == T0 + 35
    assert [p[0] - T0 for p in after.entry["window"][ODO]] == list(range(16, 36))
    assert (core.stats.jobs_opened, core.stats.after_windows, core.stats.refirings) == (1, 1, 0)
    assert core.stats.by_rule == {"lv": 1}


def test_one_batch_is_evaluated_first_and_its_asks_handed_over_together() -> None:
    now, sink = [T0 + 30], MemorySink()
    core = RulesCore(parse_catalog(CATALOG), sink, clock=lambda: now[0])
    core.telemetry(VIN, samples([12.6] * 5 + [11.7] * 15 + [11.4] * 5, T0))

    (batch,) = sink.batches
    assert [type(a).__name__ for a in batch] == ["OpenJob", "AddEvidence", "AddEvidence"]
    escalation = batch[2]
    assert isinstance(escalation, AddEvidence)
    assert escalation.kind is Addition.ESCALATION
    assert escalation.severity is Severity.CRITICAL
    assert (core.stats.jobs_opened, core.stats.escalations) == (1, 1)


def test_firing_again_while_open_adds_a_refiring_and_its_own_window_after() -> None:
    now, sink = [T0], MemorySink()
    core = RulesCore(parse_catalog(CATALOG), sink, clock=lambda: now[0])
    feed(core, now, [12.6] * 5 + [11.7] * 40 + [12.6] * 10 + [11.7] * 40, T0)

    refirings = [a for a in sink.asks() if isinstance(a, AddEvidence) and a.fired_at != T0 + 15]
    assert [a.fired_at - T0 for a in refirings] == [65]
    afters = [a.fired_at - T0 for a in sink.asks() if isinstance(a, AttachAfter)]
    assert afters == [15, 65]
    assert (core.stats.jobs_opened, core.stats.refirings, core.stats.after_windows) == (1, 1, 2)


def test_the_same_firing_again_is_counted_and_asks_for_no_window_after() -> None:
    now, sink = [T0], MemorySink()
    rules = parse_catalog(CATALOG)
    feed(RulesCore(rules, sink, clock=lambda: now[0]), now, [12.6] * 5 + [11.7] * 12, T0)
    again = RulesCore(rules, sink, clock=lambda: now[0])  # a restart without saved state
    feed(again, now, [12.6] * 5 + [11.7] * 40, T0)

    assert (again.stats.jobs_opened, again.stats.jobs_existing, again.stats.refirings) == (0, 1, 0)
    assert not [a for a in sink.asks() if isinstance(a, AttachAfter)]


def test_maintenance_counts_from_the_service_the_sink_reports() -> None:
    now = [T0]
    sink = MemorySink({(VIN, "service"): T0 - 10 * DAY})
    core = RulesCore(parse_catalog(CATALOG), sink, clock=lambda: now[0])
    core.telemetry(VIN, [Sample(ODO, T0, 5000.0)])
    assert core.engine.services[(VIN, "service")].at == T0 - 10 * DAY
    now[0] = T0 + 21 * DAY  # 31 days after the service: due
    core.telemetry(VIN, [Sample(ODO, now[0], 6000.0)])
    (opening, _) = sink.asks()
    assert isinstance(opening, OpenJob)
    assert (opening.rule_id, opening.draft.severity) == ("service", Severity.INFO)
