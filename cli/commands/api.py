"""``pitstop api``: the HTTP API and the web pages, served by uvicorn."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.settings import Settings
from cli.stores import jobs_to_read, telemetry_to_read

HELP = "serve the HTTP API and the web pages"

DESCRIPTION = """\
Serve the HTTP API (JSON, documented offline at /api, schema at /openapi.json) and the web
pages (sign in at /signin with a key from 'pitstop admin keys create'; the fleet at /, each
vehicle at /vehicles/VIN/page, each job at /jobs/ID/page) over the telemetry store and the job
store. Defaults come from the settings (PITSTOP_TELEMETRY_URL, PITSTOP_JOBS_URL,
PITSTOP_API_HOST, PITSTOP_API_PORT). /rules (JSON) and the engineers' page /rules/page show
the rule catalogue with each rule's precision and backtest a rule over a vehicle's history:
pitstop's own catalogue unless --catalog names others (the same files the rules worker runs).

Commands to cars (POST /vehicles/VIN/commands: read_dtcs, set_plan) are published on
pitstop/v1/VIN/cmd through the broker --broker names (default: PITSTOP_BROKER_URL); each is
recorded in the job store's database (GET /commands, admins). --no-broker serves without
one: the command routes then answer 503.

The owner's assistant (POST /assist, the vehicle page's "describe the problem" box) loads
its sentence-embedding model when the server starts (a few seconds, about 120 MB);
--no-assist serves without it (those routes then answer 503).

examples:
  pitstop api
  pitstop api --port 8080 --host 0.0.0.0
  pitstop api --telemetry sqlite:///data/telemetry.db --jobs postgresql://pitstop@db/pitstop
  pitstop api --catalog rules/catalog/default.yaml --catalog fleet-rules.yaml
  pitstop api --broker mqtt://pitstop-api:secret@broker:1883
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--telemetry", metavar="URL", help="telemetry store URL (default: <data_dir>/telemetry.db)"
    )
    parser.add_argument("--jobs", metavar="URL", help="job store URL (default: <data_dir>/jobs.db)")
    parser.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: 8000)")
    broker = parser.add_mutually_exclusive_group()
    broker.add_argument("--broker", metavar="URL", help="MQTT broker for commands to cars")
    broker.add_argument(
        "--no-broker", action="store_true", help="send no commands (the routes answer 503)"
    )
    parser.add_argument(
        "--no-assist", action="store_true", help="serve without the owner's assistant"
    )
    parser.add_argument(
        "--catalog",
        metavar="YAML",
        action="append",
        type=Path,
        help="a rule catalogue for /rules (repeat for several; default: pitstop's own)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app_from_urls
    from rules.errors import RuleError
    from rules.loader import load_catalogs

    try:
        rules = load_catalogs(args.catalog) if args.catalog else None
    except RuleError as err:
        print(f"pitstop api: {err}", file=sys.stderr)
        return 2
    telemetry_url = telemetry_to_read(args.telemetry, settings, "pitstop api")
    jobs_url = jobs_to_read(args.jobs, settings, "pitstop api")
    host: str = args.host or settings.api_host
    port: int = settings.api_port if args.port is None else args.port
    _check_stores(telemetry_url, jobs_url)
    broker_url: str | None = None if args.no_broker else settings.service_broker_url(args.broker)
    app = create_app_from_urls(
        telemetry_url,
        jobs_url,
        rules=rules,
        broker_url=broker_url,
        policy=settings.booking_policy(),
        assist=not args.no_assist,
    )
    print(f"pitstop api: open {_browser_url(host, port)} (API docs at /api)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")  # exits with 3 if startup fails
    return 0


def _check_stores(telemetry_url: str, jobs_url: str) -> None:
    """Open and close both stores once, so that a bad URL or an unreachable server is one line
    now rather than a traceback from the server's start-up."""
    from ingest.open import open_store
    from jobs.open import open_job_store

    open_store(telemetry_url).close()
    open_job_store(jobs_url).close()


def _browser_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
