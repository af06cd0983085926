"""What the car itself shows, read once per question at the edge, as plain values.

- trouble codes: the vehicle's DTC reports of the last ``lookback_s`` (active: in the latest
  report; recent: seen in an earlier one);
- rule states: pending or firing alerts from the rules engine's checkpoint store
  (``rules.checkpoint.StateStore``, one document per "<shard>/<count>:<VIN>");
- signals: each watched signal (``assist.watch``) read through ``ingest.store`` as buckets
  over the lookback (the lowest reading per bucket for a falling trend taken in one state
  only, e.g. the 12 V rest voltage while parked: the dips are the rests);
- open jobs of the vehicle (``jobs.store``);
- ``overdue``: a hook for the service book's "service overdue" (rule ids), empty until it
  exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assist.watch import Watch, watches
from ingest.store import TelemetryStore
from jobs.model import OPEN_STATUSES
from jobs.store import JobStore
from rules.checkpoint import StateStore
from rules.conditions import Direction
from rules.core import shard_of
from rules.model import Rule
from rules.state import Alert, AlertState

LOOKBACK_S = 14 * 86400.0
BUCKETS = 56  # four a day over two weeks


@dataclass(frozen=True, slots=True)
class StoredCode:
    code: str
    description: str
    active: bool  # in the latest report, not only in an earlier one
    last_seen: float


@dataclass(frozen=True, slots=True)
class RuleState:
    rule_id: str
    state: AlertState  # pending or firing
    since: float


@dataclass(frozen=True, slots=True)
class Reading:
    """A watched signal over the lookback: the first and the last reading, and when."""

    watch: Watch
    first: float
    first_ts: float
    last: float
    last_ts: float


@dataclass(frozen=True, slots=True)
class OpenJob:
    job_id: int
    rule_id: str
    title: str
    status: str


@dataclass(frozen=True, slots=True)
class CarEvidence:
    vin: str
    codes: tuple[StoredCode, ...] = ()
    states: tuple[RuleState, ...] = ()
    readings: tuple[Reading, ...] = ()
    jobs: tuple[OpenJob, ...] = ()
    overdue: tuple[str, ...] = ()  # rule ids the service book says are overdue (hook)


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the evidence comes from; ``state`` is optional (no rules worker, no states)."""

    telemetry: TelemetryStore
    jobs: JobStore
    state: StateStore | None = None
    shards: int = 1  # the rules workers' shard count (their scopes name it)


def read_car(
    vin: str,
    rules: Sequence[Rule],
    sources: Sources,
    now: float,
    *,
    lookback_s: float = LOOKBACK_S,
    overdue: Iterable[str] = (),
) -> CarEvidence:
    start = now - lookback_s
    return CarEvidence(
        vin=vin,
        codes=read_codes(sources.telemetry, vin, start, now),
        states=read_states(sources.state, vin, sources.shards),
        readings=read_signals(sources.telemetry, vin, rules, start, now),
        jobs=read_jobs(sources.jobs, vin),
        overdue=tuple(overdue),
    )


def read_codes(store: TelemetryStore, vin: str, start: float, end: float) -> tuple[StoredCode, ...]:
    reports = store.dtc_history(vin, start, end)
    if not reports:
        return ()
    latest = max(reports, key=lambda r: r.ts)
    active = {d.code for d in latest.codes}
    found: dict[str, StoredCode] = {}
    for report in sorted(reports, key=lambda r: r.ts):
        for dtc in report.codes:
            found[dtc.code] = StoredCode(dtc.code, dtc.description, dtc.code in active, report.ts)
    return tuple(sorted(found.values(), key=lambda c: (not c.active, c.code)))


def read_states(state: StateStore | None, vin: str, shards: int) -> tuple[RuleState, ...]:
    if state is None:
        return ()
    scope = f"{shard_of(vin, shards)}/{shards}:{vin}"
    doc = state.load(scope).get(scope, {})
    found: list[RuleState] = []
    for rule_id, raw in sorted(doc.get("alerts", {}).items()):
        alert = Alert.from_json(raw)
        if alert.state in (AlertState.PENDING, AlertState.FIRING):
            found.append(RuleState(rule_id, alert.state, alert.since))
    return tuple(found)


def read_signals(
    store: TelemetryStore, vin: str, rules: Sequence[Rule], start: float, end: float
) -> tuple[Reading, ...]:
    readings: list[Reading] = []
    for rule in rules:
        for watch in watches(rule):
            buckets = store.downsample(vin, watch.signal, start, end, max_points=BUCKETS)
            if not buckets:
                continue
            low = watch.filtered and watch.direction is Direction.BELOW
            values = [(b.start, b.min if low else b.last) for b in buckets]
            (t0, v0), (t1, v1) = values[0], values[-1]
            readings.append(Reading(watch, v0, t0, v1, t1))
    return tuple(readings)


def read_jobs(store: JobStore, vin: str) -> tuple[OpenJob, ...]:
    return tuple(
        OpenJob(j.id, j.rule_id, j.title, j.status.value)
        for j in store.list_jobs(vin=vin)
        if j.status in OPEN_STATUSES
    )
