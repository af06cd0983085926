"""``pitstop ingest``: store vehicle telemetry from MQTT in the telemetry store."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

from pitstop.settings import Settings

HELP = "store vehicle telemetry from MQTT in the telemetry store"
DESCRIPTION = """\
Subscribe to every vehicle's telemetry (pitstop/v1/+/telemetry, QoS 1, persistent session),
validate each batch, store it, then acknowledge it to the broker and to the vehicle
(pitstop/v1/{vin}/ack). Invalid payloads are kept in the dead-letter table. Runs until
SIGINT or SIGTERM.

examples:
  pitstop -v ingest
  pitstop ingest --broker mqtt://ingest:secret@broker:1883 --store sqlite:////var/lib/pitstop/t.db
  pitstop ingest --share-group ingest --client-id ingest-2   # one of several workers
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", metavar="URL", help="MQTT broker (default: settings)")
    parser.add_argument(
        "--store", metavar="URL", help="telemetry store (default: sqlite:///<data_dir>/...)"
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.consumer import IngestConfig, run_ingest
    from ingest.store import open_store
    from pitstop.mqtt import BrokerAddress

    broker_url: str = args.broker or settings.broker_url
    store_url: str = args.store or settings.telemetry_store_url()
    config = IngestConfig(
        broker_url=broker_url, client_id=args.client_id, share_group=args.share_group
    )
    stop = threading.Event()
    _stop_on_signals(stop)
    store = open_store(store_url)
    try:
        print(
            f"pitstop ingest: listening on {BrokerAddress.parse(broker_url).url()} "
            f"as {args.client_id}, storing in {_redact(store_url)}",
            flush=True,
        )
        stats = run_ingest(config, store, stop)
    finally:
        store.close()
    print(
        f"pitstop ingest: stopped; stored {stats.stored} batches ({stats.samples} samples), "
        f"{stats.duplicates} duplicates, {stats.dead_letters} dead letters",
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
