"""``pitstop rules``: run the rules worker, or check rule catalogues."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from cli.commands import rules_triggers
from cli.settings import Settings

HELP = "evaluate rules on live telemetry and book jobs; check rule catalogues"
DESCRIPTION = """\
Rules turn telemetry into pre-diagnosed workshop jobs. `run` subscribes to every vehicle's
telemetry, evaluates the rule catalogue and opens at most one job per (vehicle, rule), booked
into the first workshop with the skills the diagnosis needs. `check` validates catalogues and
prints one line per rule. `triggers` compiles the catalogue into the car's triggers file.
`backtest` runs one rule over a vehicle's stored history and shows when it would have fired
and cleared: try a rule before it goes live. `webhooks` delivers the
signed job webhooks (owners, fleets, workshops) from the durable outbox, at least once, and
puts the follow-up question to owners (PITSTOP_FOLLOWUP_DAYS after a job was completed).
Maintenance reminders go out PITSTOP_REMINDER_LEAD_KM / _DAYS ahead of due.

examples:
  pitstop rules run --broker mqtt://127.0.0.1:1883 --seed-demo-workshops
  pitstop rules run --jobs postgresql://pitstop@db/pitstop --catalog /etc/pitstop/rules.yaml
  pitstop rules run --client-id rules-1 --shard 1/3    # the second of three workers
  pitstop rules check rules/catalog/default.yaml my-rules.yaml
  pitstop rules webhooks --secret-file /etc/pitstop/webhook.key
  pitstop rules backtest lv-battery-low --vehicle PITSTOPDEMO000003 \\
      --from 2026-01-01 --to 2026-01-15T12:00 --telemetry sqlite:///data/telemetry.db
