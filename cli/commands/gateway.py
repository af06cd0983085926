"""``pitstop gateway``: the in-car gateway, on live CAN buses or replaying a recorded log."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from cli.settings import Settings
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from gateway.services import Service

HELP = "run the in-car gateway: CAN bus or log -> decode -> reduce -> spool -> MQTT"
DESCRIPTION = """\
Read CAN frames from live buses (any python-can interface) or replay a recorded log (candump
.log or .log.gz, .asc, .blf, .trc: whatever python-can reads), decode them with the vehicle
profile's DBC files, keep what the collection plan asks for, spool them on disk and publish them
over MQTT (QoS 1). A batch leaves the spool only when the cloud answers it: acknowledged
(stored) or refused (kept in the cloud's dead letters, with the reason; logged once per kind of
reason and counted as "rejected"). A replay exits with status 0 once every batch is answered;
a live bus runs until SIGTERM or Ctrl-C.

Live buses: --bus names the interface; a profile with several buses opens one per bus, on the
channel its profile entry names (default: the bus name); a one-bus profile uses --channel.

Replay: `pitstop gateway [options] replay LOG` (or --replay LOG), at the recorded pace, N times
faster (--speed N) or as fast as possible (--fast).

Trouble codes: --diag reads them on the live bus (OBD-II modes 03/07/0A and UDS 0x19 from the
engine ECU at 0x7E0/0x7E8 every --diag-interval seconds, J1939 DM1/DM2 all the time) and sends
every change through the spool on pitstop/v1/{vin}/dtc; the cloud may ask for a read at once
with {"type": "read_dtcs"} on the cmd topic.

Vehicle profile: --profile PROFILE.yaml (default: the demo EV; dbc/ ships more, see
docs/profiles.md). The DBC files a profile names are found next to it, then in each --dbc-dir
DIR (repeatable), then in the folders of PITSTOP_DBC_PATH (separated by ':'). Check a profile
first with `pitstop profile check PROFILE --log LOG`.

OBD-II for any car: --obd (or a profile with a diagnostics section, e.g. dbc/obd2.yaml,
dbc/kona_ev.yaml) asks the ECUs on a live bus: the mode 01 PIDs every responder (0x7E8-0x7EF)
says it supports, each on its own interval (the plan's, else the profile's), published as
telemetry under VSS names; the stored, pending and permanent codes (03/07/0A) of every
responder; the UDS DIDs and targets the profile names (docs/obd2.md). A replay never asks:
the diagnostic answers, J1939 DM1/DM2 and OBD-II codes already in the log are read from it.

Collection plan: --plan PLAN.yaml (e.g. dbc/demo_ev.plan.yaml) limits each signal's rate and
sets the monthly data budget; without one every mapped signal is sent at full rate. The cloud
may replace the plan through the cmd topic.

Triggers: --triggers TRIGGERS.yaml (written in the cloud by `pitstop rules triggers`) lists the
rules' conditions; a sample meeting one sends its batch at once instead of after the batch
interval, so a fault reaches the cloud without the batch's wait (docs/triggers.md).

examples:
  pitstop gateway --vin WPITSTOPDEMO00001 --bus socketcan --channel can0 \\
      --plan dbc/demo_ev.plan.yaml
  pitstop gateway --vin WPITSTOPDEMO00001 --bus socketcan --channel can0 --diag
  pitstop gateway --vin WPITSTOPTRUCK0001 --profile dbc/j1939_truck.yaml \\
      --dbc-dir ~/dbc --bus socketcan --channel can1
  pitstop gateway --vin WPITSTOPDEMO00001 --bus socketcan --channel can0 \\
      --profile dbc/obd2.yaml          # or: --obd (any profile)
  pitstop gateway --vin KM8K33AG0LU000001 --profile dbc/kona_ev.yaml replay kona.log
  pitstop gateway --vin WPITSTOPDEMO00001 replay drive.log.gz --speed 10
  pitstop gateway --vin WPITSTOPDEMO00001 --broker mqtt://cloud:1883 replay drive.blf --fast
  pitstop gateway --vin WPITSTOPDEMO00001 --bus socketcan --channel can0 \\
      --broker mqtts://mqtt.example.com:8883 --ca-file /etc/pitstop/ca.crt \\
      --cert /etc/pitstop/WPITSTOPDEMO00001.crt --key /etc/pitstop/WPITSTOPDEMO00001.key

