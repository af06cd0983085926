"""``pitstop ingest``: store vehicle telemetry and trouble codes from MQTT."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from cli.argtypes import positive
from cli.commands import dead_letters
from cli.settings import Settings

if TYPE_CHECKING:
    from ingest.dead_model import DeadLetterLimits
    from ingest.store import TelemetryStore
    from ingest.validate import Policy

HELP = "store vehicle telemetry and trouble codes from MQTT in the telemetry store"
DESCRIPTION = """\
Subscribe to every vehicle's telemetry and trouble-code reports (pitstop/v1/+/telemetry and
pitstop/v1/+/dtc, QoS 1, one persistent session), validate each message, store it, then
acknowledge it to the broker and to the vehicle (pitstop/v1/{vin}/ack). A message that fails
validation is kept whole in the dead-letter table (once, however often it is sent) and
answered to the vehicle as refused, with the reason, so that it is not sent again. Runs until
SIGINT or SIGTERM. With --retention-days it instead deletes old data once and exits.

History is data: a batch whose newest sample is older than the live window (--live-window-s,
PITSTOP_LIVE_WINDOW_S, default one day) is stored as history, however old, and not handed on
to the rules; only absurd times are refused (before 1990, or more than --max-future-s ahead).
Live batches and trouble-code reports are handed on to the rules under pitstop/cloud/v1/{vin}/
(telemetry, dtc), a root cars cannot publish to, once stored.

dead letters: `pitstop ingest dead-letters list|show|reingest` (see its --help).

On a thread of its own (unless --no-presence), the presence service stores every gateway's
retained status (online/offline, version, profile hash, counters) and its events
(pitstop/v1/+/status and pitstop/v1/+/event) in the same store, on a persistent session of its
own: client id pitstop-presence (or CLIENT_ID-presence with another --client-id).

