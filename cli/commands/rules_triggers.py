"""``pitstop rules triggers``: compile the rule catalogue into the car's triggers file.

The cloud owns the rules; the car only loads data. This writes the document that
``pitstop gateway --triggers FILE`` loads (or that goes into a collection plan's ``triggers:``
and reaches cars through the ``set_plan`` command): see docs/triggers.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    triggers = sub.add_parser(
        "triggers",
        help="compile the rules' conditions into the car's triggers file",
        description="Write the triggers the gateway checks in the car (thresholds with "
        "hysteresis and hold, trouble codes): a sample meeting one sends its batch at once. "
        "Rules that cannot be checked in the car are listed on stderr and left out.",
    )
    triggers.add_argument(
        "catalogs", nargs="*", type=Path, metavar="CATALOG", help="default: the built-in one"
    )
    triggers.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    triggers.add_argument(
        "--min-gap",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds between two early flushes of one trigger in the car (default: 5)",
    )


def run(args: argparse.Namespace) -> int:
    from rules.errors import RuleError
    from rules.loader import DEFAULT_CATALOG, load_catalogs
    from rules.triggers import compile_triggers, skipped

    try:
        rules = load_catalogs(args.catalogs or [DEFAULT_CATALOG])
    except RuleError as err:
        print(f"pitstop rules triggers: {err}", file=sys.stderr)
        return 1
    doc = compile_triggers(rules, args.min_gap)
    text = yaml.safe_dump(doc, sort_keys=False, width=100)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    left = skipped(rules)
    print(
        f"{len(doc['triggers'])} triggers from {len(rules) - len(left)} rules; "
        f"not checked in the car: {', '.join(left) or 'none'}",
        file=sys.stderr,
    )
    return 0
