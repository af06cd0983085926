"""The service network: a simulated network of workshops (own and partner, mixed skills and
quality) and cars with faults and services over simulated days, booked, re-routed, repaired
and rated through the real job store (SQLite in a temp folder) and the real booking code, with
the clock a parameter throughout.

Figures: jobs booked within their urgency window (%), jobs re-routed after a rejection, mean
time from the fault to an accepted booking and to the slot, escalations, and comebacks (the
same fault back within 30 days of "fixed"). The same simulation (same seed: the same cars,
faults and workshops) runs twice, once booking by score (ratings and comebacks, the default
policy) and once by distance alone, to show what the scores change.

What is simulated: each workshop has a hidden repair quality (the chance a "fixed" holds; a
fault that does not hold comes back 2-20 days later), a chance to decline a job (partners
more often), and hidden service levels per aspect; owners' marks follow them with noise, the
quality of the repair driving the overall mark most. Private owners confirm a proposed slot
within hours, fleets by policy; workshops answer an offer within a few hours.

Run: .venv/bin/python -m bench.network [--workshops 24 --cars 500 --days 90 --seed 7]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.network_world import HOUR, START, FaultKind, World, make_world
from bench.report import emit
from jobs.booking import open_and_book
from jobs.errors import JobTransitionError
from jobs.model import Job, JobAction, JobDraft, JobStatus, Outcome
from jobs.network import DISTANCE_ONLY, BookingPolicy, HandoffKind, Rating
from jobs.rerouting import reject, sweep
from jobs.sql.store import SqlJobStore
from jobs.store import JobStore


@dataclass
class Run:
    """One policy's pass over the world: its store and what the simulation has seen."""

    world: World
    store: JobStore
    policy: BookingPolicy
    shop_index: dict[int, int] = field(default_factory=dict)  # workshop id -> world index
    car_of: dict[str, int] = field(default_factory=dict)
    kind_of: dict[int, FaultKind] = field(default_factory=dict)  # job id -> its fault
    answered: set[tuple[int, int]] = field(default_factory=set)  # (job, workshop) answered
    accepted_at: dict[int, float] = field(default_factory=dict)
    first_slot: dict[int, float] = field(default_factory=dict)
    pending: list[tuple[float, int, FaultKind]] = field(default_factory=list)  # comebacks
    roll_at: int = 0
    delay_at: int = 0

    def roll(self) -> float:
        self.roll_at = (self.roll_at + 1) % len(self.world.rolls)
        return self.world.rolls[self.roll_at]


def populate(run: Run) -> None:
    for index, shop in enumerate(run.world.shops):
        added = run.store.add_workshop(**shop)
        run.shop_index[added.id] = index
    fleet_owner = run.store.add_owner("Fleet", "fleet", auto_confirm=True)
    private = run.store.add_owner("Private owners", "private")
    for index, car in enumerate(run.world.cars):
        owner = fleet_owner.id if car.fleet else private.id
        run.store.register_vehicle(
            car.vin, owner, brand=car.brand, latitude=car.home[0], longitude=car.home[1]
        )
        run.car_of[car.vin] = index


def fire(run: Run, now: float, car: int, kind: FaultKind) -> None:
    vin = run.world.cars[car].vin
    draft = JobDraft(
        vin=vin,
        rule_id=kind.rule_id,
        title=kind.title,
        severity=kind.severity,
        fired_at=now,
        diagnosis={"labour_hours": kind.labour_hours, "skills": list(kind.skills)},
        required_skills=kind.skills,
    )
    job, created, _ = open_and_book(
        run.store, draft, urgency_s=kind.urgency_s, now=now, policy=run.policy
    )
    if created:
        run.kind_of[job.id] = kind


OPEN = (JobStatus.PROPOSED, JobStatus.CONFIRMED, JobStatus.ACCEPTED, JobStatus.IN_SERVICE)


def step(run: Run, now: float) -> None:
    """One simulated hour: owners confirm, workshops answer offers, work starts and ends."""
    found = [job for status in OPEN for job in run.store.list_jobs(status=status)]
    for job in sorted(found, key=lambda j: j.id):
        _advance(run, job, now)


