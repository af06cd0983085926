"""Run scenarios through the real rules core (engine, job package, booking) in simulated time.

No broker, no wall clock: samples are taken every ``step_s`` of simulated time, DTC reports are
fed at their moments, and the engine's clock (no-data rules, booking) is the simulated time.
Jobs go into a real job store (SQLite in memory by default).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from jobs.model import Job
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from jobs.store import JobStore
from pitstop.codec import Sample
from rules.conditions import Maintenance
from rules.core import RulesCore
from rules.engine import mark_serviced
from rules.jobsink import JobSink
from rules.loader import DEFAULT_CATALOG, load_catalog
from rules.model import Rule
from sim.canonical import canonical_samples, demo_profile_hash
from sim.combustion import CombustionVehicle
from sim.scenarios import DAY, Scenario

log = logging.getLogger(__name__)

EPOCH = 1_767_225_600.0  # 2026-01-01 00:00 UTC: scenario t = 0 is a midnight
TICK_S = 3600.0
SERVICE_KM_AGO = 9_000.0


@dataclass
class Outcome:
    scenario: Scenario
    jobs: list[Job] = field(default_factory=list)
    samples: int = 0

    @property
    def booked(self) -> Job | None:
        """The first job of one of the scenario's rules."""
        return next((j for j in self.jobs if j.rule_id in self.scenario.rules), None)

    @property
    def unexpected(self) -> list[Job]:
        return [j for j in self.jobs if j.rule_id not in self.scenario.rules]


def replay(
    scenarios: Sequence[Scenario],
    *,
    step_s: float = 30.0,
    rules: tuple[Rule, ...] | None = None,
    store: JobStore | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Every scenario's vehicle through one ``RulesCore``; the jobs each got."""
    rules = load_catalog(DEFAULT_CATALOG) if rules is None else rules
    own = store is None
    jobs = SqlJobStore.open("sqlite://") if store is None else store
    try:
        ensure_demo_workshops(jobs)
        return [_one(s, rules, jobs, step_s, progress) for s in scenarios]
    finally:
        if own:
            jobs.close()


def _one(
    scenario: Scenario,
    rules: tuple[Rule, ...],
    jobs: JobStore,
    step_s: float,
    progress: Callable[[str], None] | None,
) -> Outcome:
    now = [EPOCH]
    sink = JobSink(jobs)
    core = RulesCore(rules, sink, clock=lambda: now[0])
    vehicle = scenario.vehicle
    outcome = Outcome(scenario)
    if scenario.last_service_days is not None and not isinstance(vehicle, CombustionVehicle):
        odometer = vehicle.values(0.0)["Odometer"]
        for rule in rules:
            if isinstance(rule.condition, Maintenance):
                at = EPOCH - scenario.last_service_days * DAY
                mark_serviced(core.engine, vehicle.vin, rule.id, at, odometer - SERVICE_KM_AGO)
    reports = sorted(scenario.dtc_reports, key=lambda r: r.ts)
    profile = "" if isinstance(vehicle, CombustionVehicle) else demo_profile_hash()
    next_tick = TICK_S
    t = 0.0
    while t < scenario.duration_s:
        now[0] = EPOCH + t
        while reports and reports[0].ts <= t:
            report = reports.pop(0)
            core.dtc(replace(report, ts=report.ts + EPOCH))
        samples = _samples(scenario, t)
        outcome.samples += len(samples)
        if samples:
            core.telemetry(vehicle.vin, samples, profile)
        if t >= next_tick:
            core.tick()
            next_tick += TICK_S
        t += step_s
    outcome.jobs = list(sink.opened)
    if progress is not None:
        progress(f"{scenario.name} {vehicle.vin}: {len(outcome.jobs)} jobs")
    return outcome


def _samples(scenario: Scenario, t: float) -> list[Sample]:
    """What the vehicle's gateway would publish at ``t``: the demo EV through its profile, a
    combustion car or truck directly in canonical names (nothing while its engine is off)."""
    vehicle = scenario.vehicle
    if isinstance(vehicle, CombustionVehicle):
        return vehicle.samples(t, EPOCH)
    return canonical_samples(vehicle, t, EPOCH)
