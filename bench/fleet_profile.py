"""Where the time of one message goes, in process and without MQTT: the rules worker's work
(decode -> engine -> checkpoint, at the worker's cadence) and ingest's (validate -> store in
groups), on the fleet load of bench/fleet_load.py, under cProfile.

Run: python -m bench.fleet_profile [--vehicles 500 --batch-s 10 --rounds 6 --top 12]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.fleet_load import Encoder, vin_of
from ingest.sqlite import SqliteStore
from ingest.validate import Policy, validate_message
from jobs.seed import ensure_demo_workshops
from jobs.sql.rulestate import SqlStateStore
from jobs.sql.store import SqlJobStore
from pitstop.topics import Kind, parse_topic, topic
from rules.core import RulesCore
from rules.decode import read_batch
from rules.jobsink import JobSink
from rules.loader import DEFAULT_CATALOG, load_catalog

START = 1_767_225_600.0
CHECKPOINT_S = 2.0  # rules.worker.RulesConfig.checkpoint_s


def vin_of_topic(name: str) -> str:
    return parse_topic(name)[0]


def _messages(vehicles: int, batch_s: int, rounds: int) -> list[tuple[str, bytes, float]]:
    encoder = Encoder()
    out = []
    for r in range(rounds):
        start_ms = round((START + r * batch_s) * 1000)
        for i in range(vehicles):
            vin = vin_of(i)
            payload = encoder.payload(vin, r, start_ms, batch_s)
            out.append((topic(vin, Kind.TELEMETRY), payload, start_ms / 1000 + batch_s))
    return out


def profile_rules(
    messages: list[tuple[str, bytes, float]], folder: Path, every: int = 0
) -> Callable[[], int]:
    url = f"sqlite:///{folder}/jobs.db"
    jobs = SqlJobStore.open(url)
    ensure_demo_workshops(jobs)
    state = SqlStateStore.open(url)
    now = [START]
    rules = load_catalog(DEFAULT_CATALOG)
    core = RulesCore(rules, JobSink(jobs), clock=lambda: now[0], state=state)

    def work() -> int:
        last = time.monotonic()
        for i, (name, payload, at) in enumerate(messages, 1):
            now[0] = at
            batch = read_batch(payload, core.wanted)  # what rules.worker does with a message
            core.telemetry_columns(
                vin_of_topic(name), batch.columns, batch.profile, batch.count, others=batch.others
            )
            if every and i % every == 0:  # a cadence in messages (10: before issue 16)
                core.checkpoint()
            elif not every and time.monotonic() - last >= CHECKPOINT_S:  # the worker's now
                core.checkpoint()
                last = time.monotonic()
        core.checkpoint()
        return core.stats.jobs_opened

    return work


def profile_ingest(messages: list[tuple[str, bytes, float]], folder: Path) -> Callable[[], int]:
    store = SqliteStore.open(f"sqlite:///{folder}/telemetry.db")
    policy = Policy()

    def work() -> int:
        group = []
        for name, payload, at in messages:
            group.append(validate_message(name, payload, at, policy))
            if len(group) >= 200:
                store.write_batches_seen(group)  # type: ignore[arg-type]
                group.clear()
        if group:
            store.write_batches_seen(group)  # type: ignore[arg-type]
        return store.count()

    return work


def _run(label: str, work: Callable[[], int], count: int, top: int) -> None:
    """Time ``work``; under cProfile (its top ``top`` functions printed) unless ``top`` is 0."""
    profiler = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    if top:
        profiler.enable()
    result = work()
    profiler.disable()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    per = 1000 * cpu / count
    print(
        f"== {label}: {count} messages in {took:.2f} s, {cpu:.2f} CPU s, "
        f"{per:.3f} CPU ms/message ({result})"
    )
    if not top:
        return
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-4000:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=500)
    parser.add_argument("--batch-s", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--top", type=int, default=12, help="0: time only, no profiler")
    parser.add_argument("--only", choices=("rules", "ingest"))
    parser.add_argument(
        "--checkpoint-every", type=int, default=0, help="messages (default: every 2 s)"
    )
    args = parser.parse_args(argv)
    messages = _messages(args.vehicles, args.batch_s, args.rounds)
    with tempfile.TemporaryDirectory(prefix="pitstop-fleet-prof-") as tmp:
        if args.only != "ingest":
            work = profile_rules(messages, Path(tmp), args.checkpoint_every)
            _run("rules", work, len(messages), args.top)
        if args.only != "rules":
            _run("ingest", profile_ingest(messages, Path(tmp)), len(messages), args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