def _advance(run: Run, job: Job, now: float) -> None:
    if job.slot_start is not None and job.id not in run.first_slot:
        run.first_slot[job.id] = job.slot_start
    if job.status is JobStatus.PROPOSED and job.slot_start is not None and run.roll() < 0.3:
        run.store.act(job.id, JobAction.CONFIRM, now)
        return
    if job.status is JobStatus.CONFIRMED and job.workshop_id is not None:
        key = (job.id, job.workshop_id)
        if key in run.answered or run.roll() > 0.5:
            return
        run.answered.add(key)
        truth = run.world.truth[run.shop_index[job.workshop_id]]
        if run.roll() < truth.declines:
            reject(run.store, job, now, "no capacity for this job this week", run.policy)
            return
        run.store.act(job.id, JobAction.ACCEPT, now)
        run.accepted_at[job.id] = now
        return
    if job.status is JobStatus.ACCEPTED and job.slot_start is not None and now >= job.slot_start:
        run.store.act(job.id, JobAction.START, now)
        return
    if job.status is JobStatus.IN_SERVICE and now >= (job.slot_end or now):
        _complete(run, job, now)


def _complete(run: Run, job: Job, now: float) -> None:
    assert job.workshop_id is not None
    truth = run.world.truth[run.shop_index[job.workshop_id]]
    run.store.act(job.id, JobAction.COMPLETE, now, outcome=Outcome.FIXED)
    held = run.roll() < truth.holds
    if not held:
        delay = run.world.comeback_delays[run.delay_at % len(run.world.comeback_delays)]
        run.delay_at += 1
        run.pending.append((now + delay, run.car_of[job.vin], run.kind_of[job.id]))
    marks = [_mark(run, mean) for mean in truth.service]
    quality = _mark(run, 4.6 if held else 1.8)
    marks[0] = quality
    overall = round(0.55 * quality + 0.45 * statistics.fmean(marks[1:]) + (run.roll() - 0.5))
    if run.roll() < 0.7:  # most owners rate
        speed, price, talk, welcome = marks[1:5]
        mark = max(1, min(5, overall))
        run.store.rate(
            Rating(job.id, job.workshop_id, now, mark, quality, speed, price, talk, welcome)
        )


def _mark(run: Run, mean: float) -> int:
    return max(1, min(5, round(mean + (run.roll() - 0.5) * 2)))


def open_fast_store(folder: Path) -> SqlJobStore:
    """The real SQLite job store in ``folder``, committing with ``synchronous=NORMAL``: safe
    against a crash of the process (WAL), not of the machine, and it spares the benchmark an
    fsync per commit (the figures are about booking decisions, not the disk)."""
    store = SqlJobStore.open(f"sqlite:///{folder / 'jobs.db'}")
    store.engine.dispose()
    sa.event.listen(store.engine, "connect", _normal_sync)
    return store


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def simulate(world: World, policy: BookingPolicy, days: float, folder: Path) -> dict[str, Any]:
    store = open_fast_store(folder)
    run = Run(world, store, policy)
    try:
        populate(run)
        faults = list(world.faults)
        hours = int(days * 24)
        for hour in range(hours + 14 * 24):  # two weeks more to finish the work booked
            now = START + hour * HOUR
            if hour < hours:
                while faults and faults[0][0] < now + HOUR:
                    t, car, kind = faults.pop(0)
                    fire(run, max(t, now), car, kind)
                due = sorted(p for p in run.pending if p[0] < now + HOUR)
                run.pending = [p for p in run.pending if p[0] >= now + HOUR]
                for t, car, kind in due:
                    fire(run, max(t, now), car, kind)
            if _busy(hour) or hour % 4 == 0:  # nights and weekends: every 4 hours
                with contextlib.suppress(JobTransitionError):  # looked at again later
                    step(run, now)
            if hour % 6 == 0:
                sweep(store, policy, now)
            if hour % (24 * 10) == 0 and hour:
                print(f"  .. day {hour // 24}", file=sys.stderr, flush=True)
        return figures(run)
    finally:
        store.close()