telemetry store URLs (--store, or PITSTOP_TELEMETRY_URL; default sqlite:///<data_dir>/telemetry.db):
  sqlite:///relative/path.db      a SQLite file (created if absent); four slashes for an
  sqlite:////absolute/path.db     absolute path; ?synchronous=full fsyncs every commit
  influxdb://[USER:PASS@]HOST[:PORT]/DATABASE?OPTIONS   (influxdbs:// for HTTPS)
    api=v2 (default)   write to /api/v2/write (InfluxDB 1.8+, 2.x, 3.x, Cloud); token=TOKEN,
                       org=ORG, bucket=BUCKET (default DATABASE, or DATABASE/RP with rp=)
    api=v1             write to InfluxDB 1.x's /write?db=DATABASE; USER:PASS authenticate;
                       create=false skips CREATE DATABASE on start
    rp=RP              retention policy to read (and, with v1, write)
    measurement=NAME   where the samples go (default telemetry); timeout=SECONDS (default 10)
  Reads always use InfluxQL at /query?db=DATABASE; on InfluxDB 2.x map the bucket to
  DATABASE with a DBRP mapping (influx v1 dbrp create).

scaling out: run several processes with the same --share-group and each its own --client-id;
the broker hands each message to one of them ($share/GROUP/pitstop/v1/+/telemetry). The client
id names the persistent session, so keep it stable across restarts of the same process.

examples:
  pitstop -v ingest
  pitstop ingest --broker mqtt://ingest:secret@broker:1883 --store sqlite:////var/lib/pitstop/t.db
  pitstop ingest --store 'influxdb://influx:8086/pitstop?api=v1'                   # InfluxDB 1.x
  pitstop ingest --store 'influxdb://influx:8086/pitstop?token=SECRET&org=garage'  # InfluxDB 2.x
  pitstop ingest --share-group ingest --client-id ingest-1   # one of several workers
  pitstop ingest --share-group ingest --client-id ingest-2   # ... and another
  pitstop ingest --retention-days 30 --rollup-days 365       # daily, from cron or a timer
  pitstop ingest --live-window-s 3600                         # older than an hour: history
  pitstop ingest dead-letters list --vin WPITSTOPDEMO00001
  pitstop ingest dead-letters reingest --all --accept-old
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", metavar="URL", help="MQTT broker (default: settings)")
    parser.add_argument(
        "--store", metavar="URL", help="telemetry store, see above (default: settings)"
    )
    parser.add_argument(
        "--client-id",
        metavar="ID",
        default="pitstop-ingest",
        help="MQTT client id; it names the persistent session (default: %(default)s)",
    )
    parser.add_argument(
        "--share-group", metavar="NAME", help="subscribe as $share/NAME/... to scale out"
    )
    parser.add_argument(
        "--partitions",
        metavar="N",
        type=int,
        help="partitions of the cloud topics ingest hands on to (default: "
        "PITSTOP_CLOUD_PARTITIONS, 1)",
    )
    parser.add_argument(
        "--metrics-port", metavar="PORT", type=int, help="serve Prometheus /metrics on PORT"
    )
    parser.add_argument(
        "--no-presence",
        action="store_true",
        help="do not store the gateways' status and events (another process does)",
    )
    parser.add_argument(
        "--retention-days",
        metavar="N",
        type=positive("days"),
        help="do not ingest: delete raw samples older than N days, then exit",
    )
    parser.add_argument(
        "--rollup-days",
        metavar="N",
        type=positive("days"),
        default=365.0,
        help="with --retention-days: keep minute rollups N days (default: %(default)s; "
        "hour rollups are kept for ever)",
    )
    parser.add_argument(
        "--live-window-s",
        metavar="S",
        type=positive("seconds"),
        help="older batches are history, not handed to the rules (default: "
        "PITSTOP_LIVE_WINDOW_S, 86400)",
    )
    parser.add_argument(
        "--max-future-s",
        metavar="S",
        type=positive("seconds"),
        help="clock skew allowed ahead of ours (default: PITSTOP_MAX_FUTURE_S, 300)",
    )
    for flag, kind, what in (
        (
            "--dead-letter-max-bytes",
            int,
            "payload bytes a dead letter keeps (PITSTOP_DEAD_LETTER_MAX_BYTES, 65536)",
        ),
        (
            "--dead-letter-days",
            float,
            "dead letters kept N days, 0 for ever (PITSTOP_DEAD_LETTER_DAYS, 30)",
        ),
        (
            "--dead-letter-quota",
            int,
            "dead letters kept per vehicle (PITSTOP_DEAD_LETTER_QUOTA, 1000)",
        ),
    ):
        parser.add_argument(flag, metavar="N", type=kind, help=what)
    actions = parser.add_subparsers(dest="action", metavar="[dead-letters ...]")
    dead_letters.add_parser(actions)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.open import open_store

    store_url: str = args.store or settings.telemetry_store_url()
    store = open_store(store_url, _dead_limits(args, settings))
    try:
        if args.action == "dead-letters":
            return dead_letters.run(args, store, _policy(args, settings))
        if args.retention_days is not None:
            return _retention(store, args.retention_days, args.rollup_days)
        return _ingest(args, settings, store, store_url)
    finally:
        store.close()


def _ingest(
    args: argparse.Namespace, settings: Settings, store: TelemetryStore, store_url: str
) -> int:
    from ingest.consumer import IngestConfig, run_ingest
    from pitstop.mqtt import BrokerAddress

    broker_url: str = settings.service_broker_url(args.broker)
    config = IngestConfig(
        broker_url=broker_url,
        client_id=args.client_id,
        share_group=args.share_group,
        policy=_policy(args, settings),
        partitions=args.partitions or settings.cloud_partitions,
        metrics_port=args.metrics_port,
    )
    stop = threading.Event()
    _stop_on_signals(stop)
    print(
        f"pitstop ingest: listening on {BrokerAddress.parse(broker_url).url()} "
        f"as {args.client_id}, storing in {_redact(store_url)}",
        flush=True,
    )
    presence = None if args.no_presence else _start_presence(args, broker_url, store, stop)
    stats = run_ingest(config, store, stop)
    stop.set()
    if presence is not None:
        presence.join(15)
    print(
        f"pitstop ingest: stopped; stored {stats.stored} batches ({stats.samples} samples), "
        f"{stats.history} history (not handed to the rules), {stats.handed_on} handed on, "
        f"{stats.duplicates} duplicates, {stats.dtc_reports} DTC reports, "
        f"{stats.dead_letters} dead letters ({stats.dead_letter_repeats} sent again, "
        f"{stats.unanswerable} unanswerable; {stats.dead_letters_dropped} older dropped for "
        f"quotas, {stats.dead_letters_trimmed} payloads trimmed)",
        flush=True,
    )
    return 0


def _dead_limits(args: argparse.Namespace, settings: Settings) -> DeadLetterLimits:
    from ingest.dead_model import DeadLetterLimits

    def pick(name: str, default: float) -> float:
        found = getattr(args, name, None)
        return default if found is None else found

    days = pick("dead_letter_days", settings.dead_letter_days)
    return DeadLetterLimits(
        max_payload_bytes=max(
            int(pick("dead_letter_max_bytes", settings.dead_letter_max_bytes)), 1
        ),
        retention_days=days if days > 0 else None,
        per_vin=max(int(pick("dead_letter_quota", settings.dead_letter_quota)), 1),
    )


def _policy(args: argparse.Namespace, settings: Settings) -> Policy:
    from ingest.validate import Policy

    return Policy(
        live_window_s=args.live_window_s or settings.live_window_s,
        max_future_s=args.max_future_s or settings.max_future_s,
    )


def _start_presence(
    args: argparse.Namespace, broker_url: str, store: TelemetryStore, stop: threading.Event
) -> threading.Thread:
    from ingest.presence import PresenceConfig, run_presence

    ingest_id: str = args.client_id
    client_id = "pitstop-presence" if ingest_id == "pitstop-ingest" else f"{ingest_id}-presence"
    config = PresenceConfig(
        broker_url=broker_url, client_id=client_id, share_group=args.share_group
    )
    thread = threading.Thread(
        target=run_presence, args=(config, store, stop), name="presence", daemon=True
    )
    thread.start()
    return thread


def _retention(store: TelemetryStore, raw_days: float, rollup_days: float) -> int:
    from ingest.store import Retention

    deleted = store.apply_retention(Retention(raw_days, rollup_days, None), time.time())
    print(
        f"pitstop ingest: retention applied (raw {raw_days:g} days, minute rollups "
        f"{rollup_days:g} days); deleted {deleted.get('raw', 0)} raw samples, "
        f"{deleted.get('1m', 0)} minute and {deleted.get('1h', 0)} hour rollup rows",
        flush=True,
    )
    return 0


def _stop_on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be installed by the main thread

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _redact(url: str) -> str:
    """The URL without credentials or query (tokens), fit to print."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
