"""``pitstop demo``: the whole loop in one process."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from cli.settings import Settings

HELP = "run everything in one process: broker, simulated cars, gateways, ingest, rules, API"
DESCRIPTION = """\
Run the whole of pitstop on embedded defaults, in one process: an embedded MQTT broker (unless
--broker is given), SQLite stores in <data-dir>/demo, ingest, the rules engine, the API and
web pages, and simulated cars sending CAN traffic through gateways of their own. One car's
12 V battery is failing: within about two minutes a pre-diagnosed job for it is booked into a
workshop and shows at http://127.0.0.1:8000/jobs. Ctrl-C stops everything cleanly.

examples:
  pitstop demo
  pitstop demo --vehicles 5 --faulty 2 --api-port 8080
  pitstop demo --broker mqtt://127.0.0.1:1883      # use a running Mosquitto instead
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", metavar="URL", help="use this MQTT broker (default: embedded)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where the demo keeps its stores (default: <PITSTOP_DATA_DIR>/demo)",
    )
    parser.add_argument("--api-host", metavar="HOST", help="API address (default 127.0.0.1)")
    parser.add_argument("--api-port", type=int, metavar="PORT", help="API port (default 8000)")
    parser.add_argument("--vehicles", type=int, default=3, help="simulated cars (default 3)")
    parser.add_argument("--faulty", type=int, default=1, help="of which faulty (default 1)")
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the stores of an earlier run"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from cli.demo import run_demo
    from cli.demo_config import DemoConfig

    if not 1 <= args.vehicles <= 50 or not 0 <= args.faulty <= args.vehicles:
        print("pitstop demo: --vehicles must be 1..50 and --faulty 0..vehicles", file=sys.stderr)
        return 2
    config = DemoConfig(
        data_dir=args.data_dir or settings.data_dir / "demo",
        broker_url=args.broker,
        api_host=args.api_host or settings.api_host,
        api_port=args.api_port or settings.api_port,
        vehicles=args.vehicles,
        faulty=args.faulty,
        keep_data=args.keep_data,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        print(f"\n{signal.Signals(signum).name}: stopping ...", file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = run_demo(config, stop, out=sys.stdout)
    print("pitstop demo stopped", flush=True)
    return code