def _busy(hour: int) -> bool:
    """Weekdays 06:00-19:00 UTC (START is a Monday 00:00)."""
    return (hour // 24) % 7 < 5 and 6 <= hour % 24 < 19


def figures(run: Run) -> dict[str, Any]:
    jobs = run.store.list_jobs()
    in_window = [
        j
        for j in jobs
        if j.id in run.first_slot and j.due_at is not None and run.first_slot[j.id] <= j.due_at
    ]
    rerouted = declined = 0
    for job in jobs:
        kinds = [h.kind for h in run.store.handoffs(job.id)]
        declined += kinds.count(HandoffKind.DECLINED)
        rerouted += HandoffKind.DECLINED in kinds
    to_accept = [
        (run.accepted_at[j.id] - j.fired_at) / HOUR for j in jobs if j.id in run.accepted_at
    ]
    to_slot = [(run.first_slot[j.id] - j.fired_at) / HOUR for j in jobs if j.id in run.first_slot]
    comebacks = sum(1 for j in jobs if j.comeback_of is not None)
    fixed = sum(1 for j in jobs if j.outcome is Outcome.FIXED)
    return {
        "jobs": len(jobs),
        "booked_within_urgency_pct": 100.0 * len(in_window) / len(jobs) if jobs else 0.0,
        "declined": declined,
        "rerouted_after_rejection": rerouted,
        "mean_hours_to_accepted_booking": statistics.fmean(to_accept) if to_accept else None,
        "mean_hours_fault_to_slot": statistics.fmean(to_slot) if to_slot else None,
        "escalated": sum(1 for j in jobs if j.escalated_at is not None),
        "never_booked": sum(1 for j in jobs if j.id not in run.first_slot),
        "fixed": fixed,
        "comebacks": comebacks,
        "comeback_pct_of_fixed": 100.0 * comebacks / fixed if fixed else 0.0,
        "ratings": len(run.store.ratings()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.network", description=__doc__)
    parser.add_argument("--workshops", type=int, default=24)
    parser.add_argument("--cars", type=int, default=500)
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.getLogger("jobs").setLevel(logging.ERROR)  # escalations are counted, not logged
    t0 = time.perf_counter()
    world = make_world(args.workshops, args.cars, args.days, args.seed)
    partners = sum(1 for s in world.shops if s["kind"] == "partner")
    print(
        f"{args.workshops} workshops ({partners} partners), {args.cars} cars, {args.days:g} days, "
        f"{len(world.faults)} faults and services",
        file=sys.stderr,
    )
    results: dict[str, dict[str, Any]] = {}
    for name, policy in (("score", BookingPolicy()), ("distance", DISTANCE_ONLY)):
        print(f"booking by {name} ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix=f"bench-network-{name}-") as folder:
            results[name] = simulate(world, policy, args.days, Path(folder))
    score, distance = results["score"], results["distance"]
    out: dict[str, Any] = {
        "workshops": args.workshops,
        "partner_workshops": partners,
        "cars": args.cars,
        "simulated_days": args.days,
        "faults_and_services": len(world.faults),
    }
    for key, value in score.items():
        out[key] = value
    for key in ("comebacks", "comeback_pct_of_fixed", "booked_within_urgency_pct", "fixed"):
        out[f"distance_only_{key}"] = distance[key]
    out["mean_hours_fault_to_slot_distance_only"] = distance["mean_hours_fault_to_slot"]
    out["comebacks_saved_by_score_pct"] = (
        100.0 * (distance["comebacks"] - score["comebacks"]) / distance["comebacks"]
        if distance["comebacks"]
        else 0.0
    )
    out["wall_s"] = time.perf_counter() - t0
    notes = {
        "booked_within_urgency_pct": "first slot starts before the job's urgency window ends",
        "rerouted_after_rejection": "jobs declined at least once and re-offered",
        "comebacks": "booking by score (ratings + comeback rate + distance + wait)",
        "distance_only_comebacks": "the same world booked by distance alone",
    }
    emit("bench.network", out, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
