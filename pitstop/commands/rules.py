"""``pitstop rules``: run the rules worker, or check rule catalogues."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pitstop.settings import Settings

HELP = "evaluate rules on live telemetry and book jobs; check rule catalogues"
DESCRIPTION = """\
Rules turn telemetry into pre-diagnosed workshop jobs. `run` subscribes to every vehicle's
telemetry, evaluates the rule catalogue and opens at most one job per (vehicle, rule), booked
into the first workshop with the skills the diagnosis needs. `check` validates catalogues and
prints one line per rule.

examples:
  pitstop rules run --broker mqtt://127.0.0.1:1883 --seed-demo-workshops
  pitstop rules run --jobs postgresql://pitstop@db/pitstop --catalog /etc/pitstop/rules.yaml
  pitstop rules check rules/catalog/default.yaml my-rules.yaml
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rules_command", required=True)
    run = sub.add_parser(
        "run",
        help="run the rules worker until interrupted",
        description="Evaluate the rule catalogue on live telemetry and book jobs.",
    )
    run.add_argument("--broker", help="MQTT broker URL (default: settings broker_url)")
    run.add_argument("--jobs", help="job store URL (default: sqlite:///<data_dir>/jobs.db)")
    run.add_argument("--catalog", type=Path, help="rule catalogue (default: the built-in one)")
    run.add_argument("--client-id", default="pitstop-rules", help="MQTT client id")
    run.add_argument("--share-group", help="MQTT shared-subscription group")
    run.add_argument(
        "--seed-demo-workshops",
        action="store_true",
        help="add the demo workshop if the job store has no workshop",
    )
    check = sub.add_parser(
        "check",
        help="validate rule catalogues and list their rules",
        description="Validate rule catalogues; exit 1 naming the file, rule and field at fault.",
    )
    check.add_argument("catalogs", nargs="*", type=Path, metavar="CATALOG")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.rules_command == "check":
        return _check(args.catalogs)
    return _run(args, settings)


def _check(paths: list[Path]) -> int:
    from rules.errors import RuleError
    from rules.loader import DEFAULT_CATALOG, format_duration, load_catalogs

    paths = paths or [DEFAULT_CATALOG]
    try:
        rules = load_catalogs(paths)
    except RuleError as err:
        print(f"pitstop rules check: {err}", file=sys.stderr)
        return 1
    for rule in rules:
        cond = rule.condition
        print(
            f"{rule.id:32} {rule.severity.value:8} {rule.kind} {cond.signal} "
            f"{cond.describe()} for {format_duration(cond.hold_s)}: {rule.title}"
        )
    print(f"{len(rules)} rules OK in {', '.join(str(p) for p in paths)}")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from rules.jobs import open_job_store
    from rules.loader import DEFAULT_CATALOG
    from rules.worker import RulesConfig, ensure_demo_workshops, run_rules

    config = RulesConfig(
        broker_url=args.broker or settings.broker_url,
        client_id=args.client_id,
        share_group=args.share_group,
        catalog_path=args.catalog or DEFAULT_CATALOG,
    )
    url = args.jobs or settings.job_store_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jobs = open_job_store(url)
    try:
        if args.seed_demo_workshops:
            ensure_demo_workshops(jobs)
        stats = run_rules(config, jobs, stop)
    finally:
        jobs.close()
    print(
        f"rules: {stats.messages} messages, {stats.samples} samples, "
        f"{stats.jobs_opened} jobs opened, {stats.undecodable} undecodable, "
        f"{stats.errors} errors",
        file=sys.stderr,
    )
    return 0