Broker identity: mutual TLS with the certificate and key `pitstop admin vehicles provision VIN`
issued (--ca-file, --cert, --key or PITSTOP_BROKER_CA_FILE, PITSTOP_BROKER_CERT_FILE,
PITSTOP_BROKER_KEY_FILE), or a password in the URL (mqtts://VIN:PASSWORD@host:8884 with
--ca-file). The password is never printed.
"""

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--bus", metavar="INTERFACE", help="python-can interface: socketcan, virtual, ..."
    )
    source.add_argument("--replay", metavar="LOG", type=Path, help="replay a recorded CAN log")
    _options(parser, suppress=False)
    modes = parser.add_subparsers(dest="mode", metavar="replay LOG")
    replay = modes.add_parser(
        "replay",
        help="replay a recorded CAN log (same as --replay LOG)",
        description="Replay a recorded CAN log; every option of `pitstop gateway` works here too.",
    )
    replay.add_argument("log", type=Path, help="candump .log/.log.gz, .asc, .blf or .trc file")
    _options(replay, suppress=True)


def _options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options, on ``pitstop gateway`` (with defaults) and again after ``replay LOG``."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--vin", default=default(None), help="the vehicle's VIN (required)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=default(None),
        help="vehicle profile YAML (default: the demo EV)",
    )
    parser.add_argument(
        "--dbc-dir",
        type=Path,
        action="append",
        default=default([]),
        metavar="DIR",
        help="also look for the profile's DBC files in DIR (repeatable; then PITSTOP_DBC_PATH)",
    )
    parser.add_argument(
        "--plan", type=Path, default=default(None), help="collection plan YAML (default: none)"
    )
    parser.add_argument(
        "--triggers",
        type=Path,
        default=default(None),
        help="rule triggers compiled by `pitstop rules triggers` (default: none)",
    )
    parser.add_argument("--channel", default=default("can0"), help="bus channel (default: can0)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", type=float, default=default(1.0), help="replay N times the recorded pace"
    )
    pace.add_argument(
        "--fast", action="store_true", default=default(False), help="replay as fast as possible"
    )
    parser.add_argument(
        "--spool",
        type=Path,
        default=default(None),
        help="spool file (default: <data_dir>/spool-<vin>.db)",
    )
    parser.add_argument(
        "--broker", default=default(None), help="broker URL (default: PITSTOP_BROKER_URL)"
    )
    parser.add_argument(
        "--ca-file",
        default=default(None),
        metavar="FILE",
        help="CA of the broker's certificate (default: PITSTOP_BROKER_CA_FILE, else the system's)",
    )
    parser.add_argument(
        "--cert",
        default=default(None),
        metavar="FILE",
        help="client certificate for mutual TLS (default: PITSTOP_BROKER_CERT_FILE)",
    )
    parser.add_argument(
        "--key",
        default=default(None),
        metavar="FILE",
        help="its private key (default: PITSTOP_BROKER_KEY_FILE)",
    )
    parser.add_argument(
        "--batch-interval",
        type=float,
        default=default(1.0),
        help="seconds of frames per batch (default: 1)",
    )
    parser.add_argument(
        "--diag",
        action="store_true",
        default=default(False),
        help="also read trouble codes on the live bus",
    )
    parser.add_argument(
        "--obd",
        action="store_true",
        default=default(False),
        help="poll the OBD-II PIDs every ECU supports and read the codes of every responder "
        "on the live bus (the PIDs of dbc/obd2.yaml unless the profile names its own)",
    )
    parser.add_argument(
        "--diag-interval",
        type=float,
        default=default(60.0),
        help="seconds between scheduled trouble-code reads (default: 60)",
    )
    parser.add_argument(
        "--ack-timeout",
        type=float,
        default=default(10.0),
        help="publish again after N s without an ack (default: 10)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import dbc
    from gateway.runner import GatewayConfig, run_gateway
    from gateway.sources import SourceSpec
    from pitstop.mqtt import BrokerAddress

    if not args.vin:
        raise ConfigError("--vin is required (the vehicle's VIN, 17 letters and digits)")
    replay_log = args.log if args.mode == "replay" else args.replay
    if replay_log is not None and args.bus is not None:
        raise ConfigError("give either --bus or a log to replay, not both")
    if replay_log is not None:
        source = SourceSpec.replay(replay_log, None if args.fast else args.speed)
    elif args.bus is not None:
        source = SourceSpec.bus(args.bus, args.channel)
    else:
        raise ConfigError("nothing to read: give --bus INTERFACE or `replay LOG` (see --help)")
    if (args.diag or args.obd) and not source.live:
        raise ConfigError(
            "--diag and --obd need a live bus: they ask the ECUs; a replay reads the trouble "
            "codes and diagnostic answers in the log by itself"
        )
    profile = args.profile or dbc.DEMO_PROFILE
    active = source.live and (args.diag or args.obd or _has_diagnostics(profile))
    config = GatewayConfig(
        vin=args.vin,
        profile=profile,
        source=source,
        spool=args.spool or settings.data_dir / f"spool-{args.vin}.db",
        broker_url=args.broker or settings.broker_url,
        broker_tls=(
            args.ca_file or settings.broker_ca_file or None,
            args.cert or settings.broker_cert_file or None,
            args.key or settings.broker_key_file or None,
        ),
        batch_interval=args.batch_interval,
        ack_timeout=args.ack_timeout,
        plan=args.plan,
        triggers=args.triggers,
        dbc_path=(*args.dbc_dir, *settings.dbc_dirs()),
        passive_diagnostics=not active,
    )
    address = BrokerAddress.parse(config.broker_url).with_tls_files(*config.broker_tls)
    stop = threading.Event()
    _stop_on_signals(stop)
    print(
        f"pitstop gateway: {args.vin}: {source.describe()} -> spool {config.spool} -> "
        f"{address.url()}{' (mutual TLS)' if address.cert_file else ''}",
        flush=True,
    )
    services = [_diagnostics(args)] if active else []
    stats = run_gateway(config, stop, services=services)
    print(
        f"pitstop gateway: {stats.frames} frames, {stats.decoded} decoded, "
        f"{stats.not_due} not needed by the plan, {stats.unmapped} of known messages with no "
        f"mapped signal, {stats.unknown_id} unknown ids, "
        f"{stats.bad_frame} bad frames; {stats.batches} batches ({stats.samples} samples) "
        f"spooled, {stats.published} published, {stats.resent} resent, {stats.acked} acked, "
        f"{stats.rejected} rejected, {stats.dropped} dropped, {stats.spool_count} still spooled",
        flush=True,
    )
    for channel, counts in sorted(stats.by_bus.items()):
        print(f"pitstop gateway: channel {channel}: {_counts(counts)}", flush=True)
    if source.live:
        return 0
    return 0 if stats.completed else 1


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())


def _has_diagnostics(profile: Path) -> bool:
    """Whether the profile YAML has a diagnostics section (it is loaded, checked, later)."""
    from gateway.errors import ProfileError
    from gateway.yamlfile import read_yaml

    doc = read_yaml(profile, "profile", ProfileError)
    return isinstance(doc, dict) and "diagnostics" in doc


def _diagnostics(args: argparse.Namespace) -> Service:
    """The diagnostics service: --diag's engine ECU, --obd's PIDs, the profile's section."""
    import dbc
    from gateway.diag.client import EcuTarget
    from gateway.diag.plugin import diagnostics
    from gateway.diag.service import DiagSchedule
    from gateway.profile import load_profile

    targets = (EcuTarget(),) if args.diag and not args.obd else ()
    schedule = DiagSchedule(targets=targets, interval=args.diag_interval)
    generic = load_profile(dbc.OBD2_PROFILE).diagnostics if args.obd else None
    return diagnostics(args.bus, args.channel, schedule, obd=generic.obd if generic else None)


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
