"""``pitstop profile``: check a vehicle profile against its DBC files and a recorded log."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from cli.settings import Settings
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from gateway.profilecheck import LogCheck, ProfileCheck

HELP = "check a vehicle profile: its DBC files, its signal names, and a recorded log"
DESCRIPTION = """\
Load a vehicle profile as the gateway would (docs/profiles.md) and report:

- DBC files that are missing or that cantools refuses, and what lenient loading left out;
- mapped signals the DBC lacks (with the closest name) and canonical names outside the grammar
  (a dotted path of A-Z a-z 0-9 _, e.g. Vehicle.Powertrain.CombustionEngine.Speed);
- with --log LOG: frames per channel; per channel the frames decoded, those of known messages
  with no mapped signal ("unmapped") and those whose id no DBC of the profile knows ("unknown
  ids", listed); the samples per canonical signal (count, min, max); mapped signals the log
  never carried.

DBC files are found next to the profile, then in each --dbc-dir DIR, then in PITSTOP_DBC_PATH.
Exit status: 0 the profile is fine, 1 it has problems (listed), 2 usage error.

examples:
  pitstop profile check dbc/j1939_truck.yaml --dbc-dir ../shared/data/dbc/css
  pitstop profile check dbc/j1939_truck.yaml --dbc-dir ../shared/data/dbc/css \\
      --log ../shared/data/logs/css/j1939_truck.log
  pitstop profile check my_car.yaml --log drive.log.gz --json | jq .problems
"""

UNKNOWN_SHOWN = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="check a profile (and decode a log with it)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("profile", type=Path, metavar="PROFILE", help="vehicle profile YAML")
    check.add_argument(
        "--dbc-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also look for the profile's DBC files in DIR (repeatable; then PITSTOP_DBC_PATH)",
    )
    check.add_argument("--log", type=Path, metavar="LOG", help="a recorded CAN log to decode")
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.profilecheck import check_profile

    if not args.profile.is_file():
        raise ConfigError(f"profile not found: {args.profile} (give the path of a profile YAML)")
    from gateway.sources import log_problem

    problem = None if args.log is None else log_problem(args.log)
    if problem is not None:
        raise ConfigError(problem)
    report = check_profile(args.profile, (*args.dbc_dir, *settings.dbc_dirs()), args.log)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(_render(report)))
    return 1 if report.problems else 0


def _render(report: ProfileCheck) -> list[str]:
    lines = []
    profile = report.profile
    if profile is not None:
        lines.append(
            f"profile {profile.name} ({report.path}, hash {profile.hash}): "
            f"{len(profile.signals)} signals bound on {len(profile.buses)} bus(es)"
        )
        for bus, files in report.dbc.items():
            lines.append(f"  bus {bus}: {', '.join(files)}")
    for item in report.left_out:
        lines.append(f"  left out (lenient loading): {item}")
    if report.log is not None:
        lines.extend(_render_log(report.log))
    if report.problems:
        lines.append(f"{len(report.problems)} problem(s):")
        lines.extend(f"  {problem}" for problem in report.problems)
    else:
        lines.append("OK: no problems")
    return lines


def _render_log(log: LogCheck) -> list[str]:
    lines = [f"log {log.log}: {sum(log.frames.values())} frames"]
    for channel, frames in log.frames.items():
        c = log.counters.get(channel, {})
        lines.append(
            f"  channel {channel}: {frames} frames, {c.get('decoded', 0)} decoded, "
            f"{c.get('unmapped', 0)} of known messages with no mapped signal, "
            f"{c.get('unknown_id', 0)} with ids no DBC knows, {c.get('bad_frame', 0)} bad"
        )
    if log.unknown_ids:
        shown = list(log.unknown_ids.items())[:UNKNOWN_SHOWN]
        more = len(log.unknown_ids) - len(shown)
        listed = ", ".join(f"{key} ({n})" for key, n in shown)
        lines.append(
            f"  {len(log.unknown_ids)} ids no DBC knows: {listed}"
            + (f", and {more} more (--json lists all)" if more else "")
        )
    for name, seen in log.signals.items():
        unit = f" {seen.unit}" if seen.unit else ""
        lines.append(f"  {name}: {seen.samples} samples, {seen.min:g} .. {seen.max:g}{unit}")
    return lines