"""


FOLLOWUP_POLL_S = 60.0


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
        "--shard",
        default="0/1",
        metavar="I/N",
        help="this worker's share of the vehicles: worker I of N (0-based), split by a stable "
        "hash of the VIN; every worker sees a vehicle's messages in order. Start N workers "
        "with different client ids and --shard 0/N .. N-1/N (default: 0/1, all vehicles)",
    )
    run.add_argument(
        "--partitions",
        metavar="N",
        type=int,
        help="partitions of the cloud topics, as ingest's (default: PITSTOP_CLOUD_PARTITIONS, "
        "1); with --shard I/M and M dividing N the worker subscribes to its own only",
    )
    run.add_argument(
        "--metrics-port", metavar="PORT", type=int, help="serve Prometheus /metrics on PORT"
    )
    run.add_argument(
        "--seed-demo-workshops",
        action="store_true",
        help="add the demo workshop if the job store has no workshop",
    )
    check = sub.add_parser(
        "check",
        help="validate rule catalogues and list their rules",
        description="Validate rule catalogues; exit 1 naming the file, rule and field at fault, "
        "or a signal that no profile produces (the shipped ones in dbc/, and --profile's).",
    )
    check.add_argument("catalogs", nargs="*", type=Path, metavar="CATALOG")
    check.add_argument(
        "--profile",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a vehicle profile of your own whose signal names rules may read (repeatable)",
    )
    hooks = sub.add_parser(
        "webhooks",
        help="deliver job webhooks from the outbox until interrupted",
        description="POST every pending job event to its receivers, signed with HMAC-SHA256 "
        "(headers X-Pitstop-Id, -Event, -Timestamp, -Signature: sha256=HMAC(secret, "
        "timestamp + '.' + body)); retried with backoff until a 2xx. See rules/delivery.py "
        "for how a receiver verifies.",
    )
    hooks.add_argument("--jobs", help="job store URL (default: sqlite:///<data_dir>/jobs.db)")
    hooks.add_argument(
        "--secret-file",
        type=Path,
        required=True,
        help="file holding the shared signing secret (its bytes, trailing newline dropped)",
    )
    rules_triggers.add_parser(sub)
    back = sub.add_parser(
        "backtest",
        help="run one rule over stored history and show when it would have fired",
        description="Replay a vehicle's stored telemetry through one rule (the same engine as "
        "the worker) and print each transition (pending, firing, resolved) with a summary. "
        "Times are ISO 8601 (2026-01-15, 2026-01-15T08:30, UTC unless an offset is given) or "
        "seconds since the epoch.",
    )
    back.add_argument("rule", metavar="RULE", help="the rule id, e.g. lv-battery-low")
    back.add_argument("--vehicle", required=True, metavar="VIN", help="the vehicle's VIN")
    back.add_argument("--from", dest="start", required=True, metavar="TIME", help="start time")
    back.add_argument("--to", dest="end", required=True, metavar="TIME", help="end time")
    back.add_argument("--telemetry", help="telemetry store URL (default: settings)")
    back.add_argument("--catalog", type=Path, help="rule catalogue (default: the built-in one)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.rules_command == "check":
        return _check(args.catalogs, args.profile)
    if args.rules_command == "backtest":
        return _backtest(args, settings)
    if args.rules_command == "webhooks":
        return _webhooks(args, settings)
    if args.rules_command == "triggers":
        return rules_triggers.run(args)
    return _run(args, settings)


def _when(text: str) -> float:
    from datetime import UTC, datetime

    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"{text!r} is not a time (e.g. 2026-01-15T08:30 or 1767225600)") from err
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _stamp(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _backtest(args: argparse.Namespace, settings: Settings) -> int:
    from cli.stores import telemetry_to_read
    from ingest.errors import StoreError
    from ingest.open import open_store
    from pitstop.errors import ConfigError, TopicError
    from pitstop.topics import validate_vin
    from rules.backtest import backtest, find_rule
    from rules.errors import RuleError
    from rules.loader import DEFAULT_CATALOG, format_duration, load_catalog

    try:
        start, end = _when(args.start), _when(args.end)
        if end <= start:
            raise ValueError("--to must be later than --from")
        rule = find_rule(load_catalog(args.catalog or DEFAULT_CATALOG), args.rule)
        validate_vin(args.vehicle)
        if end > time.time():
            end = max(start, time.time())  # the future holds no data: firing "until" now
            if end <= start:
                raise ValueError("--from is in the future: there is nothing to replay yet")
        store = open_store(telemetry_to_read(args.telemetry, settings, "pitstop rules backtest"))
    except (ValueError, TopicError, RuleError, ConfigError, StoreError) as err:
        print(f"pitstop rules backtest: {err}", file=sys.stderr)
        return 2
    try:
        result = backtest(rule, store, args.vehicle, start, end)
    except (RuleError, StoreError) as err:
        print(f"pitstop rules backtest: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()
    span = f"{_stamp(start)} .. {_stamp(end)}"
    print(f"{rule.id} ({rule.condition.describe()}) on {args.vehicle}, {span}")
    for t in result.transitions:
        extra = t.details.get("forecast", {}).get("text", "") if t.details else ""
        print(f"  {_stamp(t.at)}  {t.to_state.value:9} value {t.value:g}  {extra}".rstrip())
    firings = result.firings
    first = _stamp(firings[0].at) if firings else "never"
    print(
        f"{result.samples} samples; fired {len(firings)} times (first: {first}); "
        f"firing for {format_duration(round(result.firing_seconds()))} in total"
    )
    return 0


def _check(paths: list[Path], profiles: list[Path]) -> int:
    from cli.signal_names import NAME, known_signal_names, suggestion
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
        on = " ".join(cond.signals[:1]) or "-"
        print(
            f"{rule.id:36} {rule.severity.value:8} {rule.kind:11} {on} "
            f"{cond.describe()} for {format_duration(cond.hold_s)}: {rule.title}"
        )
    known = known_signal_names(profiles)
    unknown = [
        (rule.id, match.group(0))
        for rule in rules
        for text in rule.condition.signals
        for match in NAME.finditer(text)
        if match.group(0) not in known
    ]
    for rule_id, name in unknown:
        print(
            f"pitstop rules check: rule {rule_id} reads {name}, which no profile produces"
            f"{suggestion(name, known)}; add your profile with --profile FILE",
            file=sys.stderr,
        )
    if unknown:
        return 1
    print(f"{len(rules)} rules OK in {', '.join(str(p) for p in paths)}")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    from jobs.open import open_audit_log, open_job_store, open_state_store
    from jobs.seed import ensure_demo_workshops
    from pitstop.mqtt import BrokerAddress
    from rules.core import Shard
    from rules.jobsink import JobSink
    from rules.loader import DEFAULT_CATALOG
    from rules.reminders import DAY_S, Lead
    from rules.worker import RulesConfig, run_rules

    try:
        shard = Shard.parse(args.shard)
    except ValueError as err:
        print(f"pitstop rules run: {err}", file=sys.stderr)
        return 2
    config = RulesConfig(
        shard=shard,
        broker_url=settings.service_broker_url(args.broker),
        client_id=args.client_id,
        share_group=args.share_group,
        catalog_path=args.catalog or DEFAULT_CATALOG,
        reminders=Lead(km=settings.reminder_lead_km, s=settings.reminder_lead_days * DAY_S)
        if settings.reminders
        else None,
        sweep_s=settings.booking_sweep_s,
        partitions=args.partitions or settings.cloud_partitions,
        metrics_port=args.metrics_port,
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
    state = open_state_store(url)
    audit = open_audit_log(url)
    try:
        if args.seed_demo_workshops:
            ensure_demo_workshops(jobs)
        print(
            f"pitstop rules: evaluating {config.catalog_path} (shard {shard.index}/{shard.count}) "
            f"on {BrokerAddress.parse(config.broker_url).url()}, "
            f"jobs in {make_url(url).render_as_string(hide_password=True)}",
            flush=True,
        )
        sink = JobSink(jobs, settings.booking_policy(), audit=audit)
        stats = run_rules(config, sink, stop, state=state, sweep=sink.sweep)
    finally:
        audit.close()
        state.close()
        jobs.close()
    print(
        f"pitstop rules: stopped; {stats.messages} messages, {stats.samples} samples, "
        f"{stats.jobs_opened} jobs opened, {stats.undecodable} undecodable, "
        f"{stats.errors} errors",
        file=sys.stderr,
    )
    return 0


def _webhooks(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.delivery import run_delivery
    from jobs.errors import JobStoreError
    from jobs.open import open_job_store, open_webhook_outbox

    try:
        secret = args.secret_file.read_bytes().rstrip(b"\r\n")
    except OSError as err:
        print(f"pitstop rules webhooks: cannot read {args.secret_file}: {err}", file=sys.stderr)
        return 2
    if not secret:
        print(f"pitstop rules webhooks: {args.secret_file} is empty", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    url = args.jobs or settings.job_store_url()
    try:
        outbox = open_webhook_outbox(url)
        jobs = open_job_store(url)
    except JobStoreError as err:
        print(f"pitstop rules webhooks: {err}", file=sys.stderr)
        return 1
    after_s = settings.followup_days * 86_400.0
    asked = [float("-inf")]

    def follow_up(now: float) -> None:  # once a minute: the follow-ups that are due
        if now - asked[0] >= FOLLOWUP_POLL_S:
            asked[0] = now
            try:
                jobs.ask_followups(now, after_s)
            except JobStoreError as err:  # the store is down: try again next minute
                print(f"pitstop rules webhooks: follow-ups: {err}", file=sys.stderr)

    try:
        stats = run_delivery(outbox, secret, stop, chores=follow_up)
    finally:
        jobs.close()
        outbox.close()
    print(f"webhooks: {stats.delivered} delivered, {stats.failed} failed attempts", file=sys.stderr)
    return 0
