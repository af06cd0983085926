"""The ``pitstop`` command line.

Each subcommand is its own module in ``cli.commands`` with three names:
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args, settings) -> int``.
A module imports the parts it runs inside ``run``, so ``pitstop gateway`` on a car never
imports the cloud code, and ``pitstop --help`` imports none of it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from cli.settings import Settings
from pitstop import __version__
from pitstop.errors import PitstopError

COMMANDS = (
    "demo",
    "simulate",
    "gateway",
    "profile",
    "ingest",
    "rules",
    "api",
    "admin",
    "dtc",
    "jobs",
    "assist",
)


class Command(Protocol):
    HELP: str
    DESCRIPTION: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, settings: Settings) -> int: ...


def load_command(name: str) -> Command:
    return cast(Command, importlib.import_module(f"cli.commands.{name}"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description="Connected-vehicle remote diagnostics: CAN frames in, booked workshop jobs "
        "out. Settings come from PITSTOP_* environment variables and the options below.",
    )
    parser.add_argument("--version", action="version", version=f"pitstop {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        command = load_command(name)
        sub = subparsers.add_parser(
            name,
            help=command.HELP,
            description=command.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.verbose < 2:  # third-party chatter only with -vv
        for name in ("amqtt", "transitions", "alembic", "uvicorn.error"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        settings = Settings()
        return load_command(args.command).run(args, settings)
    except PitstopError as err:
        print(f"pitstop {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
