"""``pitstop gateway``: the in-car gateway, on a live CAN bus or replaying a recorded log."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from pitstop.settings import Settings

HELP = "run the in-car gateway: CAN bus or log -> decode -> spool -> MQTT"
DESCRIPTION = """\
Read CAN frames from a live bus (python-can interface and channel) or replay a recorded log
(candump .log, .asc, .blf, .trc: whatever python-can reads), decode them with the vehicle
profile's DBC files, spool them on disk and publish them over MQTT (QoS 1). A batch leaves the
spool only when the cloud acknowledges it. A replay exits with status 0 once every batch is
acknowledged; a live bus runs until SIGTERM or Ctrl-C.

examples:
  pitstop gateway --vin WPITSTOPDEMO00001 --bus socketcan --channel can0
  pitstop gateway --vin WPITSTOPDEMO00001 --replay drive.log --speed 10
  pitstop gateway --vin WPITSTOPDEMO00001 --replay drive.log --fast --broker mqtt://cloud:1883
"""

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vin", required=True, help="the vehicle's VIN (17 letters and digits)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="vehicle profile YAML (default: the demo EV)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--bus", metavar="INTERFACE", help="python-can interface: socketcan, virtual, ..."
    )
    source.add_argument("--replay", metavar="LOG", type=Path, help="replay a recorded CAN log")
    parser.add_argument("--channel", default="can0", help="bus channel (default: %(default)s)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", type=float, default=1.0, help="replay N times the recorded pace (default: 1)"
    )
    pace.add_argument("--fast", action="store_true", help="replay as fast as possible")
    parser.add_argument(
        "--spool", type=Path, default=None, help="spool file (default: <data_dir>/spool-<vin>.db)"
    )
    parser.add_argument("--broker", default=None, help="broker URL (default: PITSTOP_BROKER_URL)")
    parser.add_argument(
        "--batch-interval", type=float, default=1.0, help="seconds of frames per batch (default: 1)"
    )
    parser.add_argument(
        "--ack-timeout", type=float, default=10.0, help="publish again after N s without an ack"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import dbc
    from gateway.runner import GatewayConfig, run_gateway
    from gateway.sources import SourceSpec

    if args.replay is not None:
        source = SourceSpec.replay(args.replay, None if args.fast else args.speed)
    else:
        source = SourceSpec.bus(args.bus, args.channel)
    config = GatewayConfig(
        vin=args.vin,
        profile=args.profile or dbc.DEMO_PROFILE,
        source=source,
        spool=args.spool or settings.data_dir / f"spool-{args.vin}.db",
        broker_url=args.broker or settings.broker_url,
        batch_interval=args.batch_interval,
        ack_timeout=args.ack_timeout,
    )
    stop = threading.Event()
    _stop_on_signals(stop)
    print(
        f"pitstop gateway: {args.vin}: {source.describe()} -> spool {config.spool} -> "
        f"{config.broker_url}",
        flush=True,
    )
    stats = run_gateway(config, stop)
    print(
        f"pitstop gateway: {stats.frames} frames, {stats.decoded} decoded, "
        f"{stats.unknown_id} unknown ids, {stats.bad_frame} bad frames; {stats.batches} batches "
        f"({stats.samples} samples) spooled, {stats.published} published, {stats.resent} resent, "
        f"{stats.acked} acked, {stats.dropped} dropped, {stats.spool_count} still spooled",
        flush=True,
    )
    if source.live:
        return 0
    return 0 if stats.completed else 1


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
